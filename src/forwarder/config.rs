//! `[[forwarder]]` sections of `alwayson.toml`: the raw serde mirror (with
//! spans) and its conversion into [`ForwarderConfig`].
//!
//! Invariant: a [`ForwarderConfig`] only holds valid values (parsed socket
//! addresses, known algorithm, weights in `1..=MAX_WEIGHT`, positive
//! timeouts and limits, unique backend addresses); every problem found on the
//! way is reported as a `file:line:col` diagnostic, all of them at once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Source};
use crate::duration::parse_duration;
use crate::health::CheckId;

/// The largest backend weight. Weights are relative, so 1000 gives 0.1 %
/// resolution; larger values would only make the smooth weighted round robin
/// sequence longer.
pub const MAX_WEIGHT: u32 = 1000;

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10_000;

/// One forwarder, valid by construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwarderConfig {
    /// Unique among forwarders; the identity kept across reloads.
    pub name: String,
    pub listen: SocketAddr,
    pub balance: Balance,
    pub connect_timeout: Duration,
    /// A connection with no bytes either way for this long is closed.
    pub idle_timeout: Duration,
    /// How long connections to a removed backend (or forwarder) may go on.
    pub drain_timeout: Duration,
    pub max_connections: u32,
    /// Send a PROXY protocol v2 header to backends.
    pub proxy_protocol: bool,
    pub when_all_down: WhenAllDown,
    /// Never empty; addresses are unique.
    pub backends: Vec<BackendConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendConfig {
    pub address: SocketAddr,
    /// `1..=MAX_WEIGHT`; used by `weighted`, `least_conn`, `ip_hash` and
    /// `random_two`, ignored by `round_robin`.
    pub weight: u32,
    /// A backend without a check is healthy.
    pub health_check: Option<CheckId>,
}

/// How a new connection picks its backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Balance {
    #[default]
    RoundRobin,
    /// Fewest active connections per unit of weight.
    LeastConn,
    /// Smooth weighted round robin (nginx's).
    Weighted,
    /// Consistent by client IP (weighted rendezvous hashing).
    IpHash,
    /// Power of two random choices on active connections per weight.
    RandomTwo,
}

/// What to do when no backend is healthy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WhenAllDown {
    /// Use every backend as if healthy (Route 53's fail open).
    #[default]
    Open,
    /// Close new connections.
    Refuse,
}

/// The serde mirror of one `[[forwarder]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawForwarder {
    pub name: Spanned<String>,
    pub listen: Spanned<String>,
    pub balance: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<String>>,
    pub idle_timeout: Option<Spanned<String>>,
    pub drain_timeout: Option<Spanned<String>>,
    pub max_connections: Option<Spanned<i64>>,
    pub proxy_protocol: Option<Spanned<bool>>,
    pub when_all_down: Option<Spanned<String>>,
    pub backends: Spanned<Vec<Spanned<RawBackend>>>,
}

/// The serde mirror of one entry of `backends`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackend {
    pub address: Spanned<String>,
    pub weight: Option<Spanned<i64>>,
    pub health_check: Option<Spanned<String>>,
}

/// Converts one raw forwarder; pushes every problem to `diags` and returns
/// `None` when there was any.
pub fn convert(
    raw: &Spanned<RawForwarder>,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Option<ForwarderConfig> {
    let before = diags.len();
    let r = raw.get_ref();
    let name = r.name.get_ref().trim().to_string();
    if name.is_empty() {
        diags.push(src.error(&r.name.span(), "forwarder name must not be empty"));
    }
    let listen = parse_socket_addr(&r.listen, "listen", src, diags);
    let balance = r
        .balance
        .as_ref()
        .and_then(|b| parse_balance(b, src, diags))
        .unwrap_or_default();
    let connect_timeout =
        positive_duration(&r.connect_timeout, DEFAULT_CONNECT_TIMEOUT, src, diags);
    let idle_timeout = positive_duration(&r.idle_timeout, DEFAULT_IDLE_TIMEOUT, src, diags);
    let drain_timeout = match &r.drain_timeout {
        None => DEFAULT_DRAIN_TIMEOUT,
        Some(d) => parse_duration(d.get_ref())
            .map_err(|e| diags.push(src.error(&d.span(), e.to_string())))
            .unwrap_or_default(),
    };
    let max_connections = match &r.max_connections {
        None => DEFAULT_MAX_CONNECTIONS,
        Some(m) => match u32::try_from(*m.get_ref()) {
            Ok(n) if n > 0 => n,
            _ => {
                diags.push(src.error(
                    &m.span(),
                    format!("max_connections must be between 1 and {}", u32::MAX),
                ));
                0
            }
        },
    };
    let proxy_protocol = r.proxy_protocol.as_ref().is_some_and(|p| *p.get_ref());
    let when_all_down = match &r.when_all_down {
        None => WhenAllDown::Open,
        Some(w) => match w.get_ref().as_str() {
            "open" => WhenAllDown::Open,
            "refuse" => WhenAllDown::Refuse,
            other => {
                diags.push(src.error(
                    &w.span(),
                    format!("unknown when_all_down {other:?}: expected \"open\" or \"refuse\""),
                ));
                WhenAllDown::Open
            }
        },
    };
    let backends = convert_backends(&r.backends, src, diags);
    if diags.len() > before {
        return None;
    }
    Some(ForwarderConfig {
        name,
        listen: listen?,
        balance,
        connect_timeout,
        idle_timeout,
        drain_timeout,
        max_connections,
        proxy_protocol,
        when_all_down,
        backends,
    })
}

/// Converts every forwarder and checks what must be unique across them
/// (names and listen addresses).
pub fn convert_all(
    raws: &[Spanned<RawForwarder>],
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Vec<ForwarderConfig> {
    let mut names: HashMap<&str, ()> = HashMap::new();
    let mut listens: HashMap<String, ()> = HashMap::new();
    let mut out = Vec::new();
    for raw in raws {
        let r = raw.get_ref();
        if names.insert(r.name.get_ref().trim(), ()).is_some() {
            diags.push(src.error(
                &r.name.span(),
                format!("duplicate forwarder name {:?}", r.name.get_ref()),
            ));
        }
        let listen = r.listen.get_ref().trim().to_string();
        let port_zero = listen.parse::<SocketAddr>().is_ok_and(|a| a.port() == 0);
        if !port_zero && listens.insert(listen.clone(), ()).is_some() {
            diags.push(src.error(
                &r.listen.span(),
                format!("listen address {listen} is used by another forwarder"),
            ));
        }
        if let Some(config) = convert(raw, src, diags) {
            out.push(config);
        }
    }
    out
}

impl Balance {
    pub const NAMES: &'static str = "round_robin, least_conn, weighted, ip_hash, random_two";

    pub fn as_str(self) -> &'static str {
        match self {
            Balance::RoundRobin => "round_robin",
            Balance::LeastConn => "least_conn",
            Balance::Weighted => "weighted",
            Balance::IpHash => "ip_hash",
            Balance::RandomTwo => "random_two",
        }
    }
}

fn parse_balance(
    raw: &Spanned<String>,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Option<Balance> {
    let balance = match raw.get_ref().as_str() {
        "round_robin" => Balance::RoundRobin,
        "least_conn" => Balance::LeastConn,
        "weighted" => Balance::Weighted,
        "ip_hash" => Balance::IpHash,
        "random_two" => Balance::RandomTwo,
        other => {
            diags.push(src.error(
                &raw.span(),
                format!(
                    "unknown balance {other:?}: expected one of {}",
                    Balance::NAMES
                ),
            ));
            return None;
        }
    };
    Some(balance)
}

fn convert_backends(
    raw: &Spanned<Vec<Spanned<RawBackend>>>,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Vec<BackendConfig> {
    if raw.get_ref().is_empty() {
        diags.push(src.error(&raw.span(), "a forwarder needs at least one backend"));
    }
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for b in raw.get_ref() {
        let b = b.get_ref();
        let address = parse_socket_addr(&b.address, "backend address", src, diags);
        if let Some(a) = address {
            if a.port() == 0 {
                diags.push(src.error(&b.address.span(), "backend port must not be 0"));
            } else if seen.insert(a, ()).is_some() {
                diags.push(src.error(&b.address.span(), format!("duplicate backend {a}")));
            }
        }
        let weight = match &b.weight {
            None => 1,
            Some(w) => match u32::try_from(*w.get_ref()) {
                Ok(n @ 1..=MAX_WEIGHT) => n,
                _ => {
                    diags.push(src.error(
                        &w.span(),
                        format!(
                            "weight must be between 1 and {MAX_WEIGHT} (remove the backend to stop using it)"
                        ),
                    ));
                    1
                }
            },
        };
        let health_check = match &b.health_check {
            None => None,
            Some(h) if h.get_ref().trim().is_empty() => {
                diags.push(src.error(&h.span(), "health_check id must not be empty"));
                None
            }
            Some(h) => Some(CheckId::from(h.get_ref().as_str())),
        };
        if let Some(address) = address {
            out.push(BackendConfig {
                address,
                weight,
                health_check,
            });
        }
    }
    out
}

fn parse_socket_addr(
    raw: &Spanned<String>,
    what: &str,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Option<SocketAddr> {
    match raw.get_ref().trim().parse::<SocketAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            diags.push(src.error(
                &raw.span(),
                format!(
                    "invalid {what} {:?}: expected IP:port such as \"10.0.0.1:443\" or \"[::1]:443\" (host names are not resolved)",
                    raw.get_ref()
                ),
            ));
            None
        }
    }
}

fn positive_duration(
    raw: &Option<Spanned<String>>,
    default: Duration,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Duration {
    let Some(raw) = raw else { return default };
    match parse_duration(raw.get_ref()) {
        Ok(d) if !d.is_zero() => d,
        Ok(_) => {
            diags.push(src.error(&raw.span(), "duration must be greater than 0"));
            default
        }
        Err(e) => {
            diags.push(src.error(&raw.span(), e.to_string()));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        forwarder: Vec<Spanned<RawForwarder>>,
    }

    fn load(text: &str) -> Result<Vec<ForwarderConfig>, Vec<String>> {
        let src = Source::new("alwayson.toml", text);
        let file: File = match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => return Err(vec![src.toml_error(&e).to_string()]),
        };
        let mut diags = Vec::new();
        let configs = convert_all(&file.forwarder, &src, &mut diags);
        if diags.is_empty() {
            Ok(configs)
        } else {
            Err(diags.iter().map(ToString::to_string).collect())
        }
    }

    #[test]
    fn defaults_fill_every_optional_key() {
        let configs = load(
            "[[forwarder]]\nname = \"web\"\nlisten = \"127.0.0.1:8443\"\nbackends = [{ address = \"10.0.0.1:443\" }]\n",
        )
        .unwrap();
        assert_eq!(
            configs,
            vec![ForwarderConfig {
                name: "web".into(),
                listen: "127.0.0.1:8443".parse().unwrap(),
                balance: Balance::RoundRobin,
                connect_timeout: Duration::from_secs(2),
                idle_timeout: Duration::from_secs(300),
                drain_timeout: Duration::from_secs(30),
                max_connections: 10_000,
                proxy_protocol: false,
                when_all_down: WhenAllDown::Open,
                backends: vec![BackendConfig {
                    address: "10.0.0.1:443".parse().unwrap(),
                    weight: 1,
                    health_check: None,
                }],
            }]
        );
    }

    #[test]
    fn spec_example_converts() {
        let text = r#"
[[forwarder]]
name = "web"
listen = "127.0.0.1:8443"
balance = "least_conn"
connect_timeout = "2s"
idle_timeout = "5m"
max_connections = 10000
proxy_protocol = true
when_all_down = "refuse"
backends = [
  { address = "10.0.0.1:443", weight = 1, health_check = "web-1" },
  { address = "[2001:db8::2]:443", weight = 3, health_check = "web-2" },
]
"#;
        let c = &load(text).unwrap()[0];
        assert_eq!(c.balance, Balance::LeastConn);
        assert!(c.proxy_protocol);
        assert_eq!(c.when_all_down, WhenAllDown::Refuse);
        assert_eq!(c.backends[1].weight, 3);
        assert_eq!(c.backends[1].health_check.as_deref(), Some("web-2"));
    }

    #[test]
    fn every_problem_is_reported_at_its_position() {
        let text = r#"[[forwarder]]
name = "web"
listen = "localhost:80"
balance = "fastest"
connect_timeout = "soon"
idle_timeout = "0s"
max_connections = 0
when_all_down = "panic"
backends = [
  { address = "10.0.0.1:443", weight = 0 },
  { address = "10.0.0.1:443", weight = 1001 },
  { address = "10.0.0.2" },
]
"#;
        let errors = load(text).unwrap_err();
        let expected = [
            "alwayson.toml:3:10: invalid listen \"localhost:80\"",
            "alwayson.toml:4:11: unknown balance \"fastest\"",
            "alwayson.toml:5:19: invalid duration \"soon\"",
            "alwayson.toml:6:16: duration must be greater than 0",
            "alwayson.toml:7:19: max_connections must be between 1",
            "alwayson.toml:8:17: unknown when_all_down \"panic\"",
            "alwayson.toml:10:40: weight must be between 1 and 1000",
            "alwayson.toml:11:15: duplicate backend 10.0.0.1:443",
            "alwayson.toml:11:40: weight must be between 1 and 1000",
            "alwayson.toml:12:15: invalid backend address \"10.0.0.2\"",
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for (got, want) in errors.iter().zip(expected) {
            assert!(got.starts_with(want), "{got} does not start with {want}");
        }
    }

    #[test]
    fn empty_backends_unknown_keys_and_duplicates_are_errors() {
        let errors = load("[[forwarder]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\nbackends = []\n")
            .unwrap_err();
        assert_eq!(
            errors,
            vec!["alwayson.toml:4:12: a forwarder needs at least one backend"]
        );

        let errors = load(
            "[[forwarder]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\nbackend = []\nbackends = [{ address = \"10.0.0.1:1\" }]\n",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("alwayson.toml:4:1: unknown field `backend`"),
            "{errors:?}"
        );

        let one = "[[forwarder]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\nbackends = [{ address = \"10.0.0.1:1\" }]\n";
        let errors = load(&format!("{one}{one}")).unwrap_err();
        assert_eq!(
            errors,
            vec![
                "alwayson.toml:6:8: duplicate forwarder name \"a\"",
                "alwayson.toml:7:10: listen address 127.0.0.1:1 is used by another forwarder",
            ]
        );
    }
}
