//! Name compression against the question. hickory's encoder compresses
//! names that repeat names it wrote itself, but it copies the question as
//! the client sent it and registers it in a form no name matches, so an
//! answer's owner (`www.example.com.` after the question
//! `www.example.com.`) was written in full. [`QuestionName::seed`]
//! registers every suffix of the question's name, lowercased, before the
//! response is written: owners and the names in NS, CNAME, SOA, MX and PTR
//! data that equal the question or end in one of its suffixes become a
//! pointer into the question, as Knot and NSD write them (case-insensitive,
//! so a client's 0x20 case randomisation does not defeat it). Names inside
//! other types' data are never compressed (hickory follows RFC 3597 §4).
//!
//! Invariant: the seeded pointers point at offset 12, where the response's
//! question starts; [`QuestionName::is_question_of`] checks after writing
//! that the response really carries this question there.

use hickory_proto::ProtoError;
use hickory_proto::serialize::binary::BinEncoder;

/// Where the question starts in a DNS message.
const QUESTION_OFFSET: usize = 12;
/// The longest name in wire form.
const MAX_NAME: usize = 255;

/// A question's name in wire form, lowercased, without pointers.
#[derive(Clone, Copy)]
pub(crate) struct QuestionName {
    bytes: [u8; MAX_NAME],
    len: usize,
}

impl QuestionName {
    /// The name of the only question of `message` (None: not exactly one
    /// question, or a name that is not plain labels).
    pub(crate) fn of_message(message: &[u8]) -> Option<Self> {
        let qdcount = message.get(4..6)?;
        if qdcount != [0, 1] {
            return None;
        }
        Self::parse(message.get(QUESTION_OFFSET..)?)
    }

    /// The name at the start of `question` (wire: name, type, class).
    pub(crate) fn parse(question: &[u8]) -> Option<Self> {
        let mut bytes = [0u8; MAX_NAME];
        let mut at = 0;
        loop {
            let len = usize::from(*question.get(at)?);
            if len > 63 || at + 1 + len > MAX_NAME {
                return None;
            }
            let label = question.get(at..=at + len)?;
            for (to, from) in bytes[at..=at + len].iter_mut().zip(label) {
                *to = from.to_ascii_lowercase();
            }
            at += 1 + len;
            if len == 0 {
                return Some(Self { bytes, len: at });
            }
        }
    }

    fn wire(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Registers every suffix of this name (but the root) in `encoder`,
    /// which must be empty; the message is then written from offset 0.
    pub(crate) fn seed(&self, encoder: &mut BinEncoder<'_>) -> Result<(), ProtoError> {
        encoder.emit_vec(&[0u8; QUESTION_OFFSET])?;
        encoder.emit_vec(self.wire())?;
        // The labels without the root's zero byte, as hickory compares them.
        let end = QUESTION_OFFSET + self.len - 1;
        let mut at = 0;
        while at + 1 < self.len {
            encoder.store_label_pointer(QUESTION_OFFSET + at, end);
            at += 1 + usize::from(self.bytes[at]);
        }
        encoder.set_offset(0);
        Ok(())
    }

    /// Whether `message` carries this name as its only question.
    pub(crate) fn is_question_of(&self, message: &[u8]) -> bool {
        Self::of_message(message).is_some_and(|q| q.wire() == self.wire())
    }
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{Message, Query};
    use hickory_proto::rr::{Name, RData, Record, RecordType};

    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn only_plain_single_questions_are_taken() {
        let mut query = Message::query();
        query.add_query(Query::query(name("WwW.Example.COM."), RecordType::A));
        let bytes = query.to_vec().unwrap();
        let q = QuestionName::of_message(&bytes).unwrap();
        assert_eq!(q.wire(), b"\x03www\x07example\x03com\x00");
        assert!(q.is_question_of(&bytes));
        let mut none = bytes.clone();
        none[5] = 0;
        assert!(QuestionName::of_message(&none).is_none());
        let mut pointer = bytes.clone();
        pointer[12] = 0xC0;
        assert!(QuestionName::of_message(&pointer).is_none());
        assert!(QuestionName::parse(&[3, b'a']).is_none(), "truncated");
    }

    #[test]
    fn names_under_the_question_become_pointers_in_any_case() {
        let mut message = Message::query();
        message.add_query(Query::query(name("WwW.Example.COM."), RecordType::A));
        let ns = Record::from_rdata(
            name("www.example.com."),
            60,
            RData::CNAME(hickory_proto::rr::rdata::CNAME(name("host.example.com."))),
        );
        message.add_answer(ns);
        let plain = message.to_vec().unwrap();
        let q = QuestionName::of_message(&plain).unwrap();
        let mut bytes = Vec::new();
        let mut encoder = BinEncoder::new(&mut bytes);
        q.seed(&mut encoder).unwrap();
        hickory_proto::serialize::binary::BinEncodable::emit(&message, &mut encoder).unwrap();
        let end = encoder.offset();
        bytes.truncate(end);
        // The owner becomes a pointer to 12 (hickory's own encoding already
        // wrote the CNAME target as "host" + a pointer into the owner).
        assert_eq!(plain.len() - bytes.len(), 17 - 2);
        assert_eq!(
            &bytes[12 + 21..12 + 23],
            &[0xC0, 12],
            "the owner points at the question"
        );
        let parsed = Message::from_vec(&bytes).unwrap();
        assert_eq!(
            parsed.answers[0].name.to_ascii().to_lowercase(),
            "www.example.com."
        );
        assert_eq!(
            parsed.queries[0].name().to_ascii(),
            "WwW.Example.COM.",
            "the question's case is kept"
        );
        assert!(q.is_question_of(&bytes));
    }
}
