//! The record types beyond the basic ones, served over real UDP: HTTPS and
//! SVCB (RFC 9460), TLSA, SSHFP, NAPTR, DS at a delegation (answered by
//! the parent, not referred), and a type known only by number (RFC 3597).
//! A reload with a malformed value of one of them keeps the old version
//! serving and reports the value's `file:line:col`.

use std::path::Path;

use alwayson::app::{RunningServer, start};
use alwayson::config::ServerConfig;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

use crate::harness::{query, udp};

const RECORDS: &str = r#"
[[record]]
name = "@"
type = "NS"
values = ["ns1"]

[[record]]
name = "@"
type = "HTTPS"
values = ['1 . alpn="h2,h3" port=8443 ipv4hint=192.0.2.1']

[[record]]
name = "_dns"
type = "SVCB"
values = ["1 dns alpn=dot port=853"]

[[record]]
name = "_443._tcp.www"
type = "TLSA"
values = ["3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"]

[[record]]
name = "www"
type = "SSHFP"
values = ["4 2 9A8B7C6D5E4F9A8B7C6D5E4F9A8B7C6D5E4F9A8B7C6D5E4F9A8B7C6D5E4F1234"]

[[record]]
name = "sip"
type = "NAPTR"
values = ['100 10 "S" "SIP+D2U" "" _sip._udp']

[[record]]
name = "sub"
type = "NS"
values = ["ns.other.net."]

[[record]]
name = "sub"
type = "DS"
values = ["12345 13 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE"]

[[record]]
name = "www"
type = "TYPE65534"
values = ['\# 3 010203']
"#;

fn zone_text(records: &str) -> String {
    format!(
        "[zone]\norigin = \"example.com.\"\nsoa = {{ mname = \"ns1.example.com.\", rname = \"hostmaster.example.com.\", serial = 1 }}\n{records}"
    )
}

async fn serve(dir: &Path) -> RunningServer {
    let mut config = ServerConfig::for_tests(dir);
    config.admin.listen = None;
    config.reload.watch = false;
    start(config).await.expect("server starts")
}

async fn ask(server: &RunningServer, name: &str, qtype: RecordType) -> Message {
    udp(server.dns_addr(), &query(name, qtype)).await
}

/// The one answer record's RDATA as text (wire bytes for types hickory
/// reads as unknown).
fn only_answer(message: &Message, qtype: RecordType) -> RData {
    assert_eq!(message.metadata.response_code, ResponseCode::NoError);
    assert!(message.metadata.authoritative, "AA for {qtype}");
    let answers: Vec<_> = message
        .answers
        .iter()
        .filter(|r| r.record_type() == qtype)
        .collect();
    assert_eq!(answers.len(), 1, "{qtype}: {:?}", message.answers);
    answers[0].data.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_new_type_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("example.com.toml"), zone_text(RECORDS)).unwrap();
    let server = serve(dir.path()).await;
    assert!(
        server.initial_load.errors.is_empty(),
        "{:?}",
        server.initial_load.errors
    );

    let RData::HTTPS(https) = only_answer(
        &ask(&server, "example.com.", RecordType::HTTPS).await,
        RecordType::HTTPS,
    ) else {
        panic!("not HTTPS");
    };
    assert_eq!(https.0.svc_priority, 1);
    assert_eq!(https.0.svc_params.len(), 3, "{https:?}");
    let RData::SVCB(svcb) = only_answer(
        &ask(&server, "_dns.example.com.", RecordType::SVCB).await,
        RecordType::SVCB,
    ) else {
        panic!("not SVCB");
    };
    assert_eq!(svcb.target_name.to_ascii(), "dns.example.com.");
    let RData::TLSA(tlsa) = only_answer(
        &ask(&server, "_443._tcp.www.example.com.", RecordType::TLSA).await,
        RecordType::TLSA,
    ) else {
        panic!("not TLSA");
    };
    assert_eq!(tlsa.cert_data[..2], [0x01, 0x23]);
    let RData::SSHFP(sshfp) = only_answer(
        &ask(&server, "www.example.com.", RecordType::SSHFP).await,
        RecordType::SSHFP,
    ) else {
        panic!("not SSHFP");
    };
    assert_eq!(sshfp.fingerprint.len(), 32);
    let RData::NAPTR(naptr) = only_answer(
        &ask(&server, "sip.example.com.", RecordType::NAPTR).await,
        RecordType::NAPTR,
    ) else {
        panic!("not NAPTR");
    };
    assert_eq!(naptr.replacement.to_ascii(), "_sip._udp.example.com.");
    let unknown = RecordType::Unknown(65534);
    let RData::Unknown { rdata, .. } =
        only_answer(&ask(&server, "www.example.com.", unknown).await, unknown)
    else {
        panic!("not the unknown type");
    };
    assert_eq!(rdata.anything, [1, 2, 3]);

    // DS at the delegation is the parent's own data: authoritative, no referral.
    let ds = ask(&server, "sub.example.com.", RecordType::DS).await;
    // hickory's dnssec feature (for online signing) decodes DS itself.
    let RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::DS(ds)) =
        only_answer(&ds, RecordType::DS)
    else {
        panic!("not a DS");
    };
    assert_eq!((ds.key_tag(), u8::from(ds.algorithm())), (0x3039, 13));
    // Any other type there is a referral.
    let a = ask(&server, "sub.example.com.", RecordType::A).await;
    assert!(!a.metadata.authoritative && a.answers.is_empty());
    assert!(
        a.authorities
            .iter()
            .any(|r| r.record_type() == RecordType::NS)
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_value_of_a_new_type_keeps_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.com.toml");
    std::fs::write(&file, zone_text(RECORDS)).unwrap();
    let server = serve(dir.path()).await;

    let broken = [
        (
            r#"alpn="h2,h3" port=8443"#,
            "alpn=h2 port=x",
            r#"HTTPS: port: "x" is not a port 0..=65535"#,
        ),
        (
            r#"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF""#,
            r#"ABC""#,
            "odd number of hex digits (3)",
        ),
        (
            r"'\# 3 010203'",
            r"'\# 4 010203'",
            "the length says 4 bytes but the data holds 3",
        ),
    ];
    for (from, to, message) in broken {
        let records = RECORDS.replace(from, to);
        assert_ne!(records, RECORDS, "{from} is in the zone");
        std::fs::write(&file, zone_text(&records)).unwrap();
        let outcome = server.reload().await.expect("reload outcome");
        let errors: Vec<String> = outcome.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let located = format!("{}:", file.display());
        assert!(
            errors[0].starts_with(&located) && errors[0].contains(message),
            "{errors:?}"
        );
        // The old version answers, the new one is nowhere.
        let https = ask(&server, "example.com.", RecordType::HTTPS).await;
        assert_eq!(https.answers.len(), 1);
        let tlsa = ask(&server, "_443._tcp.www.example.com.", RecordType::TLSA).await;
        assert_eq!(tlsa.answers.len(), 1);
        let snapshot = server.store.load();
        assert!(snapshot.zones.files[0].error.is_some());
    }
    server.shutdown().await;
}
