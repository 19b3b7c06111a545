//! A large zone's answers built on two threads while the node tree is
//! built in order: the record sets are cut into parts of whole owner
//! names, which both threads take one at a time (the tree's thread once
//! its tree is done), and the parts are put back in order, so the result
//! is the same as building them one after another. A small zone is built
//! on the calling thread only.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::zone::grouping::sorted_names;
use crate::zone::model::RecordSet;

/// Record sets in one part (about 4096; a part never splits an owner name).
const PART: usize = 4096;

/// `tree()` on the calling thread, and `part` over every part of `sets`,
/// on a second thread as well when there are `two_threads_from` sets or
/// more; the parts' results in the sets' order.
pub(super) fn run<T, R: Send>(
    sets: &[RecordSet],
    two_threads_from: usize,
    tree: impl FnOnce() -> T,
    part: impl Fn(&[RecordSet]) -> R + Sync,
) -> (T, Vec<R>) {
    let parts = sets.len().div_ceil(PART);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= parts {
                return done;
            }
            let range = name_start(sets, i * PART)..name_start(sets, (i + 1) * PART);
            done.push((i, part(sets.get(range).unwrap_or_default())));
        }
    };
    if sets.len() < two_threads_from {
        let built = tree();
        return (built, in_order(work()));
    }
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("zone-compile".into())
            .spawn_scoped(scope, &work);
        let built = tree();
        let mut done = work();
        // Without a second thread the calling one took every part.
        if let Ok(helper) = helper {
            match helper.join() {
                Ok(theirs) => done.extend(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        (built, in_order(done))
    })
}

/// The results by part number.
fn in_order<R>(mut done: Vec<(usize, R)>) -> Vec<R> {
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The first set at or after `at` that starts an owner name (as
/// `sorted_names` groups them), or the end.
fn name_start(sets: &[RecordSet], mut at: usize) -> usize {
    while at > 0 && at < sets.len() && sorted_names(&sets[at - 1..=at]).nth(1).is_none() {
        at += 1;
    }
    at.min(sets.len())
}
