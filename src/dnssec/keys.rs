//! Signing keys: PKCS#8 bytes → a hickory `SigningKey` with its DNSKEY and
//! key tag; new keys; DS records computed from the DNSKEY actually
//! published (hickory's `DS::from_key` assumes flags 257); and a zone's key
//! set ([`ZoneKeys`]) as the query path uses it: the DNSKEY, CDS and
//! CDNSKEY records and which keys sign what.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use hickory_proto::dnssec::crypto::{EcdsaSigningKey, Ed25519SigningKey};
use hickory_proto::dnssec::rdata::{CDNSKEY, CDS, DNSKEY, DNSSECRData, DS};
use hickory_proto::dnssec::{Algorithm, DigestType, PublicKey, SigningKey};
use hickory_proto::rr::{Name, RData, Record};
use rustls_pki_types::PrivatePkcs8KeyDer;

use super::state::{KeyState, Role};

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The bytes are neither an ECDSA P-256 nor an Ed25519 PKCS#8 key.
    #[error(
        "not a PKCS#8 ECDSA P-256 or Ed25519 key (Ed25519 keys need PKCS#8 v2, with the public key)"
    )]
    Unreadable,
    /// The crypto library failed (key generation, public key, digest).
    #[error("{0}")]
    Crypto(String),
}

/// The algorithms alwayson signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignAlgorithm {
    /// ECDSA P-256 with SHA-256, DNSSEC algorithm 13 (the default).
    EcdsaP256,
    /// Ed25519, DNSSEC algorithm 15.
    Ed25519,
}

impl SignAlgorithm {
    pub fn number(self) -> u8 {
        match self {
            SignAlgorithm::EcdsaP256 => 13,
            SignAlgorithm::Ed25519 => 15,
        }
    }

    fn hickory(self) -> Algorithm {
        match self {
            SignAlgorithm::EcdsaP256 => Algorithm::ECDSAP256SHA256,
            SignAlgorithm::Ed25519 => Algorithm::ED25519,
        }
    }
}

/// One loaded key.
pub struct ZoneKey {
    pub key: Box<dyn SigningKey>,
    pub dnskey: DNSKEY,
    pub tag: u16,
    pub algorithm: SignAlgorithm,
    pub role: Role,
    pub state: KeyState,
    /// The key file's name in the keys folder.
    pub file: String,
}

impl std::fmt::Debug for ZoneKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneKey")
            .field("tag", &self.tag)
            .field("algorithm", &self.algorithm)
            .field("role", &self.role)
            .field("state", &self.state)
            .field("file", &self.file)
            .finish()
    }
}

fn crypto(e: impl std::fmt::Display) -> KeyError {
    KeyError::Crypto(e.to_string())
}

/// A new private key as PKCS#8 DER bytes.
pub fn generate(algorithm: SignAlgorithm) -> Result<Vec<u8>, KeyError> {
    let der = match algorithm {
        SignAlgorithm::EcdsaP256 => EcdsaSigningKey::generate_pkcs8(algorithm.hickory()),
        SignAlgorithm::Ed25519 => Ed25519SigningKey::generate_pkcs8(),
    }
    .map_err(crypto)?;
    Ok(der.secret_pkcs8_der().to_vec())
}

/// Reads PKCS#8 bytes of either algorithm, and publishes the key with the
/// flags of `role`.
pub fn load(pkcs8: &[u8], role: Role, state: KeyState, file: &str) -> Result<ZoneKey, KeyError> {
    let der = PrivatePkcs8KeyDer::from(pkcs8.to_vec());
    let (key, algorithm): (Box<dyn SigningKey>, _) =
        if let Ok(k) = EcdsaSigningKey::from_pkcs8(&der, Algorithm::ECDSAP256SHA256) {
            (Box::new(k), SignAlgorithm::EcdsaP256)
        } else if let Ok(k) = Ed25519SigningKey::from_pkcs8(&der) {
            (Box::new(k), SignAlgorithm::Ed25519)
        } else {
            return Err(KeyError::Unreadable);
        };
    let dnskey = DNSKEY::with_flags(role.flags(), key.to_public_key().map_err(crypto)?);
    let tag = dnskey.calculate_key_tag().map_err(crypto)?;
    Ok(ZoneKey {
        key,
        dnskey,
        tag,
        algorithm,
        role,
        state,
        file: file.to_string(),
    })
}

impl ZoneKey {
    /// The SHA-256 DS of this key as published under `zone`.
    pub fn ds(&self, zone: &Name) -> Result<DS, KeyError> {
        let digest = self
            .dnskey
            .to_digest(zone, DigestType::SHA256)
            .map_err(crypto)?;
        let algorithm = self.dnskey.public_key().algorithm();
        Ok(DS::new(
            self.tag,
            algorithm,
            DigestType::SHA256,
            digest.as_ref().to_vec(),
        ))
    }

    /// Whether the parent's DS should point at it (CSK or KSK).
    pub fn is_sep(&self) -> bool {
        self.role != Role::Zsk
    }

    /// Whether it signs the apex key sets (DNSKEY, CDS, CDNSKEY).
    fn signs_keys(&self) -> bool {
        self.state == KeyState::Active && self.role != Role::Zsk
    }

    /// Whether it signs every other RRset.
    fn signs_zone(&self) -> bool {
        self.state == KeyState::Active && self.role != Role::Ksk
    }
}

/// A signed zone's keys, as the query path uses them.
#[derive(Debug)]
pub struct ZoneKeys {
    /// Lowercase: it is the signer name of every RRSIG.
    pub origin: Name,
    /// Every key of the state file, in its order.
    pub keys: Vec<Arc<ZoneKey>>,
    /// The apex DNSKEY RRset (every key in the state file).
    pub dnskey: Vec<Record>,
    /// CDS and CDNSKEY (RFC 7344): the SEP keys that are published or active.
    pub cds: Vec<Record>,
    pub cdnskey: Vec<Record>,
    /// Indexes into `keys`: the keys that sign DNSKEY/CDS/CDNSKEY, and the
    /// keys that sign everything else.
    pub key_signers: Vec<usize>,
    pub zone_signers: Vec<usize>,
    /// Changes whenever a key or a state changes: part of every cache key.
    pub generation: u64,
}

impl ZoneKeys {
    /// The zone's key set; `ttl` is the TTL of DNSKEY, CDS and CDNSKEY.
    pub fn new(origin: Name, keys: Vec<ZoneKey>, ttl: u32) -> Result<Self, KeyError> {
        let mut dnskey = Vec::new();
        let mut cds = Vec::new();
        let mut cdnskey = Vec::new();
        let mut hasher = siphasher::sip::SipHasher13::new();
        for k in &keys {
            (
                k.tag,
                k.algorithm.number(),
                k.role.flags(),
                k.state.as_str(),
            )
                .hash(&mut hasher);
            k.dnskey.public_key().public_bytes().hash(&mut hasher);
            let rdata = RData::DNSSEC(DNSSECRData::DNSKEY(k.dnskey.clone()));
            dnskey.push(Record::from_rdata(origin.clone(), ttl, rdata));
            if k.is_sep() && k.state != KeyState::Retired {
                let ds = k.ds(&origin)?;
                let c = CDS::new(
                    ds.key_tag(),
                    Some(ds.algorithm()),
                    DigestType::SHA256,
                    ds.digest().to_vec(),
                );
                cds.push(Record::from_rdata(origin.clone(), ttl, c.into()));
                let public = k.dnskey.public_key().public_bytes().to_vec();
                let algorithm = Some(k.dnskey.public_key().algorithm());
                let c = CDNSKEY::with_flags(k.role.flags(), algorithm, public);
                let rdata = RData::DNSSEC(DNSSECRData::CDNSKEY(c));
                cdnskey.push(Record::from_rdata(origin.clone(), ttl, rdata));
            }
        }
        let key_signers = (0..keys.len()).filter(|&i| keys[i].signs_keys()).collect();
        let zone_signers = (0..keys.len()).filter(|&i| keys[i].signs_zone()).collect();
        Ok(Self {
            origin: origin.to_lowercase(),
            keys: keys.into_iter().map(Arc::new).collect(),
            dnskey,
            cds,
            cdnskey,
            key_signers,
            zone_signers,
            generation: hasher.finish(),
        })
    }

    /// The tags of the keys that sign ordinary answers.
    pub fn signing_tags(&self) -> Vec<u16> {
        self.zone_signers
            .iter()
            .map(|&i| self.keys[i].tag)
            .collect()
    }

    /// Whether some key signs the answers and some key signs the DNSKEY set.
    pub fn can_sign(&self) -> bool {
        !self.key_signers.is_empty() && !self.zone_signers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_load_with_the_flags_of_their_role() {
        for alg in [SignAlgorithm::EcdsaP256, SignAlgorithm::Ed25519] {
            let der = generate(alg).unwrap();
            let ksk = load(&der, Role::Csk, KeyState::Active, "k").unwrap();
            let zsk = load(&der, Role::Zsk, KeyState::Active, "k").unwrap();
            assert_eq!(ksk.algorithm, alg);
            assert_eq!((ksk.dnskey.flags(), zsk.dnskey.flags()), (257, 256));
            // One key published with another flag has another tag and DS.
            assert_eq!(ksk.tag, zsk.tag + 1);
            let zone = Name::from_ascii("example.").unwrap();
            assert_eq!(ksk.ds(&zone).unwrap().key_tag(), ksk.tag);
        }
        assert!(matches!(
            load(b"not a key", Role::Csk, KeyState::Active, "k"),
            Err(KeyError::Unreadable)
        ));
    }

    #[test]
    fn key_set_publishes_every_key_and_signs_with_the_active_ones() {
        let zone = Name::from_ascii("example.").unwrap();
        let a = generate(SignAlgorithm::EcdsaP256).unwrap();
        let b = generate(SignAlgorithm::EcdsaP256).unwrap();
        let keys = vec![
            load(&a, Role::Csk, KeyState::Active, "a").unwrap(),
            load(&b, Role::Csk, KeyState::Published, "b").unwrap(),
        ];
        let set = ZoneKeys::new(zone, keys, 3600).unwrap();
        assert_eq!(set.dnskey.len(), 2);
        assert_eq!(set.cds.len(), 2);
        assert_eq!(set.zone_signers, [0]);
        assert_eq!(set.key_signers, [0]);
        assert!(set.can_sign());
    }
}
