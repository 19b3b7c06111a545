//! Additional-section records chosen per query: the addresses of in-zone
//! MX, SRV and NS targets whose A or AAAA is routed (failover, weighted,
//! geo...), as the target's policy answers the same client. Static target
//! addresses are copied into the answers at compile time instead.

use hickory_proto::rr::{RData, RecordType};

use super::{MAX_ALIAS_DEPTH, Query, Resolution, add_rrset};
use crate::table::wire_name::WireName;
use crate::table::zone_table::{Answer, RrsetContent};

/// The addresses of in-zone MX, SRV and NS targets whose A or AAAA is
/// routed, as their policy answers this client (the static ones are in
/// `answer.additionals`). Only answers without a wire form can have them
/// (`table::compile` leaves it out), so other answers skip this at once.
pub(super) fn routed<'a>(
    res: &mut Resolution<'a>,
    q: &Query<'a, '_>,
    answer: &'a Answer,
    depth: usize,
) {
    if answer.wire.is_some() || depth >= MAX_ALIAS_DEPTH {
        return;
    }
    for record in answer.records().iter() {
        let target = match &record.data {
            RData::MX(mx) => &mx.exchange,
            RData::SRV(srv) => &srv.target,
            RData::NS(ns) => &ns.0,
            _ => continue,
        };
        let Some(node) = q.zone.node(WireName::new(target).key()) else {
            continue;
        };
        for rtype in [RecordType::A, RecordType::AAAA] {
            let Some(rrset) = node.rrset(rtype) else {
                continue;
            };
            if !matches!(rrset.content, RrsetContent::Routed(_)) {
                continue;
            }
            let mut inner = Resolution::new();
            add_rrset(&mut inner, q, rrset, target, false, depth + 1);
            res.ecs_scope = res.ecs_scope.max(inner.ecs_scope);
            res.size_bound += inner.size_bound;
            for record in inner.answers {
                if !res.additionals.contains(&record) {
                    res.additionals.push(record);
                }
            }
        }
    }
}
