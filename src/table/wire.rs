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

use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
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

/// The wire form of an RRset of addresses (`N` = 4: A, 16: AAAA) owned by
/// `owner`, written straight from the bytes: the same bytes [`encode`]
/// gives for their records, without building them. None where `encode`
/// gives none (an upper-case owner, more than 255 records) or for no
/// addresses (left to `encode`).
pub fn encode_addresses<const N: usize>(
    owner: &Name,
    ttl: u32,
    addresses: impl ExactSizeIterator<Item = [u8; N]>,
) -> Option<Box<[u8]>> {
    let rtype = match N {
        4 => RecordType::A,
        16 => RecordType::AAAA,
        _ => return None,
    };
    let count = u8::try_from(addresses.len()).ok().filter(|&c| c > 0)?;
    let body_len = usize::from(count) * (10 + N);
    if !is_lowercase(owner) || body_len >= MAX_WIRE {
        return None;
    }
    let owner_len = u8::try_from(wire_len(owner)).ok()?;
    let mut out = Vec::with_capacity(3 + usize::from(owner_len) + body_len);
    out.extend_from_slice(&[count, 0, owner_len]);
    rdata_name(&mut out, owner, 0, &mut Vec::new())?;
    let mut header = [0u8; 10];
    header[..2].copy_from_slice(&u16::from(rtype).to_be_bytes());
    header[2..4].copy_from_slice(&u16::from(DNSClass::IN).to_be_bytes());
    header[4..8].copy_from_slice(&ttl.to_be_bytes());
    header[8..].copy_from_slice(&(N as u16).to_be_bytes());
    for address in addresses {
        out.extend_from_slice(&header);
        out.extend_from_slice(&address);
    }
    Some(out.into_boxed_slice())
}

/// The size of a wire form's records and additional records each encoded
/// alone, without compression (each record's owner in full): an upper
/// bound of what they take in any message.
pub fn encoded_size(bytes: &[u8]) -> usize {
    let wire = WireRrset::new(bytes);
    wire.records().len() + usize::from(wire.count()) * wire.owner().len()
}

/// The length of `name` in uncompressed wire form.
fn wire_len(name: &Name) -> usize {
    name.iter().map(|label| label.len() + 1).sum::<usize>() + 1
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

    fn records(owner: &Name, data: &[RData]) -> Vec<Record> {
        data.iter()
            .map(|d| Record::from_rdata(owner.clone(), 300, d.clone()))
            .collect()
    }

    #[test]
    fn addresses_are_written_as_their_records_encode() {
        let v4 = |s: &str| s.parse::<std::net::Ipv4Addr>().unwrap();
        let v6 = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap();
        let long = format!("{0}.{1}.{1}.{1}.example.", "a".repeat(60), "b".repeat(60));
        let owners = ["www.example.", "*.wild.example.", "example.", long.as_str()];
        let one = [v4("192.0.2.1")];
        let several: Vec<_> = (0..40u8).map(|i| v4(&format!("198.51.100.{i}"))).collect();
        let six = [v6("2001:db8::1"), v6("2001:db8::2"), v6("::ffff:192.0.2.9")];
        for owner in owners.map(|o| Name::from_ascii(o).unwrap()) {
            for a in [&one[..], &several[..]] {
                let data: Vec<RData> = a.iter().map(|&a| RData::A(a.into())).collect();
                let direct = encode_addresses(&owner, 300, a.iter().map(|a| a.octets()));
                let general = encode(&records(&owner, &data), &[]);
                assert!(direct.is_some(), "{owner}");
                assert_eq!(direct, general, "{owner} {}", a.len());
                let direct = direct.unwrap();
                let sizes: usize = records(&owner, &data)
                    .iter()
                    .map(|r| r.to_bytes().unwrap().len())
                    .sum();
                assert_eq!(encoded_size(&direct), sizes);
            }
            let data: Vec<RData> = six.iter().map(|&a| RData::AAAA(a.into())).collect();
            let direct = encode_addresses(&owner, 300, six.iter().map(|a| a.octets()));
            assert!(direct.is_some());
            assert_eq!(direct, encode(&records(&owner, &data), &[]), "{owner}");
        }
        let upper = Name::from_ascii("WWW.example.").unwrap();
        assert_eq!(
            encode_addresses(&upper, 300, one.iter().map(|a| a.octets())),
            None
        );
        let many: Vec<_> = (0..256u16)
            .map(|i| v4(&format!("10.0.{}.{}", i / 256, i % 256)))
            .collect();
        let owner = Name::from_ascii("many.example.").unwrap();
        let data: Vec<RData> = many.iter().map(|&a| RData::A(a.into())).collect();
        assert_eq!(encode(&records(&owner, &data), &[]), None);
        assert_eq!(
            encode_addresses(&owner, 300, many.iter().map(|a| a.octets())),
            None
        );
        assert_eq!(encode_addresses::<4>(&owner, 300, std::iter::empty()), None);
    }

    #[test]
    fn encoded_size_bounds_what_each_record_takes() {
        let owner = Name::from_ascii("www.example.").unwrap();
        let mx = RData::MX(MX::new(10, Name::from_ascii("mail.example.").unwrap()));
        let glue = Record::from_rdata(
            Name::from_ascii("mail.example.").unwrap(),
            60,
            RData::A("192.0.2.7".parse().unwrap()),
        );
        let mx_records = records(&owner, &[mx]);
        let bytes = encode(&mx_records, std::slice::from_ref(&glue)).unwrap();
        // Uncompressed: the owner (13) + 10 + preference (2) + the exchange
        // in full (14), then the glue record alone.
        let glue_size = glue.to_bytes().unwrap().len();
        assert_eq!(encoded_size(&bytes), 13 + 10 + 2 + 14 + glue_size);
        let compressed = mx_records[0].to_bytes().unwrap().len() + glue_size;
        assert!(encoded_size(&bytes) >= compressed);
    }
}
