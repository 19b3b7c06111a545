//! The accept loop of one forwarder: admits connections up to
//! `max_connections` and hands each to a session.
//!
//! Invariant: the accept loop never ends on an error — per-connection
//! errors are skipped, resource errors (EMFILE, ENFILE, ENOBUFS…) pause it
//! briefly — so only [`super::Forwarders`] stops it (by aborting its task).
//! A connection past `max_connections` waits at most [`SLOT_WAIT`] for a
//! slot, then is closed; at most `max_connections` connections wait at once.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use super::instance::Forwarder;
use super::session;

/// How long a connection past `max_connections` waits for a slot.
pub const SLOT_WAIT: Duration = Duration::from_secs(1);

/// How long accepting pauses after a resource error such as EMFILE, so a
/// full file table is not spun on.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Accepts connections until the task is aborted.
pub async fn accept_loop(forwarder: Arc<Forwarder>, listener: TcpListener) {
    let mut paused = false;
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(accepted) => {
                paused = false;
                accepted
            }
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                if !paused {
                    tracing::warn!(forwarder = %forwarder.name, error = %e, "accept failed; pausing new connections");
                    paused = true;
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        forwarder.counters.count_total();
        let max = u64::from(forwarder.pool.load().config.max_connections);
        if let Some(slot) = forwarder.counters.try_open(max) {
            tokio::spawn(session::run(Arc::clone(&forwarder), client, peer, slot));
            continue;
        }
        let waiting = forwarder
            .waiting()
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            });
        if waiting.is_err() {
            forwarder.refuse(client);
            continue;
        }
        let forwarder = Arc::clone(&forwarder);
        tokio::spawn(async move {
            let slot = forwarder
                .counters
                .open_by(max, Instant::now() + SLOT_WAIT)
                .await;
            forwarder.waiting().fetch_sub(1, Ordering::Relaxed);
            match slot {
                Some(slot) => session::run(forwarder, client, peer, slot).await,
                None => forwarder.refuse(client),
            }
        });
    }
}

/// Errors that concern only the connection being accepted (accept(2) passes
/// pending network errors of the new socket through).
fn is_per_connection(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    ) || matches!(
        e.raw_os_error(),
        Some(
            libc::EPROTO
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::EHOSTUNREACH
                | libc::ENETUNREACH
                | libc::ENETDOWN
                | libc::EOPNOTSUPP
                | libc::ETIMEDOUT
        )
    )
}
