//! Response rate limiting (the Vixie/ISC RRL design, as Knot and NSD do
//! it): UDP responses are charged to a token bucket per client network
//! (`/24` IPv4, `/56` IPv6 by default) and per kind of response (an answer
//! for one name and type or one wildcard and type, NXDOMAIN or NODATA for one zone, a referral, an
//! error). A bucket fills at `responses_per_second` and holds at most one
//! second's worth; a response over the rate is limited, and every `slip`th
//! limited response goes out truncated (TC=1, empty sections) so a real
//! client behind a spoofed address retries over TCP; the others are
//! dropped. Debt stops at `window` seconds of the rate, so a network quiet
//! for that long starts clean. Whitelisted networks are never limited.
//!
//! The buckets live in a fixed-size table of atomics (`table`): no lock, no
//! allocation, and a flood of spoofed sources only evicts older buckets.

mod table;

use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use hickory_proto::rr::Name;
use ipnet::IpNet;

use table::{BucketTable, Outcome, Rate};

/// `[dns.rrl]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RrlSettings {
    pub responses_per_second: u32,
    /// Every `slip`th limited response is sent truncated; 0 drops them all.
    pub slip: u8,
    /// How long a network's debt is remembered.
    pub window: Duration,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    /// Networks never limited.
    pub whitelist: Vec<IpNet>,
    /// Buckets in the table (rounded up to a power of two).
    pub table_size: usize,
}

impl Default for RrlSettings {
    fn default() -> Self {
        Self {
            responses_per_second: 20,
            slip: 2,
            window: Duration::from_secs(15),
            ipv4_prefix: 24,
            ipv6_prefix: 56,
            whitelist: Vec::new(),
            table_size: 65_536,
        }
    }
}

/// The kind of response, which with the client network selects a bucket.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ResponseKind<'a> {
    /// A positive answer: per query name (lowercase wire form) and type.
    Answer(&'a [u8], u16),
    /// A positive answer synthesized from a wildcard: per wildcard and
    /// type (random names under it would each get a bucket otherwise).
    Wildcard(&'a Name, u16),
    /// NXDOMAIN, per zone.
    NxDomain(u32),
    /// NODATA, per zone.
    NoData(u32),
    /// A referral, per zone.
    Referral(u32),
    /// Any other response code (REFUSED, FORMERR, SERVFAIL, ...).
    Error,
}

/// What to do with one UDP response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Send,
    /// Send it truncated: TC=1, no records.
    Slip,
    Drop,
}

/// The limiter shared by every UDP thread.
#[derive(Debug)]
pub struct Rrl {
    settings: RrlSettings,
    rate: Rate,
    table: BucketTable,
    hasher: RandomState,
    started: Instant,
}

impl Rrl {
    pub fn new(settings: RrlSettings) -> Self {
        let per_second = i32::try_from(settings.responses_per_second)
            .unwrap_or(i32::MAX)
            .max(1);
        let window = i32::try_from(settings.window.as_secs().max(1)).unwrap_or(i32::MAX);
        let rate = Rate {
            per_second,
            floor: per_second.saturating_mul(window).saturating_neg(),
            slip: settings.slip,
        };
        Self {
            table: BucketTable::new(settings.table_size),
            rate,
            hasher: RandomState::new(),
            started: Instant::now(),
            settings,
        }
    }

    /// A limiter whose clock stands at second 0 for a day, so that two of
    /// them charged alike decide alike however slowly a test runs.
    #[cfg(test)]
    pub(crate) fn frozen(settings: RrlSettings) -> Self {
        let mut rrl = Self::new(settings);
        let day = Duration::from_secs(86_400);
        rrl.started = Instant::now().checked_add(day).unwrap_or(rrl.started);
        rrl
    }

    pub fn settings(&self) -> &RrlSettings {
        &self.settings
    }

    /// Charges a response of `kind` to `client`'s network, now.
    pub fn check(&self, client: IpAddr, kind: ResponseKind<'_>) -> Verdict {
        // Seconds wrap at 16 bits in the table; only differences matter.
        let now = self.started.elapsed().as_secs() as u16;
        self.check_at(client, kind, now)
    }

    fn check_at(&self, client: IpAddr, kind: ResponseKind<'_>, now: u16) -> Verdict {
        if self
            .settings
            .whitelist
            .iter()
            .any(|net| net.contains(&client))
        {
            return Verdict::Send;
        }
        let mut hasher = self.hasher.build_hasher();
        self.network(client).hash(&mut hasher);
        kind.hash(&mut hasher);
        match self.table.charge(hasher.finish(), now, self.rate) {
            Outcome::Within => Verdict::Send,
            Outcome::Limited(n) if self.rate.slip != 0 && n == self.rate.slip => Verdict::Slip,
            Outcome::Limited(_) => Verdict::Drop,
        }
    }

    /// The client's network: the address with the bits past the prefix cleared.
    fn network(&self, client: IpAddr) -> IpAddr {
        match client {
            IpAddr::V4(v4) => {
                let prefix = u32::from(self.settings.ipv4_prefix.min(32));
                let mask = u32::MAX.checked_shr(prefix).unwrap_or(0);
                IpAddr::V4((u32::from(v4) & !mask).into())
            }
            IpAddr::V6(v6) => {
                let prefix = u32::from(self.settings.ipv6_prefix.min(128));
                let mask = u128::MAX.checked_shr(prefix).unwrap_or(0);
                IpAddr::V6((u128::from(v6) & !mask).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rrl(whitelist: &[&str]) -> Rrl {
        Rrl::new(RrlSettings {
            responses_per_second: 4,
            slip: 3,
            whitelist: whitelist.iter().map(|n| n.parse().unwrap()).collect(),
            ..RrlSettings::default()
        })
    }

    fn burst(rrl: &Rrl, client: &str, kind: ResponseKind<'_>, n: usize) -> [usize; 3] {
        let mut counts = [0; 3];
        for _ in 0..n {
            counts[rrl.check_at(client.parse().unwrap(), kind, 9) as usize] += 1;
        }
        counts
    }

    #[test]
    fn networks_are_masked_to_their_prefix() {
        let rrl = rrl(&[]);
        assert_eq!(
            rrl.network("10.1.2.3".parse().unwrap()),
            "10.1.2.0".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            rrl.network("2001:db8:1:2ff:1::1".parse().unwrap()),
            "2001:db8:1:200::".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_burst_is_limited_per_network_and_kind_with_the_slip_ratio() {
        let rrl = rrl(&["192.0.2.0/24"]);
        let answer = ResponseKind::Answer(b"\x03www\x07example\x00", 1);
        // [send, slip, drop]: 4 within the rate, then 1 of 3 limited slips.
        assert_eq!(burst(&rrl, "10.0.0.1", answer, 34), [4, 10, 20]);
        // Same /24, same kind: still limited.
        assert_eq!(burst(&rrl, "10.0.0.200", answer, 3), [0, 1, 2]);
        // Another /24, another kind, a whitelisted network: not.
        assert_eq!(burst(&rrl, "10.0.1.1", answer, 4), [4, 0, 0]);
        assert_eq!(
            burst(&rrl, "10.0.0.1", ResponseKind::NxDomain(1), 4),
            [4, 0, 0]
        );
        assert_eq!(burst(&rrl, "192.0.2.9", answer, 100), [100, 0, 0]);
    }

    #[test]
    fn slip_zero_drops_every_limited_response() {
        let rrl = Rrl::new(RrlSettings {
            responses_per_second: 2,
            slip: 0,
            ..RrlSettings::default()
        });
        assert_eq!(burst(&rrl, "10.0.0.1", ResponseKind::Error, 10), [2, 0, 8]);
    }
}
