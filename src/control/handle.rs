//! How the rest of the server talks to the updater: [`UpdaterHandle`] sends
//! a [`Command`] over the updater's one channel and awaits the reply.
//!
//! Invariant: commands are applied in the order they are sent, one at a
//! time, by the updater task; a handle never touches the snapshot itself.

use std::time::SystemTime;

use tokio::sync::{mpsc, oneshot};

use crate::control::ReloadOutcome;
use crate::health::{CheckDetail, Flip, Override, UnknownCheck};

/// What the updater can be asked to do; each carries its reply channel.
#[derive(Debug)]
pub enum Command {
    /// Re-read the config's health checks and every zone file.
    Reload {
        reply: Option<oneshot::Sender<ReloadOutcome>>,
    },
    /// Hold a check's status (maintenance), or clear the hold with `None`.
    Override {
        id: String,
        value: Option<Override>,
        reply: oneshot::Sender<Result<(), UnknownCheck>>,
    },
    /// Every check's details and the recent flips, for the admin API.
    Health {
        reply: oneshot::Sender<HealthReport>,
    },
}

/// What the admin API shows about health.
#[derive(Clone, Debug, Default)]
pub struct HealthReport {
    pub checks: Vec<CheckDetail>,
    /// Newest last.
    pub recent_flips: Vec<FlipRecord>,
}

/// One flip and when the updater applied it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlipRecord {
    pub at: SystemTime,
    pub flip: Flip,
}

/// A cheap, cloneable way to send commands to the updater.
#[derive(Clone, Debug)]
pub struct UpdaterHandle {
    tx: mpsc::Sender<Command>,
}

impl UpdaterHandle {
    /// A handle sending to the updater's command channel.
    pub(crate) fn new(tx: mpsc::Sender<Command>) -> Self {
        Self { tx }
    }

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

    /// Sets or clears an override; the flip (if any) is published before this returns.
    pub async fn set_override(
        &self,
        id: &str,
        value: Option<Override>,
    ) -> Option<Result<(), UnknownCheck>> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Override {
                id: id.to_string(),
                value,
                reply,
            })
            .await
            .ok()?;
        rx.await.ok()
    }

    /// Every check's details and the recent flips (None: the updater has stopped).
    pub async fn health(&self) -> Option<HealthReport> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::Health { reply }).await.ok()?;
        rx.await.ok()
    }
}
