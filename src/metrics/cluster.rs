//! Counters and gauges of the cluster gossip: datagrams and bytes in and
//! out, datagrams rejected (and why), and the state the cluster task last
//! saw (members alive, whether this node is alone, the verdict and every
//! observer's observation per check, zone drift), for `/metrics`.
//!
//! Invariant: the gossip transport only adds to relaxed atomics; the
//! cluster task replaces the gauges as a whole, off the query path.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a gossip datagram was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipRejection {
    /// Shorter than the tag and timestamp.
    Short = 0,
    /// The MAC did not verify (wrong key, garbage, tampering).
    BadMac = 1,
    /// Authentic but too old or too far ahead (a replay, or a clock far off).
    Stale = 2,
    /// Authentic but not a gossip message chitchat could decode.
    Undecodable = 3,
}

/// The label values of [`GossipRejection`], in its order.
pub const GOSSIP_REJECTIONS: [&str; 4] = ["short", "bad_mac", "stale", "undecodable"];

#[derive(Debug, Default)]
pub struct ClusterCounters {
    pub(super) datagrams_in: AtomicU64,
    pub(super) datagrams_out: AtomicU64,
    pub(super) bytes_in: AtomicU64,
    pub(super) bytes_out: AtomicU64,
    pub(super) rejected: [AtomicU64; 4],
    /// None: no `[cluster]`, so nothing is rendered.
    pub(super) gauges: Mutex<Option<ClusterGauges>>,
    /// (check, healthy) per check a cluster verdict decides (the updater's).
    pub(super) verdicts: Mutex<Vec<(String, bool)>>,
}

/// What the cluster task saw last.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterGauges {
    /// Live members, this node included.
    pub members_alive: usize,
    /// No peer is heard: answers follow this node's own probes.
    pub isolated: bool,
    /// (check, node, healthy) per live observer's observation.
    pub observations: Vec<(String, String, bool)>,
    /// (zone origin, drifting) per zone this node serves.
    pub zone_drift: Vec<(String, bool)>,
}

impl ClusterCounters {
    pub fn record_in(&self, bytes: usize) {
        self.datagrams_in.fetch_add(1, Ordering::Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn record_out(&self, bytes: usize) {
        self.datagrams_out.fetch_add(1, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn record_rejected(&self, why: GossipRejection) {
        self.rejected[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Datagrams rejected for any reason.
    pub fn rejected_total(&self) -> u64 {
        self.rejected
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// (datagrams in, datagrams out, bytes in, bytes out).
    pub fn traffic(&self) -> (u64, u64, u64, u64) {
        (
            self.datagrams_in.load(Ordering::Relaxed),
            self.datagrams_out.load(Ordering::Relaxed),
            self.bytes_in.load(Ordering::Relaxed),
            self.bytes_out.load(Ordering::Relaxed),
        )
    }

    /// Rejected datagrams by reason, in [`GOSSIP_REJECTIONS`] order.
    pub fn rejected(&self) -> [u64; 4] {
        std::array::from_fn(|i| self.rejected[i].load(Ordering::Relaxed))
    }

    /// Replaces the gauges (the cluster task, at every change).
    pub fn set_gauges(&self, gauges: ClusterGauges) {
        if let Ok(mut current) = self.gauges.lock() {
            *current = Some(gauges);
        }
    }

    /// Replaces the verdicts (the updater, after every change).
    pub fn set_verdicts(&self, verdicts: Vec<(String, bool)>) {
        if let Ok(mut current) = self.verdicts.lock() {
            *current = verdicts;
        }
    }

    pub fn verdicts(&self) -> Vec<(String, bool)> {
        self.verdicts.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn gauges(&self) -> Option<ClusterGauges> {
        self.gauges.lock().ok().and_then(|g| g.clone())
    }
}
