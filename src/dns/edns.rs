//! EDNS(0) negotiation for one request: the OPT we answer with (payload
//! clamped to what we promise, version 0, DO clear, unknown options
//! dropped), BADVERS for versions above 0, ECS (RFC 7871): the client
//! subnet masked to its source prefix and echoed with the scope the answer
//! used, and NSID (RFC 5001): our identity, for a query with an empty NSID
//! option, when one is configured.
//!
//! Everything here is plain values on the stack: the query path allocates
//! nothing for it beyond hickory's own `Edns` (and the NSID payload, only
//! for a query that asked for it).

use std::net::IpAddr;

use hickory_proto::op::Edns;
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption, NSIDPayload};

/// Fixed size of an OPT record with no options.
const OPT_SIZE: usize = 11;
/// An ECS option with a full IPv6 address.
const ECS_OPTION_SIZE: usize = 4 + 4 + 16;
/// An option's code and length, before its data.
const OPTION_HEADER_SIZE: usize = 4;

/// The smallest UDP payload every resolver accepts (RFC 1035 §2.3.4).
const MIN_UDP_PAYLOAD: u16 = 512;

/// What the server offers every client, from `[dns]` and `[geoip]`.
#[derive(Clone, Copy, Debug)]
pub struct EdnsSettings {
    /// The largest UDP payload we promise (at least 512).
    pub max_udp_payload: u16,
    /// Whether ECS options are read and echoed.
    pub use_ecs: bool,
}

/// What was agreed with the client for one response.
#[derive(Debug)]
pub struct Negotiated {
    /// The OPT to send back: `Some` exactly when the request had one.
    pub response: Option<Edns>,
    /// The client subnet from ECS, masked; `None` without ECS or when ECS
    /// is turned off.
    pub ecs: Option<ClientSubnet>,
    /// The most bytes the response may take.
    pub limit: usize,
    /// The encoded size of the NSID option in `response` (0: none).
    nsid_size: usize,
}

/// Negotiates EDNS for a request that carried `request` (its OPT, if any).
/// `nsid` is our identity, sent to a request with an empty NSID option.
/// `Err` holds the OPT of a BADVERS answer, for a version we do not speak.
pub fn negotiate(
    request: Option<&Edns>,
    udp: bool,
    settings: EdnsSettings,
    nsid: Option<&NSIDPayload>,
) -> Result<Negotiated, Edns> {
    let mut negotiated = Negotiated {
        response: None,
        ecs: None,
        nsid_size: 0,
        limit: if udp {
            usize::from(MIN_UDP_PAYLOAD)
        } else {
            usize::from(u16::MAX)
        },
    };
    let Some(edns) = request else {
        return Ok(negotiated);
    };
    let mut ours = Edns::new();
    let payload = edns
        .max_payload()
        .clamp(MIN_UDP_PAYLOAD, settings.max_udp_payload);
    ours.set_max_payload(payload);
    ours.set_version(0);
    ours.set_dnssec_ok(false);
    if udp {
        negotiated.limit = usize::from(payload);
    }
    if edns.version() > 0 {
        return Err(ours);
    }
    if settings.use_ecs
        && let Some(EdnsOption::Subnet(subnet)) = edns.option(EdnsCode::Subnet)
    {
        negotiated.ecs = Some(masked(*subnet));
    }
    if let Some(nsid) = nsid
        && let Some(EdnsOption::NSID(asked)) = edns.option(EdnsCode::NSID)
        && asked.as_ref().is_empty()
    {
        negotiated.nsid_size = OPTION_HEADER_SIZE + nsid.as_ref().len();
        ours.options_mut().insert(EdnsOption::NSID(nsid.clone()));
    }
    negotiated.response = Some(ours);
    Ok(negotiated)
}

impl Negotiated {
    /// Echoes the client subnet in our OPT with the scope the answer used.
    pub fn echo_ecs(&mut self, scope: u8) {
        if let (Some(edns), Some(mut subnet)) = (self.response.as_mut(), self.ecs) {
            // RFC 7871 §7.1.2: SOURCE 0 gets SCOPE 0.
            subnet.set_scope_prefix(if subnet.source_prefix() == 0 {
                0
            } else {
                scope
            });
            edns.options_mut().insert(EdnsOption::Subnet(subnet));
        }
    }

    /// An upper bound of the OPT record's encoded size.
    pub fn opt_size_bound(&self) -> usize {
        self.response.as_ref().map_or(0, |_| {
            OPT_SIZE + self.ecs.map_or(0, |_| ECS_OPTION_SIZE) + self.nsid_size
        })
    }
}

/// Clears address bits beyond the ECS source prefix (RFC 7871 §6): the
/// parser keeps them, and they must not influence the answer.
pub(super) fn masked(mut subnet: ClientSubnet) -> ClientSubnet {
    let prefix = subnet.source_prefix();
    let addr = match subnet.addr() {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix.min(32)))
            };
            IpAddr::V4((bits & mask).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix.min(128)))
            };
            IpAddr::V6((bits & mask).into())
        }
    };
    subnet.set_addr(addr);
    subnet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_bits_beyond_the_source_prefix_are_cleared() {
        let s = masked(ClientSubnet::new("10.1.2.3".parse().unwrap(), 24, 0));
        assert_eq!(s.addr(), "10.1.2.0".parse::<IpAddr>().unwrap());
        let s = masked(ClientSubnet::new("2001:db8::1".parse().unwrap(), 32, 0));
        assert_eq!(s.addr(), "2001:db8::".parse::<IpAddr>().unwrap());
        let s = masked(ClientSubnet::new("10.1.2.3".parse().unwrap(), 0, 0));
        assert_eq!(s.addr(), "0.0.0.0".parse::<IpAddr>().unwrap());
    }
}
