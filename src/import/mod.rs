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
use std::path::Path;

use hickory_proto::rr::{Name, RecordType};

use crate::diag::{Diagnostic, Diagnostics};
use emit::{Header, RecordSet};
use rdata::RecordData;

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
    let at_start = |message: String| Diagnostic {
        file: path.to_path_buf(),
        line: 1,
        col: 1,
        message,
    };
    let origin = match origin {
        None => None,
        Some(text) => {
            // The origin argument is absolute whether or not it ends in a dot.
            let absolute = if text.ends_with('.') {
                text.to_string()
            } else {
                format!("{text}.")
            };
            let mut name = rdata::parse_name(&absolute, None)
                .map_err(|e| Diagnostics(vec![at_start(format!("--origin: {e}"))]))?;
            name.set_fqdn(true);
            Some(name)
        }
    };
    let zone = reader::read(path, origin.clone()).map_err(Diagnostics)?;

    let mut soas = zone.records.iter().filter_map(|r| match &r.data {
        RecordData::Soa(soa) => Some((r, soa)),
        RecordData::Value(_) => None,
    });
    let (soa_record, soa) = soas.next().ok_or_else(|| {
        Diagnostics(vec![at_start(
            "no SOA record: a zone file needs one at the zone's origin".into(),
        )])
    })?;
    let mut errors: Vec<Diagnostic> = soas
        .map(|(r, _)| with_message(&r.at, "a second SOA record: a zone has exactly one"))
        .collect();
    if let Some(origin) = &origin
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
    let zone_origin = soa_record.owner.clone();
    let header = Header {
        origin: zone_origin.clone(),
        ttl: zone.first_default_ttl.unwrap_or(soa_record.ttl),
        soa: soa.clone(),
        soa_ttl: soa_record.ttl,
    };

    let mut warnings = Vec::new();
    let mut comments = Vec::new();
    for s in &zone.skipped {
        let message = format!(
            "skipped: {} {} ({}:{}): {}",
            s.owner.to_ascii(),
            s.rtype,
            file_name(&s.at),
            s.at.line,
            s.reason
        );
        warnings.push(with_message(&s.at, format!("warning: {message}")));
        comments.push(message);
    }

    let mut sets: BTreeMap<(Name, RecordType), RecordSet> = BTreeMap::new();
    for record in &zone.records {
        let RecordData::Value(value) = &record.data else {
            continue;
        };
        if !zone_origin.zone_of(&record.owner) {
            let message = format!(
                "skipped: {} {} ({}:{}): out of zone {}",
                record.owner.to_ascii(),
                record.rtype,
                file_name(&record.at),
                record.at.line,
                zone_origin.to_ascii()
            );
            warnings.push(with_message(&record.at, format!("warning: {message}")));
            comments.push(message);
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
            warnings.push(with_message(
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
    let mut sets: Vec<RecordSet> = sets.into_values().collect();
    let source_name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let toml = emit::zone_toml(&source_name, &header, &comments, &mut sets);
    Ok(Imported { toml, warnings })
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
