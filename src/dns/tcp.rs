//! Our own TCP loop (RFC 7766), one current-thread runtime per listen
//! address, answering through the same `DnsHandler` as UDP. Limits:
//! connections in total and per client address (a connection over either
//! is accepted and closed at once, so the backlog never fills and UDP,
//! on its own threads, never waits), an idle timeout between frames, a
//! frame timeout from the first byte of a frame to its last (slowloris),
//! and a bound on answers waiting to be written per connection (a client
//! that pipelines without reading stops being read). A frame's buffer is
//! allocated when its bytes arrive, grown to the frame length only as
//! they do (at most 64 KiB) and handed to the parser: an idle connection
//! holds no buffer at all.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hickory_proto::rr::Record;
use hickory_server::net::NetError;
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponse;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, timeout, timeout_at};

use crate::dns::emit::{QuestionName, emit};
use crate::dns::fast::Outcome;
use crate::dns::handler::DnsHandler;
use crate::metrics::tcp::TcpClose;

/// The DNS header length.
const HEADER_LEN: usize = 12;
/// The first allocation for a frame's bytes; it doubles as they arrive.
const FIRST_READ: usize = 512;
/// The read buffer of a connection, made with its first query: pipelined
/// queries (a few dozen bytes each) arrive several to one read instead of
/// two reads a query.
const READ_BUFFER: usize = 512;
/// Answers queued together are written at once up to about this size.
const WRITE_BATCH: usize = 16 * 1024;
/// How long accepting pauses after an error (out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// `[dns.tcp]`: what one client and all of them may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpLimits {
    /// Open connections per listen address.
    pub max_connections: usize,
    /// Open connections per client address, per listen address.
    pub max_connections_per_client: usize,
    /// A connection with no frame started for this long is closed.
    pub idle_timeout: Duration,
    /// A frame (or an answer being written) must complete within this.
    pub frame_timeout: Duration,
    /// Answers read but not yet written, per connection.
    pub max_in_flight: usize,
}

impl Default for TcpLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_connections_per_client: 64,
            idle_timeout: crate::dns::keepalive::DEFAULT_IDLE_TIMEOUT,
            frame_timeout: Duration::from_secs(5),
            max_in_flight: 16,
        }
    }
}

impl TcpLimits {
    /// These limits with another idle timeout (to compare the rest).
    pub fn with_idle_timeout(self, idle_timeout: Duration) -> Self {
        Self {
            idle_timeout,
            ..self
        }
    }
}

/// Serves `listener` until `stop` turns true; dropping the runtime then
/// closes every connection.
pub async fn serve(
    listener: TcpListener,
    handler: DnsHandler,
    limits: TcpLimits,
    mut stop: watch::Receiver<bool>,
) {
    let table = Arc::new(Mutex::new(Connections::default()));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopped| *stopped) => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::debug!(error = %e, "TCP accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Over a limit: closed at once, with a FIN (RFC 7766 §6.2.3 lets
        // a server close connections it cannot keep).
        let Some(slot) = Slot::take(&table, peer.ip(), &limits) else {
            handler.metrics().tcp.refused();
            drop(stream);
            continue;
        };
        handler.metrics().tcp.accepted();
        let handler = handler.clone();
        tokio::spawn(async move {
            connection(stream, peer, &handler, limits).await;
            handler.metrics().tcp.ended();
            drop(slot);
        });
    }
}

/// Open connections, in total and per client address.
#[derive(Debug, Default)]
struct Connections {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// One counted connection; dropping it gives its place back.
struct Slot {
    table: Arc<Mutex<Connections>>,
    client: IpAddr,
}

impl Slot {
    fn take(table: &Arc<Mutex<Connections>>, client: IpAddr, limits: &TcpLimits) -> Option<Self> {
        let client = match client {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
            v4 => v4,
        };
        let mut t = table.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = t.per_client.get(&client).copied().unwrap_or(0);
        if t.total >= limits.max_connections || mine >= limits.max_connections_per_client {
            return None;
        }
        t.total += 1;
        t.per_client.insert(client, mine + 1);
        Some(Self {
            table: table.clone(),
            client,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        t.total = t.total.saturating_sub(1);
        if let Some(n) = t.per_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                t.per_client.remove(&self.client);
            }
        }
    }
}

/// One connection: a reader that answers each frame in turn and a writer
/// that sends the answers, joined by a queue of `max_in_flight`.
async fn connection(stream: TcpStream, peer: SocketAddr, handler: &DnsHandler, limits: TcpLimits) {
    let _ = stream.set_nodelay(true);
    let (rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::channel(limits.max_in_flight.max(1));
    let reader = read_frames(rd, peer, handler, &limits, tx);
    let writer = write_frames(wr, rx, limits.frame_timeout);
    tokio::pin!(reader, writer);
    let closed = tokio::select! {
        // The reader is done: the writer sends what is queued, then a FIN.
        why = &mut reader => writer.await.or(why),
        // The writer gave up (the client does not read): drop the connection.
        why = &mut writer => why,
    };
    if let Some(why) = closed {
        handler.metrics().tcp.closed(why);
    }
}

/// Reads and answers frames until the client closes, goes idle, stalls
/// within a frame, or sends something that is not a query; says why when
/// the server is the one that ends it.
async fn read_frames(
    rd: OwnedReadHalf,
    peer: SocketAddr,
    handler: &DnsHandler,
    limits: &TcpLimits,
    tx: mpsc::Sender<Vec<u8>>,
) -> Option<TcpClose> {
    // The fast path's answer, before its length prefix.
    let mut scratch = Vec::with_capacity(512);
    // No read buffer until the first query, so an idle connection holds
    // none; that frame is read unbuffered, so nothing is left behind.
    let mut unbuffered = rd;
    let mut frame = match read_frame(&mut unbuffered, limits).await {
        Ok(frame) => frame,
        Err(why) => return why,
    };
    let mut rd = BufReader::with_capacity(READ_BUFFER, unbuffered);
    loop {
        // Runts and responses end the connection (UDP drops them).
        if frame.len() < HEADER_LEN || frame[2] & 0x80 != 0 {
            return Some(TcpClose::NotQuery);
        }
        if !answer_frame(frame, peer, handler, &tx, &mut scratch).await {
            return None;
        }
        if tx.is_closed() {
            return None;
        }
        frame = match read_frame(&mut rd, limits).await {
            Ok(frame) => frame,
            Err(why) => return why,
        };
    }
}

/// Answers one query `frame` (a header with QR clear) from `peer` into
/// `tx`: through the fast path when it covers the query, else through
/// hickory; a body that does not parse gets FORMERR. False when the
/// writer is gone.
pub(crate) async fn answer_frame(
    frame: Vec<u8>,
    peer: SocketAddr,
    handler: &DnsHandler,
    tx: &mpsc::Sender<Vec<u8>>,
    scratch: &mut Vec<u8>,
) -> bool {
    scratch.clear();
    match crate::dns::fast::answer_tcp(handler, &frame, peer, scratch) {
        Outcome::Reply => return tx.send(framed(scratch)).await.is_ok(),
        Outcome::Dropped => return true,
        Outcome::Fallback => {}
    }
    // The caller saw a whole header; nothing to answer without one.
    let Some(&[id_high, id_low, flags]) = frame.get(..3) else {
        return true;
    };
    let head = [id_high, id_low, flags];
    let question = QuestionName::of_message(&frame);
    let parsed = if crate::dns::udp::counts_fit(&frame) {
        Request::from_bytes(frame, peer, Protocol::Tcp).ok()
    } else {
        None
    };
    match parsed {
        Some(request) => {
            let responder = TcpResponder {
                tx: tx.clone(),
                question,
            };
            handler
                .handle_request::<_, TokioTime>(&request, responder)
                .await;
            true
        }
        None => {
            let mut query = [0u8; HEADER_LEN];
            query[..3].copy_from_slice(&head);
            let reply = crate::dns::udp::format_error(&query);
            tx.send(framed(&reply)).await.is_ok()
        }
    }
}

/// One length-prefixed frame. Err(None) when the client closed or the
/// socket failed; Err(Some(why)) when it stayed idle for `idle_timeout` or
/// took longer than `frame_timeout` from the frame's first byte to its
/// last.
async fn read_frame<R: AsyncRead + Unpin>(
    rd: &mut R,
    limits: &TcpLimits,
) -> Result<Vec<u8>, Option<TcpClose>> {
    const STALLED: Option<TcpClose> = Some(TcpClose::FrameTimeout);
    let mut len = [0u8; 2];
    let n = timeout(limits.idle_timeout, rd.read(&mut len))
        .await
        .map_err(|_| Some(TcpClose::Idle))?
        .map_err(|_| None)?;
    if n == 0 {
        return Err(None);
    }
    let deadline = Instant::now() + limits.frame_timeout;
    if n == 1 {
        timeout_at(deadline, rd.read_exact(&mut len[1..]))
            .await
            .map_err(|_| STALLED)?
            .map_err(|_| None)?;
    }
    let len = usize::from(u16::from_be_bytes(len));
    let mut frame = Vec::with_capacity(len.min(FIRST_READ));
    while frame.len() < len {
        if frame.len() == frame.capacity() {
            frame.reserve_exact((len - frame.len()).min(frame.capacity()));
        }
        let want = (len - frame.len()) as u64;
        let mut part = (&mut *rd).take(want);
        let read = timeout_at(deadline, part.read_buf(&mut frame))
            .await
            .map_err(|_| STALLED)?
            .map_err(|_| None)?;
        if read == 0 {
            return Err(None);
        }
    }
    Ok(frame)
}

/// Writes queued answers, each within `limit`; a FIN once the queue
/// closes. Says so when an answer could not be written in time. Answers
/// queued together leave in one write (up to [`WRITE_BATCH`] bytes).
async fn write_frames(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Vec<u8>>,
    limit: Duration,
) -> Option<TcpClose> {
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        let frame = match rx.try_recv() {
            Err(_) => first,
            Ok(second) => {
                batch.clear();
                batch.extend_from_slice(&first);
                batch.extend_from_slice(&second);
                while batch.len() < WRITE_BATCH
                    && let Ok(next) = rx.try_recv()
                {
                    batch.extend_from_slice(&next);
                }
                std::mem::take(&mut batch)
            }
        };
        match timeout(limit, wr.write_all(&frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return None,
            Err(_) => return Some(TcpClose::WriteTimeout),
        }
        // The batch's buffer is kept for the next one.
        if frame.capacity() > batch.capacity() && frame.capacity() <= 2 * WRITE_BATCH {
            batch = frame;
        }
    }
    let _ = timeout(limit, wr.shutdown()).await;
    None
}

/// `message` with its two-byte length prefix.
fn framed(message: &[u8]) -> Vec<u8> {
    let len = u16::try_from(message.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(message.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// Encodes a response (at most 64 KiB) and queues it for the writer;
/// waits while `max_in_flight` answers are queued.
#[derive(Clone)]
struct TcpResponder {
    tx: mpsc::Sender<Vec<u8>>,
    /// The request's question name, which answers compress against.
    question: Option<QuestionName>,
}

#[async_trait::async_trait]
impl ResponseHandler for TcpResponder {
    async fn send_response<'a>(
        &mut self,
        response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        // Over 64 KiB: a SERVFAIL rather than nothing.
        let (bytes, info) = emit(response, u16::MAX, self.question.as_ref())?;
        self.tx
            .send(framed(&bytes))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_limit_gets_no_slot_until_one_closes() {
        let limits = TcpLimits {
            max_connections: 3,
            max_connections_per_client: 2,
            ..TcpLimits::default()
        };
        let table = Arc::new(Mutex::new(Connections::default()));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = Slot::take(&table, a, &limits).unwrap();
        let _second = Slot::take(&table, mapped, &limits).unwrap();
        assert!(Slot::take(&table, a, &limits).is_none(), "per client");
        let _third = Slot::take(&table, b, &limits).unwrap();
        assert!(Slot::take(&table, b, &limits).is_none(), "in total");
        drop(first);
        assert!(Slot::take(&table, a, &limits).is_some());
    }
}
