//! Writing a response to wire bytes for the UDP and TCP loops: hickory's
//! encoder bounded by the transport's size, names compressed against the
//! question (`compress.rs`), and a header-only SERVFAIL when the response
//! cannot be written (a client never gets silence).

use hickory_proto::op::{Header, HeaderCounts, ResponseCode};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use hickory_server::net::NetError;
use hickory_server::server::ResponseInfo;
use hickory_server::zone_handler::MessageResponse;

pub(crate) use crate::dns::compress::QuestionName;

/// `response` as wire bytes of at most `limit` bytes, or a SERVFAIL header
/// with its id and flags when it does not encode. `question`: the name of
/// the request's only question, which the response echoes at offset 12.
pub(crate) fn emit<'a>(
    response: MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
    limit: u16,
    question: Option<&QuestionName>,
) -> Result<(Vec<u8>, ResponseInfo), NetError> {
    let metadata = *response.metadata();
    let mut bytes = Vec::with_capacity(512);
    let mut encoder = BinEncoder::new(&mut bytes);
    encoder.set_max_size(limit);
    let seeded = question.is_some_and(|q| q.seed(&mut encoder).is_ok());
    if let Ok(info) = response.destructive_emit(&mut encoder) {
        let end = encoder.offset();
        bytes.truncate(end);
        // A response that does not echo the seeded question (a FORMERR
        // without one) carries no name a pointer could have replaced.
        let echoed = question.is_some_and(|q| q.is_question_of(&bytes));
        if !seeded || echoed || carries_no_records(&bytes) {
            return Ok((bytes, info));
        }
    }
    let mut metadata = metadata;
    metadata.response_code = ResponseCode::ServFail;
    let header = Header {
        metadata,
        counts: HeaderCounts::default(),
    };
    bytes.clear();
    let mut encoder = BinEncoder::new(&mut bytes);
    header.emit(&mut encoder).map_err(NetError::from)?;
    Ok((bytes, ResponseInfo::from(header)))
}

/// No answer or authority record, and at most the OPT in the additional
/// section (whose owner, the root, is never compressed).
fn carries_no_records(message: &[u8]) -> bool {
    let count = |i: usize| {
        message
            .get(i..i + 2)
            .map_or(u16::MAX, |b| u16::from_be_bytes([b[0], b[1]]))
    };
    count(6) == 0 && count(8) == 0 && count(10) <= 1
}
