//! [`GeoKey`]: a zone's `geo = "..."` value, and the order in which a client's
//! [`Location`] is matched against such keys.
//!
//! Invariant: a `GeoKey` only holds codes that exist (a known continent, an
//! ISO 3166-1 country, a well-formed subdivision), so a zone cannot silently
//! route on a typo such as "UK".

use std::fmt;

use super::location::{Code, Location};
use super::region::{self, CodeError};

/// Why a `geo` value is not a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GeoKeyError {
    /// A `continent:`/`country:` value, or a subdivision's country, that is
    /// no such code.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// A subdivision whose part after the dash is not 1 to 3 letters or digits.
    #[error(
        "subdivision {text:?}: the part after \"{country}-\" must be 1 to 3 letters or digits (ISO 3166-2, e.g. US-CA)"
    )]
    Subdivision {
        /// The whole value as written (trimmed).
        text: String,
        /// The country before the dash.
        country: Code,
    },
    /// An empty value.
    #[error(
        "empty geo value: expected \"*\", a continent (EU), a country (DE) or a subdivision (US-CA)"
    )]
    Empty,
    /// A value of none of the forms, with why it is no country code.
    #[error(
        "{0}; a geo value is \"*\", a continent (AF AN AS EU NA OC SA), a country (DE) or a subdivision (US-CA)"
    )]
    Unrecognised(CodeError),
}

/// Which clients a geolocation record set is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeoKey {
    /// A continent code: AF AN AS EU NA OC SA.
    Continent(Code),
    /// An ISO 3166-1 alpha-2 country code.
    Country(Code),
    /// A country subdivision, written "US-CA"; `code` is the part after the dash.
    Subdivision { country: Code, code: Code },
    /// "*": every client, including those whose location is unknown.
    Default,
}

impl GeoKey {
    /// Parses a `geo` value: `"*"`, a continent (`"EU"`), a country (`"DE"`) or a
    /// subdivision (`"US-CA"`), in any case.
    ///
    /// The continent codes AF, AS, NA and SA are also country codes
    /// (Afghanistan, American Samoa, Namibia, Saudi Arabia); bare, they mean the
    /// continent, and `"country:NA"` / `"continent:EU"` say which explicitly.
    pub fn parse(text: &str) -> Result<GeoKey, GeoKeyError> {
        let text = text.trim();
        if text == "*" {
            return Ok(GeoKey::Default);
        }
        if let Some(rest) = strip_prefix_ignore_case(text, "continent:") {
            return region::continent(rest)
                .map(GeoKey::Continent)
                .ok_or_else(|| region::continent_error(rest).into());
        }
        if let Some(rest) = strip_prefix_ignore_case(text, "country:") {
            return region::country(rest)
                .map(GeoKey::Country)
                .ok_or_else(|| region::country_error(rest).into());
        }
        if let Some((country, code)) = text.split_once('-') {
            let country = region::country(country).ok_or_else(|| region::country_error(country))?;
            let code = Code::new(code).ok_or_else(|| GeoKeyError::Subdivision {
                text: text.to_owned(),
                country,
            })?;
            return Ok(GeoKey::Subdivision { country, code });
        }
        if let Some(continent) = region::continent(text) {
            return Ok(GeoKey::Continent(continent));
        }
        if let Some(country) = region::country(text) {
            return Ok(GeoKey::Country(country));
        }
        if text.is_empty() {
            return Err(GeoKeyError::Empty);
        }
        Err(GeoKeyError::Unrecognised(region::country_error(text)))
    }

    /// How specific the key is: subdivision 3, country 2, continent 1, default 0.
    pub fn specificity(&self) -> u8 {
        match self {
            GeoKey::Subdivision { .. } => 3,
            GeoKey::Country(_) => 2,
            GeoKey::Continent(_) => 1,
            GeoKey::Default => 0,
        }
    }

    /// Whether a client at `loc` belongs to this key.
    pub fn matches(&self, loc: &Location) -> bool {
        match *self {
            GeoKey::Continent(c) => loc.continent == Some(c),
            GeoKey::Country(c) => loc.country == Some(c),
            GeoKey::Subdivision { country, code } => {
                loc.country == Some(country) && loc.subdivision == Some(code)
            }
            GeoKey::Default => true,
        }
    }
}

/// The keys a client at `loc` matches, most specific first: subdivision,
/// country, continent, then `*`. Allocation-free, for the query path.
pub fn keys_for(loc: &Location) -> impl Iterator<Item = GeoKey> + use<> {
    let subdivision = match (loc.country, loc.subdivision) {
        (Some(country), Some(code)) => Some(GeoKey::Subdivision { country, code }),
        _ => None,
    };
    [
        subdivision,
        loc.country.map(GeoKey::Country),
        loc.continent.map(GeoKey::Continent),
        Some(GeoKey::Default),
    ]
    .into_iter()
    .flatten()
}

impl fmt::Display for GeoKey {
    /// Writes the key so that [`GeoKey::parse`] reads it back unchanged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeoKey::Continent(c) => write!(f, "{c}"),
            GeoKey::Country(c) if region::continent(c.as_str()).is_some() => {
                write!(f, "country:{c}")
            }
            GeoKey::Country(c) => write!(f, "{c}"),
            GeoKey::Subdivision { country, code } => write!(f, "{country}-{code}"),
            GeoKey::Default => f.write_str("*"),
        }
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Code {
        Code::new(s).unwrap()
    }

    fn frankfurt() -> Location {
        Location {
            continent: Some(code("EU")),
            country: Some(code("DE")),
            subdivision: Some(code("HE")),
            coordinates: Some((50.11, 8.68)),
            prefix_len: 25,
        }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(GeoKey::parse("*"), Ok(GeoKey::Default));
        assert_eq!(GeoKey::parse("EU"), Ok(GeoKey::Continent(code("EU"))));
        assert_eq!(GeoKey::parse("de"), Ok(GeoKey::Country(code("DE"))));
        assert_eq!(
            GeoKey::parse("US-CA"),
            Ok(GeoKey::Subdivision {
                country: code("US"),
                code: code("CA")
            })
        );
        assert_eq!(
            GeoKey::parse("gb-eng"),
            Ok(GeoKey::Subdivision {
                country: code("GB"),
                code: code("ENG")
            })
        );
        // Continent codes win when bare; the prefix reaches the country.
        assert_eq!(GeoKey::parse("NA"), Ok(GeoKey::Continent(code("NA"))));
        assert_eq!(GeoKey::parse("country:NA"), Ok(GeoKey::Country(code("NA"))));
        assert_eq!(
            GeoKey::parse("Continent:eu"),
            Ok(GeoKey::Continent(code("EU")))
        );
    }

    #[test]
    fn rejects_with_clear_messages() {
        let err = |s: &str| GeoKey::parse(s).unwrap_err().to_string();
        assert!(
            err("UK").contains("the United Kingdom is GB"),
            "{}",
            err("UK")
        );
        assert!(err("XX").contains("not an ISO 3166-1"), "{}", err("XX"));
        assert!(err("Europe").contains("2 letters"), "{}", err("Europe"));
        assert!(err("").starts_with("empty geo value"));
        assert!(err("ZZ-CA").contains("\"ZZ\""), "{}", err("ZZ-CA"));
        assert!(
            err("US-CALI").contains("1 to 3 letters"),
            "{}",
            err("US-CALI")
        );
        assert!(err("US-").contains("1 to 3 letters"));
        assert!(err("continent:DE").contains("unknown continent code"));
        assert!(err("country:EU").contains("not an ISO 3166-1"));
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "*",
            "EU",
            "DE",
            "US-CA",
            "country:NA",
            "country:AS",
            "GB-ENG",
        ] {
            let key = GeoKey::parse(text).unwrap();
            assert_eq!(key.to_string(), text);
            assert_eq!(GeoKey::parse(&key.to_string()), Ok(key));
        }
    }

    #[test]
    fn matching_follows_the_location() {
        let loc = frankfurt();
        assert!(GeoKey::parse("DE-HE").unwrap().matches(&loc));
        assert!(!GeoKey::parse("DE-BY").unwrap().matches(&loc));
        // Same subdivision code in another country is a different place.
        assert!(!GeoKey::parse("FR-HE").unwrap().matches(&loc));
        assert!(GeoKey::parse("DE").unwrap().matches(&loc));
        assert!(!GeoKey::parse("FR").unwrap().matches(&loc));
        assert!(GeoKey::parse("EU").unwrap().matches(&loc));
        assert!(!GeoKey::parse("NA").unwrap().matches(&loc));
        assert!(GeoKey::Default.matches(&loc));
        assert!(GeoKey::Default.matches(&Location::default()));
        assert!(!GeoKey::parse("EU").unwrap().matches(&Location::default()));
    }

    #[test]
    fn keys_come_most_specific_first() {
        let keys: Vec<String> = keys_for(&frankfurt()).map(|k| k.to_string()).collect();
        assert_eq!(keys, ["DE-HE", "DE", "EU", "*"]);
        let specificity: Vec<u8> = keys_for(&frankfurt()).map(|k| k.specificity()).collect();
        assert_eq!(specificity, [3, 2, 1, 0]);

        let paris = Location {
            subdivision: None,
            country: Some(code("FR")),
            ..frankfurt()
        };
        let keys: Vec<String> = keys_for(&paris).map(|k| k.to_string()).collect();
        assert_eq!(keys, ["FR", "EU", "*"]);

        // A subdivision without a country cannot form "XX-YY".
        let odd = Location {
            country: None,
            ..frankfurt()
        };
        let keys: Vec<String> = keys_for(&odd).map(|k| k.to_string()).collect();
        assert_eq!(keys, ["EU", "*"]);

        let unknown: Vec<GeoKey> = keys_for(&Location::default()).collect();
        assert_eq!(unknown, [GeoKey::Default]);
    }
}
