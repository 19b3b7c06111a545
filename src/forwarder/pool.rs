//! A forwarder's current backends and settings ([`Pool`]), rebuilt on every
//! reload while keeping the live state of backends that stay.
//!
//! Invariant: a backend is identified by its address; across a reload the
//! same address keeps the same [`Backend`] (counters, active connections,
//! stop signal), so a weight or health-check change never disturbs its
//! connections. A removed backend is handed back to be drained.

use std::cell::RefCell;
use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::watch;

use super::balance::{self, Balancer, Candidate};
use super::config::{BackendConfig, ForwarderConfig};
use super::stats::Counters;
use crate::health::HealthView;

/// One backend's live state.
#[derive(Debug)]
pub struct Backend {
    pub config: BackendConfig,
    pub key: u64,
    pub counters: Arc<Counters>,
    /// Set to true when its connections must close now (end of a drain).
    /// Shared with the versions of this backend in earlier pools.
    pub stop: Arc<watch::Sender<bool>>,
}

impl Backend {
    fn new(config: BackendConfig) -> Self {
        Self {
            key: balance::backend_key(config.address),
            config,
            counters: Arc::default(),
            stop: Arc::new(watch::Sender::new(false)),
        }
    }

    pub fn is_healthy(&self, health: &HealthView) -> bool {
        self.config
            .health_check
            .as_deref()
            .is_none_or(|id| health.is_healthy(id))
    }
}

/// What a new connection needs: the settings and backends of one config version.
#[derive(Debug)]
pub struct Pool {
    pub config: ForwarderConfig,
    pub backends: Vec<Arc<Backend>>,
    pub balancer: Balancer,
}

impl Pool {
    /// Builds the pool for `config`, reusing `previous`'s backends by
    /// address; returns the pool and the backends `config` no longer has.
    pub fn build(config: &ForwarderConfig, previous: Option<&Pool>) -> (Pool, Vec<Arc<Backend>>) {
        let mut old: Vec<Arc<Backend>> = previous.map(|p| p.backends.clone()).unwrap_or_default();
        let backends = config
            .backends
            .iter()
            .map(|b| {
                match old.iter().position(|o| o.config == *b) {
                    Some(i) => old.swap_remove(i),
                    // same address, new weight or check: keep the live state
                    None => match old.iter().position(|o| o.config.address == b.address) {
                        Some(i) => {
                            let kept = old.swap_remove(i);
                            Arc::new(Backend {
                                config: b.clone(),
                                key: kept.key,
                                counters: Arc::clone(&kept.counters),
                                stop: Arc::clone(&kept.stop),
                            })
                        }
                        None => Arc::new(Backend::new(b.clone())),
                    },
                }
            })
            .collect::<Vec<_>>();
        let pool = Pool {
            balancer: Balancer::new(config.balance, backends.len()),
            config: config.clone(),
            backends,
        };
        (pool, old)
    }

    /// Picks the next backend to try for a client, given the current health,
    /// skipping `tried` (indices into `backends`). Allocates nothing: the
    /// candidates are written into this thread's reused buffer.
    pub fn pick(&self, health: &HealthView, client: IpAddr, tried: &[usize]) -> Option<usize> {
        CANDIDATES.with(|buffer| {
            // A pick never calls back into another pick, so the buffer is
            // always free here; a `try_borrow` failure falls back to a fresh one.
            let mut fresh = Vec::new();
            let mut borrowed = buffer.try_borrow_mut();
            let candidates = match borrowed.as_deref_mut() {
                Ok(reused) => reused,
                Err(_) => &mut fresh,
            };
            candidates.clear();
            candidates.extend(self.backends.iter().map(|b| Candidate {
                healthy: b.is_healthy(health),
                active: b.counters.active(),
                weight: b.config.weight,
                key: b.key,
            }));
            self.balancer.pick(
                candidates,
                client,
                tried,
                self.config.when_all_down,
                &mut rand::rng(),
            )
        })
    }
}

thread_local! {
    /// The candidates of the pick running on this thread; it keeps its
    /// capacity, so after a thread's first pick over the largest pool,
    /// picks allocate nothing.
    static CANDIDATES: RefCell<Vec<Candidate>> = const { RefCell::new(Vec::new()) };
}
