//! The GeoIP2-City record fields routing reads, decoded from a MaxMind
//! database record into borrowed data, and turned into a [`Location`].

use std::fmt;

use serde::Deserialize;

use super::location::{Code, Location};

/// The GeoIP2-City fields routing uses; every other field is skipped
/// without being decoded into owned data.
#[derive(Deserialize)]
pub(super) struct CityRecord<'a> {
    #[serde(borrow)]
    continent: Option<ContinentRecord<'a>>,
    #[serde(borrow)]
    country: Option<IsoCodeRecord<'a>>,
    #[serde(borrow, default, deserialize_with = "first_subdivision")]
    subdivisions: Option<IsoCodeRecord<'a>>,
    location: Option<CoordinatesRecord>,
}

#[derive(Deserialize)]
struct ContinentRecord<'a> {
    code: Option<&'a str>,
}

#[derive(Deserialize)]
struct IsoCodeRecord<'a> {
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct CoordinatesRecord {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl CityRecord<'_> {
    pub(super) fn to_location(&self, prefix_len: u8) -> Location {
        let code = |text: Option<&str>| text.and_then(Code::new);
        let coordinates = self
            .location
            .as_ref()
            .and_then(|l| Some((l.latitude?, l.longitude?)))
            .filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon));
        Location {
            continent: code(self.continent.as_ref().and_then(|c| c.code)),
            country: code(self.country.as_ref().and_then(|c| c.iso_code)),
            subdivision: code(self.subdivisions.as_ref().and_then(|s| s.iso_code)),
            coordinates,
            prefix_len,
        }
    }
}

/// Decodes `subdivisions[0]` and skips the rest of the array, so no `Vec` is
/// built (MaxMind lists the largest subdivision first).
fn first_subdivision<'de, D>(deserializer: D) -> Result<Option<IsoCodeRecord<'de>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct FirstElement;

    impl<'de> serde::de::Visitor<'de> for FirstElement {
        type Value = Option<IsoCodeRecord<'de>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of subdivisions")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let first = seq.next_element()?;
            // The decoder reads sequentially: the rest must be consumed.
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(first)
        }
    }

    deserializer.deserialize_seq(FirstElement)
}
