//! Text of an explanation: the reason a policy gave for its choice, what
//! a chosen alias answers with, the client's location, rcodes as dig prints them, records in presentation
//! format.
//!
//! Invariant: formatting only; every decision it describes was made by
//! `policy::select` and arrives as a [`Reason`].

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::Record;

use crate::policy::{AllDown, Client, MAX_MULTIVALUE, PolicyReason, Reason};

/// `[all down: ]<policy's rule> → <chosen sets>`.
pub(super) fn reason(reason: &Reason, client: &Client<'_>, chosen: &[String]) -> String {
    let chosen_text = if chosen.is_empty() {
        "no set (NODATA)".to_string()
    } else {
        chosen.join(", ")
    };
    let down = match reason.all_down {
        Some(AllDown::FailClosed) => "every set is unhealthy and the name fails closed: ",
        Some(AllDown::FailOpen) => "every set is unhealthy, so it fails open: ",
        None => "",
    };
    let rule = match reason.policy {
        PolicyReason::Simple => "simple".to_string(),
        PolicyReason::Failover {
            primary_healthy: true,
        } => "failover: the primary is healthy".to_string(),
        PolicyReason::Failover {
            primary_healthy: false,
        } => "failover: the primary is unhealthy".to_string(),
        PolicyReason::Geolocation { .. } => format!(
            "geolocation: most specific healthy match for {}",
            location_text(client)
        ),
        PolicyReason::Geoproximity { located: true, .. } => format!(
            "geoproximity: least biased distance from {}",
            location_text(client)
        ),
        PolicyReason::Geoproximity {
            located: false,
            has_default: true,
        } => format!(
            "geoproximity: no coordinates for {}, so the \"*\" set answers",
            location_text(client)
        ),
        PolicyReason::Geoproximity {
            located: false,
            has_default: false,
        } => format!(
            "geoproximity: no coordinates for {} and no \"*\" set, so the first set answers",
            location_text(client)
        ),
        PolicyReason::Weighted => "weighted: random by weight among the candidates".to_string(),
        PolicyReason::Multivalue => {
            format!("multivalue: up to {MAX_MULTIVALUE} candidates, shuffled")
        }
        PolicyReason::IpBased { .. } => format!(
            "IP-based: longest network holding {}, else the \"*\" set",
            client.addr
        ),
    };
    format!("{down}{rule} → {chosen_text}")
}

fn location_text(client: &Client<'_>) -> String {
    match client.location() {
        None => format!("{} (location unknown)", client.addr),
        Some(loc) => {
            let part = |c: Option<crate::geo::Code>| c.map_or("-".to_string(), |c| c.to_string());
            let at = loc
                .coordinates
                .map_or(String::new(), |(lat, lon)| format!(" at {lat:.2},{lon:.2}"));
            format!(
                "{} (continent {}, country {}, subdivision {}{at})",
                client.addr,
                part(loc.continent),
                part(loc.country),
                part(loc.subdivision)
            )
        }
    }
}

/// What an alias set's target holds for the asked type.
pub(super) enum AliasTarget {
    /// Routed sets: the target's own decision follows in the list.
    Routed,
    /// Plain records, answered as they are.
    Static,
    /// Nothing of that type: the alias answers NODATA.
    Missing,
}

/// `; <set> is an alias of <target>: ...`, appended to a decision's reason
/// for each chosen alias set.
pub(super) fn alias_note(
    set: &str,
    target: &str,
    rtype: &str,
    evaluate_target_health: bool,
    holds: AliasTarget,
) -> String {
    let answer = match holds {
        AliasTarget::Routed => format!("{target}'s {rtype} answer, decided below"),
        AliasTarget::Static => format!("{target}'s {rtype} records"),
        AliasTarget::Missing => format!("nothing ({target} has no {rtype} records: NODATA)"),
    };
    let health = if evaluate_target_health {
        format!("; evaluate_target_health: healthy while {target} has a healthy answer")
    } else {
        String::new()
    };
    format!("; {set} is an alias of {target} and answers with {answer}{health}")
}

/// An rcode as dig prints it.
pub fn rcode_name(rcode: ResponseCode) -> String {
    match rcode {
        ResponseCode::NoError => "NOERROR".to_string(),
        ResponseCode::FormErr => "FORMERR".to_string(),
        ResponseCode::ServFail => "SERVFAIL".to_string(),
        ResponseCode::NXDomain => "NXDOMAIN".to_string(),
        ResponseCode::NotImp => "NOTIMP".to_string(),
        ResponseCode::Refused => "REFUSED".to_string(),
        ResponseCode::YXDomain => "YXDOMAIN".to_string(),
        other => other.to_string(),
    }
}

/// A record in zone-file presentation: `name ttl IN type rdata`.
pub(super) fn record_text(record: &Record) -> String {
    format!(
        "{} {} IN {} {}",
        record.name,
        record.ttl,
        record.record_type(),
        record.data
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_before() {
        let client = Client::new("192.0.2.1".parse().unwrap(), None, None);
        let failover = Reason {
            policy: PolicyReason::Failover {
                primary_healthy: false,
            },
            all_down: Some(AllDown::FailOpen),
        };
        assert_eq!(
            reason(&failover, &client, &["primary".to_string()]),
            "every set is unhealthy, so it fails open: failover: the primary is unhealthy → primary"
        );
        let geo = Reason {
            policy: PolicyReason::Geolocation {
                located: false,
                matched: None,
            },
            all_down: None,
        };
        assert_eq!(
            reason(&geo, &client, &[]),
            "geolocation: most specific healthy match for 192.0.2.1 (location unknown) → no set (NODATA)"
        );
        let near = |has_default| Reason {
            policy: PolicyReason::Geoproximity {
                located: false,
                has_default,
            },
            all_down: None,
        };
        assert_eq!(
            reason(&near(true), &client, &["default".to_string()]),
            "geoproximity: no coordinates for 192.0.2.1 (location unknown), so the \"*\" set answers → default"
        );
        assert_eq!(
            reason(&near(false), &client, &["tokyo".to_string()]),
            "geoproximity: no coordinates for 192.0.2.1 (location unknown) and no \"*\" set, so the first set answers → tokyo"
        );
        assert_eq!(
            alias_note("apex", "www.example.com.", "A", true, AliasTarget::Routed),
            "; apex is an alias of www.example.com. and answers with www.example.com.'s A answer, \
             decided below; evaluate_target_health: healthy while www.example.com. has a healthy answer"
        );
        assert_eq!(
            alias_note(
                "apex",
                "x.example.com.",
                "AAAA",
                false,
                AliasTarget::Missing
            ),
            "; apex is an alias of x.example.com. and answers with nothing (x.example.com. has no AAAA records: NODATA)"
        );
    }
}
