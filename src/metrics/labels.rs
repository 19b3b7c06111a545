//! The fixed label sets of the query counters: transport, rcode and qtype,
//! each mapped to a small index so that counting is an array access.
//!
//! Invariant: `index` is a pure match (no allocation); anything not listed
//! counts as "other", so the arrays never grow.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp = 0,
    Tcp = 1,
}

pub const TRANSPORTS: usize = 2;
pub const TRANSPORT_NAMES: [&str; TRANSPORTS] = ["udp", "tcp"];

/// Response codes with their own series; the last slot is "other".
pub const RCODE_NAMES: [&str; RCODES] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "BADVERS",
    "other",
];
pub const RCODES: usize = 9;

/// Query types with their own series; the last slot is "other".
pub const QTYPE_NAMES: [&str; QTYPES] = [
    "A", "AAAA", "CNAME", "DNAME", "MX", "NS", "TXT", "SRV", "CAA", "PTR", "SOA", "ANY", "DS",
    "HTTPS", "other",
];
pub const QTYPES: usize = 15;

/// The slot of one label combination in a zone's counter array.
pub fn index(transport: Transport, rcode: ResponseCode, qtype: RecordType) -> usize {
    (transport as usize * RCODES + rcode_index(rcode)) * QTYPES + qtype_index(qtype)
}

/// The labels of slot `i`: (transport, rcode, qtype).
pub fn labels_of(i: usize) -> (&'static str, &'static str, &'static str) {
    let qtype = i % QTYPES;
    let rcode = (i / QTYPES) % RCODES;
    let transport = i / (QTYPES * RCODES);
    (
        TRANSPORT_NAMES[transport],
        RCODE_NAMES[rcode],
        QTYPE_NAMES[qtype],
    )
}

fn rcode_index(rcode: ResponseCode) -> usize {
    match rcode {
        ResponseCode::NoError => 0,
        ResponseCode::FormErr => 1,
        ResponseCode::ServFail => 2,
        ResponseCode::NXDomain => 3,
        ResponseCode::NotImp => 4,
        ResponseCode::Refused => 5,
        ResponseCode::YXDomain => 6,
        ResponseCode::BADVERS => 7,
        _ => RCODES - 1,
    }
}

fn qtype_index(qtype: RecordType) -> usize {
    match qtype {
        RecordType::A => 0,
        RecordType::AAAA => 1,
        RecordType::CNAME => 2,
        RecordType::DNAME => 3,
        RecordType::MX => 4,
        RecordType::NS => 5,
        RecordType::TXT => 6,
        RecordType::SRV => 7,
        RecordType::CAA => 8,
        RecordType::PTR => 9,
        RecordType::SOA => 10,
        RecordType::ANY => 11,
        RecordType::DS => 12,
        RecordType::HTTPS => 13,
        _ => QTYPES - 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_maps_back_to_its_labels() {
        let i = index(Transport::Tcp, ResponseCode::NXDomain, RecordType::MX);
        assert_eq!(labels_of(i), ("tcp", "NXDOMAIN", "MX"));
        let i = index(
            Transport::Udp,
            ResponseCode::Unknown(3841),
            RecordType::NULL,
        );
        assert_eq!(labels_of(i), ("udp", "other", "other"));
        assert_eq!(
            index(
                Transport::Tcp,
                ResponseCode::Unknown(9),
                RecordType::Unknown(9)
            ),
            TRANSPORTS * RCODES * QTYPES - 1
        );
    }
}
