//! Reading the signature cache without allocating, for the UDP fast
//! path's signatures that are made per query name (compact denial's NSEC,
//! a wildcard expansion, a DNAME's synthesized CNAME): the cache key is
//! built in a stack buffer from the RRset's parts, byte for byte as
//! `sign::cache_key` builds it from records, and the RRSIG is read under
//! the shard's lock. Nothing is signed here: a miss is the caller's cue to
//! take the path that signs.

use hickory_proto::rr::{Record, RecordType};

use super::keys::ZoneKeys;
use super::sign::Signer;

/// The longest cache key built here.
const MAX_KEY: usize = 640;

/// An RRset by its parts, as it is signed.
#[derive(Clone, Copy, Debug)]
pub struct RrsetParts<'a> {
    /// The owner in wire form (lowercased here).
    pub owner: &'a [u8],
    pub rtype: RecordType,
    pub ttl: u32,
    /// The RRSIG labels field.
    pub labels: u8,
    /// Each record's RDATA as hickory's encoder writes it alone, in the
    /// order `dns::sign` signs them (sorted by data).
    pub rdatas: &'a [&'a [u8]],
}

impl Signer {
    /// Calls `f` with each cached RRSIG of `rrset`, one per key that signs
    /// it, in signing order (each counted as a cache hit); false as soon as
    /// one is missing or due for refresh.
    pub fn cached(
        &self,
        keys: &ZoneKeys,
        rrset: &RrsetParts<'_>,
        now: u32,
        mut f: impl FnMut(&Record),
    ) -> bool {
        let mut buf = [0u8; MAX_KEY];
        for &i in &keys.zone_signers {
            let Some(key) = keys.keys.get(i) else {
                return false;
            };
            let Some(len) = cache_key(keys.generation, key.tag, rrset, &mut buf) else {
                return false;
            };
            let found = self.cache.peek(&buf[..len], now, &self.stats, &mut f);
            if found.is_none() {
                return false;
            }
        }
        true
    }
}

/// `sign::cache_key` of `rrset` into `buf`; its length.
fn cache_key(generation: u64, tag: u16, rrset: &RrsetParts<'_>, buf: &mut [u8]) -> Option<usize> {
    let mut at = 0;
    let mut put = |bytes: &[u8]| -> Option<()> {
        buf.get_mut(at..at + bytes.len())?.copy_from_slice(bytes);
        at += bytes.len();
        Some(())
    };
    put(&generation.to_be_bytes())?;
    put(&tag.to_be_bytes())?;
    put(&[rrset.labels])?;
    put(&rrset.ttl.to_be_bytes())?;
    put(&u16::from(rrset.rtype).to_be_bytes())?;
    put(rrset.owner)?;
    for rdata in rrset.rdatas {
        put(&u16::try_from(rdata.len()).ok()?.to_be_bytes())?;
        put(rdata)?;
    }
    let owner_at = 17;
    // Length octets are below 64, so lowercasing the whole wire name
    // lowercases its labels only.
    buf.get_mut(owner_at..owner_at + rrset.owner.len())?
        .make_ascii_lowercase();
    Some(at)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hickory_proto::rr::rdata::CNAME;
    use hickory_proto::rr::{Name, RData};
    use hickory_proto::serialize::binary::BinEncodable;

    use super::*;
    use crate::dnssec::keys::{SignAlgorithm, generate, load};
    use crate::dnssec::sign::{SignSettings, unix_now};
    use crate::dnssec::state::{KeyState, Role};

    #[test]
    fn a_signature_made_from_records_is_found_from_its_parts() {
        let der = generate(SignAlgorithm::EcdsaP256).unwrap();
        let key = load(&der, Role::Csk, KeyState::Active, "k").unwrap();
        let keys = ZoneKeys::new(Name::from_ascii("example.").unwrap(), vec![key], 3600).unwrap();
        let signer = Signer::new(SignSettings::default(), Arc::default());
        let owner = Name::from_ascii("x.example.").unwrap();
        let target = Name::from_ascii("Target.Example.").unwrap();
        let record = Record::from_rdata(owner.clone(), 300, RData::CNAME(CNAME(target.clone())));
        let now = unix_now();
        let rdata = record.data.to_bytes().unwrap();
        let wire = Name::from_ascii("X.example.").unwrap().to_bytes().unwrap();
        let parts = RrsetParts {
            owner: &wire,
            rtype: RecordType::CNAME,
            ttl: 300,
            labels: 2,
            rdatas: &[&rdata],
        };
        assert!(
            !signer.cached(&keys, &parts, now, |_| ()),
            "nothing signed yet"
        );
        let mut made = Vec::new();
        signer
            .sign(&keys, &[&record], None, now, &mut made)
            .unwrap();
        let mut found = Vec::new();
        assert!(signer.cached(&keys, &parts, now, |r| found.push(r.data.clone())));
        assert_eq!(found, vec![made[0].data.clone()]);
        let other = RrsetParts { ttl: 301, ..parts };
        assert!(!signer.cached(&keys, &other, now, |_| ()));
        assert!(
            !signer.cached(&keys, &parts, now + 5 * 86_400, |_| ()),
            "due"
        );
    }
}
