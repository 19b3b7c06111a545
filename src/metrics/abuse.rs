//! Counters of the defences on the UDP query path: responses held back by
//! response rate limiting, and DNS cookies by what they said. Relaxed
//! atomics only, like every query-path counter.

use std::sync::atomic::{AtomicU64, Ordering};

/// What RRL did to one response over the rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RrlAction {
    /// Sent truncated (TC=1, no records).
    Slipped,
    /// Not sent.
    Dropped,
}

/// What a request's COOKIE option held, as counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieResult {
    ClientOnly = 0,
    Valid = 1,
    Invalid = 2,
    Malformed = 3,
}

/// The label values of [`CookieResult`], in its order.
pub const COOKIE_RESULTS: [&str; 4] = ["client_only", "valid", "invalid", "malformed"];

#[derive(Debug, Default)]
pub struct AbuseCounters {
    pub(super) slipped: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) cookies: [AtomicU64; 4],
}

impl AbuseCounters {
    /// Counts one rate-limited response.
    pub fn record_rrl(&self, action: RrlAction) {
        let counter = match action {
            RrlAction::Slipped => &self.slipped,
            RrlAction::Dropped => &self.dropped,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one request that carried a COOKIE option.
    pub fn record_cookie(&self, result: CookieResult) {
        self.cookies[result as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests counted per [`CookieResult`], in its order.
    pub fn cookies(&self) -> [u64; 4] {
        std::array::from_fn(|i| self.cookies[i].load(Ordering::Relaxed))
    }

    /// Responses slipped and dropped so far.
    pub fn rrl(&self) -> (u64, u64) {
        (
            self.slipped.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        )
    }
}
