//! The head of a record after its owner: `[TTL] [class] TYPE`, and the
//! words for types and classes (RFC 3597 `TYPEnnn`, `CLASSnnn`).
//!
//! Invariant: only class IN is accepted; a type is any hickory knows or
//! `TYPEnnn`, whether alwayson serves it or not (the reader decides that).

use std::str::FromStr;

use hickory_proto::rr::RecordType;
use hickory_proto::serialize::txt::parse_ttl;

use crate::diag::Span;
use crate::import::lexer::Token;

/// A record after its owner: `[TTL] [class] TYPE rdata...`.
pub(super) struct RecordHead<'e> {
    pub explicit_ttl: Option<u32>,
    pub type_token: &'e Token,
    pub rdata: &'e [Token],
}

/// Splits `[TTL] [class] TYPE rdata...` (TTL and class in either order).
pub(super) fn ttl_class_and_type<'e>(
    mut rest: &'e [Token],
    record_span: &Span,
) -> Result<RecordHead<'e>, (Span, String)> {
    let mut explicit_ttl = None;
    loop {
        let t = rest.first().ok_or_else(|| {
            (
                record_span.end..record_span.end,
                "record has no type (A, NS, MX, ...)".to_string(),
            )
        })?;
        rest = &rest[1..];
        if t.text.starts_with(|c: char| c.is_ascii_digit()) && explicit_ttl.is_none() {
            let ttl = parse_ttl(&t.text)
                .map_err(|_| (t.span.clone(), format!("'{}' is not a TTL", t.text)))?;
            explicit_ttl = Some(ttl);
            continue;
        }
        match class_of(&t.text) {
            Some(true) => continue,
            Some(false) => {
                return Err((
                    t.span.clone(),
                    format!(
                        "class {} is not supported: alwayson serves class IN only",
                        t.text
                    ),
                ));
            }
            None => {
                return Ok(RecordHead {
                    explicit_ttl,
                    type_token: t,
                    rdata: rest,
                });
            }
        }
    }
}

/// `Some(true)` for IN, `Some(false)` for another class, `None` for a word
/// that is no class.
fn class_of(word: &str) -> Option<bool> {
    let upper = word.to_ascii_uppercase();
    match upper.as_str() {
        "IN" | "CLASS1" => Some(true),
        "CH" | "CS" | "HS" | "NONE" | "ANY" => Some(false),
        _ if upper.starts_with("CLASS") && upper[5..].parse::<u16>().is_ok() => Some(false),
        _ => None,
    }
}

/// A type field that is neither a mnemonic nor RFC 3597's `TYPEnnn`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown record type '{0}' (or a misplaced word: expected [TTL] [IN] TYPE)")]
pub(super) struct UnknownType(String);

pub(super) fn type_of(token: &Token) -> Result<RecordType, UnknownType> {
    let upper = token.text.to_ascii_uppercase();
    if let Some(number) = upper
        .strip_prefix("TYPE")
        .and_then(|n| n.parse::<u16>().ok())
    {
        return Ok(RecordType::from(number));
    }
    match RecordType::from_str(&upper) {
        Ok(rtype) => Ok(rtype),
        Err(_) => Err(UnknownType(token.text.clone())),
    }
}

/// The mnemonic, or RFC 3597's `TYPEnnn` for a type without one.
pub(super) fn type_name(rtype: RecordType) -> String {
    match rtype {
        RecordType::Unknown(n) => format!("TYPE{n}"),
        known => known.to_string(),
    }
}

pub(super) fn skip_reason(rtype: RecordType) -> String {
    if rtype.is_dnssec() {
        format!("{rtype} is a DNSSEC record; alwayson does not serve signed zones")
    } else {
        format!("type {} is not one alwayson serves", type_name(rtype))
    }
}
