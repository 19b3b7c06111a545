//! RDATA as written in zone files (`"10 mail.example.com."` for MX), parsed
//! per record type into hickory's `RData`. Names in RDATA may be relative to
//! the origin. TXT follows SPEC §3: a value starting with `"` is zone-file
//! text (one or more quoted strings), anything else is one string, split
//! into 255-byte pieces.

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, NULL, PTR, SRV, TXT};
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::txt::ParseError;

use crate::zone::names::{NameError, parse_name};

/// Why a value is not valid RDATA of its type.
#[derive(Debug, thiserror::Error)]
pub enum RdataError {
    /// A name in the value (a target, an exchange) is not usable.
    #[error(transparent)]
    Name(#[from] NameError),
    /// An A value that is no IPv4 address.
    #[error("invalid IPv4 address {0:?}")]
    Ipv4(String),
    /// An AAAA value that is no IPv6 address.
    #[error("invalid IPv6 address {0:?}")]
    Ipv6(String),
    /// An MX value that is not two fields.
    #[error("MX needs \"PREFERENCE EXCHANGE\" (e.g. \"10 mail.example.com.\"), got {0:?}")]
    MxFields(String),
    /// An SRV value that is not four fields.
    #[error(
        "SRV needs \"PRIORITY WEIGHT PORT TARGET\" (e.g. \"10 5 443 web.example.com.\"), got {0:?}"
    )]
    SrvFields(String),
    /// A CAA value hickory cannot parse.
    #[error("invalid CAA value {text:?}: {reason} (e.g. \"0 issue \\\"letsencrypt.org\\\"\")")]
    Caa {
        /// The value as written.
        text: String,
        /// hickory's reason.
        reason: ParseError,
    },
    /// A type zone files cannot hold (see [`SUPPORTED_TYPES`]).
    #[error("record type {0} is not supported")]
    Unsupported(RecordType),
    /// An empty value where one field was expected.
    #[error("empty value; expected {0}")]
    Empty(&'static str),
    /// Several fields where one was expected.
    #[error("expected {what}, got {count} fields")]
    FieldCount {
        /// What the one field should be.
        what: &'static str,
        /// How many there were.
        count: usize,
    },
    /// A 16-bit number field (preference, priority, weight, port) that is not one.
    #[error("{what} must be a number 0..=65535, got {text:?}")]
    Number {
        /// Which field.
        what: &'static str,
        /// The field as written.
        text: String,
    },
    /// A quoted TXT string longer than a character-string can be.
    #[error(
        "a quoted TXT string is {0} bytes; at most 255 are allowed per string (split it into several quoted strings)"
    )]
    TxtStringTooLong(usize),
    /// Text between or after the quoted strings of a quoted TXT value.
    #[error(
        "unexpected text after a quoted string at byte {0}; a TXT value starting with '\"' must be quoted strings only"
    )]
    TxtAfterQuotes(usize),
    /// A `\DDD` escape above 255.
    #[error("escape \\{0} is above 255")]
    TxtEscape(u32),
    /// A backslash with nothing after it.
    #[error("TXT value ends in a lone backslash")]
    TxtLoneBackslash,
    /// A quoted string without its closing quote.
    #[error("unterminated quoted string in TXT value")]
    TxtUnterminated,
}

/// Record types a zone file may hold in `[[record]]` (SOA comes from `[zone]`).
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
];

/// Parses one value of type `rtype`.
pub fn parse_rdata(rtype: RecordType, text: &str, origin: &Name) -> Result<RData, RdataError> {
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
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
        RecordType::SRV => {
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
        RecordType::CAA => {
            RData::try_from_str(RecordType::CAA, text).map_err(|reason| RdataError::Caa {
                text: text.to_owned(),
                reason,
            })
        }
        RecordType::TXT => parse_txt(text).map(|strings| {
            RData::TXT(TXT::from_bytes(strings.iter().map(Vec::as_slice).collect()))
        }),
        other => Err(RdataError::Unsupported(other)),
    }
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

fn number(text: &str, what: &'static str) -> Result<u16, RdataError> {
    text.parse::<u16>().map_err(|_| RdataError::Number {
        what,
        text: text.to_owned(),
    })
}

/// The character-strings of a TXT value.
pub fn parse_txt(text: &str) -> Result<Vec<Vec<u8>>, RdataError> {
    if !text.starts_with('"') {
        if text.is_empty() {
            return Ok(vec![Vec::new()]);
        }
        return Ok(text.as_bytes().chunks(255).map(<[u8]>::to_vec).collect());
    }
    let bytes = text.as_bytes();
    let mut strings = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' => i += 1,
            b'"' => {
                let (string, next) = quoted(bytes, i + 1)?;
                if string.len() > 255 {
                    return Err(RdataError::TxtStringTooLong(string.len()));
                }
                strings.push(string);
                i = next;
            }
            _ => {
                return Err(RdataError::TxtAfterQuotes(i));
            }
        }
    }
    Ok(strings)
}

/// Reads a quoted string starting after its opening quote; returns the bytes
/// and the index after the closing quote.
fn quoted(bytes: &[u8], mut i: usize) -> Result<(Vec<u8>, usize), RdataError> {
    let mut out = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Ok((out, i + 1)),
            b'\\' => {
                let digits = bytes
                    .get(i + 1..i + 4)
                    .filter(|d| d.iter().all(u8::is_ascii_digit));
                if let Some(d) = digits {
                    let value = u32::from(d[0] - b'0') * 100
                        + u32::from(d[1] - b'0') * 10
                        + u32::from(d[2] - b'0');
                    let byte = u8::try_from(value).map_err(|_| RdataError::TxtEscape(value))?;
                    out.push(byte);
                    i += 4;
                } else if let Some(&c) = bytes.get(i + 1) {
                    out.push(c);
                    i += 2;
                } else {
                    return Err(RdataError::TxtLoneBackslash);
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(RdataError::TxtUnterminated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Name {
        Name::from_ascii("example.com.").unwrap()
    }

    fn txt_strings(value: &str) -> Vec<Vec<u8>> {
        parse_txt(value).unwrap()
    }

    #[test]
    fn txt_plain_values_split_at_255_bytes() {
        assert_eq!(txt_strings("v=spf1 -all"), vec![b"v=spf1 -all".to_vec()]);
        let long = "x".repeat(600);
        let parts = txt_strings(&long);
        assert_eq!(
            parts.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![255, 255, 90]
        );
    }

    #[test]
    fn txt_quoted_values_are_zone_file_text() {
        assert_eq!(
            txt_strings(r#""a b" "c\"d" "\065\\""#),
            vec![b"a b".to_vec(), b"c\"d".to_vec(), b"A\\".to_vec()]
        );
        assert!(parse_txt(r#""open"#).is_err());
        assert!(parse_txt(r#""a" b"#).is_err());
        assert!(parse_txt(&format!("\"{}\"", "y".repeat(256))).is_err());
    }

    #[test]
    fn parses_every_supported_type() {
        let o = origin();
        assert!(matches!(
            parse_rdata(RecordType::A, "192.0.2.1", &o),
            Ok(RData::A(_))
        ));
        assert!(parse_rdata(RecordType::A, "192.0.2.300", &o).is_err());
        assert!(matches!(
            parse_rdata(RecordType::AAAA, "2001:db8::1", &o),
            Ok(RData::AAAA(_))
        ));
        let RData::MX(mx) = parse_rdata(RecordType::MX, "10 mail", &o).unwrap() else {
            panic!("not MX")
        };
        assert_eq!(mx.exchange.to_string(), "mail.example.com.");
        assert!(parse_rdata(RecordType::MX, "mail.example.com.", &o).is_err());
        assert!(matches!(
            parse_rdata(RecordType::SRV, "1 2 443 web", &o),
            Ok(RData::SRV(_))
        ));
        assert!(parse_rdata(RecordType::SRV, "1 2 99999 web", &o).is_err());
        assert!(matches!(
            parse_rdata(RecordType::CAA, "0 issue \"letsencrypt.org\"", &o),
            Ok(RData::CAA(_))
        ));
        let dname = parse_rdata(RecordType::DNAME, "other.net.", &o).unwrap();
        assert_eq!(dname_target(&dname).unwrap().to_string(), "other.net.");
        assert!(matches!(
            parse_rdata(RecordType::PTR, "host", &o),
            Ok(RData::PTR(_))
        ));
        assert!(matches!(
            parse_rdata(RecordType::NS, "ns1", &o),
            Ok(RData::NS(_))
        ));
        assert!(parse_rdata(RecordType::CNAME, "a b", &o).is_err());
    }
}
