//! The fast path under the rate limiter and the metrics: the same query
//! sequence to a handler with the fast path and one without gives the same
//! replies (sent, slipped with TC=1, or dropped) and the same counters.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use super::tests::{Opt, ask, query, store_with_ids};
use crate::dns::cookie::{CookieSettings, Cookies};
use crate::dns::guard::Guard;
use crate::dns::handler::DnsHandler;
use crate::dns::rrl::{Rrl, RrlSettings};
use crate::metrics::{Metrics, Transport};

fn limited(fast: bool) -> (DnsHandler, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    let store = store_with_ids(&metrics);
    // Frozen: the two limiters are made (and charged) at different
    // instants, so a real clock can refill one and not the other.
    let rrl = Rrl::frozen(RrlSettings {
        responses_per_second: 3,
        slip: 2,
        window: Duration::from_secs(15),
        ipv4_prefix: 24,
        ipv6_prefix: 56,
        whitelist: Vec::new(),
        table_size: 1024,
    });
    let guard = Guard {
        rrl: Some(Arc::new(rrl)),
        cookies: None,
    };
    let handler = DnsHandler::new(store, 1232, true)
        .with_metrics(metrics.clone())
        .with_guard(guard)
        .with_fast_path(fast);
    (handler, metrics)
}

#[test]
fn rate_limiting_and_counting_match_the_general_path() {
    let (fast, fast_metrics) = limited(true);
    let (slow, slow_metrics) = limited(false);
    let src: SocketAddr = "192.0.2.77:5353".parse().unwrap();
    let asks = [
        ("host.fast.test.", RecordType::A, Opt::Ecs("127.0.0.2", 32)),
        ("nothing.fast.test.", RecordType::A, Opt::Plain(1232)),
        ("host.fast.test.", RecordType::AAAA, Opt::None),
        ("x.wild.fast.test.", RecordType::A, Opt::Nsid),
        ("y.wild.fast.test.", RecordType::A, Opt::None),
        ("example.org.", RecordType::A, Opt::None),
    ];
    let mut kinds = [0usize; 3];
    for round in 0..12u16 {
        for (i, &(name, rtype, opt)) in asks.iter().enumerate() {
            let packet = query(name, rtype, opt, round * 8 + i as u16);
            let expected = ask(&slow, &packet, src);
            assert_eq!(
                ask(&fast, &packet, src),
                expected,
                "{name} {rtype} round {round}"
            );
            let slipped = expected.len() > 3 && expected[2] & 0x02 != 0;
            kinds[usize::from(expected.is_empty()) + usize::from(slipped) * 2] += 1;
        }
    }
    assert!(
        kinds.iter().all(|&k| k > 0),
        "sent, dropped, slipped: {kinds:?}"
    );
    assert_eq!(fast_metrics.abuse.rrl(), slow_metrics.abuse.rrl());
    for rtype in [RecordType::A, RecordType::AAAA] {
        for rcode in [ResponseCode::NoError, ResponseCode::NXDomain] {
            let count = |m: &Metrics| {
                let zone = m.zone_counters("fast.test.").unwrap();
                zone.get(Transport::Udp, rcode, rtype)
            };
            assert_eq!(
                count(&fast_metrics),
                count(&slow_metrics),
                "{rtype} {rcode}"
            );
        }
    }
    assert!(
        fast_metrics.zone_counters("fast.test.").unwrap().get(
            Transport::Udp,
            ResponseCode::NoError,
            RecordType::A
        ) > 0
    );
}

fn with_cookies(fast: bool) -> (DnsHandler, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    let store = store_with_ids(&metrics);
    let guard = Guard {
        rrl: None,
        cookies: Some(Arc::new(Cookies::new(&secret()))),
    };
    let handler = DnsHandler::new(store, 1232, true)
        .with_metrics(metrics.clone())
        .with_guard(guard)
        .with_fast_path(fast);
    (handler, metrics)
}

fn secret() -> CookieSettings {
    CookieSettings {
        secret: Some([7; 16]),
        previous_secret: None,
    }
}

#[test]
fn cookies_are_answered_and_counted_as_on_the_general_path() {
    let (fast, fast_metrics) = with_cookies(true);
    let (slow, slow_metrics) = with_cookies(false);
    // Asked directly, to see which path answers (its counts differ).
    let (probe, _) = with_cookies(true);
    let src: SocketAddr = "192.0.2.78:5353".parse().unwrap();
    let cc = [9u8; 8];
    let valid = Cookies::new(&secret()).data(&cc, src.ip());
    let mut stale = valid;
    stale[20] ^= 0xFF;
    let cookies: [&[u8]; 5] = [&cc, &valid, &stale, &cc[..5], &[]];
    let mut fast_answers = 0;
    for (i, cookie) in cookies.iter().enumerate() {
        for name in ["host.fast.test.", "nothing.fast.test.", "example.org."] {
            let packet = query(
                name,
                RecordType::A,
                Opt::Cookie(Box::leak(cookie.to_vec().into_boxed_slice())),
                i as u16,
            );
            let mut expected = ask(&slow, &packet, src);
            let mut got = ask(&fast, &packet, src);
            if got != expected {
                // A server cookie carries the second it was made in.
                expected = ask(&slow, &packet, src);
                got = ask(&fast, &packet, src);
            }
            assert_eq!(got, expected, "{name} cookie {i}");
            let mut out = Vec::new();
            if super::answer(&probe, &packet, src, &mut out) == super::Outcome::Reply {
                fast_answers += 1;
            }
        }
    }
    assert_eq!(
        fast_answers, 6,
        "client-only and valid cookies take the fast path"
    );
    assert_eq!(fast_metrics.abuse.cookies(), slow_metrics.abuse.cookies());
}

/// Corpus queries with random bytes changed (header flags and counts,
/// name bytes, OPT fields and options) and random truncation: whatever
/// the fast parser accepts, the answer must be the general path's.
#[test]
fn mutated_queries_get_the_general_paths_answer() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    let store = store_with_ids(&Metrics::new());
    let fast = DnsHandler::new(store.clone(), 1232, true).with_identity(Some("ns1"), None);
    let slow = DnsHandler::new(store, 1232, true)
        .with_identity(Some("ns1"), None)
        .with_fast_path(false);
    let src: SocketAddr = "127.0.0.2:5353".parse().unwrap();
    let mut rng = StdRng::seed_from_u64(12);
    let bases = [
        query(
            "host.fast.test.",
            RecordType::A,
            Opt::Ecs("127.0.0.2", 32),
            1,
        ),
        query("a.fast.test.", RecordType::A, Opt::Nsid, 2),
        query("x.wild.fast.test.", RecordType::AAAA, Opt::None, 3),
        query("geo.fast.test.", RecordType::A, Opt::Cookie(&[1; 8]), 4),
        query("nothing.fast.test.", RecordType::MX, Opt::Plain(4096), 5),
    ];
    let mut taken = 0;
    for round in 0..20_000 {
        let mut packet = bases[round % bases.len()].clone();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..packet.len());
            packet[at] = match rng.random_range(0..3) {
                0 => rng.random(),
                1 => packet[at] ^ (1 << rng.random_range(0..8)),
                _ => packet[at].wrapping_add(1),
            };
        }
        if rng.random_range(0..10) == 0 {
            packet.truncate(rng.random_range(0..packet.len()));
        }
        let expected = ask(&slow, &packet, src);
        assert_eq!(ask(&fast, &packet, src), expected, "{packet:?}");
        let mut out = Vec::new();
        if super::answer(&fast, &packet, src, &mut out) == super::Outcome::Reply {
            taken += 1;
        }
    }
    assert!(
        taken > 2_000,
        "only {taken} mutated queries took the fast path"
    );
}
