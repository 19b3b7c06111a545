//! RDATA of the record types alwayson serves: zone-file tokens → the value
//! text a zone TOML file holds (SPEC §3).
//!
//! Invariant: every name in an output value is fully qualified (trailing dot),
//! so a value means the same thing whatever origin reads it; TXT and CAA text
//! is decoded to bytes and re-escaped canonically, so the bytes served are
//! exactly the bytes the zone file meant.

use std::fmt::Display;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use hickory_proto::ProtoError;
use hickory_proto::rr::{Name, RecordType};
use hickory_proto::serialize::txt::parse_ttl;

use super::lexer::Token;
use crate::diag::Span;

/// The types alwayson serves (SPEC §3), in the order records are written.
pub const SUPPORTED: [RecordType; 11] = [
    RecordType::SOA,
    RecordType::NS,
    RecordType::A,
    RecordType::AAAA,
    RecordType::CNAME,
    RecordType::DNAME,
    RecordType::MX,
    RecordType::TXT,
    RecordType::SRV,
    RecordType::CAA,
    RecordType::PTR,
];

/// The parsed SOA fields; the SOA becomes the `[zone]` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Soa {
    pub mname: Name,
    pub rname: Name,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

/// One record's data, ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordData {
    /// A value as the zone TOML writes it, e.g. `"10 mail.example.com."`.
    Value(String),
    Soa(Soa),
}

/// An RDATA error, pinned to the token at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdataError {
    pub span: Span,
    pub message: String,
}

/// Parses the RDATA `tokens` of a record of type `rtype` (one of
/// [`SUPPORTED`], or one [`zone_form`] accepts); relative names are completed with `origin`. `record` is the
/// span of the whole record, used when tokens are missing.
pub fn parse(
    rtype: RecordType,
    tokens: &[Token],
    origin: Option<&Name>,
    record: &Span,
) -> Result<RecordData, RdataError> {
    let mut fields = Fields {
        tokens,
        next: 0,
        record: record.clone(),
        rtype,
    };
    if zone_form::accepts(rtype, tokens) {
        return zone_form::parse(rtype, tokens, origin, record);
    }
    let data = match rtype {
        RecordType::A => RecordData::Value(fields.address::<Ipv4Addr>("an IPv4 address")?),
        RecordType::AAAA => RecordData::Value(fields.address::<Ipv6Addr>("an IPv6 address")?),
        RecordType::CNAME | RecordType::DNAME | RecordType::NS | RecordType::PTR => {
            RecordData::Value(fields.name(origin)?.to_ascii())
        }
        RecordType::MX => RecordData::Value(mx(&mut fields, origin)?),
        RecordType::SRV => RecordData::Value(srv(&mut fields, origin)?),
        RecordType::TXT => RecordData::Value(txt(&mut fields)?),
        RecordType::CAA => RecordData::Value(caa(&mut fields)?),
        RecordType::SOA => RecordData::Soa(soa(&mut fields, origin)?),
        other => {
            return Err(RdataError {
                span: record.clone(),
                message: format!("type {other} is not supported"),
            });
        }
    };
    fields.finish()?;
    Ok(data)
}

fn mx(fields: &mut Fields<'_>, origin: Option<&Name>) -> Result<String, RdataError> {
    let preference = fields.number::<u16>("a preference (0 to 65535)")?;
    let exchange = fields.name(origin)?;
    Ok(format!("{preference} {}", exchange.to_ascii()))
}

fn srv(fields: &mut Fields<'_>, origin: Option<&Name>) -> Result<String, RdataError> {
    let priority = fields.number::<u16>("a priority (0 to 65535)")?;
    let weight = fields.number::<u16>("a weight (0 to 65535)")?;
    let port = fields.number::<u16>("a port (0 to 65535)")?;
    let target = fields.name(origin)?;
    Ok(format!("{priority} {weight} {port} {}", target.to_ascii()))
}

/// Every token is one character-string of the record.
fn txt(fields: &mut Fields<'_>) -> Result<String, RdataError> {
    if fields.tokens.is_empty() {
        return Err(fields.missing("at least one character-string"));
    }
    let mut parts = Vec::with_capacity(fields.tokens.len());
    for t in fields.tokens {
        parts.push(encode_character_string(&character_string(t)?));
    }
    fields.next = fields.tokens.len();
    Ok(parts.join(" "))
}

fn caa(fields: &mut Fields<'_>) -> Result<String, RdataError> {
    let flags = fields.number::<u8>("flags (0 to 255, usually 0 or 128)")?;
    let tag = fields.take("a tag such as issue, issuewild or iodef")?;
    let tag_ok = !tag.quoted
        && (1..=15).contains(&tag.text.len())
        && tag.text.bytes().all(|b| b.is_ascii_alphanumeric());
    if !tag_ok {
        return Err(bad(
            tag,
            format!("CAA tag '{}' must be 1 to 15 letters or digits", tag.text),
        ));
    }
    let value = fields.take("a value")?;
    let bytes = decode(value, usize::MAX)?;
    Ok(format!(
        "{flags} {} {}",
        tag.text,
        encode_character_string(&bytes)
    ))
}

fn soa(fields: &mut Fields<'_>, origin: Option<&Name>) -> Result<Soa, RdataError> {
    Ok(Soa {
        mname: fields.name(origin)?,
        rname: fields.name(origin)?,
        serial: fields.number::<u32>("a serial (0 to 4294967295)")?,
        refresh: fields.duration("a refresh interval")?,
        retry: fields.duration("a retry interval")?,
        expire: fields.duration("an expire interval")?,
        minimum: fields.duration("a minimum (negative-caching) TTL")?,
    })
}

/// Why a domain name in a BIND zone file is not usable.
#[derive(Clone, Debug, thiserror::Error)]
pub enum NameError {
    /// `@` before `$ORIGIN` or `--origin` gave an origin.
    #[error("'@' used before any origin is known: add $ORIGIN or pass --origin")]
    AtWithoutOrigin,
    /// hickory rejects the name, as ASCII and as IDNA.
    #[error("'{text}' is not a valid domain name: {reason}")]
    Invalid {
        /// The name as written.
        text: String,
        /// hickory's reason (from the IDNA attempt).
        reason: ProtoError,
    },
    /// A relative name before any origin is known.
    #[error("relative name '{0}' used before any origin is known: add $ORIGIN or pass --origin")]
    RelativeWithoutOrigin(String),
    /// The relative name under the origin is not a valid name (too long).
    #[error("'{text}' under {origin} is not a valid domain name: {reason}")]
    UnderOrigin {
        /// The name as written.
        text: String,
        /// The origin it was completed with.
        origin: String,
        /// hickory's reason.
        reason: ProtoError,
    },
}

/// Parses a domain name as written in a zone file: `@` is the origin, a name
/// without a trailing dot is relative to the origin.
pub fn parse_name(text: &str, origin: Option<&Name>) -> Result<Name, NameError> {
    if text == "@" {
        return origin.cloned().ok_or(NameError::AtWithoutOrigin);
    }
    // ASCII first, so the case and escapes are kept as written; non-ASCII
    // labels then go through IDNA (punycode).
    let name = Name::from_ascii(text)
        .or_else(|_| Name::parse(text, None))
        .map_err(|reason| NameError::Invalid {
            text: text.to_owned(),
            reason,
        })?;
    if name.is_fqdn() {
        return Ok(name);
    }
    let origin = origin.ok_or_else(|| NameError::RelativeWithoutOrigin(text.to_owned()))?;
    name.append_domain(origin)
        .map_err(|reason| NameError::UnderOrigin {
            text: text.to_owned(),
            origin: origin.to_string(),
            reason,
        })
}

/// Decodes one `<character-string>` token (quoted or not) into its bytes.
pub fn character_string(token: &Token) -> Result<Vec<u8>, RdataError> {
    decode(token, 255)
}

/// Writes bytes as one quoted `<character-string>`: printable ASCII as is,
/// `"` and `\` escaped, every other byte as `\DDD`. This is the form BIND,
/// NSD and Knot print, and it reads back to the same bytes.
pub fn encode_character_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

fn decode(token: &Token, max_len: usize) -> Result<Vec<u8>, RdataError> {
    let src = token.text.as_bytes();
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        if src[i] != b'\\' {
            out.push(src[i]);
            i += 1;
            continue;
        }
        let digits = src
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(u8::is_ascii_digit));
        if let Some(d) = digits {
            let value = d.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
            let byte = u8::try_from(value).map_err(|_| {
                bad(
                    token,
                    format!("escape \\{value:03} is not a byte (0 to 255)"),
                )
            })?;
            out.push(byte);
            i += 4;
        } else if src.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return Err(bad(
                token,
                "a \\ followed by a digit needs exactly three digits (\\DDD)",
            ));
        } else if let Some(&next) = src.get(i + 1) {
            // `\X` stands for X; X may be the first byte of a multi-byte
            // UTF-8 character, whose other bytes follow as plain bytes.
            out.push(next);
            i += 2;
        } else {
            return Err(bad(token, "a \\ at the end of a string escapes nothing"));
        }
    }
    if out.len() > max_len {
        return Err(bad(
            token,
            format!(
                "a character-string holds at most {max_len} bytes, this one has {}; split it into several quoted strings",
                out.len()
            ),
        ));
    }
    Ok(out)
}

fn bad(token: &Token, message: impl Into<String>) -> RdataError {
    RdataError {
        span: token.span.clone(),
        message: message.into(),
    }
}

/// A cursor over a record's RDATA tokens.
struct Fields<'a> {
    tokens: &'a [Token],
    next: usize,
    record: Span,
    rtype: RecordType,
}

impl<'a> Fields<'a> {
    /// An address of type `A` (IPv4 or IPv6), written canonically.
    fn address<A: FromStr + Display>(&mut self, what: &str) -> Result<String, RdataError> {
        let t = self.take(what)?;
        let addr: A = t
            .text
            .parse()
            .map_err(|_| bad(t, format!("'{}' is not {what}", t.text)))?;
        Ok(addr.to_string())
    }

    fn take(&mut self, what: &str) -> Result<&'a Token, RdataError> {
        let t = self
            .tokens
            .get(self.next)
            .ok_or_else(|| self.missing(what))?;
        self.next += 1;
        Ok(t)
    }

    fn missing(&self, what: &str) -> RdataError {
        let span = self
            .tokens
            .last()
            .map_or_else(|| self.record.clone(), |t| t.span.end..t.span.end);
        RdataError {
            span,
            message: format!("{} record is missing {what}", self.rtype),
        }
    }

    fn number<N: TryFrom<u64>>(&mut self, what: &str) -> Result<N, RdataError> {
        let t = self.take(what)?;
        let fits = t.text.parse::<u64>().ok().and_then(|n| N::try_from(n).ok());
        fits.ok_or_else(|| {
            bad(
                t,
                format!("{} record: '{}' is not {what}", self.rtype, t.text),
            )
        })
    }

    fn duration(&mut self, what: &str) -> Result<u32, RdataError> {
        let t = self.take(what)?;
        parse_ttl(&t.text).map_err(|_| {
            bad(
                t,
                format!(
                    "{} record: '{}' is not {what} (seconds, or units like 1h30m)",
                    self.rtype, t.text
                ),
            )
        })
    }

    fn name(&mut self, origin: Option<&Name>) -> Result<Name, RdataError> {
        let t = self.take("a domain name")?;
        parse_name(&t.text, origin).map_err(|e| bad(t, e.to_string()))
    }

    fn finish(&self) -> Result<(), RdataError> {
        match self.tokens.get(self.next) {
            None => Ok(()),
            Some(extra) => Err(bad(
                extra,
                format!("{} record has extra data '{}'", self.rtype, extra.text),
            )),
        }
    }
}

pub mod zone_form;

#[cfg(test)]
mod tests;
