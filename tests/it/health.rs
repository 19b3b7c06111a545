//! Health checks against real sockets on 127.0.0.1: HTTP, HTTPS and TCP
//! backends that each test starts, switches and stops; the prober and the
//! health book together under paused tokio time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use alwayson::diag::Source;
use alwayson::health::probe::Probe;
use alwayson::health::spec::{self, HealthCheckSpec, RawHealthCheck};
use alwayson::health::{Flip, HealthBook, Observation, Prober};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// Converts one `[health_check.<id>]` table body through the real config path.
fn check(id: &str, body: &str) -> HealthCheckSpec {
    #[derive(serde::Deserialize)]
    struct Doc {
        health_check: std::collections::BTreeMap<String, toml::Spanned<RawHealthCheck>>,
    }
    let text = format!("[health_check.{id}]\n{body}");
    let src = Source::new("test.toml", text.as_str());
    let doc: Doc = toml::from_str(&text).expect("test TOML parses");
    let mut diags = Vec::new();
    let spec = spec::convert(id, &doc.health_check[id], &src, &mut diags);
    spec.unwrap_or_else(|| panic!("invalid test check: {diags:?}"))
}

/// What the backend answers to the next requests.
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    Status(u16, String),
    /// Accept, read the request, never answer.
    Hang,
}

/// A tiny HTTP/1.1 server (plain or TLS) whose reply the test switches.
pub(crate) struct Backend {
    pub(crate) addr: SocketAddr,
    reply: Arc<Mutex<Reply>>,
    /// `Host` header of the last request, and the TLS SNI name when TLS.
    seen_host: Arc<Mutex<Option<String>>>,
    seen_sni: Arc<Mutex<Option<String>>>,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Backend {
    pub(crate) async fn start(tls: Option<TlsAcceptor>) -> Self {
        Self::start_at("127.0.0.1:0".parse().unwrap(), tls).await
    }

    /// Listens on `addr` (e.g. the address of a backend that was stopped).
    pub(crate) async fn start_at(addr: SocketAddr, tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reply = Arc::new(Mutex::new(Reply::Status(200, "OK".into())));
        let seen_host = Arc::new(Mutex::new(None));
        let seen_sni = Arc::new(Mutex::new(None));
        let requests = Arc::new(AtomicUsize::new(0));
        let state = (
            reply.clone(),
            seen_host.clone(),
            seen_sni.clone(),
            requests.clone(),
        );
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (reply, seen_host, seen_sni, requests) = state.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve(stream, &reply, &seen_host, &requests).await,
                        Some(acceptor) => {
                            let Ok(stream) = acceptor.accept(stream).await else {
                                return;
                            };
                            *seen_sni.lock().unwrap() =
                                stream.get_ref().1.server_name().map(str::to_string);
                            serve(stream, &reply, &seen_host, &requests).await;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            reply,
            seen_host,
            seen_sni,
            requests,
            task,
        }
    }

    pub(crate) fn set(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Closes the listening socket; later connects are refused.
    pub(crate) async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    reply: &Mutex<Reply>,
    seen_host: &Mutex<Option<String>>,
    requests: &AtomicUsize,
) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let text = String::from_utf8_lossy(&request);
    *seen_host.lock().unwrap() = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("host: ")
                .or_else(|| l.strip_prefix("Host: "))
        })
        .map(str::to_string);
    let reply = reply.lock().unwrap().clone();
    match reply {
        Reply::Hang => std::future::pending::<()>().await,
        Reply::Status(code, body) => {
            let head = format!(
                "HTTP/1.1 {code} Test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    }
}

/// A TLS acceptor with a fresh self-signed certificate for `name`.
fn self_signed(name: &str) -> TlsAcceptor {
    let key = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
    let cert = key.cert.der().clone();
    let private =
        rustls::pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], private)
    .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

async fn probe_once(spec: &HealthCheckSpec) -> (bool, String) {
    Probe::new(spec).run(spec.timeout).await
}

#[tokio::test]
async fn http_status_outside_expect_status_fails() {
    let backend = Backend::start(None).await;
    let web = check(
        "web",
        &format!("type = \"http\"\naddress = \"{}\"\n", backend.addr),
    );
    assert_eq!(probe_once(&web).await, (true, "HTTP 200".to_string()));
    backend.set(Reply::Status(503, "down".into()));
    assert_eq!(
        probe_once(&web).await,
        (false, "HTTP 503 (expected 200-399)".to_string())
    );
    backend.set(Reply::Status(302, String::new()));
    assert!(probe_once(&web).await.0, "3xx counts as up by default");

    let strict = check(
        "strict",
        &format!(
            "type = \"http\"\naddress = \"{}\"\nexpect_status = \"200,204\"\n",
            backend.addr
        ),
    );
    backend.set(Reply::Status(204, String::new()));
    assert!(probe_once(&strict).await.0);
    backend.set(Reply::Status(200, String::new()));
    assert!(probe_once(&strict).await.0);
    backend.set(Reply::Status(201, String::new()));
    assert_eq!(
        probe_once(&strict).await,
        (false, "HTTP 201 (expected 200,204)".to_string())
    );
    assert_eq!(backend.requests(), 6);
}

#[tokio::test]
async fn http_search_looks_only_at_the_first_5120_bytes() {
    let backend = Backend::start(None).await;
    let web = check(
        "web",
        &format!(
            "type = \"http\"\naddress = \"{}\"\nsearch = \"READY\"\n",
            backend.addr
        ),
    );
    backend.set(Reply::Status(200, "status: READY".into()));
    assert_eq!(
        probe_once(&web).await,
        (true, "HTTP 200, body holds \"READY\"".to_string())
    );
    backend.set(Reply::Status(200, "status: STARTING".into()));
    assert_eq!(
        probe_once(&web).await,
        (
            false,
            "HTTP 200, but \"READY\" is not in the first 5120 bytes of the body".to_string()
        )
    );
    // Ends exactly at byte 5120: found. One byte later: beyond the window.
    backend.set(Reply::Status(200, format!("{}READY", "x".repeat(5115))));
    assert!(probe_once(&web).await.0);
    backend.set(Reply::Status(200, format!("{}READY", "x".repeat(5116))));
    assert!(!probe_once(&web).await.0);
    // A matching body does not rescue a bad status.
    backend.set(Reply::Status(500, "READY".into()));
    assert_eq!(
        probe_once(&web).await,
        (false, "HTTP 500 (expected 200-399)".to_string())
    );
}

#[tokio::test]
async fn http_sends_host_to_the_address() {
    let backend = Backend::start(None).await;
    let named = check(
        "named",
        &format!(
            "type = \"http\"\naddress = \"{}\"\nhost = \"www.example.test\"\npath = \"/healthz\"\n",
            backend.addr
        ),
    );
    assert!(probe_once(&named).await.0);
    assert_eq!(
        backend.seen_host.lock().unwrap().as_deref(),
        Some("www.example.test")
    );
    let bare = check(
        "bare",
        &format!("type = \"http\"\naddress = \"{}\"\n", backend.addr),
    );
    assert!(probe_once(&bare).await.0);
    assert_eq!(
        backend.seen_host.lock().unwrap().clone(),
        Some(backend.addr.to_string())
    );
}

#[tokio::test]
async fn http_to_a_stopped_backend_fails_to_connect() {
    let backend = Backend::start(None).await;
    let web = check(
        "web",
        &format!("type = \"http\"\naddress = \"{}\"\n", backend.addr),
    );
    assert!(probe_once(&web).await.0);
    backend.stop().await;
    let (ok, detail) = probe_once(&web).await;
    assert!(!ok);
    assert!(
        detail.starts_with("connect failed") && detail.contains("refused"),
        "{detail}"
    );
}

#[tokio::test(start_paused = true)]
async fn http_to_a_hanging_backend_times_out() {
    let backend = Backend::start(None).await;
    backend.set(Reply::Hang);
    let web = check(
        "web",
        &format!(
            "type = \"http\"\naddress = \"{}\"\ntimeout = \"3s\"\n",
            backend.addr
        ),
    );
    let started = tokio::time::Instant::now();
    assert_eq!(
        probe_once(&web).await,
        (false, "timed out after 3s".to_string())
    );
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test]
async fn tcp_connects_and_reports_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let db = check("db", &format!("type = \"tcp\"\naddress = \"{addr}\"\n"));
    assert_eq!(
        probe_once(&db).await,
        (true, format!("TCP connect to {addr} ok"))
    );
    drop(listener);
    let (ok, detail) = probe_once(&db).await;
    assert!(!ok);
    assert!(
        detail.starts_with(&format!("TCP connect to {addr}: Connection refused")),
        "{detail}"
    );
}

#[tokio::test]
async fn https_skips_certificate_checks_unless_verify_tls() {
    let backend = Backend::start(Some(self_signed("secure.example.test"))).await;
    let lax = check(
        "lax",
        &format!(
            "type = \"https\"\naddress = \"{}\"\nhost = \"secure.example.test\"\n",
            backend.addr
        ),
    );
    assert_eq!(probe_once(&lax).await, (true, "HTTP 200".to_string()));
    assert_eq!(
        backend.seen_sni.lock().unwrap().as_deref(),
        Some("secure.example.test")
    );
    assert_eq!(
        backend.seen_host.lock().unwrap().as_deref(),
        Some("secure.example.test")
    );
    let strict = check(
        "strict",
        &format!(
            "type = \"https\"\naddress = \"{}\"\nhost = \"secure.example.test\"\nverify_tls = true\n",
            backend.addr
        ),
    );
    let (ok, detail) = probe_once(&strict).await;
    assert!(!ok);
    assert!(detail.contains("certificate"), "{detail}");
    assert_eq!(backend.requests(), 1, "no request after a failed handshake");
}

/// Stops the paused clock from jumping ahead while real sockets work:
/// tokio does not auto-advance while a blocking task runs, so time moves
/// only by `advance`. The hold ends when dropped, or after 60 real seconds
/// so that a broken test fails instead of hanging.
struct ClockHold(#[allow(dead_code)] std::sync::mpsc::Sender<()>);

impl ClockHold {
    fn new() -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = rx.recv_timeout(Duration::from_secs(60));
        });
        Self(tx)
    }
}

/// Lets freshly spawned probe loops run up to their first timer, so that
/// the next `advance` counts from when they were started.
async fn let_loops_start() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

/// Moves paused time forward and hands the next probe result to the book.
async fn step(
    by: Duration,
    rx: &mut mpsc::Receiver<Observation>,
    book: &mut HealthBook,
) -> (Observation, Vec<Flip>) {
    let_loops_start().await;
    tokio::time::advance(by).await;
    let obs = rx.recv().await.expect("a probe loop is running");
    let flips = book.observe(obs.clone());
    (obs, flips)
}

#[tokio::test(start_paused = true)]
async fn prober_and_book_follow_a_backend_down_and_up() {
    let _hold = ClockHold::new();
    let backend = Backend::start(None).await;
    let web = check(
        "web",
        &format!(
            "type = \"http\"\naddress = \"{}\"\ninterval = \"10s\"\nhealthy_threshold = 2\nunhealthy_threshold = 3\n",
            backend.addr
        ),
    );
    let specs = [web.clone()];
    let (tx, mut rx) = mpsc::channel(16);
    let mut prober = Prober::new(tx);
    let mut book = HealthBook::new();
    prober.apply(&specs);
    assert_eq!(book.apply_specs(&specs, SystemTime::now()), []);
    let ten = Duration::from_secs(10);

    // A new check probes at once (within the start delay).
    let (first, flips) = step(Duration::from_millis(500), &mut rx, &mut book).await;
    assert_eq!((first.success, first.generation), (true, web.fingerprint()));
    assert_eq!(flips, []);

    backend.set(Reply::Status(503, "maintenance".into()));
    for _ in 0..2 {
        let (obs, flips) = step(ten, &mut rx, &mut book).await;
        assert!(!obs.success);
        assert_eq!(flips, [], "below unhealthy_threshold");
        assert!(book.view().is_healthy("web"));
    }
    let (_, flips) = step(ten, &mut rx, &mut book).await;
    assert_eq!(
        flips,
        [Flip {
            id: "web".into(),
            healthy: false,
            reason: "3 consecutive failures: HTTP 503 (expected 200-399)".into()
        }]
    );
    assert!(!book.view().is_healthy("web"));

    backend.set(Reply::Status(200, "OK".into()));
    let (_, flips) = step(ten, &mut rx, &mut book).await;
    assert_eq!(flips, [], "below healthy_threshold");
    let (_, flips) = step(ten, &mut rx, &mut book).await;
    assert_eq!(
        flips,
        [Flip {
            id: "web".into(),
            healthy: true,
            reason: "2 consecutive successes: HTTP 200".into()
        }]
    );
    // One probe per interval, no more.
    assert_eq!(backend.requests(), 6);
    drop(prober);
    assert!(
        rx.recv().await.is_none(),
        "dropping the prober stops its loops"
    );
}

#[tokio::test(start_paused = true)]
async fn an_inverted_check_is_healthy_while_its_port_is_closed() {
    let _hold = ClockHold::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let guard = check(
        "no-debug-port",
        &format!(
            "type = \"tcp\"\naddress = \"{addr}\"\ninvert = true\nunhealthy_threshold = 1\nhealthy_threshold = 1\n"
        ),
    );
    let specs = [guard];
    let (tx, mut rx) = mpsc::channel(16);
    let mut prober = Prober::new(tx);
    let mut book = HealthBook::new();
    prober.apply(&specs);
    book.apply_specs(&specs, SystemTime::now());
    assert!(!book.view().is_healthy("no-debug-port"), "starts unhealthy");
    let (obs, flips) = step(Duration::from_millis(500), &mut rx, &mut book).await;
    assert!(obs.success);
    assert_eq!(flips, []);
    drop(listener);
    let (_, flips) = step(Duration::from_secs(10), &mut rx, &mut book).await;
    assert_eq!(flips.len(), 1);
    assert!(flips[0].healthy);
    assert!(
        flips[0]
            .reason
            .starts_with("1 consecutive failures (inverted): TCP connect to")
    );
    assert!(book.view().is_healthy("no-debug-port"));
}

#[tokio::test(start_paused = true)]
async fn prober_runs_one_loop_per_probed_id() {
    let _hold = ClockHold::new();
    let backend = Backend::start(None).await;
    let web = check(
        "web",
        &format!("type = \"http\"\naddress = \"{}\"\n", backend.addr),
    );
    let off = check(
        "off",
        &format!(
            "type = \"http\"\naddress = \"{}\"\ndisabled = true\n",
            backend.addr
        ),
    );
    let both = check(
        "both",
        "type = \"calculated\"\nchildren = [\"web\", \"off\"]\nhealthy_when = 1\n",
    );
    let (tx, mut rx) = mpsc::channel(16);
    let senders = tx.downgrade();
    let mut prober = Prober::new(tx);

    // The same check used by many record sets is listed many times.
    prober.apply(&[web.clone(), web.clone(), off, both]);
    assert_eq!(prober.len(), 1);
    assert!(prober.is_probing("web"));
    assert_eq!(senders.strong_count(), 2, "the prober and one loop");
    let_loops_start().await;
    tokio::time::advance(Duration::from_millis(500)).await;
    assert_eq!(rx.recv().await.unwrap().id.as_ref(), "web");
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(rx.recv().await.unwrap().generation, web.fingerprint());
    assert_eq!(backend.requests(), 2);

    // Unchanged: the loop keeps its schedule. A restarted loop would probe
    // within the start delay; give such a probe real time to arrive.
    prober.apply(std::slice::from_ref(&web));
    let_loops_start().await;
    tokio::time::advance(Duration::from_millis(500)).await;
    tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(200)))
        .await
        .unwrap();
    assert!(rx.try_recv().is_err(), "no restart for an unchanged spec");
    assert_eq!(backend.requests(), 2);

    // Changed: a new loop probes at once with the new generation.
    let moved = check(
        "web",
        &format!(
            "type = \"http\"\naddress = \"{}\"\npath = \"/v2\"\n",
            backend.addr
        ),
    );
    prober.apply(std::slice::from_ref(&moved));
    let_loops_start().await;
    tokio::time::advance(Duration::from_millis(500)).await;
    assert_eq!(rx.recv().await.unwrap().generation, moved.fingerprint());
    assert_eq!(prober.len(), 1);

    // Removed: the loop ends.
    prober.apply(&[]);
    assert!(prober.is_empty());
    while senders.strong_count() > 1 {
        tokio::task::yield_now().await;
    }
    tokio::time::advance(Duration::from_secs(30)).await;
    tokio::task::yield_now().await;
    assert!(rx.try_recv().is_err());
    assert_eq!(backend.requests(), 3);
}
