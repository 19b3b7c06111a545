//! RFC 3597: record types by number (`TYPE65534`) and the generic RDATA
//! form `\# LENGTH HEX`, which every type accepts. Wire bytes become
//! hickory's typed `RData` when hickory reads them and writes them back
//! byte for byte, else they are served as they are.

use std::str::FromStr;

use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{RData, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, BinEncodable, Restrict};

use super::RdataError;
use super::text::hex;

/// Why a type field is not usable in a `[[record]]`.
#[derive(Debug, thiserror::Error)]
pub enum TypeError {
    /// Neither a mnemonic nor `TYPEnnn`.
    #[error("unknown record type {0:?}")]
    Unknown(String),
    /// A query-only, meta or DNSSEC-signature type, which a zone file cannot hold.
    #[error(
        "type {0} cannot be served from a zone file (a query, meta or signature type; alwayson does not sign zones)"
    )]
    NotData(String),
}

/// The type of a `[[record]]`: a mnemonic or `TYPEnnn` (any case). SOA is
/// returned (the caller explains where it goes); types that are not data
/// are refused.
pub fn parse_type(text: &str) -> Result<RecordType, TypeError> {
    let upper = text.trim().to_ascii_uppercase();
    let rtype = match upper.strip_prefix("TYPE").map(str::parse::<u16>) {
        Some(Ok(number)) => RecordType::from(number),
        _ => RecordType::from_str(&upper).map_err(|_| TypeError::Unknown(text.to_owned()))?,
    };
    let code = u16::from(rtype);
    let not_data = code == 0
        || code == 41
        || (128..=255).contains(&code)
        || matches!(
            rtype,
            RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3 | RecordType::SIG
        );
    if not_data {
        return Err(TypeError::NotData(type_name(rtype)));
    }
    Ok(rtype)
}

/// The mnemonic, or `TYPEnnn` for a type without one.
pub fn type_name(rtype: RecordType) -> String {
    match rtype {
        RecordType::Unknown(n) => format!("TYPE{n}"),
        known => known.to_string(),
    }
}

/// `\# LENGTH HEX...` (`fields` after the `\#`): the length must match the data.
pub fn parse(rtype: RecordType, text: &str, fields: &[&str]) -> Result<RData, RdataError> {
    let bad = |message: String| RdataError::Generic {
        text: text.to_owned(),
        message,
    };
    let Some((length, data)) = fields.split_first() else {
        return Err(bad(
            "needs a length after \\# (e.g. \"\\# 4 0A000001\")".into()
        ));
    };
    let length: u16 = length
        .parse()
        .map_err(|_| bad(format!("the length {length:?} is not a number 0..=65535")))?;
    let bytes = hex(data, "generic RDATA")?;
    if bytes.len() != usize::from(length) {
        return Err(bad(format!(
            "the length says {length} bytes but the data holds {}",
            bytes.len()
        )));
    }
    from_wire(rtype, bytes)
}

/// Wire bytes of type `rtype` as `RData`: typed when hickory reads them
/// and writes back the same bytes, else carried as they are.
pub fn from_wire(rtype: RecordType, wire: Vec<u8>) -> Result<RData, RdataError> {
    let invalid = |reason: String| RdataError::Wire {
        rtype: type_name(rtype),
        reason,
    };
    let length = u16::try_from(wire.len())
        .map_err(|_| invalid(format!("{} bytes; at most 65535 fit", wire.len())))?;
    let mut decoder = BinDecoder::new(&wire);
    let typed = RData::read(&mut decoder, rtype, Restrict::new(length))
        .map_err(|e| invalid(e.to_string()))?;
    if typed.to_bytes().is_ok_and(|b| b == wire) && !matches!(typed, RData::Unknown { .. }) {
        return Ok(typed);
    }
    let rdata = if wire.is_empty() {
        NULL::new()
    } else {
        NULL::with(wire)
    };
    Ok(RData::Unknown { code: rtype, rdata })
}
