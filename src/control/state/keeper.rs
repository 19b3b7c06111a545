//! [`Keeper`]: what the updater keeps in the state folder, and when it
//! writes: only when the overrides or serials differ from what it last
//! wrote, so an ordinary reload or probe writes nothing. A failed write is
//! logged and retried at the next change; the server keeps serving.

use std::time::SystemTime;

use super::{Serials, StateDir};
use crate::health::{CheckId, Flip, HealthBook, Override};

/// The state folder (None: `state_dir = "off"`) and what was last written.
#[derive(Debug, Default)]
pub struct Keeper {
    dir: Option<StateDir>,
    /// Read at start, applied by the first reload.
    restored: Vec<(CheckId, Override)>,
    overrides: Vec<(CheckId, Override)>,
    serials: Serials,
}

impl Keeper {
    /// Reads the overrides and serials the last run left in `dir`.
    pub fn open(dir: Option<&std::path::Path>) -> Self {
        let Some(dir) = dir.map(StateDir::new) else {
            return Self::default();
        };
        let restored = dir.load_overrides();
        let serials = dir.load_serials();
        Self {
            dir: Some(dir),
            overrides: restored.clone(),
            restored,
            serials,
        }
    }

    /// The serials of the last run, for the zone set.
    pub fn serials(&self) -> Serials {
        self.serials.clone()
    }

    /// Holds the restored overrides of checks that still exist; once, at the
    /// first reload. An expired one or one of a check that is gone is logged
    /// and dropped.
    pub fn restore_overrides(&mut self, book: &mut HealthBook, now: SystemTime) -> Vec<Flip> {
        let mut flips = Vec::new();
        for (id, held) in std::mem::take(&mut self.restored) {
            let status = if held.healthy { "healthy" } else { "unhealthy" };
            let until = held.until.map_or("none".to_string(), |t| {
                humantime::format_rfc3339_millis(t).to_string()
            });
            if held.until.is_some_and(|t| t <= now) {
                tracing::info!(target: "alwayson::health", check = %id, status, until, "override expired while stopped");
                continue;
            }
            match book.set_override(&id, Some(held), now) {
                Ok(more) => {
                    tracing::info!(target: "alwayson::health", check = %id, status, until, "override restored");
                    flips.extend(more);
                }
                Err(e) => tracing::warn!(target: "alwayson::health", "saved override dropped: {e}"),
            }
        }
        flips
    }

    /// Writes the overrides when they changed since the last write.
    pub fn save_overrides(&mut self, current: Vec<(CheckId, Override)>) {
        let Some(dir) = &self.dir else { return };
        if current == self.overrides {
            return;
        }
        match dir.save_overrides(&current) {
            Ok(()) => self.overrides = current,
            Err(e) => tracing::warn!(target: "alwayson::state", "cannot save overrides: {e}"),
        }
    }

    /// Writes the serials when they changed since the last write.
    pub fn save_serials(&mut self, current: &Serials) {
        let Some(dir) = &self.dir else { return };
        if *current == self.serials {
            return;
        }
        match dir.save_serials(current) {
            Ok(()) => self.serials = current.clone(),
            Err(e) => tracing::warn!(target: "alwayson::state", "cannot save serials: {e}"),
        }
    }
}
