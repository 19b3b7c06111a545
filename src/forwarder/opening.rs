//! Opening the upstream side of a connection: what goes first ([`Opening`]:
//! the PROXY v2 header when configured, then whatever the client has sent
//! already — usually its whole first request, which follows the handshake
//! at once) and the connect that carries it ([`connect`]).
//!
//! HAProxy's habits, measured in `benches/forwarder.sh` (segments and
//! syscalls per `Connection: close` request): the opening is sent straight
//! after `connect(2)` — on loopback and fast LANs the handshake is done by
//! then, so there is no wait for writability, no `SO_ERROR` check and no
//! timer — and on Linux the handshake's last ACK is held back to ride with
//! it (`TCP_QUICKACK` off), so the backend gets ACK, header and request in
//! one segment instead of three.
//!
//! Invariant: the last ACK is only held back when there are bytes to send
//! at once, so a protocol where the server speaks first (SMTP, MySQL…)
//! never has its backend's accept delayed; `connect_timeout` bounds every
//! wait for a handshake.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::relay::{AUTO_BUFFER_SIZE, send_now};

/// What goes upstream before relaying starts.
#[derive(Debug)]
pub struct Opening {
    bytes: Vec<u8>,
    client_bytes: usize,
}

impl Opening {
    /// `header` (the PROXY v2 header, or empty) followed by what the client
    /// has sent so far, read without waiting. Fails only when the client
    /// connection already failed; its EOF is left for the relay to meet.
    pub fn read(client: &mut TcpStream, header: Vec<u8>) -> io::Result<Self> {
        let mut bytes = header;
        let header_len = bytes.len();
        bytes.reserve(AUTO_BUFFER_SIZE);
        // Polled once, never awaited: the no-op waker is replaced by the
        // relay's first read. Unlike `try_read`, a short read here also tells
        // tokio the socket is drained, so that first read waits for an event
        // instead of costing an EAGAIN.
        let read = std::pin::pin!(tokio::io::AsyncReadExt::read_buf(client, &mut bytes));
        match read.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Ready(Ok(_)) | Poll::Pending => {}
        }
        Ok(Self {
            client_bytes: bytes.len() - header_len,
            bytes,
        })
    }

    /// Bytes of the client's already read (to count as client → backend).
    pub fn client_bytes(&self) -> usize {
        self.client_bytes
    }
}

/// Connects to `address` with `TCP_NODELAY` and sends `opening`, within
/// `timeout` for the handshake.
pub async fn connect(
    address: SocketAddr,
    opening: &Opening,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let socket = new_socket(address)?;
    socket.set_tcp_nodelay(true)?;
    #[cfg(target_os = "linux")]
    if !opening.bytes.is_empty() {
        socket.set_tcp_quickack(false)?;
    }
    match socket.connect(&address.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    // A send on a socket still connecting fails with EAGAIN (ENOTCONN on
    // the BSDs), or with the connect's error, such as ECONNREFUSED; one that
    // succeeds proves the handshake done.
    let sent = match send_opening(&socket, &opening.bytes) {
        Ok(n) => n,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::NotConnected
            ) =>
        {
            0
        }
        Err(e) => return Err(e),
    };
    let mut stream = TcpStream::from_std(socket.into())?;
    if sent == 0 {
        match tokio::time::timeout(timeout, stream.writable()).await {
            Ok(ready) => ready?,
            Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
        }
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
    }
    if sent < opening.bytes.len() {
        stream.write_all(&opening.bytes[sent..]).await?;
    }
    Ok(stream)
}

fn new_socket(address: SocketAddr) -> io::Result<Socket> {
    let domain = Domain::for_address(address);
    #[cfg(target_os = "linux")]
    let socket = Socket::new(domain, Type::STREAM.nonblocking(), Some(Protocol::TCP))?;
    #[cfg(not(target_os = "linux"))]
    let socket = {
        let socket = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        socket
    };
    Ok(socket)
}

fn send_opening(socket: &Socket, bytes: &[u8]) -> io::Result<usize> {
    if bytes.is_empty() {
        return Ok(0);
    }
    send_now(socket2::SockRef::from(socket), bytes, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    fn opening(bytes: &[u8]) -> Opening {
        Opening {
            bytes: bytes.to_vec(),
            client_bytes: bytes.len(),
        }
    }

    #[tokio::test]
    async fn the_opening_arrives_first_and_whole() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        for bytes in [&b""[..], b"GET / HTTP/1.1\r\n\r\n"] {
            let mut upstream = connect(address, &opening(bytes), Duration::from_secs(2))
                .await
                .unwrap();
            let (mut accepted, _) = listener.accept().await.unwrap();
            upstream.write_all(b"|after").await.unwrap();
            drop(upstream);
            let mut got = Vec::new();
            accepted.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, [bytes, b"|after"].concat());
        }
    }

    #[tokio::test]
    async fn a_refused_connect_is_an_error_with_or_without_an_opening() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = closed.local_addr().unwrap();
        drop(closed);
        for bytes in [&b""[..], b"hello"] {
            let e = connect(address, &opening(bytes), Duration::from_secs(2))
                .await
                .expect_err("nothing listens");
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{bytes:?}: {e}");
        }
    }

    #[tokio::test]
    async fn read_takes_what_the_client_sent_after_the_header() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut accepted, _) = listener.accept().await.unwrap();
        let quiet = Opening::read(&mut accepted, b"HDR".to_vec()).unwrap();
        assert_eq!(
            (quiet.bytes.as_slice(), quiet.client_bytes()),
            (&b"HDR"[..], 0)
        );

        client.write_all(b"request").await.unwrap();
        accepted.readable().await.unwrap();
        let early = Opening::read(&mut accepted, b"HDR".to_vec()).unwrap();
        assert_eq!(early.bytes, b"HDRrequest");
        assert_eq!(early.client_bytes(), 7);
    }
}
