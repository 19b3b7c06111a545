//! The header and question rules before a lookup: the response header
//! (flags defined only for QUERY cleared for other opcodes), a single IN or
//! CH query, and question sections that must not be echoed.
//!
//! A question section that names by compression pointer. hickory's parser
//! accepts one, and its response builder echoes the question as the client
//! sent it, so the pointer would land in the reply, where its offset points
//! into our own header: a reply no resolver can parse (found by the
//! `tcp_stream` fuzz target). A pointer in the first question can only
//! point into the header (nothing precedes it), so such a query is
//! malformed: it gets FORMERR without the question.
//!
//! So does a query with more than one question (found by the `udp_packet`
//! fuzz target): echoing ten long questions made a FORMERR too large for
//! 512 bytes, which then fell back to a bare SERVFAIL.

use hickory_proto::op::LowerQuery;
use hickory_proto::op::{Header, HeaderCounts, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::{DNSClass, RecordType};
use hickory_proto::serialize::binary::BinDecoder;
use hickory_server::server::{Request, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::{MessageResponseBuilder, Queries};

/// The rcode of a request whose question section must not be echoed: a
/// name by pointer, or more than one question (FORMERR for QUERY, NOTIMP
/// for other opcodes); None for every other request.
pub(super) fn unechoable(request: &Request) -> Option<ResponseCode> {
    if request.queries.len() > 1 {
        return Some(if request.metadata.op_code == OpCode::Query {
            ResponseCode::FormErr
        } else {
            ResponseCode::NotImp
        });
    }
    has_pointer(request.queries.as_bytes()).then_some(ResponseCode::FormErr)
}

/// Whether a name in the question section (its wire bytes) uses a
/// compression pointer (or a reserved label type).
pub(super) fn has_pointer(mut section: &[u8]) -> bool {
    while let Some(&len) = section.first() {
        if len & 0xC0 != 0 {
            return true;
        }
        if len == 0 {
            // The root label ends the name; QTYPE and QCLASS follow.
            section = section.get(5..).unwrap_or_default();
        } else {
            section = section.get(usize::from(len) + 1..).unwrap_or_default();
        }
    }
    false
}

/// A header-only reply with `metadata` (no question, no EDNS).
pub(super) async fn send_without_question<R: ResponseHandler>(
    mut response_handle: R,
    metadata: Metadata,
) -> ResponseInfo {
    let header_only = ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    });
    let Ok(queries) = Queries::read(&mut BinDecoder::new(&[]), 0) else {
        return header_only;
    };
    let response = MessageResponseBuilder::new(&queries, None).build_no_records(metadata);
    response_handle
        .send_response(response)
        .await
        .unwrap_or(header_only)
}

/// The response header: id and opcode echoed, AA and RA clear; RD and CD
/// copied for QUERY only. For any other opcode every flag defined only for
/// QUERY is clear (RFC 8906 §3.1.4, as NSD does).
pub(super) fn response_header(request: &Metadata) -> Metadata {
    let mut metadata = Metadata::response_from_request(request);
    metadata.recursion_available = false;
    metadata.authoritative = false;
    metadata.authentic_data = false;
    if request.op_code != OpCode::Query {
        metadata.recursion_desired = false;
        metadata.checking_disabled = false;
    }
    metadata
}

/// The header and question rules: a single IN (or CH, for the identity
/// names) query we serve, or the RCODE that refuses it (NOTIMP for other
/// opcodes, FORMERR for a bad question section or a query for OPT,
/// REFUSED for other classes and for zone transfers).
pub(super) fn answerable_query(request: &Request) -> Result<&LowerQuery, ResponseCode> {
    if request.metadata.op_code != OpCode::Query {
        return Err(ResponseCode::NotImp);
    }
    let info = request.request_info().map_err(|_| ResponseCode::FormErr)?;
    let qtype = info.query.query_type();
    if !matches!(info.query.query_class(), DNSClass::IN | DNSClass::CH)
        || matches!(qtype, RecordType::AXFR | RecordType::IXFR)
    {
        return Err(ResponseCode::Refused);
    }
    if matches!(qtype, RecordType::OPT) {
        return Err(ResponseCode::FormErr);
    }
    Ok(info.query)
}

/// What was sent when only a header went out (or nothing: a dropped reply).
pub(crate) fn header_only(metadata: Metadata) -> ResponseInfo {
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::has_pointer;

    #[test]
    fn pointers_are_found_in_any_name_of_the_section() {
        // www.example. A IN
        let plain = b"\x03www\x07example\x00\x00\x01\x00\x01";
        assert!(!has_pointer(plain));
        assert!(has_pointer(b"\xC0\x02\x00\x01\x00\x01"));
        assert!(has_pointer(b"\x03www\xC0\x0C\x00\x01\x00\x01"));
        let mut second = plain.to_vec();
        second.extend_from_slice(b"\x01a\xC0\x0C\x00\x01\x00\x01");
        assert!(has_pointer(&second));
        assert!(!has_pointer(b""));
    }
}
