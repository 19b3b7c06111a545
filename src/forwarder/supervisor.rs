//! The forwarder supervisor: one task that owns [`Forwarders`] and applies
//! every `[[forwarder]]` change the control plane publishes.
//!
//! Invariant: only this task changes the forwarders, one config at a time,
//! so nothing needs a lock around them; everyone else reads the published
//! [`ForwarderStatsView`]. It lives in `forwarder/` (not `control/`) because
//! it drives forwarder internals (listeners, drains); the control plane
//! only publishes configs on a watch channel and knows nothing of sockets.

use std::net::SocketAddr;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::{ForwarderConfig, ForwarderError, ForwarderStatsView, Forwarders};

/// The running supervisor task and what it publishes.
#[derive(Debug)]
pub struct Supervisor {
    view: ForwarderStatsView,
    /// Asks the task to shut the forwarders down; answered once they drained.
    stop: Option<oneshot::Sender<oneshot::Sender<()>>>,
    task: JoinHandle<()>,
}

impl Supervisor {
    /// Starts the forwarders of `initial`, then spawns the task that applies
    /// every later value of `configs`. Fails (and starts nothing) when any
    /// initial forwarder cannot listen.
    pub async fn start(
        mut forwarders: Forwarders,
        initial: &[ForwarderConfig],
        configs: watch::Receiver<Vec<ForwarderConfig>>,
    ) -> Result<Self, Vec<ForwarderError>> {
        let errors = forwarders.apply(initial).await;
        if !errors.is_empty() {
            // Dropped: the forwarders that did start stop listening.
            return Err(errors);
        }
        let view = forwarders.stats_view();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(forwarders, configs, stopped));
        Ok(Self {
            view,
            stop: Some(stop),
            task,
        })
    }

    /// A reader of the forwarders' stats.
    pub fn view(&self) -> &ForwarderStatsView {
        &self.view
    }

    /// Each forwarder's name and bound address.
    pub fn local_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.view.local_addrs()
    }

    /// Stops accepting, lets open connections drain (each forwarder's
    /// `drain_timeout`), and ends the task.
    pub async fn shutdown(mut self) {
        let Some(stop) = self.stop.take() else {
            return;
        };
        let (done, drained) = oneshot::channel();
        if stop.send(done).is_ok() {
            let _ = drained.await;
        }
        let _ = (&mut self.task).await;
    }
}

/// Applies configs until asked to stop. When the control plane goes away
/// the forwarders keep running as they are until the stop.
async fn run(
    mut forwarders: Forwarders,
    mut configs: watch::Receiver<Vec<ForwarderConfig>>,
    mut stop: oneshot::Receiver<oneshot::Sender<()>>,
) {
    let mut control_plane = true;
    loop {
        tokio::select! {
            changed = configs.changed(), if control_plane => {
                if changed.is_err() {
                    control_plane = false;
                    continue;
                }
                let next = configs.borrow_and_update().clone();
                for error in forwarders.apply(&next).await {
                    tracing::error!(target: "alwayson::reload", "forwarder: {error}");
                }
            }
            asked = &mut stop => {
                // Dropped without a shutdown: the forwarders close with
                // their owner, without a drain.
                let Ok(done) = asked else { return };
                forwarders.shutdown().await;
                let _ = done.send(());
                return;
            }
        }
    }
}
