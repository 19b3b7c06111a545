//! Writing a response to wire bytes for the UDP and TCP loops: hickory's
//! encoder bounded by the transport's size, and a header-only SERVFAIL when
//! the response cannot be written (a client never gets silence).

use hickory_proto::op::{Header, HeaderCounts, ResponseCode};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use hickory_server::net::NetError;
use hickory_server::server::ResponseInfo;
use hickory_server::zone_handler::MessageResponse;

/// `response` as wire bytes of at most `limit` bytes, or a SERVFAIL header
/// with its id and flags when it does not encode.
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
) -> Result<(Vec<u8>, ResponseInfo), NetError> {
    let metadata = *response.metadata();
    let mut bytes = Vec::with_capacity(512);
    let mut encoder = BinEncoder::new(&mut bytes);
    encoder.set_max_size(limit);
    if let Ok(info) = response.destructive_emit(&mut encoder) {
        return Ok((bytes, info));
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
