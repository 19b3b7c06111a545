//! The L4 forwarder end to end: real echo backends on 127.0.0.1:0, real
//! clients, health changes published to the snapshot store as the updater
//! would. Each backend greets a connection with its one-byte id, echoes, and
//! on EOF writes `BYE` and closes, which makes half-close observable.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use alwayson::forwarder::{
    BackendConfig, Balance, CopyMode, ForwarderConfig, Forwarders, WhenAllDown, proxy_v2,
};
use alwayson::health::{CheckStatus, HealthView};
use alwayson::table::{Snapshot, SnapshotStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

const BOUND: Duration = Duration::from_secs(5);

struct Backend {
    addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl Backend {
    async fn start(id: u8) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    conn.write_all(&[id]).await?;
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = conn.read(&mut buf).await?;
                        if n == 0 {
                            conn.write_all(b"BYE").await?;
                            return conn.shutdown().await;
                        }
                        conn.write_all(&buf[..n]).await?;
                    }
                });
            }
        });
        Self { addr, accept }
    }

    /// Closes the listener: new connects are refused, open ones go on.
    /// Waits until the aborted accept task has dropped the listener: abort
    /// alone only asks, and a connect in between would still be accepted.
    async fn kill(&mut self) {
        self.accept.abort();
        let _ = (&mut self.accept).await;
    }
}

fn config(backends: &[&Backend], balance: Balance) -> ForwarderConfig {
    ForwarderConfig {
        name: "web".into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        balance,
        connect_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_secs(60),
        drain_timeout: Duration::from_secs(30),
        max_connections: 100,
        proxy_protocol: false,
        when_all_down: WhenAllDown::Open,
        backends: backends
            .iter()
            .enumerate()
            .map(|(i, b)| BackendConfig {
                address: b.addr,
                weight: 1,
                health_check: Some(format!("b{i}").into()),
            })
            .collect(),
    }
}

fn store() -> Arc<SnapshotStore> {
    Arc::new(SnapshotStore::new(Snapshot::default()))
}

/// Publishes a snapshot in which exactly the `unhealthy` checks are down.
fn publish_unhealthy(store: &SnapshotStore, unhealthy: &[&str]) {
    let mut health = HealthView::default();
    for id in unhealthy {
        let status = CheckStatus {
            healthy: false,
            since: SystemTime::now(),
        };
        health.set((*id).into(), status);
    }
    store.publish(Snapshot {
        health: Arc::new(health),
        ..Snapshot::default()
    });
}

async fn start(config: ForwarderConfig, store: &Arc<SnapshotStore>) -> (Forwarders, SocketAddr) {
    start_with(config, store, CopyMode::default()).await
}

async fn start_with(
    config: ForwarderConfig,
    store: &Arc<SnapshotStore>,
    copy: CopyMode,
) -> (Forwarders, SocketAddr) {
    let mut forwarders = Forwarders::with_copy_mode(Arc::clone(store), copy);
    let errors = forwarders.apply(&[config]).await;
    assert!(errors.is_empty(), "{errors:?}");
    let addr = forwarders.local_addrs()[0].1;
    (forwarders, addr)
}

/// Connects from `source` (any 127/8 address) and returns the stream and
/// the id of the backend that greeted it.
async fn open_from(source: Ipv4Addr, addr: SocketAddr) -> (TcpStream, u8) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    let mut stream = timeout(BOUND, socket.connect(addr)).await.unwrap().unwrap();
    let id = timeout(BOUND, stream.read_u8())
        .await
        .expect("greeting in time");
    (stream, id.expect("a backend greeting, not EOF"))
}

async fn open(addr: SocketAddr) -> (TcpStream, u8) {
    open_from(Ipv4Addr::LOCALHOST, addr).await
}

async fn who(addr: SocketAddr) -> u8 {
    open(addr).await.1
}

async fn counts(addr: SocketAddr, connections: usize, backends: usize) -> Vec<usize> {
    let mut counts = vec![0; backends];
    for _ in 0..connections {
        counts[usize::from(who(addr).await)] += 1;
    }
    counts
}

/// Reads until EOF; returns what came and how long EOF took.
async fn read_to_eof(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    timeout(BOUND, stream.read_to_end(&mut got))
        .await
        .expect("EOF in time")
        .unwrap();
    (got, started.elapsed())
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + BOUND;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "condition not reached in {BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn echoes(stream: &mut TcpStream, payload: &[u8]) -> bool {
    if stream.write_all(payload).await.is_err() {
        return false;
    }
    let mut back = vec![0; payload.len()];
    matches!(
        timeout(BOUND, stream.read_exact(&mut back)).await,
        Ok(Ok(_))
    ) && back == payload
}

#[tokio::test]
async fn round_robin_and_weighted_distribute_exactly() {
    let (b0, b1, b2) = (
        Backend::start(0).await,
        Backend::start(1).await,
        Backend::start(2).await,
    );
    let store = store();
    let (_f, addr) = start(config(&[&b0, &b1, &b2], Balance::RoundRobin), &store).await;
    assert_eq!(counts(addr, 30, 3).await, vec![10, 10, 10]);

    let mut weighted = config(&[&b0, &b1, &b2], Balance::Weighted);
    weighted.backends[0].weight = 3;
    let (_f, addr) = start(weighted, &store).await;
    assert_eq!(counts(addr, 50, 3).await, vec![30, 10, 10]);
}

#[tokio::test]
async fn least_conn_and_random_two_fill_the_emptier_backend() {
    let (b0, b1) = (Backend::start(0).await, Backend::start(1).await);
    let store = store();
    for balance in [Balance::LeastConn, Balance::RandomTwo] {
        // Held connections: each new one goes to the backend with fewer, so
        // the two never differ by more than one.
        let (f, addr) = start(config(&[&b0, &b1], balance), &store).await;
        let mut held = Vec::new();
        let mut per_backend = [0i32; 2];
        for _ in 0..6 {
            let (stream, id) = open(addr).await;
            per_backend[usize::from(id)] += 1;
            assert!(
                (per_backend[0] - per_backend[1]).abs() <= 1,
                "{balance:?}: {per_backend:?}"
            );
            held.push((stream, id));
        }
        assert_eq!(per_backend, [3, 3], "{balance:?}");
        // b0's connections end: the next ones all go to b0 (round robin would alternate)
        held.retain(|(_, id)| *id == 1);
        wait_until(|| f.stats()[0].backends[0].counters.active == 0).await;
        let mut next = Vec::new();
        for _ in 0..3 {
            let (stream, id) = open(addr).await;
            assert_eq!(id, 0, "{balance:?}");
            next.push(stream);
        }
    }
    // with nothing held, random_two still spreads
    let b2 = Backend::start(2).await;
    let (_f, addr) = start(config(&[&b0, &b1, &b2], Balance::RandomTwo), &store).await;
    assert!(counts(addr, 60, 3).await.iter().all(|&n| n > 0));
}

#[tokio::test]
async fn ip_hash_is_sticky_and_a_lost_backend_moves_only_its_clients() {
    let mut backends = [
        Backend::start(0).await,
        Backend::start(1).await,
        Backend::start(2).await,
        Backend::start(3).await,
    ];
    let store = store();
    let refs: Vec<&Backend> = backends.iter().collect();
    let (_f, addr) = start(config(&refs, Balance::IpHash), &store).await;
    let clients: Vec<Ipv4Addr> = (10..70).map(|i| Ipv4Addr::new(127, 0, 0, i)).collect();
    let mut first = Vec::new();
    for &c in &clients {
        first.push(open_from(c, addr).await.1);
    }
    for (&c, &was) in clients.iter().zip(&first) {
        assert_eq!(open_from(c, addr).await.1, was, "client {c} is not sticky");
    }
    let used: std::collections::HashSet<u8> = first.iter().copied().collect();
    assert!(used.len() >= 3, "60 clients used only {used:?}");

    let lost = first[0];
    backends[usize::from(lost)].kill().await;
    publish_unhealthy(&store, &[&format!("b{lost}")]);
    for (&c, &was) in clients.iter().zip(&first) {
        let now = open_from(c, addr).await.1;
        if was == lost {
            assert_ne!(now, lost);
        } else {
            assert_eq!(now, was, "client {c} moved although its backend is up");
        }
    }
}

#[tokio::test]
async fn a_dead_backend_never_fails_a_new_connection() {
    let (mut b0, b1) = (Backend::start(0).await, Backend::start(1).await);
    let store = store();
    let (f, addr) = start(config(&[&b0, &b1], Balance::RoundRobin), &store).await;

    // health still says healthy, but connects fail: retried on the next backend
    b0.kill().await;
    assert_eq!(counts(addr, 10, 2).await, vec![0, 10]);
    let failed = f.stats()[0].backends[0].counters.failed_connects;
    assert!(failed >= 5, "failed connects counted: {failed}");

    // the checker catches up: b0 is not even tried any more
    publish_unhealthy(&store, &["b0"]);
    assert_eq!(counts(addr, 10, 2).await, vec![0, 10]);
    assert_eq!(f.stats()[0].backends[0].counters.failed_connects, failed);
    assert!(!f.stats()[0].backends[0].healthy);
}

/// An address whose connects hang: a listener with a full accept queue
/// drops new SYNs. Keep the returned sockets alive while it is used.
fn black_hole() -> (SocketAddr, socket2::Socket, std::net::TcpStream) {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let filler = std::net::TcpStream::connect(addr).unwrap();
    (addr, listener, filler)
}

#[tokio::test]
async fn a_hanging_connect_gives_up_at_connect_timeout_and_the_request_moves_on() {
    let b1 = Backend::start(1).await;
    let (hole, _listener, _filler) = black_hole();
    let mut cfg = config(&[&b1, &b1], Balance::RoundRobin);
    cfg.backends[0].address = hole;
    cfg.connect_timeout = Duration::from_millis(300);
    let store = store();
    let (f, addr) = start(cfg, &store).await;

    for request in [&b"sent at once"[..], b"sent later"] {
        let started = Instant::now();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let at_once = request.starts_with(b"sent at once");
        if at_once {
            // before the backend is even chosen: it travels with the connect
            client.write_all(request).await.unwrap();
        }
        let id = timeout(BOUND, client.read_u8()).await.unwrap().unwrap();
        assert_eq!(id, 1);
        if !at_once {
            client.write_all(request).await.unwrap();
        }
        let mut back = vec![0; request.len()];
        timeout(BOUND, client.read_exact(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, request, "the request reached b1 once and whole");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
            "gave up on the hanging backend after {waited:?}"
        );
    }
    let stats = &f.stats()[0];
    assert_eq!(stats.backends[0].counters.failed_connects, 2);
    assert_eq!(
        stats.counters.bytes_in,
        (b"sent at once".len() + b"sent later".len()) as u64
    );
}

#[tokio::test]
async fn all_down_fails_open_unless_refused() {
    let (b0, b1) = (Backend::start(0).await, Backend::start(1).await);
    let store = store();
    publish_unhealthy(&store, &["b0", "b1"]);
    let (_f, addr) = start(config(&[&b0, &b1], Balance::RoundRobin), &store).await;
    assert_eq!(counts(addr, 4, 2).await, vec![2, 2]);

    let mut refuse = config(&[&b0, &b1], Balance::RoundRobin);
    refuse.when_all_down = WhenAllDown::Refuse;
    let (f, addr) = start(refuse, &store).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    let (got, _) = read_to_eof(&mut client).await;
    assert!(got.is_empty());
    assert_eq!(f.stats()[0].refused, 1);
}

#[tokio::test]
async fn max_connections_waits_briefly_then_refuses() {
    let b0 = Backend::start(0).await;
    let store = store();
    let mut limited = config(&[&b0], Balance::RoundRobin);
    limited.max_connections = 2;
    let (f, addr) = start(limited, &store).await;
    let (first, _) = open(addr).await;
    let (_second, _) = open(addr).await;

    // a slot frees within the wait: the third connection is served
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(first);
    });
    let started = Instant::now();
    let (_third, id) = open(addr).await;
    assert_eq!(id, 0);
    assert!(started.elapsed() >= Duration::from_millis(250));
    releaser.await.unwrap();

    // no slot frees: closed after about a second
    let mut fourth = TcpStream::connect(addr).await.unwrap();
    let (got, waited) = read_to_eof(&mut fourth).await;
    assert!(got.is_empty());
    assert!(
        waited >= Duration::from_millis(900),
        "refused after {waited:?}"
    );
    let stats = &f.stats()[0];
    assert_eq!((stats.refused, stats.counters.active), (1, 2));
}

#[tokio::test]
async fn idle_connections_close_and_busy_ones_stay() {
    let b0 = Backend::start(0).await;
    let store = store();
    let mut short = config(&[&b0], Balance::RoundRobin);
    short.idle_timeout = Duration::from_millis(300);
    for copy in [CopyMode::Auto, CopyMode::Splice, CopyMode::Buffered] {
        let (_f, addr) = start_with(short.clone(), &store, copy).await;
        let (mut idle, _) = open(addr).await;
        let (mut busy, _) = open(addr).await;
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(
                echoes(&mut busy, b"ping").await,
                "{copy:?}: busy connection cut"
            );
        }
        let (got, _) = read_to_eof(&mut idle).await;
        assert!(got.is_empty(), "{copy:?}");
    }
}

#[tokio::test]
async fn half_close_and_bulk_data_flow_in_every_copy_mode() {
    let b0 = Backend::start(0).await;
    let store = store();
    let payload: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
    for copy in [CopyMode::Auto, CopyMode::Splice, CopyMode::Buffered] {
        let (f, addr) = start_with(config(&[&b0], Balance::RoundRobin), &store, copy).await;
        let (client, _) = open(addr).await;
        let (mut reader, mut writer) = client.into_split();
        let sent = payload.clone();
        let write = tokio::spawn(async move {
            writer.write_all(&sent).await.unwrap();
            // client → backend closed; backend → client must keep flowing
            writer.shutdown().await.unwrap();
            writer
        });
        let mut got = Vec::new();
        timeout(BOUND, reader.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        let _writer = write.await.unwrap();
        assert_eq!(got.len(), payload.len() + 3, "{copy:?}");
        assert!(
            got[..payload.len()] == payload[..] && got.ends_with(b"BYE"),
            "{copy:?}"
        );

        let c = f.stats()[0].counters;
        assert_eq!(c.bytes_in, payload.len() as u64, "{copy:?}");
        assert_eq!(c.bytes_out, payload.len() as u64 + 4, "{copy:?}"); // greeting + echo + BYE
        assert_eq!(c.total, 1);
    }
}

#[tokio::test]
async fn proxy_v2_header_reaches_the_backend_first() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend = listener.local_addr().unwrap();
    let mut with_proxy = config(&[], Balance::RoundRobin);
    with_proxy.proxy_protocol = true;
    with_proxy.backends = vec![BackendConfig {
        address: backend,
        weight: 1,
        health_check: None,
    }];
    let store = store();
    let (_f, addr) = start(with_proxy, &store).await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.7:0".parse().unwrap()).unwrap();
    let mut client = socket.connect(addr).await.unwrap();
    let client_addr = client.local_addr().unwrap();
    client.write_all(b"GET").await.unwrap();

    let (mut conn, _) = timeout(BOUND, listener.accept()).await.unwrap().unwrap();
    let mut got = [0u8; 31];
    timeout(BOUND, conn.read_exact(&mut got))
        .await
        .unwrap()
        .unwrap();
    let mut want = proxy_v2::SIGNATURE.to_vec();
    want.extend_from_slice(&[0x21, 0x11, 0, 12, 127, 0, 0, 7, 127, 0, 0, 1]);
    want.extend_from_slice(&client_addr.port().to_be_bytes());
    want.extend_from_slice(&addr.port().to_be_bytes());
    want.extend_from_slice(b"GET");
    assert_eq!(got.to_vec(), want);
}

#[tokio::test]
async fn reload_drains_removed_backends_and_keeps_the_rest() {
    let (b0, b1) = (Backend::start(0).await, Backend::start(1).await);
    let store = store();
    let mut cfg = config(&[&b0, &b1], Balance::RoundRobin);
    cfg.drain_timeout = Duration::from_millis(600);
    let mut other = config(&[&b1], Balance::RoundRobin);
    other.name = "other".into();
    let mut forwarders = Forwarders::new(Arc::clone(&store));
    assert!(
        forwarders
            .apply(&[cfg.clone(), other.clone()])
            .await
            .is_empty()
    );
    let addrs = forwarders.local_addrs();
    let (web, other_addr) = (addrs[0].1, addrs[1].1);
    let (mut on_b0, id) = open(web).await;
    assert_eq!(id, 0);
    let (mut on_other, _) = open(other_addr).await;

    // unchanged config: nothing moves
    assert!(
        forwarders
            .apply(&[cfg.clone(), other.clone()])
            .await
            .is_empty()
    );
    assert_eq!(forwarders.local_addrs(), addrs);
    assert!(echoes(&mut on_b0, b"still").await);

    // b0 removed: new connections go to b1, the open one finishes its drain
    let mut without_b0 = cfg.clone();
    without_b0.backends.remove(0);
    assert!(
        forwarders
            .apply(&[without_b0.clone(), other.clone()])
            .await
            .is_empty()
    );
    assert_eq!(counts(web, 4, 2).await, vec![0, 4]);
    assert!(echoes(&mut on_b0, b"draining").await);
    let backends = &forwarders.stats()[0].backends;
    assert_eq!(
        backends.iter().map(|b| b.draining).collect::<Vec<_>>(),
        vec![false, true]
    );
    let (_, waited) = read_to_eof(&mut on_b0).await;
    assert!(
        waited >= Duration::from_millis(300),
        "drain ended after {waited:?}"
    );
    assert_eq!(forwarders.stats()[0].backends.len(), 1);

    // a new listen address: rebinds; the other forwarder and its connection are untouched
    let mut moved = without_b0.clone();
    moved.listen = "127.0.0.2:0".parse().unwrap();
    let (mut before_move, _) = open(web).await;
    assert!(forwarders.apply(&[moved, other.clone()]).await.is_empty());
    let now = forwarders.local_addrs();
    assert_eq!(now[1], addrs[1]);
    assert_eq!(now[0].1.ip(), Ipv4Addr::new(127, 0, 0, 2));
    assert_eq!(who(now[0].1).await, 1);
    assert!(
        TcpStream::connect(web).await.is_err(),
        "old address still listens"
    );
    assert!(echoes(&mut before_move, b"old listener's connection").await);
    assert!(echoes(&mut on_other, b"other").await);

    // a bind failure is reported; what runs keeps running
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut clash = other.clone();
    clash.name = "clash".into();
    clash.listen = taken.local_addr().unwrap();
    let errors = forwarders.apply(&[cfg.clone(), other, clash]).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].to_string().contains("clash"), "{errors:?}");
    assert_eq!(forwarders.local_addrs().len(), 2);
    assert!(echoes(&mut on_other, b"after").await);

    // with its clients gone, shutdown does not wait for the drain timeout
    drop((on_other, before_move));
    timeout(Duration::from_secs(3), forwarders.shutdown())
        .await
        .expect("shutdown once connections ended");
}

#[tokio::test]
async fn a_removed_forwarder_drains_and_stays_in_the_stats_meanwhile() {
    let b0 = Backend::start(0).await;
    let store = store();
    let mut web = config(&[&b0], Balance::RoundRobin);
    web.drain_timeout = Duration::from_secs(30);
    let mut other = config(&[&b0], Balance::RoundRobin);
    other.name = "other".into();
    let mut forwarders = Forwarders::new(Arc::clone(&store));
    assert!(forwarders.apply(&[web, other.clone()]).await.is_empty());
    let web_addr = forwarders.local_addrs()[0].1;
    let (mut open_conn, _) = open(web_addr).await;

    assert!(
        forwarders
            .apply(std::slice::from_ref(&other))
            .await
            .is_empty()
    );
    assert!(
        TcpStream::connect(web_addr).await.is_err(),
        "a removed forwarder still listens"
    );
    assert!(echoes(&mut open_conn, b"finishing").await);
    let stats = forwarders.stats();
    let names: Vec<&str> = stats.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["other", "web"]);
    let retired = &stats[1];
    assert_eq!(retired.listen, web_addr);
    assert_eq!(retired.backends.len(), 1);
    assert!(retired.backends[0].draining);
    assert_eq!(retired.counters.active, 1);

    // its last connection ends: it leaves the stats long before the drain timeout
    drop(open_conn);
    wait_until(|| forwarders.stats().len() == 1).await;
    assert_eq!(forwarders.stats()[0].name, "other");
    forwarders.shutdown().await;
}

#[tokio::test]
async fn every_worker_thread_accepts_on_the_shared_port() {
    let b0 = Backend::start(0).await;
    let store = store();
    let mut forwarders = Forwarders::with_threads(Arc::clone(&store), CopyMode::default(), 3);
    assert_eq!(forwarders.threads(), 3);
    let errors = forwarders
        .apply(&[config(&[&b0], Balance::RoundRobin)])
        .await;
    assert!(errors.is_empty(), "{errors:?}");
    let addr = forwarders.local_addrs()[0].1;
    // SO_REUSEPORT spreads connections over the three listeners by address
    // hash; a listener whose thread did not accept would leave about a
    // third of them unanswered.
    let mut clients = Vec::new();
    for i in 0..30u8 {
        clients.push(tokio::spawn(open_from(
            Ipv4Addr::new(127, 0, 1, i + 1),
            addr,
        )));
    }
    for client in clients {
        let (mut stream, id) = client.await.unwrap();
        assert_eq!(id, 0);
        assert!(echoes(&mut stream, b"ping").await);
    }
    assert_eq!(forwarders.stats()[0].counters.total, 30);
    forwarders.shutdown().await;
}

#[tokio::test]
async fn a_port_taken_by_another_socket_is_reported() {
    let b0 = Backend::start(0).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut busy = config(&[&b0], Balance::RoundRobin);
    busy.listen = taken.local_addr().unwrap();
    let mut forwarders = Forwarders::with_threads(store(), CopyMode::default(), 2);
    let errors = forwarders.apply(&[busy]).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].to_string().contains("cannot listen on"),
        "{errors:?}"
    );
    assert!(forwarders.local_addrs().is_empty());
}
