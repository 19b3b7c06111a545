//! The routing rule of a record set, as a zone file states it
//! (`failover = "primary"`, `geo = "DE"`, `weight = 90`, ...), and the
//! policy kind that ties the sets of one name and type together.
//!
//! Invariant: a [`Routing`] only holds values that were validated when the
//! zone was converted (ranges, networks without host bits); its `Display`
//! writes it back as the zone file would, for the explain API.

use std::fmt;

use ipnet::IpNet;

use crate::geo::key::GeoKey;

/// The routing rule of one record set.
#[derive(Clone, Debug, PartialEq)]
pub enum Routing {
    Simple,
    Failover(FailoverRole),
    Geolocation(GeoKey),
    /// `None` is the `"*"` set, used when the client's location is unknown.
    Geoproximity(Option<GeoPoint>),
    Weighted(u8),
    Multivalue,
    /// `None` is the `"*"` set, used when no network holds the client.
    IpBased(Option<Vec<IpNet>>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailoverRole {
    Primary,
    Secondary,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
    /// -99..=99
    pub bias: i32,
}

/// The policy kind of a name/type, for "one policy per name and type".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    Simple,
    Failover,
    Geolocation,
    Geoproximity,
    Weighted,
    Multivalue,
    IpBased,
}

impl Routing {
    pub fn kind(&self) -> PolicyKind {
        match self {
            Routing::Simple => PolicyKind::Simple,
            Routing::Failover(_) => PolicyKind::Failover,
            Routing::Geolocation(_) => PolicyKind::Geolocation,
            Routing::Geoproximity(_) => PolicyKind::Geoproximity,
            Routing::Weighted(_) => PolicyKind::Weighted,
            Routing::Multivalue => PolicyKind::Multivalue,
            Routing::IpBased(_) => PolicyKind::IpBased,
        }
    }
}

impl PolicyKind {
    /// The zone file key that selects this policy.
    pub fn key(self) -> &'static str {
        match self {
            PolicyKind::Simple => "simple",
            PolicyKind::Failover => "failover",
            PolicyKind::Geolocation => "geo",
            PolicyKind::Geoproximity => "geoproximity",
            PolicyKind::Weighted => "weight",
            PolicyKind::Multivalue => "multivalue",
            PolicyKind::IpBased => "cidr",
        }
    }

    /// Whether a query draws its answer at random (so two queries may differ).
    pub fn is_random(self) -> bool {
        matches!(self, PolicyKind::Weighted | PolicyKind::Multivalue)
    }
}

/// The rule as written in the zone file.
impl fmt::Display for Routing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Routing::Simple => f.write_str("simple"),
            Routing::Failover(FailoverRole::Primary) => f.write_str("failover = \"primary\""),
            Routing::Failover(FailoverRole::Secondary) => f.write_str("failover = \"secondary\""),
            Routing::Geolocation(key) => write!(f, "geo = \"{key}\""),
            Routing::Geoproximity(None) => f.write_str("geoproximity = \"*\""),
            Routing::Geoproximity(Some(p)) => write!(
                f,
                "geoproximity = {{ lat = {}, lon = {}, bias = {} }}",
                p.lat, p.lon, p.bias
            ),
            Routing::Weighted(w) => write!(f, "weight = {w}"),
            Routing::Multivalue => f.write_str("multivalue = true"),
            Routing::IpBased(None) => f.write_str("cidr = \"*\""),
            Routing::IpBased(Some(nets)) => {
                f.write_str("cidr = [")?;
                for (i, net) in nets.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{net}\"")?;
                }
                f.write_str("]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_display_as_the_zone_file_writes_them() {
        let nets = vec![
            "203.0.113.0/24".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ];
        assert_eq!(
            Routing::IpBased(Some(nets)).to_string(),
            "cidr = [\"203.0.113.0/24\", \"2001:db8::/32\"]"
        );
        assert_eq!(
            Routing::Geoproximity(Some(GeoPoint {
                lat: 50.11,
                lon: 8.68,
                bias: -5
            }))
            .to_string(),
            "geoproximity = { lat = 50.11, lon = 8.68, bias = -5 }"
        );
        assert_eq!(
            Routing::Failover(FailoverRole::Secondary).to_string(),
            "failover = \"secondary\""
        );
        assert_eq!(Routing::Weighted(7).to_string(), "weight = 7");
    }
}
