//! DNSSEC on the wire without a validator: answers without DO are the
//! bytes an unsigned zone serves; DO=1 answers carry an RRSIG for every
//! RRset of every section, the wildcard labels field, compact denial (and
//! NXDOMAIN with the CO flag), DS or NSEC at referrals; a signed answer
//! that does not fit is truncated whole. Keys: `keygen`, `check` and
//! reloads with broken keys, through the real binary.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use alwayson::dnssec::SignAlgorithm;
use alwayson::dnssec::folder::state_path;
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::harness::{TestServer, query, tcp, udp, udp_raw_within, with_edns};
use crate::validator::{do_query, ds_anchor, signed_zone};

const RECORDS: &str = r#"
[[record]]
name = "www"
type = "A"
values = ["192.0.2.1", "192.0.2.2"]

[[record]]
name = "@"
type = "MX"
values = ["10 mail"]

[[record]]
name = "mail"
type = "A"
values = ["192.0.2.25"]

[[record]]
name = "alias"
type = "CNAME"
values = ["www"]

[[record]]
name = "*.wild"
type = "A"
values = ["192.0.2.99"]

[[record]]
name = "a.b.ent"
type = "TXT"
values = ["\"x\""]

[[record]]
name = "sub"
type = "NS"
values = ["ns.sub"]

[[record]]
name = "ns.sub"
type = "A"
values = ["192.0.2.53"]

[[record]]
name = "secure"
type = "NS"
values = ["ns.sub"]

[[record]]
name = "secure"
type = "DS"
values = ["12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"]
"#;

async fn signed() -> TestServer {
    TestServer::start_with(&[signed_zone("example.com.", RECORDS)], |c| {
        ds_anchor(&c.dnssec.keys_dir, "example.com.", SignAlgorithm::EcdsaP256);
    })
    .await
}

fn sigs(records: &[Record]) -> Vec<(String, RecordType, u8)> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(s)) => Some((
                r.name.to_ascii().to_lowercase(),
                s.input().type_covered,
                s.input().num_labels,
            )),
            _ => None,
        })
        .collect()
}

/// Every RRset of `records` except RRSIGs themselves has an RRSIG.
fn all_signed(case: &str, records: &[Record], unsigned: &[RecordType]) {
    let signed = sigs(records);
    for r in records {
        let t = r.record_type();
        if t == RecordType::RRSIG || unsigned.contains(&t) {
            continue;
        }
        let owner = r.name.to_ascii().to_lowercase();
        assert!(
            signed.iter().any(|(o, c, _)| *o == owner && *c == t),
            "{case}: {owner} {t} has no RRSIG: {records:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_without_do_are_the_bytes_of_the_unsigned_zone() {
    let plain_zone = signed_zone("example.com.", RECORDS).replace("dnssec = true\n", "");
    let plain = TestServer::start(&[plain_zone]).await;
    let signed = signed().await;
    let cases = [
        ("www.example.com.", RecordType::A),
        ("www.example.com.", RecordType::AAAA),
        ("example.com.", RecordType::MX),
        ("example.com.", RecordType::SOA),
        ("alias.example.com.", RecordType::A),
        ("x.y.wild.example.com.", RecordType::A),
        ("b.ent.example.com.", RecordType::A),
        ("nope.example.com.", RecordType::A),
        ("www.sub.example.com.", RecordType::A),
        ("secure.example.com.", RecordType::DS),
        ("example.com.", RecordType::ANY),
        ("nope.example.com.", RecordType::NSEC),
    ];
    for (name, qtype) in cases {
        for edns in [false, true] {
            let mut q = query(name, qtype);
            if edns {
                q = with_edns(q, 1232);
            }
            let bytes = q.to_vec().unwrap();
            let a = udp_raw_within(plain.addr(), &bytes, std::time::Duration::from_secs(2)).await;
            let b = udp_raw_within(signed.addr(), &bytes, std::time::Duration::from_secs(2)).await;
            assert!(a.is_some(), "{name} {qtype}: no answer");
            assert_eq!(
                a, b,
                "{name} {qtype} (EDNS {edns}): bytes differ without DO"
            );
        }
    }
    plain.stop().await;
    signed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn do_answers_sign_every_section() {
    let server = signed().await;
    let mx = udp(server.addr(), &do_query("example.com.", RecordType::MX)).await;
    assert!(mx.edns.as_ref().unwrap().flags().dnssec_ok, "DO echoed");
    all_signed("MX answer", &mx.answers, &[]);
    assert!(!mx.additionals.is_empty(), "mail A in additional");
    all_signed("MX additional", &mx.additionals, &[]);

    let chain = udp(
        server.addr(),
        &do_query("alias.example.com.", RecordType::A),
    )
    .await;
    all_signed("CNAME chain", &chain.answers, &[]);
    assert_eq!(sigs(&chain.answers).len(), 2);

    // RFC 4035 §5.3.2: the labels field is the wildcard's, and an NSEC
    // covers the next closer name.
    let wild = udp(
        server.addr(),
        &do_query("x.y.wild.example.com.", RecordType::A),
    )
    .await;
    assert_eq!(
        sigs(&wild.answers),
        [("x.y.wild.example.com.".into(), RecordType::A, 3)]
    );
    let nsec: Vec<&Record> = wild
        .authorities
        .iter()
        .filter(|r| r.record_type() == RecordType::NSEC)
        .collect();
    assert_eq!(nsec.len(), 1, "{wild:?}");
    let y = Name::from_ascii("y.wild.example.com.").unwrap();
    let RData::DNSSEC(DNSSECRData::NSEC(n)) = &nsec[0].data else {
        panic!()
    };
    assert!(
        nsec[0].name < y && y < *n.next_domain_name(),
        "covers the next closer name"
    );
    all_signed("wildcard authority", &wild.authorities, &[]);

    // Referrals: the DS and its RRSIG, or an NSEC without DS; never an
    // RRSIG over the delegation's NS or the glue.
    let secure = udp(
        server.addr(),
        &do_query("www.secure.example.com.", RecordType::A),
    )
    .await;
    let types: Vec<RecordType> = secure.authorities.iter().map(Record::record_type).collect();
    assert!(types.contains(&RecordType::DS), "{types:?}");
    all_signed("referral with DS", &secure.authorities, &[RecordType::NS]);
    assert!(
        sigs(&secure.authorities)
            .iter()
            .all(|s| s.1 != RecordType::NS)
    );
    let sub = udp(
        server.addr(),
        &do_query("www.sub.example.com.", RecordType::A),
    )
    .await;
    let proof: Vec<&Record> = sub
        .authorities
        .iter()
        .filter(|r| r.record_type() == RecordType::NSEC)
        .collect();
    let RData::DNSSEC(DNSSECRData::NSEC(n)) = &proof[0].data else {
        panic!()
    };
    let bitmap: Vec<RecordType> = n.type_bit_maps().collect();
    assert!(
        bitmap.contains(&RecordType::NS) && !bitmap.contains(&RecordType::DS),
        "{bitmap:?}"
    );
    all_signed("referral without DS", &sub.authorities, &[RecordType::NS]);
    assert!(sigs(&sub.additionals).is_empty(), "glue is not signed");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_denial_answers_nodata_with_nxname_and_nxdomain_with_co() {
    let server = signed().await;
    let nx = udp(server.addr(), &do_query("nope.example.com.", RecordType::A)).await;
    assert_eq!(nx.metadata.response_code, ResponseCode::NoError);
    let nsec = nx
        .authorities
        .iter()
        .find(|r| r.record_type() == RecordType::NSEC)
        .unwrap();
    let RData::DNSSEC(DNSSECRData::NSEC(n)) = &nsec.data else {
        panic!()
    };
    let bitmap: Vec<RecordType> = n.type_bit_maps().collect();
    assert!(
        bitmap.contains(&RecordType::Unknown(128)),
        "NXNAME: {bitmap:?}"
    );
    all_signed("compact NXDOMAIN", &nx.authorities, &[]);

    let mut co = do_query("nope.example.com.", RecordType::A);
    co.edns.as_mut().unwrap().flags_mut().z |= 0x4000;
    let nx = udp(server.addr(), &co).await;
    assert_eq!(
        nx.metadata.response_code,
        ResponseCode::NXDomain,
        "CO restores NXDOMAIN"
    );

    let ent = udp(
        server.addr(),
        &do_query("b.ent.example.com.", RecordType::A),
    )
    .await;
    let nsec = ent
        .authorities
        .iter()
        .find(|r| r.record_type() == RecordType::NSEC)
        .unwrap();
    let RData::DNSSEC(DNSSECRData::NSEC(n)) = &nsec.data else {
        panic!()
    };
    let bitmap: Vec<RecordType> = n.type_bit_maps().collect();
    assert_eq!(
        bitmap,
        [RecordType::RRSIG, RecordType::NSEC],
        "an empty non-terminal"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_answer_that_does_not_fit_is_truncated_whole() {
    let values: Vec<String> = (1..=40).map(|i| format!("\"192.0.2.{i}\"")).collect();
    let records = format!(
        "[[record]]\nname = \"big\"\ntype = \"A\"\nvalues = [{}]\n",
        values.join(", ")
    );
    let server = TestServer::start_with(&[signed_zone("example.com.", &records)], |c| {
        ds_anchor(&c.dnssec.keys_dir, "example.com.", SignAlgorithm::EcdsaP256);
    })
    .await;
    // 40 A records (640 bytes) fit 1232 unsigned and signed, not 512 signed.
    let mut small = do_query("big.example.com.", RecordType::A);
    small.edns.as_mut().unwrap().set_max_payload(512);
    let cut = udp(server.addr(), &small).await;
    assert!(cut.metadata.truncation, "TC=1");
    assert!(
        cut.answers.is_empty() && cut.authorities.is_empty(),
        "no half-signed section"
    );
    let full = tcp(server.addr(), &small).await;
    assert_eq!(full.answers.len(), 41, "40 A and the RRSIG over TCP");
    let fits = udp(server.addr(), &do_query("big.example.com.", RecordType::A)).await;
    assert!(!fits.metadata.truncation);
    all_signed("1232 bytes", &fits.answers, &[]);
    server.stop().await;
}

fn alwayson() -> Command {
    Command::new(env!("CARGO_BIN_EXE_alwayson"))
}

#[test]
fn keygen_check_and_a_world_readable_keys_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    std::fs::write(zones.join("z.toml"), signed_zone("example.com.", "")).unwrap();
    let config = dir.path().join("alwayson.toml");
    std::fs::write(&config, "").unwrap();

    // No key yet: check names the zone file, its line and the fix.
    let out = alwayson()
        .arg("check")
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("z.toml:4:10") && err.contains("alwayson dnssec keygen example.com."),
        "{err}"
    );

    let out = alwayson()
        .args(["dnssec", "keygen", "example.com"])
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = dir.path().join("keys");
    let key_file = std::fs::read_dir(&keys)
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "pk8"))
        .unwrap();
    assert_eq!(
        key_file.metadata().unwrap().permissions().mode() & 0o777,
        0o600
    );
    let out = alwayson()
        .arg("check")
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ds = alwayson()
        .args(["dnssec", "ds", "example.com."])
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&ds.stdout);
    assert!(
        text.contains("example.com. IN DS ") && text.contains("IN DNSKEY 257 3 13 "),
        "{text}"
    );

    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = alwayson()
        .args(["dnssec", "keygen", "example.com"])
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("readable by every user"));
    let out = alwayson()
        .arg("check")
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 700"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_with_a_missing_key_keeps_the_old_zone_serving() {
    let mut keys_dir = std::path::PathBuf::new();
    let server = TestServer::start_with(&[signed_zone("example.com.", RECORDS)], |c| {
        ds_anchor(&c.dnssec.keys_dir, "example.com.", SignAlgorithm::EcdsaP256);
        keys_dir = c.dnssec.keys_dir.clone();
    })
    .await;
    let origin = Name::from_ascii("example.com.").unwrap();
    let state = std::fs::read_to_string(state_path(&keys_dir, &origin)).unwrap();
    let file = state
        .lines()
        .find_map(|l| l.strip_prefix("file = \""))
        .unwrap()
        .trim_end_matches('"');
    std::fs::remove_file(keys_dir.join(file)).unwrap();
    let outcome = server.server.reload().await.unwrap();
    let errors: Vec<String> = outcome.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains(file), "{errors:?}");
    let www = udp(server.addr(), &do_query("www.example.com.", RecordType::A)).await;
    assert_eq!(
        sigs(&www.answers).len(),
        1,
        "still signed with the old keys: {www:?}"
    );
    let _: &Message = &www;
    server.stop().await;
}
