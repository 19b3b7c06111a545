//! The scheduler: exactly one probe loop per probed check id, each sending
//! an [`Observation`] per probe to the updater.
//!
//! Invariants: [`Prober::apply`] leaves one loop per id in the given specs
//! that is probed (not calculated, not disabled); a loop whose spec is
//! unchanged keeps running untouched, a changed one is restarted, a removed
//! one is stopped. Loops use tokio time only, so paused-time tests drive
//! them; they start after a random delay below min(interval, 500ms) so that
//! many checks do not probe in the same millisecond. In a cluster
//! ([`Prober::aligned`]) the delay is taken from the wall clock instead:
//! every node probes a check at the same instants (the check's phase, a
//! hash of its id, within each interval), so the observers of a check see
//! a failure together and their verdict flips in one gossip round.

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
    aligned: bool,
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
            aligned: false,
        }
    }

    /// From now on probes at wall-clock instants shared by every node (a
    /// cluster): the running loops restart on them.
    pub fn align(&mut self, specs: &[HealthCheckSpec]) {
        self.aligned = true;
        for running in self.loops.values() {
            running.task.abort();
        }
        self.loops.clear();
        self.apply(specs);
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
                    task: tokio::spawn(run(spec.clone(), self.tx.clone(), self.aligned)),
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

/// The wait until the next wall-clock instant `t` with `t ≡ phase (mod
/// interval)`, where the phase is a hash of the check id below
/// min(interval, 500ms): the same on every node with a synchronised clock.
fn aligned_delay(id: &str, interval: Duration, now: SystemTime) -> Duration {
    let interval_ms = interval.as_millis().max(1) as u64;
    let spread = interval_ms.min(MAX_START_DELAY.as_millis() as u64).max(1);
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let phase = hash % spread;
    let now_ms = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let into = now_ms % interval_ms;
    let wait = (phase + interval_ms - into) % interval_ms;
    Duration::from_millis(wait)
}

/// One check's loop: probe at once (after the start delay), then every
/// interval; ends when the receiver is gone.
async fn run(spec: HealthCheckSpec, tx: mpsc::Sender<Observation>, aligned: bool) {
    let delay = if aligned {
        aligned_delay(&spec.id, spec.interval, SystemTime::now())
    } else {
        let cap = spec.interval.min(MAX_START_DELAY);
        rand::rng().random_range(Duration::ZERO..cap.max(Duration::from_millis(1)))
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_starts_land_on_the_same_wall_clock_instants() {
        let interval = Duration::from_secs(2);
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for offset_ms in [0, 1, 777, 1999] {
            let now = base + Duration::from_millis(offset_ms);
            let start = now + aligned_delay("web-1", interval, now);
            let ms = start
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis();
            let first = (base + aligned_delay("web-1", interval, base))
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis();
            assert_eq!(ms % 2000, first % 2000, "offset {offset_ms}");
            assert!(aligned_delay("web-1", interval, now) < interval);
        }
        assert!(aligned_delay("web-1", interval, base) < Duration::from_millis(2000));
    }
}
