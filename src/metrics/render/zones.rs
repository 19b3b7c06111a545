//! The zone families: serial and record count of each served zone, and
//! whether each zone file's last read failed and when its served version
//! was loaded.
//!
//! Invariant: read from the snapshot alone, so the numbers describe exactly
//! the table the query path answers from.

use std::fmt::Write;

use super::exposition::{escape, family, unix_seconds};
use crate::table::Snapshot;

/// Every zone family, served zones first, then zone files.
pub(super) fn zones(w: &mut String, snapshot: &Snapshot) {
    served(w, snapshot);
    files(w, snapshot);
}

/// `alwayson_zone_serial` and `alwayson_zone_records`, by zone.
fn served(w: &mut String, snapshot: &Snapshot) {
    let served = snapshot.zones.zones();
    family(
        w,
        "alwayson_zone_serial",
        "gauge",
        "SOA serial being served, by zone.",
    );
    for zone in served {
        let _ = writeln!(
            w,
            "alwayson_zone_serial{{zone=\"{}\"}} {}",
            escape(&zone.origin.to_string()),
            zone.serial
        );
    }
    family(
        w,
        "alwayson_zone_records",
        "gauge",
        "Records (values and aliases) being served, by zone.",
    );
    for zone in served {
        let _ = writeln!(
            w,
            "alwayson_zone_records{{zone=\"{}\"}} {}",
            escape(&zone.origin.to_string()),
            zone.record_count
        );
    }
}

/// `alwayson_zone_file_failed` and `alwayson_zone_loaded_timestamp_seconds`,
/// by file.
fn files(w: &mut String, snapshot: &Snapshot) {
    family(
        w,
        "alwayson_zone_file_failed",
        "gauge",
        "1 when the last read of a zone file failed (its previous version, if any, keeps serving).",
    );
    for file in &snapshot.zones.files {
        let _ = writeln!(
            w,
            "alwayson_zone_file_failed{{file=\"{}\"}} {}",
            escape(&file.file.display().to_string()),
            u8::from(file.error.is_some())
        );
    }
    family(
        w,
        "alwayson_zone_loaded_timestamp_seconds",
        "gauge",
        "When the version being served of each zone file was loaded (Unix time).",
    );
    for file in &snapshot.zones.files {
        let at = unix_seconds(file.loaded_at);
        let _ = writeln!(
            w,
            "alwayson_zone_loaded_timestamp_seconds{{file=\"{}\"}} {at:.3}",
            escape(&file.file.display().to_string())
        );
    }
}
