//! Overrides in the updater: an operator's hold or release from this
//! node's API, the holds restored from the state folder, and saving them.

use std::time::SystemTime;

use super::Updater;
use crate::cluster::keys::{from_unix_ms, unix_ms};
use crate::control::cluster_sync::ClusterSync;
use crate::health::{CheckId, Flip, Override, OverrideEvent, UnknownCheck};

impl Updater {
    pub(super) fn save_overrides(&mut self) {
        let events = self.overrides.prune_and_list(&self.book, SystemTime::now());
        self.state.save_overrides(events);
    }

    /// An operator's hold or release, from this node's API: applied, saved
    /// (before the reply, so a PUT that returned survives a restart) and
    /// published to the cluster.
    pub(super) fn set_override(
        &mut self,
        id: String,
        value: Option<Override>,
    ) -> Result<(), UnknownCheck> {
        let id = CheckId::from(id);
        // Whole milliseconds, as the gossip carries them.
        let now = from_unix_ms(unix_ms(SystemTime::now()));
        let value = value.map(|v| Override {
            until: v.until.map(|u| from_unix_ms(unix_ms(u))),
            ..v
        });
        let by = self.cluster.as_ref().map(ClusterSync::node);
        let event = OverrideEvent::new(value, now, by);
        let result = self
            .overrides
            .apply(&mut self.book, &id, event.clone(), now);
        match &result {
            Ok(_) => log_override(&id, &event, "override"),
            Err(e) => tracing::warn!(target: "alwayson::health", "override refused: {e}"),
        }
        let flips = result?.unwrap_or_default();
        self.apply_flips(flips);
        self.save_overrides();
        if let Some(sync) = &self.cluster {
            sync.publish_override(&id, &event);
        }
        Ok(())
    }

    /// Holds the overrides saved by the last run, once, at the first
    /// reload. An expired one or one of a check that is gone is logged
    /// and dropped.
    pub(super) fn restore_overrides(&mut self, now: SystemTime) -> Vec<Flip> {
        let mut flips = Vec::new();
        for (id, event) in self.state.take_restored() {
            let expired = event
                .hold
                .as_ref()
                .is_some_and(|h| h.until.is_some_and(|t| t <= now));
            match self
                .overrides
                .apply(&mut self.book, &id, event.clone(), now)
            {
                Ok(Some(more)) if event.hold.is_some() && !expired => {
                    log_override(&id, &event, "override restored");
                    flips.extend(more);
                }
                Ok(_) if expired => {
                    log_override(&id, &event, "override expired while stopped");
                }
                Ok(more) => flips.extend(more.unwrap_or_default()),
                Err(e) => tracing::warn!(target: "alwayson::health", "saved override dropped: {e}"),
            }
        }
        flips
    }
}

/// One log line for an override event.
pub(super) fn log_override(id: &CheckId, event: &OverrideEvent, message: &str) {
    let status =
        event.hold.as_ref().map_or(
            "cleared",
            |h| if h.healthy { "healthy" } else { "unhealthy" },
        );
    let until = event
        .hold
        .as_ref()
        .and_then(|h| h.until)
        .map_or("none".to_string(), |t| {
            humantime::format_rfc3339_millis(t).to_string()
        });
    let by = event.by.as_deref().unwrap_or("this node");
    tracing::info!(target: "alwayson::health", check = %id, status, until = %until, set_by = by, "{message}");
}
