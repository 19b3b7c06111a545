//! hickory's `RequestHandler` over the snapshot: header rules (AA, RD copied,
//! RA never, NOTIMP, FORMERR, REFUSED), EDNS(0) (OPT echoed, payload clamped,
//! BADVERS, unknown options dropped), ECS (masked, echoed with the scope the
//! answer used), and our own truncation rule (TC with an empty answer and the
//! OPT kept, which hickory's encoder would drop).
//!
//! The query path loads the snapshot once and allocates only what hickory
//! and the answer vector need; counting it in [`Metrics`] is a few atomic
//! increments.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use hickory_proto::op::{Edns, Header, HeaderCounts, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_proto::rr::{DNSClass, Record, RecordType};
use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

use crate::dns::resolve::{Resolution, resolve};
use crate::metrics::{Metrics, Transport};
use crate::policy::Client;
use crate::table::SnapshotStore;
use crate::table::wire_name::WireName;
use crate::table::zone_table::ZoneId;

/// Fixed size of an OPT record with no options.
const OPT_SIZE: usize = 11;
/// An ECS option with a full IPv6 address.
const ECS_OPTION_SIZE: usize = 4 + 4 + 16;

#[derive(Clone, Debug)]
pub struct DnsHandler {
    store: Arc<SnapshotStore>,
    max_udp_payload: u16,
    use_ecs: bool,
    metrics: Arc<Metrics>,
}

impl DnsHandler {
    pub fn new(store: Arc<SnapshotStore>, max_udp_payload: u16, use_ecs: bool) -> Self {
        Self {
            store,
            max_udp_payload: max_udp_payload.max(512),
            use_ecs,
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
    /// Answers one request; `zone_id` gets the id of the zone that held the
    /// name, if one did.
    async fn respond<R: ResponseHandler>(
        &self,
        request: &Request,
        mut response_handle: R,
        zone_id: &mut Option<ZoneId>,
    ) -> ResponseInfo {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.recursion_available = false;
        metadata.authoritative = false;
        let udp = request.protocol() == Protocol::Udp;

        // EDNS: answer an OPT with an OPT; clamp what we promise.
        let mut response_edns: Option<Edns> = None;
        let mut ecs: Option<ClientSubnet> = None;
        let mut limit: usize = if udp { 512 } else { usize::from(u16::MAX) };
        if let Some(edns) = &request.edns {
            let mut ours = Edns::new();
            let payload = edns.max_payload().clamp(512, self.max_udp_payload);
            ours.set_max_payload(payload);
            ours.set_version(0);
            ours.set_dnssec_ok(false);
            if udp {
                limit = usize::from(payload);
            }
            if edns.version() > 0 {
                metadata.response_code = ResponseCode::BADVERS;
                let mut builder = MessageResponseBuilder::from_message_request(request);
                builder.edns(&ours);
                let response = builder.build_no_records(metadata);
                return response_handle
                    .send_response(response)
                    .await
                    .unwrap_or_else(|_| header_only(metadata));
            }
            if self.use_ecs
                && let Some(EdnsOption::Subnet(subnet)) = edns.option(EdnsCode::Subnet)
            {
                ecs = Some(masked(*subnet));
            }
            response_edns = Some(ours);
        }

        let refuse_or = |code: ResponseCode, mut metadata: Metadata| {
            metadata.response_code = code;
            metadata
        };
        if request.metadata.op_code != OpCode::Query {
            let m = refuse_or(ResponseCode::NotImp, metadata);
            return send_empty(request, response_handle, m, response_edns.as_ref()).await;
        }
        let info = match request.request_info() {
            Ok(info) => info,
            Err(_) => {
                let m = refuse_or(ResponseCode::FormErr, metadata);
                return send_empty(request, response_handle, m, response_edns.as_ref()).await;
            }
        };
        let qtype = info.query.query_type();
        let qname = info.query.name();
        if info.query.query_class() != DNSClass::IN
            || matches!(qtype, RecordType::AXFR | RecordType::IXFR)
        {
            let m = refuse_or(ResponseCode::Refused, metadata);
            return send_empty(request, response_handle, m, response_edns.as_ref()).await;
        }
        if matches!(qtype, RecordType::OPT) {
            let m = refuse_or(ResponseCode::FormErr, metadata);
            return send_empty(request, response_handle, m, response_edns.as_ref()).await;
        }

        let snapshot = self.store.load_full();
        let wire = WireName::new(qname);
        let Some((zone, _)) = snapshot.zones.find(&wire) else {
            let m = refuse_or(ResponseCode::Refused, metadata);
            return send_empty(request, response_handle, m, response_edns.as_ref()).await;
        };
        *zone_id = Some(zone.id);
        let (addr, source) = match &ecs {
            Some(subnet) => (subnet.addr(), Some(subnet.source_prefix())),
            None => (request.src().ip(), None),
        };
        let client = Client::new(canonical(addr), source, snapshot.geo.as_deref());
        let mut res = resolve(&snapshot, zone, qname, qtype, &client, !udp);

        metadata.response_code = res.rcode;
        metadata.authoritative = res.authoritative;
        if let (Some(edns), Some(mut subnet)) = (response_edns.as_mut(), ecs) {
            // RFC 7871 §7.1.2: SOURCE 0 gets SCOPE 0.
            subnet.set_scope_prefix(if subnet.source_prefix() == 0 {
                0
            } else {
                res.ecs_scope
            });
            edns.options_mut().insert(EdnsOption::Subnet(subnet));
        }

        if udp {
            let question = request.queries.as_bytes().len();
            let opt = response_edns
                .as_ref()
                .map_or(0, |_| OPT_SIZE + ecs.map_or(0, |_| ECS_OPTION_SIZE));
            let bound = 12
                + question
                + opt
                + res.size_bound
                + res.soa.map_or(0, |_| zone.negative_soa_size);
            if bound > limit {
                fit(
                    request,
                    &mut res,
                    &mut metadata,
                    response_edns.as_ref(),
                    limit,
                );
            }
        }

        let mut builder = MessageResponseBuilder::from_message_request(request);
        if let Some(edns) = &response_edns {
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

/// Makes a UDP answer fit `limit`: drop additional records first (except
/// the glue of a referral), else send TC=1 with empty sections.
fn fit(
    request: &Request,
    res: &mut Resolution<'_>,
    metadata: &mut Metadata,
    edns: Option<&Edns>,
    limit: usize,
) {
    let size = |res: &Resolution<'_>| exact_size(request, res, *metadata, edns);
    if size(res) <= limit {
        return;
    }
    if !res.referral && !res.additionals.is_empty() {
        res.additionals.clear();
        if size(res) <= limit {
            return;
        }
    }
    metadata.truncation = true;
    res.answers.clear();
    res.authority.clear();
    res.additionals.clear();
    res.soa = None;
}

/// The encoded size of the response, by encoding it (only for large answers).
fn exact_size(
    request: &Request,
    res: &Resolution<'_>,
    metadata: Metadata,
    edns: Option<&Edns>,
) -> usize {
    let mut builder = MessageResponseBuilder::from_message_request(request);
    if let Some(edns) = edns {
        builder.edns(edns);
    }
    let response = builder.build(
        metadata,
        res.answers.iter().map(AsRef::<Record>::as_ref),
        res.authority.iter().map(AsRef::<Record>::as_ref),
        res.soa,
        res.additionals.iter().map(AsRef::<Record>::as_ref),
    );
    let mut bytes = Vec::with_capacity(2048);
    let mut encoder = BinEncoder::new(&mut bytes);
    match response.destructive_emit(&mut encoder) {
        Ok(_) => bytes.len(),
        Err(_) => usize::MAX,
    }
}

/// Clears address bits beyond the ECS source prefix (RFC 7871 §6): the
/// parser keeps them, and they must not influence the answer.
fn masked(mut subnet: ClientSubnet) -> ClientSubnet {
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

/// IPv4-mapped IPv6 sources (dual-stack sockets) count as IPv4.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
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
