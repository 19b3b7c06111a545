//! Unit tests of RDATA parsing: every type, its canonical text and its errors.

use super::txt::parse_txt;
use super::*;

fn origin() -> Name {
    Name::from_ascii("example.com.").unwrap()
}

fn txt_strings(value: &str) -> Vec<Vec<u8>> {
    parse_txt(value).unwrap()
}

#[test]
fn txt_plain_values_split_at_255_bytes() {
    assert_eq!(txt_strings("v=spf1 -all"), vec![b"v=spf1 -all".to_vec()]);
    let long = "x".repeat(600);
    let parts = txt_strings(&long);
    assert_eq!(
        parts.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![255, 255, 90]
    );
}

#[test]
fn txt_quoted_values_are_zone_file_text() {
    assert_eq!(
        txt_strings(r#""a b" "c\"d" "\065\\""#),
        vec![b"a b".to_vec(), b"c\"d".to_vec(), b"A\\".to_vec()]
    );
    assert!(parse_txt(r#""open"#).is_err());
    assert!(parse_txt(r#""a" b"#).is_err());
    assert!(parse_txt(&format!("\"{}\"", "y".repeat(256))).is_err());
}

#[test]
fn parses_every_supported_type() {
    let o = origin();
    assert!(matches!(
        parse_rdata(RecordType::A, "192.0.2.1", &o),
        Ok(RData::A(_))
    ));
    assert!(parse_rdata(RecordType::A, "192.0.2.300", &o).is_err());
    assert!(matches!(
        parse_rdata(RecordType::AAAA, "2001:db8::1", &o),
        Ok(RData::AAAA(_))
    ));
    let RData::MX(mx) = parse_rdata(RecordType::MX, "10 mail", &o).unwrap() else {
        panic!("not MX")
    };
    assert_eq!(mx.exchange.to_string(), "mail.example.com.");
    assert!(parse_rdata(RecordType::MX, "mail.example.com.", &o).is_err());
    assert!(matches!(
        parse_rdata(RecordType::SRV, "1 2 443 web", &o),
        Ok(RData::SRV(_))
    ));
    assert!(parse_rdata(RecordType::SRV, "1 2 99999 web", &o).is_err());
    assert!(matches!(
        parse_rdata(RecordType::CAA, "0 issue \"letsencrypt.org\"", &o),
        Ok(RData::CAA(_))
    ));
    let dname = parse_rdata(RecordType::DNAME, "other.net.", &o).unwrap();
    assert_eq!(dname_target(&dname).unwrap().to_string(), "other.net.");
    assert!(matches!(
        parse_rdata(RecordType::PTR, "host", &o),
        Ok(RData::PTR(_))
    ));
    assert!(matches!(
        parse_rdata(RecordType::NS, "ns1", &o),
        Ok(RData::NS(_))
    ));
    assert!(parse_rdata(RecordType::CNAME, "a b", &o).is_err());
}

/// Parses `text` as `rtype` and writes it back.
fn round_trip(rtype: RecordType, text: &str) -> String {
    let rdata = parse_rdata(rtype, text, &origin()).unwrap_or_else(|e| panic!("{text}: {e}"));
    let back = present(&rdata);
    let again = parse_rdata(rtype, &back, &origin()).unwrap_or_else(|e| panic!("{back}: {e}"));
    assert_eq!(again, rdata, "{text} → {back} reads back the same");
    back
}

fn error(rtype: RecordType, text: &str) -> String {
    match parse_rdata(rtype, text, &origin()) {
        Ok(rdata) => panic!("{text} parsed as {rdata:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn svcb_and_https_in_presentation_form() {
    assert_eq!(
        round_trip(
            RecordType::HTTPS,
            r#"1 . port=8443 alpn="h2,h3" ipv4hint=192.0.2.1,192.0.2.2 mandatory=port"#
        ),
        r#"1 . mandatory=port alpn="h2,h3" port=8443 ipv4hint=192.0.2.1,192.0.2.2"#
    );
    assert_eq!(round_trip(RecordType::HTTPS, "0 www"), "0 www.example.com.");
    assert_eq!(
        round_trip(
            RecordType::SVCB,
            r#"16 svc ipv6hint=2001:db8::1 key65333="a b" no-default-alpn alpn=dot dohpath=/q{?dns} ech=AEX+DQBB"#
        ),
        r#"16 svc.example.com. alpn="dot" no-default-alpn ech=AEX+DQBB ipv6hint=2001:db8::1 dohpath="/q{?dns}" key65333="a b""#
    );
    let wire = svcb::parse(RecordType::HTTPS, "1 . alpn=h2 port=443", &Name::root()).unwrap();
    assert_eq!(
        wire,
        [0, 1, 0, 0, 1, 0, 3, 2, b'h', b'2', 0, 3, 0, 2, 1, 187],
        "keys in order, lengths right"
    );
}

#[test]
fn malformed_svcb_parameters_are_named() {
    let cases = [
        ("1 . foo=1", "unknown SvcParamKey \"foo\""),
        ("1 . port=99999", "port: \"99999\" is not a port"),
        ("1 . port=1 port=2", "key port appears twice"),
        (
            "1 . mandatory=alpn port=1",
            "mandatory lists alpn but the record does not have it",
        ),
        (
            "1 . no-default-alpn",
            "no-default-alpn needs alpn beside it",
        ),
        (
            "1 . ipv4hint=2001:db8::1",
            "is not a list of IPv4 addresses",
        ),
        ("1 . ech=***", "is not base64"),
        ("1 . alpn", "alpn: needs a value"),
        ("0 . alpn=h2", "AliasMode"),
        ("1", "needs \"PRIORITY TARGET"),
        ("1 . alpn=\"h2", "unterminated quoted string"),
        ("1 . key65535=x", "reserved"),
    ];
    for (text, want) in cases {
        let got = error(RecordType::HTTPS, text);
        assert!(got.contains(want), "{text}: {got}");
    }
}

#[test]
fn tlsa_sshfp_ds_and_naptr() {
    assert_eq!(
        round_trip(RecordType::TLSA, "3 1 1 0123abcd 4567"),
        "3 1 1 0123ABCD4567"
    );
    assert!(matches!(
        parse_rdata(RecordType::TLSA, "3 1 1 ab", &origin()),
        Ok(RData::TLSA(_))
    ));
    assert_eq!(round_trip(RecordType::SSHFP, "4 2 9a8b"), "4 2 9A8B");
    assert_eq!(
        round_trip(RecordType::DS, "12345 13 2 49fd46e6"),
        "12345 13 2 49FD46E6"
    );
    assert_eq!(
        round_trip(RecordType::NAPTR, r#"100 10 "S" "SIP+D2U" "" _sip._udp"#),
        r#"100 10 "S" "SIP+D2U" "" _sip._udp.example.com."#
    );
    assert!(error(RecordType::TLSA, "3 1 1 abc").contains("odd number of hex digits (3)"));
    assert!(error(RecordType::TLSA, "3 1 1 zz").contains("'z' is not a hex digit"));
    assert!(error(RecordType::TLSA, "3 1 256 ab").contains("TLSA matching type must be"));
    assert!(error(RecordType::SSHFP, "4 2").contains("SSHFP needs"));
    assert!(error(RecordType::DS, "70000 13 2 ab").contains("DS key tag"));
    assert!(error(RecordType::NAPTR, "100 10 S SIP \"\"").contains("NAPTR needs"));
}

#[test]
fn generic_rdata_for_any_type() {
    let unknown = RecordType::Unknown(65534);
    let rdata = parse_rdata(unknown, r"\# 3 01 0203", &origin()).unwrap();
    assert_eq!(present(&rdata), r"\# 3 010203");
    assert_eq!(
        parse_rdata(RecordType::A, r"\# 4 C0000201", &origin()).unwrap(),
        parse_rdata(RecordType::A, "192.0.2.1", &origin()).unwrap()
    );
    assert_eq!(round_trip(unknown, r"\# 0"), r"\# 0");
    assert!(
        error(unknown, r"\# 4 010203").contains("the length says 4 bytes but the data holds 3")
    );
    assert!(error(unknown, r"\#").contains("needs a length"));
    assert!(error(RecordType::A, r"\# 3 C00002").contains("not a valid A record"));
    assert!(error(RecordType::HINFO, "PC Linux").contains("generic form only"));
    assert_eq!(parse_type("type65534").unwrap(), unknown);
    assert_eq!(parse_type("TYPE1").unwrap(), RecordType::A);
    assert_eq!(parse_type("https").unwrap(), RecordType::HTTPS);
    for refused in ["RRSIG", "OPT", "TYPE41", "ANY", "AXFR", "TYPE0", "TYPE200"] {
        assert!(parse_type(refused).is_err(), "{refused}");
    }
    assert!(parse_type("NOPE").is_err());
}
