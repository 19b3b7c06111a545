//! Name compression without allocation, byte for byte as the general path
//! writes it (hickory's encoder seeded with the question by
//! `dns::compress`): a fixed table of at most 64 (offset, name suffix)
//! entries searched in insertion order, suffixes compared exactly (case
//! included), the question's suffixes registered lowercase, and a name's
//! suffixes registered as it is written in full. Only the first 120 names
//! of a message are compressed, as in hickory.

/// How many suffixes the table holds (hickory's candidate limit).
const MAX_ENTRIES: usize = 64;
/// How many names are compressed per message (hickory's limit).
const MAX_COMPRESSED: usize = 120;
/// Pointers reach offsets below this.
const POINTER_LIMIT: usize = 0x3FFF;

/// The written suffixes of one message.
pub(super) struct Compressor<'a> {
    entries: [(u16, &'a [u8]); MAX_ENTRIES],
    len: usize,
    compressed: usize,
}

impl<'a> Compressor<'a> {
    pub fn new() -> Self {
        Self {
            entries: [(0, &[]); MAX_ENTRIES],
            len: 0,
            compressed: 0,
        }
    }

    /// Registers `bytes` (a name's suffix without the root, or anything
    /// that no name equals) as written at `offset`, when the message is
    /// still short enough (`end`: where the name's labels end).
    pub fn store(&mut self, offset: usize, bytes: &'a [u8], end: usize) {
        if end < POINTER_LIMIT && self.len < MAX_ENTRIES {
            self.entries[self.len] = (offset as u16, bytes);
            self.len += 1;
        }
    }

    /// Registers every suffix of the lowercase question name `name` (wire,
    /// ending in the root) at offset `at`.
    pub fn seed(&mut self, name: &'a [u8], at: usize) {
        let end = name.len() - 1;
        let mut label = 0;
        while label < end {
            self.store(at + label, &name[label..end], at + name.len());
            label += 1 + usize::from(name[label]);
        }
    }

    fn find(&self, search: &[u8]) -> Option<u16> {
        self.entries[..self.len]
            .iter()
            .find(|(_, bytes)| *bytes == search)
            .map(|&(offset, _)| offset)
    }

    /// Writes `name` (uncompressed wire, ending in the root) to `out`: as a
    /// pointer to its longest written suffix when `compress`, registering
    /// the suffixes it writes in full.
    pub fn write(&mut self, out: &mut Vec<u8>, name: &'a [u8], compress: bool) {
        let start = out.len();
        let end = name.len().saturating_sub(1);
        let compress = compress && self.compressed < MAX_COMPRESSED;
        if compress {
            self.compressed += 1;
        }
        let mut label = 0;
        while label < end {
            let suffix = &name[label..end];
            if compress && let Some(at) = self.find(suffix).filter(|at| at & 0xC000 == 0) {
                out.extend_from_slice(&name[..label]);
                out.extend_from_slice(&(0xC000 | at).to_be_bytes());
                return;
            }
            self.store(start + label, suffix, start + end);
            label += 1 + usize::from(name[label]);
        }
        out.extend_from_slice(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_compare_exactly_and_in_order() {
        let question = b"\x03www\x07example\x00";
        let mut c = Compressor::new();
        c.seed(question, 12);
        let mut out = vec![0u8; 12];
        out.extend_from_slice(question);
        c.write(&mut out, question, true);
        assert_eq!(&out[25..], &[0xC0, 12]);
        c.write(&mut out, b"\x04mail\x07example\x00", true);
        assert_eq!(&out[27..], b"\x04mail\xC0\x10");
        // Case counts: "Mail" is not "mail", but example. still matches.
        c.write(&mut out, b"\x04Mail\x07example\x00", true);
        assert_eq!(&out[34..], b"\x04Mail\xC0\x10");
        c.write(&mut out, b"\x04mail\x07example\x00", false);
        assert_eq!(&out[41..], b"\x04mail\x07example\x00");
        c.write(&mut out, b"\x04mail\x07example\x00", true);
        assert_eq!(&out[55..], &[0xC0, 27], "the first registration wins");
    }
}
