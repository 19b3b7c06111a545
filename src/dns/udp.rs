//! Our own UDP loop, one blocking thread per SO_REUSEPORT socket, with no
//! event loop, task or channel. On Linux the server runs `udp_batch.rs`
//! instead of [`serve`]: a receive takes every datagram waiting
//! (`recvmmsg`, up to 32) and the answers to them leave in one `sendmmsg`;
//! here a query costs one `recvfrom` and one `sendto`. Runts and responses (QR=1) are dropped before parsing, so
//! a forged or broken "response" never gets a reply (hickory's server
//! answers those with FORMERR); a query whose header parses but whose body
//! does not gets FORMERR; a query the fast path covers (`dns::fast`) is
//! answered into a spare buffer of the outbox; every other query goes to
//! the handler, whose
//! future completes in one poll because nothing in it waits (the reply is
//! queued in an [`Outbox`] that the loop sends).

use std::future::Future;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::Record;
use hickory_server::net::NetError;
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponse;

use crate::dns::emit::{QuestionName, emit};
use crate::dns::fast::Outcome;
use crate::dns::handler::DnsHandler;

/// The DNS header length.
const HEADER_LEN: usize = 12;
/// The largest UDP query we read (EDNS lets a client send up to 64 KiB; a
/// real query is far smaller, and a larger one is not ours to answer).
pub(crate) const RECEIVE_BUFFER: usize = 4096;
/// How often a idle thread looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(200);

/// One answer waiting to be sent, and its destination.
pub type Queued = (Vec<u8>, SocketAddr);

/// Answers waiting to be sent, in the order the handler produced them.
/// Sent answers keep their buffers, which the fast path (`dns::fast`)
/// writes the next answers into: once warm, queueing allocates nothing.
#[derive(Clone, Debug, Default)]
pub struct Outbox(Arc<Mutex<Slots>>);

/// The queue: `slots[..len]` wait to be sent; the rest are spare buffers.
#[derive(Debug, Default)]
struct Slots {
    slots: Vec<Queued>,
    len: usize,
}

impl Outbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, bytes: Vec<u8>, dst: SocketAddr) {
        let mut queue = self.lock();
        let at = queue.len;
        match queue.slots.get_mut(at) {
            Some(slot) => *slot = (bytes, dst),
            None => queue.slots.push((bytes, dst)),
        }
        queue.len += 1;
    }

    /// Lets `write` fill the next spare buffer; queues it when `write`
    /// says it holds a reply.
    fn push_with(&self, dst: SocketAddr, write: impl FnOnce(&mut Vec<u8>) -> Outcome) -> Outcome {
        let mut queue = self.lock();
        let at = queue.len;
        if at == queue.slots.len() {
            queue.slots.push((Vec::with_capacity(512), dst));
        }
        let slot = &mut queue.slots[at];
        slot.1 = dst;
        let outcome = write(&mut slot.0);
        if outcome == Outcome::Reply {
            queue.len += 1;
        }
        outcome
    }

    /// Hands the queued answers to `send` and empties the queue (keeping
    /// every buffer).
    pub fn drain(&self, send: impl FnOnce(&[Queued])) {
        let mut queue = self.lock();
        let len = queue.len;
        send(&queue.slots[..len]);
        queue.len = 0;
    }
}

/// Makes `socket` blocking with a read timeout (to look at the stop flag);
/// false (logged) when it cannot.
pub(crate) fn configure(socket: &UdpSocket) -> bool {
    match socket
        .set_nonblocking(false)
        .and_then(|()| socket.set_read_timeout(Some(STOP_CHECK)))
    {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "cannot configure a UDP socket");
            false
        }
    }
}

/// Serves `socket` until `stop` is set: the portable loop, one datagram
/// per receive and one per send (on Linux the server runs
/// `udp_batch::serve` instead).
pub fn serve(socket: UdpSocket, handler: &DnsHandler, stop: &AtomicBool) {
    if !configure(&socket) {
        return;
    }
    let mut buf = vec![0u8; RECEIVE_BUFFER];
    let outbox = Outbox::default();
    while !stop.load(Ordering::Relaxed) {
        // Timeouts (to look at `stop`) and ICMP errors from earlier sends
        // both surface as errors here; neither is ours to act on.
        let Ok((len, src)) = socket.recv_from(&mut buf) else {
            continue;
        };
        handler.metrics().udp_batches.record(1);
        answer(&buf[..len], src, handler, &outbox);
        outbox.drain(|queued| {
            for (bytes, dst) in queued {
                let _ = socket.send_to(bytes, dst);
            }
        });
    }
}

/// Answers one datagram from `src` into `outbox` (or drops it): through
/// the fast path when it covers the query, else through hickory.
pub fn answer(packet: &[u8], src: SocketAddr, handler: &DnsHandler, outbox: &Outbox) {
    if packet.len() < HEADER_LEN || packet[2] & 0x80 != 0 || src.port() == 0 {
        return;
    }
    if !counts_fit(packet) {
        outbox.push(format_error(packet), src);
        return;
    }
    let fast = |out: &mut Vec<u8>| crate::dns::fast::answer(handler, packet, src, out);
    if outbox.push_with(src, fast) != Outcome::Fallback {
        return;
    }
    match Request::from_bytes(packet.to_vec(), src, Protocol::Udp) {
        Ok(request) => {
            let responder = UdpResponder {
                outbox: outbox.clone(),
                dst: src,
                question: QuestionName::of_message(packet),
            };
            run_to_completion(handler.handle_request::<_, TokioTime>(&request, responder));
        }
        Err(_) => outbox.push(format_error(packet), src),
    }
}

/// Polls a future that never waits until it is ready.
fn run_to_completion<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // Not reached: nothing the handler awaits can be pending. Should
        // that change, this stays correct, only slower.
        std::thread::yield_now();
    }
}

/// A FORMERR reply to a query whose header parsed but whose body did not:
/// the id, opcode and RD copied, no sections.
pub(crate) fn format_error(query: &[u8]) -> Vec<u8> {
    let mut reply = vec![0u8; HEADER_LEN];
    reply[..2].copy_from_slice(&query[..2]);
    // QR=1, opcode and RD copied; AA, TC clear.
    reply[2] = 0x80 | (query[2] & 0x79);
    reply[3] = ResponseCode::FormErr.low();
    reply
}

/// Whether the header's section counts fit the message: a question takes
/// at least 5 bytes, a record 11. One that does not cannot parse, and
/// hickory would first allocate room for every question it claims (up to
/// 65535), so it is refused before parsing.
pub(crate) fn counts_fit(message: &[u8]) -> bool {
    let count = |i: usize| {
        message
            .get(i..i + 2)
            .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let least = count(4) * 5 + (count(6) + count(8) + count(10)) * 11;
    least <= message.len().saturating_sub(HEADER_LEN)
}

/// Encodes a response within the UDP size the response's OPT allows (512
/// without EDNS) and queues it for the client.
#[derive(Clone)]
struct UdpResponder {
    outbox: Outbox,
    dst: SocketAddr,
    /// The request's question name, which answers compress against.
    question: Option<QuestionName>,
}

#[async_trait::async_trait]
impl ResponseHandler for UdpResponder {
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
        // Cannot fail for our own records; a SERVFAIL rather than nothing.
        let limit = response.edns().map_or(512, |e| e.max_payload());
        let (bytes, info) = emit(response, limit, self.question.as_ref())?;
        self.outbox.push(bytes, self.dst);
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_counts_must_fit_the_message() {
        let mut query = vec![0u8; HEADER_LEN];
        query[5] = 1;
        assert!(!counts_fit(&query), "a question needs 5 bytes");
        query.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert!(counts_fit(&query));
        query[11] = 1;
        assert!(!counts_fit(&query), "and a record 11 more");
        query[4] = 0xFF;
        query[11] = 0;
        assert!(!counts_fit(&query));
    }

    #[test]
    fn format_error_copies_id_opcode_and_rd() {
        // id 0xBEEF, opcode 2 (STATUS), RD set.
        let query = [0xBE, 0xEF, 0b0001_0001, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xFF];
        let reply = format_error(&query);
        assert_eq!(&reply[..2], &[0xBE, 0xEF]);
        assert_eq!(reply[2], 0b1001_0001);
        assert_eq!(reply[3] & 0x0F, 1);
        assert_eq!(&reply[4..], &[0; 8]);
    }
}
