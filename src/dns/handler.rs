//! hickory's `RequestHandler` over the snapshot. `respond` is the query
//! path as a sequence of steps: header rules (AA, RD copied, RA never,
//! NOTIMP, FORMERR, REFUSED) → EDNS negotiation (`dns::edns`) → find
//! the zone → resolve → fit a UDP answer (`dns::fit`) → send.
//!
//! The query path loads the snapshot once and allocates only what hickory
//! and the answer vector need; counting it in [`Metrics`] is a few atomic
//! increments.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use hickory_proto::op::{Edns, Header, HeaderCounts, LowerQuery, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::opt::ClientSubnet;
use hickory_proto::rr::{DNSClass, RecordType};
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

use super::edns::{EdnsSettings, Negotiated, negotiate};
use super::fit::fit_udp;
use crate::dns::resolve::{Resolution, resolve};
use crate::geo::GeoDb;
use crate::metrics::{Metrics, Transport};
use crate::policy::Client;
use crate::table::SnapshotStore;
use crate::table::wire_name::WireName;
use crate::table::zone_table::ZoneId;

#[derive(Clone, Debug)]
pub struct DnsHandler {
    store: Arc<SnapshotStore>,
    edns: EdnsSettings,
    metrics: Arc<Metrics>,
}

impl DnsHandler {
    pub fn new(store: Arc<SnapshotStore>, max_udp_payload: u16, use_ecs: bool) -> Self {
        Self {
            store,
            edns: EdnsSettings {
                max_udp_payload: max_udp_payload.max(512),
                use_ecs,
            },
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// Counts queries into `metrics` instead of a private set.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }
}

fn header_only(metadata: Metadata) -> ResponseInfo {
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}

#[async_trait::async_trait]
impl RequestHandler for DnsHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        let started = Instant::now();
        let mut zone = None;
        let info = self.respond(request, response_handle, &mut zone).await;
        let transport = match request.protocol() {
            Protocol::Udp => Transport::Udp,
            _ => Transport::Tcp,
        };
        let qtype = match request.queries.queries() {
            [q] => q.query_type(),
            _ => RecordType::Unknown(0),
        };
        self.metrics.record_query(
            zone,
            transport,
            qtype,
            info.response_code,
            info.truncation,
            started.elapsed(),
        );
        info
    }
}

impl DnsHandler {
    /// Answers one request; `zone_id` gets the id of the zone that held
    /// the name, if one did.
    async fn respond<R: ResponseHandler>(
        &self,
        request: &Request,
        response_handle: R,
        zone_id: &mut Option<ZoneId>,
    ) -> ResponseInfo {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.recursion_available = false;
        metadata.authoritative = false;
        let udp = request.protocol() == Protocol::Udp;
        if super::question::has_pointer(request.queries.as_bytes()) {
            metadata.response_code = ResponseCode::FormErr;
            return super::question::send_without_question(response_handle, metadata).await;
        }

        let mut edns = match negotiate(request.edns.as_ref(), udp, self.edns) {
            Ok(edns) => edns,
            Err(badvers) => {
                metadata.response_code = ResponseCode::BADVERS;
                return send_empty(request, response_handle, metadata, Some(&badvers)).await;
            }
        };
        let query = match answerable_query(request) {
            Ok(query) => query,
            Err(code) => {
                metadata.response_code = code;
                return send_empty(request, response_handle, metadata, edns.response.as_ref())
                    .await;
            }
        };

        let snapshot = self.store.load_full();
        let Some((zone, _)) = snapshot.zones.find(&WireName::new(query.name())) else {
            metadata.response_code = ResponseCode::Refused;
            return send_empty(request, response_handle, metadata, edns.response.as_ref()).await;
        };
        *zone_id = Some(zone.id);
        let client = client_of(request, edns.ecs.as_ref(), snapshot.geo.as_deref());
        let (qname, qtype) = (query.name(), query.query_type());
        let mut res = resolve(&snapshot, zone, qname, qtype, &client, !udp);

        metadata.response_code = res.rcode;
        metadata.authoritative = res.authoritative;
        edns.echo_ecs(res.ecs_scope);
        if udp {
            let soa_size = zone.negative_soa_size;
            fit_udp(request, &mut res, &mut metadata, &edns, soa_size);
        }
        send_answer(request, response_handle, metadata, &edns, &res).await
    }
}

/// The header and question rules: a single IN query we serve, or the
/// RCODE that refuses it (NOTIMP for other opcodes, FORMERR for a bad
/// question section or a query for OPT, REFUSED for other classes and for
/// zone transfers).
fn answerable_query(request: &Request) -> Result<&LowerQuery, ResponseCode> {
    if request.metadata.op_code != OpCode::Query {
        return Err(ResponseCode::NotImp);
    }
    let info = request.request_info().map_err(|_| ResponseCode::FormErr)?;
    let qtype = info.query.query_type();
    if info.query.query_class() != DNSClass::IN
        || matches!(qtype, RecordType::AXFR | RecordType::IXFR)
    {
        return Err(ResponseCode::Refused);
    }
    if matches!(qtype, RecordType::OPT) {
        return Err(ResponseCode::FormErr);
    }
    Ok(info.query)
}

/// The client as policies see it: the ECS subnet when there is one, else
/// the packet's source address.
fn client_of<'g>(
    request: &Request,
    ecs: Option<&ClientSubnet>,
    geo: Option<&'g GeoDb>,
) -> Client<'g> {
    let (addr, source) = match ecs {
        Some(subnet) => (subnet.addr(), Some(subnet.source_prefix())),
        None => (request.src().ip(), None),
    };
    Client::new(canonical(addr), source, geo)
}

async fn send_answer<R: ResponseHandler>(
    request: &Request,
    mut response_handle: R,
    metadata: Metadata,
    edns: &Negotiated,
    res: &Resolution<'_>,
) -> ResponseInfo {
    let mut builder = MessageResponseBuilder::from_message_request(request);
    if let Some(edns) = &edns.response {
        builder.edns(edns);
    }
    let response = builder.build(
        metadata,
        res.answers.iter().map(AsRef::as_ref),
        res.authority.iter().map(AsRef::as_ref),
        res.soa,
        res.additionals.iter().map(AsRef::as_ref),
    );
    response_handle
        .send_response(response)
        .await
        .unwrap_or_else(|_| header_only(metadata))
}

async fn send_empty<R: ResponseHandler>(
    request: &Request,
    mut response_handle: R,
    metadata: Metadata,
    edns: Option<&Edns>,
) -> ResponseInfo {
    let mut builder = MessageResponseBuilder::from_message_request(request);
    if let Some(edns) = edns {
        builder.edns(edns);
    }
    let response = builder.build_no_records(metadata);
    response_handle
        .send_response(response)
        .await
        .unwrap_or_else(|_| header_only(metadata))
}

/// IPv4-mapped IPv6 sources (dual-stack sockets) count as IPv4.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}
