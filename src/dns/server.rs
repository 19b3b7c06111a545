//! Sockets and threads: on each listen address, one SO_REUSEPORT UDP socket
//! per core, each served by its own thread with a blocking receive loop
//! (`dns::udp`: two system calls per query, no event loop), plus one TCP
//! listener served by our own loop (`dns::tcp`: connection limits,
//! timeouts, bounded memory) on a thread with a current-thread runtime. With port 0 every socket of an address shares the port the
//! first one got.
//!
//! [`DnsServer::rebind`] moves the listeners when a reload changes
//! `[dns] listen`: kept addresses keep their sockets and threads, new ones
//! serve before removed ones close.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use socket2::{Domain, Protocol as SockProtocol, Socket, Type};
use tokio::sync::watch;

use crate::dns::handler::DnsHandler;
use crate::dns::tcp::TcpLimits;
#[cfg(not(target_os = "linux"))]
use crate::dns::udp::serve as serve_udp;
#[cfg(target_os = "linux")]
use crate::dns::udp_batch::serve as serve_udp;

/// The running DNS listeners; dropping it does not stop them, [`DnsServer::shutdown`] does.
#[derive(Debug)]
pub struct DnsServer {
    handler: DnsHandler,
    tcp: TcpLimits,
    per_address: usize,
    /// In the order of the listen addresses.
    listeners: Vec<AddressListener>,
}

/// The sockets and threads of one listen address.
#[derive(Debug)]
struct AddressListener {
    /// As configured (port 0 stays 0, so an unchanged address compares equal).
    configured: SocketAddr,
    bound: SocketAddr,
    threads: Vec<JoinHandle<()>>,
    stop_tcp: watch::Sender<bool>,
    stop_udp: Arc<AtomicBool>,
}

/// A listen address that could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for DNS on {addr}: {source}")]
pub struct ListenError {
    pub addr: SocketAddr,
    pub source: io::Error,
}

impl DnsServer {
    /// Binds every address (UDP and TCP on the same port) and starts serving.
    pub fn start(
        listen: &[SocketAddr],
        handler: DnsHandler,
        tcp: TcpLimits,
        threads_per_address: usize,
    ) -> Result<Self, ListenError> {
        let mut server = Self {
            handler,
            tcp,
            per_address: threads_per_address.max(1),
            listeners: Vec::new(),
        };
        server.rebind(listen)?;
        Ok(server)
    }

    /// Moves to `listen`: addresses kept keep their sockets, new addresses
    /// are bound and serving before removed ones close (a removed address
    /// answers the queries it already received). When a new address cannot
    /// be bound, nothing changes.
    pub fn rebind(&mut self, listen: &[SocketAddr]) -> Result<(), ListenError> {
        let mut started = Vec::new();
        for &addr in listen {
            if self.listeners.iter().any(|l| l.configured == addr)
                || started
                    .iter()
                    .any(|l: &AddressListener| l.configured == addr)
            {
                continue;
            }
            match self.start_address(addr) {
                Ok(listener) => started.push(listener),
                Err(source) => {
                    for listener in started {
                        let _ = listener.stop();
                    }
                    return Err(ListenError { addr, source });
                }
            }
        }
        let mut old = std::mem::take(&mut self.listeners);
        for &addr in listen {
            let from = |l: &AddressListener| l.configured == addr;
            if let Some(i) = old.iter().position(from) {
                self.listeners.push(old.swap_remove(i));
            } else if let Some(i) = started.iter().position(from) {
                self.listeners.push(started.swap_remove(i));
            }
        }
        // Removed addresses: their threads end on their own within moments.
        for listener in old {
            let _ = listener.stop();
        }
        Ok(())
    }

    /// The bound address of each listen address (ports resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|l| l.bound).collect()
    }

    /// Stops every listener and waits for the threads.
    pub fn shutdown(self) {
        let threads: Vec<_> = self
            .listeners
            .into_iter()
            .flat_map(AddressListener::stop)
            .collect();
        for thread in threads {
            let _ = thread.join();
        }
    }

    /// Binds `addr` and starts its UDP threads and its TCP thread.
    fn start_address(&self, addr: SocketAddr) -> io::Result<AddressListener> {
        let (udp, tcp, bound) = bind_address(addr, self.per_address)?;
        let (stop_tcp, stop_rx) = watch::channel(false);
        let mut listener = AddressListener {
            configured: addr,
            bound,
            threads: Vec::new(),
            stop_tcp,
            stop_udp: Arc::new(AtomicBool::new(false)),
        };
        for (i, socket) in udp.into_iter().enumerate() {
            let handler = self.handler.clone();
            let stop = listener.stop_udp.clone();
            let thread = std::thread::Builder::new()
                .name(format!("dns-udp-{bound}-{i}"))
                .spawn(move || serve_udp(socket, &handler, &stop));
            match thread {
                Ok(thread) => listener.threads.push(thread),
                Err(e) => {
                    listener.stop();
                    return Err(e);
                }
            }
        }
        let handler = self.handler.clone();
        let limits = self.tcp;
        let thread = std::thread::Builder::new()
            .name(format!("dns-tcp-{bound}"))
            .spawn(move || serve_tcp(tcp, handler, limits, stop_rx));
        match thread {
            Ok(thread) => listener.threads.push(thread),
            Err(e) => {
                listener.stop();
                return Err(e);
            }
        }
        Ok(listener)
    }
}

impl AddressListener {
    /// Tells every thread to stop; returns them to be joined (or not).
    fn stop(self) -> Vec<JoinHandle<()>> {
        self.stop_udp.store(true, Ordering::Relaxed);
        let _ = self.stop_tcp.send(true);
        self.threads
    }
}

/// The TCP thread of one address: our loop on a current-thread runtime.
fn serve_tcp(
    tcp: std::net::TcpListener,
    handler: DnsHandler,
    limits: TcpLimits,
    stop: watch::Receiver<bool>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the DNS TCP runtime");
            return;
        }
    };
    runtime.block_on(async move {
        match tokio::net::TcpListener::from_std(tcp) {
            Ok(listener) => crate::dns::tcp::serve(listener, handler, limits, stop).await,
            Err(e) => tracing::error!(error = %e, "cannot register a TCP listener"),
        }
    });
}

/// Binds `count` UDP sockets and one TCP listener on the same port.
fn bind_address(
    addr: SocketAddr,
    count: usize,
) -> io::Result<(Vec<std::net::UdpSocket>, std::net::TcpListener, SocketAddr)> {
    let mut last_error = None;
    // A fixed port is shared with SO_REUSEPORT, so that a reload can bind
    // 0.0.0.0:53 while 127.0.0.1:53 still serves (the kernel gives each
    // query to the most specific socket).
    let fixed = addr.port() != 0;
    // With port 0 the TCP port may be taken by someone else: try a few ports.
    for _ in 0..8 {
        let first = udp_socket(addr, count > 1 || fixed)?;
        let bound = first.local_addr()?;
        let tcp = match tcp_listener(bound, fixed) {
            Ok(l) => l,
            Err(e) if addr.port() == 0 => {
                last_error = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut sockets = vec![first];
        for _ in 1..count {
            sockets.push(udp_socket(bound, true)?);
        }
        return Ok((sockets, tcp, bound));
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free port")))
}

fn udp_socket(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::DGRAM,
        Some(SockProtocol::UDP),
    )?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    // Not fatal: answers then follow the kernel's default.
    if let Err(e) = super::path_mtu::omit_discovery(&socket, addr.is_ipv6()) {
        tracing::warn!(%addr, error = %e, "cannot turn path MTU discovery off");
    }
    // A larger buffer rides out bursts; the kernel may cap it, which is fine.
    let _ = socket.set_recv_buffer_size(4 << 20);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

fn tcp_listener(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM,
        Some(SockProtocol::TCP),
    )?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn udp_sockets_ignore_learned_path_mtus() {
        let socket = udp_socket("127.0.0.1:0".parse().unwrap(), false).unwrap();
        let value = crate::dns::path_mtu::discovery(&socket, false);
        assert_eq!(value, libc::IP_PMTUDISC_OMIT);
    }
}
