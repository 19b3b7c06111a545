//! Parsers of single CSV fields (network, subdivision, coordinate) and
//! their typed [`FieldError`].
//!
//! Invariant: each parser looks at one field's text only (plus the row's
//! country for a subdivision), so the caller decides where the error points.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::{IpNet, Ipv6Net};

use crate::geo::location::Code;

/// Why one field of a row is not valid.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(super) enum FieldError {
    /// A single address where a network belongs.
    #[error("network {text:?} has no prefix length: write {text}/{len} for a single address")]
    NoPrefixLength {
        /// The field as written.
        text: String,
        /// The host prefix length of its family.
        len: u8,
    },
    /// Neither a network nor an address.
    #[error("invalid network {0:?}: expected a CIDR such as 192.0.2.0/24 or 2001:db8::/32")]
    Network(String),
    /// A network with bits set after its prefix.
    #[error("network {net} has host bits set: did you mean {}?", net.trunc())]
    HostBits {
        /// The network as parsed.
        net: IpNet,
    },
    /// IPv6 space the database maps to IPv4.
    #[error(
        "network {net} is inside {reserved}, which the database maps to IPv4: write the IPv4 network instead"
    )]
    Ipv4Alias {
        /// The network as parsed.
        net: IpNet,
        /// The reserved range that holds it.
        reserved: Ipv6Net,
    },
    /// A `CC-XX` subdivision whose country is not the row's.
    #[error(
        "subdivision {text:?} is not in country {country}: write {country}-{code} or just {code}"
    )]
    SubdivisionCountry {
        /// The field as written.
        text: String,
        /// The row's country.
        country: Code,
        /// The part after the dash.
        code: String,
    },
    /// A subdivision code that is not 1 to 3 letters or digits.
    #[error("subdivision {0:?}: expected 1 to 3 letters or digits, as HE or DE-HE (ISO 3166-2)")]
    Subdivision(String),
    /// A coordinate that is no number.
    #[error("{what} {text:?} is not a number")]
    NotANumber {
        /// "latitude" or "longitude".
        what: &'static str,
        /// The field as written.
        text: String,
    },
    /// A coordinate outside its range (also NaN and infinities).
    #[error("{what} {text} is outside -{limit}..{limit}")]
    OutOfRange {
        /// "latitude" or "longitude".
        what: &'static str,
        /// The field as written.
        text: String,
        /// 90 or 180.
        limit: f64,
    },
}

pub(super) fn parse_network(text: &str) -> Result<IpNet, FieldError> {
    let net: IpNet = match text.parse() {
        Ok(net) => net,
        Err(_) if text.parse::<IpAddr>().is_ok() => {
            let len = if text.contains(':') { 128 } else { 32 };
            return Err(FieldError::NoPrefixLength {
                text: text.to_owned(),
                len,
            });
        }
        Err(_) => return Err(FieldError::Network(text.to_owned())),
    };
    if net != net.trunc() {
        return Err(FieldError::HostBits { net });
    }
    if let IpNet::V6(v6) = net
        && let Some(reserved) = IPV4_ALIASES.iter().find(|r| r.contains(&v6))
    {
        return Err(FieldError::Ipv4Alias {
            net,
            reserved: *reserved,
        });
    }
    Ok(net)
}

/// IPv6 space that a GeoIP2 database reserves for IPv4: `::/96` holds IPv4
/// itself, the others are aliases of it (IPv4-mapped, Teredo, 6to4).
const IPV4_ALIASES: [Ipv6Net; 4] = [
    Ipv6Net::new_assert(Ipv6Addr::UNSPECIFIED, 96),
    Ipv6Net::new_assert(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96),
    Ipv6Net::new_assert(Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),
    Ipv6Net::new_assert(Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),
];

/// Accepts "", "HE" or "DE-HE" (whose country must be the row's).
pub(super) fn parse_subdivision(
    text: &str,
    country: Option<Code>,
) -> Result<Option<Code>, FieldError> {
    if text.is_empty() {
        return Ok(None);
    }
    let code = match text.split_once('-') {
        Some((prefix, code)) => {
            if let Some(country) = country
                && !prefix.eq_ignore_ascii_case(country.as_str())
            {
                return Err(FieldError::SubdivisionCountry {
                    text: text.to_owned(),
                    country,
                    code: code.to_owned(),
                });
            }
            code
        }
        None => text,
    };
    Code::new(code)
        .map(Some)
        .ok_or_else(|| FieldError::Subdivision(text.to_owned()))
}

pub(super) fn parse_degrees(text: &str, what: &'static str, limit: f64) -> Result<f64, FieldError> {
    let value: f64 = text.parse().map_err(|_| FieldError::NotANumber {
        what,
        text: text.to_owned(),
    })?;
    // The range check also rejects NaN and infinities, which `parse` accepts.
    if (-limit..=limit).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::OutOfRange {
            what,
            text: text.to_owned(),
            limit,
        })
    }
}
