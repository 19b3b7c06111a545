//! Routing keys of a record set (`failover`, `geo`, `geoproximity`, `weight`,
//! `multivalue`, `cidr`) and the rules that tie the sets of one name and type
//! together: one policy, set ids present and unique, one primary, no CNAME
//! beside other data, aliases that resolve without loops.

use std::collections::{BTreeMap, HashMap, HashSet};

use hickory_proto::rr::{Name, RecordType};
use ipnet::IpNet;

use crate::diag::{Diagnostic, Source};
use crate::geo::key::GeoKey;
use crate::zone::model::{
    FailoverRole, GeoPoint, PolicyKind, Position, RecordSet, Routing, SetData,
};
use crate::zone::raw::{RawGeoproximity, RawRecordSet};

/// Parses the one routing key of a record set (none: simple).
pub fn parse_routing(
    raw: &RawRecordSet,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Option<Routing> {
    let mut present: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
    if let Some(v) = &raw.failover {
        present.push(("failover", v.span()));
    }
    if let Some(v) = &raw.geo {
        present.push(("geo", v.span()));
    }
    if let Some(v) = &raw.geoproximity {
        present.push(("geoproximity", v.span()));
    }
    if let Some(v) = &raw.weight {
        present.push(("weight", v.span()));
    }
    if let Some(v) = raw.multivalue.as_ref().filter(|m| *m.get_ref()) {
        present.push(("multivalue", v.span()));
    }
    if let Some(v) = &raw.cidr {
        present.push(("cidr", v.span()));
    }
    if present.len() > 1 {
        let names: Vec<&str> = present.iter().map(|(n, _)| *n).collect();
        diags.push(src.error(
            &present[1].1,
            format!(
                "a record set has one routing policy; found {}",
                names.join(" and ")
            ),
        ));
        return None;
    }
    let before = diags.len();
    let mut err = |span: std::ops::Range<usize>, msg: String| diags.push(src.error(&span, msg));
    let routing = if let Some(f) = &raw.failover {
        match f.get_ref().as_str() {
            "primary" => Routing::Failover(FailoverRole::Primary),
            "secondary" => Routing::Failover(FailoverRole::Secondary),
            other => {
                err(
                    f.span(),
                    format!("failover must be \"primary\" or \"secondary\", got {other:?}"),
                );
                return None;
            }
        }
    } else if let Some(g) = &raw.geo {
        match GeoKey::parse(g.get_ref()) {
            Ok(key) => Routing::Geolocation(key),
            Err(e) => {
                err(g.span(), e.to_string());
                return None;
            }
        }
    } else if let Some(p) = &raw.geoproximity {
        match p.get_ref() {
            RawGeoproximity::Default(s) if s == "*" => Routing::Geoproximity(None),
            RawGeoproximity::Default(s) => {
                err(
                    p.span(),
                    format!("geoproximity is {{ lat, lon, bias }} or \"*\", got {s:?}"),
                );
                return None;
            }
            RawGeoproximity::Point(point) => {
                if !(-90.0..=90.0).contains(&point.lat) {
                    err(
                        p.span(),
                        format!("geoproximity lat must be in -90..=90, got {}", point.lat),
                    );
                }
                if !(-180.0..=180.0).contains(&point.lon) {
                    err(
                        p.span(),
                        format!("geoproximity lon must be in -180..=180, got {}", point.lon),
                    );
                }
                if !(-99..=99).contains(&point.bias) {
                    err(
                        p.span(),
                        format!("geoproximity bias must be in -99..=99, got {}", point.bias),
                    );
                }
                Routing::Geoproximity(Some(GeoPoint {
                    lat: point.lat,
                    lon: point.lon,
                    bias: i32::try_from(point.bias).unwrap_or(0),
                }))
            }
        }
    } else if let Some(w) = &raw.weight {
        match u8::try_from(*w.get_ref()) {
            Ok(weight) => Routing::Weighted(weight),
            Err(_) => {
                err(
                    w.span(),
                    format!("weight must be in 0..=255, got {}", w.get_ref()),
                );
                return None;
            }
        }
    } else if raw.multivalue.as_ref().is_some_and(|m| *m.get_ref()) {
        Routing::Multivalue
    } else if let Some(c) = &raw.cidr {
        let items = &c.get_ref().0;
        if items.len() == 1 && items[0] == "*" {
            Routing::IpBased(None)
        } else if items.is_empty() {
            err(
                c.span(),
                "cidr must list at least one network, or be \"*\"".into(),
            );
            return None;
        } else {
            let mut nets = Vec::with_capacity(items.len());
            let mut from = c.span().start;
            for item in items {
                let span = item_span(src.text(), from..c.span().end, item);
                from = span.end;
                match parse_net(item) {
                    Ok(net) => nets.push(net),
                    Err(e) => err(span, e),
                }
            }
            Routing::IpBased(Some(nets))
        }
    } else {
        Routing::Simple
    };
    (diags.len() == before).then_some(routing)
}

/// Where a string element of an array stands in the source (the array's
/// own span when it cannot be found, e.g. written with escapes).
fn item_span(text: &str, within: std::ops::Range<usize>, item: &str) -> std::ops::Range<usize> {
    text.get(within.clone())
        .and_then(|slice| {
            ["\"", "'"].iter().find_map(|q| {
                let quoted = format!("{q}{item}{q}");
                slice
                    .find(&quoted)
                    .map(|at| within.start + at..within.start + at + quoted.len())
            })
        })
        .unwrap_or(within)
}

fn parse_net(text: &str) -> Result<IpNet, String> {
    if text == "*" {
        return Err("\"*\" must be the only entry of cidr".into());
    }
    let net = text
        .parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("invalid CIDR {text:?} (write e.g. \"203.0.113.0/24\" or \"2001:db8::/32\")")
        })?;
    if net.trunc() != net {
        return Err(format!(
            "CIDR {text:?} has host bits set; did you mean {}?",
            net.trunc()
        ));
    }
    Ok(net)
}

/// Checks the rules that span several record sets of a zone.
pub fn check_groups(sets: &[RecordSet], origin: &Name, src: &Source, diags: &mut Vec<Diagnostic>) {
    let at = |pos: Position, message: String| Diagnostic {
        file: src.path().to_path_buf(),
        line: pos.line,
        col: pos.col,
        message,
    };
    let mut groups: BTreeMap<(&Name, RecordType), Vec<&RecordSet>> = BTreeMap::new();
    let mut types_at: HashMap<&Name, Vec<&RecordSet>> = HashMap::new();
    for set in sets {
        groups.entry((&set.name, set.rtype)).or_default().push(set);
        types_at.entry(&set.name).or_default().push(set);
    }

    for ((name, rtype), group) in &groups {
        check_group(name, *rtype, group, &mut |pos, msg| {
            diags.push(at(pos, msg))
        });
    }

    for (name, at_name) in &types_at {
        let cname = at_name.iter().find(|s| s.rtype == RecordType::CNAME);
        if let Some(cname) = cname {
            if *name == origin {
                diags.push(at(cname.position, "a CNAME cannot be at the zone apex (it would sit beside the SOA and NS); use an alias".into()));
            } else if let Some(other) = at_name.iter().find(|s| s.rtype != RecordType::CNAME) {
                diags.push(at(
                    other.position,
                    format!(
                        "{name} has a CNAME, so it cannot have other data ({} here)",
                        other.rtype
                    ),
                ));
            }
        }
    }

    check_aliases(&groups, &mut |pos, msg| diags.push(at(pos, msg)));
}

fn check_group(
    name: &Name,
    rtype: RecordType,
    group: &[&RecordSet],
    report: &mut dyn FnMut(Position, String),
) {
    let first = group[0];
    let kind = first.routing.kind();
    if group.len() == 1 && kind == PolicyKind::Simple {
        if first.set_id.is_some() {
            report(first.position, "set is only used together with a routing policy (failover, geo, geoproximity, weight, multivalue or cidr)".into());
        }
        return;
    }
    if rtype == RecordType::NS {
        for set in group.iter().skip(usize::from(kind == PolicyKind::Simple)) {
            report(
                set.position,
                format!("NS record sets cannot use a routing policy or repeat ({name} NS)"),
            );
        }
        return;
    }
    let mut ids: HashSet<&str> = HashSet::new();
    let all_simple = group.iter().all(|s| s.routing.kind() == PolicyKind::Simple);
    for (i, set) in group.iter().enumerate() {
        if set.routing.kind() == PolicyKind::Simple {
            if all_simple && i == 0 {
                continue;
            }
            report(
                set.position,
                format!(
                    "duplicate record set {name} {rtype}: merge the values into one set, or give every set of this name and type a set id and the same routing policy"
                ),
            );
            continue;
        }
        if set.routing.kind() != kind {
            report(
                set.position,
                format!(
                    "the sets of {name} {rtype} mix routing policies ({} and {}); use one policy per name and type (nest with an alias)",
                    kind.key(),
                    set.routing.kind().key()
                ),
            );
        }
        match &set.set_id {
            None => report(
                set.position,
                format!(
                    "missing set id: a {} record set needs set = \"...\"",
                    set.routing.kind().key()
                ),
            ),
            Some(id) => {
                if !ids.insert(id) {
                    report(
                        set.position,
                        format!("duplicate set id {id:?} for {name} {rtype}"),
                    );
                }
            }
        }
    }
    match kind {
        PolicyKind::Failover => {
            let role = |r: FailoverRole| {
                group
                    .iter()
                    .filter(move |s| s.routing == Routing::Failover(r))
            };
            let primaries: Vec<_> = role(FailoverRole::Primary).collect();
            let secondaries: Vec<_> = role(FailoverRole::Secondary).collect();
            if primaries.is_empty() {
                report(
                    first.position,
                    format!(
                        "failover for {name} {rtype} needs exactly one primary set, found none"
                    ),
                );
            }
            for extra in primaries.iter().skip(1) {
                report(
                    extra.position,
                    format!(
                        "failover for {name} {rtype} needs exactly one primary set, found {}",
                        primaries.len()
                    ),
                );
            }
            for extra in secondaries.iter().skip(1) {
                report(
                    extra.position,
                    format!(
                        "failover for {name} {rtype} allows at most one secondary set, found {}",
                        secondaries.len()
                    ),
                );
            }
        }
        PolicyKind::Geolocation => {
            let mut seen = HashSet::new();
            for set in group {
                if let Routing::Geolocation(key) = &set.routing
                    && !seen.insert(format!("{key:?}"))
                {
                    report(
                        set.position,
                        format!("two sets of {name} {rtype} have the same geo location"),
                    );
                }
            }
        }
        PolicyKind::Geoproximity => {
            for extra in group
                .iter()
                .filter(|s| s.routing == Routing::Geoproximity(None))
                .skip(1)
            {
                report(
                    extra.position,
                    format!("{name} {rtype} has more than one geoproximity \"*\" set"),
                );
            }
        }
        PolicyKind::IpBased => {
            for extra in group
                .iter()
                .filter(|s| s.routing == Routing::IpBased(None))
                .skip(1)
            {
                report(
                    extra.position,
                    format!("{name} {rtype} has more than one cidr \"*\" set"),
                );
            }
        }
        PolicyKind::Multivalue => {
            for set in group {
                if matches!(set.data, SetData::Alias { .. }) {
                    report(
                        set.position,
                        "a multivalue set holds values, not an alias".into(),
                    );
                }
            }
        }
        PolicyKind::Simple | PolicyKind::Weighted => {}
    }
}

/// Alias targets must exist with the same type, and aliases must not loop.
fn check_aliases(
    groups: &BTreeMap<(&Name, RecordType), Vec<&RecordSet>>,
    report: &mut dyn FnMut(Position, String),
) {
    let mut edges: BTreeMap<(&Name, RecordType), Vec<(&Name, Position)>> = BTreeMap::new();
    for ((name, rtype), group) in groups {
        for set in group {
            if let SetData::Alias { target, .. } = &set.data {
                if !groups.contains_key(&(target, *rtype)) {
                    report(
                        set.position,
                        format!("alias target {target} has no {rtype} record set in this zone"),
                    );
                } else {
                    edges
                        .entry((name, *rtype))
                        .or_default()
                        .push((target, set.position));
                }
            }
        }
    }
    // Depth-first search for a cycle from every aliasing name.
    let mut done: HashSet<(&Name, RecordType)> = HashSet::new();
    for start in edges.keys() {
        let mut stack = vec![(*start, 0usize)];
        let mut on_path: HashSet<(&Name, RecordType)> = HashSet::from([*start]);
        while let Some((node, next)) = stack.pop() {
            let targets = edges.get(&node).map_or(&[][..], Vec::as_slice);
            if let Some((target, pos)) = targets.get(next) {
                stack.push((node, next + 1));
                let key = (*target, node.1);
                if on_path.contains(&key) {
                    report(
                        *pos,
                        format!("alias loop: {} {} leads back to itself", key.0, key.1),
                    );
                } else if !done.contains(&key) {
                    on_path.insert(key);
                    stack.push((key, 0));
                }
            } else {
                on_path.remove(&node);
                done.insert(node);
            }
        }
    }
}
