//! Reading the common query straight from its bytes: opcode QUERY, one
//! class-IN question in plain labels, no answer or authority records, and
//! at most one OPT (version 0) whose options are ECS, NSID (empty),
//! cookie, keepalive or padding, each well formed and at most once.
//! Anything else is `None` and takes the general path, which also answers
//! what hickory would reject; so this parser only ever accepts a subset of
//! what hickory accepts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::rdata::opt::ClientSubnet;

/// The DNS header.
const HEADER: usize = 12;
/// The longest name in wire form.
const MAX_NAME: usize = 255;
/// The OPT record type.
const OPT: u16 = 41;

/// A query the fast path answers, borrowed from its datagram.
#[derive(Clone, Copy, Debug)]
pub(super) struct FastQuery<'p> {
    pub packet: &'p [u8],
    /// The question's name, as sent (case kept).
    pub name: &'p [u8],
    /// The question section: name, type, class.
    pub question: &'p [u8],
    pub qtype: u16,
    pub edns: Option<Opt<'p>>,
}

/// The request's OPT, reduced to what the answer depends on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Opt<'p> {
    pub payload: u16,
    /// The client subnet as sent (masked later, as `dns::edns` does).
    pub ecs: Option<ClientSubnet>,
    /// An empty NSID option asks for ours.
    pub nsid: bool,
    /// DO: the client wants DNSSEC records.
    pub dnssec_ok: bool,
    /// CO: compact answers OK (RFC 9824).
    pub compact_ok: bool,
    /// The COOKIE option's data, as received.
    pub cookie: Option<&'p [u8]>,
    /// The client asked for the TCP keepalive (RFC 7828).
    pub keepalive: bool,
}

/// Reads `packet` (a query: QR is already known to be 0).
pub(super) fn parse(packet: &[u8]) -> Option<FastQuery<'_>> {
    let header = packet.get(..HEADER)?;
    let count = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
    let opcode = (header[2] >> 3) & 0x0F;
    if opcode != 0 || count(4) != 1 || count(6) != 0 || count(8) != 0 || count(10) > 1 {
        return None;
    }
    let name_len = name_length(packet.get(HEADER..)?)?;
    let fixed = packet.get(HEADER + name_len..HEADER + name_len + 4)?;
    let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
    if qclass != 1 {
        return None;
    }
    let end = HEADER + name_len + 4;
    let edns = match count(10) {
        0 if end == packet.len() => None,
        1 => Some(opt(packet.get(end..)?)?),
        _ => return None,
    };
    Some(FastQuery {
        packet,
        name: &packet[HEADER..HEADER + name_len],
        question: &packet[HEADER..end],
        qtype,
        edns,
    })
}

/// The length of the uncompressed name at the start of `wire`.
fn name_length(wire: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let len = usize::from(*wire.get(at)?);
        if len == 0 {
            return Some(at + 1);
        }
        if len > 63 || at + 1 + len + 1 > MAX_NAME {
            return None;
        }
        at += 1 + len;
    }
}

/// An OPT record that ends the datagram: root owner, version 0.
fn opt(record: &[u8]) -> Option<Opt<'_>> {
    let fixed = record.get(..11)?;
    let u16_at = |i: usize| u16::from_be_bytes([fixed[i], fixed[i + 1]]);
    if fixed[0] != 0 || u16_at(1) != OPT || fixed[5] != 0 || fixed[6] != 0 {
        return None;
    }
    let rdata = record.get(11..)?;
    if rdata.len() != usize::from(u16_at(9)) {
        return None;
    }
    let mut opt = Opt {
        payload: u16_at(3),
        ecs: None,
        nsid: false,
        dnssec_ok: fixed[7] & 0x80 != 0,
        compact_ok: fixed[7] & 0x40 != 0,
        cookie: None,
        keepalive: false,
    };
    let mut rest = rdata;
    let mut padding = false;
    while !rest.is_empty() {
        let head = rest.get(..4)?;
        let code = u16::from_be_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        let seen = match code {
            3 if len == 0 => std::mem::replace(&mut opt.nsid, true),
            8 => opt.ecs.replace(subnet(data)?).is_some(),
            10 => opt.cookie.replace(data).is_some(),
            11 => std::mem::replace(&mut opt.keepalive, true),
            12 => std::mem::replace(&mut padding, true),
            _ => return None,
        };
        if seen {
            return None;
        }
    }
    Some(opt)
}

/// An ECS option's data, exactly as long as its source prefix needs.
fn subnet(data: &[u8]) -> Option<ClientSubnet> {
    let head = data.get(..4)?;
    let family = u16::from_be_bytes([head[0], head[1]]);
    let (source, scope) = (head[2], head[3]);
    let addr = &data[4..];
    if addr.len() != usize::from(source).div_ceil(8) {
        return None;
    }
    let ip = match family {
        1 if source <= 32 => {
            let mut octets = [0u8; 4];
            octets[..addr.len()].copy_from_slice(addr);
            IpAddr::V4(Ipv4Addr::from(octets))
        }
        2 if source <= 128 => {
            let mut octets = [0u8; 16];
            octets[..addr.len()].copy_from_slice(addr);
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return None,
    };
    Some(ClientSubnet::new(ip, source, scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(additional: &[u8], arcount: u8) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, arcount];
        q.extend_from_slice(b"\x03WwW\x07example\x00\x00\x01\x00\x01");
        q.extend_from_slice(additional);
        q
    }

    #[test]
    fn plain_and_edns_queries_are_read() {
        let plain = query(&[], 0);
        let q = parse(&plain).unwrap();
        assert_eq!(q.name, b"\x03WwW\x07example\x00");
        assert_eq!(q.qtype, 1);
        assert!(q.edns.is_none());
        let ecs = [
            0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 15, 0, 3, 0, 0, 0, 8, 0, 7, 0, 1, 24, 0, 10, 1, 2,
        ];
        let with = query(&ecs, 1);
        let opt = parse(&with).unwrap().edns.unwrap();
        assert_eq!(opt.payload, 1024);
        assert!(opt.nsid);
        let subnet = opt.ecs.unwrap();
        assert_eq!(subnet.addr(), "10.1.2.0".parse::<IpAddr>().unwrap());
        assert_eq!(subnet.source_prefix(), 24);
    }

    #[test]
    fn anything_unusual_is_left_to_the_general_path() {
        assert!(parse(&query(&[], 1)).is_none(), "a missing OPT");
        assert!(parse(&query(&[0], 0)).is_none(), "trailing bytes");
        let version1 = [0, 0, 41, 4, 0, 0, 1, 0, 0, 0, 0];
        assert!(parse(&query(&version1, 1)).is_none());
        let short_ecs = [0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 7, 0, 8, 0, 3, 0, 1, 24];
        assert!(parse(&query(&short_ecs, 1)).is_none());
        let unknown = [0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 4, 0, 99, 0, 0];
        assert!(parse(&query(&unknown, 1)).is_none());
        let mut pointer = query(&[], 0);
        pointer[12] = 0xC0;
        assert!(parse(&pointer).is_none());
        let mut notify = query(&[], 0);
        notify[2] = 0x20;
        assert!(parse(&notify).is_none());
    }
}
