//! `[cluster]`: the conversion of the cluster settings, each bad value
//! reported with its `file:line:col`. The section turns the cluster on by
//! being present; it needs a key (`key`, or `key_file` read here).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use toml::Spanned;

use super::raw::RawCluster;
use crate::cluster::config::{
    ClusterConfig, ClusterKey, DEFAULT_GOSSIP_INTERVAL, DEFAULT_GOSSIP_PORT,
    DEFAULT_HEALTHY_FRACTION, MIN_KEY_LEN,
};
use crate::diag::{Diagnostic, Source, Span};
use crate::duration::parse_duration;

/// The longest node name, in bytes.
const MAX_NODE_LEN: usize = 63;

/// Reports one bad value at its span.
type Report<'a> = dyn FnMut(Span, String) + 'a;

/// `[cluster]`; `base` is the config file's folder.
pub fn cluster(
    raw: &Spanned<RawCluster>,
    src: &Source,
    base: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<ClusterConfig> {
    let before = diags.len();
    let section = raw.get_ref();
    let mut err = |span: Span, message: String| diags.push(src.error(&span, message));
    let node = node_name(section, &mut err);
    let (listen, advertise, mut seeds) = addresses(raw, &mut err);
    let key = key(section, raw.span(), base, &mut err);
    let (healthy_fraction, gossip_interval) = tuning(section, &mut err);
    let (Some(listen), Some(advertise), Some(key), true) =
        (listen, advertise, key, diags.len() == before)
    else {
        return None;
    };
    seeds.retain(|s| *s != advertise && *s != listen);
    Some(ClusterConfig {
        node: Arc::from(node),
        listen,
        advertise,
        seeds,
        key,
        healthy_fraction,
        gossip_interval,
    })
}

/// `node`, or the host name.
fn node_name(section: &RawCluster, err: &mut Report<'_>) -> String {
    let Some(n) = &section.node else {
        return host_name();
    };
    let name = n.get_ref().trim();
    let valid = !name.is_empty()
        && name.len() <= MAX_NODE_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid {
        err(
            n.span(),
            format!(
                "node must be 1 to {MAX_NODE_LEN} letters, digits, '-', '_' or '.', got {name:?}"
            ),
        );
    }
    name.to_string()
}

/// One `ip:port`.
fn address(value: &Spanned<String>, key: &str, err: &mut Report<'_>) -> Option<SocketAddr> {
    let parsed = value.get_ref().trim().parse::<SocketAddr>();
    if parsed.is_err() {
        err(
            value.span(),
            format!(
                "{key} must be an IP address and port such as \"192.0.2.1:{DEFAULT_GOSSIP_PORT}\", got {:?}",
                value.get_ref()
            ),
        );
    }
    parsed.ok()
}

/// `listen`, `advertise` (default: `listen`, unless unspecified) and `seeds`.
fn addresses(
    raw: &Spanned<RawCluster>,
    err: &mut Report<'_>,
) -> (Option<SocketAddr>, Option<SocketAddr>, Vec<SocketAddr>) {
    let section = raw.get_ref();
    let listen = match &section.listen {
        Some(l) => address(l, "listen", err),
        None => Some(SocketAddr::from(([0, 0, 0, 0], DEFAULT_GOSSIP_PORT))),
    };
    let advertise = match (&section.advertise, listen) {
        (Some(a), _) => address(a, "advertise", err),
        (None, Some(l)) if l.ip().is_unspecified() => {
            err(
                raw.span(),
                format!(
                    "[cluster] listens on {l}: set `advertise` to the address peers reach this node at, or `listen` to a specific address"
                ),
            );
            None
        }
        (None, listen) => listen,
    };
    let seeds = section
        .seeds
        .iter()
        .flatten()
        .filter_map(|seed| address(seed, "seeds", err))
        .collect();
    (listen, advertise, seeds)
}

/// `healthy_fraction` and `gossip_interval`.
fn tuning(section: &RawCluster, err: &mut Report<'_>) -> (f64, Duration) {
    let mut healthy_fraction = DEFAULT_HEALTHY_FRACTION;
    if let Some(f) = &section.healthy_fraction {
        let value = *f.get_ref();
        if (0.0..1.0).contains(&value) {
            healthy_fraction = value;
        } else {
            err(
                f.span(),
                format!(
                    "healthy_fraction must be at least 0 and below 1 (healthy when more than this share of the observers say so), got {value}"
                ),
            );
        }
    }
    let mut gossip_interval = DEFAULT_GOSSIP_INTERVAL;
    if let Some(g) = &section.gossip_interval {
        match parse_duration(g.get_ref()) {
            Ok(d) if (Duration::from_millis(50)..=Duration::from_secs(60)).contains(&d) => {
                gossip_interval = d;
            }
            Ok(_) => err(
                g.span(),
                "gossip_interval must be between 50ms and 60s".to_string(),
            ),
            Err(e) => err(g.span(), e.to_string()),
        }
    }
    (healthy_fraction, gossip_interval)
}

/// `key` or `key_file` (exactly one), at least [`MIN_KEY_LEN`] bytes.
fn key(section: &RawCluster, span: Span, base: &Path, err: &mut Report<'_>) -> Option<ClusterKey> {
    let short =
        format!("must be at least {MIN_KEY_LEN} bytes (for example `openssl rand -hex 32`)");
    match (&section.key, &section.key_file) {
        (Some(k), None) => {
            let key = ClusterKey::new(k.get_ref().trim().as_bytes());
            if key.is_none() {
                err(k.span(), format!("key {short}"));
            }
            key
        }
        (None, Some(f)) => {
            let path = base.join(f.get_ref());
            match std::fs::read(&path) {
                Ok(bytes) => {
                    let key = ClusterKey::new(bytes.trim_ascii());
                    if key.is_none() {
                        err(f.span(), format!("the key in {} {short}", path.display()));
                    }
                    key
                }
                Err(e) => {
                    err(
                        f.span(),
                        format!("cannot read key_file {}: {e}", path.display()),
                    );
                    None
                }
            }
        }
        (Some(k), Some(_)) => {
            err(k.span(), "set `key` or `key_file`, not both".to_string());
            None
        }
        (None, None) => {
            err(span, "[cluster] needs `key` or `key_file`: the shared secret that authenticates the gossip".to_string());
            None
        }
    }
}

/// This machine's host name, the default node name.
fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "alwayson".to_string())
}

#[cfg(test)]
mod tests {
    use crate::config::convert;
    use crate::diag::Source;

    fn convert_text(text: &str) -> Result<crate::config::ServerConfig, Vec<String>> {
        let src = Source::new("alwayson.toml", text);
        convert(&src).map_err(|d| d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_three_node_section_is_read() {
        let config = convert_text(
            "[cluster]\nnode = \"ns1\"\nlisten = \"127.0.0.1:8054\"\nseeds = [\"127.0.0.2:8054\", \"127.0.0.3:8054\", \"127.0.0.1:8054\"]\nkey = \"0123456789abcdef0123\"\nhealthy_fraction = 0.5\ngossip_interval = \"200ms\"\n",
        )
        .unwrap();
        let cluster = config.cluster.unwrap();
        assert_eq!(&*cluster.node, "ns1");
        assert_eq!(cluster.advertise, cluster.listen);
        assert_eq!(
            cluster.seeds.len(),
            2,
            "this node's own address is not a seed"
        );
        assert_eq!(cluster.healthy_fraction, 0.5);
        assert_eq!(
            cluster.gossip_interval,
            std::time::Duration::from_millis(200)
        );
        assert!(convert_text("").unwrap().cluster.is_none());
    }

    #[test]
    fn bad_values_are_reported_with_their_position_and_no_secret() {
        let errors = convert_text(
            "[cluster]\nlisten = \"0.0.0.0:8054\"\nseeds = [\"ns2.example:8054\"]\nkey = \"short-secret\"\nhealthy_fraction = 1.5\ngossip_interval = \"5ms\"\n",
        )
        .unwrap_err();
        let text = errors.join("\n");
        for expected in [
            "alwayson.toml:1:1: [cluster] listens on 0.0.0.0:8054: set `advertise`",
            "alwayson.toml:3:10: seeds must be an IP address and port",
            "alwayson.toml:4:7: key must be at least 16 bytes",
            "alwayson.toml:5:20: healthy_fraction must be",
            "alwayson.toml:6:19: gossip_interval must be between",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
        assert!(!text.contains("short-secret"), "{text}");
        let unknown =
            convert_text("[cluster]\nkey = \"0123456789abcdef\"\ncolour = 1\n").unwrap_err();
        assert!(unknown[0].contains("alwayson.toml:3:1"), "{unknown:?}");
        let missing =
            convert_text("[cluster]\nlisten = \"127.0.0.1:1\"\nkey_file = \"nope.key\"\n")
                .unwrap_err();
        assert!(
            missing[0].contains("alwayson.toml:3:12: cannot read key_file"),
            "{missing:?}"
        );
        let none = convert_text("[cluster]\nlisten = \"127.0.0.1:1\"\n").unwrap_err();
        assert!(none[0].contains("needs `key` or `key_file`"), "{none:?}");
    }
}
