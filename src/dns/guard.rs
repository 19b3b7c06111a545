//! The UDP defences as the handler calls them: the DNS cookie step after
//! EDNS negotiation (`dns::cookie`), and the rate limiter's verdict on a
//! built response (`dns::rrl`), each counted in [`Metrics`]. Both are off
//! unless configured; off, each step is one `Option` test.

use std::net::IpAddr;
use std::sync::Arc;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::opt::ClientSubnet;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::Request;

use super::cookie::{CookieCheck, Cookies};
use super::edns::Negotiated;
use super::rrl::{ResponseKind, Rrl, Verdict};
use crate::dns::resolve::Resolution;
use crate::geo::GeoDb;
use crate::metrics::Metrics;
use crate::metrics::abuse::{CookieResult, RrlAction};
use crate::policy::Client;
use crate::table::zone_table::ZoneId;

/// Rate limiting and cookies; `Default` is both off.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    /// Shared so that a reload that keeps its settings keeps its buckets.
    pub rrl: Option<Arc<Rrl>>,
    /// Shared so that a reload that keeps its settings keeps its secret.
    pub cookies: Option<Arc<Cookies>>,
}

impl Guard {
    /// Reads the request's COOKIE option and puts a fresh server cookie in
    /// our OPT when the client sent a client cookie. `Ok(true)`: a valid
    /// server cookie, which exempts the client from rate limiting. `Err`:
    /// the code to answer with (FORMERR for a malformed option, BADCOOKIE
    /// for a server cookie that is not ours or too old, over UDP; over TCP
    /// that one is answered as a first contact).
    pub fn cookie(
        &self,
        request: &Request,
        edns: &mut Negotiated,
        metrics: &Metrics,
    ) -> Result<bool, ResponseCode> {
        let Some(cookies) = &self.cookies else {
            return Ok(false);
        };
        let client = canonical(request.src().ip());
        let check = cookies.check(request.edns.as_ref(), client);
        if let (Some(cc), Some(ours)) = (check.client(), edns.response.as_mut()) {
            ours.options_mut().insert(cookies.option(&cc, client));
        }
        let (result, outcome) = match check {
            CookieCheck::Absent => return Ok(false),
            CookieCheck::Malformed => (CookieResult::Malformed, Err(ResponseCode::FormErr)),
            CookieCheck::ClientOnly(_) => (CookieResult::ClientOnly, Ok(false)),
            CookieCheck::Valid(_) => (CookieResult::Valid, Ok(true)),
            CookieCheck::Invalid(_) if request.protocol() == Protocol::Udp => {
                (CookieResult::Invalid, Err(ResponseCode::BADCOOKIE))
            }
            CookieCheck::Invalid(_) => (CookieResult::Invalid, Ok(false)),
        };
        metrics.abuse.record_cookie(result);
        outcome
    }

    /// Whether a built response of `kind` goes out: always over TCP, to
    /// exempt clients and without RRL; else as the client's bucket says.
    pub fn verdict(
        &self,
        request: &Request,
        kind: ResponseKind<'_>,
        exempt: bool,
        metrics: &Metrics,
    ) -> Verdict {
        if request.protocol() != Protocol::Udp {
            return Verdict::Send;
        }
        self.verdict_udp(request.src().ip(), kind, exempt, metrics)
    }

    /// [`Guard::verdict`] for a UDP response to `src`.
    pub fn verdict_udp(
        &self,
        src: IpAddr,
        kind: ResponseKind<'_>,
        exempt: bool,
        metrics: &Metrics,
    ) -> Verdict {
        let Some(rrl) = &self.rrl else {
            return Verdict::Send;
        };
        if exempt {
            return Verdict::Send;
        }
        let verdict = rrl.check(canonical(src), kind);
        match verdict {
            Verdict::Send => {}
            Verdict::Slip => metrics.abuse.record_rrl(RrlAction::Slipped),
            Verdict::Drop => metrics.abuse.record_rrl(RrlAction::Dropped),
        }
        verdict
    }
}

/// The RRL kind of a resolved answer to `qname` (wire form, lowercase) and
/// `qtype` in zone `zone`.
pub fn kind_of<'a>(
    res: &Resolution<'a>,
    qname: &'a [u8],
    qtype: u16,
    zone: ZoneId,
) -> ResponseKind<'a> {
    match res.rcode {
        ResponseCode::NXDomain => ResponseKind::NxDomain(zone.0),
        ResponseCode::NoError if res.referral => ResponseKind::Referral(zone.0),
        ResponseCode::NoError if res.answers.is_empty() => ResponseKind::NoData(zone.0),
        ResponseCode::NoError => match res.wildcard {
            Some(wildcard) => ResponseKind::Wildcard(wildcard, qtype),
            None => ResponseKind::Answer(qname, qtype),
        },
        _ => ResponseKind::Error,
    }
}

/// The client as policies see it: the ECS subnet when there is one, else
/// the packet's source address `src`.
pub(super) fn client_of<'g>(
    src: IpAddr,
    ecs: Option<&ClientSubnet>,
    geo: Option<&'g GeoDb>,
) -> Client<'g> {
    let (addr, source) = match ecs {
        Some(subnet) => (subnet.addr(), Some(subnet.source_prefix())),
        None => (src, None),
    };
    Client::new(canonical(addr), source, geo)
}

/// IPv4-mapped IPv6 sources (dual-stack sockets) count as IPv4.
pub(super) fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}
