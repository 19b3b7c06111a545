//! Work on every core with its results in order, for `body.rs`: a long
//! plain run of `[[record]]` tables is cut into pieces of whole tables
//! (`scan::pieces`), worker threads take the pieces (or included files)
//! in turn, each with its own `Context` on the same source, and the
//! calling thread appends each one's record sets, problems and broken
//! sets in file order as soon as those before it are in. So the result
//! is exactly the sequential one (the same sets in the same order, the
//! same problems in the same order), and only the few pieces that
//! finished early are held beside the zone's sets.
//!
//! Invariant: converting a table depends on nothing but the table, the
//! source, the origin and the zone TTL (`Context::record_set` keeps no
//! state between tables other than the problems and broken sets it adds).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};

use crate::zone::groups::Broken;

/// How a run is converted.
#[derive(Clone, Copy, Debug)]
pub(super) struct Split {
    /// Worker threads; 1 converts on the calling thread.
    pub(super) threads: usize,
    /// Runs of fewer tables are converted on the calling thread.
    pub(super) from: usize,
    /// About how many tables make a piece.
    pub(super) piece: usize,
    /// Included files of this many bytes in all, none more than half of
    /// them, are converted side by side (`body::parts`).
    pub(super) files_from: usize,
}

impl Split {
    /// The machine's cores, for runs of 20,000 tables or more, in pieces
    /// of about 4,096 tables (small enough that the pieces waiting for an
    /// earlier one to finish stay a small part of the zone), and for
    /// included files of 4 MiB or more.
    pub(super) fn machine() -> Self {
        static THREADS: OnceLock<usize> = OnceLock::new();
        Self {
            threads: *THREADS
                .get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from)),
            from: 20_000,
            piece: 4_096,
            files_from: 4 << 20,
        }
    }
}

/// Adds `from`'s broken sets to `into`'s.
pub(super) fn merge(into: &mut Broken, from: Broken) {
    into.sets.extend(from.sets);
    into.unknown |= from.unknown;
}

/// Runs `work` for each of `0..count` on up to `threads` threads, each
/// taking the next index in turn, and hands the results to `take` on the
/// calling thread in index order, each as soon as those before it are
/// in. When `take` says no, the work not yet started is skipped; returns
/// whether every result was taken.
pub(super) fn in_order<T: Send>(
    count: usize,
    threads: usize,
    work: impl Fn(usize) -> T + Sync,
    mut take: impl FnMut(T) -> bool,
) -> bool {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, count.max(1)) {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count || tx.send((i, work(i))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut taken = 0;
        // Every result comes unless a worker panicked, which the scope
        // raises again.
        while taken < count
            && let Ok((i, result)) = rx.recv()
        {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&taken) {
                if !take(result) {
                    stop.store(true, Ordering::Relaxed);
                    return false;
                }
                taken += 1;
            }
        }
        taken == count
    })
}
