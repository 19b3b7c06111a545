//! `GET /api/v1/cluster`: the
//! members and their liveness, each check's observations per node and the
//! verdict, the overrides and who set them, each zone's copies per node
//! (drift), and the gossip counters. The key is never shown.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::{Value, json};

use super::AdminState;
use super::api_error::ApiError;
use super::bodies::{VerdictJson, status_text, time_text};
use crate::cluster::keys::from_unix_ms;
use crate::cluster::{ClusterStatus, Member};
use crate::control::HealthReport;
use crate::metrics::cluster::GOSSIP_REJECTIONS;

#[derive(Debug, Serialize)]
struct MemberJson {
    node: String,
    gossip_addr: String,
    alive: bool,
    #[serde(rename = "self")]
    is_self: bool,
    generation: u64,
    last_heard: Option<String>,
}

impl From<&Member> for MemberJson {
    fn from(m: &Member) -> Self {
        Self {
            node: m.node.to_string(),
            gossip_addr: m.gossip_addr.to_string(),
            alive: m.alive,
            is_self: m.is_self,
            generation: m.generation,
            last_heard: m.last_heard.map(time_text),
        }
    }
}

/// `GET /api/v1/cluster`.
pub async fn cluster(State(state): State<AdminState>) -> Result<Json<Value>, ApiError> {
    let Some(status) = state.cluster.as_ref().map(|s| s.borrow().clone()) else {
        return Ok(Json(json!({ "enabled": false })));
    };
    let health = state
        .updater
        .health()
        .await
        .ok_or_else(ApiError::stopping)?;
    Ok(Json(to_json(&status, &health, &state)))
}

fn to_json(status: &ClusterStatus, health: &HealthReport, state: &AdminState) -> Value {
    let members: Vec<MemberJson> = status.members.iter().map(MemberJson::from).collect();
    json!({
        "enabled": true,
        "node": status.node.to_string(),
        "isolated": status.inputs.isolated(),
        "members_alive": status.members.iter().filter(|m| m.alive).count(),
        "members": members,
        "checks": checks_json(status, health),
        "overrides": overrides_json(health),
        "zones": zones_json(status),
        "gossip": gossip_json(state),
    })
}

/// Every check: its status, what it follows, the verdict and the observations.
fn checks_json(status: &ClusterStatus, health: &HealthReport) -> Vec<Value> {
    let inputs = &status.inputs;
    health
        .checks
        .iter()
        .map(|c| {
            let observations: Vec<Value> = inputs
                .observations
                .get(&*c.id)
                .into_iter()
                .flatten()
                .map(|o| {
                    json!({
                        "node": o.node.to_string(),
                        "status": status_text(o.healthy),
                        "at": time_text(from_unix_ms(o.at_ms)),
                        "reason": o.reason,
                    })
                })
                .collect();
            json!({
                "id": c.id.to_string(),
                "status": status_text(c.healthy),
                "source": if c.overridden.is_some() { "override" } else if c.verdict.is_some() { "cluster" } else { "local" },
                "verdict": c.verdict.as_deref().map(VerdictJson::from),
                "observations": observations,
            })
        })
        .collect()
}

fn overrides_json(health: &HealthReport) -> Vec<Value> {
    health
        .checks
        .iter()
        .filter_map(|c| {
            let o = c.overridden.as_ref()?;
            Some(json!({
                "check": c.id.to_string(),
                "status": status_text(o.healthy),
                "until": o.until.map(time_text),
                "set_at": time_text(o.set_at),
                "set_by": o.set_by.as_deref(),
            }))
        })
        .collect()
}

/// Every zone a live node serves: each node's copy, and drift.
fn zones_json(status: &ClusterStatus) -> Vec<Value> {
    let inputs = &status.inputs;
    inputs
        .zones
        .iter()
        .map(|(origin, copies)| {
            let mine = copies.iter().find(|(n, _)| *n == status.node);
            let drifting = mine.map_or_else(Vec::new, |(_, z)| {
                inputs.drifting_peers(origin, z.content_hash)
            });
            let copies: Vec<Value> = copies
                .iter()
                .map(|(node, z)| {
                    json!({
                        "node": node.to_string(),
                        "content_hash": format!("{:016x}", z.content_hash),
                        "serial": z.serial,
                        "serial_in_file": z.explicit,
                    })
                })
                .collect();
            json!({
                "origin": origin,
                "served_here": mine.is_some(),
                "drift": !drifting.is_empty(),
                "drifting_nodes": drifting.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
                "copies": copies,
            })
        })
        .collect()
}

fn gossip_json(state: &AdminState) -> Value {
    let counters = &state.metrics.cluster;
    let (din, dout, bin, bout) = counters.traffic();
    let rejected: serde_json::Map<String, Value> = GOSSIP_REJECTIONS
        .iter()
        .zip(counters.rejected())
        .map(|(k, n)| (k.to_string(), json!(n)))
        .collect();
    json!({
        "datagrams_in": din,
        "datagrams_out": dout,
        "bytes_in": bin,
        "bytes_out": bout,
        "rejected": rejected,
    })
}
