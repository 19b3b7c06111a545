//! Counters for Prometheus: what the query path, the updater and the
//! forwarders count, and the text format `/metrics` renders from them.
//!
//! Invariant: recording a query is a handful of relaxed atomic increments
//! into fixed arrays indexed by small label enums (transport × rcode × a
//! fixed qtype list with "other"); no lock, no allocation, no formatting.
//! Per-zone counters live in [`zone_slots`], found by the [`ZoneId`] the
//! compiled zone carries; [`Metrics::assign_zone_ids`] gives every
//! recompiled version of an origin the same id (and creates its slot before
//! the control plane publishes it), so counts survive reloads. Everything
//! else (probe results, flips, reloads) is counted by the updater, off the
//! query path, and all formatting happens in [`render`] on scrape.

pub mod abuse;
pub mod cluster;
mod histogram;
mod labels;
pub mod render;
pub mod tcp;
pub mod udp_batch;
mod zone_slots;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};

use crate::health::CheckId;
use crate::table::zone_table::ZoneId;
use zone_slots::ZoneSlots;

pub use histogram::Histogram;
pub use labels::{QTYPES, RCODES, TRANSPORTS, Transport};
pub use render::render;

/// Upper bounds of the query latency buckets, in seconds.
pub const QUERY_LATENCY_BOUNDS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05,
];
/// Upper bounds of the probe duration buckets, in seconds.
pub const PROBE_DURATION_BOUNDS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Everything counted by one server; shared by `Arc`.
#[derive(Debug)]
pub struct Metrics {
    /// Queries answered without a zone (REFUSED, FORMERR, NOTIMP, BADVERS).
    unmatched: ZoneCounters,
    /// Every zone's counters, by id (also of origins no longer served).
    slots: ZoneSlots,
    /// Which origins are served now and their ids. Updater and scrapes only.
    zones: Mutex<ZoneIds>,
    latency: Histogram,
    truncated: [AtomicU64; TRANSPORTS],
    /// Rate-limited responses and cookies (the UDP query path).
    pub abuse: abuse::AbuseCounters,
    /// Gossip traffic and the cluster's state (written by the cluster task).
    pub cluster: cluster::ClusterCounters,
    /// Datagrams per batched UDP receive.
    pub udp_batches: udp_batch::UdpBatches,
    /// Connections of the DNS TCP loop.
    pub tcp: tcp::TcpCounters,
    /// Online DNSSEC signing and its signature cache.
    pub dnssec: std::sync::Arc<crate::dnssec::SignStats>,
    reloads: AtomicU64,
    reload_errors: AtomicU64,
    /// Written by the updater only; read on scrape.
    checks: Mutex<BTreeMap<CheckId, CheckCounters>>,
}

/// The ids of the served origins, and the next id to give out.
#[derive(Debug, Default)]
struct ZoneIds {
    /// By origin (lowercase, absolute).
    served: BTreeMap<String, ZoneId>,
    next: u32,
}

/// Queries of one zone by transport × rcode × qtype.
#[derive(Debug)]
pub struct ZoneCounters {
    queries: [AtomicU64; TRANSPORTS * RCODES * QTYPES],
}

/// Probe and flip counts of one health check.
#[derive(Debug)]
struct CheckCounters {
    probes: u64,
    failures: u64,
    durations: Histogram,
    to_healthy: u64,
    to_unhealthy: u64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            unmatched: ZoneCounters::default(),
            slots: ZoneSlots::default(),
            zones: Mutex::default(),
            latency: Histogram::new(QUERY_LATENCY_BOUNDS),
            truncated: Default::default(),
            abuse: abuse::AbuseCounters::default(),
            cluster: cluster::ClusterCounters::default(),
            udp_batches: udp_batch::UdpBatches::default(),
            tcp: tcp::TcpCounters::default(),
            dnssec: std::sync::Arc::default(),
            reloads: AtomicU64::new(0),
            reload_errors: AtomicU64::new(0),
            checks: Mutex::default(),
        }
    }
}

impl Default for ZoneCounters {
    fn default() -> Self {
        Self {
            queries: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl ZoneCounters {
    /// Queries counted for one label combination.
    pub fn get(&self, transport: Transport, rcode: ResponseCode, qtype: RecordType) -> u64 {
        self.queries[labels::index(transport, rcode, qtype)].load(Ordering::Relaxed)
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one answered query (the query path: atomics only). `zone` is
    /// None when no served zone held the name, or the query never got that
    /// far. A zone whose id was never assigned (a table built without the
    /// control plane) is not counted per zone.
    pub fn record_query(
        &self,
        zone: Option<ZoneId>,
        transport: Transport,
        qtype: RecordType,
        rcode: ResponseCode,
        truncated: bool,
        elapsed: Duration,
    ) {
        let counters = match zone {
            None => Some(&self.unmatched),
            Some(id) => self.slots.get(id),
        };
        if let Some(counters) = counters {
            counters.queries[labels::index(transport, rcode, qtype)]
                .fetch_add(1, Ordering::Relaxed);
        }
        if truncated {
            self.truncated[transport as usize].fetch_add(1, Ordering::Relaxed);
        }
        self.latency.observe(elapsed);
    }

    /// The id of each origin about to be served, in order: the id it had
    /// if it is served now, else a new one whose counters start at zero.
    /// Origins left out are forgotten (a later return starts from zero).
    /// Their counters exist before this returns, so the caller may publish
    /// the ids at once. Updater only.
    pub fn assign_zone_ids<'a>(&self, origins: impl IntoIterator<Item = &'a Name>) -> Vec<ZoneId> {
        let mut ids = lock(&self.zones);
        let mut served = BTreeMap::new();
        let mut assigned = Vec::new();
        for origin in origins {
            let origin = origin.to_lowercase().to_string();
            let id = match ids.served.remove(&origin) {
                Some(id) => id,
                None => {
                    // u32::MAX is ZoneId::UNASSIGNED; ids are never reused
                    let id = ZoneId(ids.next.min(u32::MAX - 1));
                    ids.next = ids.next.saturating_add(1);
                    self.slots.create(id);
                    id
                }
            };
            served.insert(origin, id);
            assigned.push(id);
        }
        ids.served = served;
        assigned
    }

    /// The counters of a served origin (`"example.com."`), for tests and the status page.
    pub fn zone_counters(&self, origin: &str) -> Option<&ZoneCounters> {
        let id = *lock(&self.zones).served.get(&origin.to_ascii_lowercase())?;
        self.slots.get(id)
    }

    /// Counts one probe result of `id`. Updater only.
    pub fn record_probe(&self, id: &CheckId, success: bool, duration: Duration) {
        let mut checks = lock(&self.checks);
        let entry = checks.entry(id.clone()).or_insert_with(CheckCounters::new);
        entry.probes += 1;
        if !success {
            entry.failures += 1;
        }
        entry.durations.observe(duration);
    }

    /// Counts one flip of `id` to `healthy`. Updater only.
    pub fn record_flip(&self, id: &CheckId, healthy: bool) {
        let mut checks = lock(&self.checks);
        let entry = checks.entry(id.clone()).or_insert_with(CheckCounters::new);
        if healthy {
            entry.to_healthy += 1;
        } else {
            entry.to_unhealthy += 1;
        }
    }

    /// Forgets the counts of checks that no longer exist. Updater only.
    pub fn retain_checks(&self, exists: impl Fn(&str) -> bool) {
        lock(&self.checks).retain(|id, _| exists(id));
    }

    /// Counts one reload; `failed` when any file or the config had errors.
    pub fn record_reload(&self, failed: bool) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.reload_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    pub fn reload_errors(&self) -> u64 {
        self.reload_errors.load(Ordering::Relaxed)
    }
}

impl CheckCounters {
    fn new() -> Self {
        Self {
            probes: 0,
            failures: 0,
            durations: Histogram::new(PROBE_DURATION_BOUNDS),
            to_healthy: 0,
            to_unhealthy: 0,
        }
    }
}

/// A poisoned lock only means a scrape or the updater panicked mid-update of
/// plain counters; the counts are still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_lands_in_its_zone_transport_rcode_and_qtype() {
        let metrics = Metrics::new();
        let origin = Name::from_ascii("example.com.").unwrap();
        let ids = metrics.assign_zone_ids([&origin]);
        let zone = metrics.zone_counters("example.com.").unwrap();
        metrics.record_query(
            Some(ids[0]),
            Transport::Udp,
            RecordType::AAAA,
            ResponseCode::NXDomain,
            true,
            Duration::from_micros(30),
        );
        metrics.record_query(
            None,
            Transport::Tcp,
            RecordType::Unknown(65000),
            ResponseCode::Refused,
            false,
            Duration::from_secs(3),
        );
        assert_eq!(
            zone.get(Transport::Udp, ResponseCode::NXDomain, RecordType::AAAA),
            1
        );
        assert_eq!(
            zone.get(Transport::Tcp, ResponseCode::NXDomain, RecordType::AAAA),
            0
        );
        assert_eq!(
            metrics
                .unmatched
                .get(Transport::Tcp, ResponseCode::Refused, RecordType::NULL),
            1,
            "unlisted qtypes share the \"other\" slot"
        );
        assert_eq!(
            metrics.truncated[Transport::Udp as usize].load(Ordering::Relaxed),
            1
        );
        assert_eq!(metrics.latency.count(), 2);
    }
}
