//! Writes the zone TOML text (SPEC §3) for an imported zone.
//!
//! Invariant: the output is valid TOML and deterministic: the same records
//! give the same bytes whatever their order in the zone file (sets sorted
//! apex first, then canonical DNS name order, then type).

use std::fmt::Write as _;

use hickory_proto::rr::{Name, RecordType};

use super::rdata::{SUPPORTED, Soa};
use crate::zone::rdata::type_name;

/// The zone header, from the SOA.
pub struct Header {
    pub origin: Name,
    pub ttl: u32,
    pub soa: Soa,
    pub soa_ttl: u32,
}

/// One record set: all values of one (name, type).
pub struct RecordSet {
    pub owner: Name,
    pub rtype: RecordType,
    pub values: Vec<String>,
    pub ttls: Vec<u32>,
}

/// Writes the whole file. `comments` go right after the header (skipped
/// records and other notes for the user).
pub fn zone_toml(
    source_name: &str,
    header: &Header,
    comments: &[String],
    sets: &mut [RecordSet],
) -> String {
    sets.sort_by(|a, b| {
        a.owner
            .cmp(&b.owner)
            .then_with(|| type_rank(a.rtype).cmp(&type_rank(b.rtype)))
    });
    let mut out = String::new();
    let _ = writeln!(out, "# Imported by `alwayson import` from {source_name}.");
    out.push_str("[zone]\n");
    let _ = writeln!(out, "origin = {}", string(&header.origin.to_ascii()));
    let _ = writeln!(out, "ttl = {}", header.ttl);
    let soa = &header.soa;
    let _ = writeln!(
        out,
        "soa = {{ mname = {}, rname = {}, serial = {}, refresh = {}, retry = {}, expire = {}, minimum = {}, ttl = {} }}",
        string(&soa.mname.to_ascii()),
        string(&soa.rname.to_ascii()),
        soa.serial,
        soa.refresh,
        soa.retry,
        soa.expire,
        soa.minimum,
        header.soa_ttl,
    );
    if !comments.is_empty() {
        out.push('\n');
        for c in comments {
            for line in c.lines() {
                let _ = writeln!(out, "# {line}");
            }
        }
    }
    for set in sets.iter() {
        record_set(&mut out, set, header);
    }
    out
}

/// One `[[record]]` table; its TTL is the smallest of the set's, and a
/// comment says so when they differed.
fn record_set(out: &mut String, set: &RecordSet, header: &Header) {
    out.push('\n');
    let ttl = set.ttls.iter().copied().min().unwrap_or(header.ttl);
    if set.ttls.iter().any(|&t| t != ttl) {
        let mut distinct = set.ttls.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let list: Vec<String> = distinct.iter().map(u32::to_string).collect();
        let _ = writeln!(
            out,
            "# TTLs differed within this set ({}); using the smallest, {ttl}",
            list.join(", ")
        );
    }
    out.push_str("[[record]]\n");
    let _ = writeln!(
        out,
        "name = {}",
        string(&relative_name(&set.owner, &header.origin))
    );
    let _ = writeln!(out, "type = {}", string(&type_name(set.rtype)));
    if ttl != header.ttl {
        let _ = writeln!(out, "ttl = {ttl}");
    }
    out.push_str("values = ");
    out.push_str(&array(&set.values));
    out.push('\n');
}

/// `@` for the origin itself, else the labels below the origin.
fn relative_name(owner: &Name, origin: &Name) -> String {
    // Counted with iter(): num_labels() leaves out a leading `*` (RFC 4034).
    let below = owner.iter().count().saturating_sub(origin.iter().count());
    if below == 0 {
        return "@".into();
    }
    match Name::from_labels(owner.iter().take(below)) {
        Ok(mut relative) => {
            relative.set_fqdn(false);
            relative.to_ascii()
        }
        // Unreachable for labels taken from a valid name; the absolute form
        // is still correct TOML for the zone.
        Err(_) => owner.to_ascii(),
    }
}

fn type_rank(rtype: RecordType) -> usize {
    SUPPORTED
        .iter()
        .position(|&t| t == rtype)
        .unwrap_or(SUPPORTED.len())
}

/// A TOML array, on one line when short, else one value per line.
fn array(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| string(v)).collect();
    let one_line = format!("[{}]", items.join(", "));
    if one_line.len() <= 88 || items.len() == 1 {
        return one_line;
    }
    let mut out = String::from("[\n");
    for item in items {
        let _ = writeln!(out, "  {item},");
    }
    out.push(']');
    out
}

/// A TOML string: a literal string ('...') when the text has quotes or
/// backslashes (TXT and CAA values) and can be one, else a basic string.
pub fn string(text: &str) -> String {
    let literal_ok = !text.contains('\'') && !text.chars().any(char::is_control);
    if literal_ok && (text.contains('"') || text.contains('\\')) {
        return format!("'{text}'");
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_valid_toml_and_read_back_unchanged() {
        for text in [
            "plain",
            "\"quoted\" \"two\"",
            "back\\slash",
            "it's \"both\" \\",
            "tab\tand\nnewline\u{1}",
            "é",
        ] {
            let doc = format!("v = {}", string(text));
            let table: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(table["v"].as_str(), Some(text), "{doc}");
        }
        assert_eq!(string("\"v=spf1 -all\""), "'\"v=spf1 -all\"'");
    }

    #[test]
    fn relative_names_keep_escapes_and_wildcards() {
        let origin = Name::from_ascii("example.com.").unwrap();
        let rel = |s: &str| relative_name(&Name::from_ascii(s).unwrap(), &origin);
        assert_eq!(rel("example.com."), "@");
        assert_eq!(rel("WWW.example.com."), "WWW");
        assert_eq!(rel("*.wild.example.com."), "*.wild");
        assert_eq!(rel("a\\.b.example.com."), "a\\.b");
    }

    #[test]
    fn long_arrays_go_one_value_per_line() {
        let values: Vec<String> = (0..8).map(|i| format!("192.0.2.{i}")).collect();
        let a = array(&values);
        assert!(a.starts_with("[\n  \"192.0.2.0\",\n"), "{a}");
        let doc = format!("v = {a}");
        let table: toml::Table = toml::from_str(&doc).unwrap();
        assert_eq!(table["v"].as_array().map(Vec::len), Some(8));
    }
}
