//! Reads a BIND zone file and the files it `$INCLUDE`s into a flat list of
//! records: directives (`$ORIGIN`, `$TTL`, `$INCLUDE`, `$GENERATE`), owner, TTL and class
//! defaulting, and type dispatch.
//!
//! Invariant: every record and every problem carries the file, line and
//! column it came from; one bad entry is reported and reading goes on, so the
//! user sees every problem of a file at once.

use std::path::{Path, PathBuf};

use hickory_proto::rr::{Name, RecordType};
use hickory_proto::serialize::txt::parse_ttl;

use super::lexer::{self, Entry, Token};
use super::rdata::{self, RecordData};
use crate::diag::{Diagnostic, Source, Span};
use head::{RecordHead, skip_reason, ttl_class_and_type, type_name, type_of};

mod generate;
mod head;

/// How deep `$INCLUDE` may nest; deeper is almost surely a loop.
const MAX_INCLUDE_DEPTH: usize = 16;

/// A record read from the file, in file order.
#[derive(Clone, Debug)]
pub struct ZoneRecord {
    pub owner: Name,
    pub ttl: u32,
    pub rtype: RecordType,
    pub data: RecordData,
    /// Where the record starts, with an empty message.
    pub at: Diagnostic,
}

/// A record of a type alwayson does not serve.
#[derive(Clone, Debug)]
pub struct SkippedRecord {
    pub owner: Name,
    pub rtype: String,
    pub reason: String,
    pub at: Diagnostic,
    /// DNSKEY, RRSIG, NSEC, NSEC3 and the like: signing data that online
    /// signing makes again (DS is imported: it belongs to delegations).
    pub dnssec: bool,
}

/// Everything read from a zone file and its includes.
#[derive(Clone, Debug, Default)]
pub struct ReadZone {
    pub records: Vec<ZoneRecord>,
    pub skipped: Vec<SkippedRecord>,
    /// The first `$TTL` value, the natural zone default.
    pub first_default_ttl: Option<u32>,
}

/// DNSSEC types other than DS: an imported signed zone's signatures,
/// keys and denial chain, all made again by online signing.
fn signing_data(rtype: RecordType) -> bool {
    rtype.is_dnssec() && rtype != RecordType::DS
}

/// Whether `$INCLUDE` reads files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Includes {
    /// Read, relative to the including file.
    Files,
    /// An error: for text that comes with no folder (the fuzz targets).
    Refused,
}

/// Reads `path` (and its includes) with `origin` as the initial origin.
/// Returns every problem found when any is.
#[cfg(test)]
pub fn read(path: &Path, origin: Option<Name>) -> Result<ReadZone, Vec<Diagnostic>> {
    let source = Source::read(path).map_err(|d| vec![d])?;
    read_text(&source, origin, Includes::Files)
}

/// Reads `source` (and its includes, when `includes` allows) with `origin`
/// as the initial origin. Returns every problem found when any is.
pub fn read_text(
    source: &Source,
    origin: Option<Name>,
    includes: Includes,
) -> Result<ReadZone, Vec<Diagnostic>> {
    let mut reader = Reader {
        state: State {
            origin,
            owner: None,
            default_ttl: None,
            last_ttl: None,
        },
        zone: ReadZone::default(),
        errors: Vec::new(),
        open_files: Vec::new(),
        includes,
    };
    reader.read_source(source);
    if reader.errors.is_empty() {
        Ok(reader.zone)
    } else {
        Err(reader.errors)
    }
}

#[derive(Clone, Debug)]
struct State {
    origin: Option<Name>,
    owner: Option<Name>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
}

struct Reader {
    state: State,
    zone: ReadZone,
    errors: Vec<Diagnostic>,
    /// The include chain, to refuse loops.
    open_files: Vec<PathBuf>,
    includes: Includes,
}

impl Reader {
    fn read_source(&mut self, source: &Source) {
        let entries = match lexer::entries(source.text()) {
            Ok(entries) => entries,
            Err(e) => {
                self.errors.push(source.error(&e.span, e.message));
                return;
            }
        };
        self.open_files.push(source.path().to_path_buf());
        for entry in &entries {
            if let Err((span, message)) = self.entry(source, entry) {
                self.errors.push(source.error(&span, message));
            }
        }
        self.open_files.pop();
    }

    fn entry(&mut self, source: &Source, entry: &Entry) -> Result<(), (Span, String)> {
        let first = &entry.tokens[0];
        if !entry.leading_blank && !first.quoted && first.text.starts_with('$') {
            return self.directive(source, &entry.tokens);
        }
        let (owner, rest) = self.owner(entry)?;
        let record_span = first.span.start..entry.tokens[entry.tokens.len() - 1].span.end;
        let RecordHead {
            explicit_ttl,
            type_token,
            rdata: rdata_tokens,
        } = ttl_class_and_type(rest, &record_span)?;
        let at = located(source, &record_span);

        let rtype = match type_of(type_token) {
            Ok(rtype)
                if !signing_data(rtype)
                    && (rdata::SUPPORTED.contains(&rtype)
                        || rdata::zone_form::accepts(rtype, rdata_tokens)) =>
            {
                rtype
            }
            Ok(rtype) => {
                self.note_ttl(explicit_ttl);
                self.zone.skipped.push(SkippedRecord {
                    owner,
                    rtype: type_name(rtype),
                    reason: skip_reason(rtype),
                    at,
                    dnssec: signing_data(rtype),
                });
                return Ok(());
            }
            Err(unknown) => return Err((type_token.span.clone(), unknown.to_string())),
        };

        let data = rdata::parse(
            rtype,
            rdata_tokens,
            self.state.origin.as_ref(),
            &record_span,
        )
        .map_err(|e| (e.span, e.message))?;
        let ttl = self.record_ttl(explicit_ttl, &data, record_span)?;
        self.zone.records.push(ZoneRecord {
            owner,
            ttl,
            rtype,
            data,
            at,
        });
        Ok(())
    }

    /// The record's owner (written, or the previous one after a leading
    /// blank) and the tokens after it.
    fn owner<'e>(&mut self, entry: &'e Entry) -> Result<(Name, &'e [Token]), (Span, String)> {
        let first = &entry.tokens[0];
        if entry.leading_blank {
            let owner = self.state.owner.clone().ok_or_else(|| {
                (
                    first.span.clone(),
                    "this record starts with a blank, so it has the previous owner, but there is none yet"
                        .to_string(),
                )
            })?;
            return Ok((owner, &entry.tokens[..]));
        }
        let owner = rdata::parse_name(&first.text, self.state.origin.as_ref())
            .map_err(|e| (first.span.clone(), e.to_string()))?;
        self.state.owner = Some(owner.clone());
        Ok((owner, &entry.tokens[1..]))
    }

    /// The TTL of a supported record; without any, a SOA falls back to its
    /// minimum (BIND's rule for a zone without any TTL).
    fn record_ttl(
        &mut self,
        explicit: Option<u32>,
        data: &RecordData,
        record_span: Span,
    ) -> Result<u32, (Span, String)> {
        match (self.note_ttl(explicit), data) {
            (Some(ttl), _) => Ok(ttl),
            (None, RecordData::Soa(soa)) => Ok(soa.minimum),
            (None, _) => Err((
                record_span,
                "record has no TTL and no default: add a $TTL line at the top or a TTL to this record"
                    .to_string(),
            )),
        }
    }

    /// The TTL a record gets (RFC 2308: explicit, else `$TTL`; RFC 1035: else
    /// the last explicit one), remembering an explicit one for later records.
    fn note_ttl(&mut self, explicit: Option<u32>) -> Option<u32> {
        if explicit.is_some() {
            self.state.last_ttl = explicit;
        }
        explicit.or(self.state.default_ttl).or(self.state.last_ttl)
    }

    fn directive(&mut self, source: &Source, tokens: &[Token]) -> Result<(), (Span, String)> {
        let name = tokens[0].text.to_ascii_uppercase();
        let args = &tokens[1..];
        let need = |n: usize, what: &str| -> Result<&Token, (Span, String)> {
            args.get(n).ok_or_else(|| {
                (
                    tokens[0].span.clone(),
                    format!("{} needs {what}", tokens[0].text),
                )
            })
        };
        let max_args = match name.as_str() {
            "$ORIGIN" => {
                let t = need(0, "a domain name")?;
                let origin = rdata::parse_name(&t.text, self.state.origin.as_ref())
                    .map_err(|e| (t.span.clone(), e.to_string()))?;
                self.state.origin = Some(origin);
                1
            }
            "$TTL" => {
                let t = need(0, "a TTL")?;
                let ttl = parse_ttl(&t.text)
                    .map_err(|_| (t.span.clone(), format!("'{}' is not a TTL", t.text)))?;
                self.state.default_ttl = Some(ttl);
                self.zone.first_default_ttl.get_or_insert(ttl);
                1
            }
            "$INCLUDE" => {
                self.include(source, tokens)?;
                2
            }
            "$GENERATE" => {
                for generated in generate::expand(tokens)? {
                    if let Err((span, message)) = self.entry(source, &generated) {
                        return Err((span, format!("in $GENERATE: {message}")));
                    }
                }
                return Ok(());
            }
            _ => {
                return Err((
                    tokens[0].span.clone(),
                    format!(
                        "unknown directive {}: expected $ORIGIN, $TTL, $INCLUDE or $GENERATE",
                        tokens[0].text
                    ),
                ));
            }
        };
        match args.get(max_args) {
            Some(extra) => Err((
                extra.span.clone(),
                format!("unexpected '{}' after {}", extra.text, tokens[0].text),
            )),
            None => Ok(()),
        }
    }

    /// `$INCLUDE file [origin]`: the file is relative to the including file;
    /// the origin and owner of the including file are restored afterwards
    /// (RFC 1035 §5.1), while `$TTL` carries on.
    fn include(&mut self, source: &Source, tokens: &[Token]) -> Result<(), (Span, String)> {
        let file = tokens.get(1).ok_or_else(|| {
            (
                tokens[0].span.clone(),
                "$INCLUDE needs a file name".to_string(),
            )
        })?;
        if self.includes == Includes::Refused {
            return Err((
                tokens[0].span.clone(),
                "$INCLUDE is not available here: the text has no folder to include from".into(),
            ));
        }
        let path = source
            .path()
            .parent()
            .unwrap_or(Path::new(""))
            .join(&file.text);
        if self.open_files.len() >= MAX_INCLUDE_DEPTH || self.open_files.contains(&path) {
            return Err((
                file.span.clone(),
                format!("$INCLUDE {} would include itself (loop)", file.text),
            ));
        }
        let saved = self.state.clone();
        if let Some(origin) = tokens.get(2) {
            let origin = rdata::parse_name(&origin.text, self.state.origin.as_ref())
                .map_err(|e| (origin.span.clone(), e.to_string()))?;
            self.state.origin = Some(origin);
        }
        let included = std::fs::read_to_string(&path).map_err(|e| {
            (
                file.span.clone(),
                format!("cannot read $INCLUDE file {}: {e}", file.text),
            )
        })?;
        self.read_source(&Source::new(path, included));
        self.state.origin = saved.origin;
        self.state.owner = saved.owner;
        Ok(())
    }
}

fn located(source: &Source, span: &Span) -> Diagnostic {
    source.error(span, "")
}

#[cfg(test)]
mod tests;
