//! A structural check of a MaxMind DB, run once when it is opened, so that
//! lookups on the query path cannot crash the server.
//!
//! maxminddb 0.26 decodes data-section pointers recursively and without
//! bounds checks: a corrupt file whose pointers form a cycle would overflow
//! the stack of the thread answering a query, which no `catch_unwind` can
//! stop. So [`check`] walks every record the search tree can reach, reading
//! control bytes exactly as that decoder does, and rejects the file unless
//! every value stays inside the data section and nests at most
//! [`MAX_DEPTH`] levels (pointer hops included).
//!
//! Invariant: a file that passes `check` decodes in bounded depth from every
//! tree record, whatever bytes it holds.

use std::collections::HashMap;

/// Deepest nesting of maps, arrays and pointer hops accepted. Real
/// GeoLite2-City records nest about 6 deep.
pub const MAX_DEPTH: usize = 32;

/// Why a file fails the structural check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    /// The search tree, as long as the metadata says, is longer than the file.
    #[error("the search tree runs past the end of the file")]
    TreePastEnd,
    /// A search tree node ends before its two records do.
    #[error("search tree node {node} is cut short")]
    NodeCutShort {
        /// The node's index.
        node: usize,
    },
    /// A search tree record points past the end of the data section.
    #[error("search tree node {node} points outside the data")]
    NodeOutsideData {
        /// The node's index.
        node: usize,
    },
    /// The file has no metadata marker, so it is no MaxMind DB at all.
    #[error("no MaxMind DB metadata marker")]
    NoMetadataMarker,
    /// Maps, arrays and pointer hops nest deeper than [`MAX_DEPTH`]
    /// (pointer cycles end here too).
    #[error("data nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A control byte names a type the format does not have.
    #[error("unknown data type {0}")]
    UnknownDataType(usize),
    /// A value's bytes run past the end of the data section.
    #[error("a data record runs past the end of the data section")]
    RecordPastEnd,
}

/// Checks the search tree and every data record it points to. `buf` is the
/// whole file; `node_count` and `record_size` come from its metadata.
pub fn check(buf: &[u8], node_count: usize, record_size: usize) -> Result<(), IntegrityError> {
    let tree_len = node_count * record_size / 4;
    let data = buf
        .get(tree_len + 16..)
        .ok_or(IntegrityError::TreePastEnd)?;
    let mut walker = Walker {
        data,
        heights: HashMap::new(),
    };
    for node in 0..node_count {
        for side in 0..2 {
            let record = read_record(buf, node, side, record_size)
                .ok_or(IntegrityError::NodeCutShort { node })?;
            if record <= node_count {
                continue;
            }
            let offset = record
                .checked_sub(node_count + 16)
                .filter(|&o| o < data.len())
                .ok_or(IntegrityError::NodeOutsideData { node })?;
            walker.height_at(offset, 0)?;
        }
    }
    Ok(())
}

/// Checks the metadata map that follows the last metadata marker, which
/// maxminddb decodes (with pointers relative to its start) when opening.
pub fn check_metadata(buf: &[u8]) -> Result<(), IntegrityError> {
    const MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";
    let start = buf
        .windows(MARKER.len())
        .rposition(|w| w == MARKER)
        .ok_or(IntegrityError::NoMetadataMarker)?
        + MARKER.len();
    let mut walker = Walker {
        data: &buf[start..],
        heights: HashMap::new(),
    };
    walker.height_at(0, 0).map(|_| ())
}

struct Walker<'a> {
    data: &'a [u8],
    /// Offsets already checked, with the depth of the value found there.
    heights: HashMap<usize, usize>,
}

impl Walker<'_> {
    /// The nesting height of the value at `offset`, checked; `depth` is how
    /// deep the decoder already is when it reaches it.
    fn height_at(&mut self, offset: usize, depth: usize) -> Result<usize, IntegrityError> {
        if let Some(&height) = self.heights.get(&offset) {
            return fits(depth, height);
        }
        let (_, height) = self.value(offset, depth)?;
        self.heights.insert(offset, height);
        Ok(height)
    }

    /// Checks the value at `pos`; returns where it ends and its height.
    fn value(&mut self, mut pos: usize, depth: usize) -> Result<(usize, usize), IntegrityError> {
        if depth > MAX_DEPTH {
            return Err(IntegrityError::TooDeep);
        }
        let ctrl = self.byte(pos)?;
        pos += 1;
        let mut kind = usize::from(ctrl >> 5);
        if kind == 0 {
            kind = usize::from(self.byte(pos)?) + 7;
            pos += 1;
        }
        let (size, after) = self.size(ctrl, pos)?;
        pos = after;
        match kind {
            1 => {
                let width = ((size >> 3) & 0x3) + 1;
                let bytes = self.bytes(pos, width)?;
                pos += width;
                let base = if width == 4 { 0 } else { size & 0x7 };
                let target = bytes
                    .iter()
                    .fold(base, |acc, &b| (acc << 8) | usize::from(b))
                    + [0, 0, 2048, 526_336, 0][width];
                let height = self.height_at(target, depth + 1)?;
                Ok((pos, height + 1))
            }
            7 | 11 => {
                let items = if kind == 7 { size * 2 } else { size };
                let mut height = 0;
                for _ in 0..items {
                    let (end, h) = self.value(pos, depth + 1)?;
                    pos = end;
                    height = height.max(h);
                }
                Ok((pos, height + 1))
            }
            14 => Ok((pos, 0)),
            2..=6 | 8..=10 | 15 => {
                self.bytes(pos, size)?;
                Ok((pos + size, 0))
            }
            other => Err(IntegrityError::UnknownDataType(other)),
        }
    }

    /// The size field after a control byte, read as maxminddb 0.26 does.
    fn size(&self, ctrl: u8, pos: usize) -> Result<(usize, usize), IntegrityError> {
        let size = usize::from(ctrl & 0x1f);
        let extra = size.saturating_sub(28);
        let bytes = self.bytes(pos, extra)?;
        let value =
            |base: usize| bytes.iter().fold(0, |acc, &b| (acc << 8) | usize::from(b)) + base;
        let size = match size {
            0..=28 => size,
            29 => value(29),
            30 => value(285),
            _ => value(65_821),
        };
        Ok((size, pos + extra))
    }

    fn byte(&self, pos: usize) -> Result<u8, IntegrityError> {
        self.data
            .get(pos)
            .copied()
            .ok_or(IntegrityError::RecordPastEnd)
    }

    fn bytes(&self, pos: usize, len: usize) -> Result<&[u8], IntegrityError> {
        pos.checked_add(len)
            .and_then(|end| self.data.get(pos..end))
            .ok_or(IntegrityError::RecordPastEnd)
    }
}

fn fits(depth: usize, height: usize) -> Result<usize, IntegrityError> {
    if depth + height > MAX_DEPTH {
        Err(IntegrityError::TooDeep)
    } else {
        Ok(height)
    }
}

/// One side of a search-tree node, laid out as the MaxMind DB spec says.
fn read_record(buf: &[u8], node: usize, side: usize, record_size: usize) -> Option<usize> {
    let base = node * record_size / 4;
    let be = |bytes: &[u8], first: usize| {
        bytes
            .iter()
            .fold(first, |acc, &b| (acc << 8) | usize::from(b))
    };
    match record_size {
        24 => Some(be(buf.get(base + side * 3..base + side * 3 + 3)?, 0)),
        28 => {
            let middle = *buf.get(base + 3)?;
            let high = if side == 0 {
                middle >> 4
            } else {
                middle & 0x0f
            };
            Some(be(
                buf.get(base + side * 4..base + side * 4 + 3)?,
                usize::from(high),
            ))
        }
        32 => Some(be(buf.get(base + side * 4..base + side * 4 + 4)?, 0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::path::Path;
    use std::time::UNIX_EPOCH;

    use crate::diag::Source;
    use crate::geo::{GeoDb, build, csv};

    const MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";

    fn sample_bytes() -> Vec<u8> {
        let text = "network,continent,country,subdivision,latitude,longitude
192.0.2.0/25,EU,DE,DE-HE,50.11,8.68
2001:db8::/48,EU,GB,GB-ENG,51.51,-0.13
";
        let rows = csv::parse(&Source::new("t.csv", text)).unwrap();
        build::build_database(&rows, "t.csv", UNIX_EPOCH).unwrap()
    }

    fn open(bytes: Vec<u8>) -> Result<GeoDb, crate::geo::GeoError> {
        GeoDb::from_bytes(Path::new("db.mmdb"), bytes)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Where the data section starts and the metadata marker begins.
    fn data_bounds(bytes: &[u8]) -> (usize, usize) {
        let meta = maxminddb::Reader::from_source(bytes).unwrap().metadata;
        let tree_end = meta.node_count as usize * usize::from(meta.record_size) / 4 + 16;
        let marker = bytes
            .windows(MARKER.len())
            .rposition(|w| w == MARKER)
            .unwrap();
        (tree_end, marker)
    }

    #[test]
    fn corrupt_data_is_rejected_or_a_miss() {
        let bytes = sample_bytes();
        let (start, end) = data_bounds(&bytes);
        for fill in [0x00, 0x20, 0x5f, 0x7f, 0xe1, 0xff] {
            let mut corrupt = bytes.clone();
            corrupt[start..end].fill(fill);
            // Either open refuses the file, or every lookup returns.
            if let Ok(db) = open(corrupt) {
                for addr in ["192.0.2.7", "2001:db8::1", "::ffff:192.0.2.1"] {
                    let _ = db.locate(ip(addr));
                }
            }
        }
        // 0x20 makes every record a pointer to itself: a cycle that would
        // overflow the stack of the querying thread unless open rejects it.
        let mut cyclic = bytes.clone();
        cyclic[start..end].fill(0x20);
        let err = open(cyclic).unwrap_err().to_string();
        assert!(err.contains("corrupt: data nests deeper than"), "{err}");
    }

    #[test]
    fn a_self_referencing_metadata_map_is_rejected() {
        let mut bytes = sample_bytes();
        let (_, marker) = data_bounds(&bytes);
        // A one-byte pointer to offset 0: the metadata map becomes itself.
        let start = marker + MARKER.len();
        bytes[start..start + 2].copy_from_slice(&[0x20, 0x00]);
        let err = open(bytes).unwrap_err().to_string();
        assert!(err.contains("data nests deeper than"), "{err}");
    }

    #[test]
    fn any_single_corrupt_byte_is_survived() {
        let bytes = sample_bytes();
        for pos in 0..bytes.len() {
            for value in [0x00, 0x20, 0x3f, 0xe0, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[pos] = value;
                if let Ok(db) = open(corrupt) {
                    for addr in ["192.0.2.7", "2001:db8::1", "::ffff:192.0.2.1", "10.0.0.1"] {
                        let _ = db.locate(ip(addr));
                    }
                }
            }
        }
    }
}
