//! [`OverrideLog`]: the latest operator action (hold or release) on every
//! check, which the updater applies to its health book, saves in the state
//! folder and, in a cluster, publishes to its peers.
//!
//! Invariant: an event replaces the logged one only when it is newer
//! (`OverrideEvent::is_newer_than`), wherever it came from (this node's API,
//! the state file, a peer), so every node of a cluster settles on the same
//! event per check, and a restart cannot bring back an older hold.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::health::{CheckId, Flip, HealthBook, OverrideEvent, UnknownCheck};

/// Releases and ended holds are kept this long, so that an older hold
/// still held by a node that was away cannot win over them.
const KEEP_ENDED: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Default)]
pub struct OverrideLog {
    events: BTreeMap<CheckId, OverrideEvent>,
}

impl OverrideLog {
    /// Applies `event` to `book` and logs it, when it is newer than the
    /// logged one (Ok(None) when it is not). A hold that has already ended
    /// is logged without touching the book.
    pub fn apply(
        &mut self,
        book: &mut HealthBook,
        id: &CheckId,
        event: OverrideEvent,
        now: SystemTime,
    ) -> Result<Option<Vec<Flip>>, UnknownCheck> {
        if self.events.get(id).is_some_and(|e| !event.is_newer_than(e)) {
            return Ok(None);
        }
        let flips = book.set_override(id, event.hold.clone(), now)?;
        self.events.insert(id.clone(), event);
        Ok(Some(flips))
    }

    /// Every logged event, by check id.
    pub fn events(&self) -> impl Iterator<Item = (&CheckId, &OverrideEvent)> {
        self.events.iter()
    }

    /// The events to save: those of checks `book` knows, without releases
    /// and ended holds older than a week.
    pub fn prune_and_list(
        &mut self,
        book: &HealthBook,
        now: SystemTime,
    ) -> Vec<(CheckId, OverrideEvent)> {
        self.events.retain(|id, event| {
            let ended = event
                .hold
                .as_ref()
                .is_none_or(|h| h.until.is_some_and(|u| u <= now));
            let old = now
                .duration_since(event.at)
                .is_ok_and(|age| age > KEEP_ENDED);
            book.status(id).is_some() && !(ended && old)
        });
        self.events
            .iter()
            .map(|(id, e)| (id.clone(), e.clone()))
            .collect()
    }
}
