//! Wiring: load the config, start the updater, DNS listeners, reload
//! triggers, the admin API (and later forwarders); `check` validates
//! the same inputs without serving. [`start`] is also the tests' entry point.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::admin::{AdminServer, AdminState};
use crate::config::{self, ServerConfig};
use crate::control::triggers::{self, FileWatch};
use crate::control::zone_set::ReloadOutcome;
use crate::control::{Updater, UpdaterHandle};
use crate::dns::handler::DnsHandler;
use crate::dns::server::DnsServer;
use crate::forwarder::Forwarders;
use crate::metrics::Metrics;
use crate::metrics::render::ForwarderBackendStats;
use crate::table::{Snapshot, SnapshotStore};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen for DNS on {addr}: {source}")]
    DnsListen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot watch {path} for changes: {source}")]
    Watch {
        path: PathBuf,
        source: notify::Error,
    },
    #[error("{0}")]
    GeoIp(String),
    #[error("cannot start forwarders: {0}")]
    Forwarder(String),
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
    /// The bound DNS address of each `dns.listen` entry.
    pub dns_addrs: Vec<SocketAddr>,
    pub store: Arc<SnapshotStore>,
    pub updater: UpdaterHandle,
    /// The outcome of the first zone load.
    pub initial_load: ReloadOutcome,
    /// The L4 forwarders (shared with the task that applies reloads).
    pub forwarders: Arc<tokio::sync::Mutex<Forwarders>>,
    /// The bound admin API address (None: `[admin] listen = "off"`).
    pub admin_addr: Option<SocketAddr>,
    pub metrics: Arc<Metrics>,
    admin: Option<AdminServer>,
    dns: Option<DnsServer>,
    _watch: Option<FileWatch>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// The first DNS address.
    pub fn dns_addr(&self) -> SocketAddr {
        self.dns_addrs[0]
    }

    /// Reloads config checks and zones now.
    pub async fn reload(&self) -> Option<ReloadOutcome> {
        self.updater.reload().await
    }

    /// The bound address of each forwarder, by name.
    pub async fn forwarder_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.forwarders.lock().await.local_addrs()
    }

    /// Stops listening and every task; forwarded connections drain.
    pub async fn shutdown(mut self) {
        if let Some(admin) = self.admin.take() {
            admin.shutdown().await;
        }
        if let Some(dns) = self.dns.take() {
            let _ = tokio::task::spawn_blocking(move || dns.shutdown()).await;
        }
        for task in &self.tasks {
            task.abort();
        }
        let forwarders = {
            let mut guard = self.forwarders.lock().await;
            std::mem::replace(&mut *guard, Forwarders::new(self.store.clone()))
        };
        forwarders.shutdown().await;
    }
}

/// Starts everything on the current tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    let store = Arc::new(SnapshotStore::new(Snapshot::default()));
    let metrics = Arc::new(Metrics::new());
    let (updater, initial_load) =
        Updater::with_metrics(store.clone(), config.clone(), metrics.clone())
            .map_err(StartError::GeoIp)?;
    let mut forwarder_configs = updater.forwarder_configs();
    let (updater, updater_task) = updater.spawn();
    let mut tasks = vec![updater_task];

    let forwarders = Arc::new(tokio::sync::Mutex::new(Forwarders::new(store.clone())));
    let errors = forwarders.lock().await.apply(&config.forwarders).await;
    if !errors.is_empty() {
        return Err(StartError::Forwarder(errors.join("; ")));
    }
    let applier = forwarders.clone();
    tasks.push(tokio::spawn(async move {
        while forwarder_configs.changed().await.is_ok() {
            let configs = forwarder_configs.borrow_and_update().clone();
            for error in applier.lock().await.apply(&configs).await {
                tracing::error!(target: "alwayson::reload", "forwarder: {error}");
            }
        }
    }));

    let handler = DnsHandler::new(
        store.clone(),
        config.dns.max_udp_payload,
        config.geoip.use_ecs,
    )
    .with_metrics(metrics.clone());
    let dns = DnsServer::start(
        &config.dns.listen,
        handler,
        config.dns.tcp_idle_timeout,
        config.dns.udp_threads,
    )
    .map_err(|source| StartError::DnsListen {
        addr: config
            .dns
            .listen
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        source,
    })?;
    let dns_addrs = dns.local_addrs().to_vec();

    let admin = match config.admin.listen {
        None => None,
        Some(listen) => {
            let state = AdminState {
                store: store.clone(),
                updater: updater.clone(),
                metrics: metrics.clone(),
                token: config.admin.token.as_deref().map(Arc::from),
                use_ecs: config.geoip.use_ecs,
                forwarders: forwarder_stats(forwarders.clone()),
            };
            match AdminServer::start(listen, state).await {
                Ok(admin) => Some(admin),
                Err(source) => {
                    let _ = tokio::task::spawn_blocking(move || dns.shutdown()).await;
                    return Err(StartError::AdminListen {
                        addr: listen,
                        source,
                    });
                }
            }
        }
    };

    let watch = if config.reload.watch {
        // A folder that does not exist (yet) cannot be watched: say so and
        // watch the rest; SIGHUP and the API still reload.
        let mut paths = Vec::new();
        for path in std::iter::once(config.dns.zones_dir.clone()).chain(config.path.clone()) {
            if path.exists() {
                paths.push(path);
            } else {
                tracing::warn!(path = %path.display(), "not watching a path that does not exist");
            }
        }
        Some(
            triggers::watch(&paths, config.reload.debounce, updater.clone()).map_err(|source| {
                StartError::Watch {
                    path: config.dns.zones_dir.clone(),
                    source,
                }
            })?,
        )
    } else {
        None
    };
    tasks.push(triggers::on_sighup(updater.clone()).map_err(StartError::Signal)?);

    Ok(RunningServer {
        dns_addrs,
        store,
        updater,
        initial_load,
        forwarders,
        admin_addr: admin.as_ref().map(AdminServer::local_addr),
        metrics,
        admin,
        dns: Some(dns),
        _watch: watch,
        tasks,
    })
}

/// The admin API's view of the forwarders' counters. Scrapes never wait for
/// a reload in progress: they get the last rows read instead.
fn forwarder_stats(
    forwarders: Arc<tokio::sync::Mutex<Forwarders>>,
) -> crate::admin::ForwarderStatsSource {
    let last = std::sync::Mutex::new(Vec::new());
    Arc::new(move || {
        let mut last = last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Ok(forwarders) = forwarders.try_lock() {
            *last = forwarders
                .stats()
                .into_iter()
                .flat_map(|f| {
                    f.backends.into_iter().map(move |b| ForwarderBackendStats {
                        forwarder: f.name.clone(),
                        listen: f.listen.to_string(),
                        backend: b.address.to_string(),
                        health_check: b.health_check.as_deref().map(str::to_string),
                        healthy: b.healthy,
                        active_connections: b.counters.active,
                        connections_total: b.counters.total,
                        connect_failures_total: b.counters.failed_connects,
                        bytes_to_backend: b.counters.bytes_in,
                        bytes_to_client: b.counters.bytes_out,
                        draining: b.draining,
                    })
                })
                .collect();
        }
        last.clone()
    })
}

/// `alwayson serve`.
pub fn serve(config_path: Option<&Path>) -> ExitCode {
    let config = match config::load(config_path) {
        Ok(c) => c,
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::from(2);
        }
    };
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
        let zones = server.store.load().zones.zones().len();
        let forwarders = server.forwarder_addrs().await;
        tracing::info!(
            dns = ?server.dns_addrs,
            forwarders = ?forwarders,
            admin = ?server.admin_addr,
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
    let mut problems: Vec<String> = Vec::new();
    let config = match config::load(config_path) {
        Ok(c) => c,
        Err(diags) => {
            problems.push(diags.to_string());
            ServerConfig::default()
        }
    };
    let files: Vec<PathBuf> = if zone_files.is_empty() {
        match crate::control::zone_set::zone_files(&config.dns.zones_dir) {
            Ok(files) => files,
            Err(e) => {
                problems.push(format!(
                    "{}: cannot read the zones folder: {e}",
                    config.dns.zones_dir.display()
                ));
                Vec::new()
            }
        }
    } else {
        zone_files.to_vec()
    };
    let mut zone_set = crate::control::zone_set::ZoneSet::default();
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
