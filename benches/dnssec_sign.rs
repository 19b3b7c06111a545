//! DNSSEC signing figures (a benchmark, not a test): `cargo bench --bench dnssec_sign`.
//!
//! - signatures per second of one core: `SigningKey::sign` over the
//!   to-be-signed form of a 2-record A RRset, P-256 (algorithm 13) and
//!   Ed25519 (15), and the whole `Signer::sign` on a cache miss (fresh
//!   signature) and on a hit;
//! - memory of the signature cache holding 100k signed RRsets (RSS grown
//!   while filling it, and the cache's own estimate), printed before the
//!   criterion runs.

// A benchmark stops loudly when its setup fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering;

use alwayson::dnssec::keys::{generate, load};
use alwayson::dnssec::sign::unix_now;
use alwayson::dnssec::{KeyState, Role, SignAlgorithm, SignSettings, Signer, ZoneKeys};
use criterion::{Criterion, criterion_group};
use hickory_proto::dnssec::TBS;
use hickory_proto::dnssec::rdata::SigInput;
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType, SerialNumber};

fn keys(algorithm: SignAlgorithm) -> ZoneKeys {
    let der = generate(algorithm).unwrap();
    let key = load(&der, Role::Csk, KeyState::Active, "k").unwrap();
    ZoneKeys::new(Name::from_ascii("example.com.").unwrap(), vec![key], 3600).unwrap()
}

fn rrset(owner: &str, n: u8) -> Vec<Record> {
    let name = Name::from_ascii(owner).unwrap();
    (0..2)
        .map(|i| Record::from_rdata(name.clone(), 300, RData::A(A::new(192, 0, n, i))))
        .collect()
}

fn signing(c: &mut Criterion) {
    for (label, algorithm) in [
        ("p256", SignAlgorithm::EcdsaP256),
        ("ed25519", SignAlgorithm::Ed25519),
    ] {
        let keys = keys(algorithm);
        let records = rrset("www.example.com.", 2);
        let key = &keys.keys[0];
        let input = SigInput {
            type_covered: RecordType::A,
            algorithm: key.key.algorithm(),
            num_labels: 3,
            original_ttl: 300,
            sig_expiration: SerialNumber::new(unix_now() + 86_400),
            sig_inception: SerialNumber::new(unix_now()),
            key_tag: key.tag,
            signer_name: keys.origin.clone(),
        };
        let tbs = TBS::from_input(&records[0].name, DNSClass::IN, &input, records.iter()).unwrap();
        c.bench_function(&format!("sign/{label}/raw"), |b| {
            b.iter(|| key.key.sign(&tbs).unwrap())
        });

        let miss = Signer::new(
            SignSettings {
                cache_entries: 1,
                ..SignSettings::default()
            },
            Arc::default(),
        );
        let refs: Vec<&Record> = records.iter().collect();
        let mut out = Vec::with_capacity(4);
        let mut now = unix_now();
        c.bench_function(&format!("sign/{label}/signer-miss"), |b| {
            b.iter(|| {
                // Another time, so another refresh window: always a miss on a 1-entry cache full of others.
                now = now.wrapping_add(1_000_000);
                out.clear();
                miss.sign(&keys, &refs, None, now, &mut out).unwrap();
            })
        });
        let hit = Signer::new(SignSettings::default(), Arc::default());
        let now = unix_now();
        c.bench_function(&format!("sign/{label}/signer-hit"), |b| {
            b.iter(|| {
                out.clear();
                hit.sign(&keys, &refs, None, now, &mut out).unwrap();
            })
        });
    }
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// Fills a 100k-entry cache with 100k distinct RRsets (two A records each
/// under `hostN.example.com.`) and prints the memory it took.
fn cache_memory() {
    const N: u32 = 100_000;
    let keys = keys(SignAlgorithm::Ed25519);
    let stats = Arc::new(alwayson::dnssec::SignStats::default());
    let signer = Signer::new(
        SignSettings {
            cache_entries: N as usize,
            ..SignSettings::default()
        },
        stats.clone(),
    );
    let now = unix_now();
    let mut out = Vec::new();
    let before = rss_bytes();
    for i in 0..N {
        let records = rrset(&format!("host{i}.example.com."), (i % 250) as u8);
        let refs: Vec<&Record> = records.iter().collect();
        out.clear();
        signer.sign(&keys, &refs, None, now, &mut out).unwrap();
    }
    let grown = rss_bytes().saturating_sub(before);
    let entries = stats.entries.load(Ordering::Relaxed);
    println!(
        "signature cache, {entries} signed RRsets (Ed25519): RSS +{:.1} MiB ({} bytes per entry); the cache's own estimate {:.1} MiB",
        grown as f64 / 1048576.0,
        grown / u64::from(N),
        stats.bytes.load(Ordering::Relaxed) as f64 / 1048576.0
    );
    drop(signer);
}

criterion_group!(benches, signing);

fn main() {
    cache_memory();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
