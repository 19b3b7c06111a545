//! `splice(2)`: socket → pipe → socket inside the kernel, so relayed bytes
//! never enter user space (Linux only).
//!
//! Invariant: a pipe is drained before the next read into it, so a
//! would-block on a read only ever means "socket not readable" and one on a
//! write "socket not writable"; the raw descriptors passed to the kernel are
//! borrowed from values that outlive each call.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use tokio::io::Interest;
use tokio::net::TcpStream;

/// Pipe capacity asked for; the kernel may give less
/// (`/proc/sys/fs/pipe-max-size`), and then we use what it gives.
const PIPE_SIZE: i32 = 256 * 1024;

/// One direction's pipe: both ends non-blocking and close-on-exec, closed
/// when it is dropped.
pub struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    capacity: usize,
}

impl Pipe {
    pub fn new() -> io::Result<Self> {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both fds are open and now owned only here.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // SAFETY: fcntl with F_SETPIPE_SZ/F_GETPIPE_SZ takes and returns plain
        // ints on an fd we own and keep open; a failure only leaves the default
        // size (F_GETPIPE_SZ then reports it, or -1, handled below).
        let capacity = unsafe {
            libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE_SIZE);
            libc::fcntl(write.as_raw_fd(), libc::F_GETPIPE_SZ)
        };
        let capacity = usize::try_from(capacity).unwrap_or(0).max(4096);
        Ok(Self {
            read,
            write,
            capacity,
        })
    }
}

/// Moves `from`'s bytes to `to` until `from` sends EOF; what the EOF
/// means for `to` is the caller's to decide.
pub async fn splice_until_eof(
    from: &TcpStream,
    to: &TcpStream,
    pipe: &Pipe,
    count: impl Fn(usize),
) -> io::Result<()> {
    loop {
        // The pipe is empty here, so EAGAIN can only mean "socket not readable".
        let n = loop {
            from.readable().await?;
            match from.try_io(Interest::READABLE, || {
                splice(from.as_raw_fd(), pipe.write.as_raw_fd(), pipe.capacity)
            }) {
                Ok(n) => break n,
                Err(e) if retry(&e) => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(());
        }
        count(n);
        let mut left = n;
        while left > 0 {
            to.writable().await?;
            match to.try_io(Interest::WRITABLE, || {
                splice(pipe.read.as_raw_fd(), to.as_raw_fd(), left)
            }) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(m) => left -= m,
                Err(e) if retry(&e) => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: `from` and `to` are fds of a socket or pipe borrowed from
    // values that stay alive for the call; splice touches no user memory,
    // and null offsets are what it requires for sockets and pipes.
    let n = unsafe {
        libc::splice(
            from,
            std::ptr::null_mut(),
            to,
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}
