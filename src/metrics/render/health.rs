//! The health families: each check's effective status and since when (from
//! the snapshot), and its probe, failure, duration and flip counts (from the
//! counters the updater keeps).
//!
//! Invariant: checks appear sorted by id in every family, so a scrape's
//! text is stable between scrapes.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::exposition::{escape, family, histogram, unix_seconds};
use crate::health::CheckId;
use crate::metrics::{CheckCounters, Metrics, lock};
use crate::table::Snapshot;

/// Every health family, statuses first.
pub(super) fn health(w: &mut String, metrics: &Metrics, snapshot: &Snapshot) {
    statuses(w, snapshot);
    let checks = lock(&metrics.checks);
    probes(w, &checks);
    flips(w, &checks);
}

/// `alwayson_health_check_healthy` and `…_status_since_timestamp_seconds`.
fn statuses(w: &mut String, snapshot: &Snapshot) {
    let mut statuses: Vec<_> = snapshot.health.iter().collect();
    statuses.sort_by(|a, b| a.0.cmp(b.0));
    family(
        w,
        "alwayson_health_check_healthy",
        "gauge",
        "Effective status of each health check: 1 healthy, 0 unhealthy.",
    );
    for (id, status) in &statuses {
        let _ = writeln!(
            w,
            "alwayson_health_check_healthy{{check=\"{}\"}} {}",
            escape(id),
            u8::from(status.healthy)
        );
    }
    family(
        w,
        "alwayson_health_check_status_since_timestamp_seconds",
        "gauge",
        "When each check's effective status last changed (Unix time).",
    );
    for (id, status) in &statuses {
        let since = unix_seconds(status.since);
        let _ = writeln!(
            w,
            "alwayson_health_check_status_since_timestamp_seconds{{check=\"{}\"}} {since:.3}",
            escape(id)
        );
    }
}

/// Probes run, probes failed and how long they took, by check.
fn probes(w: &mut String, checks: &BTreeMap<CheckId, CheckCounters>) {
    family(
        w,
        "alwayson_health_probes_total",
        "counter",
        "Probes run, by check.",
    );
    for (id, c) in checks {
        let _ = writeln!(
            w,
            "alwayson_health_probes_total{{check=\"{}\"}} {}",
            escape(id),
            c.probes
        );
    }
    family(
        w,
        "alwayson_health_probe_failures_total",
        "counter",
        "Probes that failed (before hysteresis and invert), by check.",
    );
    for (id, c) in checks {
        let _ = writeln!(
            w,
            "alwayson_health_probe_failures_total{{check=\"{}\"}} {}",
            escape(id),
            c.failures
        );
    }
    family(
        w,
        "alwayson_health_probe_duration_seconds",
        "histogram",
        "How long each probe took, by check.",
    );
    for (id, c) in checks {
        histogram(
            w,
            "alwayson_health_probe_duration_seconds",
            &format!("check=\"{}\"", escape(id)),
            &c.durations,
        );
    }
}

/// `alwayson_health_flips_total`, both directions of every check.
fn flips(w: &mut String, checks: &BTreeMap<CheckId, CheckCounters>) {
    family(
        w,
        "alwayson_health_flips_total",
        "counter",
        "Changes of a check's effective status, by check and new status.",
    );
    for (id, c) in checks {
        let id = escape(id);
        let _ = writeln!(
            w,
            "alwayson_health_flips_total{{check=\"{id}\",to=\"healthy\"}} {}",
            c.to_healthy
        );
        let _ = writeln!(
            w,
            "alwayson_health_flips_total{{check=\"{id}\",to=\"unhealthy\"}} {}",
            c.to_unhealthy
        );
    }
}
