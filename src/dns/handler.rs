//! hickory's `RequestHandler` over the snapshot. `respond` is the query
//! path as a sequence of steps: header rules (AA, RD and CD copied for
//! QUERY only, RA never, NOTIMP, FORMERR, REFUSED) → EDNS negotiation
//! (`dns::edns`, NSID included) → DNS cookies (`dns::guard`) → CH-class
//! identity queries (`dns::identity`) → find the zone → resolve → sign
//! (`dns::sign`, signed zones only) → fit a
//! UDP answer (`dns::fit`) → rate limiting of UDP responses (`dns::guard`)
//! → send.
//!
//! The query path loads the snapshot once and allocates only what hickory
//! and the answer vector need; counting it in [`Metrics`] is a few atomic
//! increments. Most UDP queries never get here: `dns::fast` answers them
//! from their bytes, with the same result, before hickory parses them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, LowerQuery, Metadata, ResponseCode};
use hickory_proto::rr::{DNSClass, Record, RecordType};
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

use super::edns::{EdnsSettings, Negotiated, negotiate};
use super::fit::fit_udp;
use super::guard::{client_of, kind_of};
use super::live::LiveSettings;
use super::question::{answerable_query, header_only, response_header};
use super::rrl::{ResponseKind, Verdict};
use crate::dns::keepalive::{DEFAULT_IDLE_TIMEOUT, answer_keepalive};
use crate::dns::resolve::{Resolution, resolve};
use crate::dnssec::{SignSettings, Signer};
use crate::metrics::{Metrics, Transport};
use crate::table::SnapshotStore;
use crate::table::wire_name::WireName;
use crate::table::zone_table::ZoneId;

#[derive(Clone, Debug)]
pub struct DnsHandler {
    pub(super) store: Arc<SnapshotStore>,
    pub(super) edns: EdnsSettings,
    pub(super) metrics: Arc<Metrics>,
    /// Rate limiting, cookies and identity (swapped at reload).
    pub(super) live: LiveSettings,
    /// Whether UDP queries try the allocation-free path (`dns::fast`).
    pub(super) fast: bool,
    /// Advertised in the EDNS TCP keepalive option (RFC 7828).
    tcp_keepalive: Duration,
    /// Signs the answers of signed zones (`dns::sign`, `dns::fast`).
    pub(super) signer: Arc<Signer>,
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
            live: LiveSettings::default(),
            tcp_keepalive: DEFAULT_IDLE_TIMEOUT,
            signer: Arc::new(Signer::new(SignSettings::default(), Arc::default())),
            fast: true,
        }
    }

    /// Turns the UDP fast path (`dns::fast`) on (the default) or off; off,
    /// every query takes the general path (for comparing the two).
    pub fn with_fast_path(mut self, on: bool) -> Self {
        self.fast = on;
        self
    }

    /// Signs with `settings`, counting into this handler's metrics (call
    /// after [`DnsHandler::with_metrics`]).
    pub fn with_dnssec(mut self, settings: SignSettings) -> Self {
        self.signer = Arc::new(Signer::new(settings, self.metrics.dnssec.clone()));
        self
    }

    /// The TCP idle timeout to advertise to clients that ask (RFC 7828).
    pub fn with_tcp_keepalive(mut self, idle: Duration) -> Self {
        self.tcp_keepalive = idle;
        self
    }

    /// Counts queries into `metrics` instead of a private set.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Where this handler counts (the UDP loops count their batches there).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// What the checks before the lookup decided about a request.
enum Admission<'r> {
    /// Turned away without echoing its question section.
    Unechoable,
    /// Turned away with an empty reply carrying `edns` (the rcode is set).
    Empty { edns: Option<Edns>, exempt: bool },
    /// A query to answer.
    Query(Admitted<'r>),
}

/// A query that passed the checks: its EDNS, whether a server cookie
/// exempts it from rate limiting, and its one question.
struct Admitted<'r> {
    edns: Negotiated,
    exempt: bool,
    query: &'r LowerQuery,
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
        let mut metadata = response_header(&request.metadata);
        match self.admit(request, &mut metadata) {
            Admission::Unechoable => {
                super::question::send_without_question(response_handle, metadata).await
            }
            Admission::Empty { edns, exempt } => {
                self.reply_empty(request, response_handle, metadata, edns.as_ref(), exempt)
                    .await
            }
            Admission::Query(admitted) if admitted.query.query_class() == DNSClass::CH => {
                let (edns, query) = (&admitted.edns, admitted.query);
                self.chaos(request, response_handle, metadata, edns, query)
                    .await
            }
            Admission::Query(admitted) => {
                self.answer(request, response_handle, metadata, admitted, zone_id)
                    .await
            }
        }
    }

    /// The checks before the lookup, in order: a question section that can
    /// be echoed, EDNS (NSID included), cookies, the TCP keepalive, and a
    /// single IN or CH query. Sets the rcode of a request it turns away.
    fn admit<'r>(&self, request: &'r Request, metadata: &mut Metadata) -> Admission<'r> {
        if let Some(code) = super::question::unechoable(request) {
            metadata.response_code = code;
            return Admission::Unechoable;
        }
        let udp = request.protocol() == Protocol::Udp;
        let live = self.live.load();
        let nsid = live.identity.nsid();
        let mut edns = match negotiate(request.edns.as_ref(), udp, self.edns, nsid) {
            Ok(edns) => edns,
            Err(badvers) => {
                metadata.response_code = ResponseCode::BADVERS;
                let edns = Some(badvers);
                return Admission::Empty {
                    edns,
                    exempt: false,
                };
            }
        };
        let exempt = match live.guard.cookie(request, &mut edns, &self.metrics) {
            Ok(exempt) => exempt,
            Err(code) => {
                metadata.response_code = code;
                let edns = edns.response;
                return Admission::Empty {
                    edns,
                    exempt: false,
                };
            }
        };
        if !udp {
            let keepalive = self.tcp_keepalive;
            answer_keepalive(request.edns.as_ref(), edns.response.as_mut(), keepalive);
        }
        match answerable_query(request) {
            Ok(query) => Admission::Query(Admitted {
                edns,
                exempt,
                query,
            }),
            Err(code) => {
                metadata.response_code = code;
                let edns = edns.response;
                Admission::Empty { edns, exempt }
            }
        }
    }

    /// An admitted IN query: find the zone, resolve, fit a UDP answer, and
    /// send it as the rate limiter decides.
    async fn answer<R: ResponseHandler>(
        &self,
        request: &Request,
        response_handle: R,
        mut metadata: Metadata,
        admitted: Admitted<'_>,
        zone_id: &mut Option<ZoneId>,
    ) -> ResponseInfo {
        let Admitted {
            mut edns,
            exempt,
            query,
        } = admitted;
        let udp = request.protocol() == Protocol::Udp;
        let snapshot = self.store.load_full();
        let wire = WireName::new(query.name());
        let Some((zone, _)) = snapshot.zones.find(&wire) else {
            metadata.response_code = ResponseCode::Refused;
            let edns = edns.response.as_ref();
            return self
                .reply_empty(request, response_handle, metadata, edns, exempt)
                .await;
        };
        *zone_id = Some(zone.id);
        let client = client_of(
            request.src().ip(),
            edns.ecs.as_ref(),
            snapshot.geo.as_deref(),
        );
        let (qname, qtype) = (query.name(), query.query_type());
        let mut res = resolve(&snapshot, zone, qname, qtype, &client, !udp);
        let signer = &self.signer;
        let opt = edns.response.as_mut();
        super::sign::step(
            signer,
            zone,
            qname,
            qtype,
            request.edns.as_ref(),
            opt,
            &mut res,
        );

        metadata.response_code = res.rcode;
        metadata.authoritative = res.authoritative;
        edns.echo_ecs(res.ecs_scope);
        if udp {
            let soa_size = zone.negative_soa_size;
            fit_udp(request, &mut res, &mut metadata, &edns, soa_size);
        }
        let kind = kind_of(&res, wire.key(), u16::from(qtype), zone.id);
        match self
            .live
            .load()
            .guard
            .verdict(request, kind, exempt, &self.metrics)
        {
            Verdict::Send => send_answer(request, response_handle, metadata, &edns, &res).await,
            Verdict::Slip => {
                metadata.truncation = true;
                send_empty(request, response_handle, metadata, edns.response.as_ref()).await
            }
            Verdict::Drop => header_only(metadata),
        }
    }

    /// An answer without records (an error, or a query we do not serve),
    /// through the rate limiter like every UDP response.
    async fn reply_empty<R: ResponseHandler>(
        &self,
        request: &Request,
        response_handle: R,
        mut metadata: Metadata,
        edns: Option<&Edns>,
        exempt: bool,
    ) -> ResponseInfo {
        let kind = ResponseKind::Error;
        match self
            .live
            .load()
            .guard
            .verdict(request, kind, exempt, &self.metrics)
        {
            Verdict::Send => {}
            Verdict::Slip => metadata.truncation = true,
            Verdict::Drop => return header_only(metadata),
        }
        send_empty(request, response_handle, metadata, edns).await
    }

    /// A CH-class query: the identity TXT for a name that has one set,
    /// authoritative; REFUSED otherwise. The answer (one TXT string of at
    /// most 255 bytes) always fits 512 bytes, so nothing is truncated.
    async fn chaos<R: ResponseHandler>(
        &self,
        request: &Request,
        mut response_handle: R,
        mut metadata: Metadata,
        edns: &Negotiated,
        query: &LowerQuery,
    ) -> ResponseInfo {
        let found = self.live.load().identity.chaos_answer(query).cloned();
        let Some(record) = found else {
            metadata.response_code = ResponseCode::Refused;
            return send_empty(request, response_handle, metadata, edns.response.as_ref()).await;
        };
        metadata.authoritative = true;
        let mut builder = MessageResponseBuilder::from_message_request(request);
        if let Some(edns) = &edns.response {
            builder.edns(edns);
        }
        let none = || None::<&Record>;
        let response = builder.build(metadata, Some(&record), none(), none(), none());
        response_handle
            .send_response(response)
            .await
            .unwrap_or_else(|_| header_only(metadata))
    }
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
