//! The admin HTTP server (axum) on `[admin] listen`:
//!
//! | method, path | what |
//! | --- | --- |
//! | `GET /` | status page: zones, health checks, recent flips, forwarders |
//! | `GET /healthz` | 200 while serving |
//! | `GET /metrics` | Prometheus text format, names prefixed `alwayson_` |
//! | `GET /api/v1/zones` | every zone file: origin, serial, records, load time, last result |
//! | `POST /api/v1/reload` | reload now; what changed (200) or why it failed (422) |
//! | `GET /api/v1/health-checks` | every check and the recent flips |
//! | `PUT /api/v1/health-checks/{id}/override` | `{"status": "healthy"\|"unhealthy"\|null, "for": "30m"}` |
//! | `GET /api/v1/answer?name=N&type=T&client=IP` | the answer a client would get now, and why |
//! | `GET /api/v1/cluster` | members, observations per check and node, verdicts, overrides, zone drift, gossip counters |
//!
//! Invariants: the server only reads the snapshot and sends commands to the
//! updater (it never writes served state itself); the mutating endpoints
//! need the bearer token when one is configured; every error is JSON
//! `{"error": "..."}`.

pub mod api;
pub mod api_error;
pub mod auth;
pub mod bodies;
pub mod cluster;
mod dnssec_section;
pub mod status_page;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::cluster::ClusterStatus;
use crate::control::UpdaterHandle;
use crate::metrics::Metrics;
use crate::metrics::render::ForwarderBackendStats;
use crate::table::SnapshotStore;

/// Where the status page and `/metrics` get forwarder rows from (the
/// forwarder's `stats()` once it is wired in; empty until then).
pub type ForwarderStatsSource = Arc<dyn Fn() -> Vec<ForwarderBackendStats> + Send + Sync>;

/// What every handler reads.
#[derive(Clone)]
pub struct AdminState {
    pub store: Arc<SnapshotStore>,
    pub updater: UpdaterHandle,
    pub metrics: Arc<Metrics>,
    /// Required on mutating endpoints when set.
    pub token: Option<Arc<str>>,
    /// `[geoip] use_ecs`: whether the explain API accepts `ecs=`.
    pub use_ecs: bool,
    pub forwarders: ForwarderStatsSource,
    /// Keys of `alwayson.toml` changed since start that wait for a restart.
    pub needs_restart: tokio::sync::watch::Receiver<Vec<String>>,
    /// The cluster's members and what they publish (None: no `[cluster]`).
    pub cluster: Option<tokio::sync::watch::Receiver<Arc<ClusterStatus>>>,
}

impl AdminState {
    /// A source of no forwarder rows.
    pub fn no_forwarders() -> ForwarderStatsSource {
        Arc::new(Vec::new)
    }
}

/// The running admin server; [`AdminServer::shutdown`] stops it.
#[derive(Debug)]
pub struct AdminServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl AdminServer {
    /// Binds `listen` and serves on the current runtime. Warns once when
    /// the address is not loopback and no token protects the mutating
    /// endpoints.
    pub async fn start(listen: SocketAddr, state: AdminState) -> io::Result<Self> {
        Self::bind(listen, state)
    }

    /// Like [`AdminServer::start`], without waiting (a reload moving the
    /// API calls it from the updater). Must run inside a tokio runtime.
    pub fn bind(listen: SocketAddr, state: AdminState) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() && state.token.is_none() {
            tracing::warn!(
                target: "alwayson::admin",
                %addr,
                "admin API reachable beyond loopback without a token: anyone who can connect can reload and override checks; set [admin] token"
            );
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(state);
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(target: "alwayson::admin", error = %e, "admin server stopped");
            }
        });
        tracing::info!(target: "alwayson::admin", %addr, "admin API listening");
        Ok(Self {
            addr,
            stop: Some(stop),
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (briefly), then ends.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(std::time::Duration::from_secs(2), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

/// Every route, with JSON errors for unknown paths and wrong methods.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/", get(status_page::page))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/zones", get(api::zones))
        .route("/api/v1/reload", post(api::reload))
        .route("/api/v1/health-checks", get(api::health_checks))
        .route(
            "/api/v1/health-checks/{id}/override",
            put(api::set_override),
        )
        .route("/api/v1/answer", get(api::answer))
        .route("/api/v1/cluster", get(cluster::cluster))
        .fallback(api_error::not_found)
        .method_not_allowed_fallback(api_error::method_not_allowed)
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn metrics(State(state): State<AdminState>) -> impl IntoResponse {
    let snapshot = state.store.load_full();
    let forwarders = (state.forwarders)();
    let body = crate::metrics::render(&state.metrics, &snapshot, &forwarders);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
