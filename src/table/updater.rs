//! The updater: the one task that writes the snapshot. Reloads, health
//! observations and overrides arrive as [`Command`]s over one channel and are
//! applied in order; each change publishes a new snapshot (a reload reuses
//! the health view, a flip reuses the compiled zones).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{mpsc, oneshot};

use crate::config::ServerConfig;
use crate::geo::GeoDb;
use crate::health::HealthView;
use crate::table::routing;
use crate::table::zone_set::{ReloadOutcome, ZoneSet};
use crate::table::{Snapshot, SnapshotStore, ZoneTable};

/// How many commands may wait for the updater.
const QUEUE: usize = 1024;

#[derive(Debug)]
pub enum Command {
    /// Re-read the config's health checks and every zone file.
    Reload {
        reply: Option<oneshot::Sender<ReloadOutcome>>,
    },
}

/// A cheap, cloneable way to send commands to the updater.
#[derive(Clone, Debug)]
pub struct UpdaterHandle {
    tx: mpsc::Sender<Command>,
}

impl UpdaterHandle {
    /// Reloads and waits for the outcome (None: the updater has stopped).
    pub async fn reload(&self) -> Option<ReloadOutcome> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Reload { reply: Some(reply) })
            .await
            .ok()?;
        rx.await.ok()
    }

    /// Asks for a reload without waiting (file watch, SIGHUP).
    pub fn request_reload(&self) {
        let _ = self.tx.try_send(Command::Reload { reply: None });
    }
}

pub struct Updater {
    store: Arc<SnapshotStore>,
    config: ServerConfig,
    zones: ZoneSet,
    health: Arc<HealthView>,
    geo: GeoSource,
}

/// The GeoIP database and the file version it was read from.
#[derive(Default)]
struct GeoSource {
    db: Option<Arc<GeoDb>>,
    path: Option<PathBuf>,
    modified: Option<SystemTime>,
}

impl GeoSource {
    /// Re-opens the database when its path or file changed; on failure the
    /// previous database stays in use and the error is returned.
    fn refresh(&mut self, path: Option<&Path>) -> Result<(), String> {
        let Some(path) = path else {
            *self = GeoSource::default();
            return Ok(());
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if self.path.as_deref() == Some(path) && modified.is_some() && self.modified == modified {
            return Ok(());
        }
        let db = GeoDb::open(path).map_err(|e| e.to_string())?;
        tracing::info!(target: "alwayson::reload", path = %path.display(), kind = db.database_type(), "GeoIP database loaded");
        *self = GeoSource {
            db: Some(Arc::new(db)),
            path: Some(path.to_path_buf()),
            modified,
        };
        Ok(())
    }
}

impl Updater {
    /// Loads every zone once and publishes the first snapshot. Fails only
    /// when the configured GeoIP database cannot be read.
    pub fn new(
        store: Arc<SnapshotStore>,
        config: ServerConfig,
    ) -> Result<(Self, ReloadOutcome), String> {
        let mut geo = GeoSource::default();
        geo.refresh(config.geoip.database.as_deref())?;
        let mut updater = Self {
            store,
            config,
            zones: ZoneSet::default(),
            health: Arc::new(HealthView::default()),
            geo,
        };
        let outcome = updater.reload();
        Ok((updater, outcome))
    }

    /// Runs the command loop on the current runtime.
    pub fn spawn(self) -> (UpdaterHandle, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(self.run(rx));
        (UpdaterHandle { tx }, task)
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        while let Some(command) = rx.recv().await {
            match command {
                Command::Reload { reply } => {
                    let outcome = self.reload();
                    if let Some(reply) = reply {
                        let _ = reply.send(outcome);
                    }
                }
            }
        }
    }

    fn reload(&mut self) -> ReloadOutcome {
        let mut outcome = ReloadOutcome::default();
        if let Some(path) = self.config.path.clone() {
            match crate::config::load(Some(&path)) {
                Ok(config) => {
                    self.config.health_checks = config.health_checks;
                    self.config.forwarder_tables = config.forwarder_tables;
                    self.config.geoip.database = config.geoip.database;
                }
                Err(diags) => outcome.errors.push(diags.to_string()),
            }
        }
        if let Err(e) = self.geo.refresh(self.config.geoip.database.as_deref()) {
            outcome.errors.push(e);
        }
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
        for error in &outcome.errors {
            tracing::error!(target: "alwayson::reload", "{error}");
        }
        if !outcome.added.is_empty() || !outcome.changed.is_empty() || !outcome.removed.is_empty() {
            tracing::info!(
                target: "alwayson::reload",
                added = outcome.added.len(),
                changed = outcome.changed.len(),
                removed = outcome.removed.len(),
                unchanged = outcome.unchanged,
                errors = outcome.errors.len(),
                "zones reloaded"
            );
        }
        self.publish_zones();
        outcome
    }

    fn publish_zones(&mut self) {
        let (compiled, reports) = self.zones.compile();
        let zones = Arc::new(ZoneTable::new(compiled, reports));
        self.publish(zones);
    }

    fn publish(&self, zones: Arc<ZoneTable>) {
        let routing = Arc::new(routing::compute(&zones, &self.health));
        self.store.publish(Snapshot {
            zones,
            health: self.health.clone(),
            routing,
            geo: self.geo.db.clone(),
            version: 0,
        });
    }
}
