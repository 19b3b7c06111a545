//! `alwayson import`: an RFC 1035 (BIND) zone file → zone TOML (SPEC §3).
//!
//! The flow: [`lexer`] splits the text into entries with spans, [`reader`]
//! applies the directives and defaults and parses each record's RDATA
//! ([`rdata`]), then records are grouped into record sets and written by
//! [`emit`]. Invariant: a zone that imports without error holds exactly the
//! served records of the file (types alwayson does not serve are listed as
//! `# skipped:` comments and warnings, never dropped silently).
//!
//! hickory-proto's own zone `Parser` is not used for the file: in 0.26.3 it
//! rejects DNAME, decodes `\DDD` in quoted strings wrongly, fails the whole
//! file on a type it does not know, reports no positions and drops the
//! `$INCLUDE` origin. Its name, TTL and type parsers are used instead.

mod emit;
mod lexer;
mod rdata;
mod reader;

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::Path;

use hickory_proto::rr::{Name, RecordType};

use crate::diag::{Diagnostic, Diagnostics, Source};
use emit::{Header, RecordSet};
use rdata::RecordData;
use reader::{Includes, ReadZone, ZoneRecord};

/// The result of an import: the TOML text and the warnings for the user.
#[derive(Clone, Debug)]
pub struct Imported {
    pub toml: String,
    /// Records left out (unserved types, out-of-zone data, duplicates), each
    /// located, with the message starting with `warning:`.
    pub warnings: Vec<Diagnostic>,
}

/// Converts the zone file at `path` to zone TOML text, printing warnings to
/// stderr.
pub fn import_file(path: &Path, origin: Option<&str>) -> Result<String, Diagnostics> {
    let imported = convert(path, origin)?;
    for w in &imported.warnings {
        eprintln!("{w}");
    }
    Ok(imported.toml)
}

/// Converts the zone file at `path`; `origin` is the initial origin (needed
/// when the file uses relative names before any `$ORIGIN`).
pub fn convert(path: &Path, origin: Option<&str>) -> Result<Imported, Diagnostics> {
    let source = Source::read(path).map_err(|d| Diagnostics(vec![d]))?;
    convert_source(&source, origin, Includes::Files)
}

/// Converts zone file text that has no folder (`$INCLUDE` is an error): the
/// pure entry point of the fuzz target.
pub fn convert_text(source: &Source, origin: Option<&str>) -> Result<Imported, Diagnostics> {
    convert_source(source, origin, Includes::Refused)
}

fn convert_source(
    source: &Source,
    origin: Option<&str>,
    includes: Includes,
) -> Result<Imported, Diagnostics> {
    let path = source.path();
    let origin = origin.map(|text| parse_origin(path, text)).transpose()?;
    let zone = reader::read_text(source, origin.clone(), includes).map_err(Diagnostics)?;
    let header = header(path, &zone, origin.as_ref())?;
    let mut notes = Notes::default();
    for s in zone.skipped.iter().filter(|s| !s.dnssec) {
        notes.skipped(&s.at, &s.owner, &s.rtype, &s.reason);
    }
    notes.dnssec_dropped(&zone.skipped);
    let mut sets = record_sets(&zone.records, &header.origin, &mut notes);
    let source_name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let toml = emit::zone_toml(&source_name, &header, &notes.comments, &mut sets);
    Ok(Imported {
        toml,
        warnings: notes.warnings,
    })
}

/// An error at the top of the file, for problems that have no better place.
fn at_start(path: &Path, message: String) -> Diagnostic {
    Diagnostic {
        file: path.to_path_buf(),
        line: 1,
        col: 1,
        message,
    }
}

/// The `--origin` argument, absolute whether or not it ends in a dot.
fn parse_origin(path: &Path, text: &str) -> Result<Name, Diagnostics> {
    let absolute = if text.ends_with('.') {
        text.to_string()
    } else {
        format!("{text}.")
    };
    let mut name = rdata::parse_name(&absolute, None)
        .map_err(|e| Diagnostics(vec![at_start(path, format!("--origin: {e}"))]))?;
    name.set_fqdn(true);
    Ok(name)
}

/// The zone header from the one SOA, which must be at the origin when one
/// was given.
fn header(path: &Path, zone: &ReadZone, origin: Option<&Name>) -> Result<Header, Diagnostics> {
    let mut soas = zone.records.iter().filter_map(|r| match &r.data {
        RecordData::Soa(soa) => Some((r, soa)),
        RecordData::Value(_) => None,
    });
    let (soa_record, soa) = soas.next().ok_or_else(|| {
        Diagnostics(vec![at_start(
            path,
            "no SOA record: a zone file needs one at the zone's origin".into(),
        )])
    })?;
    let mut errors: Vec<Diagnostic> = soas
        .map(|(r, _)| with_message(&r.at, "a second SOA record: a zone has exactly one"))
        .collect();
    if let Some(origin) = origin
        && soa_record.owner != *origin
    {
        errors.push(with_message(
            &soa_record.at,
            format!(
                "the SOA is at {} but the origin is {origin}: the SOA must be at the zone's origin",
                soa_record.owner.to_ascii()
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    Ok(Header {
        origin: soa_record.owner.clone(),
        ttl: zone.first_default_ttl.unwrap_or(soa_record.ttl),
        soa: soa.clone(),
        soa_ttl: soa_record.ttl,
    })
}

/// What the user is told about records left out: warnings on stderr and
/// comments in the TOML.
#[derive(Default)]
struct Notes {
    warnings: Vec<Diagnostic>,
    comments: Vec<String>,
}

impl Notes {
    /// A record left out for `reason`: both a warning and a comment.
    fn skipped(
        &mut self,
        at: &Diagnostic,
        owner: &Name,
        rtype: &dyn Display,
        reason: &dyn Display,
    ) {
        let message = format!(
            "skipped: {} {} ({}:{}): {}",
            owner.to_ascii(),
            rtype,
            file_name(at),
            at.line,
            reason
        );
        self.warnings
            .push(with_message(at, format!("warning: {message}")));
        self.comments.push(message);
    }
}

impl Notes {
    /// One warning (at the first) for every DNSSEC record left out.
    fn dnssec_dropped(&mut self, skipped: &[reader::SkippedRecord]) {
        let dropped: Vec<&reader::SkippedRecord> = skipped.iter().filter(|s| s.dnssec).collect();
        let Some(first) = dropped.first() else {
            return;
        };
        let mut types: Vec<&str> = dropped.iter().map(|s| s.rtype.as_str()).collect();
        types.sort_unstable();
        types.dedup();
        let message = format!(
            "dropped {} DNSSEC record(s) ({}): alwayson signs zones online; the zone will be re-signed online once you set dnssec = true in [zone] and make a key with `alwayson dnssec keygen`",
            dropped.len(),
            types.join(", ")
        );
        self.warnings
            .push(with_message(&first.at, format!("warning: {message}")));
        self.comments.push(message);
    }
}

/// Groups the in-zone records into record sets, leaving out (with a note)
/// records outside the zone and duplicates.
fn record_sets(records: &[ZoneRecord], zone_origin: &Name, notes: &mut Notes) -> Vec<RecordSet> {
    let mut sets: BTreeMap<(Name, RecordType), RecordSet> = BTreeMap::new();
    for record in records {
        let RecordData::Value(value) = &record.data else {
            continue;
        };
        if !zone_origin.zone_of(&record.owner) {
            let reason = format!("out of zone {}", zone_origin.to_ascii());
            notes.skipped(&record.at, &record.owner, &record.rtype, &reason);
            continue;
        }
        // Name's Ord is case-insensitive: WWW and www are one set, written
        // with the spelling seen first.
        let set = sets
            .entry((record.owner.clone(), record.rtype))
            .or_insert_with(|| RecordSet {
                owner: record.owner.clone(),
                rtype: record.rtype,
                values: Vec::new(),
                ttls: Vec::new(),
            });
        if set
            .values
            .iter()
            .any(|v| same_rdata(record.rtype, v, value))
        {
            notes.warnings.push(with_message(
                &record.at,
                format!(
                    "warning: duplicate {} {} {value} ignored",
                    record.owner.to_ascii(),
                    record.rtype
                ),
            ));
            continue;
        }
        set.values.push(value.clone());
        set.ttls.push(record.ttl);
    }
    sets.into_values().collect()
}

fn with_message(at: &Diagnostic, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        message: message.into(),
        ..at.clone()
    }
}

/// RFC 2181 §5: an RRset holds no duplicates; names in RDATA compare without
/// case, text does not.
fn same_rdata(rtype: RecordType, a: &str, b: &str) -> bool {
    match rtype {
        RecordType::TXT | RecordType::CAA => a == b,
        _ => a.eq_ignore_ascii_case(b),
    }
}

fn file_name(at: &Diagnostic) -> String {
    at.file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests;
