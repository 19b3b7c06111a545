//! Fitting a UDP response into the size the client accepts: a cheap upper
//! bound first (computed at compile time per record set), and only when
//! that bound is over the limit, encoding to measure. Too big: drop the
//! additional records (except a referral's glue, without which the referral
//! is useless), else TC=1 with every section empty and the OPT kept —
//! hickory's own encoder would drop the OPT when it truncates.

use hickory_proto::op::{Edns, Metadata};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use hickory_server::server::Request;
use hickory_server::zone_handler::MessageResponseBuilder;

use super::compress::QuestionName;
use super::edns::Negotiated;
use crate::dns::resolve::Resolution;

/// The DNS header.
const HEADER_SIZE: usize = 12;

/// Makes the UDP answer `res` fit what was negotiated in `edns`.
/// `negative_soa_size` is the encoded size of the zone's SOA as sent in
/// negative answers.
pub fn fit_udp(
    request: &Request,
    res: &mut Resolution<'_>,
    metadata: &mut Metadata,
    edns: &Negotiated,
    negative_soa_size: usize,
) {
    let bound = HEADER_SIZE
        + request.queries.as_bytes().len()
        + edns.opt_size_bound()
        + res.size_bound
        + res.soa.map_or(0, |_| negative_soa_size);
    if bound > edns.limit {
        shrink(request, res, metadata, edns.response.as_ref(), edns.limit);
    }
}

/// Drops additional records first (except the glue of a referral), else
/// sets TC=1 and empties the sections, until the response fits `limit`.
fn shrink(
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
    // Compressed against the question, as the transport will write it.
    let question = match request.queries.queries() {
        [only] => only
            .original()
            .name()
            .to_bytes()
            .ok()
            .and_then(|name| QuestionName::parse(&name)),
        _ => None,
    };
    if let Some(question) = &question {
        let _ = question.seed(&mut encoder);
    }
    match response.destructive_emit(&mut encoder) {
        Ok(_) => encoder.offset(),
        Err(_) => usize::MAX,
    }
}
