//! SVCB and HTTPS (RFC 9460) in presentation form, `PRIORITY TARGET
//! [key[=value] ...]`, to wire bytes, checked as RFC 9460 §2.1 and §8 ask:
//! known keys or `keyNNNNN`, no key twice, `mandatory` listing only keys
//! present, `no-default-alpn` only beside `alpn`, no parameters in
//! AliasMode (priority 0). Parameters are written in key order.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::{Name, RecordType};

use super::text::{from_base64, unescape, unquote, words};
use super::{RdataError, name_wire, number};

/// What is wrong with an SVCB or HTTPS value, inside [`RdataError::Svcb`].
#[derive(Debug, thiserror::Error)]
pub enum SvcbError {
    /// Fewer than a priority and a target.
    #[error("needs \"PRIORITY TARGET [key=value ...]\" (e.g. \"1 . alpn=h2,h3\"), got {0:?}")]
    Fields(String),
    /// Parameters on a priority 0 record.
    #[error(
        "priority 0 is AliasMode, which takes no SvcParams (use priority 1 or more for a service)"
    )]
    AliasModeParams,
    /// A key that is neither registered nor `keyNNNNN`.
    #[error(
        "unknown SvcParamKey {0:?}; known: mandatory, alpn, no-default-alpn, port, ipv4hint, ech, ipv6hint, dohpath, or keyNNNNN"
    )]
    UnknownKey(String),
    /// `key65535`.
    #[error("key65535 is reserved (RFC 9460 §14.3.2)")]
    ReservedKey,
    /// A key given twice.
    #[error("key {0} appears twice")]
    Repeated(String),
    /// A key without the value it needs.
    #[error("{key}: needs a value ({example})")]
    NeedsValue {
        /// The key as written.
        key: String,
        /// What a value looks like.
        example: &'static str,
    },
    /// `no-default-alpn=...`.
    #[error("{0}: takes no value")]
    NoValue(String),
    /// A value (or an item of a list) that is not what the key takes.
    #[error("{key}: {text:?} is not {what}")]
    Invalid {
        /// The key as written.
        key: String,
        /// The value or item.
        text: String,
        /// What it should be.
        what: &'static str,
    },
    /// An escape in a value that does not decode.
    #[error("{key}: {reason}")]
    Escape {
        /// The key as written.
        key: String,
        /// The escape problem.
        reason: Box<RdataError>,
    },
    /// `mandatory` listing itself.
    #[error("mandatory must not list mandatory itself")]
    MandatorySelf,
    /// `mandatory` listing a key twice.
    #[error("mandatory lists {0} twice")]
    MandatoryTwice(String),
    /// `mandatory` listing a key the record does not have.
    #[error("mandatory lists {0} but the record does not have it")]
    MandatoryMissing(String),
    /// `no-default-alpn` without `alpn`.
    #[error("no-default-alpn needs alpn beside it")]
    NoDefaultAlpnAlone,
    /// A value longer than 65535 bytes.
    #[error("a value is too long")]
    TooLong,
}
use crate::zone::names::parse_name;

/// The registered keys and their numbers (RFC 9460 §14.3.2, RFC 9461).
pub const KEYS: [(&str, u16); 8] = [
    ("mandatory", 0),
    ("alpn", 1),
    ("no-default-alpn", 2),
    ("port", 3),
    ("ipv4hint", 4),
    ("ech", 5),
    ("ipv6hint", 6),
    ("dohpath", 7),
];

/// Parses an SVCB or HTTPS value into its wire bytes.
pub fn parse(rtype: RecordType, text: &str, origin: &Name) -> Result<Vec<u8>, RdataError> {
    let bad = |problem: SvcbError| RdataError::Svcb { rtype, problem };
    let words = words(text)?;
    let [priority, target, params @ ..] = &words[..] else {
        return Err(bad(SvcbError::Fields(text.to_owned())));
    };
    let priority = number(priority, "SvcPriority")?;
    let target = parse_name(target, origin)?;
    if priority == 0 && !params.is_empty() {
        return Err(bad(SvcbError::AliasModeParams));
    }
    let mut values: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    for param in params {
        let (key, value) = match param.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (*param, None),
        };
        let number = key_number(key).map_err(bad)?;
        let wire = value_wire(number, key, value).map_err(bad)?;
        if values.insert(number, wire).is_some() {
            return Err(bad(SvcbError::Repeated(key.to_owned())));
        }
    }
    check_consistency(&values).map_err(bad)?;
    let mut out = priority.to_be_bytes().to_vec();
    out.extend(name_wire(&target));
    for (key, value) in values {
        let len = u16::try_from(value.len()).map_err(|_| bad(SvcbError::TooLong))?;
        out.extend(key.to_be_bytes());
        out.extend(len.to_be_bytes());
        out.extend(value);
    }
    Ok(out)
}

/// The number of a key as written: a registered name or `keyNNNNN`.
fn key_number(key: &str) -> Result<u16, SvcbError> {
    if let Some((_, n)) = KEYS.iter().find(|(name, _)| *name == key) {
        return Ok(*n);
    }
    match key.strip_prefix("key").map(str::parse::<u16>) {
        Some(Ok(65535)) => Err(SvcbError::ReservedKey),
        Some(Ok(n)) => Ok(n),
        _ => Err(SvcbError::UnknownKey(key.to_owned())),
    }
}

/// The name of key `n`, as [`key_number`] reads it.
pub fn key_name(n: u16) -> String {
    KEYS.iter()
        .find(|(_, k)| *k == n)
        .map_or_else(|| format!("key{n}"), |(name, _)| (*name).to_string())
}

/// What a value of each registered key looks like.
fn example(key: u16) -> &'static str {
    match key {
        0 => "keys such as mandatory=alpn,port",
        1 => "protocol ids such as alpn=h2,h3",
        3 => "a port such as port=8443",
        4 => "addresses such as ipv4hint=192.0.2.1,192.0.2.2",
        5 => "base64 such as ech=AEX+DQBB...",
        6 => "addresses such as ipv6hint=2001:db8::1",
        _ => "a URI template such as dohpath=/dns-query{?dns}",
    }
}

/// The wire form of one parameter's value (`name` is the key as written).
fn value_wire(key: u16, name: &str, value: Option<&str>) -> Result<Vec<u8>, SvcbError> {
    let value = value.map(unquote);
    let invalid = |text: &str, what: &'static str| SvcbError::Invalid {
        key: name.to_owned(),
        text: text.to_owned(),
        what,
    };
    match (key, value) {
        (2, None) => Ok(Vec::new()),
        (2, Some(_)) => Err(SvcbError::NoValue(name.to_owned())),
        (0..=7, None | Some("")) => Err(SvcbError::NeedsValue {
            key: name.to_owned(),
            example: example(key),
        }),
        (0, Some(v)) => mandatory(v),
        (1, Some(v)) => alpn(v, name),
        (3, Some(v)) => v
            .parse::<u16>()
            .map(|p| p.to_be_bytes().to_vec())
            .map_err(|_| invalid(v, "a port 0..=65535")),
        (4, Some(v)) => hints::<Ipv4Addr, 4>(v, |a| a.octets())
            .ok_or_else(|| invalid(v, "a list of IPv4 addresses")),
        (5, Some(v)) => from_base64(v).ok_or_else(|| invalid(v, "base64")),
        (6, Some(v)) => hints::<Ipv6Addr, 16>(v, |a| a.octets())
            .ok_or_else(|| invalid(v, "a list of IPv6 addresses")),
        (_, v) => unescape(v.unwrap_or_default(), "value").map_err(|e| SvcbError::Escape {
            key: name.to_owned(),
            reason: Box::new(e),
        }),
    }
}

/// A comma-separated list; `\,` is a comma inside an item.
fn items(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, out.last_mut()) {
            ('\\', Some(item)) => {
                item.push(c);
                item.extend(chars.next());
            }
            (',', _) => out.push(String::new()),
            (_, Some(item)) => item.push(c),
            (_, None) => {}
        }
    }
    out
}

fn mandatory(value: &str) -> Result<Vec<u8>, SvcbError> {
    let mut keys = Vec::new();
    for item in items(value) {
        let key = key_number(&item)?;
        if key == 0 {
            return Err(SvcbError::MandatorySelf);
        }
        if keys.contains(&key) {
            return Err(SvcbError::MandatoryTwice(item));
        }
        keys.push(key);
    }
    keys.sort_unstable();
    Ok(keys.iter().flat_map(|k| k.to_be_bytes()).collect())
}

fn alpn(value: &str, name: &str) -> Result<Vec<u8>, SvcbError> {
    let mut out = Vec::new();
    for item in items(value) {
        let id = unescape(&item, "alpn id").map_err(|e| SvcbError::Escape {
            key: name.to_owned(),
            reason: Box::new(e),
        })?;
        let len = u8::try_from(id.len())
            .ok()
            .filter(|&l| l > 0)
            .ok_or_else(|| SvcbError::Invalid {
                key: name.to_owned(),
                text: item.clone(),
                what: "a protocol id of 1 to 255 bytes",
            })?;
        out.push(len);
        out.extend(id);
    }
    Ok(out)
}

/// The addresses of a hint list; `None` when an item is none.
fn hints<A: std::str::FromStr, const N: usize>(
    value: &str,
    octets: impl Fn(A) -> [u8; N],
) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for item in items(value) {
        out.extend(octets(item.parse::<A>().ok()?));
    }
    Some(out)
}

/// RFC 9460 §8: every key `mandatory` lists is present; §7.1.1:
/// `no-default-alpn` needs `alpn`.
fn check_consistency(values: &BTreeMap<u16, Vec<u8>>) -> Result<(), SvcbError> {
    if let Some(listed) = values.get(&0) {
        for key in listed
            .chunks_exact(2)
            .map(|k| u16::from_be_bytes([k[0], k[1]]))
        {
            if !values.contains_key(&key) {
                return Err(SvcbError::MandatoryMissing(key_name(key)));
            }
        }
    }
    if values.contains_key(&2) && !values.contains_key(&1) {
        return Err(SvcbError::NoDefaultAlpnAlone);
    }
    Ok(())
}
