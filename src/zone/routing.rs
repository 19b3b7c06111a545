//! Routing keys of a record set (`failover`, `geo`, `geoproximity`, `weight`,
//! `multivalue`, `cidr`) → a validated [`Routing`], one small parser per key.
//!
//! Invariant: a key that is out of range or malformed yields no routing and
//! an error at its own span (each network of `cidr` at its own position).

use ipnet::IpNet;
use toml::Spanned;

use crate::diag::{Diagnostic, Source, Span};
use crate::geo::key::GeoKey;
use crate::policy::{FailoverRole, GeoPoint, Routing};
use crate::zone::raw::{RawCidrs, RawGeoproximity, RawRecordSet};

/// Reports an error at a span of the zone file.
type Report<'a> = dyn FnMut(&Span, String) + 'a;

/// Parses the one routing key of a record set (none: simple).
pub fn parse_routing(
    raw: &RawRecordSet,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
) -> Option<Routing> {
    let present = present_keys(raw);
    if let [_, (_, second), ..] = &present[..] {
        let names: Vec<&str> = present.iter().map(|(n, _)| *n).collect();
        diags.push(src.error(
            second,
            format!(
                "a record set has one routing policy; found {}",
                names.join(" and ")
            ),
        ));
        return None;
    }
    let before = diags.len();
    let mut report = |span: &Span, msg: String| diags.push(src.error(span, msg));
    let routing = if let Some(f) = &raw.failover {
        failover(f, &mut report)
    } else if let Some(g) = &raw.geo {
        geolocation(g, &mut report)
    } else if let Some(p) = &raw.geoproximity {
        geoproximity(p, &mut report)
    } else if let Some(w) = &raw.weight {
        weight(w, &mut report)
    } else if raw.multivalue.as_ref().is_some_and(|m| *m.get_ref()) {
        Some(Routing::Multivalue)
    } else if let Some(c) = &raw.cidr {
        cidr(c, src.text(), &mut report)
    } else {
        Some(Routing::Simple)
    }?;
    (diags.len() == before).then_some(routing)
}

/// The routing keys a record set gives, with their spans.
fn present_keys(raw: &RawRecordSet) -> Vec<(&'static str, Span)> {
    let mut present = Vec::new();
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
    present
}

fn failover(value: &Spanned<String>, report: &mut Report<'_>) -> Option<Routing> {
    match value.get_ref().as_str() {
        "primary" => Some(Routing::Failover(FailoverRole::Primary)),
        "secondary" => Some(Routing::Failover(FailoverRole::Secondary)),
        other => {
            report(
                &value.span(),
                format!("failover must be \"primary\" or \"secondary\", got {other:?}"),
            );
            None
        }
    }
}

fn geolocation(value: &Spanned<String>, report: &mut Report<'_>) -> Option<Routing> {
    match GeoKey::parse(value.get_ref()) {
        Ok(key) => Some(Routing::Geolocation(key)),
        Err(e) => {
            report(&value.span(), e.to_string());
            None
        }
    }
}

/// A point with every range checked (each bad field reported), or `"*"`.
fn geoproximity(value: &Spanned<RawGeoproximity>, report: &mut Report<'_>) -> Option<Routing> {
    let span = value.span();
    let point = match value.get_ref() {
        RawGeoproximity::Default(s) if s == "*" => return Some(Routing::Geoproximity(None)),
        RawGeoproximity::Default(s) => {
            report(
                &span,
                format!("geoproximity is {{ lat, lon, bias }} or \"*\", got {s:?}"),
            );
            return None;
        }
        RawGeoproximity::Point(point) => point,
    };
    if !(-90.0..=90.0).contains(&point.lat) {
        let msg = format!("geoproximity lat must be in -90..=90, got {}", point.lat);
        report(&span, msg);
    }
    if !(-180.0..=180.0).contains(&point.lon) {
        let msg = format!("geoproximity lon must be in -180..=180, got {}", point.lon);
        report(&span, msg);
    }
    if !(-99..=99).contains(&point.bias) {
        let msg = format!("geoproximity bias must be in -99..=99, got {}", point.bias);
        report(&span, msg);
    }
    Some(Routing::Geoproximity(Some(GeoPoint {
        lat: point.lat,
        lon: point.lon,
        bias: i32::try_from(point.bias).unwrap_or(0),
    })))
}

fn weight(value: &Spanned<i64>, report: &mut Report<'_>) -> Option<Routing> {
    match u8::try_from(*value.get_ref()) {
        Ok(weight) => Some(Routing::Weighted(weight)),
        Err(_) => {
            let msg = format!("weight must be in 0..=255, got {}", value.get_ref());
            report(&value.span(), msg);
            None
        }
    }
}

/// `"*"`, or networks each reported at its own position in `text`.
fn cidr(value: &Spanned<RawCidrs>, text: &str, report: &mut Report<'_>) -> Option<Routing> {
    let items = &value.get_ref().0;
    if items.len() == 1 && items[0] == "*" {
        return Some(Routing::IpBased(None));
    }
    if items.is_empty() {
        let msg = "cidr must list at least one network, or be \"*\"".to_string();
        report(&value.span(), msg);
        return None;
    }
    let mut nets = Vec::with_capacity(items.len());
    let mut from = value.span().start;
    for item in items {
        let span = item_span(text, from..value.span().end, item);
        from = span.end;
        match parse_net(item) {
            Ok(net) => nets.push(net),
            Err(e) => report(&span, e.to_string()),
        }
    }
    Some(Routing::IpBased(Some(nets)))
}

/// Where a string element of an array stands in the source (the array's
/// own span when it cannot be found, e.g. written with escapes).
fn item_span(text: &str, within: Span, item: &str) -> Span {
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

/// Why an entry of `cidr` is not a network.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// `"*"` stands beside networks.
    #[error("\"*\" must be the only entry of cidr")]
    StarInList,
    /// Neither a network nor an address.
    #[error("invalid CIDR {0:?} (write e.g. \"203.0.113.0/24\" or \"2001:db8::/32\")")]
    Invalid(String),
    /// The address has bits set beyond the prefix.
    #[error("CIDR {text:?} has host bits set; did you mean {truncated}?")]
    HostBits { text: String, truncated: IpNet },
}

/// A network (an address alone is a host network) without host bits.
pub fn parse_net(text: &str) -> Result<IpNet, NetError> {
    if text == "*" {
        return Err(NetError::StarInList);
    }
    let net = text
        .parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| NetError::Invalid(text.to_string()))?;
    if net.trunc() != net {
        return Err(NetError::HostBits {
            text: text.to_string(),
            truncated: net.trunc(),
        });
    }
    Ok(net)
}
