//! The serde mirror of `alwayson.toml`, with spans for error positions.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::health::spec::RawHealthCheck;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServerConfig {
    /// Where overrides and derived serials are kept across restarts; "off" disables it.
    pub state_dir: Option<Spanned<String>>,
    pub dns: Option<Spanned<RawDns>>,
    pub geoip: Option<Spanned<RawGeoip>>,
    pub admin: Option<Spanned<RawAdmin>>,
    pub reload: Option<Spanned<RawReload>>,
    pub process: Option<Spanned<RawProcess>>,
    /// `[cluster]`: gossip with other instances, on when present.
    pub cluster: Option<Spanned<RawCluster>>,
    /// `[dnssec]`: the keys folder and signature settings.
    pub dnssec: Option<Spanned<RawDnssec>>,
    #[serde(default)]
    pub forwarder: Vec<Spanned<crate::forwarder::config::RawForwarder>>,
    #[serde(default)]
    pub health_check: BTreeMap<String, Spanned<RawHealthCheck>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDns {
    pub listen: Option<Spanned<Vec<Spanned<String>>>>,
    pub zones_dir: Option<Spanned<String>>,
    pub tcp_idle_timeout: Option<Spanned<String>>,
    pub max_udp_payload: Option<Spanned<i64>>,
    /// UDP sockets (and threads) per listen address; default: the number of cores.
    pub udp_threads: Option<Spanned<i64>>,
    /// This instance's name server identifier (NSID, `id.server.`).
    pub nsid: Option<Spanned<String>>,
    /// What `version.server.`/`version.bind.` answer.
    pub version: Option<Spanned<String>>,
    /// `[dns.rrl]`: response rate limiting, on when present.
    pub rrl: Option<Spanned<RawRrl>>,
    /// `[dns.cookies]`: DNS cookies, on when present.
    pub cookies: Option<Spanned<RawCookies>>,
    /// `[dns.tcp]`: connection limits and timeouts.
    pub tcp: Option<Spanned<RawDnsTcp>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRrl {
    pub responses_per_second: Option<Spanned<i64>>,
    pub slip: Option<Spanned<i64>>,
    pub window: Option<Spanned<String>>,
    pub ipv4_prefix: Option<Spanned<i64>>,
    pub ipv6_prefix: Option<Spanned<i64>>,
    pub whitelist: Option<Vec<Spanned<String>>>,
    pub table_size: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCookies {
    pub secret: Option<Spanned<String>>,
    pub previous_secret: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDnsTcp {
    pub max_connections: Option<Spanned<i64>>,
    pub max_connections_per_client: Option<Spanned<i64>>,
    /// Also settable as `[dns] tcp_idle_timeout` (this one wins).
    pub idle_timeout: Option<Spanned<String>>,
    pub frame_timeout: Option<Spanned<String>>,
    pub max_in_flight: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGeoip {
    pub database: Option<Spanned<String>>,
    pub use_ecs: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub listen: Option<Spanned<String>>,
    pub token: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReload {
    pub watch: Option<Spanned<bool>>,
    pub debounce: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProcess {
    /// The user `serve` drops to after binding its sockets, when started as root.
    pub user: Option<Spanned<String>>,
    /// Its group; default: the user's primary group.
    pub group: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    pub node: Option<Spanned<String>>,
    pub listen: Option<Spanned<String>>,
    pub advertise: Option<Spanned<String>>,
    pub seeds: Option<Vec<Spanned<String>>>,
    pub key: Option<Spanned<String>>,
    pub key_file: Option<Spanned<String>>,
    pub healthy_fraction: Option<Spanned<f64>>,
    pub gossip_interval: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDnssec {
    pub keys_dir: Option<Spanned<String>>,
    pub signature_validity: Option<Spanned<String>>,
    pub signature_refresh: Option<Spanned<String>>,
    pub signature_cache_entries: Option<Spanned<i64>>,
}
