//! How an [`Answer`] holds its records: decoded (`hickory` records, about
//! 300 bytes each) in a small zone, or when its wire form (`table::wire`)
//! cannot stand in for them; otherwise the wire form alone, decoded when
//! the general path asks (the UDP fast path reads the wire form and never
//! decodes).

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use hickory_proto::rr::{RData, Record};

use super::Answer;
use crate::table::wire;

/// The records of an answer that keeps none, shared: an empty `Arc<[_]>`
/// still allocates its counts, once per RRset of a large zone.
static NO_RECORDS: LazyLock<Arc<[Record]>> = LazyLock::new(|| Arc::from(Vec::new()));

impl Answer {
    /// The one constructor: `records` (all of one owner) with their
    /// additional records, the upper bound of their encoded size, and their
    /// wire form if the fast path can write them. With `keep`, the records
    /// stay decoded even where the wire form could stand in for them (a
    /// small zone: `table::compile::KEEP_DECODED_BELOW`).
    pub fn new(
        records: Vec<Record>,
        additionals: Vec<Record>,
        wire_size: usize,
        wire: Option<Box<[u8]>>,
        keep: bool,
    ) -> Self {
        let shared = |v: Vec<Record>| {
            if v.is_empty() {
                NO_RECORDS.clone()
            } else {
                Arc::from(v)
            }
        };
        if !keep && wire.is_some() && records.iter().all(|r| decodes_alike(&r.data)) {
            return Answer {
                records: NO_RECORDS.clone(),
                additionals: NO_RECORDS.clone(),
                wire_size,
                wire,
                sigs: Default::default(),
            };
        }
        Answer {
            records: shared(records),
            additionals: shared(additionals),
            wire_size,
            wire,
            sigs: Default::default(),
        }
    }

    /// The records, borrowed when kept, else decoded from the wire form.
    pub fn records(&self) -> Cow<'_, [Record]> {
        match self.decoded() {
            Some((records, _)) => Cow::Owned(records),
            None => Cow::Borrowed(&self.records),
        }
    }

    /// The additional records (A and AAAA of in-zone targets), likewise.
    pub fn additionals(&self) -> Cow<'_, [Record]> {
        match self.decoded() {
            Some((_, additionals)) => Cow::Owned(additionals),
            None => Cow::Borrowed(&self.additionals),
        }
    }

    /// The records that are kept decoded (none when only the wire form is).
    pub fn kept_records(&self) -> &[Record] {
        &self.records
    }

    /// Whether there are no records (NODATA), without decoding.
    pub fn is_empty(&self) -> bool {
        match (&self.wire, self.records.is_empty()) {
            (Some(w), true) => wire::WireRrset::new(w).count() == 0,
            (_, empty) => empty,
        }
    }

    /// Whether there are additional records, without decoding.
    pub fn has_additionals(&self) -> bool {
        match (&self.wire, self.records.is_empty()) {
            (Some(w), true) => wire::WireRrset::new(w).has_additionals(),
            _ => !self.additionals.is_empty(),
        }
    }

    /// The decoded records and additionals of a wire-only answer.
    fn decoded(&self) -> Option<(Vec<Record>, Vec<Record>)> {
        if !self.records.is_empty() {
            return None;
        }
        wire::decode(self.wire.as_deref()?)
    }
}

/// Whether a record of this data decodes from its wire form to an equal
/// record (names uncompressed in the zone's case, no RFC 3597 data).
fn decodes_alike(data: &RData) -> bool {
    matches!(
        data,
        RData::A(_)
            | RData::AAAA(_)
            | RData::CNAME(_)
            | RData::NS(_)
            | RData::PTR(_)
            | RData::MX(_)
            | RData::SRV(_)
            | RData::TXT(_)
    )
}

/// Appends `records` to a section: borrowed ones as borrowed, decoded ones
/// as owned.
pub fn extend_section<'a>(section: &mut Vec<Cow<'a, Record>>, records: Cow<'a, [Record]>) {
    match records {
        Cow::Borrowed(kept) => section.extend(kept.iter().map(Cow::Borrowed)),
        Cow::Owned(decoded) => section.extend(decoded.into_iter().map(Cow::Owned)),
    }
}
