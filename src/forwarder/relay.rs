//! Moving bytes both ways between a client and its backend, by one of three
//! strategies: Linux `splice(2)` through a pipe (the bytes never enter user
//! space), tokio's `copy_bidirectional_with_sizes` with large buffers, or
//! (the default) a small buffer that hands a direction over to splice once a
//! read fills it — two syscalls per small message like the buffered copy,
//! no user-space copy for bulk like splice. The pipe and the `splice(2)`
//! calls live in `relay/zero_copy.rs`; this file decides when to use them.
//!
//! Invariant (every strategy): when one side sends EOF, the other side's
//! write half is shut down and the opposite direction keeps flowing (TCP
//! half-close); the relay ends when both directions ended or one failed.
//! [`relay`] owns both sockets and closes them as it returns, so the
//! direction that ends last leaves its FIN to that close (one syscall less
//! per connection) — by then both receive queues are drained, so the close
//! is graceful. When a peer's FIN is already in after a short read, the
//! last bytes go out with `MSG_MORE`, so they and the FIN share a segment.
//! Every chunk moved is added to the [`Meter`] as it moves, so metrics and
//! the idle timer see long-lived connections progress.

use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, Interest, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};

use super::stats::Counters;

#[cfg(target_os = "linux")]
mod zero_copy;

/// How a relay copies. `Buffered` works on every platform and with few file
/// descriptors; `Splice` avoids copying through user space; `Auto` copies
/// small messages and splices bulk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyMode {
    /// Buffered until a read fills [`AUTO_BUFFER_SIZE`], then splice for
    /// that direction (Linux; elsewhere it stays buffered).
    Auto,
    Splice,
    Buffered,
}

/// Per-direction buffer for [`CopyMode::Buffered`].
pub const BUFFER_SIZE: usize = 64 * 1024;

/// Per-direction buffer for [`CopyMode::Auto`]; a read that fills it marks
/// the direction as bulk.
pub const AUTO_BUFFER_SIZE: usize = 16 * 1024;

impl CopyMode {
    /// [`CopyMode::default`], unless `ALWAYSON_FORWARDER_COPY=auto|splice|buffered`
    /// says otherwise (for benchmarks and for hosts short of file descriptors).
    pub fn from_env() -> Self {
        match std::env::var("ALWAYSON_FORWARDER_COPY").as_deref() {
            Ok("auto") => CopyMode::Auto,
            Ok("splice") => CopyMode::Splice,
            Ok("buffered") => CopyMode::Buffered,
            _ => CopyMode::default(),
        }
    }
}

impl Default for CopyMode {
    /// Auto: in `benches/forwarder.sh` plain splice moved bulk data ~1.5×
    /// faster than the buffered copy, but cost ~15 % more CPU per small
    /// request (three syscalls per message instead of two); auto gets both.
    /// A connection only takes a pipe (two descriptors) per bulk direction.
    fn default() -> Self {
        CopyMode::Auto
    }
}

/// How one direction's bytes moved, in the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Through a user-space buffer.
    Buffered,
    /// Through a pipe, by `splice(2)` (for [`CopyMode::Auto`]: after a read
    /// filled the buffer).
    Spliced,
}

/// How a finished relay moved each direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relayed {
    pub to_backend: Path,
    pub to_client: Path,
}

impl Relayed {
    fn both(path: Path) -> Self {
        Self {
            to_backend: path,
            to_client: path,
        }
    }
}

/// Where the bytes of one connection are counted.
#[derive(Debug)]
pub struct Meter {
    pub forwarder: Arc<Counters>,
    pub backend: Arc<Counters>,
    /// Bytes moved either way on this connection; the idle timer watches it.
    pub progress: AtomicU64,
}

impl Meter {
    pub(super) fn client_to_backend(&self, bytes: usize) {
        let bytes = bytes as u64;
        self.forwarder.add_in(bytes);
        self.backend.add_in(bytes);
        self.progress.fetch_add(bytes, Ordering::Relaxed);
    }

    fn backend_to_client(&self, bytes: usize) {
        let bytes = bytes as u64;
        self.forwarder.add_out(bytes);
        self.backend.add_out(bytes);
        self.progress.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// Relays until both directions are done or one fails, then closes both
/// sockets (also when the future is dropped).
pub async fn relay(
    mode: CopyMode,
    mut client: TcpStream,
    mut backend: TcpStream,
    meter: &Meter,
) -> io::Result<Relayed> {
    let (client, backend) = (&mut client, &mut backend);
    match mode {
        #[cfg(target_os = "linux")]
        CopyMode::Splice => {
            let (to_backend, to_client) = (zero_copy::Pipe::new()?, zero_copy::Pipe::new()?);
            let one_ended = AtomicBool::new(false);
            tokio::try_join!(
                splice_one_way(client, backend, &to_backend, &one_ended, |n| meter
                    .client_to_backend(n)),
                splice_one_way(backend, client, &to_client, &one_ended, |n| meter
                    .backend_to_client(n)),
            )?;
            Ok(Relayed::both(Path::Spliced))
        }
        #[cfg(not(target_os = "linux"))]
        CopyMode::Splice => buffered(client, backend, meter).await,
        CopyMode::Buffered => buffered(client, backend, meter).await,
        CopyMode::Auto => {
            let (client_read, client_write) = client.split();
            let (backend_read, backend_write) = backend.split();
            let one_ended = AtomicBool::new(false);
            let (to_backend, to_client) = tokio::try_join!(
                auto_one_way(client_read, backend_write, &one_ended, |n| meter
                    .client_to_backend(n)),
                auto_one_way(backend_read, client_write, &one_ended, |n| meter
                    .backend_to_client(n)),
            )?;
            Ok(Relayed {
                to_backend,
                to_client,
            })
        }
    }
}

/// Copies `from` to `to` through a small buffer; once a read fills it, moves
/// the rest by splice (if a pipe can be had). Passes `from`'s EOF on
/// ([`pass_eof`]).
async fn auto_one_way(
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
    one_ended: &AtomicBool,
    count: impl Fn(usize),
) -> io::Result<Path> {
    // Never zeroed: reads go into its spare capacity (a per-connection
    // memset showed up at ~3 % of the forwarder's CPU with `Connection: close`).
    let mut buffer = Vec::with_capacity(AUTO_BUFFER_SIZE);
    // Set when no pipe could be had (out of descriptors): stay buffered
    // rather than fail the connection.
    let mut no_pipe = !cfg!(target_os = "linux");
    loop {
        // tokio's poll_read treats a short read as "drained" and waits for the
        // next readiness event, so a small message costs one read and one write.
        buffer.clear();
        let n = from.read_buf(&mut buffer).await?;
        if n == 0 {
            return pass_eof(to.as_ref(), one_ended).map(|()| Path::Buffered);
        }
        count(n);
        if n < buffer.capacity() && fin_received(from.as_ref()) {
            // Confirm EOF with one more read, then send the last bytes and
            // the FIN in one segment instead of two.
            match from.as_ref().try_read_buf(&mut buffer) {
                Ok(0) => {
                    send_before_fin(to.as_ref(), &buffer).await?;
                    return pass_eof(to.as_ref(), one_ended).map(|()| Path::Buffered);
                }
                Ok(more) => count(more),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        to.write_all(&buffer).await?;
        if n == buffer.capacity() && !no_pipe {
            #[cfg(target_os = "linux")]
            match zero_copy::Pipe::new() {
                Ok(pipe) => {
                    drop(buffer);
                    return splice_one_way(from.as_ref(), to.as_ref(), &pipe, one_ended, count)
                        .await
                        .map(|()| Path::Spliced);
                }
                Err(_) => no_pipe = true,
            }
        }
    }
}

async fn buffered(
    client: &mut TcpStream,
    backend: &mut TcpStream,
    meter: &Meter,
) -> io::Result<Relayed> {
    let mut client = Metered {
        stream: client,
        count: |n| meter.client_to_backend(n),
    };
    let mut backend = Metered {
        stream: backend,
        count: |n| meter.backend_to_client(n),
    };
    tokio::io::copy_bidirectional_with_sizes(&mut client, &mut backend, BUFFER_SIZE, BUFFER_SIZE)
        .await?;
    Ok(Relayed::both(Path::Buffered))
}

/// Splices `from` to `to` until `from` sends EOF, then passes the EOF on
/// ([`pass_eof`]).
#[cfg(target_os = "linux")]
async fn splice_one_way(
    from: &TcpStream,
    to: &TcpStream,
    pipe: &zero_copy::Pipe,
    one_ended: &AtomicBool,
    count: impl Fn(usize),
) -> io::Result<()> {
    zero_copy::splice_until_eof(from, to, pipe, count).await?;
    pass_eof(to, one_ended)
}

/// Whether the peer's FIN has arrived, as the last readiness event said
/// (no syscall; never waits).
fn fin_received(stream: &TcpStream) -> bool {
    let ready = std::pin::pin!(stream.ready(Interest::READABLE));
    let mut cx = Context::from_waker(std::task::Waker::noop());
    matches!(ready.poll(&mut cx), Poll::Ready(Ok(r)) if r.is_read_closed())
}

/// Writes `data` that is about to be followed by a FIN: `MSG_MORE` keeps it
/// queued, so the shutdown (or close) that follows sends both at once.
async fn send_before_fin(to: &TcpStream, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        to.writable().await?;
        match to.try_io(Interest::WRITABLE, || {
            send_now(socket2::SockRef::from(to), data, true)
        }) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One non-blocking `send(2)` that never raises SIGPIPE; `more` (Linux
/// `MSG_MORE`) keeps the bytes queued for what follows.
pub(super) fn send_now(socket: socket2::SockRef<'_>, data: &[u8], more: bool) -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    let flags = libc::MSG_NOSIGNAL | if more { libc::MSG_MORE } else { 0 };
    #[cfg(not(target_os = "linux"))]
    let flags = {
        let _ = more;
        0
    };
    socket.send_with_flags(data, flags)
}

/// Passes one direction's EOF on: shuts down `to`'s write half, unless the
/// other direction ended already — then the relay is over, and its close of
/// both sockets sends the FIN.
fn pass_eof(to: &TcpStream, one_ended: &AtomicBool) -> io::Result<()> {
    if one_ended.swap(true, Ordering::Relaxed) {
        Ok(())
    } else {
        shutdown_write(to)
    }
}

/// Shuts down our sending side, so the peer reads EOF; a peer that is already
/// gone is not an error.
fn shutdown_write(stream: &TcpStream) -> io::Result<()> {
    match socket2::SockRef::from(stream).shutdown(Shutdown::Write) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        other => other,
    }
}

/// A stream that reports every successful read to `count`.
struct Metered<'a, F> {
    stream: &'a mut TcpStream,
    count: F,
}

impl<F: Fn(usize) + Unpin> AsyncRead for Metered<'_, F> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut *this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let n = buf.filled().len() - before;
            if n > 0 {
                (this.count)(n);
            }
        }
        poll
    }
}

impl<F: Unpin> AsyncWrite for Metered<'_, F> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(shutdown_write(self.get_mut().stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A connected pair of loopback sockets.
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let near = TcpStream::connect(listener.local_addr().unwrap());
        let (near, far) = tokio::join!(near, listener.accept());
        (near.unwrap(), far.unwrap().0)
    }

    fn meter() -> Meter {
        Meter {
            forwarder: Arc::default(),
            backend: Arc::default(),
            progress: AtomicU64::new(0),
        }
    }

    /// client ⇄ [relay] ⇄ backend: the client uploads `upload` bytes, the
    /// backend answers with a short reply; both then close their side.
    async fn run(mode: CopyMode, upload: usize) -> (Relayed, Meter, Vec<u8>) {
        let (mut client, client_end) = pair().await;
        let (backend_end, mut backend) = pair().await;
        let meter = meter();
        let upload_data: Vec<u8> = (0..upload).map(|i| (i % 253) as u8).collect();
        let expected = upload_data.clone();
        let client_side = async move {
            client.write_all(&upload_data).await.unwrap();
            client.shutdown().await.unwrap();
            let mut reply = Vec::new();
            client.read_to_end(&mut reply).await.unwrap();
            reply
        };
        let backend_side = async move {
            let mut got = Vec::new();
            backend.read_to_end(&mut got).await.unwrap();
            assert!(got == expected, "upload corrupted: {} bytes", got.len());
            backend.write_all(b"thanks").await.unwrap();
            backend.shutdown().await.unwrap();
        };
        let (relayed, reply, ()) = tokio::join!(
            relay(mode, client_end, backend_end, &meter),
            client_side,
            backend_side
        );
        (relayed.unwrap(), meter, reply)
    }

    /// Segments `stream` has received so far (Linux `TCP_INFO`).
    #[cfg(target_os = "linux")]
    fn segments_in(stream: &TcpStream) -> u32 {
        use std::os::fd::AsRawFd;
        // SAFETY: tcp_info is plain data, valid when zeroed.
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        // SAFETY: `info` is writable for `len` bytes and the fd stays open
        // for the call.
        let rc = unsafe {
            libc::getsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut libc::tcp_info).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "TCP_INFO: {}", io::Error::last_os_error());
        info.tcpi_segs_in
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_last_bytes_and_the_fin_behind_them_leave_in_one_segment() {
        let (mut client, client_end) = pair().await;
        let (backend_end, mut backend) = pair().await;
        backend.write_all(b"bye").await.unwrap();
        backend.shutdown().await.unwrap();
        // let the reactor see both the bytes and the FIN on backend_end
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let before = segments_in(&client);
        let meter = meter();
        let client_side = async {
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            let segments = segments_in(&client) - before;
            client.shutdown().await.unwrap();
            (got, segments)
        };
        let (relayed, (got, segments)) = tokio::join!(
            relay(CopyMode::Auto, client_end, backend_end, &meter),
            client_side
        );
        relayed.unwrap();
        assert_eq!(got, b"bye");
        assert_eq!(
            segments, 1,
            "the bytes and the FIN came in separate segments"
        );
    }

    #[tokio::test]
    async fn auto_splices_only_the_bulk_direction() {
        let (relayed, meter, reply) = run(CopyMode::Auto, 4 << 20).await;
        assert_eq!(reply, b"thanks");
        let bulk = if cfg!(target_os = "linux") {
            Path::Spliced
        } else {
            Path::Buffered
        };
        assert_eq!(
            relayed,
            Relayed {
                to_backend: bulk,
                to_client: Path::Buffered
            }
        );
        assert_eq!(meter.forwarder.values().bytes_in, 4 << 20);
        assert_eq!(meter.backend.values().bytes_out, 6);
    }

    #[tokio::test]
    async fn auto_keeps_small_messages_buffered() {
        let (relayed, meter, reply) = run(CopyMode::Auto, 100).await;
        assert_eq!(reply, b"thanks");
        assert_eq!(relayed, Relayed::both(Path::Buffered));
        assert_eq!(meter.progress.load(Ordering::Relaxed), 106);
    }

    #[tokio::test]
    async fn fixed_modes_say_how_they_moved_bytes() {
        for (mode, path) in [
            (CopyMode::Buffered, Path::Buffered),
            #[cfg(target_os = "linux")]
            (CopyMode::Splice, Path::Spliced),
        ] {
            let (relayed, _, reply) = run(mode, 1 << 20).await;
            assert_eq!(reply, b"thanks", "{mode:?}");
            assert_eq!(relayed, Relayed::both(path), "{mode:?}");
        }
    }
}
