//! RDATA as written in zone files (`"10 mail.example.com."` for MX), parsed
//! per record type into hickory's `RData`. Names in RDATA may be relative to
//! the origin. Every type also takes RFC 3597's generic form
//! (`\# LENGTH HEX`), and types without a text form here take only that.
//!
//! Each type's text form is its zone-file presentation format: TXT in
//! [`txt`], SVCB and HTTPS (RFC 9460) in [`svcb`], TLSA, SSHFP, DS and NAPTR
//! in [`fields`], the generic form in [`generic`]; [`present`] writes a
//! value back as text (what `alwayson import` emits).

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, NULL, PTR, SRV, TXT};
use hickory_proto::rr::{Name, RData, RecordType};

use crate::zone::names::parse_name;

mod error;
mod fields;
mod generic;
mod present;
mod svcb;
mod text;
mod txt;

pub use error::RdataError;
pub use generic::{parse_type, type_name};
pub use present::present;
pub use svcb::SvcbError;
pub use txt::parse_txt;

/// Record types a zone file may hold in `[[record]]` with their text form
/// (SOA comes from `[zone]`); other types take the generic form.
pub const SUPPORTED_TYPES: &[RecordType] = &[
    RecordType::A,
    RecordType::AAAA,
    RecordType::CNAME,
    RecordType::DNAME,
    RecordType::MX,
    RecordType::NS,
    RecordType::TXT,
    RecordType::SRV,
    RecordType::CAA,
    RecordType::PTR,
    RecordType::HTTPS,
    RecordType::SVCB,
    RecordType::TLSA,
    RecordType::SSHFP,
    RecordType::DS,
    RecordType::NAPTR,
];

/// Parses one value of type `rtype`.
pub fn parse_rdata(rtype: RecordType, text: &str, origin: &Name) -> Result<RData, RdataError> {
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    if fields.first() == Some(&"\\#") {
        return generic::parse(rtype, text, &fields[1..]);
    }
    match rtype {
        RecordType::A => single(&fields, "an IPv4 address")?
            .parse::<Ipv4Addr>()
            .map(|ip| RData::A(A(ip)))
            .map_err(|_| RdataError::Ipv4(text.to_owned())),
        RecordType::AAAA => single(&fields, "an IPv6 address")?
            .parse::<Ipv6Addr>()
            .map(|ip| RData::AAAA(AAAA(ip)))
            .map_err(|_| RdataError::Ipv6(text.to_owned())),
        RecordType::CNAME => Ok(RData::CNAME(CNAME(target(&fields, origin)?))),
        RecordType::NS => Ok(RData::NS(NS(target(&fields, origin)?))),
        RecordType::PTR => Ok(RData::PTR(PTR(target(&fields, origin)?))),
        RecordType::DNAME => Ok(dname_rdata(&target(&fields, origin)?)),
        RecordType::MX => {
            let [pref, exchange] = fields[..] else {
                return Err(RdataError::MxFields(text.to_owned()));
            };
            Ok(RData::MX(MX::new(
                number(pref, "MX preference")?,
                parse_name(exchange, origin)?,
            )))
        }
        RecordType::SRV => srv(text, &fields, origin),
        RecordType::CAA => {
            RData::try_from_str(RecordType::CAA, text).map_err(|reason| RdataError::Caa {
                text: text.to_owned(),
                reason,
            })
        }
        RecordType::TXT => parse_txt(text).map(|strings| {
            RData::TXT(TXT::from_bytes(strings.iter().map(Vec::as_slice).collect()))
        }),
        RecordType::HTTPS | RecordType::SVCB => {
            generic::from_wire(rtype, svcb::parse(rtype, text, origin)?)
        }
        RecordType::TLSA | RecordType::SSHFP | RecordType::DS | RecordType::NAPTR => {
            generic::from_wire(rtype, fields::parse(rtype, text, origin)?)
        }
        other => Err(RdataError::GenericOnly(type_name(other))),
    }
}

fn srv(text: &str, fields: &[&str], origin: &Name) -> Result<RData, RdataError> {
    let [priority, weight, port, host] = fields[..] else {
        return Err(RdataError::SrvFields(text.to_owned()));
    };
    Ok(RData::SRV(SRV::new(
        number(priority, "SRV priority")?,
        number(weight, "SRV weight")?,
        number(port, "SRV port")?,
        parse_name(host, origin)?,
    )))
}

/// DNAME has no typed RData in hickory 0.26: carry its target as raw,
/// uncompressed wire bytes (RFC 6672 forbids compressing it anyway).
pub fn dname_rdata(target: &Name) -> RData {
    RData::Unknown {
        code: RecordType::DNAME,
        rdata: NULL::with(name_wire(target)),
    }
}

/// The DNAME target carried by [`dname_rdata`].
pub fn dname_target(rdata: &RData) -> Option<Name> {
    match rdata {
        RData::Unknown { code, rdata } if *code == RecordType::DNAME => {
            let bytes = &rdata.anything;
            let mut decoder = hickory_proto::serialize::binary::BinDecoder::new(bytes);
            <Name as hickory_proto::serialize::binary::BinDecodable>::read(&mut decoder).ok()
        }
        _ => None,
    }
}

/// A name as uncompressed wire bytes.
fn name_wire(name: &Name) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 2);
    for label in name.iter() {
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
    out
}

fn single<'a>(fields: &[&'a str], what: &'static str) -> Result<&'a str, RdataError> {
    match fields {
        [one] => Ok(one),
        [] => Err(RdataError::Empty(what)),
        _ => Err(RdataError::FieldCount {
            what,
            count: fields.len(),
        }),
    }
}

fn target(fields: &[&str], origin: &Name) -> Result<Name, RdataError> {
    Ok(parse_name(single(fields, "a domain name")?, origin)?)
}

/// A 16-bit number field.
fn number(text: &str, what: &'static str) -> Result<u16, RdataError> {
    text.parse::<u16>().map_err(|_| RdataError::Number {
        what,
        text: text.to_owned(),
    })
}

/// An 8-bit number field.
fn byte(text: &str, what: &'static str) -> Result<u8, RdataError> {
    text.parse::<u8>().map_err(|_| RdataError::Byte {
        what,
        text: text.to_owned(),
    })
}

#[cfg(test)]
mod tests;
