//! The serde mirror of one `[health_check.<id>]` table, every value spanned
//! so that [`super::convert`] can point at it. Holds anything the TOML
//! parser accepts; nothing here is validated yet.

use serde::Deserialize;
use toml::Spanned;

/// One `[health_check.<id>]` table as written; SPEC §3 documents the keys.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    pub address: Option<Spanned<String>>,
    pub host: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    // Signed, so that `-1` gets our range message rather than a serde one.
    pub healthy_threshold: Option<Spanned<i64>>,
    pub unhealthy_threshold: Option<Spanned<i64>>,
    pub expect_status: Option<Spanned<String>>,
    pub search: Option<Spanned<String>>,
    pub invert: Option<Spanned<bool>>,
    pub disabled: Option<Spanned<bool>>,
    pub verify_tls: Option<Spanned<bool>>,
    pub children: Option<Spanned<Vec<Spanned<String>>>>,
    pub healthy_when: Option<Spanned<i64>>,
}
