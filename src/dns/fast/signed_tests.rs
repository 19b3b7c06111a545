//! The signature slots of DO=1 fast answers: filled from the signature
//! cache the general path fills, served while fresh (each signature
//! counted as a cache hit, as the general path counts it), and filled
//! again once stale or made with another key set.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use hickory_proto::rr::{Name, RecordType};

use super::tests::{Opt, ask, handlers, query, repo, signed_bench_zone};
use super::{Outcome, answer};
use crate::dns::handler::DnsHandler;
use crate::dnssec::sign::unix_now;
use crate::table::sig_slot::{SigCell, SigSlot};
use crate::table::wire_name::WireName;
use crate::table::zone_table::RrsetContent;

/// Runs `f` with the signature slot of the A RRset of `name`.
fn with_slot<R>(handler: &DnsHandler, name: &str, f: impl FnOnce(&SigCell) -> R) -> R {
    let snapshot = handler.store.load();
    let wire = WireName::new(&Name::from_ascii(name).unwrap());
    let (zone, _) = snapshot.zones.find(&wire).unwrap();
    let rrset = zone.node(wire.key()).unwrap().rrset(RecordType::A).unwrap();
    let RrsetContent::Static(answer) = &rrset.content else {
        panic!("not a static RRset");
    };
    f(&answer.sigs)
}

/// A slot that holds no signature, made with `generation`, due at
/// `refresh_at`: served, it would leave the answer unsigned.
fn bogus(generation: u64, refresh_at: u32) -> SigSlot {
    SigSlot {
        generation,
        refresh_at,
        signatures: 0,
        own: Box::new([0, 0]),
        additionals: Box::default(),
        charge: None,
    }
}

#[test]
fn a_slot_is_filled_from_the_cache_served_while_fresh_and_refilled_when_stale() {
    let (fast, slow) = handlers();
    let src: SocketAddr = "127.0.0.3:5353".parse().unwrap();
    let name = "host.signed.test.";
    let packet = query(name, RecordType::A, Opt::Do, 9);
    let expected = ask(&slow, &packet, src);
    assert!(
        with_slot(&fast, name, SigCell::load).is_none(),
        "empty until served"
    );
    let stats = fast.signer.stats();
    let signed = stats.signatures.load(Ordering::Relaxed);
    assert_eq!(ask(&fast, &packet, src), expected);
    let slot = with_slot(&fast, name, SigCell::load).unwrap();
    let generation = slot.generation;
    assert!(slot.fresh(generation, unix_now()));
    // Served from the slot: one cache hit per signature, nothing signed.
    let hits = stats.hits.load(Ordering::Relaxed);
    let mut out = Vec::new();
    assert_eq!(answer(&fast, &packet, src, &mut out), Outcome::Reply);
    assert_eq!(out, expected);
    assert_eq!(stats.hits.load(Ordering::Relaxed), hits + 1);
    assert_eq!(stats.signatures.load(Ordering::Relaxed), signed);
    // A slot whose refresh time has come, or made with another key set,
    // is not served: filled again (from the cache, still fresh).
    let now = unix_now();
    for stale in [
        bogus(generation, now),
        bogus(generation.wrapping_add(1), now + 86_400),
    ] {
        let budget = fast.signer.slot_budget();
        with_slot(&fast, name, |cell| assert!(cell.store(stale, budget)));
        out.clear();
        assert_eq!(answer(&fast, &packet, src, &mut out), Outcome::Reply);
        assert_eq!(out, expected, "the stale slot was served");
        let slot = with_slot(&fast, name, SigCell::load).unwrap();
        assert!(slot.fresh(generation, now) && slot.signatures == 1);
    }
    assert_eq!(stats.signatures.load(Ordering::Relaxed), signed);
}

#[test]
fn freshness_follows_serial_arithmetic_and_the_key_generation() {
    let slot = bogus(7, 1000);
    assert!(slot.fresh(7, 999));
    assert!(!slot.fresh(7, 1000), "due at its refresh time");
    assert!(!slot.fresh(7, 5000));
    assert!(!slot.fresh(8, 999), "another key set");
    // Across the wrap of 32-bit time (RFC 4034 §3.1.5).
    let wrapped = bogus(7, 10);
    assert!(wrapped.fresh(7, u32::MAX - 10));
    assert!(!wrapped.fresh(7, 11));
}

#[test]
fn per_name_signatures_not_in_the_cache_fall_back_until_the_general_path_signs() {
    let (fast, slow) = handlers();
    let src: SocketAddr = "127.0.0.3:5353".parse().unwrap();
    for name in ["nope-1.signed.test.", "y.wild.signed.test."] {
        let packet = query(name, RecordType::A, Opt::Do, 3);
        let mut out = Vec::new();
        assert_eq!(
            answer(&fast, &packet, src, &mut out),
            Outcome::Fallback,
            "{name}"
        );
        let expected = ask(&slow, &packet, src);
        assert_eq!(
            answer(&fast, &packet, src, &mut out),
            Outcome::Reply,
            "{name}"
        );
        assert_eq!(out, expected, "{name}");
    }
}

#[test]
fn the_dnssec_cpu_bench_mix_is_answered_on_the_fast_path_once_signed() {
    let fast = signed_bench_zone();
    let slow = fast.clone().with_fast_path(false);
    let src: SocketAddr = "127.0.0.3:5353".parse().unwrap();
    let mix = std::fs::read_to_string(repo("benches/data/queries.txt")).unwrap();
    let lines = mix
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let mut asked = 0;
    for (i, line) in lines.enumerate() {
        let (name, rtype) = line.split_once(' ').unwrap();
        let rtype: RecordType = rtype.trim().parse().unwrap();
        let packet = query(&format!("{name}."), rtype, Opt::Do, i as u16);
        let expected = ask(&slow, &packet, src);
        let mut out = Vec::new();
        // The SRV target's A is routed (www's failover): the additional
        // section is chosen per query, by the general path.
        if line == "_https._tcp.example.com SRV" {
            assert_eq!(answer(&fast, &packet, src, &mut out), Outcome::Fallback);
            assert_eq!(ask(&fast, &packet, src), expected, "{line}");
            continue;
        }
        assert_eq!(
            answer(&fast, &packet, src, &mut out),
            Outcome::Reply,
            "{line}"
        );
        assert_eq!(out, expected, "{line}");
        asked += 1;
    }
    assert_eq!(asked, 19);
}

#[test]
fn slots_stop_at_the_signature_budget_and_the_general_path_answers_past_it() {
    let (fast, _) = handlers();
    let settings = crate::dnssec::SignSettings {
        cache_entries: 1,
        ..Default::default()
    };
    let fast = fast.with_dnssec(settings);
    let slow = fast.clone().with_fast_path(false);
    let src: SocketAddr = "127.0.0.3:5353".parse().unwrap();
    let first = query("host.signed.test.", RecordType::A, Opt::Do, 1);
    let expected = ask(&slow, &first, src);
    let mut out = Vec::new();
    assert_eq!(answer(&fast, &first, src, &mut out), Outcome::Reply);
    assert_eq!(out, expected);
    let stats = fast.signer.stats();
    assert_eq!(stats.slot_signatures.load(Ordering::Relaxed), 1);
    // A second RRset's slot would pass the budget of one signature: not
    // stored, so its answers come from the general path (the same bytes).
    let second = query("c.signed.test.", RecordType::A, Opt::Do, 2);
    let expected = ask(&slow, &second, src);
    out.clear();
    assert_eq!(answer(&fast, &second, src, &mut out), Outcome::Fallback);
    assert!(with_slot(&fast, "c.signed.test.", SigCell::load).is_none());
    assert_eq!(ask(&fast, &second, src), expected);
    assert_eq!(stats.slot_signatures.load(Ordering::Relaxed), 1);
}
