//! `alwayson geoip build`: CSV of `network,continent,country,subdivision,latitude,longitude`
//! → a MaxMind DB in the GeoIP2-City schema.
//!
//! Invariant: nothing is written unless the whole CSV is valid, and the output
//! appears atomically (written beside it, then renamed), so a reader never
//! sees a half-written database. The tree is IPv6 with IPv4 under `::/96`
//! (and its mapped aliases), like GeoLite2, so both families resolve.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mmdb_writer::{Value, Writer};

use super::csv::{self, Row};
use super::region;
use crate::diag::{Diagnostic, Diagnostics, Source};

/// The metadata `database_type`: readers such as MaxMind's own libraries
/// accept City lookups only on types they know.
pub const DATABASE_TYPE: &str = "GeoIP2-City";

/// Builds `output` from the CSV at `csv`; returns a one-line summary.
pub fn build_file(csv: &Path, output: &Path) -> Result<String, Diagnostics> {
    let source = Source::read(csv).map_err(|d| Diagnostics(vec![d]))?;
    let rows = csv::parse(&source)?;
    let name = csv.file_name().map_or_else(
        || csv.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = build_database(&rows, &name, build_epoch())
        .map_err(|(line, e)| Diagnostics(vec![source.error(&line_span(&source, line), e)]))?;
    write_atomically(output, &bytes).map_err(|e| {
        Diagnostics(vec![Diagnostic {
            file: output.to_path_buf(),
            line: 1,
            col: 1,
            message: format!("cannot write database: {e}"),
        }])
    })?;
    let v4 = rows.iter().filter(|r| r.network.addr().is_ipv4()).count();
    Ok(format!(
        "wrote {}: {} networks ({v4} IPv4, {} IPv6) from {}",
        output.display(),
        rows.len(),
        rows.len() - v4,
        csv.display()
    ))
}

/// Encodes validated rows as a GeoIP2-City database. More specific networks
/// win wherever networks overlap, whatever their order in the file. On
/// failure, returns the CSV line of the offending row and the reason.
pub fn build_database(
    rows: &[Row],
    source_name: &str,
    build_epoch: SystemTime,
) -> Result<Vec<u8>, (usize, String)> {
    let description = format!("built by alwayson geoip build from {source_name}");
    let mut writer = Writer::builder(DATABASE_TYPE)
        .description(&[("en", description.as_str())])
        .build_epoch(build_epoch)
        .build();
    let mut ordered: Vec<&Row> = rows.iter().collect();
    // The writer lets later inserts overwrite earlier ones, so insert broad
    // networks first; IPv4 sits 96 bits deep in the IPv6 tree.
    ordered.sort_by_key(|r| match r.network {
        ipnet::IpNet::V4(n) => 96 + n.prefix_len(),
        ipnet::IpNet::V6(n) => n.prefix_len(),
    });
    for row in ordered {
        writer
            .insert_value(row.network, record(row))
            .map_err(|e| (row.line, format!("cannot insert {}: {e}", row.network)))?;
    }
    writer
        .to_bytes()
        .map_err(|e| (1, format!("cannot encode the database: {e}")))
}

/// The GeoIP2-City fields alwayson reads, with English names where known.
fn record(row: &Row) -> Value {
    let mut fields = BTreeMap::new();
    let mut continent = vec![("code", Value::from(row.continent.as_str()))];
    if let Some(name) = region::continent_name(row.continent) {
        continent.push(("names", Value::map([("en", name)])));
    }
    fields.insert("continent".to_string(), Value::map(continent));
    fields.insert(
        "country".to_string(),
        Value::map([("iso_code", row.country.as_str())]),
    );
    if let Some(code) = row.subdivision {
        fields.insert(
            "subdivisions".to_string(),
            Value::array([Value::map([("iso_code", code.as_str())])]),
        );
    }
    if let Some((latitude, longitude)) = row.coordinates {
        fields.insert(
            "location".to_string(),
            Value::map([("latitude", latitude), ("longitude", longitude)]),
        );
    }
    Value::Map(fields)
}

/// `SOURCE_DATE_EPOCH` when set (reproducible builds of the committed
/// sample), else now.
fn build_epoch() -> SystemTime {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or_else(SystemTime::now, |secs| {
            UNIX_EPOCH + Duration::from_secs(secs)
        })
}

fn line_span(source: &Source, line: usize) -> crate::diag::Span {
    let start = source
        .text()
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    start..start
}

fn write_atomically(output: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = output
        .file_name()
        .map_or_else(|| "geoip.mmdb".into(), |n| n.to_string_lossy().into_owned());
    let temp = output.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, output));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
