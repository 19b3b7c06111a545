//! How many datagrams each batched receive (`recvmmsg`) on the UDP sockets
//! returned: a histogram over powers of two up to the batch size, so an
//! operator sees whether load arrives in batches (one system call serving
//! many queries) or one datagram at a time. Relaxed atomics only.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the histogram's buckets (the last is the batch size).
pub const BATCH_BUCKETS: [u64; 6] = [1, 2, 4, 8, 16, 32];

#[derive(Debug, Default)]
pub struct UdpBatches {
    /// Receives whose count fell in each bucket (not cumulative).
    buckets: [AtomicU64; BATCH_BUCKETS.len() + 1],
    datagrams: AtomicU64,
}

impl UdpBatches {
    /// Counts one receive that returned `datagrams` (at least one).
    pub fn record(&self, datagrams: usize) {
        let n = u64::try_from(datagrams).unwrap_or(u64::MAX);
        let bucket = BATCH_BUCKETS
            .iter()
            .position(|&le| n <= le)
            .unwrap_or(BATCH_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.datagrams.fetch_add(n, Ordering::Relaxed);
    }

    /// Cumulative counts per bucket (the last is +Inf, the total number of
    /// receives) and the number of datagrams received.
    pub fn snapshot(&self) -> ([u64; BATCH_BUCKETS.len() + 1], u64) {
        let mut cumulative = [0; BATCH_BUCKETS.len() + 1];
        let mut total = 0;
        for (out, bucket) in cumulative.iter_mut().zip(&self.buckets) {
            total += bucket.load(Ordering::Relaxed);
            *out = total;
        }
        (cumulative, self.datagrams.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_land_in_cumulative_power_of_two_buckets() {
        let batches = UdpBatches::default();
        for n in [1, 1, 3, 32, 40] {
            batches.record(n);
        }
        let (cumulative, datagrams) = batches.snapshot();
        assert_eq!(cumulative, [2, 2, 3, 3, 3, 4, 5]);
        assert_eq!(datagrams, 77);
    }
}
