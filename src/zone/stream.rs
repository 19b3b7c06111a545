//! A zone file's `[[record]]` tables, one at a time: the TOML is parsed
//! once into `toml`'s spanned document, its `record` array is taken out,
//! and each record set is deserialized, converted and dropped before the
//! next, so a large zone never holds every raw record set beside its
//! model. Spans stay those of the whole file.
//!
//! Invariant: any TOML problem is the one `toml::from_str` of the whole
//! file reports (the slow path parses the file again to find it), so
//! errors read exactly as they did before streaming.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

use crate::zone::raw::RawRecordSet;

/// A file's tables other than `record` (`T`, whose `record` is then
/// empty), and its record sets still to deserialize.
pub(super) struct Streamed<'a, T> {
    pub(super) rest: T,
    pub(super) records: DeArray<'a>,
}

/// Parses `text` with its `record` array set aside.
pub(super) fn parse<T: DeserializeOwned>(text: &str) -> Result<Streamed<'_, T>, toml::de::Error> {
    split(text).or_else(|e| Err(whole_file_error::<T>(text).unwrap_or(e)))
}

fn split<T: DeserializeOwned>(text: &str) -> Result<Streamed<'_, T>, toml::de::Error> {
    let mut root = DeTable::parse(text)?;
    let records = match root.get_mut().remove("record").map(Spanned::into_inner) {
        None => DeArray::new(),
        Some(DeValue::Array(records)) => records,
        Some(_) => {
            return Err(serde::de::Error::custom(
                "record must be an array of tables",
            ));
        }
    };
    let rest = T::deserialize(toml::de::Deserializer::from(root))?;
    Ok(Streamed { rest, records })
}

/// One record set of the array, or the error the whole file reports.
pub(super) fn record<T: DeserializeOwned>(
    text: &str,
    value: Spanned<DeValue<'_>>,
) -> Result<Spanned<RawRecordSet>, toml::de::Error> {
    Spanned::<RawRecordSet>::deserialize(ValueDeserializer::from(value))
        .map_err(|e| whole_file_error::<T>(text).unwrap_or(e))
}

/// The error `toml::from_str` reports for the whole file, if any.
fn whole_file_error<T: DeserializeOwned>(text: &str) -> Option<toml::de::Error> {
    toml::from_str::<T>(text).err()
}
