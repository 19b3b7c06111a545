//! The HTTP and HTTPS probes: a GET whose status must be in `expect_status`
//! and whose first [`SEARCH_WINDOW`] body bytes must hold `search`.
//!
//! Invariants: the probe connects to the check's `address` whatever `host`
//! says (`host` only sets the `Host` header and TLS SNI); it never follows
//! redirects, never uses a proxy, opens a fresh connection each time (a
//! pooled one could outlive a dead listener) and reads at most
//! [`SEARCH_WINDOW`] body bytes. Certificates are checked only with
//! `verify_tls`.

use std::error::Error as _;
use std::net::IpAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HOST, HeaderValue};

use crate::health::spec::{ExpectStatus, HttpCheck, SEARCH_WINDOW};

/// Why an HTTP(S) probe could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    /// `host` is an IP literal that cannot be a `Host` header value.
    #[error("invalid host: {0}")]
    Host(#[from] reqwest::header::InvalidHeaderValue),
    /// The URL built from the address, host and path does not parse.
    #[error("invalid URL {url}: {reason}")]
    Url {
        /// The URL as built.
        url: String,
        /// The URL parser's complaint.
        reason: String,
    },
    /// reqwest could not build the client (for example its TLS setup).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// One HTTP(S) check with its own client.
#[derive(Debug)]
pub struct HttpProbe {
    client: reqwest::Client,
    url: reqwest::Url,
    /// Set when `host` is an IP literal, which cannot go in the URL without
    /// changing where we connect.
    host_header: Option<HeaderValue>,
    expect_status: ExpectStatus,
    search: Option<String>,
}

impl HttpProbe {
    /// Builds the client; fails only if the TLS setup or URL is unusable.
    pub fn new(check: &HttpCheck, tls: bool) -> Result<Self, HttpSetupError> {
        let scheme = if tls { "https" } else { "http" };
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .user_agent(concat!("alwayson-health-check/", env!("CARGO_PKG_VERSION")));
        if tls {
            builder = builder.danger_accept_invalid_certs(!check.verify_tls);
        }
        let (url, host_header) = match &check.host {
            // A DNS name goes in the URL (so it is the Host header and SNI)
            // and resolves to the check's address.
            Some(host) if host.parse::<IpAddr>().is_err() => {
                builder = builder.dns_resolver(Arc::new(FixedTarget(check.address.to_string())));
                (format!("{scheme}://{host}{}", check.path), None)
            }
            Some(ip) => {
                let header = HeaderValue::from_str(ip)?;
                (
                    format!("{scheme}://{}{}", check.address, check.path),
                    Some(header),
                )
            }
            None => (format!("{scheme}://{}{}", check.address, check.path), None),
        };
        let url = reqwest::Url::parse(&url).map_err(|e| HttpSetupError::Url {
            reason: e.to_string(),
            url,
        })?;
        let client = builder
            .build()
            .map_err(|e| HttpSetupError::Client(describe(&e)))?;
        Ok(Self {
            client,
            url,
            host_header,
            expect_status: check.expect_status.clone(),
            search: check.search.clone(),
        })
    }

    /// `(success, detail)`; the caller bounds the time.
    pub async fn run(&self) -> (bool, String) {
        let mut request = self.client.get(self.url.clone());
        if let Some(host) = &self.host_header {
            request = request.header(HOST, host.clone());
        }
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return (false, describe(&e)),
        };
        let status = response.status().as_u16();
        if !self.expect_status.contains(status) {
            return (
                false,
                format!("HTTP {status} (expected {})", self.expect_status),
            );
        }
        let Some(search) = &self.search else {
            return (true, format!("HTTP {status}"));
        };
        let mut body = Vec::with_capacity(SEARCH_WINDOW);
        while body.len() < SEARCH_WINDOW {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    return (
                        false,
                        format!("HTTP {status}, reading body: {}", describe(&e)),
                    );
                }
            }
        }
        body.truncate(SEARCH_WINDOW);
        if contains(&body, search.as_bytes()) {
            (true, format!("HTTP {status}, body holds {search:?}"))
        } else {
            (
                false,
                format!(
                    "HTTP {status}, but {search:?} is not in the first {SEARCH_WINDOW} bytes of the body"
                ),
            )
        }
    }
}

/// Resolves every name to the check's address, so the URL can carry `host`.
struct FixedTarget(String);

impl Resolve for FixedTarget {
    fn resolve(&self, _name: Name) -> Resolving {
        let target = self.0.clone();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host(target).await?;
            Ok(Box::new(addrs.collect::<Vec<_>>().into_iter()) as Addrs)
        })
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The error's causes, innermost last, without the URL that reqwest's own
/// text repeats (the check id already says which one it is).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_connect() {
        "connect failed"
    } else if error.is_timeout() {
        "timed out"
    } else if error.is_body() || error.is_decode() {
        "bad response body"
    } else {
        "request failed"
    };
    let mut text = kind.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let part = e.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = e.source();
    }
    text
}
