//! Wiring: load the config, start the control plane (the updater), the
//! forwarder supervisor, DNS listeners, reload triggers and the admin API;
//! `check` validates the same inputs without serving; `serve` drops to
//! `[process] user` once everything is bound (`privileges.rs`). [`start`]
//! is also the tests' entry point.
//!
//! Invariant: nothing here holds state of its own; each part owns what it
//! runs and this file only connects them. The one exception is
//! [`listeners::Listeners`], shared by the updater (which moves them when a
//! reload changes a listen address) and shutdown.

mod listeners;
mod privileges;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::admin::{AdminServer, AdminState};
use crate::cluster::{Cluster, ClusterError, ClusterStop};
use crate::config::{self, ServerConfig};
use crate::control::listen::live_config;
use crate::control::triggers::{self, FileWatch};
use crate::control::zone_set::{self, ZoneSet};
use crate::control::{ReloadError, ReloadOutcome};
use crate::control::{Updater, UpdaterHandle};
use crate::dns::handler::DnsHandler;
use crate::dns::live::LiveSettings;
use crate::dns::server::{DnsServer, ListenError};
use crate::forwarder::{ForwarderError, Forwarders, Supervisor};
use crate::geo::GeoError;
use crate::metrics::Metrics;
use crate::table::{Snapshot, SnapshotStore};
use listeners::Listeners;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    DnsListen(#[from] ListenError),
    #[error("cannot watch {path} for changes: {source}")]
    Watch {
        path: PathBuf,
        source: notify::Error,
    },
    #[error("{0}")]
    GeoIp(#[from] GeoError),
    #[error("cannot start forwarders: {}", join(.0))]
    Forwarder(Vec<ForwarderError>),
    #[error("{0}")]
    Cluster(#[from] ClusterError),
    #[error("cannot install the SIGHUP handler: {0}")]
    Signal(std::io::Error),
    #[error("cannot listen for the admin API on {addr}: {source} (set [admin] listen, or \"off\")")]
    AdminListen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running server; [`RunningServer::shutdown`] stops it.
pub struct RunningServer {
    /// The bound DNS address of each `dns.listen` entry at start
    /// ([`RunningServer::listening`] follows reloads).
    pub dns_addrs: Vec<SocketAddr>,
    pub store: Arc<SnapshotStore>,
    pub updater: UpdaterHandle,
    /// The outcome of the first zone load.
    pub initial_load: ReloadOutcome,
    /// The task that owns the L4 forwarders (None once shut down).
    forwarders: Option<Supervisor>,
    /// The bound admin API address at start (None: `[admin] listen = "off"`).
    pub admin_addr: Option<SocketAddr>,
    pub metrics: Arc<Metrics>,
    listeners: Arc<Listeners>,
    _watch: Option<FileWatch>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The gossip task (None without `[cluster]` or once shut down).
    cluster: Option<ClusterStop>,
}

impl RunningServer {
    /// The first DNS address.
    pub fn dns_addr(&self) -> SocketAddr {
        self.dns_addrs[0]
    }

    /// The bound DNS addresses and admin address now (a reload may have
    /// moved them).
    pub fn listening(&self) -> (Vec<SocketAddr>, Option<SocketAddr>) {
        self.listeners.addrs()
    }

    /// Reloads config checks and zones now.
    pub async fn reload(&self) -> Option<ReloadOutcome> {
        self.updater.reload().await
    }

    /// The bound address of each forwarder, by name.
    pub async fn forwarder_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.forwarders
            .as_ref()
            .map(Supervisor::local_addrs)
            .unwrap_or_default()
    }

    /// Stops listening and every task; forwarded connections drain.
    pub async fn shutdown(mut self) {
        let (dns, admin) = self.listeners.take();
        if let Some(admin) = admin {
            admin.shutdown().await;
        }
        if let Some(dns) = dns {
            let _ = tokio::task::spawn_blocking(move || dns.shutdown()).await;
        }
        for task in &self.tasks {
            task.abort();
        }
        if let Some(forwarders) = self.forwarders.take() {
            forwarders.shutdown().await;
        }
        if let Some(cluster) = self.cluster.take() {
            cluster.stop().await;
        }
    }
}

/// Starts everything on the current tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    crate::control::bound_allocator();
    let store = Arc::new(SnapshotStore::new(Snapshot::default()));
    let metrics = Arc::new(Metrics::new());
    let (mut updater, initial_load) =
        Updater::with_metrics(store.clone(), config.clone(), metrics.clone())?;
    let listeners = Arc::new(Listeners::default());
    updater.set_rebind(listeners.clone());
    let live = LiveSettings::new(&live_config(&config));
    updater.set_live(live.clone());
    let (cluster, cluster_stop) = match &config.cluster {
        Some(settings) => {
            let (cluster, stop) = Cluster::start(settings.clone(), metrics.clone()).await?;
            let status = cluster.status();
            updater.set_cluster(cluster);
            (Some(status), Some(stop))
        }
        None => (None, None),
    };
    let needs_restart = updater.needs_restart();
    let forwarder_configs = updater.forwarder_configs();
    let (updater, updater_task) = updater.spawn();
    let mut tasks = vec![updater_task];

    let forwarders = Supervisor::start(
        Forwarders::new(store.clone()),
        &config.forwarders,
        forwarder_configs,
    )
    .await
    .map_err(StartError::Forwarder)?;

    let dns = start_dns(&config, &store, &metrics, live)?;
    let dns_addrs = dns.local_addrs();

    let admin_state = AdminState {
        store: store.clone(),
        updater: updater.clone(),
        metrics: metrics.clone(),
        token: config.admin.token.as_deref().map(Arc::from),
        use_ecs: config.geoip.use_ecs,
        forwarders: forwarder_rows(&forwarders),
        needs_restart,
        cluster,
    };
    let (admin, dns) = start_admin(config.admin.listen, admin_state.clone(), dns).await?;
    let admin_addr = admin.as_ref().map(AdminServer::local_addr);
    listeners.install(dns, admin, admin_state);

    let watch = start_watch(&config, &updater)?;
    tasks.push(triggers::on_sighup(updater.clone()).map_err(StartError::Signal)?);

    Ok(RunningServer {
        dns_addrs,
        store,
        updater,
        initial_load,
        forwarders: Some(forwarders),
        admin_addr,
        metrics,
        listeners,
        _watch: watch,
        tasks,
        cluster: cluster_stop,
    })
}

/// The admin API on `listen` (None: "off"); when it cannot start, the DNS
/// listeners stop too.
async fn start_admin(
    listen: Option<SocketAddr>,
    state: AdminState,
    dns: DnsServer,
) -> Result<(Option<AdminServer>, DnsServer), StartError> {
    let Some(listen) = listen else {
        return Ok((None, dns));
    };
    match AdminServer::start(listen, state).await {
        Ok(admin) => Ok((Some(admin), dns)),
        Err(source) => {
            let _ = tokio::task::spawn_blocking(move || dns.shutdown()).await;
            Err(StartError::AdminListen {
                addr: listen,
                source,
            })
        }
    }
}

/// The file watch, when `[reload] watch` is on.
fn start_watch(
    config: &ServerConfig,
    updater: &UpdaterHandle,
) -> Result<Option<FileWatch>, StartError> {
    if !config.reload.watch {
        return Ok(None);
    }
    triggers::watch(
        &config.dns.zones_dir,
        config.path.as_deref(),
        config.reload.debounce,
        updater.clone(),
    )
    .map(Some)
    .map_err(|source| StartError::Watch {
        path: config.dns.zones_dir.clone(),
        source,
    })
}

/// The admin API's source of forwarder rows.
fn forwarder_rows(forwarders: &Supervisor) -> crate::admin::ForwarderStatsSource {
    let view = forwarders.view().clone();
    Arc::new(move || view.metric_rows())
}

/// The DNS listeners (UDP threads and TCP), answering from `store`.
fn start_dns(
    config: &ServerConfig,
    store: &Arc<SnapshotStore>,
    metrics: &Arc<Metrics>,
    live: LiveSettings,
) -> Result<DnsServer, StartError> {
    let handler = DnsHandler::new(
        store.clone(),
        config.dns.max_udp_payload,
        config.geoip.use_ecs,
    )
    .with_live(live)
    .with_metrics(metrics.clone())
    .with_dnssec(config.dnssec.sign)
    .with_tcp_keepalive(config.dns.tcp.idle_timeout);
    DnsServer::start(
        &config.dns.listen,
        handler,
        config.dns.tcp,
        config.dns.udp_threads,
    )
    .map_err(StartError::DnsListen)
}

/// The errors of every forwarder that could not start, on one line.
fn join(errors: &[ForwarderError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `a, b, c` (addresses as an operator writes them, not Rust debug text).
fn join_display<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `alwayson serve`, with the command line's `overrides` over the config.
pub fn serve(config_path: Option<&Path>, overrides: &config::Overrides) -> ExitCode {
    let mut config = match config::load(config_path) {
        Ok(c) => c,
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::from(2);
        }
    };
    overrides.apply(&mut config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let server = match start(config.clone()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::from(1);
            }
        };
        if let Err(e) = privileges::drop_privileges(&config) {
            tracing::error!("{e}");
            server.shutdown().await;
            return ExitCode::from(1);
        }
        let zones = server.store.load().zones.zones().len();
        let forwarders = server.forwarder_addrs().await;
        tracing::info!(
            dns = %join_display(&server.dns_addrs),
            forwarders = %forwarders
                .iter()
                .map(|(name, addr)| format!("{name}={addr}"))
                .collect::<Vec<_>>()
                .join(", "),
            admin = %server.admin_addr.map_or("off".to_string(), |a| a.to_string()),
            zones,
            zones_dir = %config.dns.zones_dir.display(),
            "alwayson serving"
        );
        wait_for_stop().await;
        tracing::info!("stopping");
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_stop() {
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    match term {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// `alwayson check`: every problem of the config and the zones, at once.
pub fn check(config_path: Option<&Path>, zone_files: &[PathBuf]) -> ExitCode {
    let mut problems: Vec<ReloadError> = Vec::new();
    let config = match config::load(config_path) {
        Ok(c) => c,
        Err(diags) => {
            problems.push(ReloadError::Invalid(diags));
            ServerConfig::default()
        }
    };
    let files: Vec<PathBuf> = if zone_files.is_empty() {
        match zone_set::zone_files(&config.dns.zones_dir) {
            Ok(files) => files,
            Err(e) => {
                problems.push(ReloadError::ZonesFolder {
                    dir: config.dns.zones_dir.clone(),
                    message: e.to_string(),
                });
                Vec::new()
            }
        }
    } else {
        zone_files.to_vec()
    };
    let mut zone_set = ZoneSet::default();
    zone_set.set_keys_dir(&config.dnssec.keys_dir);
    let outcome = zone_set.reload_files(&files, &config.health_checks, config.path.as_deref());
    problems.extend(outcome.errors);
    if problems.is_empty() {
        println!("ok: {} zone file(s) valid", files.len());
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
        ExitCode::from(2)
    }
}
