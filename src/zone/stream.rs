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
use crate::zone::scan;

/// A file's tables other than `record` (`T`, whose `record` is then
/// empty), and its record sets still to deserialize.
pub(super) struct Streamed<'a, T> {
    pub(super) rest: T,
    pub(super) records: Records<'a>,
}

/// Where a file's record sets come from.
pub(super) enum Records<'a> {
    /// `toml`'s array of tables.
    Toml(DeArray<'a>),
    /// A run of plain tables (`scan.rs`) in this text.
    Plain(&'a str, scan::Run),
}

impl Records<'_> {
    /// How many record sets there are.
    pub(super) fn len(&self) -> usize {
        match self {
            Records::Toml(array) => array.len(),
            Records::Plain(_, run) => run.count,
        }
    }
}

/// Why a file's record sets could not be read.
#[derive(Debug)]
pub(super) enum Unread {
    /// The file is not valid TOML for its shape: this error, as
    /// `toml::from_str` of the whole file reports it.
    Toml(toml::de::Error),
    /// A table of the plain run is not plain: read the file with
    /// `toml` (`parse` with `plain` false) from the start.
    NotPlain,
}

impl From<toml::de::Error> for Unread {
    fn from(e: toml::de::Error) -> Self {
        Unread::Toml(e)
    }
}

/// Parses `text` with its `record` array set aside: with `plain`, the
/// run of record tables when the file has one and nothing else for
/// `record`; else `toml`'s array.
pub(super) fn parse<T: DeserializeOwned>(
    text: &str,
    plain: bool,
) -> Result<Streamed<'_, T>, toml::de::Error> {
    if plain && let Some(fast) = plain_run(text) {
        return Ok(fast);
    }
    split(text).map_err(|e| whole_file_error::<T>(text).unwrap_or(e))
}

/// The file read as its plain run of record tables plus the rest: the
/// text before the run must be a document of its own (so the run starts
/// at a real table header), and the rest must not touch `record`.
fn plain_run<T: DeserializeOwned>(text: &str) -> Option<Streamed<'_, T>> {
    let run = scan::run(text)?;
    let before = DeTable::parse(&text[..run.span.start]).ok()?;
    // A run to the end of the file (the usual large zone) leaves the text
    // before it, read already, with the same offsets.
    let masked;
    let root = if text[run.span.end..].trim_start().is_empty() {
        before
    } else {
        masked = scan::masked(text, &run);
        DeTable::parse(&masked).ok()?
    };
    if root.get_ref().contains_key("record") {
        return None;
    }
    let rest = T::deserialize(toml::de::Deserializer::from(root)).ok()?;
    Some(Streamed {
        rest,
        records: Records::Plain(text, run),
    })
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
    Ok(Streamed {
        rest,
        records: Records::Toml(records),
    })
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
