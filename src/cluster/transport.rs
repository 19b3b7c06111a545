//! Authenticated gossip: a chitchat [`Transport`] whose datagrams carry an
//! HMAC-SHA256 tag made with the cluster key over the message and a send
//! time. chitchat has no authentication of its own, and its message codec
//! is private, so its own `UdpTransport` encodes and decodes over two
//! private loopback sockets while this transport owns the real one.
//!
//! Invariants: a datagram whose tag does not verify, or whose send time is
//! more than [`MAX_SKEW`] away from ours (a replay, or a clock far off), is
//! dropped and counted before any byte of it is parsed. `recv` only waits
//! on a channel, so it is cancel-safe (chitchat polls it in a `select!`).
//! Wire format: `message | send time (u64 ms, big endian) | tag (32 bytes)`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use chitchat::ChitchatEnvelope;
use chitchat::transport::{RecvOutcome, SendOutcome, Socket, Transport, UdpTransport};
use hmac::{Hmac, KeyInit, Mac};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle};

use crate::cluster::config::ClusterKey;
use crate::cluster::keys::unix_ms;
use crate::metrics::Metrics;
use crate::metrics::cluster::GossipRejection;

type HmacSha256 = Hmac<sha2::Sha256>;

const TAG: usize = 32;
const STAMP: usize = 8;
/// The largest datagram read.
const MAX_DATAGRAM: usize = 65_536;
/// How far a datagram's send time may be from this node's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(60);
/// How long chitchat's codec may take to decode verified bytes.
const DECODE_WAIT: Duration = Duration::from_millis(250);
const LOOPBACK: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// The transport chitchat is started with.
pub struct AuthTransport {
    pub key: ClusterKey,
    pub metrics: Arc<Metrics>,
    pub readers: ReaderTasks,
}

/// The reader tasks of the sockets a transport opened, so that a shutdown
/// can wait until the gossip port is really closed (an aborted task drops
/// its socket later, on a worker thread).
#[derive(Clone, Default)]
pub struct ReaderTasks(Arc<Mutex<Vec<JoinHandle<anyhow::Result<()>>>>>);

impl ReaderTasks {
    fn add(&self, task: JoinHandle<anyhow::Result<()>>) {
        if let Ok(mut tasks) = self.0.lock() {
            tasks.retain(|t| !t.is_finished());
            tasks.push(task);
        }
    }

    /// Aborts every reader and waits until each has dropped its socket.
    pub async fn stop_all(&self) {
        let tasks = match self.0.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(_) => return,
        };
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

fn mac(key: &[u8], payload: &[u8]) -> Option<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(key).ok()?;
    m.update(payload);
    Some(m)
}

/// `payload` with its send time and tag appended, as sent.
pub fn seal(key: &ClusterKey, payload: &[u8], now: SystemTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + STAMP + TAG);
    out.extend_from_slice(payload);
    out.extend_from_slice(&unix_ms(now).to_be_bytes());
    if let Some(m) = mac(key.bytes(), &out) {
        out.extend_from_slice(&m.finalize().into_bytes());
    }
    out
}

/// The message inside a received datagram, or why it is rejected.
pub fn open<'a>(
    key: &ClusterKey,
    datagram: &'a [u8],
    now: SystemTime,
) -> Result<&'a [u8], GossipRejection> {
    if datagram.len() < STAMP + TAG {
        return Err(GossipRejection::Short);
    }
    let (signed, tag) = datagram.split_at(datagram.len() - TAG);
    let verified = mac(key.bytes(), signed).is_some_and(|m| m.verify_slice(tag).is_ok());
    if !verified {
        return Err(GossipRejection::BadMac);
    }
    let (payload, stamp) = signed.split_at(signed.len() - STAMP);
    let mut sent = [0u8; STAMP];
    sent.copy_from_slice(stamp);
    let skew = unix_ms(now).abs_diff(u64::from_be_bytes(sent));
    if u128::from(skew) > MAX_SKEW.as_millis() {
        return Err(GossipRejection::Stale);
    }
    Ok(payload)
}

#[async_trait]
impl Transport for AuthTransport {
    async fn open(&self, listen: SocketAddr) -> anyhow::Result<Box<dyn Socket>> {
        let wire = Arc::new(UdpSocket::bind(listen).await?);
        // chitchat encodes into `encoder`, which sends to `encoded`.
        let encoder = UdpTransport.open(LOOPBACK).await?;
        let encoded = UdpSocket::bind(LOOPBACK).await?;
        encoded.connect(encoder.local_addr()?).await?;
        // Verified bytes go `to_decoder` → `decoder`, which chitchat decodes.
        let decoder = UdpTransport.open(LOOPBACK).await?;
        let to_decoder = UdpSocket::bind(LOOPBACK).await?;
        to_decoder.connect(decoder.local_addr()?).await?;
        let (tx, rx) = mpsc::channel(1024);
        let reader = Reader {
            wire: wire.clone(),
            key: self.key.clone(),
            metrics: self.metrics.clone(),
            to_decoder,
            decoder,
            tx,
        };
        let reader = tokio::spawn(reader.run());
        let abort = reader.abort_handle();
        self.readers.add(reader);
        Ok(Box::new(AuthSocket {
            wire,
            encoder,
            encoded,
            key: self.key.clone(),
            metrics: self.metrics.clone(),
            rx,
            reader: abort,
            buf: vec![0; MAX_DATAGRAM],
        }))
    }
}

/// Reads the real socket: verify, then decode with chitchat's codec.
struct Reader {
    wire: Arc<UdpSocket>,
    key: ClusterKey,
    metrics: Arc<Metrics>,
    to_decoder: UdpSocket,
    decoder: Box<dyn Socket>,
    tx: mpsc::Sender<RecvOutcome>,
}

impl Reader {
    async fn run(mut self) -> anyhow::Result<()> {
        let me = self.to_decoder.local_addr()?;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            let (n, from_addr) = self.wire.recv_from(&mut buf).await?;
            let payload = match open(&self.key, &buf[..n], SystemTime::now()) {
                Ok(payload) => payload,
                Err(why) => {
                    self.metrics.cluster.record_rejected(why);
                    continue;
                }
            };
            self.to_decoder.send(payload).await?;
            let Some(envelope) = self.decode(me).await? else {
                self.metrics
                    .cluster
                    .record_rejected(GossipRejection::Undecodable);
                continue;
            };
            self.metrics.cluster.record_in(n);
            let outcome = RecvOutcome {
                from_addr,
                envelope,
                num_bytes_received: n,
            };
            if self.tx.send(outcome).await.is_err() {
                return Ok(());
            }
        }
    }

    /// chitchat's decoding of what was just sent to it; None when it cannot
    /// (its `recv` skips undecodable bytes and would wait for more).
    async fn decode(&mut self, me: SocketAddr) -> anyhow::Result<Option<ChitchatEnvelope>> {
        let deadline = tokio::time::Instant::now() + DECODE_WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.decoder.recv()).await {
                Ok(Ok(o)) if o.from_addr == me => return Ok(Some(o.envelope)),
                // Something else on this host wrote to the codec's port.
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(None),
            }
        }
    }
}

struct AuthSocket {
    wire: Arc<UdpSocket>,
    encoder: Box<dyn Socket>,
    encoded: UdpSocket,
    key: ClusterKey,
    metrics: Arc<Metrics>,
    rx: mpsc::Receiver<RecvOutcome>,
    reader: AbortHandle,
    buf: Vec<u8>,
}

impl Drop for AuthSocket {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

#[async_trait]
impl Socket for AuthSocket {
    fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.wire.local_addr()?)
    }

    async fn send(
        &mut self,
        to: SocketAddr,
        envelope: ChitchatEnvelope,
    ) -> anyhow::Result<SendOutcome> {
        self.encoder
            .send(self.encoded.local_addr()?, envelope)
            .await?;
        let n = self.encoded.recv(&mut self.buf).await?;
        let datagram = seal(&self.key, &self.buf[..n], SystemTime::now());
        self.wire.send_to(&datagram, to).await?;
        self.metrics.cluster.record_out(datagram.len());
        Ok(SendOutcome {
            num_bytes_sent: datagram.len(),
        })
    }

    async fn recv(&mut self) -> anyhow::Result<RecvOutcome> {
        self.rx
            .recv()
            .await
            .ok_or_else(|| anyhow::anyhow!("the gossip reader stopped"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> ClusterKey {
        ClusterKey::new(text.as_bytes()).unwrap()
    }

    #[test]
    fn only_the_right_key_and_a_fresh_stamp_open_a_datagram() {
        let now = SystemTime::now();
        let sealed = seal(&key("0123456789abcdef"), b"hello", now);
        assert_eq!(
            open(&key("0123456789abcdef"), &sealed, now),
            Ok(&b"hello"[..])
        );
        assert_eq!(
            open(&key("0123456789abcdeX"), &sealed, now),
            Err(GossipRejection::BadMac)
        );
        let later = now + MAX_SKEW + Duration::from_secs(1);
        assert_eq!(
            open(&key("0123456789abcdef"), &sealed, later),
            Err(GossipRejection::Stale)
        );
        let mut flipped = sealed.clone();
        flipped[0] ^= 1;
        assert_eq!(
            open(&key("0123456789abcdef"), &flipped, now),
            Err(GossipRejection::BadMac)
        );
        assert_eq!(
            open(&key("0123456789abcdef"), &sealed[..20], now),
            Err(GossipRejection::Short)
        );
    }
}
