//! The scheduler: exactly one probe loop per probed check id, each sending
//! an [`Observation`] per probe to the updater.
//!
//! Invariants: [`Prober::apply`] leaves one loop per id in the given specs
//! that is probed (not calculated, not disabled); a loop whose spec is
//! unchanged keeps running untouched, a changed one is restarted, a removed
//! one is stopped. Loops use tokio time only, so paused-time tests drive
//! them; they start after a random delay below min(interval, 500ms) so that
//! many checks do not probe in the same millisecond.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use rand::Rng;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::health::CheckId;
use crate::health::book::Observation;
use crate::health::probe::Probe;
use crate::health::spec::HealthCheckSpec;

const MAX_START_DELAY: Duration = Duration::from_millis(500);

/// Owns the probe loops; dropping it stops them all.
#[derive(Debug)]
pub struct Prober {
    tx: mpsc::Sender<Observation>,
    loops: HashMap<CheckId, ProbeLoop>,
}

#[derive(Debug)]
struct ProbeLoop {
    fingerprint: u64,
    task: JoinHandle<()>,
}

impl Prober {
    pub fn new(tx: mpsc::Sender<Observation>) -> Self {
        Self {
            tx,
            loops: HashMap::new(),
        }
    }

    /// Runs exactly the loops `specs` call for (the first spec of a repeated
    /// id wins, as in the book). Must be called inside a tokio runtime.
    pub fn apply(&mut self, specs: &[HealthCheckSpec]) {
        let mut wanted: HashMap<&CheckId, &HealthCheckSpec> = HashMap::new();
        for spec in specs.iter().filter(|s| s.is_probed()) {
            wanted.entry(&spec.id).or_insert(spec);
        }
        self.loops.retain(|id, running| {
            let keep = wanted
                .get(id)
                .is_some_and(|s| s.fingerprint() == running.fingerprint);
            if !keep {
                running.task.abort();
            }
            keep
        });
        for (id, spec) in wanted {
            if !self.loops.contains_key(id) {
                let running = ProbeLoop {
                    fingerprint: spec.fingerprint(),
                    task: tokio::spawn(run(spec.clone(), self.tx.clone())),
                };
                self.loops.insert(id.clone(), running);
            }
        }
    }

    /// How many probe loops run.
    pub fn len(&self) -> usize {
        self.loops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.loops.is_empty()
    }

    /// Whether a loop runs for `id`.
    pub fn is_probing(&self, id: &str) -> bool {
        self.loops.contains_key(id)
    }
}

impl Drop for Prober {
    fn drop(&mut self) {
        for running in self.loops.values() {
            running.task.abort();
        }
    }
}

/// One check's loop: probe at once (after the start delay), then every
/// interval; ends when the receiver is gone.
async fn run(spec: HealthCheckSpec, tx: mpsc::Sender<Observation>) {
    let cap = spec.interval.min(MAX_START_DELAY);
    let delay = rand::rng().random_range(Duration::ZERO..cap.max(Duration::from_millis(1)));
    tokio::time::sleep(delay).await;
    let probe = Probe::new(&spec);
    let generation = spec.fingerprint();
    let mut ticks = tokio::time::interval(spec.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let at = SystemTime::now();
        let started = Instant::now();
        let (success, detail) = probe.run(spec.timeout).await;
        let observation = Observation {
            id: spec.id.clone(),
            generation,
            success,
            detail,
            duration: started.elapsed(),
            at,
        };
        if tx.send(observation).await.is_err() {
            return;
        }
    }
}
