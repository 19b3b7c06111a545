//! `[cluster]` of `alwayson.toml`, as the cluster runs it: this node's
//! name, its gossip address, the seeds, the shared key and how verdicts
//! are made. The key never appears in a log, the API or `Debug` output.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The shortest accepted key, in bytes.
pub const MIN_KEY_LEN: usize = 16;
/// Route 53's rule: healthy when more than 18 % of the observers say so.
pub const DEFAULT_HEALTHY_FRACTION: f64 = 0.18;
pub const DEFAULT_GOSSIP_INTERVAL: Duration = Duration::from_millis(500);
/// Where the gossip listens when `listen` is not set.
pub const DEFAULT_GOSSIP_PORT: u16 = 8054;

/// The shared secret every gossip datagram is authenticated with.
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterKey(Arc<[u8]>);

impl ClusterKey {
    /// None when shorter than [`MIN_KEY_LEN`].
    pub fn new(bytes: &[u8]) -> Option<Self> {
        (bytes.len() >= MIN_KEY_LEN).then(|| Self(Arc::from(bytes)))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for ClusterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterKey(<redacted>)")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    /// This node's name (default: the host name).
    pub node: Arc<str>,
    /// The UDP address the gossip binds.
    pub listen: SocketAddr,
    /// The address peers reach this node at (default: `listen`).
    pub advertise: SocketAddr,
    /// Other nodes' gossip addresses.
    pub seeds: Vec<SocketAddr>,
    pub key: ClusterKey,
    /// A check is healthy when more than this share of the live observers say so.
    pub healthy_fraction: f64,
    pub gossip_interval: Duration,
}

impl ClusterConfig {
    /// A config for tests: `node` on `listen`, with `seeds` and `key`.
    pub fn new(node: &str, listen: SocketAddr, seeds: Vec<SocketAddr>, key: ClusterKey) -> Self {
        Self {
            node: Arc::from(node),
            listen,
            advertise: listen,
            seeds,
            key,
            healthy_fraction: DEFAULT_HEALTHY_FRACTION,
            gossip_interval: DEFAULT_GOSSIP_INTERVAL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_never_printed_and_short_keys_are_refused() {
        assert!(ClusterKey::new(b"fifteen-bytes!!").is_none());
        let key = ClusterKey::new(b"sixteen-bytes!!!").unwrap();
        let config = ClusterConfig::new("n1", "127.0.0.1:1".parse().unwrap(), vec![], key);
        let text = format!("{config:?}");
        assert!(!text.contains("sixteen"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
}
