//! The forwarders' threads: one OS thread per core, each driving its own
//! current-thread tokio runtime, and the `SO_REUSEPORT` listeners that give
//! every thread its own accept queue on a forwarder's address.
//!
//! Invariant: a connection lives on the thread that accepted it — its
//! session task is spawned on that thread's runtime and never migrates — so
//! relaying never wakes another thread (HAProxy's and nginx's model; it
//! measured faster than the work-stealing runtime in `benches/forwarder.sh`).
//! Threads start with the first listener and stop (their tasks dropped) when
//! the [`Workers`] is dropped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// Backlog of each listening socket.
const BACKLOG: i32 = 4096;

/// A fixed set of single-threaded runtimes.
#[derive(Debug)]
pub struct Workers {
    count: usize,
    running: Vec<Worker>,
}

#[derive(Debug)]
struct Worker {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Workers {
    /// `count` threads (at least one), started on first use.
    pub fn new(count: usize) -> Self {
        Self {
            count: count.max(1),
            running: Vec::new(),
        }
    }

    /// `ALWAYSON_FORWARDER_THREADS` if set to a positive number, else one
    /// per available core.
    pub fn count_from_env() -> usize {
        std::env::var("ALWAYSON_FORWARDER_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Binds one listener per thread on `addr` (all on the same port when
    /// `addr` has port 0) and runs `serve(listener)` on each thread; returns
    /// the bound address and the tasks, which stop when aborted.
    pub fn listen<F, Fut>(
        &mut self,
        addr: SocketAddr,
        serve: F,
    ) -> io::Result<(SocketAddr, Vec<tokio::task::JoinHandle<()>>)>
    where
        F: Fn(tokio::net::TcpListener) -> Fut + Send + Clone + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.start()?;
        let reuse_port = self.count > 1;
        let first = tcp_listener(addr, reuse_port)?;
        let local = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..self.count {
            listeners.push(tcp_listener(local, reuse_port)?);
        }
        let tasks = listeners
            .into_iter()
            .zip(&self.running)
            .map(|(listener, worker)| {
                let serve = serve.clone();
                worker.handle.spawn(async move {
                    // from_std registers with the reactor of the runtime it runs on.
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener).await,
                        Err(e) => {
                            tracing::error!(error = %e, "cannot register a forwarder listener")
                        }
                    }
                })
            })
            .collect();
        Ok((local, tasks))
    }

    fn start(&mut self) -> io::Result<()> {
        while self.running.len() < self.count {
            let index = self.running.len();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("forwarder-{index}"))
                .spawn(move || {
                    // Either a stop or a dropped sender ends the thread;
                    // dropping the runtime then drops every task on it.
                    let _ = runtime.block_on(stopped);
                })?;
            self.running.push(Worker {
                handle,
                stop: Some(stop),
                thread: Some(thread),
            });
        }
        Ok(())
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for worker in &mut self.running {
            if let Some(stop) = worker.stop.take() {
                let _ = stop.send(());
            }
        }
        for worker in &mut self.running {
            if let Some(thread) = worker.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

fn tcp_listener(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    // Linux copies TCP_NODELAY to accepted sockets, which saves a
    // setsockopt per connection (see `session::run`).
    socket.set_tcp_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}
