//! A large zone's answers built on two threads while the node tree is
//! built in order (the second thread is the caller's: the table spawns
//! nothing). The record sets are cut into parts of whole owner names, and
//! either thread builds the next part nobody has started. The calling
//! thread also takes the parts in order: it adds a part's names to the
//! tree, then takes that part's answers, building another part while they
//! are not ready, so neither thread waits while a part is left. Built
//! answers are the table's own allocations, moved in when taken, so a part
//! built early is not held twice. Every part is built by the same function
//! and taken in order, so the result is the same as building them one
//! after another. A small zone is built on the calling thread only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::Beside;

use crate::zone::grouping::sorted_names;
use crate::zone::model::RecordSet;

/// Record sets in one part (about 4096; a part never splits an owner name).
const PART: usize = 4096;

/// What the calling thread does with each part, in order.
pub(super) trait Assemble<R> {
    /// Takes in the owner names of a part (before its answers are ready).
    fn names(&mut self, sets: &[RecordSet]);
    /// Takes in the answers `build` gave for that part.
    fn answers(&mut self, answers: R);
}

/// Parts built and not yet taken, and whether the second thread has
/// stopped (then a part it started may never come).
struct Built<R> {
    parts: Vec<Option<R>>,
    second_stopped: bool,
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
    let start_next = || Some(next.fetch_add(1, Ordering::SeqCst)).filter(|&i| i < parts);
    let built = Mutex::new(Built {
        parts: (0..parts).map(|_| None).collect(),
        second_stopped: false,
    });
    let one_built = Condvar::new();
    let lock = || {
        built
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    let keep = |i: usize, answers: R| {
        if let Some(slot) = lock().parts.get_mut(i) {
            *slot = Some(answers);
        }
        one_built.notify_all();
    };
    let second = || {
        // Set however this thread ends, so the first never waits on a part
        // it will not get.
        let _stopped = Stopped {
            built: &built,
            one_built: &one_built,
        };
        while let Some(i) = start_next() {
            keep(i, build(part(i)));
        }
    };
    let mut first = || {
        for i in 0..parts {
            into.names(part(i));
            let answers = loop {
                let mut done = lock();
                if let Some(answers) = done.parts.get_mut(i).and_then(Option::take) {
                    break answers;
                }
                if done.second_stopped {
                    break build(part(i));
                }
                drop(done);
                match start_next() {
                    Some(j) if j == i => break build(part(i)),
                    Some(j) => keep(j, build(part(j))),
                    // Every part is started: wait for this one.
                    None => drop(wait_until(lock(), &one_built, |d| {
                        d.second_stopped || d.parts.get(i).is_some_and(Option::is_some)
                    })),
                }
            };
            into.answers(answers);
        }
    };
    beside(&second, &mut first);
}

/// Waits on `one_built` until `ready` holds, and gives the guard back.
fn wait_until<'a, R>(
    guard: MutexGuard<'a, Built<R>>,
    one_built: &Condvar,
    ready: impl Fn(&Built<R>) -> bool,
) -> MutexGuard<'a, Built<R>> {
    one_built
        .wait_while(guard, |d| !ready(d))
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Marks the second thread stopped when dropped, and wakes the first.
struct Stopped<'a, R> {
    built: &'a Mutex<Built<R>>,
    one_built: &'a Condvar,
}

impl<R> Drop for Stopped<'_, R> {
    fn drop(&mut self) {
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        built.second_stopped = true;
        drop(built);
        self.one_built.notify_all();
    }
}

/// The first set at or after `at` that starts an owner name (as
/// `sorted_names` groups them), or the end.
fn name_start(sets: &[RecordSet], mut at: usize) -> usize {
    while at > 0 && at < sets.len() && sorted_names(&sets[at - 1..=at]).nth(1).is_none() {
        at += 1;
    }
    at.min(sets.len())
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;
    use std::time::Duration;

    use hickory_proto::rr::{Name, RecordType};

    use super::*;
    use crate::zone::model::{Position, SetData};

    fn sets(count: usize) -> Vec<RecordSet> {
        (0..count)
            .map(|i| RecordSet {
                name: Name::from_ascii(format!("h{i}.ex.")).unwrap(),
                rtype: RecordType::A,
                ttl: 300,
                data: SetData::Values(Default::default()),
                position: Position::new(i + 1, 1, 0),
                policy: None,
            })
            .collect()
    }

    /// Records the names and answers it is given, in order.
    #[derive(Default)]
    struct Taken {
        names: Vec<Name>,
        answers: Vec<Name>,
    }

    impl Assemble<Name> for Taken {
        fn names(&mut self, sets: &[RecordSet]) {
            assert_eq!(self.names.len(), self.answers.len(), "answers before names");
            self.names.push(sets[0].name.clone());
        }
        fn answers(&mut self, first: Name) {
            self.answers.push(first);
            assert_eq!(
                self.names.last(),
                self.answers.last(),
                "answers of another part"
            );
        }
    }

    /// `beside` on a real second thread; a panic there is caught, so the
    /// first thread must finish alone.
    fn two_threads(second: &(dyn Fn() + Sync), first: &mut dyn FnMut()) {
        std::thread::scope(|s| {
            let second = s.spawn(|| std::panic::catch_unwind(AssertUnwindSafe(second)));
            first();
            let _ = second.join();
        });
    }

    #[test]
    fn parts_are_taken_in_order_whoever_builds_them() {
        let all = sets(PART * 9 + 5);
        let first_thread = std::thread::current().id();
        for slow_first in [false, true] {
            let mut taken = Taken::default();
            run(&all, Some(&two_threads), &mut taken, |part| {
                // Either thread slow in turn, so each builds ahead of the
                // other at some point.
                let here = std::thread::current().id() == first_thread;
                if here == slow_first {
                    std::thread::sleep(Duration::from_millis(3));
                }
                part[0].name.clone()
            });
            assert_eq!(taken.answers.len(), 10);
            assert_eq!(taken.answers[1], all[PART].name);
        }
    }

    #[test]
    fn a_second_thread_that_stops_leaves_the_first_to_finish() {
        let all = sets(PART * 6);
        let first_thread = std::thread::current().id();
        let mut taken = Taken::default();
        run(&all, Some(&two_threads), &mut taken, |part| {
            if std::thread::current().id() == first_thread {
                // Slow, so the second thread surely starts some part.
                std::thread::sleep(Duration::from_millis(5));
            } else if part[0].name != all[0].name {
                panic!("the second thread stops");
            }
            part[0].name.clone()
        });
        let expected: Vec<Name> = all.chunks(PART).map(|p| p[0].name.clone()).collect();
        assert_eq!(taken.answers, expected);
    }
}
