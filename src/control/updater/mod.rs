//! The updater: the one task that writes the snapshot. Reloads, probe
//! observations, overrides and override expiry arrive in order over channels
//! and each change publishes a new snapshot: a reload reuses the health
//! view, a health flip reuses the compiled zones (only the routing state is
//! recomputed). Each flip, reload and override is logged as one line.
//! `overrides.rs` holds the operator's holds and releases, `cluster.rs`
//! what the updater takes from and gives to a `[cluster]`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};

use crate::config::ServerConfig;
use crate::control::cluster_sync::ClusterSync;
use crate::control::geo_source::GeoSource;
use crate::control::handle::{Command, FlipRecord, HealthReport, UpdaterHandle};
use crate::control::listen::{Rebind, StartupKeys};
use crate::control::memory::release_freed_memory;
use crate::control::outcome::{ReloadError, ReloadOutcome};
use crate::control::overrides::OverrideLog;
use crate::control::state::Keeper;
use crate::control::zone_set::ZoneSet;
use crate::dns::live::LiveSettings;
use crate::forwarder::config::ForwarderConfig;
use crate::geo::GeoError;
use crate::health::{Flip, HealthBook, HealthCheckSpec, HealthView, Observation, Prober};
use crate::metrics::Metrics;
use crate::table::routing;
use crate::table::{Snapshot, SnapshotStore, ZoneTable};

mod cluster;
mod overrides;

/// How many commands or observations may wait for the updater.
const QUEUE: usize = 4096;
/// How many recent flips the status page can show.
const RECENT_FLIPS: usize = 100;

pub struct Updater {
    store: Arc<SnapshotStore>,
    config: ServerConfig,
    zones: ZoneSet,
    book: HealthBook,
    prober: Prober,
    observations: mpsc::Receiver<Observation>,
    health: Arc<HealthView>,
    recent_flips: VecDeque<FlipRecord>,
    geo: GeoSource,
    forwarders: watch::Sender<Vec<ForwarderConfig>>,
    metrics: Arc<Metrics>,
    /// Overrides and serials kept across restarts.
    state: Keeper,
    /// The latest hold or release of every check.
    overrides: OverrideLog,
    /// `[cluster]`: the gossip with the other nodes (None: alone).
    cluster: Option<ClusterSync>,
    startup: StartupKeys,
}

impl Updater {
    /// Loads every zone once, starts the probes and publishes the first
    /// snapshot. Fails only when the configured GeoIP database cannot be
    /// read. Must run inside a tokio runtime (probes are spawned on it).
    pub fn new(
        store: Arc<SnapshotStore>,
        config: ServerConfig,
    ) -> Result<(Self, ReloadOutcome), GeoError> {
        Self::with_metrics(store, config, Arc::new(Metrics::new()))
    }

    /// Like [`Updater::new`], counting probes, flips and reloads into
    /// `metrics` and giving compiled zones the ids of their query counters.
    pub fn with_metrics(
        store: Arc<SnapshotStore>,
        config: ServerConfig,
        metrics: Arc<Metrics>,
    ) -> Result<(Self, ReloadOutcome), GeoError> {
        let mut geo = GeoSource::default();
        geo.refresh(config.geoip.database.as_deref())?;
        let (tx, observations) = mpsc::channel(QUEUE);
        let forwarders = watch::Sender::new(config.forwarders.clone());
        let state = Keeper::open(config.state_dir.as_deref());
        let mut zones = ZoneSet::default();
        zones.remember(state.serials());
        let mut updater = Self {
            store,
            config,
            zones,
            book: HealthBook::new(),
            prober: Prober::new(tx),
            observations,
            health: Arc::new(HealthView::default()),
            recent_flips: VecDeque::new(),
            geo,
            forwarders,
            metrics,
            state,
            overrides: OverrideLog::default(),
            cluster: None,
            startup: StartupKeys::default(),
        };
        let outcome = updater.reload();
        Ok((updater, outcome))
    }

    /// The `[[forwarder]]` sections, updated by every reload that changes them.
    pub fn forwarder_configs(&self) -> watch::Receiver<Vec<ForwarderConfig>> {
        self.forwarders.subscribe()
    }

    /// Reloads move the DNS and admin listeners through `rebind`.
    pub fn set_rebind(&mut self, rebind: Arc<dyn Rebind>) {
        self.startup.set_rebind(rebind);
    }

    /// From now on, rate limiting, cookie and identity changes are applied
    /// to the handlers through `live`.
    pub fn set_live(&mut self, live: LiveSettings) {
        self.startup.set_live(live);
    }

    /// The keys of `alwayson.toml` that wait for a restart, after every reload.
    pub fn needs_restart(&self) -> watch::Receiver<Vec<String>> {
        self.startup.needs_restart()
    }

    /// Runs the command loop on the current runtime.
    pub fn spawn(self) -> (UpdaterHandle, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(self.run(rx));
        (UpdaterHandle::new(tx), task)
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let interval = self
            .cluster
            .as_ref()
            .map_or(Duration::from_secs(3600), ClusterSync::gossip_interval);
        // Verdicts also change as observations age.
        let mut verdict_tick = tokio::time::interval(interval);
        loop {
            let expiry = self.book.next_override_expiry().map(|at| {
                at.duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO)
            });
            let in_cluster = self.cluster.is_some();
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.handle(command),
                    None => return,
                },
                Some(observation) = self.observations.recv() => {
                    self.metrics.record_probe(&observation.id, observation.success, observation.duration);
                    let id = observation.id.clone();
                    let mut flips = self.book.observe(observation);
                    if let Some(sync) = &mut self.cluster {
                        sync.observed(&self.book, &id);
                        flips.extend(self.decide_verdicts());
                    }
                    self.apply_flips(flips);
                }
                _ = tokio::time::sleep(expiry.unwrap_or(Duration::from_secs(3600))), if expiry.is_some() => {
                    let flips = self.book.expire_overrides(SystemTime::now());
                    self.apply_flips(flips);
                    self.save_overrides();
                }
                () = async {
                    match &mut self.cluster {
                        Some(sync) => sync.changed().await,
                        None => std::future::pending().await,
                    }
                }, if in_cluster => self.follow_cluster(),
                _ = verdict_tick.tick(), if in_cluster => {
                    let flips = self.decide_verdicts();
                    self.apply_flips(flips);
                }
            }
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Reload { reply } => {
                let outcome = self.reload();
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
            }
            Command::Override { id, value, reply } => {
                let result = self.set_override(id, value);
                let _ = reply.send(result);
            }
            Command::Health { reply } => {
                let _ = reply.send(HealthReport {
                    checks: self.book.details(),
                    recent_flips: self.recent_flips.iter().cloned().collect(),
                });
            }
        }
    }

    /// Logs the flips and publishes the new health view over the same zones.
    fn apply_flips(&mut self, flips: Vec<Flip>) {
        if flips.is_empty() {
            return;
        }
        self.note_flips(&flips);
        self.health = Arc::new(self.book.view());
        let zones = self.store.load().zones.clone();
        self.publish(zones);
    }

    /// One log line, a metric and a recent-flips entry per flip.
    fn note_flips(&mut self, flips: &[Flip]) {
        let now = SystemTime::now();
        for flip in flips {
            self.metrics.record_flip(&flip.id, flip.healthy);
            tracing::info!(
                target: "alwayson::health",
                check = %flip.id,
                from = if flip.healthy { "unhealthy" } else { "healthy" },
                to = if flip.healthy { "healthy" } else { "unhealthy" },
                reason = %flip.reason,
                "health flip"
            );
            if self.recent_flips.len() == RECENT_FLIPS {
                self.recent_flips.pop_front();
            }
            self.recent_flips.push_back(FlipRecord {
                at: now,
                flip: flip.clone(),
            });
        }
    }

    /// Re-reads `alwayson.toml` (its health checks, forwarders and GeoIP
    /// path), the GeoIP database and every zone file, then republishes.
    /// Whatever fails keeps its previous version and is reported.
    fn reload(&mut self) -> ReloadOutcome {
        let mut outcome = ReloadOutcome::default();
        self.reread_config(&mut outcome);
        self.reload_zones(&mut outcome);

        // Health checks: the server config's and every loaded zone's.
        let specs = self.specs();
        outcome.errors.extend(self.unknown_forwarder_checks(&specs));
        // Logged and counted once every problem of this reload is known.
        outcome.log();
        self.metrics.record_reload(!outcome.errors.is_empty());
        let now = SystemTime::now();
        let mut flips = self.book.apply_specs(&specs, now);
        flips.extend(self.restore_overrides(now));
        self.save_overrides();
        self.state.save_serials(self.zones.serials());
        self.prober.apply(&specs);
        if let Some(sync) = &mut self.cluster {
            sync.publish_checks(&self.book, &self.book.probed());
            sync.publish_zones(self.zones.published());
            flips.extend(self.decide_verdicts());
        }
        self.publish_forwarder_configs();
        self.note_flips(&flips);
        self.health = Arc::new(self.book.view());
        self.metrics
            .retain_checks(|id| self.book.status(id).is_some());

        self.republish_zones();
        release_freed_memory();
        outcome
    }

    /// Compiles the zones that changed and publishes every zone with the
    /// health view.
    fn republish_zones(&mut self) {
        // Ids (and their counters) exist before the snapshot that uses them.
        let metrics = &self.metrics;
        let (compiled, reports) = self
            .zones
            .compile(|origins| metrics.assign_zone_ids(origins));
        if let Some(sync) = &self.cluster {
            sync.publish_zones(self.zones.published());
        }
        self.publish(Arc::new(ZoneTable::new(compiled, reports)));
        self.zones.slim_compiled();
    }

    /// Every health check: the server config's and every loaded zone's.
    fn specs(&self) -> Vec<HealthCheckSpec> {
        self.config
            .health_checks
            .iter()
            .map(|(s, _)| s.clone())
            .chain(self.zones.health_checks().cloned())
            .collect()
    }

    /// The parts of `alwayson.toml` a reload applies (listen addresses
    /// included), the keys that need a restart, and the GeoIP database.
    fn reread_config(&mut self, outcome: &mut ReloadOutcome) {
        if let Some(path) = self.config.path.clone() {
            match crate::config::load(Some(&path)) {
                Ok(mut config) => {
                    // `serve --listen` and friends win over the file at every reload.
                    self.config.overrides.clone().apply(&mut config);
                    self.startup.apply(&mut self.config, &config, outcome);
                    self.config.health_checks = config.health_checks;
                    self.config.forwarders = config.forwarders;
                    self.config.geoip.database = config.geoip.database;
                    self.config.dnssec.keys_dir = config.dnssec.keys_dir;
                }
                Err(diags) => outcome.errors.push(ReloadError::Invalid(diags)),
            }
        }
        let database = self.config.geoip.database.clone();
        if let Err(e) = self.geo.refresh(database.as_deref()) {
            outcome.errors.push(ReloadError::GeoIp {
                file: database.unwrap_or_default(),
                message: e.to_string(),
            });
        }
    }

    fn reload_zones(&mut self, outcome: &mut ReloadOutcome) {
        self.zones.set_keys_dir(&self.config.dnssec.keys_dir);
        let zones = self.zones.reload(
            &self.config.dns.zones_dir,
            &self.config.health_checks,
            self.config.path.as_deref(),
        );
        outcome.added = zones.added;
        outcome.changed = zones.changed;
        outcome.removed = zones.removed;
        outcome.unchanged = zones.unchanged;
        outcome.errors.extend(zones.errors);
    }

    /// Forwarder backends naming a check no file defines (they count as healthy).
    fn unknown_forwarder_checks(&self, specs: &[HealthCheckSpec]) -> Vec<ReloadError> {
        let config = self
            .config
            .path
            .clone()
            .unwrap_or_else(|| "alwayson.toml".into());
        let mut errors = Vec::new();
        for forwarder in &self.config.forwarders {
            for backend in &forwarder.backends {
                if let Some(id) = &backend.health_check
                    && !specs.iter().any(|s| s.id == *id)
                {
                    errors.push(ReloadError::UnknownForwarderCheck {
                        config: config.clone(),
                        forwarder: forwarder.name.clone(),
                        backend: backend.address,
                        check: id.to_string(),
                    });
                }
            }
        }
        errors
    }

    /// Tells the forwarder supervisor, when the `[[forwarder]]` sections changed.
    fn publish_forwarder_configs(&self) {
        let configs = self.config.forwarders.clone();
        self.forwarders.send_if_modified(|current| {
            let changed = *current != configs;
            *current = configs;
            changed
        });
    }

    fn publish(&self, zones: Arc<ZoneTable>) {
        let routing = Arc::new(routing::compute(&zones, &self.health));
        self.store.publish(Snapshot {
            zones,
            health: self.health.clone(),
            routing,
            geo: self.geo.db().cloned(),
            version: 0,
        });
    }
}
