//! A value written back as zone TOML text, with every name absolute: the
//! readable form for the types with one, RFC 3597's generic form for the
//! rest. `alwayson import` writes what this returns; [`super::parse_rdata`]
//! reads it back to the same bytes.

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable};

use super::svcb::key_name;
use super::text::{quoted, to_base64, to_hex};

/// The text of `rdata` as a zone TOML value.
pub fn present(rdata: &RData) -> String {
    let wire = rdata.to_bytes().unwrap_or_default();
    let readable = match rdata {
        RData::A(_)
        | RData::AAAA(_)
        | RData::CNAME(_)
        | RData::NS(_)
        | RData::PTR(_)
        | RData::MX(_)
        | RData::SRV(_) => Some(rdata.to_string()),
        _ => readable(rdata.record_type(), &wire),
    };
    readable.unwrap_or_else(|| generic(&wire))
}

/// `\# LENGTH HEX`.
fn generic(wire: &[u8]) -> String {
    if wire.is_empty() {
        "\\# 0".to_string()
    } else {
        format!("\\# {} {}", wire.len(), to_hex(wire))
    }
}

fn readable(rtype: RecordType, wire: &[u8]) -> Option<String> {
    match (rtype, wire) {
        (RecordType::TLSA, [usage, selector, matching, data @ ..]) if !data.is_empty() => {
            Some(format!("{usage} {selector} {matching} {}", to_hex(data)))
        }
        (RecordType::SSHFP, [algorithm, fp_type, data @ ..]) if !data.is_empty() => {
            Some(format!("{algorithm} {fp_type} {}", to_hex(data)))
        }
        (RecordType::DS, [t0, t1, algorithm, digest_type, data @ ..]) if !data.is_empty() => {
            let tag = u16::from_be_bytes([*t0, *t1]);
            Some(format!("{tag} {algorithm} {digest_type} {}", to_hex(data)))
        }
        (RecordType::NAPTR, _) => naptr(wire),
        (RecordType::SVCB | RecordType::HTTPS, _) => svcb(wire),
        _ => None,
    }
}

/// A cursor over wire bytes.
struct Wire<'a>(BinDecoder<'a>);

impl Wire<'_> {
    fn u16(&mut self) -> Option<u16> {
        self.0.read_u16().ok().map(|v| v.unverified())
    }

    fn bytes(&mut self, len: usize) -> Option<Vec<u8>> {
        self.0.read_vec(len).ok().map(|v| v.unverified())
    }

    fn name(&mut self) -> Option<Name> {
        Name::read(&mut self.0).ok()
    }

    fn character_string(&mut self) -> Option<Vec<u8>> {
        let len = self.0.read_u8().ok()?.unverified();
        self.bytes(usize::from(len))
    }
}

fn naptr(wire: &[u8]) -> Option<String> {
    let mut w = Wire(BinDecoder::new(wire));
    let (order, preference) = (w.u16()?, w.u16()?);
    let flags = quoted(&w.character_string()?, &[]);
    let services = quoted(&w.character_string()?, &[]);
    let regexp = quoted(&w.character_string()?, &[]);
    let replacement = w.name()?.to_ascii();
    w.0.is_empty()
        .then(|| format!("{order} {preference} {flags} {services} {regexp} {replacement}"))
}

fn svcb(wire: &[u8]) -> Option<String> {
    let mut w = Wire(BinDecoder::new(wire));
    let priority = w.u16()?;
    let mut out = format!("{priority} {}", w.name()?.to_ascii());
    while !w.0.is_empty() {
        let (key, len) = (w.u16()?, w.u16()?);
        let value = w.bytes(usize::from(len))?;
        out.push(' ');
        out.push_str(&key_name(key));
        let text = param(key, &value)?;
        if !text.is_empty() {
            out.push('=');
            out.push_str(&text);
        }
    }
    Some(out)
}

/// One parameter's value as text; `None` when it is malformed.
fn param(key: u16, value: &[u8]) -> Option<String> {
    let list = |items: Vec<String>| items.join(",");
    let width = match key {
        0 => 2,
        4 => 4,
        6 => 16,
        _ => 1,
    };
    if !value.len().is_multiple_of(width) {
        return None;
    }
    match key {
        0 => Some(list(
            value
                .chunks_exact(2)
                .map(|k| key_name(u16::from_be_bytes([k[0], k[1]])))
                .collect(),
        )),
        1 => {
            let mut w = Wire(BinDecoder::new(value));
            let mut ids = Vec::new();
            while !w.0.is_empty() {
                // Commas inside an id are escaped so the list splits right.
                let id = quoted(&w.character_string()?, b",");
                ids.push(id.get(1..id.len() - 1)?.to_string());
            }
            Some(format!("\"{}\"", ids.join(",")))
        }
        2 => Some(String::new()),
        3 => <[u8; 2]>::try_from(value)
            .ok()
            .map(|p| u16::from_be_bytes(p).to_string()),
        4 => Some(list(
            value
                .chunks_exact(4)
                .map(|a| Ipv4Addr::from([a[0], a[1], a[2], a[3]]).to_string())
                .collect(),
        )),
        5 => Some(to_base64(value)),
        6 => Some(list(
            value
                .chunks_exact(16)
                .filter_map(|a| <[u8; 16]>::try_from(a).ok())
                .map(|a| Ipv6Addr::from(a).to_string())
                .collect(),
        )),
        _ if value.is_empty() => Some(String::new()),
        _ => Some(quoted(value, &[])),
    }
}
