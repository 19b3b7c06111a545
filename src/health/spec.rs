//! Placeholder for the health helper's spec (replaced on merge).

use serde::Deserialize;

use crate::diag::{Diagnostic, Source};
use crate::health::CheckId;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    #[serde(rename = "type")]
    pub kind: String,
    pub address: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthCheckSpec {
    pub id: CheckId,
}

pub fn convert(
    id: &str,
    raw: &toml::Spanned<RawHealthCheck>,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Option<HealthCheckSpec> {
    let _ = (raw, src, diags);
    Some(HealthCheckSpec { id: id.into() })
}
