//! Differential test of DNS answers: NSD and Knot DNS serve the zones of
//! `tests/fixtures/differential/` ([`ZONES`]: `example.com.`, and
//! `mybankcard.example.` with a DNAME at its apex) on loopback and must
//! agree with each other on every query of the corpus (so the corpus and the
//! comparison are sound); alwayson, serving the same zones converted by
//! `alwayson import`, must then agree with them.
//!
//! Compared per query: rcode, AA, the answer section, the SOA in the
//! authority section (negative answers), the NS in the authority section of
//! referrals, and the A/AAAA records of the additional section that both
//! reference servers give (records both leave out are not required). ANY
//! queries compare the rcode only (RFC 8482 leaves the content open). OPT is
//! ignored.
//!
//! NSD and Knot are required: CI installs them (`apt-get install nsd knot`);
//! when they are missing the test fails and says so rather than skipping.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinDecodable;
use tokio::net::UdpSocket;

mod corpus;
mod reference;

use corpus::corpus;
use reference::Reference;

/// The zones every server loads: origin and fixture.
pub const ZONES: [(&str, &str); 2] = [
    (
        "example.com.",
        "tests/fixtures/differential/example.com.zone",
    ),
    (
        "mybankcard.example.",
        "tests/fixtures/differential/mybankcard.example.zone",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsd_and_knot_agree_on_the_corpus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nsd = Reference::nsd(dir.path()).await;
    let knot = Reference::knot(dir.path()).await;
    let corpus = corpus();
    assert!(
        corpus.len() >= 150,
        "corpus has only {} queries",
        corpus.len()
    );

    let mut report = String::new();
    for (name, qtype) in &corpus {
        let a = summarize(&ask(nsd.addr, name, *qtype).await);
        let b = summarize(&ask(knot.addr, name, *qtype).await);
        if let Some(diff) = differences(&a, &b, &b.additional, *qtype) {
            let _ = writeln!(report, "{name} {qtype}: NSD vs Knot\n{diff}");
        }
    }
    assert!(
        report.is_empty(),
        "NSD and Knot disagree, so the corpus or the comparison is unsound:\n{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alwayson_agrees_with_nsd_and_knot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nsd = Reference::nsd(dir.path()).await;
    let knot = Reference::knot(dir.path()).await;
    for (origin, fixture) in ZONES {
        let (_, warnings) = import_zone(dir.path(), origin, fixture);
        assert!(
            warnings.is_empty(),
            "import warnings for {origin}: {warnings:?}"
        );
    }
    let config = alwayson::config::ServerConfig::for_tests(&dir.path().join("zones"));
    let server = alwayson::app::start(config).await.expect("start alwayson");
    assert!(
        server.initial_load.errors.is_empty(),
        "the imported zone does not load: {:?}",
        server.initial_load.errors
    );

    let mut report = String::new();
    for (name, qtype) in &corpus() {
        let want = summarize(&ask(nsd.addr, name, *qtype).await);
        let knot_says = summarize(&ask(knot.addr, name, *qtype).await);
        let got = summarize(&ask(server.dns_addr(), name, *qtype).await);
        if let Some(diff) = differences(&want, &got, &knot_says.additional, *qtype) {
            let _ = writeln!(report, "{name} {qtype}: alwayson vs NSD/Knot\n{diff}");
        }
    }
    server.shutdown().await;
    assert!(
        report.is_empty(),
        "alwayson differs from NSD and Knot:\n{report}"
    );
}

#[test]
fn the_differential_zone_imports_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (origin, fixture) = ZONES[0];
    let (toml_path, warnings) = import_zone(dir.path(), origin, fixture);
    assert!(warnings.is_empty(), "import warnings: {warnings:?}");
    let text = std::fs::read_to_string(toml_path).expect("read imported zone");
    let doc: toml::Table = toml::from_str(&text).expect("imported zone is TOML");
    let sets = doc["record"].as_array().expect("record sets");
    let values: usize = sets
        .iter()
        .map(|s| s["values"].as_array().map_or(0, Vec::len))
        .sum();
    // Counted by hand from the fixture: 54 records besides the SOA.
    assert_eq!((sets.len(), values), (45, 54));
}

/// Converts `fixture` with `alwayson import` into `<base>/zones/`, where
/// alwayson's default config looks for zones.
fn import_zone(base: &Path, origin: &str, fixture: &str) -> (PathBuf, Vec<String>) {
    let zones = base.join("zones");
    std::fs::create_dir_all(&zones).expect("create zones dir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    let imported = alwayson::import::convert(&source, None)
        .unwrap_or_else(|e| panic!("import {fixture}:\n{e}"));
    let path = zones.join(format!("{origin}toml"));
    std::fs::write(&path, imported.toml).expect("write imported zone");
    let warnings = imported.warnings.iter().map(ToString::to_string).collect();
    (path, warnings)
}

/// What a response means, in comparable form.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Summary {
    rcode: ResponseCode,
    aa: bool,
    answer: BTreeSet<Rr>,
    /// SOA records, and NS records of a referral.
    authority: BTreeSet<Rr>,
    /// A and AAAA records.
    additional: BTreeSet<Rr>,
}

impl Summary {
    /// Not authoritative, no answer, NS in the authority section.
    fn referral(&self) -> bool {
        !self.aa && self.answer.is_empty() && self.authority.iter().any(|r| r.1 == RecordType::NS)
    }
}

/// One record: lowercased owner, type, TTL, RDATA text.
type Rr = (String, RecordType, u32, String);

fn summarize(message: &Message) -> Summary {
    let referral = !message.metadata.authoritative && message.answers.is_empty();
    Summary {
        rcode: message.metadata.response_code,
        aa: message.metadata.authoritative,
        answer: message.answers.iter().map(rr).collect(),
        authority: message
            .authorities
            .iter()
            .filter(|r| {
                r.record_type() == RecordType::SOA || referral && r.record_type() == RecordType::NS
            })
            .map(rr)
            .collect(),
        additional: message
            .additionals
            .iter()
            .filter(|r| matches!(r.record_type(), RecordType::A | RecordType::AAAA))
            .map(rr)
            .collect(),
    }
}

fn rr(record: &Record) -> Rr {
    let rdata = match &record.data {
        // Text is compared byte for byte, everything else without case.
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(" "),
        // hickory 0.26 has no DNAME type: its RDATA comes as raw bytes, an
        // uncompressed name (RFC 6672 §2.5).
        RData::Unknown { code, rdata } if *code == RecordType::DNAME => {
            Name::from_bytes(&rdata.anything).map_or_else(
                |e| format!("undecodable DNAME: {e}"),
                |n| n.to_ascii().to_ascii_lowercase(),
            )
        }
        other => other.to_string().to_ascii_lowercase(),
    };
    (
        record.name.to_ascii().to_ascii_lowercase(),
        record.record_type(),
        record.ttl,
        rdata,
    )
}

/// The differences of `got` from `want`, or `None` when they agree. The
/// glue of a referral must be exactly the same; of any other additional
/// section, only what is in both `want` and `required` (what every reference
/// gives) must be in `got`.
fn differences(
    want: &Summary,
    got: &Summary,
    required: &BTreeSet<Rr>,
    qtype: RecordType,
) -> Option<String> {
    let mut out = String::new();
    if want.rcode != got.rcode {
        let _ = writeln!(out, "  rcode: want {} got {}", want.rcode, got.rcode);
    }
    if qtype != RecordType::ANY {
        if want.aa != got.aa {
            let _ = writeln!(out, "  AA: want {} got {}", want.aa, got.aa);
        }
        section(&mut out, "answer", &want.answer, &got.answer);
        section(&mut out, "authority", &want.authority, &got.authority);
        if want.referral() {
            section(&mut out, "glue", &want.additional, &got.additional);
        }
        let required: BTreeSet<Rr> = want.additional.intersection(required).cloned().collect();
        let missing: Vec<&Rr> = required.difference(&got.additional).collect();
        if !missing.is_empty() {
            let _ = writeln!(out, "  additional: missing {missing:?}");
        }
    }
    (!out.is_empty()).then_some(out)
}

fn section(out: &mut String, name: &str, want: &BTreeSet<Rr>, got: &BTreeSet<Rr>) {
    let missing: Vec<&Rr> = want.difference(got).collect();
    let extra: Vec<&Rr> = got.difference(want).collect();
    if !missing.is_empty() || !extra.is_empty() {
        let _ = writeln!(out, "  {name}: missing {missing:?}, extra {extra:?}");
    }
}

/// Sends one query over UDP (EDNS on, 1232 bytes) and returns the response,
/// retrying a lost datagram.
async fn ask(server: SocketAddr, name: &str, qtype: RecordType) -> Message {
    let name = Name::from_str(name).expect("corpus names are valid");
    let mut query = Message::query();
    query.add_query(Query::query(name, qtype));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    query.set_edns(edns);
    let bytes = query.to_vec().expect("encode query");
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
    let mut buf = vec![0u8; 65535];
    for _ in 0..5 {
        socket.send_to(&bytes, server).await.expect("send query");
        let Ok(received) =
            tokio::time::timeout(Duration::from_secs(1), socket.recv_from(&mut buf)).await
        else {
            continue;
        };
        let (len, from) = received.expect("receive response");
        assert_eq!(from, server, "response from an unexpected address");
        let response = Message::from_vec(&buf[..len]).expect("parse response");
        assert_eq!(response.metadata.id, query.metadata.id, "response id");
        return response;
    }
    panic!("no response from {server} to {query:?}");
}
