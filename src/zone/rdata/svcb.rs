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
    let bad = |message: String| RdataError::Svcb { rtype, message };
    let words = words(text)?;
    let [priority, target, params @ ..] = &words[..] else {
        return Err(bad(format!(
            "needs \"PRIORITY TARGET [key=value ...]\" (e.g. \"1 . alpn=h2,h3\"), got {text:?}"
        )));
    };
    let priority = number(priority, "SvcPriority")?;
    let target = parse_name(target, origin)?;
    if priority == 0 && !params.is_empty() {
        return Err(bad(
            "priority 0 is AliasMode, which takes no SvcParams (use priority 1 or more for a service)"
                .into(),
        ));
    }
    let mut values: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    for param in params {
        let (key, value) = match param.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (*param, None),
        };
        let number = key_number(key).map_err(&bad)?;
        let wire = value_wire(number, value).map_err(|e| bad(format!("{key}: {e}")))?;
        if values.insert(number, wire).is_some() {
            return Err(bad(format!("key {key} appears twice")));
        }
    }
    check_consistency(&values).map_err(bad)?;
    let mut out = priority.to_be_bytes().to_vec();
    out.extend(name_wire(&target));
    for (key, value) in values {
        let len = u16::try_from(value.len()).map_err(|_| bad("a value is too long".into()))?;
        out.extend(key.to_be_bytes());
        out.extend(len.to_be_bytes());
        out.extend(value);
    }
    Ok(out)
}

/// The number of a key as written: a registered name or `keyNNNNN`.
fn key_number(key: &str) -> Result<u16, String> {
    if let Some((_, n)) = KEYS.iter().find(|(name, _)| *name == key) {
        return Ok(*n);
    }
    match key.strip_prefix("key").map(str::parse::<u16>) {
        Some(Ok(65535)) => Err("key65535 is reserved (RFC 9460 §14.3.2)".into()),
        Some(Ok(n)) => Ok(n),
        _ => Err(format!(
            "unknown SvcParamKey {key:?}; known: mandatory, alpn, no-default-alpn, port, ipv4hint, ech, ipv6hint, dohpath, or keyNNNNN"
        )),
    }
}

/// The name of key `n`, as [`key_number`] reads it.
pub fn key_name(n: u16) -> String {
    KEYS.iter()
        .find(|(_, k)| *k == n)
        .map_or_else(|| format!("key{n}"), |(name, _)| (*name).to_string())
}

/// The wire form of one parameter's value.
fn value_wire(key: u16, value: Option<&str>) -> Result<Vec<u8>, String> {
    let value = value.map(unquote);
    let needs = |what: &str| format!("needs a value ({what})");
    match (key, value) {
        (2, None) => Ok(Vec::new()),
        (2, Some(_)) => Err("takes no value".into()),
        (0..=7, None | Some("")) => Err(needs(match key {
            0 => "keys such as mandatory=alpn,port",
            1 => "protocol ids such as alpn=h2,h3",
            3 => "a port such as port=8443",
            4 => "addresses such as ipv4hint=192.0.2.1,192.0.2.2",
            5 => "base64 such as ech=AEX+DQBB...",
            6 => "addresses such as ipv6hint=2001:db8::1",
            _ => "a URI template such as dohpath=/dns-query{?dns}",
        })),
        (0, Some(v)) => mandatory(v),
        (1, Some(v)) => alpn(v),
        (3, Some(v)) => v
            .parse::<u16>()
            .map(|p| p.to_be_bytes().to_vec())
            .map_err(|_| format!("{v:?} is not a port 0..=65535")),
        (4, Some(v)) => hints::<Ipv4Addr, 4>(v, |a| a.octets()),
        (5, Some(v)) => from_base64(v).ok_or_else(|| format!("{v:?} is not base64")),
        (6, Some(v)) => hints::<Ipv6Addr, 16>(v, |a| a.octets()),
        (_, v) => unescape(v.unwrap_or_default(), "value").map_err(|e| e.to_string()),
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

fn mandatory(value: &str) -> Result<Vec<u8>, String> {
    let mut keys = Vec::new();
    for item in items(value) {
        let key = key_number(&item)?;
        if key == 0 {
            return Err("must not list mandatory itself".into());
        }
        if keys.contains(&key) {
            return Err(format!("lists {item} twice"));
        }
        keys.push(key);
    }
    keys.sort_unstable();
    Ok(keys.iter().flat_map(|k| k.to_be_bytes()).collect())
}

fn alpn(value: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for item in items(value) {
        let id = unescape(&item, "alpn id").map_err(|e| e.to_string())?;
        let len = u8::try_from(id.len())
            .ok()
            .filter(|&l| l > 0)
            .ok_or_else(|| format!("protocol id {item:?} must be 1 to 255 bytes"))?;
        out.push(len);
        out.extend(id);
    }
    Ok(out)
}

fn hints<A: std::str::FromStr, const N: usize>(
    value: &str,
    octets: impl Fn(A) -> [u8; N],
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for item in items(value) {
        let addr = item.parse::<A>().map_err(|_| {
            format!(
                "{item:?} is not an IPv{} address",
                if N == 4 { 4 } else { 6 }
            )
        })?;
        out.extend(octets(addr));
    }
    Ok(out)
}

/// RFC 9460 §8: every key `mandatory` lists is present; §7.1.1:
/// `no-default-alpn` needs `alpn`.
fn check_consistency(values: &BTreeMap<u16, Vec<u8>>) -> Result<(), String> {
    if let Some(listed) = values.get(&0) {
        for key in listed.chunks(2).map(|k| u16::from_be_bytes([k[0], k[1]])) {
            if !values.contains_key(&key) {
                return Err(format!(
                    "mandatory lists {} but the record does not have it",
                    key_name(key)
                ));
            }
        }
    }
    if values.contains_key(&2) && !values.contains_key(&1) {
        return Err("no-default-alpn needs alpn beside it".into());
    }
    Ok(())
}
