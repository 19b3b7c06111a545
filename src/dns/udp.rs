//! Our own UDP receive loop, one per socket (and thread): runts and
//! responses (QR=1) are dropped before parsing, so a forged or broken
//! "response" never gets a reply (hickory's server answers those with
//! FORMERR); a query whose header parses but whose body does not gets
//! FORMERR; every other query goes to the handler inline — no task spawn
//! and no channel hop per packet.

use std::net::SocketAddr;
use std::sync::Arc;

use hickory_proto::op::{Header, HeaderCounts, ResponseCode};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use hickory_server::net::NetError;
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponse;
use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::dns::handler::DnsHandler;

/// The DNS header length.
const HEADER_LEN: usize = 12;
/// The largest UDP query we read (EDNS lets a client send up to 64 KiB; a
/// real query is far smaller, and a larger one is not ours to answer).
const RECEIVE_BUFFER: usize = 4096;

/// Serves `socket` until `stop` turns true.
pub async fn serve(socket: UdpSocket, handler: DnsHandler, mut stop: watch::Receiver<bool>) {
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; RECEIVE_BUFFER];
    loop {
        let (len, src) = tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok(r) => r,
                // ICMP errors from earlier sends surface here; they are not ours to act on.
                Err(_) => continue,
            },
            _ = stop.wait_for(|stopped| *stopped) => return,
        };
        let packet = &buf[..len];
        if len < HEADER_LEN || packet[2] & 0x80 != 0 || src.port() == 0 {
            continue;
        }
        let responder = UdpResponder {
            socket: socket.clone(),
            dst: src,
        };
        match Request::from_bytes(packet.to_vec(), src, Protocol::Udp) {
            Ok(request) => {
                handler
                    .handle_request::<_, TokioTime>(&request, responder)
                    .await;
            }
            Err(_) => {
                let _ = socket.send_to(&format_error(packet), src).await;
            }
        }
    }
}

/// A FORMERR reply to a query whose header parsed but whose body did not:
/// the id, opcode and RD copied, no sections.
fn format_error(query: &[u8]) -> Vec<u8> {
    let mut reply = vec![0u8; HEADER_LEN];
    reply[..2].copy_from_slice(&query[..2]);
    // QR=1, opcode and RD copied; AA, TC clear.
    reply[2] = 0x80 | (query[2] & 0x79);
    reply[3] = ResponseCode::FormErr.low();
    reply
}

/// Encodes a response within the UDP size the response's OPT allows (512
/// without EDNS) and sends it to the client.
#[derive(Clone)]
struct UdpResponder {
    socket: Arc<UdpSocket>,
    dst: SocketAddr,
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
        let limit = response.edns().map_or(512, |e| e.max_payload());
        let metadata = *response.metadata();
        let mut bytes = Vec::with_capacity(512);
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_max_size(limit);
        let info = match response.destructive_emit(&mut encoder) {
            Ok(info) => info,
            Err(_) => {
                // Cannot happen for our own records; answer SERVFAIL rather than nothing.
                let mut metadata = metadata;
                metadata.response_code = ResponseCode::ServFail;
                let header = Header {
                    metadata,
                    counts: HeaderCounts::default(),
                };
                bytes.clear();
                let mut encoder = BinEncoder::new(&mut bytes);
                header.emit(&mut encoder).map_err(NetError::from)?;
                ResponseInfo::from(header)
            }
        };
        self.socket.send_to(&bytes, self.dst).await?;
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
