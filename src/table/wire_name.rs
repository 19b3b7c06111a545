//! Lowercase wire-format names on the stack. Every ancestor of a name is a
//! byte suffix of its wire form, so the query path looks up the name, its
//! zone and its closest encloser without allocating.

use hickory_proto::rr::Name;

/// The longest wire-format name (RFC 1035 §2.3.4).
const MAX_WIRE: usize = 255;

/// A name in lowercase wire format with the offset of each label.
#[derive(Clone)]
pub struct WireName {
    bytes: [u8; MAX_WIRE + 2],
    len: usize,
    starts: [u8; 128],
    labels: usize,
}

impl WireName {
    /// Converts `name`, lowercasing ASCII letters.
    pub fn new(name: &Name) -> Self {
        let mut wire = WireName {
            bytes: [0; MAX_WIRE + 2],
            len: 0,
            starts: [0; 128],
            labels: 0,
        };
        for label in name.iter() {
            wire.push_label(label);
        }
        wire.bytes[wire.len] = 0;
        wire.len += 1;
        wire
    }

    /// Reads an uncompressed name in wire form from the start of `wire`
    /// (None: a pointer, a label over 63 bytes, or a name over 255 bytes).
    pub fn from_wire(wire: &[u8]) -> Option<Self> {
        let mut name = WireName {
            bytes: [0; MAX_WIRE + 2],
            len: 0,
            starts: [0; 128],
            labels: 0,
        };
        let mut at = 0;
        loop {
            let len = usize::from(*wire.get(at)?);
            if len == 0 {
                name.bytes[name.len] = 0;
                name.len += 1;
                return Some(name);
            }
            if len > 63 || name.len + len + 2 > MAX_WIRE {
                return None;
            }
            name.push_label(wire.get(at + 1..at + 1 + len)?);
            at += 1 + len;
        }
    }

    fn push_label(&mut self, label: &[u8]) {
        // hickory's Name guarantees ≤ 255 bytes and ≤ 127 labels.
        if self.labels >= self.starts.len() || self.len + label.len() + 2 > self.bytes.len() {
            return;
        }
        self.starts[self.labels] = self.len as u8;
        self.labels += 1;
        self.bytes[self.len] = label.len() as u8;
        self.len += 1;
        for &b in label {
            self.bytes[self.len] = b.to_ascii_lowercase();
            self.len += 1;
        }
    }

    /// Number of labels (the root has 0).
    pub fn labels(&self) -> usize {
        self.labels
    }

    /// The whole name as a lookup key.
    pub fn key(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The ancestor with the first `skip` labels removed (`skip == labels()` is the root).
    pub fn suffix(&self, skip: usize) -> &[u8] {
        let start = if skip >= self.labels {
            self.len - 1
        } else {
            usize::from(self.starts[skip])
        };
        &self.bytes[start..self.len]
    }

    /// The wildcard `*.<ancestor>` for the ancestor with `skip` labels removed.
    pub fn wildcard_key(&self, skip: usize, out: &mut [u8; MAX_WIRE + 2]) -> usize {
        let suffix = self.suffix(skip);
        out[0] = 1;
        out[1] = b'*';
        let len = (2 + suffix.len()).min(out.len());
        out[2..len].copy_from_slice(&suffix[..len - 2]);
        len
    }
}

/// The lowercase wire key of a name, for building tables.
pub fn key_of(name: &Name) -> Box<[u8]> {
    WireName::new(name).key().into()
}

/// A scratch buffer for [`WireName::wildcard_key`].
pub fn wildcard_buffer() -> [u8; MAX_WIRE + 2] {
    [0; MAX_WIRE + 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_ancestors() {
        let name = Name::from_ascii("WwW.Example.com.").unwrap();
        let wire = WireName::new(&name);
        assert_eq!(wire.labels(), 3);
        assert_eq!(wire.key(), b"\x03www\x07example\x03com\x00");
        assert_eq!(wire.suffix(1), b"\x07example\x03com\x00");
        assert_eq!(wire.suffix(3), b"\x00");
        let mut buf = wildcard_buffer();
        let len = wire.wildcard_key(1, &mut buf);
        assert_eq!(&buf[..len], b"\x01*\x07example\x03com\x00");
        assert_eq!(
            &*key_of(&Name::from_ascii("example.COM.").unwrap()),
            wire.suffix(1)
        );
    }
}
