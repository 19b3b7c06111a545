//! Denial of existence, synthesized per answer.
//!
//! Compact denial (RFC 9824, as Cloudflare and NS1 serve it): a name that
//! does not exist gets NOERROR with one NSEC at the query name whose next
//! name is `\000.<qname>` and whose bitmap is `RRSIG NSEC NXNAME`; a client
//! that sets the EDNS CO flag gets the NXDOMAIN rcode back. NODATA (also at
//! an empty non-terminal, a wildcard or a fail-closed policy) is the NSEC at
//! the name with the types that answer there. Two signatures per negative
//! answer (SOA and NSEC), no zone walking, and nothing to precompute.
//!
//! A wildcard expansion also needs an NSEC covering the next closer name
//! (RFC 4035 §5.3.4): an RFC 4470 "white lie" around that name.

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// NXNAME (RFC 9824), a meta-type only seen in NSEC bitmaps.
pub fn nxname() -> RecordType {
    RecordType::from(128)
}

fn nsec(owner: &Name, ttl: u32, next: Name, types: impl IntoIterator<Item = RecordType>) -> Record {
    let rdata = NSEC::new(next, types);
    Record::from_rdata(owner.clone(), ttl, RData::DNSSEC(DNSSECRData::NSEC(rdata)))
}

/// `\000.<name>`, lowercased so that the signature does not depend on the
/// query's 0x20 case.
fn immediate_successor(name: &Name) -> Option<Name> {
    name.to_lowercase().prepend_label(&[0u8][..]).ok()
}

/// The NSEC proving that `qname` does not exist (compact denial).
pub fn nxdomain(qname: &Name, ttl: u32) -> Option<Record> {
    let next = immediate_successor(qname)?;
    Some(nsec(
        qname,
        ttl,
        next,
        [RecordType::RRSIG, RecordType::NSEC, nxname()],
    ))
}

/// The NSEC at `name` listing `types` (plus RRSIG and NSEC): the proof of
/// a NODATA there, and the answer to an NSEC query.
pub fn at_name(name: &Name, ttl: u32, types: &[RecordType]) -> Option<Record> {
    let next = immediate_successor(name)?;
    let all = types
        .iter()
        .copied()
        .chain([RecordType::RRSIG, RecordType::NSEC]);
    Some(nsec(name, ttl, next, all))
}

/// An RFC 4470 NSEC covering `name` and nothing that exists near it: owner
/// = `name` with the last octet of its first label decremented and `\255`
/// appended, next = the first label with `\000` appended. None for labels
/// where that form does not work (63 octets, or `\000`).
pub fn covering(name: &Name, ttl: u32) -> Option<Record> {
    let mut labels: Vec<Vec<u8>> = name.to_lowercase().iter().map(<[u8]>::to_vec).collect();
    let first = labels.first()?.clone();
    if first.len() >= 63 || first == [0] {
        return None;
    }
    labels[0] = [&first[..], &[0u8]].concat();
    let next = Name::from_labels(labels.clone()).ok()?;
    let (&last, rest) = first.split_last()?;
    let mut owner = rest.to_vec();
    if last != 0 {
        let down = last - 1;
        owner.extend([
            if down.is_ascii_uppercase() {
                b'@'
            } else {
                down
            },
            0xFF,
        ]);
    }
    labels[0] = owner;
    let owner = Name::from_labels(labels).ok()?;
    Some(nsec(
        &owner,
        ttl,
        next,
        [RecordType::RRSIG, RecordType::NSEC],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::serialize::binary::BinEncodable;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn compact_denial_bitmap_holds_nxname() {
        let r = nxdomain(&name("Nope.Example."), 300).unwrap();
        let RData::DNSSEC(DNSSECRData::NSEC(n)) = &r.data else {
            panic!()
        };
        assert_eq!(n.next_domain_name().to_ascii(), "\\000.nope.example.");
        // RRSIG NSEC TYPE128: window 0, 17 octets, last one 0x80.
        let bytes = r.data.to_bytes().unwrap();
        assert_eq!(&bytes[bytes.len() - 19..bytes.len() - 17], &[0, 17]);
        assert_eq!(bytes[bytes.len() - 1], 0x80);
    }

    #[test]
    fn a_white_lie_covers_the_name_and_ends_just_after_it() {
        let r = covering(&name("bar.wild.example."), 300).unwrap();
        let RData::DNSSEC(DNSSECRData::NSEC(n)) = &r.data else {
            panic!()
        };
        let owner: Vec<Vec<u8>> = r.name.iter().map(<[u8]>::to_vec).collect();
        assert_eq!(owner[0], b"baq\xff");
        let next: Vec<Vec<u8>> = n.next_domain_name().iter().map(<[u8]>::to_vec).collect();
        assert_eq!(next[0], b"bar\0");
        assert!(
            r.name < name("bar.wild.example.") && name("bar.wild.example.") < *n.next_domain_name()
        );
        assert!(covering(&name(&format!("{}.example.", "a".repeat(63))), 1).is_none());
    }
}
