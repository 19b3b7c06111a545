//! The types whose text the zone TOML parser reads itself (HTTPS, SVCB,
//! TLSA, SSHFP, DS, NAPTR) and RFC 3597 generic data (`\# LEN HEX`) of any
//! type: the record's tokens are put back together, parsed by
//! [`crate::zone::rdata`], and written back in its canonical form with
//! absolute names, so the TOML value reads back to the same bytes.

use hickory_proto::rr::{Name, RecordType};

use super::{RdataError, RecordData};
use crate::diag::Span;
use crate::import::lexer::Token;
use crate::zone::rdata::{parse_rdata, parse_type, present, type_name};

/// Types with a text form the zone parser reads.
pub const TYPES: [RecordType; 6] = [
    RecordType::HTTPS,
    RecordType::SVCB,
    RecordType::TLSA,
    RecordType::SSHFP,
    RecordType::DS,
    RecordType::NAPTR,
];

/// Whether this module converts a record of `rtype` with these tokens.
pub fn accepts(rtype: RecordType, tokens: &[Token]) -> bool {
    let generic = tokens.first().is_some_and(|t| !t.quoted && t.text == "\\#");
    TYPES.contains(&rtype)
        || (generic && rtype != RecordType::SOA && parse_type(&type_name(rtype)).is_ok())
}

/// Converts the RDATA `tokens` of a record of `rtype`.
pub fn parse(
    rtype: RecordType,
    tokens: &[Token],
    origin: Option<&Name>,
    record: &Span,
) -> Result<RecordData, RdataError> {
    let span = match (tokens.first(), tokens.last()) {
        (Some(first), Some(last)) => first.span.start..last.span.end,
        _ => record.clone(),
    };
    let origin = origin.cloned().unwrap_or_else(Name::root);
    let rdata = parse_rdata(rtype, &text(tokens), &origin).map_err(|e| RdataError {
        span,
        message: e.to_string(),
    })?;
    Ok(RecordData::Value(present(&rdata)))
}

/// The tokens as one value: quoted tokens keep their quotes, and tokens
/// written without a blank between them (`alpn="h2,h3"`) stay together.
fn text(tokens: &[Token]) -> String {
    let mut out = String::new();
    let mut end = None;
    for t in tokens {
        if end.is_some_and(|e| e != t.span.start) {
            out.push(' ');
        }
        if t.quoted {
            out.push('"');
            out.push_str(&t.text);
            out.push('"');
        } else {
            out.push_str(&t.text);
        }
        end = Some(t.span.end);
    }
    out
}
