//! Probes: one network test of one check, returning success and a detail
//! text. Invariant: a probe never panics and always ends within the check's
//! timeout; every failure becomes `(false, why)`.

pub mod http;
pub mod tcp;

use std::time::Duration;

use crate::health::spec::{CheckKind, HealthCheckSpec};

/// A ready-to-run probe for one spec (an HTTP probe keeps its client).
#[derive(Debug)]
pub enum Probe {
    Http(http::HttpProbe),
    Tcp(tcp::TcpProbe),
    /// The probe could not be set up; every run fails with this text.
    Broken(String),
    /// Calculated checks are never probed.
    None,
}

impl Probe {
    pub fn new(spec: &HealthCheckSpec) -> Self {
        let built = match &spec.kind {
            CheckKind::Http(check) => http::HttpProbe::new(check, false).map(Probe::Http),
            CheckKind::Https(check) => http::HttpProbe::new(check, true).map(Probe::Http),
            CheckKind::Tcp { address } => Ok(Probe::Tcp(tcp::TcpProbe::new(address.clone()))),
            CheckKind::Calculated { .. } => Ok(Probe::None),
        };
        built.unwrap_or_else(|e| Probe::Broken(e.to_string()))
    }

    /// Runs once; `(success, detail)`.
    pub async fn run(&self, timeout: Duration) -> (bool, String) {
        let outcome = match self {
            Probe::Http(p) => tokio::time::timeout(timeout, p.run()).await,
            Probe::Tcp(p) => tokio::time::timeout(timeout, p.run()).await,
            Probe::Broken(why) => return (false, why.clone()),
            Probe::None => return (false, "calculated checks are not probed".to_string()),
        };
        outcome.unwrap_or_else(|_| {
            (
                false,
                format!("timed out after {}", humantime::format_duration(timeout)),
            )
        })
    }
}
