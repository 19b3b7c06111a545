//! The cluster verdict: one check's status decided from the observations
//! of every live observer, the way Route 53 counts its checkers (healthy
//! when more than `healthy_fraction` of them say healthy).
//!
//! Invariants: [`decide`] is a pure function of its inputs (it sorts them
//! first and uses integer arithmetic), so nodes that hold the same
//! observations reach the same verdict. Hysteresis stays with each
//! observer: an observation is that observer's status after its own
//! thresholds and `invert`.

use std::sync::Arc;

/// The name of a node of the cluster.
pub type NodeName = Arc<str>;

/// One observer's latest status for one check, as it published it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerObservation {
    pub node: NodeName,
    pub healthy: bool,
    /// When the observer last probed, in Unix milliseconds.
    pub at_ms: u64,
    /// What its probe saw, shortened.
    pub reason: String,
}

/// The verdict for one check and who it was made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub healthy: bool,
    /// Live observers with a fresh observation, by name.
    pub healthy_observers: Vec<NodeName>,
    pub unhealthy_observers: Vec<NodeName>,
    /// Observers whose latest observation is older than the age limit.
    pub stale_observers: Vec<NodeName>,
}

impl Verdict {
    /// "2/3 observers healthy (a, b; down: c)".
    pub fn summary(&self) -> String {
        let total = self.healthy_observers.len() + self.unhealthy_observers.len();
        let names = |list: &[NodeName]| {
            list.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut text = format!("{}/{total} observers healthy", self.healthy_observers.len());
        if !self.healthy_observers.is_empty() {
            text.push_str(&format!(" ({})", names(&self.healthy_observers)));
        }
        if !self.unhealthy_observers.is_empty() {
            text.push_str(&format!(
                "; unhealthy: {}",
                names(&self.unhealthy_observers)
            ));
        }
        if !self.stale_observers.is_empty() {
            text.push_str(&format!("; stale: {}", names(&self.stale_observers)));
        }
        text
    }
}

/// `healthy_fraction` as an integer share of a million, so that every node
/// compares the same integers.
pub fn fraction_ppm(healthy_fraction: f64) -> u64 {
    (healthy_fraction.clamp(0.0, 1.0) * 1_000_000.0).round() as u64
}

/// The verdict from `observations` (one per live observer): healthy when
/// more than `fraction_ppm` millionths of the fresh observations say
/// healthy. Observations older than `max_age_ms` at `now_ms` do not count.
/// None when no fresh observation is left: the caller keeps its own.
pub fn decide(
    observations: &[PeerObservation],
    fraction_ppm: u64,
    now_ms: u64,
    max_age_ms: u64,
) -> Option<Verdict> {
    let mut sorted: Vec<&PeerObservation> = observations.iter().collect();
    sorted.sort_by(|a, b| a.node.cmp(&b.node));
    sorted.dedup_by(|a, b| a.node == b.node);
    let mut verdict = Verdict {
        healthy: false,
        healthy_observers: Vec::new(),
        unhealthy_observers: Vec::new(),
        stale_observers: Vec::new(),
    };
    for o in sorted {
        let list = if now_ms.saturating_sub(o.at_ms) > max_age_ms {
            &mut verdict.stale_observers
        } else if o.healthy {
            &mut verdict.healthy_observers
        } else {
            &mut verdict.unhealthy_observers
        };
        list.push(o.node.clone());
    }
    let healthy = verdict.healthy_observers.len() as u64;
    let total = healthy + verdict.unhealthy_observers.len() as u64;
    if total == 0 {
        return None;
    }
    verdict.healthy = healthy * 1_000_000 > total * fraction_ppm;
    Some(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(node: &str, healthy: bool, at_ms: u64) -> PeerObservation {
        PeerObservation {
            node: NodeName::from(node),
            healthy,
            at_ms,
            reason: String::new(),
        }
    }

    const ROUTE53: f64 = 0.18;

    #[test]
    fn more_than_the_fraction_must_say_healthy() {
        let ppm = fraction_ppm(ROUTE53);
        let one_of_three = [obs("a", true, 0), obs("b", false, 0), obs("c", false, 0)];
        assert!(decide(&one_of_three, ppm, 0, 10).is_some_and(|v| v.healthy));
        let none = [obs("a", false, 0), obs("b", false, 0), obs("c", false, 0)];
        assert!(decide(&none, ppm, 0, 10).is_some_and(|v| !v.healthy));
        // 1 of 6 is 16.7 %, not above 18 %.
        let mut six: Vec<_> = (0..6).map(|i| obs(&format!("n{i}"), false, 0)).collect();
        six[0].healthy = true;
        assert!(decide(&six, ppm, 0, 10).is_some_and(|v| !v.healthy));
        six[1].healthy = true;
        assert!(decide(&six, ppm, 0, 10).is_some_and(|v| v.healthy));
        // A strict setting: every observer must say healthy.
        let strict = fraction_ppm(0.99);
        assert!(decide(&one_of_three, strict, 0, 10).is_some_and(|v| !v.healthy));
    }

    #[test]
    fn stale_observations_do_not_count_and_none_left_means_no_verdict() {
        let ppm = fraction_ppm(ROUTE53);
        let list = [obs("a", true, 0), obs("b", false, 1000)];
        let v = decide(&list, ppm, 1000, 500);
        assert!(v.as_ref().is_some_and(|v| !v.healthy));
        assert_eq!(
            v.map(|v| v.stale_observers),
            Some(vec![NodeName::from("a")])
        );
        assert_eq!(decide(&[obs("a", true, 0)], ppm, 1000, 500), None);
        assert_eq!(decide(&[], ppm, 0, 500), None);
    }

    #[test]
    fn the_order_of_the_inputs_does_not_matter() {
        let ppm = fraction_ppm(0.5);
        let a = [obs("a", true, 0), obs("b", false, 0), obs("c", true, 0)];
        let b = [obs("c", true, 0), obs("a", true, 0), obs("b", false, 0)];
        assert_eq!(decide(&a, ppm, 0, 10), decide(&b, ppm, 0, 10));
        let summary = decide(&a, ppm, 0, 10).map(|v| v.summary());
        assert_eq!(
            summary.as_deref(),
            Some("2/3 observers healthy (a, c); unhealthy: b")
        );
    }
}
