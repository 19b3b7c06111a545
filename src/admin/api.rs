//! The JSON endpoints under `/api/v1`: zones, reload, health checks and
//! their overrides, and the explain API (`answer`).
//!
//! Invariant: handlers only read the snapshot or talk to the updater
//! through its handle; every bad input is a 4xx [`ApiError`], never a panic.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hickory_proto::rr::{Name, RecordType};
use ipnet::IpNet;
use serde_json::{Value, json};

use crate::admin::api_error::ApiError;
use crate::admin::bodies::{CheckJson, FlipJson, ReloadJson, ZoneJson};
use crate::admin::{AdminState, auth};
use crate::dns::explain::explain;
use crate::duration::parse_duration;
use crate::health::Override;
use crate::policy::Client;

/// `GET /api/v1/zones`
pub async fn zones(State(state): State<AdminState>) -> Json<Value> {
    let snapshot = state.store.load_full();
    let zones: Vec<ZoneJson> = snapshot.zones.files.iter().map(ZoneJson::from).collect();
    Json(json!({ "zones": zones }))
}

/// `POST /api/v1/reload`: 200 with what changed, or 422 with why it failed
/// (the previous versions keep serving).
pub async fn reload(
    State(state): State<AdminState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    auth::require(state.token.as_deref(), &headers)?;
    let outcome = state
        .updater
        .reload()
        .await
        .ok_or_else(ApiError::stopping)?;
    let body = ReloadJson::from(&outcome);
    if outcome.errors.is_empty() {
        Ok((StatusCode::OK, Json(body)).into_response())
    } else {
        Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
    }
}

/// `GET /api/v1/health-checks`
pub async fn health_checks(State(state): State<AdminState>) -> Result<Json<Value>, ApiError> {
    let report = state
        .updater
        .health()
        .await
        .ok_or_else(ApiError::stopping)?;
    let checks: Vec<CheckJson> = report.checks.iter().map(CheckJson::from).collect();
    let flips: Vec<FlipJson> = report
        .recent_flips
        .iter()
        .rev()
        .map(FlipJson::from)
        .collect();
    Ok(Json(json!({ "checks": checks, "recent_flips": flips })))
}

/// `PUT /api/v1/health-checks/{id}/override` with `{"status":
/// "healthy"|"unhealthy"|null, "for": "30m"}`; answers the check's new state.
pub async fn set_override(
    State(state): State<AdminState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Json<CheckJson>, ApiError> {
    auth::require(state.token.as_deref(), &headers)?;
    let Path(id) = id?;
    let value = parse_override(&body, SystemTime::now())?;
    match state.updater.set_override(&id, value).await {
        None => return Err(ApiError::stopping()),
        Some(Err(unknown)) => return Err(ApiError::not_found(unknown.to_string())),
        Some(Ok(())) => {}
    }
    let report = state
        .updater
        .health()
        .await
        .ok_or_else(ApiError::stopping)?;
    report
        .checks
        .iter()
        .find(|c| *c.id == *id)
        .map(|c| Json(CheckJson::from(c)))
        .ok_or_else(|| ApiError::not_found(format!("unknown health check `{id}`")))
}

/// `GET /api/v1/answer?name=N&type=T&client=IP` (or `&ecs=IP/PREFIX`,
/// `&transport=udp|tcp`).
pub async fn answer(
    State(state): State<AdminState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = query?;
    let question = parse_question(&params, state.use_ecs)?;
    let snapshot = state.store.load_full();
    let client = Client::new(question.addr, question.ecs_source, snapshot.geo.as_deref());
    let explanation = explain(
        &snapshot,
        &question.name,
        question.qtype,
        &client,
        question.udp,
    );
    Ok(Json(explanation).into_response())
}

/// A parsed `answer` query string.
#[derive(Debug, PartialEq, Eq)]
pub struct Question {
    pub name: Name,
    pub qtype: RecordType,
    pub addr: IpAddr,
    pub ecs_source: Option<u8>,
    pub udp: bool,
}

/// Reads `name`, `type` (default A), `client` (default 127.0.0.1), `ecs`
/// (overrides `client`, as a real query's ECS option would) and `transport`.
pub fn parse_question(
    params: &HashMap<String, String>,
    use_ecs: bool,
) -> Result<Question, ApiError> {
    const KNOWN: [&str; 5] = ["name", "type", "client", "ecs", "transport"];
    if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown parameter `{unknown}`; use name, type, client, ecs, transport"
        )));
    }
    let raw_name = params
        .get("name")
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("missing `name`, e.g. ?name=www.example.com&type=A")
        })?;
    let absolute = if raw_name.ends_with('.') {
        raw_name.to_string()
    } else {
        format!("{raw_name}.")
    };
    let name = Name::from_ascii(&absolute)
        .map_err(|e| ApiError::bad_request(format!("invalid name {raw_name:?}: {e}")))?;
    let qtype = match params.get("type").map(|t| t.trim().to_ascii_uppercase()) {
        None => RecordType::A,
        Some(t) => RecordType::from_str(&t)
            .map_err(|_| ApiError::bad_request(format!("unknown record type {t:?}")))?,
    };
    let udp = match params.get("transport").map(String::as_str) {
        None | Some("udp") => true,
        Some("tcp") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "transport must be udp or tcp, got {other:?}"
            )));
        }
    };
    let mut addr = match params.get("client") {
        None => IpAddr::from([127, 0, 0, 1]),
        Some(c) => c
            .trim()
            .parse::<IpAddr>()
            .map_err(|_| ApiError::bad_request(format!("invalid client address {c:?}")))?,
    };
    let mut ecs_source = None;
    if let Some(ecs) = params.get("ecs") {
        if !use_ecs {
            return Err(ApiError::bad_request(
                "EDNS Client Subnet is off ([geoip] use_ecs = false); use client=IP",
            ));
        }
        let net = IpNet::from_str(ecs.trim()).map_err(|_| {
            ApiError::bad_request(format!(
                "invalid ecs {ecs:?}; write IP/PREFIX, e.g. 192.0.2.0/24"
            ))
        })?;
        // As the DNS path does: bits beyond the source prefix never count.
        addr = net.trunc().addr();
        ecs_source = Some(net.prefix_len());
    }
    if let IpAddr::V6(v6) = addr
        && let Some(v4) = v6.to_ipv4_mapped()
    {
        addr = IpAddr::V4(v4);
    }
    Ok(Question {
        name,
        qtype,
        addr,
        ecs_source,
        udp,
    })
}

/// Reads an override body: `status` is required (null clears), `for` is an
/// optional duration for a held status.
pub fn parse_override(body: &[u8], now: SystemTime) -> Result<Option<Override>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "invalid JSON body: {e}; send {{\"status\": \"healthy\"|\"unhealthy\"|null}}"
        ))
    })?;
    let Value::Object(fields) = value else {
        return Err(ApiError::bad_request(
            "the body must be a JSON object like {\"status\": \"unhealthy\", \"for\": \"30m\"}",
        ));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "status" | "for"))
    {
        return Err(ApiError::bad_request(format!(
            "unknown field `{unknown}`; use status and for"
        )));
    }
    let healthy = match fields.get("status") {
        None => {
            return Err(ApiError::bad_request(
                "missing `status`: \"healthy\", \"unhealthy\", or null to clear",
            ));
        }
        Some(Value::Null) => None,
        Some(Value::String(s)) if s == "healthy" => Some(true),
        Some(Value::String(s)) if s == "unhealthy" => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status must be \"healthy\", \"unhealthy\" or null, got {other}"
            )));
        }
    };
    let duration = match fields.get("for") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            let d = parse_duration(text).map_err(|e| ApiError::bad_request(e.to_string()))?;
            if d == Duration::ZERO {
                return Err(ApiError::bad_request("`for` must be above 0"));
            }
            Some(d)
        }
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`for` must be a duration such as \"30m\", got {other}"
            )));
        }
    };
    match (healthy, duration) {
        (None, Some(_)) => Err(ApiError::bad_request(
            "`for` goes with a status; null clears the override at once",
        )),
        (None, None) => Ok(None),
        (Some(healthy), duration) => Ok(Some(Override::new(
            healthy,
            duration.and_then(|d| now.checked_add(d)),
            now,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn override_bodies() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        assert_eq!(parse_override(br#"{"status": null}"#, now), Ok(None));
        assert_eq!(
            parse_override(br#"{"status": "unhealthy", "for": "30m"}"#, now),
            Ok(Some(Override::new(
                false,
                Some(now + Duration::from_secs(1800)),
                now
            )))
        );
        assert_eq!(
            parse_override(br#"{"status": "healthy"}"#, now),
            Ok(Some(Override::new(true, None, now)))
        );
        for bad in [
            &b"{}"[..],
            b"not json",
            b"[1]",
            br#"{"status": "down"}"#,
            br#"{"status": "healthy", "extra": 1}"#,
            br#"{"status": "healthy", "for": "soon"}"#,
            br#"{"status": null, "for": "5m"}"#,
            br#"{"status": "healthy", "for": 5}"#,
        ] {
            let err = parse_override(bad, now).unwrap_err();
            assert_eq!(
                err.status,
                StatusCode::BAD_REQUEST,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn answer_parameters() {
        let q = parse_question(
            &params(&[("name", "www.Example.com"), ("type", "aaaa")]),
            true,
        )
        .unwrap();
        assert_eq!(q.name.to_string(), "www.Example.com.");
        assert_eq!(q.qtype, RecordType::AAAA);
        assert_eq!(q.addr, IpAddr::from([127, 0, 0, 1]));
        let q = parse_question(
            &params(&[
                ("name", "a."),
                ("ecs", "192.0.2.77/24"),
                ("client", "10.0.0.1"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(
            (q.addr, q.ecs_source),
            (IpAddr::from([192, 0, 2, 0]), Some(24))
        );
        let q = parse_question(
            &params(&[("name", "a."), ("client", "::ffff:10.1.2.3")]),
            true,
        )
        .unwrap();
        assert_eq!(q.addr, IpAddr::from([10, 1, 2, 3]));
        for bad in [
            params(&[]),
            params(&[("name", "a."), ("type", "NOPE")]),
            params(&[("name", "a."), ("client", "1.2.3")]),
            params(&[("name", "a."), ("ecs", "1.2.3.4")]),
            params(&[("name", "a."), ("transport", "quic")]),
            params(&[("name", "a."), ("colour", "red")]),
            params(&[("name", "a..b")]),
        ] {
            assert!(parse_question(&bad, true).is_err(), "{bad:?}");
        }
        assert!(
            parse_question(&params(&[("name", "a."), ("ecs", "192.0.2.0/24")]), false).is_err()
        );
    }
}
