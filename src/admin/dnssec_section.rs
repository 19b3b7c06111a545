//! The status page's DNSSEC table: every signed zone's keys with their
//! tag, algorithm, role and state, and the DS to give the registrar.

use std::fmt::Write;

use crate::table::ZoneTable;

/// The `<h2>DNSSEC</h2>` section (empty when no zone is signed), with
/// text made safe for HTML by `escape`.
pub fn section(zones: &ZoneTable, escape: fn(&str) -> String) -> String {
    let mut w = String::new();
    for zone in zones.zones() {
        let Some(keys) = zone.dnssec.as_deref() else {
            continue;
        };
        if w.is_empty() {
            w.push_str("<h2>DNSSEC</h2>\n<table id=\"dnssec\"><tr><th>zone</th><th>key tag</th><th>algorithm</th><th>role</th><th>state</th><th>DS (for the parent zone)</th></tr>\n");
        }
        for key in &keys.keys {
            let ds = match key.ds(&zone.origin) {
                Ok(ds) if key.is_sep() => ds.to_string(),
                _ => "-".to_string(),
            };
            let _ = writeln!(
                w,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
                escape(&zone.origin.to_string()),
                key.tag,
                key.algorithm.number(),
                key.role.as_str(),
                key.state.as_str(),
                escape(&ds)
            );
        }
    }
    if !w.is_empty() {
        w.push_str("</table>\n");
    }
    w
}
