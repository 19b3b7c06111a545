//! The server's identity (`[dns] nsid`, `[dns] version`): the NSID EDNS
//! option only for a query with an empty NSID option and only when set,
//! the CH TXT names `id.server.`/`hostname.bind.` and
//! `version.server.`/`version.bind.` answered only when their value is set
//! (REFUSED otherwise, and for every other CH query), over UDP and TCP,
//! `dig +nsid` reading it all, and `check` pointing at a bad value.

use std::net::SocketAddr;
use std::str::FromStr;

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption, NSIDPayload};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

use super::{example_zone, sub_zone};
use crate::harness::{TestServer, query, tcp, udp, with_edns};

const NSID: &str = "ns1-fra";
const VERSION: &str = "alwayson 1.2.3";

async fn serve_as(nsid: Option<&str>, version: Option<&str>) -> TestServer {
    TestServer::start_with(&[example_zone(), sub_zone()], |config| {
        config.dns.nsid = nsid.map(str::to_string);
        config.dns.version = version.map(str::to_string);
    })
    .await
}

/// A CH-class query for `name`.
fn chaos(name: &str, qtype: RecordType) -> Message {
    let mut q = Query::query(Name::from_str(name).unwrap(), qtype);
    q.set_query_class(DNSClass::CH);
    let mut message = Message::query();
    message.add_query(q);
    message
}

/// The single CH TXT string of an answer.
fn chaos_text(response: &Message) -> String {
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authoritative, "AA on an identity answer");
    let [record] = &response.answers[..] else {
        panic!("one answer, got {:?}", response.answers)
    };
    assert_eq!(record.dns_class, DNSClass::CH);
    assert_eq!(record.ttl, 0);
    match &record.data {
        RData::TXT(txt) => txt.to_string(),
        other => panic!("not a TXT: {other:?}"),
    }
}

/// Both transports' answers to `message`.
async fn both(server: SocketAddr, message: &Message) -> [Message; 2] {
    [udp(server, message).await, tcp(server, message).await]
}

#[tokio::test]
async fn chaos_txt_names_answer_the_configured_identity_and_version() {
    let server = serve_as(Some(NSID), Some(VERSION)).await;
    let cases = [
        ("id.server.", NSID),
        ("HOSTNAME.bind.", NSID),
        ("version.server.", VERSION),
        ("version.bind.", VERSION),
    ];
    for (name, want) in cases {
        for qtype in [RecordType::TXT, RecordType::ANY] {
            for response in both(server.addr(), &chaos(name, qtype)).await {
                assert_eq!(chaos_text(&response), want, "{name} {qtype}");
                let question = &response.queries[0];
                assert_eq!(question.query_class(), DNSClass::CH);
            }
        }
    }
    // Another CH name, another type for a known name, and the identity
    // names in class IN are all refused.
    for q in [
        chaos("authors.bind.", RecordType::TXT),
        chaos("id.server.", RecordType::A),
        query("id.server.", RecordType::TXT),
    ] {
        for response in both(server.addr(), &q).await {
            assert_eq!(response.metadata.response_code, ResponseCode::Refused);
            assert!(response.answers.is_empty());
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn unset_identity_and_version_are_refused() {
    let names = [
        "id.server.",
        "hostname.bind.",
        "version.server.",
        "version.bind.",
    ];
    let plain = serve_as(None, None).await;
    for name in names {
        for response in both(plain.addr(), &chaos(name, RecordType::TXT)).await {
            assert_eq!(
                response.metadata.response_code,
                ResponseCode::Refused,
                "{name}"
            );
            assert!(!response.metadata.authoritative);
        }
    }
    plain.stop().await;

    let nsid_only = serve_as(Some(NSID), None).await;
    let response = udp(nsid_only.addr(), &chaos("id.server.", RecordType::TXT)).await;
    assert_eq!(chaos_text(&response), NSID);
    for name in ["version.server.", "version.bind."] {
        let response = udp(nsid_only.addr(), &chaos(name, RecordType::TXT)).await;
        assert_eq!(
            response.metadata.response_code,
            ResponseCode::Refused,
            "{name}"
        );
    }
    nsid_only.stop().await;
}

/// A query for `www.example.com. A` with EDNS, carrying `nsid` when given.
fn asking_nsid(nsid: Option<&[u8]>) -> Message {
    let mut q = with_edns(query("www.example.com.", RecordType::A), 1232);
    if let (Some(payload), Some(edns)) = (nsid, q.edns.as_mut()) {
        let option = EdnsOption::NSID(NSIDPayload::new(payload).unwrap());
        edns.options_mut().insert(option);
    }
    q
}

fn nsid_of(response: &Message) -> Option<Vec<u8>> {
    match response.edns.as_ref()?.option(EdnsCode::NSID)? {
        EdnsOption::NSID(payload) => Some(payload.as_ref().to_vec()),
        other => panic!("NSID option decoded as {other:?}"),
    }
}

#[tokio::test]
async fn nsid_is_sent_only_to_a_query_with_an_empty_nsid_option() {
    let server = serve_as(Some(NSID), None).await;
    for response in both(server.addr(), &asking_nsid(Some(b""))).await {
        assert_eq!(nsid_of(&response).as_deref(), Some(NSID.as_bytes()));
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(response.answers.len(), 1, "the answer is unchanged");
    }
    // Also on a refused query and on a CH identity answer.
    let mut refused = asking_nsid(Some(b""));
    refused.queries[0] = Query::query(Name::from_str("example.org.").unwrap(), RecordType::A);
    let response = udp(server.addr(), &refused).await;
    assert_eq!(response.metadata.response_code, ResponseCode::Refused);
    assert_eq!(nsid_of(&response).as_deref(), Some(NSID.as_bytes()));
    let mut ch = chaos("id.server.", RecordType::TXT);
    ch.set_edns(asking_nsid(Some(b"")).edns.unwrap());
    let response = udp(server.addr(), &ch).await;
    assert_eq!(chaos_text(&response), NSID);
    assert_eq!(nsid_of(&response).as_deref(), Some(NSID.as_bytes()));

    // Not asked, asked with a payload, or no EDNS at all: no NSID.
    for q in [asking_nsid(None), asking_nsid(Some(b"x"))] {
        for response in both(server.addr(), &q).await {
            assert!(response.edns.is_some());
            assert_eq!(nsid_of(&response), None);
        }
    }
    let response = udp(server.addr(), &query("www.example.com.", RecordType::A)).await;
    assert!(response.edns.is_none());
    server.stop().await;

    let plain = serve_as(None, Some(VERSION)).await;
    let response = udp(plain.addr(), &asking_nsid(Some(b""))).await;
    assert!(response.edns.is_some());
    assert_eq!(nsid_of(&response), None, "no NSID when none is set");
    plain.stop().await;
}

/// `dig` with `args` against `server`; None when dig is not installed.
async fn dig(server: SocketAddr, args: &[&str]) -> Option<String> {
    let out = tokio::process::Command::new("dig")
        .arg(format!("@{}", server.ip()))
        .args(["-p", &server.port().to_string(), "+tries=2", "+time=2"])
        .args(args)
        .output()
        .await;
    match out {
        Ok(out) => {
            assert!(out.status.success(), "dig {args:?}: {out:?}");
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("dig: {e}"),
    }
}

#[tokio::test]
async fn dig_reads_the_nsid_and_the_chaos_answers() {
    let server = serve_as(Some(NSID), Some(VERSION)).await;
    let Some(out) = dig(server.addr(), &["+nsid", "www.example.com.", "A"]).await else {
        eprintln!("dig is not installed; the hickory tests above cover NSID");
        return server.stop().await;
    };
    assert!(
        out.contains("NSID: 6e 73 31 2d 66 72 61 (\"ns1-fra\")"),
        "{out}"
    );
    assert!(out.contains("status: NOERROR"), "{out}");
    let out = dig(server.addr(), &["www.example.com.", "A"])
        .await
        .unwrap();
    assert!(!out.contains("NSID"), "no NSID unless asked: {out}");
    for (name, want) in [("id.server.", NSID), ("version.bind.", VERSION)] {
        let out = dig(server.addr(), &["+short", "CH", "TXT", name])
            .await
            .unwrap();
        assert_eq!(out.trim(), format!("\"{want}\""), "{name}");
    }
    server.stop().await;
}

#[test]
fn check_points_at_an_nsid_that_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("zones")).unwrap();
    let config = dir.path().join("alwayson.toml");
    let text = format!(
        "[dns]\nzones_dir = \"zones\"\nnsid = \"{}\"\nversion = \"v\\u0007\"\n",
        "n".repeat(300)
    );
    std::fs::write(&config, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let path = config.display();
    assert!(
        stderr.contains(&format!(
            "{path}:3:8: nsid is 300 bytes long; at most 255 fit a TXT string"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{path}:4:11: version must not contain control characters"
        )),
        "{stderr}"
    );
}
