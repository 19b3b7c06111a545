//! One forwarded connection: read what the client sent already, pick a
//! backend (health read once from the snapshot), connect with bounded
//! retries, send the opening (PROXY v2 header and early client bytes, see
//! `opening`), then relay until both sides are done, the connection idles
//! out, or its backend's drain ends.
//!
//! Invariant: a client is only ever relayed to one backend; a failed connect
//! moves on to the balancer's next choice, at most [`MAX_CONNECT_ATTEMPTS`]
//! times, each bounded by `connect_timeout`. Counters are released by guards,
//! so every path out of here leaves `active` right.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpStream;

use super::instance::Forwarder;
use super::opening::{self, Opening};
use super::pool::{Backend, Pool};
use super::proxy_v2;
use super::relay::{self, Meter};
use super::stats::ActiveGuard;

/// Backends tried per connection before it is given up.
pub const MAX_CONNECT_ATTEMPTS: usize = 3;

/// Runs one accepted connection to its end; `slot` is its place under the
/// forwarder's `max_connections`.
pub async fn run(
    forwarder: Arc<Forwarder>,
    mut client: TcpStream,
    peer: SocketAddr,
    slot: ActiveGuard,
) {
    let _slot = slot;
    let pool = forwarder.pool.load_full();
    let opening = match read_opening(&mut client, peer, pool.config.proxy_protocol) {
        Ok(opening) => opening,
        Err(e) => {
            tracing::debug!(forwarder = %forwarder.name, %peer, error = %e, "client gone before connect");
            return;
        }
    };
    let Some((backend, upstream, _backend_slot)) =
        connect(&forwarder, &pool, peer.ip(), &opening).await
    else {
        tracing::debug!(forwarder = %forwarder.name, %peer, "no backend could take the connection");
        forwarder.refuse(client);
        return;
    };
    // On Linux the accepted socket inherits TCP_NODELAY from its listener.
    #[cfg(not(target_os = "linux"))]
    let _ = client.set_nodelay(true);
    let meter = Meter {
        forwarder: Arc::clone(&forwarder.counters),
        backend: Arc::clone(&backend.counters),
        progress: AtomicU64::new(0),
    };
    meter.client_to_backend(opening.client_bytes());
    drop(opening);
    let mut stop = backend.stop.subscribe();
    let end = tokio::select! {
        r = relay::relay(forwarder.copy, client, upstream, &meter) => match r {
            Ok(relayed) => {
                tracing::trace!(forwarder = %forwarder.name, ?relayed, "relay done");
                "closed"
            }
            Err(e) if is_peer_gone(&e) => "reset",
            Err(e) => {
                tracing::debug!(forwarder = %forwarder.name, error = %e, "relay failed");
                "error"
            }
        },
        () = idle(&meter.progress, pool.config.idle_timeout) => "idle timeout",
        _ = stop.wait_for(|stopped| *stopped) => "drain timeout",
    };
    tracing::trace!(forwarder = %forwarder.name, %peer, backend = %backend.config.address, end, "connection ended");
}

/// The PROXY v2 header (when `proxy_protocol`) and what the client sent so far.
fn read_opening(
    client: &mut TcpStream,
    peer: SocketAddr,
    proxy_protocol: bool,
) -> io::Result<Opening> {
    let header = if proxy_protocol {
        proxy_v2::header(peer, client.local_addr()?)
    } else {
        Vec::new()
    };
    Opening::read(client, header)
}

/// Connects to the first backend that accepts, in the balancer's order,
/// and sends it the opening.
async fn connect(
    forwarder: &Forwarder,
    pool: &Pool,
    client: IpAddr,
    opening: &Opening,
) -> Option<(Arc<Backend>, TcpStream, ActiveGuard)> {
    // One health view for every attempt of this connection; the guard is not
    // held across awaits.
    let health = Arc::clone(&forwarder.store.load().health);
    let mut tried = [0; MAX_CONNECT_ATTEMPTS];
    for attempt in 0..MAX_CONNECT_ATTEMPTS {
        let index = pool.pick(&health, client, &tried[..attempt])?;
        tried[attempt] = index;
        let backend = &pool.backends[index];
        // counted before the connect, so concurrent least_conn picks see it
        let slot = backend.counters.open();
        let address = backend.config.address;
        let error = match opening::connect(address, opening, pool.config.connect_timeout).await {
            Ok(stream) => {
                backend.counters.count_total();
                return Some((Arc::clone(backend), stream, slot));
            }
            Err(e) => e,
        };
        backend.counters.failed_connect();
        forwarder.counters.failed_connect();
        tracing::debug!(forwarder = %forwarder.name, backend = %address, %error, "connect failed; trying the next backend");
    }
    None
}

/// Returns once no byte moved either way for `timeout` (checked every
/// quarter of it, so it fires between 1× and 1.25× `timeout`).
async fn idle(progress: &AtomicU64, timeout: Duration) {
    let tick = (timeout / 4).max(Duration::from_millis(5));
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + tick, tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = progress.load(Ordering::Relaxed);
    let mut quiet = Duration::ZERO;
    loop {
        interval.tick().await;
        let now = progress.load(Ordering::Relaxed);
        if now == last {
            quiet += tick;
            if quiet >= timeout {
                return;
            }
        } else {
            last = now;
            quiet = Duration::ZERO;
        }
    }
}

fn is_peer_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::NotConnected
    )
}
