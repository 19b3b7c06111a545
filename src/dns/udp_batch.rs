//! Linux: the UDP loop in batches. One `recvmmsg` (nix's safe wrapper,
//! `MSG_WAITFORONE`: it waits for the first datagram, then takes whatever
//! else is already queued, up to [`BATCH`]) fills one buffer per datagram;
//! each is answered in turn into the outbox, and the answers leave in one
//! `sendmmsg`. Under load that is two system calls per batch instead of
//! two per query; when queries trickle in, a batch is one datagram and the
//! cost is what one-by-one costs. The batch sizes are counted
//! (`alwayson_udp_receive_batch_size`).
//!
//! `sendmmsg` is a raw `libc` call (nix's wrapper reads uninitialised
//! addresses when its results are counted): every pointer in the headers
//! points into vectors owned by [`Sender`] or into the queued answers,
//! none of which moves or is dropped during the call.

#![allow(unsafe_code)]

use std::io::{self, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg};
use socket2::SockAddr;

use crate::dns::handler::DnsHandler;
use crate::dns::udp::{Outbox, Queued, RECEIVE_BUFFER, answer, configure};

/// The most datagrams one receive (and one send) handles.
pub const BATCH: usize = 32;

/// Serves `socket` until `stop` is set.
pub fn serve(socket: UdpSocket, handler: &DnsHandler, stop: &AtomicBool) {
    if !configure(&socket) {
        return;
    }
    let fd = socket.as_raw_fd();
    let mut buffers: Box<Buffers> = Box::new([[0u8; RECEIVE_BUFFER]; BATCH]);
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    let mut received = Vec::with_capacity(BATCH);
    let outbox = Outbox::default();
    let mut sender = Sender::default();
    while !stop.load(Ordering::Relaxed) {
        received.clear();
        // Timeouts (to look at `stop`) and ICMP errors from earlier sends
        // both surface as errors here; neither is ours to act on.
        let Ok(count) = receive(fd, &mut buffers, &mut headers, &mut received) else {
            continue;
        };
        handler.metrics().udp_batches.record(count);
        for &(i, len, src) in &received {
            answer(&buffers[i][..len], src, handler, &outbox);
        }
        outbox.drain(|queued| sender.send_all(fd, queued));
    }
}

/// One receive buffer per datagram of a batch.
type Buffers = [[u8; RECEIVE_BUFFER]; BATCH];

/// One `recvmmsg` into `buffers`: pushes (buffer index, length, source) of
/// every datagram with an IP source and returns how many arrived. The
/// buffers' slices are an array on the stack: a batch allocates nothing.
fn receive(
    fd: RawFd,
    buffers: &mut Buffers,
    headers: &mut MultiHeaders<SockaddrStorage>,
    received: &mut Vec<(usize, usize, SocketAddr)>,
) -> nix::Result<usize> {
    let mut slices: [[IoSliceMut<'_>; 1]; BATCH] = buffers.each_mut().map(|b| [IoSliceMut::new(b)]);
    let results = recvmmsg(
        fd,
        headers,
        slices.iter_mut(),
        MsgFlags::MSG_WAITFORONE,
        None,
    )?;
    let mut count = 0;
    for (i, message) in results.enumerate() {
        count += 1;
        if let Some(src) = message.address.as_ref().and_then(socket_addr) {
            received.push((i, message.bytes, src));
        }
    }
    Ok(count)
}

fn socket_addr(addr: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    addr.as_sockaddr_in6().map(|v6| SocketAddr::from(*v6))
}

/// The vectors a `sendmmsg` call points into, kept between batches so that
/// sending allocates nothing once they have grown to a batch.
#[derive(Default)]
struct Sender {
    addrs: Vec<SockAddr>,
    iovs: Vec<libc::iovec>,
    headers: Vec<libc::mmsghdr>,
}

impl Sender {
    /// Sends every queued answer, [`BATCH`] per call. A datagram the
    /// kernel refuses (the error is about that one alone, such as an
    /// unreachable destination) is skipped, as a failed `sendto` was.
    fn send_all(&mut self, fd: RawFd, queued: &[Queued]) {
        let mut start = 0;
        while start < queued.len() {
            let end = (start + BATCH).min(queued.len());
            match self.send(fd, &queued[start..end]) {
                Ok(sent) if sent > 0 => start += sent,
                _ => start += 1,
            }
        }
    }

    /// One `sendmmsg` of `batch`; how many datagrams the kernel took.
    fn send(&mut self, fd: RawFd, batch: &[Queued]) -> io::Result<usize> {
        self.addrs.clear();
        self.iovs.clear();
        self.headers.clear();
        self.addrs
            .extend(batch.iter().map(|(_, dst)| SockAddr::from(*dst)));
        self.iovs.extend(batch.iter().map(|(bytes, _)| libc::iovec {
            iov_base: bytes.as_ptr().cast_mut().cast(),
            iov_len: bytes.len(),
        }));
        for (addr, iov) in self.addrs.iter().zip(self.iovs.iter_mut()) {
            // SAFETY: mmsghdr is a plain C struct of integers and pointers,
            // for which all zeroes (null pointers, zero lengths) is valid.
            let mut header: libc::mmsghdr = unsafe { std::mem::zeroed() };
            header.msg_hdr.msg_name = addr.as_ptr().cast_mut().cast();
            header.msg_hdr.msg_namelen = addr.len();
            header.msg_hdr.msg_iov = iov;
            header.msg_hdr.msg_iovlen = 1;
            self.headers.push(header);
        }
        let count = libc::c_uint::try_from(self.headers.len()).unwrap_or(0);
        // SAFETY: `fd` is the socket our caller borrows for the whole loop;
        // each header points at one address in `self.addrs` and one iovec in
        // `self.iovs` (which points into `batch`, only read by the kernel),
        // none of them moved or dropped before the call returns; `count` is
        // the number of headers.
        let sent = unsafe { libc::sendmmsg(fd, self.headers.as_mut_ptr(), count, 0) };
        usize::try_from(sent).map_err(|_| io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_reaches_every_destination_in_one_call() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let clients: Vec<UdpSocket> = (0..3)
            .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
            .collect();
        let queued: Vec<Queued> = clients
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    vec![u8::try_from(i).unwrap(); 10 + i],
                    c.local_addr().unwrap(),
                )
            })
            .collect();
        let mut sender = Sender::default();
        assert_eq!(sender.send(server.as_raw_fd(), &queued).unwrap(), 3);
        for (i, client) in clients.iter().enumerate() {
            let mut buf = [0u8; 64];
            let (len, from) = client.recv_from(&mut buf).unwrap();
            assert_eq!((len, from), (10 + i, server.local_addr().unwrap()));
            assert!(buf[..len].iter().all(|&b| usize::from(b) == i));
        }
    }

    #[test]
    fn one_receive_takes_every_queued_datagram() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..5u8 {
            client
                .send_to(&[i; 20], server.local_addr().unwrap())
                .unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut buffers: Box<Buffers> = Box::new([[0u8; RECEIVE_BUFFER]; BATCH]);
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
        let mut received = Vec::new();
        let count = receive(
            server.as_raw_fd(),
            &mut buffers,
            &mut headers,
            &mut received,
        )
        .unwrap();
        assert_eq!(count, 5);
        for (n, &(i, len, src)) in received.iter().enumerate() {
            assert_eq!((i, len, src), (n, 20, client.local_addr().unwrap()));
            assert_eq!(buffers[i][0], u8::try_from(n).unwrap());
        }
    }
}
