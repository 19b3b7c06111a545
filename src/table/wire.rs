//! Precomputed wire form of an RRset for the UDP fast path (`dns::fast`):
//! every record's TYPE CLASS TTL RDLENGTH RDATA without the owner, in one
//! boxed byte slice, with the offsets of the names inside RDATA that the
//! writer compresses (NS, CNAME, PTR, MX exchange, SOA mname and rname) or
//! only registers for later pointers (the SRV target, which RFC 2782 keeps
//! uncompressed). Names are stored uncompressed, in the zone's case.
//!
//! Layout: `[records u8][names u8][owner length u8][owner…][names ×
//! offset u16][records…][additionals…]`, each offset relative to the first
//! record, with
//! [`STORE_ONLY`] set for names that are never compressed. The additional
//! records (A and AAAA of in-zone targets) follow the records, each with
//! its owner in front (uncompressed, in the zone's case). Data of unknown
//! types (RFC 3597, DNAME included) is copied as is. Other types whose
//! names hickory's encoder would register (SVCB, NAPTR, ...) get no wire
//! form: their queries take the general path. So does an RRset whose owner has upper-case letters
//! (the fast path writes owners from lowercase keys), and one of more than
//! 255 records or names. The owner (lowercase, uncompressed) is there for
//! [`decode`] only: the fast path writes the owner from the query. A
//! one-record A RRset takes 17 bytes plus its owner.

use hickory_proto::rr::{Name, RData, Record};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable};

/// Set on a name offset whose name is written in full (never compressed).
pub const STORE_ONLY: u16 = 0x8000;
/// The largest wire form kept (offsets must stay below [`STORE_ONLY`]).
const MAX_WIRE: usize = 0x4000;

/// The wire form of `records` (all of one owner), or None when the fast
/// path cannot write them.
pub fn encode(records: &[Record], additionals: &[Record]) -> Option<Box<[u8]>> {
    let mut body = Vec::new();
    let mut names: Vec<u16> = Vec::new();
    for record in records {
        if !is_lowercase(&record.name) {
            return None;
        }
        body.extend_from_slice(&u16::from(record.record_type()).to_be_bytes());
        body.extend_from_slice(&u16::from(record.dns_class).to_be_bytes());
        body.extend_from_slice(&record.ttl.to_be_bytes());
        let len_at = body.len();
        body.extend_from_slice(&[0, 0]);
        rdata(&record.data, &mut body, &mut names)?;
        let rdlen = u16::try_from(body.len() - len_at - 2).ok()?;
        body[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        if body.len() >= MAX_WIRE {
            return None;
        }
    }
    for record in additionals {
        if !matches!(record.data, RData::A(_) | RData::AAAA(_)) {
            return None;
        }
        let mut ignored = Vec::new();
        rdata_name(&mut body, &record.name, 0, &mut ignored)?;
        body.extend_from_slice(&u16::from(record.record_type()).to_be_bytes());
        body.extend_from_slice(&u16::from(record.dns_class).to_be_bytes());
        body.extend_from_slice(&record.ttl.to_be_bytes());
        let data = record.data.to_bytes().ok()?;
        body.extend_from_slice(&u16::try_from(data.len()).ok()?.to_be_bytes());
        body.extend_from_slice(&data);
    }
    if body.len() >= MAX_WIRE {
        return None;
    }
    let mut owner = Vec::new();
    if let Some(first) = records.first() {
        rdata_name(&mut owner, &first.name, 0, &mut Vec::new())?;
    }
    let mut out = Vec::with_capacity(3 + owner.len() + 2 * names.len() + body.len());
    out.push(u8::try_from(records.len()).ok()?);
    out.push(u8::try_from(names.len()).ok()?);
    out.push(u8::try_from(owner.len()).ok()?);
    out.extend_from_slice(&owner);
    for name in &names {
        out.extend_from_slice(&name.to_be_bytes());
    }
    out.extend_from_slice(&body);
    Some(out.into_boxed_slice())
}

/// The records and the additional records of a wire form, decoded (names
/// as stored: the owner lowercase, names inside data in the zone's case).
pub fn decode(bytes: &[u8]) -> Option<(Vec<Record>, Vec<Record>)> {
    let wire = WireRrset::new(bytes);
    let (owner, body) = (wire.owner(), wire.records());
    let mut records = Vec::with_capacity(usize::from(wire.count()));
    let mut at = 0;
    let mut one = Vec::new();
    for _ in 0..wire.count() {
        let rdlen = usize::from(u16::from_be_bytes([*body.get(at + 8)?, *body.get(at + 9)?]));
        one.clear();
        one.extend_from_slice(owner);
        one.extend_from_slice(body.get(at..at + 10 + rdlen)?);
        records.push(Record::from_bytes(&one).ok()?);
        at += 10 + rdlen;
    }
    let mut additionals = Vec::new();
    let mut decoder = BinDecoder::new(body.get(at..)?);
    while !decoder.is_empty() {
        additionals.push(Record::read(&mut decoder).ok()?);
    }
    Some((records, additionals))
}

/// Appends `data` to `body`, noting where its names start.
fn rdata(data: &RData, body: &mut Vec<u8>, names: &mut Vec<u16>) -> Option<()> {
    let mut name = |body: &mut Vec<u8>, n: &Name, flag: u16| rdata_name(body, n, flag, names);
    match data {
        RData::CNAME(n) => name(body, &n.0, 0),
        RData::NS(n) => name(body, &n.0, 0),
        RData::PTR(n) => name(body, &n.0, 0),
        RData::MX(mx) => {
            body.extend_from_slice(&mx.preference.to_be_bytes());
            name(body, &mx.exchange, 0)
        }
        RData::SRV(srv) => {
            body.extend_from_slice(&srv.priority.to_be_bytes());
            body.extend_from_slice(&srv.weight.to_be_bytes());
            body.extend_from_slice(&srv.port.to_be_bytes());
            name(body, &srv.target, STORE_ONLY)
        }
        RData::SOA(soa) => {
            name(body, &soa.mname, 0)?;
            name(body, &soa.rname, 0)?;
            for v in [soa.serial, soa.refresh as u32, soa.retry as u32] {
                body.extend_from_slice(&v.to_be_bytes());
            }
            for v in [soa.expire as u32, soa.minimum] {
                body.extend_from_slice(&v.to_be_bytes());
            }
            Some(())
        }
        RData::A(_)
        | RData::AAAA(_)
        | RData::TXT(_)
        | RData::CAA(_)
        | RData::SSHFP(_)
        | RData::TLSA(_)
        // RFC 3597 data (DNAME too): copied, never compressed or pointed into.
        | RData::Unknown { .. } => {
            body.extend_from_slice(&data.to_bytes().ok()?);
            Some(())
        }
        _ => None,
    }
}

/// Appends `n` in wire form (case kept) to `body`, noting its offset.
fn rdata_name(body: &mut Vec<u8>, n: &Name, flag: u16, names: &mut Vec<u16>) -> Option<()> {
    names.push(u16::try_from(body.len()).ok()? | flag);
    for label in n.iter() {
        body.push(u8::try_from(label.len()).ok()?);
        body.extend_from_slice(label);
    }
    body.push(0);
    Some(())
}

/// Whether `name` has no upper-case ASCII letter.
fn is_lowercase(name: &Name) -> bool {
    name.iter().flatten().all(|b| !b.is_ascii_uppercase())
}

/// A reader over one wire form (see the module doc for its layout).
#[derive(Clone, Copy, Debug)]
pub struct WireRrset<'a> {
    bytes: &'a [u8],
}

impl<'a> WireRrset<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn byte(&self, at: usize) -> usize {
        usize::from(self.bytes.get(at).copied().unwrap_or(0))
    }

    /// How many records.
    pub fn count(&self) -> u16 {
        u16::from(self.bytes.first().copied().unwrap_or(0))
    }

    /// Where the name offset table starts (after the owner).
    fn table(&self) -> usize {
        3 + self.byte(2)
    }

    /// The owner, lowercase and uncompressed (empty without records).
    pub fn owner(&self) -> &'a [u8] {
        self.bytes.get(3..self.table()).unwrap_or_default()
    }

    /// The name offsets (relative to [`WireRrset::records`]), ascending.
    pub fn names(&self) -> impl Iterator<Item = u16> + 'a {
        let at = self.table();
        let table = self
            .bytes
            .get(at..at + 2 * self.byte(1))
            .unwrap_or_default();
        table
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    /// Whether additional records follow the records.
    pub fn has_additionals(&self) -> bool {
        let body = self.records();
        let mut at = 0;
        for _ in 0..self.count() {
            let Some(len) = body.get(at + 8..at + 10) else {
                return false;
            };
            at += 10 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        }
        at < body.len()
    }

    /// The records, one after another, then the additional records.
    pub fn records(&self) -> &'a [u8] {
        self.bytes
            .get(self.table() + 2 * self.byte(1)..)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {

    use hickory_proto::rr::rdata::{CNAME, MX};

    use super::*;

    #[test]
    fn names_are_found_and_upper_case_owners_refused() {
        let owner = Name::from_ascii("www.example.").unwrap();
        let mx = RData::MX(MX::new(10, Name::from_ascii("Mail.example.").unwrap()));
        let cname = RData::CNAME(CNAME(Name::from_ascii("a.example.").unwrap()));
        let records = [
            Record::from_rdata(owner.clone(), 60, mx),
            Record::from_rdata(owner.clone(), 60, cname),
        ];
        let bytes = encode(&records, &[]).unwrap();
        let wire = WireRrset::new(&bytes);
        assert_eq!(wire.count(), 2);
        let names: Vec<u16> = wire.names().collect();
        // MX: type class ttl rdlen (10) + preference (2).
        assert_eq!(names[0], 12);
        let body = wire.records();
        assert_eq!(&body[12..18], b"\x04Mail\x07");
        assert_eq!(names[1], 12 + 14 + 10);
        let a = Record::from_rdata(owner.clone(), 60, RData::A("192.0.2.1".parse().unwrap()));
        let one = encode(std::slice::from_ref(&a), &[]).unwrap();
        assert_eq!(one.len(), 17 + 13);
        assert_eq!(WireRrset::new(&one).owner(), b"\x03www\x07example\x00");
        assert_eq!(decode(&one).unwrap(), (vec![a], Vec::new()));
        let upper = Record::from_rdata(
            Name::from_ascii("WWW.example.").unwrap(),
            60,
            RData::A("192.0.2.1".parse().unwrap()),
        );
        assert!(encode(&[upper], &[]).is_none());
    }
}
