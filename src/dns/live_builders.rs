//! The [`DnsHandler`] builders that set its live settings (`dns::live`):
//! the slot a server's updater swaps, or a fixed guard or identity for
//! tests and benches.

use super::guard::Guard;
use super::handler::DnsHandler;
use super::identity::Identity;
use super::live::{Live, LiveSettings};

impl DnsHandler {
    /// Rate limiting, cookies (both off by default) and the identity
    /// (NSID, CH TXT), from a slot the updater swaps at reload.
    pub fn with_live(mut self, live: LiveSettings) -> Self {
        self.live = live;
        self
    }

    /// A fixed guard, keeping the identity (for tests and benches).
    pub fn with_guard(mut self, guard: Guard) -> Self {
        let identity = self.live.load().identity.clone();
        self.live = LiveSettings::fixed(Live { guard, identity });
        self
    }

    /// A fixed identity, keeping the guard (for tests and benches).
    pub fn with_identity(mut self, nsid: Option<&str>, version: Option<&str>) -> Self {
        let guard = self.live.load().guard.clone();
        let identity = Identity::new(nsid, version);
        self.live = LiveSettings::fixed(Live { guard, identity });
        self
    }
}
