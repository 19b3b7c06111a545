//! `alwayson.toml`: the server config, read into a raw serde mirror and
//! converted into a model that holds only valid values. Every key is
//! optional; relative paths are relative to the config file's folder.

pub mod raw;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::diag::{Diagnostic, Diagnostics, Source, Span};
use crate::duration::parse_duration;
use crate::forwarder::config::ForwarderConfig;
use crate::health::spec::{self, HealthCheckSpec};
use crate::zone::model::Position;
use raw::RawServerConfig;

/// The file `serve` and `check` read when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "alwayson.toml";

#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The file this came from (None: built-in defaults).
    pub path: Option<PathBuf>,
    pub dns: DnsConfig,
    pub geoip: GeoipConfig,
    pub admin: AdminConfig,
    pub reload: ReloadConfig,
    /// `[[forwarder]]` sections.
    pub forwarders: Vec<ForwarderConfig>,
    pub health_checks: Vec<(HealthCheckSpec, Position)>,
}

#[derive(Clone, Debug)]
pub struct DnsConfig {
    pub listen: Vec<SocketAddr>,
    pub zones_dir: PathBuf,
    pub tcp_idle_timeout: Duration,
    pub max_udp_payload: u16,
    pub udp_threads: usize,
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
            dns: DnsConfig {
                listen: vec![SocketAddr::from(([127, 0, 0, 1], 5300))],
                zones_dir: PathBuf::from("zones"),
                tcp_idle_timeout: Duration::from_secs(10),
                max_udp_payload: 1232,
                udp_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
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
            forwarders: Vec::new(),
            health_checks: Vec::new(),
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
        config.admin.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        config
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

/// Converts the text of a config file; every problem is reported.
pub fn convert(src: &Source) -> Result<ServerConfig, Vec<Diagnostic>> {
    let raw: RawServerConfig = toml::from_str(src.text()).map_err(|e| vec![src.toml_error(&e)])?;
    let base = src
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let relative = |p: &str| {
        let p = PathBuf::from(p);
        if p.is_absolute() || base.as_os_str().is_empty() {
            p
        } else {
            base.join(p)
        }
    };
    let mut diags = Vec::new();
    let mut err = |span: Span, msg: String| diags.push(src.error(&span, msg));
    let mut config = ServerConfig {
        path: Some(src.path().to_path_buf()),
        ..ServerConfig::default()
    };
    config.dns.zones_dir = relative("zones");

    if let Some(dns) = &raw.dns {
        let dns = dns.get_ref();
        if let Some(listen) = &dns.listen {
            let mut addrs = Vec::new();
            for item in listen.get_ref() {
                match item.get_ref().parse::<SocketAddr>() {
                    Ok(a) => addrs.push(a),
                    Err(_) => err(
                        item.span(),
                        format!(
                            "invalid listen address {:?} (write \"127.0.0.1:5300\" or \"[::]:53\")",
                            item.get_ref()
                        ),
                    ),
                }
            }
            if listen.get_ref().is_empty() {
                err(
                    listen.span(),
                    "dns.listen needs at least one address".into(),
                );
            }
            config.dns.listen = addrs;
        }
        if let Some(dir) = &dns.zones_dir {
            config.dns.zones_dir = relative(dir.get_ref());
        }
        if let Some(t) = &dns.tcp_idle_timeout {
            match parse_duration(t.get_ref()) {
                Ok(d) if d > Duration::ZERO => config.dns.tcp_idle_timeout = d,
                Ok(_) => err(t.span(), "tcp_idle_timeout must be above 0".into()),
                Err(e) => err(t.span(), e.to_string()),
            }
        }
        if let Some(p) = &dns.max_udp_payload {
            match u16::try_from(*p.get_ref()) {
                Ok(v) if v >= 512 => config.dns.max_udp_payload = v,
                _ => err(
                    p.span(),
                    format!(
                        "max_udp_payload must be in 512..=65535, got {}",
                        p.get_ref()
                    ),
                ),
            }
        }
        if let Some(n) = &dns.udp_threads {
            match usize::try_from(*n.get_ref()) {
                Ok(v) if (1..=256).contains(&v) => config.dns.udp_threads = v,
                _ => err(
                    n.span(),
                    format!("udp_threads must be in 1..=256, got {}", n.get_ref()),
                ),
            }
        }
    }
    if let Some(geoip) = &raw.geoip {
        let geoip = geoip.get_ref();
        config.geoip.database = geoip.database.as_ref().map(|d| relative(d.get_ref()));
        if let Some(ecs) = &geoip.use_ecs {
            config.geoip.use_ecs = *ecs.get_ref();
        }
    }
    if let Some(admin) = &raw.admin {
        let admin = admin.get_ref();
        if let Some(listen) = &admin.listen {
            let text = listen.get_ref().trim();
            if text.is_empty() || text == "off" {
                config.admin.listen = None;
            } else {
                match text.parse::<SocketAddr>() {
                    Ok(a) => config.admin.listen = Some(a),
                    Err(_) => err(
                        listen.span(),
                        format!(
                            "invalid admin listen address {text:?} (write \"127.0.0.1:8053\", or \"off\")"
                        ),
                    ),
                }
            }
        }
        config.admin.token = admin
            .token
            .as_ref()
            .map(|t| t.get_ref().clone())
            .filter(|t| !t.is_empty());
    }
    if let Some(reload) = &raw.reload {
        let reload = reload.get_ref();
        if let Some(w) = &reload.watch {
            config.reload.watch = *w.get_ref();
        }
        if let Some(d) = &reload.debounce {
            match parse_duration(d.get_ref()) {
                Ok(v) => config.reload.debounce = v,
                Err(e) => err(d.span(), e.to_string()),
            }
        }
    }
    config.forwarders = crate::forwarder::config::convert_all(&raw.forwarder, src, &mut diags);
    for (id, check) in &raw.health_check {
        if let Some(spec) = spec::convert(id, check, src, &mut diags) {
            let (line, col) = src.locate(check.span().start);
            config.health_checks.push((spec, Position { line, col }));
        }
    }
    if diags.is_empty() {
        Ok(config)
    } else {
        Err(diags)
    }
}
