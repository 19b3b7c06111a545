//! The serde mirror of a zone file: exactly what the TOML says, with the span
//! of every value so that conversion can point at it. Nothing here is
//! validated beyond TOML types; unknown keys are rejected by serde.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::health::spec::RawHealthCheck;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawZoneFile {
    /// Files holding more of this zone's records: globs relative to this
    /// file's folder (`zone::include`).
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    pub zone: Spanned<RawZoneHeader>,
    #[serde(default)]
    pub record: Vec<Spanned<RawRecordSet>>,
    #[serde(default)]
    pub health_check: BTreeMap<String, Spanned<RawHealthCheck>>,
}

/// A file a zone file includes: more record sets and health checks of that
/// zone, and nothing else (no `[zone]`, no nested `include`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIncludedFile {
    #[serde(default)]
    pub record: Vec<Spanned<RawRecordSet>>,
    #[serde(default)]
    pub health_check: BTreeMap<String, Spanned<RawHealthCheck>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawZoneHeader {
    pub origin: Spanned<String>,
    pub ttl: Option<Spanned<i64>>,
    pub soa: Spanned<RawSoa>,
    /// Sign the zone online with the keys of the keys folder.
    pub dnssec: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSoa {
    pub mname: Spanned<String>,
    pub rname: Spanned<String>,
    pub serial: Option<Spanned<i64>>,
    pub refresh: Option<Spanned<i64>>,
    pub retry: Option<Spanned<i64>>,
    pub expire: Option<Spanned<i64>>,
    pub minimum: Option<Spanned<i64>>,
    pub ttl: Option<Spanned<i64>>,
}

/// One `[[record]]`: a record set, possibly one of several sharing a name and
/// type under a routing policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecordSet {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub rtype: Spanned<String>,
    pub ttl: Option<Spanned<i64>>,
    pub values: Option<Spanned<Vec<Spanned<String>>>>,
    pub set: Option<Spanned<String>>,
    pub failover: Option<Spanned<String>>,
    pub geo: Option<Spanned<String>>,
    pub geoproximity: Option<Spanned<RawGeoproximity>>,
    pub weight: Option<Spanned<i64>>,
    pub multivalue: Option<Spanned<bool>>,
    pub cidr: Option<Spanned<RawCidrs>>,
    pub alias: Option<Spanned<String>>,
    pub evaluate_target_health: Option<Spanned<bool>>,
    pub health_check: Option<Spanned<String>>,
    pub when_all_down: Option<Spanned<String>>,
}

/// `geoproximity = { lat, lon, bias }` or `geoproximity = "*"` (the default set).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawGeoproximity {
    Default(String),
    Point(RawPoint),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPoint {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub bias: i64,
}

/// `cidr = ["203.0.113.0/24", ...]` or `cidr = "*"` (the default set).
///
/// A hand-written visitor rather than an untagged enum: untagged enums
/// swallow the element error and cannot hold spans.
#[derive(Debug)]
pub struct RawCidrs(pub Vec<String>);

impl<'de> Deserialize<'de> for RawCidrs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawCidrs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of networks such as [\"203.0.113.0/24\"], or \"*\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawCidrs, E> {
                Ok(RawCidrs(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawCidrs, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(RawCidrs(items))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
