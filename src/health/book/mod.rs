//! The health book: the state of every health check, kept by the updater
//! task (the one writer) and turned into a [`HealthView`] to publish.
//!
//! Invariants: each entry's stored `healthy` is its effective status as of
//! the last call, so every call returns exactly the checks whose effective
//! status changed (one [`Flip`] each, calculated parents included); probe
//! results of an outdated spec are ignored (their generation is the old
//! spec's fingerprint). Effective status = override, else `disabled` →
//! healthy, else the cluster verdict when one is set (a probed check in a
//! cluster), else (hysteresis status, or for a calculated check "at least
//! `healthy_when` children effectively healthy") XOR `invert`. A verdict is
//! made from observations that already carry each observer's `invert`.

mod records;
mod shared;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use crate::health::hysteresis::Hysteresis;
use crate::health::spec::{CheckKind, HealthCheckSpec};
use crate::health::verdict::Verdict;
use crate::health::{CheckId, CheckStatus, HealthView};

pub use records::{
    CheckDetail, Flip, Observation, Override, OverrideEvent, ProbeRecord, UnknownCheck,
};

/// The state of every check; see the module doc for the rules.
#[derive(Debug, Default)]
pub struct HealthBook {
    checks: BTreeMap<CheckId, Entry>,
    /// The cluster's verdicts of probed checks (empty without a cluster).
    verdicts: HashMap<CheckId, Arc<Verdict>>,
}

#[derive(Debug)]
struct Entry {
    spec: HealthCheckSpec,
    fingerprint: u64,
    hysteresis: Hysteresis,
    overridden: Option<Override>,
    healthy: bool,
    since: SystemTime,
    last_probe: Option<ProbeRecord>,
}

impl HealthBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the book hold exactly `specs` (the first spec of a repeated id
    /// wins). New checks start healthy (inverted: unhealthy) and are not
    /// reported as flips; unchanged ones keep their state; a changed one
    /// keeps its status and restarts its counters.
    pub fn apply_specs(&mut self, specs: &[HealthCheckSpec], now: SystemTime) -> Vec<Flip> {
        let mut wanted: HashMap<&str, &HealthCheckSpec> = HashMap::new();
        for spec in specs {
            wanted.entry(&*spec.id).or_insert(spec);
        }
        self.checks.retain(|id, _| wanted.contains_key(&**id));
        self.verdicts.retain(|id, _| wanted.contains_key(&**id));
        let mut fresh = HashSet::new();
        let mut reasons = HashMap::new();
        for spec in wanted.into_values() {
            let fingerprint = spec.fingerprint();
            match self.checks.get_mut(&spec.id) {
                Some(entry) if entry.fingerprint == fingerprint => {}
                Some(entry) => {
                    let keep = if entry.spec.is_probed() {
                        entry.hysteresis.is_healthy() ^ entry.spec.invert
                    } else {
                        entry.healthy
                    };
                    entry.hysteresis = Hysteresis::starting(
                        keep ^ spec.invert,
                        spec.healthy_threshold,
                        spec.unhealthy_threshold,
                    );
                    let reason = if spec.disabled && !entry.spec.disabled {
                        "check disabled"
                    } else {
                        "check changed"
                    };
                    reasons.insert(spec.id.clone(), reason.to_string());
                    entry.spec = spec.clone();
                    entry.fingerprint = fingerprint;
                }
                None => {
                    fresh.insert(spec.id.clone());
                    let entry = Entry {
                        spec: spec.clone(),
                        fingerprint,
                        hysteresis: Hysteresis::new(
                            spec.healthy_threshold,
                            spec.unhealthy_threshold,
                        ),
                        overridden: None,
                        healthy: true,
                        since: now,
                        last_probe: None,
                    };
                    self.checks.insert(spec.id.clone(), entry);
                }
            }
        }
        self.settle(now, &reasons, &fresh)
    }

    /// Applies one probe result; unknown ids, results of an outdated spec
    /// and results for checks that are not probed are ignored.
    pub fn observe(&mut self, obs: Observation) -> Vec<Flip> {
        let Some(entry) = self.checks.get_mut(&obs.id) else {
            return Vec::new();
        };
        if entry.fingerprint != obs.generation || !entry.spec.is_probed() {
            return Vec::new();
        }
        entry.hysteresis.observe(obs.success);
        let run = if obs.success {
            format!(
                "{} consecutive successes",
                entry.hysteresis.consecutive_successes()
            )
        } else {
            format!(
                "{} consecutive failures",
                entry.hysteresis.consecutive_failures()
            )
        };
        let inverted = if entry.spec.invert { " (inverted)" } else { "" };
        let reason = format!("{run}{inverted}: {}", obs.detail);
        let at = obs.at;
        entry.last_probe = Some(ProbeRecord {
            success: obs.success,
            detail: obs.detail,
            duration: obs.duration,
            at,
        });
        self.settle(at, &HashMap::from([(obs.id, reason)]), &HashSet::new())
    }

    /// Holds (`Some`) or releases (`None`) a check's status. An override
    /// whose `until` is not after `now` is the same as `None`.
    pub fn set_override(
        &mut self,
        id: &str,
        ov: Option<Override>,
        now: SystemTime,
    ) -> Result<Vec<Flip>, UnknownCheck> {
        let entry = self
            .checks
            .get_mut(id)
            .ok_or_else(|| UnknownCheck(id.to_string()))?;
        let ov = ov.filter(|o| o.until.is_none_or(|until| until > now));
        let reason = match &ov {
            Some(o) if o.healthy => "override: healthy",
            Some(_) => "override: unhealthy",
            None => "override cleared",
        };
        entry.overridden = ov;
        let reasons = HashMap::from([(entry.spec.id.clone(), reason.to_string())]);
        Ok(self.settle(now, &reasons, &HashSet::new()))
    }

    /// Releases every override whose `until` has come.
    pub fn expire_overrides(&mut self, now: SystemTime) -> Vec<Flip> {
        let mut reasons = HashMap::new();
        for (id, entry) in &mut self.checks {
            if entry
                .overridden
                .as_ref()
                .is_some_and(|o| o.until.is_some_and(|until| until <= now))
            {
                entry.overridden = None;
                reasons.insert(id.clone(), "override expired".to_string());
            }
        }
        if reasons.is_empty() {
            return Vec::new();
        }
        self.settle(now, &reasons, &HashSet::new())
    }

    /// When [`Self::expire_overrides`] next has something to do.
    pub fn next_override_expiry(&self) -> Option<SystemTime> {
        self.checks
            .values()
            .filter_map(|e| e.overridden.as_ref().and_then(|o| o.until))
            .min()
    }

    /// Every override in force, by check id.
    pub fn overrides(&self) -> Vec<(CheckId, Override)> {
        self.checks
            .iter()
            .filter_map(|(id, e)| e.overridden.clone().map(|o| (id.clone(), o)))
            .collect()
    }

    /// The effective status of one check.
    pub fn status(&self, id: &str) -> Option<CheckStatus> {
        self.checks.get(id).map(Entry::status)
    }

    /// Every check's effective status, to publish in a snapshot.
    pub fn view(&self) -> HealthView {
        let mut view = HealthView::default();
        for (id, entry) in &self.checks {
            view.set(id.clone(), entry.status());
        }
        for (id, verdict) in &self.verdicts {
            view.set_verdict(id.clone(), verdict.clone());
        }
        view
    }

    /// Every check's state for the admin API, sorted by id.
    pub fn details(&self) -> Vec<CheckDetail> {
        self.checks
            .iter()
            .map(|(id, e)| CheckDetail {
                id: id.clone(),
                kind: e.spec.kind.name(),
                healthy: e.healthy,
                since: e.since,
                last_probe: e.last_probe.clone(),
                overridden: e.overridden.clone(),
                local_healthy: e.local_healthy(),
                verdict: self.verdicts.get(id).cloned(),
                consecutive_successes: e.hysteresis.consecutive_successes(),
                consecutive_failures: e.hysteresis.consecutive_failures(),
                invert: e.spec.invert,
                disabled: e.spec.disabled,
                spec: e.spec.clone(),
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Recomputes every effective status and records the changes, except
    /// for `fresh` checks, which get their first status without a flip.
    fn settle(
        &mut self,
        now: SystemTime,
        reasons: &HashMap<CheckId, String>,
        fresh: &HashSet<CheckId>,
    ) -> Vec<Flip> {
        let computed = self.compute();
        let mut flips = Vec::new();
        for (id, entry) in &mut self.checks {
            let (healthy, calculated_reason) = computed[id].clone();
            if fresh.contains(id) {
                entry.healthy = healthy;
                continue;
            }
            if healthy == entry.healthy {
                continue;
            }
            entry.healthy = healthy;
            entry.since = now;
            let reason = reasons
                .get(id)
                .cloned()
                .or(calculated_reason)
                .unwrap_or_else(|| "check changed".to_string());
            flips.push(Flip {
                id: id.clone(),
                healthy,
                reason,
            });
        }
        self.children_first(flips)
    }

    /// `flips` reordered so that a calculated check's flip follows the
    /// flips of its children that caused it (ids in order otherwise).
    fn children_first(&self, mut pending: Vec<Flip>) -> Vec<Flip> {
        let mut ordered = Vec::with_capacity(pending.len());
        while !pending.is_empty() {
            let waiting: HashSet<CheckId> = pending.iter().map(|f| f.id.clone()).collect();
            let (ready, rest): (Vec<Flip>, Vec<Flip>) = pending.into_iter().partition(|f| {
                let children = match self.checks.get(&f.id).map(|e| &e.spec.kind) {
                    Some(CheckKind::Calculated { children, .. }) => children.as_slice(),
                    _ => &[],
                };
                !children.iter().any(|c| *c != f.id && waiting.contains(c))
            });
            if ready.is_empty() {
                // A cycle (which validation rejects): keep the id order.
                ordered.extend(rest);
                break;
            }
            ordered.extend(ready);
            pending = rest;
        }
        ordered
    }

    /// Effective status of every check, plus for calculated checks the
    /// "k/n children healthy" text.
    fn compute(&self) -> HashMap<CheckId, (bool, Option<String>)> {
        let mut result: HashMap<CheckId, (bool, Option<String>)> = self
            .checks
            .iter()
            .map(|(id, e)| {
                let own = match e.spec.kind {
                    // Start from the last status; passes below settle it.
                    CheckKind::Calculated { .. } => e.healthy,
                    _ => self
                        .verdicts
                        .get(id)
                        .map_or_else(|| e.local_healthy(), |v| v.healthy),
                };
                (id.clone(), (e.held().unwrap_or(own), None))
            })
            .collect();
        let calculated: Vec<(&CheckId, &Entry, &[CheckId], usize)> = self
            .checks
            .iter()
            .filter_map(|(id, e)| match &e.spec.kind {
                CheckKind::Calculated {
                    children,
                    healthy_when,
                } => Some((id, e, children.as_slice(), *healthy_when)),
                _ => None,
            })
            .collect();
        // Nested calculated checks need one pass per level; a cycle (which
        // validation rejects) merely stops changing after the last pass.
        for _ in 0..=calculated.len() {
            let mut changed = false;
            for &(id, entry, children, healthy_when) in &calculated {
                // A child the book does not know is healthy, as in the view.
                let up = children
                    .iter()
                    .filter(|c| result.get(*c).is_none_or(|(h, _)| *h))
                    .count();
                let own = (up >= healthy_when) ^ entry.spec.invert;
                let healthy = entry.held().unwrap_or(own);
                let text = format!("calculated: {up}/{} children healthy", children.len());
                let slot = result.entry(id.clone()).or_insert((healthy, None));
                changed |= slot.0 != healthy;
                *slot = (healthy, Some(text));
            }
            if !changed {
                break;
            }
        }
        result
    }
}

impl Entry {
    /// The status set by an override or `disabled`, if any.
    fn held(&self) -> Option<bool> {
        match (&self.overridden, self.spec.disabled) {
            (Some(o), _) => Some(o.healthy),
            (None, true) => Some(true),
            (None, false) => None,
        }
    }

    /// The status from this node's probes alone.
    fn local_healthy(&self) -> bool {
        self.hysteresis.is_healthy() ^ self.spec.invert
    }

    fn status(&self) -> CheckStatus {
        CheckStatus {
            healthy: self.healthy,
            since: self.since,
        }
    }
}

#[cfg(test)]
mod tests;
