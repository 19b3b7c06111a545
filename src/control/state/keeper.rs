//! [`Keeper`]: what the updater keeps in the state folder, and when it
//! writes: only when the overrides or serials differ from what it last
//! wrote, so an ordinary reload or probe writes nothing. A failed write is
//! logged and retried at the next change; the server keeps serving.

use super::{Serials, StateDir};
use crate::health::{CheckId, OverrideEvent};

/// The state folder (None: `state_dir = "off"`) and what was last written.
#[derive(Debug, Default)]
pub struct Keeper {
    dir: Option<StateDir>,
    /// Read at start, applied by the first reload.
    restored: Vec<(CheckId, OverrideEvent)>,
    overrides: Vec<(CheckId, OverrideEvent)>,
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

    /// The override events of the last run; once, for the first reload.
    pub fn take_restored(&mut self) -> Vec<(CheckId, OverrideEvent)> {
        std::mem::take(&mut self.restored)
    }

    /// Writes the override events when they changed since the last write.
    pub fn save_overrides(&mut self, current: Vec<(CheckId, OverrideEvent)>) {
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
