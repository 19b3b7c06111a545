//! Shared by the admin, metrics and status page tests: a server with the
//! admin API on 127.0.0.1:0, a small HTTP client for it, and a zone whose
//! `www` fails over between two TCP-checked backends the test holds open.

use std::net::SocketAddr;

use alwayson::config::ServerConfig;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::harness::{TestServer, zone};

/// An HTTP client for one admin API; `token` goes in `Authorization: Bearer`.
pub struct AdminClient {
    pub base: String,
    pub token: Option<String>,
    http: reqwest::Client,
}

/// Status, content type and body of one response.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    /// The body as JSON; fails the test when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

impl AdminClient {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            token: None,
            http: reqwest::Client::new(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str) -> Reply {
        self.send(self.http.post(self.url(path))).await
    }

    pub async fn put(&self, path: &str, body: &str) -> Reply {
        self.send(
            self.http
                .put(self.url(path))
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, mut request: reqwest::RequestBuilder) -> Reply {
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("admin API request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = response.text().await.expect("admin API body");
        Reply {
            status,
            content_type,
            body,
        }
    }
}

/// Starts `zones` with the admin API on 127.0.0.1:0 and `configure` applied.
pub async fn start(
    zones: &[String],
    configure: impl FnOnce(&mut ServerConfig),
) -> (TestServer, AdminClient) {
    let server = TestServer::start_with(zones, |config| {
        config.admin.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        configure(config);
    })
    .await;
    let addr = server.server.admin_addr.expect("admin API bound");
    (server, AdminClient::new(addr))
}

/// Two TCP listeners standing in for the backends of checks web-1 and web-2.
pub async fn backends() -> (TcpListener, TcpListener) {
    (
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
}

/// `example.com.` with `www` failing over from 192.0.2.10 (web-1) to
/// 198.51.100.10 (web-2), both TCP checks probed every 200 ms.
pub fn failover_zone(primary: &TcpListener, secondary: &TcpListener) -> String {
    let primary = primary.local_addr().unwrap();
    let secondary = secondary.local_addr().unwrap();
    zone(
        "example.com.",
        None,
        &format!(
            r#"
[[record]]
name = "www"
type = "A"
ttl = 5
set = "primary"
failover = "primary"
health_check = "web-1"
values = ["192.0.2.10"]

[[record]]
name = "www"
type = "A"
ttl = 5
set = "backup"
failover = "secondary"
health_check = "web-2"
values = ["198.51.100.10"]

[health_check.web-1]
type = "tcp"
address = "{primary}"
interval = "200ms"
timeout = "100ms"

[health_check.web-2]
type = "tcp"
address = "{secondary}"
interval = "200ms"
timeout = "100ms"
"#
        ),
    )
}
