//! Shared setup of the fuzz targets: the real `DnsHandler` over a snapshot
//! compiled in-process from `zone.toml` (every record type and routing
//! policy, one unhealthy check, the sample GeoIP database), and the two
//! transports as the servers drive it: one datagram (`src/dns/udp.rs`) and a
//! stream of length-prefixed frames (RFC 1035 §4.2.2).
//!
//! Besides "never panics", the responders check what the server sends: a
//! reply must parse back as a DNS message, carry the query's id, and fit the
//! UDP size the query allowed.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::SystemTime;

use alwayson::diag::Source;
use alwayson::dns::handler::DnsHandler;
use alwayson::geo::reader::GeoDb;
use alwayson::health::HealthView;
use alwayson::health::view::CheckStatus;
use alwayson::table::compile::compile;
use alwayson::table::{Snapshot, SnapshotStore, ZoneTable, routing};
use hickory_proto::op::Message;
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::net::NetError;
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponse;

/// The zone every DNS target answers from.
pub const ZONE: &str = include_str!("zone.toml");
/// The DNS header length.
const HEADER_LEN: usize = 12;
/// Most frames of one TCP stream that are answered.
const MAX_FRAMES: usize = 64;

/// The handler, built once per process.
pub fn handler() -> &'static DnsHandler {
    static HANDLER: OnceLock<DnsHandler> = OnceLock::new();
    HANDLER.get_or_init(|| DnsHandler::new(Arc::new(SnapshotStore::new(snapshot())), 1232, true))
}

fn snapshot() -> Snapshot {
    let zone = alwayson::zone::convert::convert(&Source::new("fuzz.test.toml", ZONE))
        .unwrap_or_else(|d| panic!("fuzz zone: {d:?}"));
    let zones = Arc::new(ZoneTable::new(vec![compile(&zone, 1)], Vec::new()));
    let mut health = HealthView::default();
    health.set(
        Arc::from("down"),
        CheckStatus {
            healthy: false,
            since: SystemTime::UNIX_EPOCH,
        },
    );
    let health = Arc::new(health);
    let routing = Arc::new(routing::compute(&zones, &health));
    let mmdb = Path::new(env!("CARGO_MANIFEST_DIR")).join("../geoip/sample.mmdb");
    let geo = GeoDb::open(&mmdb).unwrap_or_else(|e| panic!("{}: {e}", mmdb.display()));
    Snapshot {
        zones,
        health,
        routing,
        geo: Some(Arc::new(geo)),
        version: 1,
    }
}

/// A client address picked by the query id, so that the corpus reaches
/// every located, unlocated and CIDR-routed branch.
fn source(id_byte: u8) -> SocketAddr {
    let ip = match id_byte % 6 {
        0 => IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
        1 => IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
        2 => IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)),
        3 => IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
        4 => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        _ => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 9)),
    };
    SocketAddr::new(ip, 53000)
}

/// One datagram as `dns::udp::serve` treats it: runts and responses are
/// dropped, a body that does not parse gets FORMERR (not the handler's), the
/// rest goes to the handler. Returns the reply the handler sent.
pub fn answer_udp(packet: &[u8]) -> Option<Vec<u8>> {
    if packet.len() < HEADER_LEN || packet[2] & 0x80 != 0 {
        return None;
    }
    let request = Request::from_bytes(packet.to_vec(), source(packet[1]), Protocol::Udp).ok()?;
    let reply = ask(&request, true);
    let limit = request.edns.as_ref().map_or(512, |e| e.max_payload().max(512));
    assert!(
        reply.len() <= usize::from(limit),
        "UDP reply of {} bytes over the query's limit {limit}",
        reply.len()
    );
    Some(reply)
}

/// A TCP stream as the server splits it: two-byte length, then that many
/// bytes; each frame that parses goes to the handler. An incomplete last
/// frame is never answered.
pub fn answer_tcp_stream(mut stream: &[u8]) -> Vec<Vec<u8>> {
    let mut replies = Vec::new();
    while stream.len() >= 2 && replies.len() < MAX_FRAMES {
        let len = usize::from(u16::from_be_bytes([stream[0], stream[1]]));
        let Some(frame) = stream.get(2..2 + len) else {
            break;
        };
        stream = &stream[2 + len..];
        if frame.len() < HEADER_LEN {
            continue;
        }
        if let Ok(request) = Request::from_bytes(frame.to_vec(), source(frame[1]), Protocol::Tcp)
        {
            replies.push(ask(&request, false));
        }
    }
    replies
}

/// Runs the handler on `request` and checks the one reply it sends.
fn ask(request: &Request, udp: bool) -> Vec<u8> {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let responder = Collect {
        sent: sent.clone(),
        udp,
    };
    run_to_completion(handler().handle_request::<_, TokioTime>(request, responder));
    let reply = std::mem::take(&mut *sent.lock().unwrap_or_else(|e| e.into_inner()));
    assert!(!reply.is_empty(), "the handler sent no reply");
    let message =
        Message::from_vec(&reply).unwrap_or_else(|e| panic!("reply does not parse: {e}"));
    assert_eq!(message.metadata.id, request.metadata.id, "reply id");
    reply
}

/// Polls a future that never waits until it is ready (as `dns::udp` does).
fn run_to_completion<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// Encodes the response as the UDP loop does (within the size the
/// response's OPT allows, 512 without EDNS) or unlimited for TCP, and keeps
/// the bytes.
#[derive(Clone)]
struct Collect {
    sent: Arc<Mutex<Vec<u8>>>,
    udp: bool,
}

#[async_trait::async_trait]
impl ResponseHandler for Collect {
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
        let limit = if self.udp {
            response.edns().map_or(512, |e| e.max_payload())
        } else {
            u16::MAX
        };
        let mut bytes = Vec::with_capacity(512);
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_max_size(limit);
        let info = response
            .destructive_emit(&mut encoder)
            .unwrap_or_else(|e| panic!("the response does not encode: {e}"));
        *self.sent.lock().unwrap_or_else(|e| e.into_inner()) = bytes;
        Ok(info)
    }
}
