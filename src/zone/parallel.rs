//! A long plain run of `[[record]]` tables converted on every core: the
//! run is cut into pieces of whole tables (`scan::pieces`), worker threads
//! take the pieces in turn, each with its own [`Context`] on the same
//! source, and the calling thread appends each piece's record sets,
//! problems and broken sets in file order as soon as the pieces before it
//! are in. So the result is exactly the sequential one (the same sets in
//! the same order, the same problems in the same order), and only the
//! few pieces that finished early are held beside the zone's sets.
//!
//! Invariant: converting a table depends on nothing but the table, the
//! source, the origin and the zone TTL (`Context::record_set` keeps no
//! state between tables other than the problems and broken sets it adds).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};

use hickory_proto::rr::Name;

use crate::diag::Diagnostic;
use crate::zone::body::Context;
use crate::zone::groups::Broken;
use crate::zone::model::RecordSet;
use crate::zone::scan::{self, Run};
use crate::zone::stream::Unread;

/// How a run is converted.
#[derive(Clone, Copy, Debug)]
pub(super) struct Split {
    /// Worker threads; 1 converts on the calling thread.
    pub(super) threads: usize,
    /// Runs of fewer tables are converted on the calling thread.
    pub(super) from: usize,
    /// About how many tables make a piece.
    pub(super) piece: usize,
}

impl Split {
    /// The machine's cores, for runs of 20,000 tables or more, in pieces
    /// of about 4,096 tables (small enough that the pieces waiting for an
    /// earlier one to finish stay a small part of the zone).
    pub(super) fn machine() -> Self {
        static THREADS: OnceLock<usize> = OnceLock::new();
        Self {
            threads: *THREADS
                .get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from)),
            from: 20_000,
            piece: 4_096,
        }
    }
}

/// One piece converted: its sets, problems and broken sets.
struct Piece {
    sets: Vec<RecordSet>,
    diags: Vec<Diagnostic>,
    broken: Broken,
}

impl Context<'_> {
    /// Converts the plain `run` of `text` into `sets` (when the origin is
    /// known), split as `split` says; `NotPlain` when a table is not plain.
    pub(super) fn plain_run(
        &mut self,
        text: &str,
        run: &Run,
        origin: Option<&Name>,
        ttl: u32,
        sets: &mut Vec<RecordSet>,
        split: Split,
    ) -> Result<(), Unread> {
        if split.threads < 2 || run.count < split.from.max(2) {
            return self.piece_into(text, run, origin, ttl, sets);
        }
        let pieces = scan::pieces(text, run, run.count / split.piece.max(1));
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|scope| {
            for _ in 0..split.threads.min(pieces.len()) {
                let tx = tx.clone();
                let (next, stop, pieces) = (&next, &stop, &pieces);
                let src = self.src;
                let source = self.source;
                scope.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(run) = pieces.get(i) else { break };
                        let mut cx = Context::new(src, source);
                        let mut sets = Vec::with_capacity(run.count);
                        let piece =
                            cx.piece_into(text, run, origin, ttl, &mut sets)
                                .map(|()| Piece {
                                    sets,
                                    diags: cx.diags,
                                    broken: cx.broken,
                                });
                        stop.fetch_or(piece.is_err(), Ordering::Relaxed);
                        if tx.send((i, piece)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            self.join(&rx, pieces.len(), sets)
        })
    }

    /// Appends the pieces in order as they come in.
    fn join(
        &mut self,
        rx: &mpsc::Receiver<(usize, Result<Piece, Unread>)>,
        count: usize,
        sets: &mut Vec<RecordSet>,
    ) -> Result<(), Unread> {
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        while next < count {
            let Ok((i, piece)) = rx.recv() else {
                break;
            };
            waiting.insert(i, piece?);
            while let Some(mut piece) = waiting.remove(&next) {
                sets.append(&mut piece.sets);
                self.diags.append(&mut piece.diags);
                self.broken.sets.extend(piece.broken.sets);
                self.broken.unknown |= piece.broken.unknown;
                next += 1;
            }
        }
        // Every piece is in unless a worker panicked, which the scope
        // raises again.
        (next == count).then_some(()).ok_or(Unread::NotPlain)
    }

    /// Converts the tables of `run` one after the other.
    fn piece_into(
        &mut self,
        text: &str,
        run: &Run,
        origin: Option<&Name>,
        ttl: u32,
        sets: &mut Vec<RecordSet>,
    ) -> Result<(), Unread> {
        for record in scan::records(text, run) {
            let record = record.ok_or(Unread::NotPlain)?;
            if let Some(origin) = origin
                && let Some(set) = self.record_set(&record, origin, ttl)
            {
                sets.push(set);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "parallel_tests.rs"]
mod tests;
