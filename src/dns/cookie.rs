//! DNS cookies (RFC 7873) with the interoperable server cookie of RFC 9018:
//! version 1, a timestamp, and SipHash-2-4 over the client cookie, those
//! fields and the client address, keyed with a 16-byte secret that several
//! instances share. The previous secret is accepted too, so a rotation
//! (new secret, old one moved to `previous_secret`) breaks no client.
//!
//! A server cookie is valid for an hour after its timestamp (and up to 5
//! minutes before it, for clocks that disagree), as RFC 9018 §4.3 says.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::op::Edns;
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use siphasher::sip::SipHasher24;
use std::hash::Hasher;

/// The EDNS option code of COOKIE.
const COOKIE: u16 = 10;
const CLIENT_LEN: usize = 8;
/// Version, reserved, timestamp and hash (RFC 9018 §4.2).
const SERVER_LEN: usize = 16;
const VERSION: u8 = 1;
/// How long a server cookie stays valid after its timestamp.
const LIFETIME: u32 = 3600;
/// How far in the future a timestamp may lie.
const CLOCK_SKEW: u32 = 300;

/// `[dns.cookies]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieSettings {
    /// None: a random secret chosen at start (cookies then survive no
    /// restart and are not shared with other instances).
    pub secret: Option<[u8; 16]>,
    /// The secret before the last rotation, still accepted.
    pub previous_secret: Option<[u8; 16]>,
}

/// What a request's COOKIE option says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieCheck {
    /// No COOKIE option.
    Absent,
    /// A length RFC 7873 §5.2.2 does not allow: FORMERR.
    Malformed,
    /// A client cookie alone (a first contact).
    ClientOnly([u8; CLIENT_LEN]),
    /// A client cookie and a server cookie we issued, still fresh.
    Valid([u8; CLIENT_LEN]),
    /// A client cookie and a server cookie that is not ours or expired.
    Invalid([u8; CLIENT_LEN]),
}

impl CookieCheck {
    /// The client cookie, when there is a well-formed one.
    pub fn client(self) -> Option<[u8; CLIENT_LEN]> {
        match self {
            Self::ClientOnly(c) | Self::Valid(c) | Self::Invalid(c) => Some(c),
            Self::Absent | Self::Malformed => None,
        }
    }
}

/// The server side of cookies.
#[derive(Debug)]
pub struct Cookies {
    secret: [u8; 16],
    previous_secret: Option<[u8; 16]>,
}

impl Cookies {
    pub fn new(settings: &CookieSettings) -> Self {
        Self {
            secret: settings.secret.unwrap_or_else(rand::random),
            previous_secret: settings.previous_secret,
        }
    }

    /// Reads the COOKIE option of a request from `client`, now.
    pub fn check(&self, edns: Option<&Edns>, client: IpAddr) -> CookieCheck {
        self.check_at(edns, client, unix_now())
    }

    fn check_at(&self, edns: Option<&Edns>, client: IpAddr, now: u32) -> CookieCheck {
        let data = match edns.and_then(|e| e.option(EdnsCode::Cookie)) {
            Some(EdnsOption::Unknown(_, data)) => Some(data.as_slice()),
            _ => None,
        };
        self.check_data(data, client, now)
    }

    /// [`Cookies::check`] of the COOKIE option's data as received (None:
    /// no COOKIE option), for the fast path, which reads no `Edns`.
    pub fn check_bytes(&self, data: Option<&[u8]>, client: IpAddr) -> CookieCheck {
        self.check_data(data, client, unix_now())
    }

    fn check_data(&self, data: Option<&[u8]>, client: IpAddr, now: u32) -> CookieCheck {
        let Some(data) = data else {
            return CookieCheck::Absent;
        };
        let len = data.len();
        if len < CLIENT_LEN || (len > CLIENT_LEN && len < CLIENT_LEN + 8) || len > 40 {
            return CookieCheck::Malformed;
        }
        let mut cc = [0u8; CLIENT_LEN];
        cc.copy_from_slice(&data[..CLIENT_LEN]);
        if len == CLIENT_LEN {
            return CookieCheck::ClientOnly(cc);
        }
        if self.valid(&cc, &data[CLIENT_LEN..], client, now) {
            CookieCheck::Valid(cc)
        } else {
            CookieCheck::Invalid(cc)
        }
    }

    fn valid(&self, cc: &[u8; CLIENT_LEN], server: &[u8], client: IpAddr, now: u32) -> bool {
        if server.len() != SERVER_LEN || server[0] != VERSION {
            return false;
        }
        let timestamp = u32::from_be_bytes([server[4], server[5], server[6], server[7]]);
        // Serial arithmetic (RFC 1982): the age may be negative.
        let age = now.wrapping_sub(timestamp) as i32;
        if age > LIFETIME as i32 || age < -(CLOCK_SKEW as i32) {
            return false;
        }
        let header: [u8; 8] = [
            server[0], server[1], server[2], server[3], server[4], server[5], server[6], server[7],
        ];
        let secrets = std::iter::once(&self.secret).chain(&self.previous_secret);
        secrets
            .into_iter()
            .any(|secret| hash(secret, cc, &header, client) == server[8..])
    }

    /// The COOKIE option of a response to `cc` from `client`: the client
    /// cookie and a fresh server cookie.
    pub fn option(&self, cc: &[u8; CLIENT_LEN], client: IpAddr) -> EdnsOption {
        self.option_at(cc, client, unix_now())
    }

    fn option_at(&self, cc: &[u8; CLIENT_LEN], client: IpAddr, now: u32) -> EdnsOption {
        EdnsOption::Unknown(COOKIE, self.data_at(cc, client, now).to_vec())
    }

    /// The data of [`Cookies::option`] on the stack, for the fast path.
    pub fn data(&self, cc: &[u8; CLIENT_LEN], client: IpAddr) -> [u8; CLIENT_LEN + SERVER_LEN] {
        self.data_at(cc, client, unix_now())
    }

    fn data_at(
        &self,
        cc: &[u8; CLIENT_LEN],
        client: IpAddr,
        now: u32,
    ) -> [u8; CLIENT_LEN + SERVER_LEN] {
        let mut header = [0u8; 8];
        header[0] = VERSION;
        header[4..].copy_from_slice(&now.to_be_bytes());
        let mut data = [0u8; CLIENT_LEN + SERVER_LEN];
        data[..CLIENT_LEN].copy_from_slice(cc);
        data[CLIENT_LEN..CLIENT_LEN + 8].copy_from_slice(&header);
        data[CLIENT_LEN + 8..].copy_from_slice(&hash(&self.secret, cc, &header, client));
        data
    }
}

/// SipHash-2-4 of client cookie | version | reserved | timestamp | client address.
fn hash(secret: &[u8; 16], cc: &[u8; CLIENT_LEN], header: &[u8; 8], client: IpAddr) -> [u8; 8] {
    let mut h = SipHasher24::new_with_key(secret);
    h.write(cc);
    h.write(header);
    match client {
        IpAddr::V4(v4) => h.write(&v4.octets()),
        IpAddr::V6(v6) => h.write(&v6.octets()),
    }
    h.finish().to_le_bytes()
}

fn unix_now() -> u32 {
    // Seconds wrap in 2106; RFC 9018 compares them with serial arithmetic.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn cookies() -> Cookies {
        let secret: [u8; 16] = hex("e5e973e5a6b2a43f48e7dc849e37bfcf").try_into().unwrap();
        Cookies::new(&CookieSettings {
            secret: Some(secret),
            previous_secret: None,
        })
    }

    fn edns_with(data: Vec<u8>) -> Edns {
        let mut edns = Edns::new();
        edns.options_mut().insert(EdnsOption::Unknown(COOKIE, data));
        edns
    }

    #[test]
    fn the_server_cookie_matches_rfc_9018_appendix_a() {
        let cc: [u8; 8] = hex("2464c4abcf10c957").try_into().unwrap();
        let ip: IpAddr = "198.51.100.100".parse().unwrap();
        let EdnsOption::Unknown(10, data) = cookies().option_at(&cc, ip, 1_559_731_985) else {
            panic!("not a cookie")
        };
        assert_eq!(
            data,
            hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")
        );
    }

    #[test]
    fn cookies_are_classified_by_length_validity_and_age() {
        let c = cookies();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let now = 1_700_000_000;
        let cc = [7u8; 8];
        let EdnsOption::Unknown(_, issued) = c.option_at(&cc, ip, now) else {
            panic!()
        };
        let check = |data: Vec<u8>, ip, now| c.check_at(Some(&edns_with(data)), ip, now);
        assert_eq!(c.check_at(None, ip, now), CookieCheck::Absent);
        assert_eq!(check(vec![1; 7], ip, now), CookieCheck::Malformed);
        assert_eq!(check(vec![1; 12], ip, now), CookieCheck::Malformed);
        assert_eq!(check(vec![1; 41], ip, now), CookieCheck::Malformed);
        assert_eq!(check(cc.to_vec(), ip, now), CookieCheck::ClientOnly(cc));
        assert_eq!(check(issued.clone(), ip, now + 100), CookieCheck::Valid(cc));
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(check(issued.clone(), other, now), CookieCheck::Invalid(cc));
        assert_eq!(
            check(issued.clone(), ip, now + 3601),
            CookieCheck::Invalid(cc)
        );
        assert_eq!(
            check(issued.clone(), ip, now - 301),
            CookieCheck::Invalid(cc)
        );
        // After a rotation the old secret is still accepted.
        let rotated = Cookies::new(&CookieSettings {
            secret: Some([9; 16]),
            previous_secret: Some(c.secret),
        });
        let check = |data: Vec<u8>| rotated.check_at(Some(&edns_with(data)), ip, now);
        assert_eq!(check(issued), CookieCheck::Valid(cc));
    }
}
