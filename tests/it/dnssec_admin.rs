//! DNSSEC in the admin API: the explain API says whether an answer would
//! be signed and by which key tag, `/metrics` counts signatures and the
//! signature cache, and the status page shows every key with its state
//! and the DS.

use alwayson::dnssec::SignAlgorithm;
use hickory_proto::rr::RecordType;

use crate::admin_client::start;
use crate::harness::udp;
use crate::validator::{do_query, ds_anchor, signed_zone};

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_metrics_and_status_page_show_signing() {
    let records = "[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n";
    let mut ds = String::new();
    let (server, admin) = start(&[signed_zone("example.com.", records)], |c| {
        ds = ds_anchor(&c.dnssec.keys_dir, "example.com.", SignAlgorithm::EcdsaP256);
    })
    .await;
    let tag: u16 = ds.split_whitespace().nth(2).unwrap().parse().unwrap();

    let explained = admin
        .get("/api/v1/answer?name=www.example.com.&type=A")
        .await
        .json();
    assert_eq!(explained["dnssec"]["signed_with_do"], true, "{explained}");
    assert_eq!(explained["dnssec"]["key_tags"][0], tag);
    let nx = admin
        .get("/api/v1/answer?name=nope.example.com.&type=A")
        .await
        .json();
    assert_eq!(nx["dnssec"]["denial"], "compact-nxdomain", "{nx}");

    for _ in 0..3 {
        udp(server.addr(), &do_query("www.example.com.", RecordType::A)).await;
    }
    let text = admin.get("/metrics").await.body;
    assert_eq!(
        metric(&text, "alwayson_dnssec_signatures_total"),
        1.0,
        "signed once"
    );
    assert_eq!(
        metric(&text, "alwayson_dnssec_signature_cache_hits_total"),
        2.0
    );
    assert_eq!(
        metric(&text, "alwayson_dnssec_signature_cache_misses_total"),
        1.0
    );
    assert_eq!(
        metric(&text, "alwayson_dnssec_signature_cache_entries"),
        1.0
    );
    assert!(metric(&text, "alwayson_dnssec_signing_seconds_total") > 0.0);

    let page = admin.get("/").await.body;
    assert!(page.contains("<h2>DNSSEC</h2>"), "{page}");
    let ds_text = ds.trim_start_matches("example.com. DS ");
    assert!(
        page.contains(&format!(
            "<td>{tag}</td><td>13</td><td>csk</td><td>active</td><td><pre>{ds_text}</pre>"
        )),
        "{page}"
    );
    server.stop().await;
}
