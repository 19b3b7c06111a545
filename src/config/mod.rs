//! `alwayson.toml`: the server config, read into a raw serde mirror and
//! converted into a model that holds only valid values. Every key is
//! optional; relative paths are relative to the config file's folder.

mod cluster;
mod convert;
mod dnssec;
mod guard;
pub mod raw;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cluster::ClusterConfig;
use crate::diag::{Diagnostics, Source};
use crate::dns::cookie::CookieSettings;
use crate::dns::rrl::RrlSettings;
use crate::dns::tcp::TcpLimits;
use crate::forwarder::config::ForwarderConfig;
use crate::health::spec::HealthCheckSpec;
use crate::process::RunAs;
use crate::zone::model::Position;

pub use convert::convert;

/// The file `serve` and `check` read when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "alwayson.toml";
/// `state_dir` when not set: beside the config file (or in the working
/// folder without one).
pub const DEFAULT_STATE_DIR: &str = "state";
/// `[dnssec] keys_dir` when not set.
pub const DEFAULT_KEYS_DIR: &str = "keys";

#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The file this came from (None: built-in defaults).
    pub path: Option<PathBuf>,
    /// Where overrides and derived serials survive a restart (None: `"off"`).
    pub state_dir: Option<PathBuf>,
    pub dns: DnsConfig,
    pub geoip: GeoipConfig,
    pub admin: AdminConfig,
    pub reload: ReloadConfig,
    /// `[process]`: who `serve` runs as after binding its sockets.
    pub process: ProcessConfig,
    /// `[cluster]` (None: this instance is alone).
    pub cluster: Option<ClusterConfig>,
    /// `[dnssec]`: where keys live and how signatures are made.
    pub dnssec: DnssecConfig,
    /// `[[forwarder]]` sections.
    pub forwarders: Vec<ForwarderConfig>,
    pub health_checks: Vec<(HealthCheckSpec, Position)>,
    /// The command line's values over the file's, kept so that a reload,
    /// which re-reads the file, applies them again.
    pub overrides: Overrides,
}

#[derive(Clone, Debug)]
pub struct DnsConfig {
    pub listen: Vec<SocketAddr>,
    pub zones_dir: PathBuf,
    /// `[dns.tcp]` (its idle timeout also from `[dns] tcp_idle_timeout`).
    pub tcp: TcpLimits,
    pub max_udp_payload: u16,
    pub udp_threads: usize,
    /// The NSID option and CH TXT `id.server.`/`hostname.bind.` (None: off).
    pub nsid: Option<String>,
    /// CH TXT `version.server.`/`version.bind.` (None: REFUSED).
    pub version: Option<String>,
    /// `[dns.rrl]` (None: no rate limiting).
    pub rrl: Option<RrlSettings>,
    /// `[dns.cookies]` (None: COOKIE options are ignored).
    pub cookies: Option<CookieSettings>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnssecConfig {
    /// The keys folder (default `keys`, beside the config file).
    pub keys_dir: PathBuf,
    pub sign: crate::dnssec::SignSettings,
}

#[derive(Clone, Debug)]
pub struct GeoipConfig {
    pub database: Option<PathBuf>,
    pub use_ecs: bool,
}

#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// None: no admin API.
    pub listen: Option<SocketAddr>,
    /// When set, mutating endpoints need `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// `[process]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessConfig {
    /// The user and group to drop to (None: keep the identity started with).
    pub run_as: Option<RunAs>,
}

#[derive(Clone, Debug)]
pub struct ReloadConfig {
    pub watch: bool,
    /// Quiet time after the last file event before reloading.
    pub debounce: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            path: None,
            state_dir: Some(PathBuf::from(DEFAULT_STATE_DIR)),
            dns: DnsConfig {
                listen: vec![SocketAddr::from(([127, 0, 0, 1], 5300))],
                zones_dir: PathBuf::from("zones"),
                tcp: TcpLimits::default(),
                max_udp_payload: 1232,
                udp_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
                nsid: None,
                version: None,
                rrl: None,
                cookies: None,
            },
            geoip: GeoipConfig {
                database: None,
                use_ecs: true,
            },
            admin: AdminConfig {
                listen: Some(SocketAddr::from(([127, 0, 0, 1], 8053))),
                token: None,
            },
            reload: ReloadConfig {
                watch: true,
                debounce: Duration::from_millis(100),
            },
            process: ProcessConfig::default(),
            cluster: None,
            dnssec: DnssecConfig {
                keys_dir: PathBuf::from(DEFAULT_KEYS_DIR),
                sign: crate::dnssec::SignSettings::default(),
            },
            forwarders: Vec::new(),
            health_checks: Vec::new(),
            overrides: Overrides::default(),
        }
    }
}

impl ServerConfig {
    /// Defaults for tests: everything on 127.0.0.1 port 0, zones from `zones_dir`.
    pub fn for_tests(zones_dir: &Path) -> Self {
        let mut config = Self::default();
        config.dns.listen = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
        config.dns.zones_dir = zones_dir.to_path_buf();
        config.dns.udp_threads = 2;
        config.state_dir = Some(zones_dir.with_file_name(DEFAULT_STATE_DIR));
        config.dnssec.keys_dir = zones_dir.with_file_name(DEFAULT_KEYS_DIR);
        config.admin.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        config
    }
}

/// Values given on the command line (`serve --listen`, `--zones-dir`,
/// `--admin-listen`) that replace the config file's. They are applied once,
/// at start; a reload re-reads the file but keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Replaces `[dns] listen` when not empty.
    pub dns_listen: Vec<SocketAddr>,
    /// Replaces `[dns] zones_dir` (relative to the working directory).
    pub zones_dir: Option<PathBuf>,
    /// Replaces `[admin] listen`; `Some(None)` turns the admin API off.
    pub admin_listen: Option<Option<SocketAddr>>,
}

impl Overrides {
    /// Writes every given value over `config`, and keeps them in it for
    /// the reloads to come.
    pub fn apply(&self, config: &mut ServerConfig) {
        config.overrides = self.clone();
        if !self.dns_listen.is_empty() {
            config.dns.listen.clone_from(&self.dns_listen);
        }
        if let Some(dir) = &self.zones_dir {
            config.dns.zones_dir.clone_from(dir);
        }
        if let Some(admin) = self.admin_listen {
            config.admin.listen = admin;
        }
    }
}

/// Loads `path`, or `./alwayson.toml` when present, or the built-in defaults.
pub fn load(path: Option<&Path>) -> Result<ServerConfig, Diagnostics> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let default = PathBuf::from(DEFAULT_CONFIG_FILE);
            if !default.exists() {
                return Ok(ServerConfig::default());
            }
            default
        }
    };
    let src = Source::read(&path).map_err(|d| Diagnostics(vec![d]))?;
    convert(&src).map_err(Diagnostics)
}
