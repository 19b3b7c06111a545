//! The explain API's core (Route 53's TestDNSAnswer): the answer a client
//! would get now, and why.
//!
//! Invariant: the answer part is [`resolve`] itself over the same snapshot,
//! and every routing decision is [`policy::select`] over the group's
//! precomputed state, whose [`policy::Reason`] this module only formats
//! (`format.rs`): one implementation decides, so an explanation cannot
//! disagree with a real answer (random policies excepted: there it reports
//! the candidates and their chances, and marks the sets the drawn answer
//! used). Pure, and only the admin API calls it: the query path never pays
//! for it.

mod dnssec;
mod format;

use std::collections::HashSet;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType};
use serde::Serialize;

use crate::dns::resolve::resolve;
use crate::policy::{self, Client, GroupState, Selection};
use crate::table::Snapshot;
use crate::table::wire_name::{WireName, key_of};
use crate::table::zone_table::{
    CompiledSet, CompiledZone, Node, RoutedGroup, RrsetContent, ServedZone, SetTarget,
};

pub use format::rcode_name;
use format::{AliasTarget, record_text};

/// How deep nested aliases are described (resolve follows at most 8).
const MAX_DEPTH: usize = 8;

/// The answer and the decisions behind it.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub name: String,
    #[serde(rename = "type")]
    pub qtype: String,
    /// The address the policies saw (the ECS address when given).
    pub client: String,
    pub ecs_source_prefix: Option<u8>,
    pub transport: &'static str,
    /// The zone that holds the name; None: REFUSED.
    pub zone: Option<String>,
    pub rcode: String,
    pub authoritative: bool,
    pub answers: Vec<String>,
    pub authority: Vec<String>,
    pub additionals: Vec<String>,
    /// The ECS scope the response would echo (None: no ECS option).
    pub ecs_scope_prefix: Option<u8>,
    /// Part of the answer was drawn at random (weighted, multivalue).
    pub random: bool,
    /// One entry per routed name/type the answer went through, in order.
    pub decisions: Vec<Decision>,
    /// DNSSEC of a signed zone (None: not signed).
    pub dnssec: Option<dnssec::DnssecExplained>,
}

/// How one routed name/type chose its sets.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub policy: &'static str,
    pub fail_closed: bool,
    pub all_down: bool,
    pub sets: Vec<SetReport>,
    /// The ids of the sets that answer (for random policies: this draw's).
    pub chosen: Vec<String>,
    pub random: bool,
    /// The ECS scope this decision depends on.
    pub scope_prefix: u8,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SetReport {
    pub set: String,
    /// The set's routing rule as written in the zone (`failover = "primary"`).
    pub rule: String,
    pub health_check: Option<String>,
    pub healthy: bool,
    /// In a cluster: the observers behind the check's verdict
    /// ("2/3 observers healthy (ns1, ns2); unhealthy: ns3").
    pub observers: Option<String>,
    /// In the pool a random policy draws from.
    pub candidate: bool,
    /// Weighted: the chance of being drawn, 0..=1.
    pub chance: Option<f64>,
    pub chosen: bool,
    pub alias: Option<String>,
    pub values: Vec<String>,
}

/// Explains `qname`/`qtype` for `client`; `udp` decides ANY handling as a
/// real query over that transport would (RFC 8482: one RRset over UDP).
pub fn explain(
    snapshot: &Snapshot,
    qname: &Name,
    qtype: RecordType,
    client: &Client<'_>,
    udp: bool,
) -> Explanation {
    let mut out = Explanation {
        name: qname.to_string(),
        qtype: qtype.to_string(),
        client: client.addr.to_string(),
        ecs_source_prefix: client.ecs_source,
        transport: if udp { "udp" } else { "tcp" },
        zone: None,
        rcode: rcode_name(ResponseCode::Refused),
        authoritative: false,
        answers: Vec::new(),
        authority: Vec::new(),
        additionals: Vec::new(),
        // REFUSED responses carry no ECS option, as on the DNS path.
        ecs_scope_prefix: None,
        random: false,
        decisions: Vec::new(),
        dnssec: None,
    };
    let Some((zone, _)) = snapshot.zones.find(&WireName::new(qname)) else {
        return out;
    };
    let mut res = resolve(snapshot, zone, qname, qtype, client, !udp);
    crate::dns::sign::apex_key_sets(zone, qname, qtype, &mut res);
    out.dnssec = dnssec::explain(zone, qtype, &res);
    out.zone = Some(zone.origin.to_string());
    out.rcode = rcode_name(res.rcode);
    out.authoritative = res.authoritative;
    out.answers = res.answers.iter().map(|r| record_text(r)).collect();
    out.authority = res
        .authority
        .iter()
        .map(|r| record_text(r))
        .chain(res.soa.map(record_text))
        .collect();
    out.additionals = res.additionals.iter().map(|r| record_text(r)).collect();
    out.ecs_scope_prefix = client
        .ecs_source
        .map(|source| if source == 0 { 0 } else { res.ecs_scope });

    let answered: HashSet<&RData> = res.answers.iter().map(|r| &r.data).collect();
    let walker = Walker {
        snapshot,
        zone,
        client,
        answered: &answered,
    };
    // The asked name, then every CNAME target the answer followed in the zone.
    let mut names = vec![qname.clone()];
    names.extend(res.answers.iter().filter_map(|r| match &r.data {
        RData::CNAME(c) if zone.origin.zone_of(&c.0) => Some(c.0.clone()),
        _ => None,
    }));
    for name in &names {
        let Some(node) = find_node(zone, name) else {
            continue;
        };
        let types: Vec<RecordType> = if qtype == RecordType::ANY {
            node.rrsets.iter().map(|r| r.rtype).collect()
        } else {
            vec![qtype, RecordType::CNAME]
        };
        for rtype in types {
            walker.describe(node, name, rtype, 0, &mut out.decisions);
        }
    }
    out.random = out.decisions.iter().any(|d| d.random);
    out
}

struct Walker<'a, 'c> {
    snapshot: &'a Snapshot,
    zone: &'a ServedZone,
    client: &'a Client<'c>,
    answered: &'a HashSet<&'a RData>,
}

impl Walker<'_, '_> {
    /// Adds the decision of `node`'s routed `rtype` (if any), then those of
    /// the alias targets it chose.
    fn describe(
        &self,
        node: &Node,
        name: &Name,
        rtype: RecordType,
        depth: usize,
        out: &mut Vec<Decision>,
    ) {
        let Some(rrset) = node.rrset(rtype) else {
            return;
        };
        let RrsetContent::Routed(group) = &rrset.content else {
            return;
        };
        let Some(state) = self
            .snapshot
            .routing
            .groups
            .get(self.zone.group_index(group.group))
        else {
            return;
        };
        let decision = self.decide(group, state, name, rtype);
        let chosen_aliases: Vec<&Name> = group
            .sets
            .iter()
            .zip(&decision.sets)
            .filter(|(_, report)| report.chosen)
            .filter_map(|(set, _)| match &set.target {
                SetTarget::Alias { target, .. } => Some(target),
                SetTarget::Values(_) => None,
            })
            .collect();
        out.push(decision);
        if depth >= MAX_DEPTH {
            return;
        }
        for target in chosen_aliases {
            if let Some(target_node) = self.zone.node(&key_of(target)) {
                self.describe(target_node, target, rtype, depth + 1, out);
            }
        }
    }

    fn decide(
        &self,
        group: &RoutedGroup,
        state: &GroupState,
        name: &Name,
        rtype: RecordType,
    ) -> Decision {
        let rules = &group.rules;
        let random = rules.policy.is_random();
        let selection = policy::select(rules, state, self.client);
        let mut sets: Vec<SetReport> = group
            .sets
            .iter()
            .enumerate()
            .map(|(i, set)| self.set_report(group, state, &selection, i, set))
            .collect();
        if !random {
            sets.iter_mut().for_each(|s| s.candidate = s.chosen);
        }
        let chosen: Vec<String> = sets
            .iter()
            .filter(|s| s.chosen)
            .map(|s| s.set.clone())
            .collect();
        let mut reason = format::reason(&selection.reason, self.client, &chosen);
        for (set, report) in group.sets.iter().zip(&sets) {
            if report.chosen {
                reason.push_str(&self.alias_note(set, rtype));
            }
        }
        Decision {
            name: name.to_string(),
            rtype: rtype.to_string(),
            policy: rules.policy.key(),
            fail_closed: rules.fail_closed,
            all_down: state.all_down,
            reason,
            sets,
            chosen,
            random,
            scope_prefix: selection.scope,
        }
    }

    /// For an alias set, what it answers with (empty for a set of values).
    fn alias_note(&self, set: &CompiledSet, rtype: RecordType) -> String {
        let SetTarget::Alias {
            target,
            key,
            evaluate_target_health,
            ..
        } = &set.target
        else {
            return String::new();
        };
        let holds = match self.zone.node(key).and_then(|n| n.rrset(rtype)) {
            Some(rrset) => match rrset.content {
                RrsetContent::Routed(_) => AliasTarget::Routed,
                RrsetContent::Static(_) => AliasTarget::Static,
            },
            None => AliasTarget::Missing,
        };
        format::alias_note(
            &set.id,
            &target.to_string(),
            &rtype.to_string(),
            *evaluate_target_health,
            holds,
        )
    }

    /// Set `i` of `group`: its rule, health, chance and whether it answers.
    fn set_report(
        &self,
        group: &RoutedGroup,
        state: &GroupState,
        selection: &Selection,
        i: usize,
        set: &CompiledSet,
    ) -> SetReport {
        let rules = &group.rules;
        let (alias, values) = match &set.target {
            SetTarget::Alias { target, .. } => (Some(target.to_string()), Vec::new()),
            SetTarget::Values(answer) => (
                None,
                answer
                    .records()
                    .iter()
                    .map(|r| r.data.to_string())
                    .collect(),
            ),
        };
        let chosen = match &set.target {
            // A random policy's draw here is not the answer's: mark the
            // sets whose values the answer carries.
            SetTarget::Values(answer) if rules.policy.is_random() => {
                !answer.is_empty()
                    && answer
                        .records()
                        .iter()
                        .all(|r| self.answered.contains(&r.data))
            }
            _ => selection.sets().contains(&i),
        };
        SetReport {
            set: set.id.to_string(),
            rule: rules
                .routing
                .get(i)
                .map_or(String::new(), ToString::to_string),
            health_check: set.health_check.as_deref().map(str::to_string),
            healthy: state.is_healthy(i),
            observers: set
                .health_check
                .as_deref()
                .and_then(|id| self.snapshot.health.verdict(id))
                .map(|v| v.summary()),
            candidate: state.candidates.contains(&i),
            chance: policy::chance(rules, state, i),
            chosen,
            alias,
            values,
        }
    }
}

/// The node answering `name`: its own, else the wildcard at its closest encloser.
fn find_node<'z>(zone: &'z CompiledZone, name: &Name) -> Option<&'z Node> {
    if let Some(node) = zone.node(&key_of(name)) {
        return Some(node);
    }
    let mut ancestor = name.base_name();
    while ancestor.num_labels() >= zone.origin.num_labels() {
        if zone.node(&key_of(&ancestor)).is_some() {
            let star = ancestor.prepend_label("*").ok()?;
            return zone.node(&key_of(&star));
        }
        ancestor = ancestor.base_name();
    }
    None
}
