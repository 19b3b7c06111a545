//! Tests of RDATA parsing: names, addresses, TXT bytes, CAA, SOA, error spans.
use super::*;
use crate::import::lexer::entries;

fn rdata(rtype: RecordType, text: &str) -> Result<RecordData, RdataError> {
    let es = entries(text).unwrap();
    let origin = Name::from_ascii("example.com.").unwrap();
    parse(rtype, &es[0].tokens, Some(&origin), &(0..text.len()))
}

fn value(rtype: RecordType, text: &str) -> String {
    match rdata(rtype, text).unwrap() {
        RecordData::Value(v) => v,
        RecordData::Soa(s) => panic!("unexpected SOA {s:?}"),
    }
}

#[test]
fn writes_names_fully_qualified() {
    assert_eq!(value(RecordType::CNAME, "www"), "www.example.com.");
    assert_eq!(value(RecordType::NS, "ns1.other.net."), "ns1.other.net.");
    assert_eq!(value(RecordType::DNAME, "@"), "example.com.");
    assert_eq!(value(RecordType::MX, "10 Mail"), "10 Mail.example.com.");
    assert_eq!(
        value(RecordType::SRV, "0 5 5060 sip"),
        "0 5 5060 sip.example.com."
    );
    assert_eq!(value(RecordType::PTR, "a\\.b"), "a\\.b.example.com.");
}

#[test]
fn normalises_addresses() {
    assert_eq!(value(RecordType::A, "192.0.2.1"), "192.0.2.1");
    assert_eq!(value(RecordType::AAAA, "2001:DB8:0:0::1"), "2001:db8::1");
}

#[test]
fn txt_escapes_round_trip_to_the_same_bytes() {
    let v = value(
        RecordType::TXT,
        "\"say \\\"hi\\\"\" back\\\\slash \"\\229\\255\\000\" \"é\"",
    );
    assert_eq!(
        v,
        "\"say \\\"hi\\\"\" \"back\\\\slash\" \"\\229\\255\\000\" \"\\195\\169\""
    );
    // Decoding the output gives the same bytes as decoding the input.
    let again = value(RecordType::TXT, &v);
    assert_eq!(again, v);
    let es = entries(&v).unwrap();
    let bytes: Vec<Vec<u8>> = es[0]
        .tokens
        .iter()
        .map(|t| character_string(t).unwrap())
        .collect();
    assert_eq!(
        bytes,
        [
            b"say \"hi\"".to_vec(),
            b"back\\slash".to_vec(),
            vec![229, 255, 0],
            "é".as_bytes().to_vec()
        ]
    );
}

#[test]
fn txt_rejects_long_strings_and_bad_escapes() {
    let long = format!("\"{}\"", "x".repeat(256));
    let e = rdata(RecordType::TXT, &format!("a {long}")).unwrap_err();
    assert_eq!(e.span.start, 2);
    assert!(e.message.contains("at most 255 bytes"), "{}", e.message);
    let e = rdata(RecordType::TXT, "\"\\300\"").unwrap_err();
    assert!(e.message.contains("not a byte"), "{}", e.message);
    let e = rdata(RecordType::TXT, "\"\\12x\"").unwrap_err();
    assert!(e.message.contains("three digits"), "{}", e.message);
}

#[test]
fn caa_keeps_tag_and_quotes_value() {
    assert_eq!(
        value(RecordType::CAA, "0 issue \"ca.example.net; account=1\""),
        "0 issue \"ca.example.net; account=1\""
    );
    assert_eq!(
        value(RecordType::CAA, "128 iodef mailto:x@y"),
        "128 iodef \"mailto:x@y\""
    );
    assert!(rdata(RecordType::CAA, "0 is-sue x").is_err());
}

#[test]
fn soa_accepts_unit_durations() {
    match rdata(RecordType::SOA, "ns1 hostmaster 2024010101 2h 15m 2w 300").unwrap() {
        RecordData::Soa(s) => {
            assert_eq!(s.mname.to_ascii(), "ns1.example.com.");
            assert_eq!(s.rname.to_ascii(), "hostmaster.example.com.");
            assert_eq!(
                (s.serial, s.refresh, s.retry, s.expire, s.minimum),
                (2024010101, 7200, 900, 1_209_600, 300)
            );
        }
        other => panic!("not an SOA: {other:?}"),
    }
}

#[test]
fn errors_point_at_the_faulty_token() {
    let e = rdata(RecordType::A, "192.0.2.300").unwrap_err();
    assert_eq!(
        (e.span, e.message.as_str()),
        (0..11, "'192.0.2.300' is not an IPv4 address")
    );
    let e = rdata(RecordType::MX, "10 mail extra").unwrap_err();
    assert_eq!(e.span, 8..13);
    let e = rdata(RecordType::MX, "10").unwrap_err();
    assert_eq!(e.span, 2..2);
    assert!(e.message.contains("missing a domain name"), "{}", e.message);
    let e = rdata(RecordType::SRV, "0 5 99999 sip").unwrap_err();
    assert_eq!(e.span, 4..9);
    let e = rdata(RecordType::A, "\\# 4 c00002").unwrap_err();
    assert_eq!(e.span, 0..11);
    assert!(
        e.message.contains("the length says 4 bytes"),
        "{}",
        e.message
    );
    let e = rdata(RecordType::TLSA, "3 1 1 abc").unwrap_err();
    assert!(
        e.message.contains("odd number of hex digits"),
        "{}",
        e.message
    );
}

#[test]
fn converts_the_types_the_zone_parser_reads() {
    assert_eq!(
        value(RecordType::HTTPS, "1 . alpn=\"h2,h3\" port=8443"),
        "1 . alpn=\"h2,h3\" port=8443"
    );
    assert_eq!(value(RecordType::SVCB, "0 svc"), "0 svc.example.com.");
    assert_eq!(
        value(RecordType::TLSA, "3 1 1 ( 0123 abcd )"),
        "3 1 1 0123ABCD"
    );
    assert_eq!(value(RecordType::SSHFP, "4 2 9a8b"), "4 2 9A8B");
    assert_eq!(value(RecordType::DS, "12345 13 2 49fd"), "12345 13 2 49FD");
    assert_eq!(
        value(RecordType::NAPTR, "100 10 S SIP+D2U \"\" _sip._udp"),
        "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."
    );
    assert_eq!(
        value(RecordType::Unknown(65534), "\\# 2 0102"),
        "\\# 2 0102"
    );
    assert_eq!(value(RecordType::HINFO, "\\# 3 01 41 00"), "\\# 3 014100");
    assert_eq!(value(RecordType::A, "\\# 4 c0000201"), "192.0.2.1");
}
