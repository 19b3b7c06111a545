//! The query path's settings that a reload changes without a restart:
//! response rate limiting and DNS cookies ([`Guard`]) and what the server
//! says about itself ([`Identity`]: NSID, CH TXT). The handler loads them
//! once per query (one atomic load, no lock); the updater swaps in a new
//! set when `[dns.rrl]`, `[dns.cookies]`, `[dns] nsid` or `version`
//! changed. A rate limiter whose settings did not change is carried over
//! with its buckets, and cookies with their secret (a random one stays).

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::cookie::{CookieSettings, Cookies};
use super::guard::Guard;
use super::identity::Identity;
use super::rrl::{Rrl, RrlSettings};

/// One set of live settings.
#[derive(Debug, Default)]
pub struct Live {
    pub guard: Guard,
    pub identity: Identity,
}

/// What a [`Live`] is built from (the `[dns]` keys it covers).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveConfig {
    pub rrl: Option<RrlSettings>,
    pub cookies: Option<CookieSettings>,
    pub nsid: Option<String>,
    pub version: Option<String>,
}

/// The shared slot: cloned into every handler, swapped by the updater.
#[derive(Clone, Debug, Default)]
pub struct LiveSettings(Arc<ArcSwap<Live>>);

impl LiveSettings {
    pub fn new(config: &LiveConfig) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(build(config, None, None))))
    }

    /// A slot that holds `live` (until a swap).
    pub fn fixed(live: Live) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(live)))
    }

    /// The settings of this query.
    pub fn load(&self) -> arc_swap::Guard<Arc<Live>> {
        self.0.load()
    }

    #[cfg(test)]
    fn load_full_for_tests(&self) -> Arc<Live> {
        self.0.load_full()
    }

    /// Swaps in `config` (which differs from `running`); keeps the rate
    /// limiter (its buckets) and the cookies (their secret) whose settings
    /// are the same.
    pub fn apply(&self, running: &LiveConfig, config: &LiveConfig) {
        let current = self.0.load_full();
        let rrl = (running.rrl == config.rrl)
            .then(|| current.guard.rrl.clone())
            .flatten();
        let cookies = (running.cookies == config.cookies)
            .then(|| current.guard.cookies.clone())
            .flatten();
        self.0.store(Arc::new(build(config, rrl, cookies)));
    }
}

fn build(config: &LiveConfig, rrl: Option<Arc<Rrl>>, cookies: Option<Arc<Cookies>>) -> Live {
    let rrl = rrl.or_else(|| config.rrl.clone().map(|s| Arc::new(Rrl::new(s))));
    let cookies = cookies.or_else(|| config.cookies.as_ref().map(|s| Arc::new(Cookies::new(s))));
    Live {
        guard: Guard { rrl, cookies },
        identity: Identity::new(config.nsid.as_deref(), config.version.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same<T>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
        matches!((a, b), (Some(a), Some(b)) if Arc::ptr_eq(a, b))
    }

    fn both(rps: u32) -> LiveConfig {
        LiveConfig {
            rrl: Some(RrlSettings {
                responses_per_second: rps,
                ..RrlSettings::default()
            }),
            cookies: Some(CookieSettings {
                secret: None,
                previous_secret: None,
            }),
            ..LiveConfig::default()
        }
    }

    #[test]
    fn a_reload_keeps_what_did_not_change_and_rebuilds_what_did() {
        let running = both(20);
        let live = LiveSettings::new(&running);
        let before = live.load_full_for_tests();
        let renamed = LiveConfig {
            nsid: Some("ns2".into()),
            ..running.clone()
        };
        live.apply(&running, &renamed);
        let after = live.load_full_for_tests();
        assert!(same(&before.guard.rrl, &after.guard.rrl), "buckets kept");
        assert!(
            same(&before.guard.cookies, &after.guard.cookies),
            "a random secret kept"
        );
        assert!(after.identity.nsid().is_some());

        let faster = LiveConfig {
            rrl: both(50).rrl,
            ..renamed.clone()
        };
        live.apply(&renamed, &faster);
        let last = live.load_full_for_tests();
        assert!(!same(&after.guard.rrl, &last.guard.rrl), "a new table");
        assert!(same(&after.guard.cookies, &last.guard.cookies));
    }
}
