//! Backend selection: the five `balance` algorithms over a plain list of
//! candidates (health, active connections, weight, stable key). No sockets,
//! no clocks; randomness comes from the caller.
//!
//! Invariant: a pick only returns a candidate that is eligible — healthy and
//! not yet tried for this connection; when no candidate is healthy at all,
//! every untried one is eligible (fail open) unless `WhenAllDown::Refuse`.
//! `ip_hash` is weighted rendezvous hashing: each client ranks backends by
//! `hash(client, backend)`, so removing or failing a backend moves only the
//! clients that ranked it first, and a retry takes the client's next choice.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use rand::Rng;

use super::config::{Balance, WhenAllDown};

/// What the balancer knows about one backend at pick time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub healthy: bool,
    /// Connections open (or being opened) to it now.
    pub active: u64,
    pub weight: u32,
    /// [`backend_key`] of its address: stable across reloads and restarts.
    pub key: u64,
}

/// One forwarder's selection state (round robin cursor, smooth weighted
/// round robin weights) for a fixed list of backends. Picks take no lock.
#[derive(Debug)]
pub struct Balancer {
    balance: Balance,
    cursor: AtomicUsize,
    /// Smooth weighted round robin "current weight" per backend.
    current: Box<[AtomicI64]>,
}

impl Balancer {
    pub fn new(balance: Balance, backends: usize) -> Self {
        Self {
            balance,
            cursor: AtomicUsize::new(0),
            current: (0..backends).map(|_| AtomicI64::new(0)).collect(),
        }
    }

    pub fn balance(&self) -> Balance {
        self.balance
    }

    /// The index of the candidate a new connection from `client` should try
    /// next, skipping `tried`; `None` when nothing is eligible.
    pub fn pick(
        &self,
        candidates: &[Candidate],
        client: IpAddr,
        tried: &[usize],
        when_all_down: WhenAllDown,
        rng: &mut impl Rng,
    ) -> Option<usize> {
        let any_healthy = candidates.iter().any(|c| c.healthy);
        if !any_healthy && when_all_down == WhenAllDown::Refuse {
            return None;
        }
        let eligible = |i: usize| !tried.contains(&i) && (candidates[i].healthy || !any_healthy);
        let count = (0..candidates.len()).filter(|&i| eligible(i)).count();
        if count == 0 {
            return None;
        }
        let nth_eligible = |n: usize| (0..candidates.len()).filter(|&i| eligible(i)).nth(n);
        match self.balance {
            Balance::RoundRobin => {
                nth_eligible(self.cursor.fetch_add(1, Ordering::Relaxed) % count)
            }
            Balance::LeastConn => {
                let start = self.cursor.fetch_add(1, Ordering::Relaxed);
                let n = candidates.len();
                (0..n)
                    .map(|k| (start + k) % n)
                    .filter(|&i| eligible(i))
                    .reduce(|best, i| {
                        if lighter(&candidates[i], &candidates[best]) {
                            i
                        } else {
                            best
                        }
                    })
            }
            Balance::Weighted => self.smooth_weighted(candidates, eligible),
            Balance::IpHash => {
                let client = client_key(client);
                (0..candidates.len())
                    .filter(|&i| eligible(i))
                    .map(|i| (i, rendezvous_score(client, &candidates[i])))
                    .reduce(|best, next| if next.1 > best.1 { next } else { best })
                    .map(|(i, _)| i)
            }
            Balance::RandomTwo => {
                let a = rng.random_range(0..count);
                if count == 1 {
                    return nth_eligible(a);
                }
                // a second, distinct choice
                let b = (a + 1 + rng.random_range(0..count - 1)) % count;
                let (a, b) = (nth_eligible(a)?, nth_eligible(b)?);
                Some(if lighter(&candidates[b], &candidates[a]) {
                    b
                } else {
                    a
                })
            }
        }
    }

    /// nginx's smooth weighted round robin over per-backend atomics: every
    /// eligible backend gains its weight, the one with the most current
    /// weight wins and gives back the total. One pick at a time gives
    /// exactly nginx's sequence; concurrent picks may interleave their
    /// updates, but each still adds and removes the same total, so a
    /// backend picked too often sinks and the shares stay the weights'.
    fn smooth_weighted(
        &self,
        candidates: &[Candidate],
        eligible: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let mut total = 0i64;
        let mut best: Option<(usize, i64)> = None;
        for i in (0..candidates.len()).filter(|&i| eligible(i)) {
            let weight = i64::from(candidates[i].weight);
            // A candidate past the balancer's size (not built by a pool)
            // starts from zero every time.
            let current = self
                .current
                .get(i)
                .map_or(weight, |c| c.fetch_add(weight, Ordering::Relaxed) + weight);
            total += weight;
            if best.is_none_or(|(_, b)| current > b) {
                best = Some((i, current));
            }
        }
        let (b, _) = best?;
        if let Some(c) = self.current.get(b) {
            c.fetch_sub(total, Ordering::Relaxed);
        }
        Some(b)
    }
}

/// A stable 64-bit key for a backend address (the same in every process).
pub fn backend_key(address: SocketAddr) -> u64 {
    let ip = ip_bits(address.ip());
    mix(mix((ip >> 64) as u64) ^ (ip as u64) ^ (u64::from(address.port()) << 48))
}

/// Whether `a` carries fewer active connections per unit of weight than `b`.
fn lighter(a: &Candidate, b: &Candidate) -> bool {
    u128::from(a.active) * u128::from(b.weight) < u128::from(b.active) * u128::from(a.weight)
}

fn client_key(client: IpAddr) -> u64 {
    let ip = ip_bits(client);
    mix(mix((ip >> 64) as u64) ^ ip as u64)
}

/// IPv4 as its IPv4-mapped IPv6 form, so a client keeps its key whether it
/// arrives on an IPv4 or a dual-stack listener.
fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        // an IPv4-mapped IPv6 address already has these bits
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Weighted rendezvous score: `weight / -ln(u)` with `u` uniform in (0, 1)
/// drawn from the pair's hash, which makes each backend's share of clients
/// proportional to its weight.
fn rendezvous_score(client: u64, candidate: &Candidate) -> f64 {
    let h = mix(client ^ candidate.key);
    let unit = ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    f64::from(candidate.weight) / -unit.ln()
}

/// splitmix64's finaliser: a fast, well-spread, fixed (unseeded) mix.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn backends(weights: &[u32]) -> Vec<Candidate> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| Candidate {
                healthy: true,
                active: 0,
                weight,
                key: backend_key(SocketAddr::from(([10, 0, 0, i as u8 + 1], 80))),
            })
            .collect()
    }

    fn picks(b: &Balancer, c: &[Candidate], n: usize) -> Vec<usize> {
        let mut rng = StdRng::seed_from_u64(7);
        let client = IpAddr::from([192, 0, 2, 1]);
        (0..n)
            .map(|_| b.pick(c, client, &[], WhenAllDown::Open, &mut rng).unwrap())
            .collect()
    }

    fn client(i: u32) -> IpAddr {
        IpAddr::from((0x0A00_0000u32 + i * 7919).to_be_bytes())
    }

    #[test]
    fn round_robin_cycles_and_skips_unhealthy_evenly() {
        let b = Balancer::new(Balance::RoundRobin, 3);
        let mut c = backends(&[1, 1, 1]);
        assert_eq!(picks(&b, &c, 6), vec![0, 1, 2, 0, 1, 2]);
        c[1].healthy = false;
        let got = picks(&b, &c, 100);
        assert_eq!(got.iter().filter(|&&i| i == 0).count(), 50);
        assert_eq!(got.iter().filter(|&&i| i == 2).count(), 50);
    }

    #[test]
    fn all_down_fails_open_unless_refused() {
        let b = Balancer::new(Balance::RoundRobin, 2);
        let mut c = backends(&[1, 1]);
        c[0].healthy = false;
        c[1].healthy = false;
        let mut rng = StdRng::seed_from_u64(1);
        let ip = IpAddr::from([127, 0, 0, 1]);
        assert!(b.pick(&c, ip, &[], WhenAllDown::Open, &mut rng).is_some());
        assert_eq!(b.pick(&c, ip, &[], WhenAllDown::Refuse, &mut rng), None);
    }

    #[test]
    fn tried_backends_are_skipped_and_healthy_ones_are_not_failed_open() {
        for balance in [
            Balance::RoundRobin,
            Balance::LeastConn,
            Balance::Weighted,
            Balance::IpHash,
            Balance::RandomTwo,
        ] {
            let b = Balancer::new(balance, 3);
            let mut c = backends(&[1, 2, 3]);
            c[2].healthy = false;
            let mut rng = StdRng::seed_from_u64(3);
            let ip = IpAddr::from([127, 0, 0, 9]);
            let first = b.pick(&c, ip, &[], WhenAllDown::Open, &mut rng).unwrap();
            assert_ne!(first, 2, "{balance:?}");
            let second = b
                .pick(&c, ip, &[first], WhenAllDown::Open, &mut rng)
                .unwrap();
            assert_eq!(second, 1 - first, "{balance:?}");
            // both healthy ones failed: the unhealthy one is not a fallback
            assert_eq!(
                b.pick(&c, ip, &[0, 1], WhenAllDown::Open, &mut rng),
                None,
                "{balance:?}"
            );
        }
    }

    #[test]
    fn least_conn_prefers_fewest_per_weight_and_rotates_ties() {
        let b = Balancer::new(Balance::LeastConn, 3);
        let mut c = backends(&[1, 1, 2]);
        c[0].active = 3;
        c[1].active = 2;
        c[2].active = 5; // 2.5 per weight
        assert_eq!(picks(&b, &c, 3), vec![1, 1, 1]);
        for x in &mut c {
            x.active = 0;
        }
        let mut got = picks(&b, &c, 3);
        got.sort_unstable();
        assert_eq!(got, vec![0, 1, 2]);
    }

    #[test]
    fn weighted_is_smooth_like_nginx() {
        let b = Balancer::new(Balance::Weighted, 3);
        let c = backends(&[5, 1, 1]);
        assert_eq!(picks(&b, &c, 7), vec![0, 0, 1, 0, 2, 0, 0]);
        let counts = picks(&b, &c, 700).iter().fold([0; 3], |mut acc, &i| {
            acc[i] += 1;
            acc
        });
        assert_eq!(counts, [500, 100, 100]);
    }

    #[test]
    fn weighted_shares_hold_under_concurrent_picks() {
        let b = Balancer::new(Balance::Weighted, 3);
        let c = backends(&[5, 1, 1]);
        let counts = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| picks(&b, &c, 7000)))
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .fold([0i32; 3], |mut acc, i| {
                    acc[i] += 1;
                    acc
                })
        });
        // Interleaved updates may reorder picks, never skew the shares.
        for (got, want) in counts.iter().zip([20_000, 4_000, 4_000]) {
            assert!((got - want).abs() <= 28, "{counts:?}");
        }
    }

    #[test]
    fn ip_hash_is_sticky_and_moves_only_the_lost_backends_clients() {
        let b = Balancer::new(Balance::IpHash, 4);
        let mut c = backends(&[1, 1, 1, 1]);
        let mut rng = StdRng::seed_from_u64(0);
        let before: Vec<usize> = (0..2000)
            .map(|i| {
                b.pick(&c, client(i), &[], WhenAllDown::Open, &mut rng)
                    .unwrap()
            })
            .collect();
        let again: Vec<usize> = (0..2000)
            .map(|i| {
                b.pick(&c, client(i), &[], WhenAllDown::Open, &mut rng)
                    .unwrap()
            })
            .collect();
        assert_eq!(before, again);
        for k in 0..4 {
            let share = before.iter().filter(|&&i| i == k).count();
            assert!((400..600).contains(&share), "backend {k} got {share}");
        }
        c[2].healthy = false;
        for i in 0..2000u32 {
            let now = b
                .pick(&c, client(i), &[], WhenAllDown::Open, &mut rng)
                .unwrap();
            if before[i as usize] != 2 {
                assert_eq!(now, before[i as usize], "client {i} moved");
            } else {
                assert_ne!(now, 2);
            }
        }
    }

    #[test]
    fn ip_hash_shares_follow_weights() {
        let b = Balancer::new(Balance::IpHash, 2);
        let c = backends(&[1, 3]);
        let mut rng = StdRng::seed_from_u64(0);
        let heavy = (0..4000)
            .filter(|&i| b.pick(&c, client(i), &[], WhenAllDown::Open, &mut rng) == Some(1))
            .count();
        assert!(
            (2800..3200).contains(&heavy),
            "weight 3 of 4 got {heavy} of 4000"
        );
    }

    #[test]
    fn random_two_never_picks_the_most_loaded_of_three() {
        let b = Balancer::new(Balance::RandomTwo, 3);
        let mut c = backends(&[1, 1, 1]);
        c[0].active = 100;
        let got = picks(&b, &c, 300);
        assert!(!got.contains(&0));
        assert!(got.contains(&1) && got.contains(&2));
    }
}
