//! Signing one RRset online: the RRSIG of every signing key, from the cache
//! when it holds a signature that is not due for refresh, else signed now
//! (outside any lock) and cached. Validity: inception an hour in the past
//! (clock skew), expiry `validity` ahead minus a random jitter of up to a
//! tenth of it (so signatures made together do not expire together),
//! signed again once less than `refresh` remains.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hickory_proto::ProtoError;
use hickory_proto::dnssec::TBS;
use hickory_proto::dnssec::rdata::{DNSSECRData, RRSIG, SigInput};
use hickory_proto::rr::{DNSClass, RData, Record, RecordType, SerialNumber};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};

type ProtoResult<T> = Result<T, ProtoError>;

use super::cache::{Cached, SignStats, SignatureCache};
use super::keys::{ZoneKey, ZoneKeys};
use super::slot_budget::SlotBudget;

/// How far inception is set back, for validators whose clock is behind.
const BACKDATE: u32 = 3600;

/// The `[dnssec]` settings of `alwayson.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignSettings {
    /// How long a signature is valid.
    pub validity: Duration,
    /// Re-sign when less than this remains.
    pub refresh: Duration,
    /// The most signatures the cache holds.
    pub cache_entries: usize,
}

impl Default for SignSettings {
    fn default() -> Self {
        Self {
            validity: Duration::from_secs(5 * 86_400),
            refresh: Duration::from_secs(2 * 86_400),
            cache_entries: 100_000,
        }
    }
}

/// Why an RRset could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("signing {owner} {rtype}: {message}")]
pub struct SignError {
    owner: String,
    rtype: RecordType,
    message: String,
}

/// The signer of a running server: settings, the cache and its counters.
#[derive(Debug)]
pub struct Signer {
    settings: SignSettings,
    pub(super) cache: SignatureCache,
    pub(super) stats: Arc<SignStats>,
    /// What the fast path's signature slots may hold (as many signatures
    /// as the cache).
    slots: Arc<SlotBudget>,
}

impl Signer {
    pub fn new(settings: SignSettings, stats: Arc<SignStats>) -> Self {
        Self {
            cache: SignatureCache::new(settings.cache_entries),
            slots: Arc::new(SlotBudget::new(
                settings.cache_entries as u64,
                stats.clone(),
            )),
            settings,
            stats,
        }
    }

    pub fn stats(&self) -> &SignStats {
        &self.stats
    }

    /// The bound of the fast path's signature slots (`table::sig_slot`).
    pub fn slot_budget(&self) -> &Arc<SlotBudget> {
        &self.slots
    }

    /// Appends to `out` the RRSIGs of `rrset` (one owner, one type, one
    /// TTL, no duplicates) by every key that signs it. `labels`: the RRSIG
    /// labels field when it is not the owner's (a wildcard expansion).
    pub fn sign(
        &self,
        keys: &ZoneKeys,
        rrset: &[&Record],
        labels: Option<u8>,
        now: u32,
        out: &mut Vec<Record>,
    ) -> Result<(), SignError> {
        self.sign_until(keys, rrset, labels, now, out).map(|_| ())
    }

    /// [`Signer::sign`], returning the earliest refresh time of the
    /// signatures it appended (`now` when it appended none), so that a
    /// copy kept elsewhere (`table::sig_slot`) knows when it is stale.
    pub fn sign_until(
        &self,
        keys: &ZoneKeys,
        rrset: &[&Record],
        labels: Option<u8>,
        now: u32,
        out: &mut Vec<Record>,
    ) -> Result<u32, SignError> {
        let Some(first) = rrset.first() else {
            return Ok(now);
        };
        let rtype = first.record_type();
        let signers = match rtype {
            RecordType::DNSKEY | RecordType::CDS | RecordType::CDNSKEY => &keys.key_signers,
            _ => &keys.zone_signers,
        };
        let mut until = None::<u32>;
        for &i in signers {
            let key = &keys.keys[i];
            let (mut rrsig, refresh_at) = self.one(keys, key, rrset, labels, now)?;
            rrsig.name = first.name.clone();
            out.push(rrsig);
            until = Some(match until {
                Some(u) if (u.wrapping_sub(refresh_at) as i32) < 0 => u,
                _ => refresh_at,
            });
        }
        Ok(until.unwrap_or(now))
    }

    /// Counts `n` signatures served from a copy of the cache's (a fast
    /// path's slot) as cache hits.
    pub fn count_hits(&self, n: u64) {
        self.stats.hits.fetch_add(n, Ordering::Relaxed);
    }

    fn one(
        &self,
        keys: &ZoneKeys,
        key: &ZoneKey,
        rrset: &[&Record],
        labels: Option<u8>,
        now: u32,
    ) -> Result<(Record, u32), SignError> {
        let first = rrset[0];
        let err = |message: String| SignError {
            owner: first.name.to_ascii(),
            rtype: first.record_type(),
            message,
        };
        let num_labels = labels.unwrap_or_else(|| first.name.num_labels());
        let cache_key = cache_key(keys.generation, key.tag, num_labels, rrset)
            .map_err(|e| err(e.to_string()))?;
        if let Some(hit) = self.cache.get(&cache_key, now, &self.stats) {
            return Ok((hit.rrsig, hit.refresh_at));
        }
        let started = Instant::now();
        let (inception, expiration, refresh_at) = self.window(now);
        let input = SigInput {
            type_covered: first.record_type(),
            algorithm: key.key.algorithm(),
            num_labels,
            original_ttl: first.ttl,
            sig_expiration: SerialNumber::new(expiration),
            sig_inception: SerialNumber::new(inception),
            key_tag: key.tag,
            signer_name: keys.origin.clone(),
        };
        let records = rrset.iter().copied();
        let tbs = TBS::from_input(&first.name, DNSClass::IN, &input, records)
            .map_err(|e| err(e.to_string()))?;
        let signature = key.key.sign(&tbs).map_err(|e| err(e.to_string()))?;
        let rrsig = RRSIG::from_sig(input, signature);
        let record = Record::from_rdata(
            first.name.to_lowercase(),
            first.ttl,
            RData::DNSSEC(DNSSECRData::RRSIG(rrsig)),
        );
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.stats.sign_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.stats.signatures.fetch_add(1, Ordering::Relaxed);
        let cached = Cached {
            rrsig: record.clone(),
            refresh_at,
        };
        self.cache
            .insert(cache_key.into_boxed_slice(), cached, &self.stats);
        Ok((record, refresh_at))
    }

    /// Inception, expiration and the time to sign again, from `now`.
    fn window(&self, now: u32) -> (u32, u32, u32) {
        let validity = secs(self.settings.validity);
        let jitter = rand::random_range(0..=validity / 10);
        let expiration = now.wrapping_add(validity - jitter);
        let refresh = secs(self.settings.refresh).min(validity / 2);
        (
            now.wrapping_sub(BACKDATE),
            expiration,
            expiration.wrapping_sub(refresh),
        )
    }
}

/// The cache key of `rrset` signed by the key `tag` of a key set at
/// `generation`: every input of the signature except the times, written
/// cheaply (lowercased owner, RDATA as served and in served order), so a
/// hit costs no to-be-signed form. One RRset served in two orders gets two
/// entries, both right.
fn cache_key(generation: u64, tag: u16, labels: u8, rrset: &[&Record]) -> ProtoResult<Vec<u8>> {
    let first = rrset[0];
    let mut key = Vec::with_capacity(160);
    key.extend_from_slice(&generation.to_be_bytes());
    key.extend_from_slice(&tag.to_be_bytes());
    key.push(labels);
    key.extend_from_slice(&first.ttl.to_be_bytes());
    key.extend_from_slice(&u16::from(first.record_type()).to_be_bytes());
    for label in first.name.iter() {
        key.push(label.len() as u8);
        key.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    key.push(0);
    let offset = u32::try_from(key.len()).unwrap_or(u32::MAX);
    let mut encoder = BinEncoder::with_offset(&mut key, offset);
    for record in rrset {
        let place = encoder.place::<u16>()?;
        record.data.emit(&mut encoder)?;
        let len = encoder.len_since_place(&place);
        place.replace(&mut encoder, u16::try_from(len).unwrap_or(u16::MAX))?;
    }
    Ok(key)
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// The current Unix time as RRSIG times write it (RFC 4034 §3.1.5: serial
/// arithmetic, so the cast is right after 2106 too).
pub fn unix_now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::keys::{SignAlgorithm, generate, load};
    use crate::dnssec::state::{KeyState, Role};
    use hickory_proto::dnssec::PublicKey;
    use hickory_proto::rr::Name;
    use hickory_proto::rr::rdata::A;

    fn zone_keys(alg: SignAlgorithm) -> ZoneKeys {
        let der = generate(alg).unwrap();
        let key = load(&der, Role::Csk, KeyState::Active, "k").unwrap();
        ZoneKeys::new(Name::from_ascii("example.").unwrap(), vec![key], 3600).unwrap()
    }

    #[test]
    fn signs_once_then_serves_from_the_cache_and_the_signature_verifies() {
        for alg in [SignAlgorithm::EcdsaP256, SignAlgorithm::Ed25519] {
            let keys = zone_keys(alg);
            let signer = Signer::new(SignSettings::default(), Arc::default());
            let owner = Name::from_ascii("WwW.Example.").unwrap();
            let a = Record::from_rdata(owner.clone(), 60, RData::A(A::new(192, 0, 2, 1)));
            let b = Record::from_rdata(owner.clone(), 60, RData::A(A::new(192, 0, 2, 2)));
            let now = unix_now();
            let mut out = Vec::new();
            signer.sign(&keys, &[&a, &b], None, now, &mut out).unwrap();
            signer.sign(&keys, &[&a, &b], None, now, &mut out).unwrap();
            assert_eq!(out.len(), 2);
            assert_eq!(out[0].data, out[1].data, "the second came from the cache");
            assert_eq!(out[0].name.to_ascii(), "WwW.Example.");
            let stats = signer.stats();
            assert_eq!(stats.signatures.load(Ordering::Relaxed), 1);
            assert_eq!(stats.hits.load(Ordering::Relaxed), 1);
            let RData::DNSSEC(DNSSECRData::RRSIG(sig)) = &out[0].data else {
                panic!("not an RRSIG");
            };
            let input = sig.input();
            assert!(input.sig_inception.get() <= now - 3000);
            let days = (input.sig_expiration.get() - now) / 86_400;
            assert!((4..=5).contains(&days), "{days}");
            let tbs = TBS::from_input(&owner, DNSClass::IN, input, [&a, &b].into_iter()).unwrap();
            let dnskey = keys.keys[0].dnskey.clone();
            dnskey.public_key().verify(tbs.as_ref(), sig.sig()).unwrap();
            // Served in the other order: its own entry, and just as valid
            // (the signed form is sorted).
            signer.sign(&keys, &[&b, &a], None, now, &mut out).unwrap();
            let RData::DNSSEC(DNSSECRData::RRSIG(other)) = &out[2].data else {
                panic!("not an RRSIG");
            };
            let tbs = TBS::from_input(&owner, DNSClass::IN, other.input(), [&b, &a].into_iter());
            let tbs = tbs.unwrap();
            dnskey
                .public_key()
                .verify(tbs.as_ref(), other.sig())
                .unwrap();
        }
    }

    #[test]
    fn a_cached_signature_is_made_again_once_refresh_is_due_and_expiries_are_jittered() {
        let keys = zone_keys(SignAlgorithm::Ed25519);
        let signer = Signer::new(SignSettings::default(), Arc::default());
        let r = Record::from_rdata(
            Name::from_ascii("www.example.").unwrap(),
            60,
            RData::A(A::new(192, 0, 2, 1)),
        );
        let now = unix_now();
        let mut out = Vec::new();
        signer.sign(&keys, &[&r], None, now, &mut out).unwrap();
        // A day later: still well within validity, served from the cache.
        signer
            .sign(&keys, &[&r], None, now + 86_400, &mut out)
            .unwrap();
        assert_eq!(signer.stats().signatures.load(Ordering::Relaxed), 1);
        // Four days later less than the 2-day refresh is left: signed again.
        signer
            .sign(&keys, &[&r], None, now + 4 * 86_400, &mut out)
            .unwrap();
        assert_eq!(signer.stats().signatures.load(Ordering::Relaxed), 2);
        let expiry = |rec: &Record| match &rec.data {
            RData::DNSSEC(DNSSECRData::RRSIG(s)) => s.input().sig_expiration.get(),
            _ => 0,
        };
        assert!(expiry(&out[2]) > expiry(&out[0]) + 3 * 86_400);
        // Jitter: expiries spread over up to a tenth of the validity.
        let expiries: std::collections::HashSet<u32> =
            (0..20).map(|_| signer.window(now).1).collect();
        assert!(expiries.len() > 1);
        assert!(
            expiries
                .iter()
                .all(|&e| e <= now + 5 * 86_400 && e >= now + 4 * 86_400 + 43_200)
        );
    }

    #[test]
    fn the_cache_is_bounded_and_counts_evictions() {
        let keys = zone_keys(SignAlgorithm::Ed25519);
        let settings = SignSettings {
            cache_entries: 16,
            ..SignSettings::default()
        };
        let signer = Signer::new(settings, Arc::default());
        let mut out = Vec::new();
        for i in 0..40u8 {
            let name = Name::from_ascii(format!("n{i}.example.")).unwrap();
            let r = Record::from_rdata(name, 60, RData::A(A::new(192, 0, 2, i)));
            signer
                .sign(&keys, &[&r], None, unix_now(), &mut out)
                .unwrap();
        }
        let stats = signer.stats();
        assert!(stats.entries.load(Ordering::Relaxed) <= 16);
        assert!(stats.evictions.load(Ordering::Relaxed) >= 24);
    }
}
