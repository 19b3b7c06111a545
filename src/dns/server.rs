//! Sockets and threads: on each listen address, one SO_REUSEPORT UDP socket
//! per core, each served by its own thread with a blocking receive loop
//! (`dns::udp`: two system calls per query, no event loop), plus one TCP
//! listener served by hickory's `Server` on a thread with a current-thread
//! runtime. With port 0 every socket of an address shares the port the
//! first one got.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use hickory_server::Server;
use socket2::{Domain, Protocol as SockProtocol, Socket, Type};
use tokio::sync::watch;

use crate::dns::handler::DnsHandler;

/// Messages queued per TCP connection (hickory's response queue).
const TCP_RESPONSE_QUEUE: usize = 32;

/// The running DNS listeners; dropping it does not stop them, [`DnsServer::shutdown`] does.
#[derive(Debug)]
pub struct DnsServer {
    threads: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    stop_udp: Arc<AtomicBool>,
    local_addrs: Vec<SocketAddr>,
}

impl DnsServer {
    /// Binds every address (UDP and TCP on the same port) and starts serving.
    pub fn start(
        listen: &[SocketAddr],
        handler: DnsHandler,
        tcp_idle_timeout: Duration,
        threads_per_address: usize,
    ) -> io::Result<Self> {
        let (stop, stop_rx) = watch::channel(false);
        let stop_udp = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        let mut local_addrs = Vec::new();
        let per_address = threads_per_address.max(1);
        for &addr in listen {
            let (udp, tcp, bound) = bind_address(addr, per_address)?;
            local_addrs.push(bound);
            for (i, socket) in udp.into_iter().enumerate() {
                let handler = handler.clone();
                let stop = stop_udp.clone();
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("dns-udp-{bound}-{i}"))
                        .spawn(move || crate::dns::udp::serve(socket, &handler, &stop))?,
                );
            }
            let handler = handler.clone();
            let mut stop_rx = stop_rx.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("dns-tcp-{bound}"))
                    .spawn(move || {
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
                            // TCP stays with hickory's server: connection handling,
                            // idle timeout and pipelining are its strengths.
                            let mut server = Server::new(handler);
                            match tokio::net::TcpListener::from_std(tcp) {
                                Ok(l) => server.register_listener(
                                    l,
                                    tcp_idle_timeout,
                                    TCP_RESPONSE_QUEUE,
                                ),
                                Err(e) => {
                                    tracing::error!(error = %e, "cannot register a TCP listener");
                                }
                            }
                            tokio::select! {
                                result = server.block_until_done() => {
                                    if let Err(e) = result {
                                        tracing::error!(error = %e, "DNS TCP listener stopped");
                                    }
                                }
                                _ = stop_rx.wait_for(|stopped| *stopped) => {}
                            }
                            let _ = server.shutdown_gracefully().await;
                        });
                    })?,
            );
        }
        Ok(Self {
            threads,
            stop,
            stop_udp,
            local_addrs,
        })
    }

    /// The bound address of each listen address (ports resolved).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Stops every listener and waits for the threads.
    pub fn shutdown(self) {
        self.stop_udp.store(true, Ordering::Relaxed);
        let _ = self.stop.send(true);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// Binds `count` UDP sockets and one TCP listener on the same port.
fn bind_address(
    addr: SocketAddr,
    count: usize,
) -> io::Result<(Vec<std::net::UdpSocket>, std::net::TcpListener, SocketAddr)> {
    let mut last_error = None;
    // With port 0 the TCP port may be taken by someone else: try a few ports.
    for _ in 0..8 {
        let first = udp_socket(addr, count > 1)?;
        let bound = first.local_addr()?;
        let tcp = match tcp_listener(bound) {
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
    // A larger buffer rides out bursts; the kernel may cap it, which is fine.
    let _ = socket.set_recv_buffer_size(4 << 20);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

fn tcp_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM,
        Some(SockProtocol::TCP),
    )?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}
