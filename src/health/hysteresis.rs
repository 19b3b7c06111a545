//! Hysteresis: turns a stream of probe successes and failures into a raw
//! status that only flips after enough consecutive results.
//!
//! Invariant: at most one of the two counters is non-zero (they count the
//! current run of equal results), and the status flips only when the run
//! reaches the threshold for the opposite status.

/// Counter state of one probed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hysteresis {
    healthy: bool,
    successes: u32,
    failures: u32,
    healthy_threshold: u32,
    unhealthy_threshold: u32,
}

impl Hysteresis {
    /// A new check: healthy, so its first failures count toward
    /// `unhealthy_threshold`. Thresholds below 1 are taken as 1.
    pub fn new(healthy_threshold: u32, unhealthy_threshold: u32) -> Self {
        Self::starting(true, healthy_threshold, unhealthy_threshold)
    }

    /// Starts at `healthy` with both counters at zero (for a changed spec).
    pub fn starting(healthy: bool, healthy_threshold: u32, unhealthy_threshold: u32) -> Self {
        Self {
            healthy,
            successes: 0,
            failures: 0,
            healthy_threshold: healthy_threshold.max(1),
            unhealthy_threshold: unhealthy_threshold.max(1),
        }
    }

    /// Records one probe result; returns the new status when it flips.
    pub fn observe(&mut self, success: bool) -> Option<bool> {
        if success {
            self.failures = 0;
            self.successes = self.successes.saturating_add(1);
            if !self.healthy && self.successes >= self.healthy_threshold {
                self.healthy = true;
                return Some(true);
            }
        } else {
            self.successes = 0;
            self.failures = self.failures.saturating_add(1);
            if self.healthy && self.failures >= self.unhealthy_threshold {
                self.healthy = false;
                return Some(false);
            }
        }
        None
    }

    /// The raw status (before inversion and overrides).
    pub fn is_healthy(&self) -> bool {
        self.healthy
    }

    /// Length of the current run of successes.
    pub fn consecutive_successes(&self) -> u32 {
        self.successes
    }

    /// Length of the current run of failures.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(h: &mut Hysteresis, results: &[bool]) -> Vec<Option<bool>> {
        results.iter().map(|&r| h.observe(r)).collect()
    }

    #[test]
    fn starts_healthy_and_flips_after_unhealthy_threshold_failures() {
        let mut h = Hysteresis::new(2, 3);
        assert!(h.is_healthy());
        assert_eq!(feed(&mut h, &[false, false]), [None, None]);
        assert!(h.is_healthy());
        assert_eq!(h.observe(false), Some(false));
        assert!(!h.is_healthy());
        assert_eq!(h.consecutive_failures(), 3);
    }

    #[test]
    fn flips_back_after_healthy_threshold_successes() {
        let mut h = Hysteresis::starting(false, 2, 3);
        assert_eq!(h.observe(true), None);
        assert_eq!(h.observe(true), Some(true));
        assert!(h.is_healthy());
    }

    #[test]
    fn an_interrupted_run_starts_over() {
        let mut h = Hysteresis::new(2, 3);
        assert_eq!(
            feed(&mut h, &[false, false, true, false, false]),
            [None; 5],
            "a success in between resets the failure run"
        );
        assert_eq!(h.consecutive_failures(), 2);
        assert_eq!(h.consecutive_successes(), 0);
        assert_eq!(h.observe(false), Some(false));
        assert_eq!(feed(&mut h, &[true, false, true]), [None; 3]);
        assert!(!h.is_healthy());
    }

    #[test]
    fn results_agreeing_with_the_status_never_flip() {
        let mut h = Hysteresis::new(1, 1);
        assert_eq!(feed(&mut h, &[true, true, true]), [None; 3]);
        assert_eq!(h.consecutive_successes(), 3);
        let mut down = Hysteresis::starting(false, 1, 1);
        assert_eq!(feed(&mut down, &[false, false]), [None; 2]);
    }

    #[test]
    fn threshold_one_flips_on_every_change() {
        let mut h = Hysteresis::new(1, 1);
        assert_eq!(
            feed(&mut h, &[false, true, false, true]),
            [Some(false), Some(true), Some(false), Some(true)]
        );
    }

    #[test]
    fn keeps_counting_past_the_threshold_without_flipping_again() {
        let mut h = Hysteresis::new(3, 2);
        assert_eq!(
            feed(&mut h, &[false, false, false, false]),
            [None, Some(false), None, None]
        );
        assert_eq!(h.consecutive_failures(), 4);
    }

    #[test]
    fn zero_thresholds_behave_as_one() {
        let mut h = Hysteresis::new(0, 0);
        assert_eq!(h.observe(false), Some(false));
        assert_eq!(h.observe(true), Some(true));
    }

    #[test]
    fn counters_saturate() {
        let mut h = Hysteresis::new(1, 1);
        h.successes = u32::MAX;
        assert_eq!(h.observe(true), None);
        assert_eq!(h.consecutive_successes(), u32::MAX);
    }
}
