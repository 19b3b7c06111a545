//! A large zone's answers built on two threads while the node tree is
//! built in order (the second thread is the caller's: the table spawns
//! nothing). The record sets are cut into parts of whole owner
//! names. The calling thread takes the parts in order: it adds the part's
//! names to the tree, then takes the part's answers from the second thread
//! (which works ahead, at most [`AHEAD`] parts, so little is held twice) or,
//! when that thread has not started the part, builds them itself. Every
//! part is built by the same function and taken in order, so the result
//! is the same as building them one after another. A small zone is built
//! on the calling thread only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use super::Beside;

use crate::zone::grouping::sorted_names;
use crate::zone::model::RecordSet;

/// Record sets in one part (about 4096; a part never splits an owner name).
const PART: usize = 4096;
/// Parts the second thread may have built before the first takes them.
const AHEAD: usize = 2;

/// What the calling thread does with each part, in order.
pub(super) trait Assemble<R> {
    /// Takes in the owner names of a part (before its answers are ready).
    fn names(&mut self, sets: &[RecordSet]);
    /// Takes in the answers `build` gave for that part.
    fn answers(&mut self, answers: R);
}

/// Feeds every part of `sets` to `into`, its answers built by `build`, on
/// the second thread `beside` gives as well (none: on this one only).
pub(super) fn run<R: Send>(
    sets: &[RecordSet],
    beside: Option<Beside<'_>>,
    into: &mut impl Assemble<R>,
    build: impl Fn(&[RecordSet]) -> R + Sync,
) {
    let parts = sets.len().div_ceil(PART);
    let part = |i: usize| {
        let range = name_start(sets, i * PART)..name_start(sets, (i + 1) * PART);
        sets.get(range).unwrap_or_default()
    };
    let Some(beside) = beside else {
        for i in 0..parts {
            into.names(part(i));
            into.answers(build(part(i)));
        }
        return;
    };
    // The next part nobody has started; either thread takes it.
    let next = AtomicUsize::new(0);
    let (send, receive) = mpsc::sync_channel(AHEAD);
    let sender = Mutex::new(Some(send));
    let ahead = || {
        // Owned by the second thread: if it stops early, the receiver
        // learns of it instead of waiting.
        let Some(send) = sender.lock().ok().and_then(|mut s| s.take()) else {
            return;
        };
        loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            if i >= parts || send.send(build(part(i))).is_err() {
                return;
            }
        }
    };
    let mut here = || {
        for i in 0..parts {
            into.names(part(i));
            // Every part before `i` is taken in, so the second thread's
            // next answers (if it started `i`) are those of part `i`.
            let mine = next
                .compare_exchange(i, i + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
            let answers = match mine {
                true => build(part(i)),
                false => receive.recv().unwrap_or_else(|_| build(part(i))),
            };
            into.answers(answers);
        }
    };
    beside(&ahead, &mut here);
}

/// The first set at or after `at` that starts an owner name (as
/// `sorted_names` groups them), or the end.
fn name_start(sets: &[RecordSet], mut at: usize) -> usize {
    while at > 0 && at < sets.len() && sorted_names(&sets[at - 1..=at]).nth(1).is_none() {
        at += 1;
    }
    at.min(sets.len())
}
