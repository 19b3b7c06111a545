//! A ZSK rollover with a separate KSK, pre-publish style, as
//! docs/dnssec.md describes it: publish the new ZSK, switch (new active,
//! old retired), remove the old one; a reload applies each step and Unbound
//! (trusting the KSK's DS) validates the answers at every step.

use alwayson::diag::Source;
use alwayson::dnssec::folder::{keygen, state_path};
use alwayson::dnssec::state::{self, KeyState};
use alwayson::dnssec::{Role, SignAlgorithm};
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType};
use std::path::Path;

use crate::harness::{TestServer, udp};
use crate::validator::{Unbound, do_query, signed_zone};

/// The key tags of the RRSIGs over www's A RRset, straight from alwayson.
async fn signing_tags(server: &TestServer) -> Vec<u16> {
    let msg = udp(server.addr(), &do_query("www.example.com.", RecordType::A)).await;
    msg.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(s)) => Some(s.input().key_tag),
            _ => None,
        })
        .collect()
}

async fn validates(unbound: &Unbound, step: &str) {
    for (name, qtype) in [
        ("www.example.com.", RecordType::A),
        ("example.com.", RecordType::DNSKEY),
    ] {
        let msg = unbound.ask(name, qtype).await;
        assert_eq!(
            msg.metadata.response_code,
            ResponseCode::NoError,
            "{step}: {msg:?}"
        );
        assert!(
            msg.metadata.authentic_data,
            "{step}: {name} not validated: {msg:?}"
        );
    }
}

/// Rewrites the key-state file with `change` applied to its entries.
fn edit_states(dir: &Path, change: impl FnOnce(&mut Vec<state::KeyEntry>)) {
    let origin = Name::from_ascii("example.com.").unwrap();
    let path = state_path(dir, &origin);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut entries = state::parse(&Source::new(&path, text)).unwrap();
    change(&mut entries);
    std::fs::write(&path, state::render("example.com.", &entries)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zsk_rollover_validates_at_every_step() {
    let origin = Name::from_ascii("example.com.").unwrap();
    let records = "[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n";
    let (mut anchor, mut dir, mut zsk1) = (String::new(), std::path::PathBuf::new(), 0);
    let server = TestServer::start_with(&[signed_zone("example.com.", records)], |c| {
        dir = c.dnssec.keys_dir.clone();
        let ksk = keygen(&dir, &origin, SignAlgorithm::EcdsaP256, Role::Ksk, None).unwrap();
        anchor = format!("example.com. DS {}", ksk.ds(&origin).unwrap());
        let zsk = keygen(
            &dir,
            &origin,
            SignAlgorithm::EcdsaP256,
            Role::Zsk,
            Some(KeyState::Active),
        );
        zsk1 = zsk.unwrap().tag;
    })
    .await;
    let unbound = Unbound::start(
        &[("example.com.", server.addr())],
        std::slice::from_ref(&anchor),
    )
    .await;
    assert_eq!(signing_tags(&server).await, [zsk1]);
    validates(&unbound, "start").await;

    // 1. Pre-publish: the new ZSK is in the DNSKEY set, signing nothing.
    let zsk2 = keygen(&dir, &origin, SignAlgorithm::EcdsaP256, Role::Zsk, None).unwrap();
    assert_eq!(zsk2.state, KeyState::Published);
    assert!(server.server.reload().await.unwrap().errors.is_empty());
    let keys = udp(server.addr(), &do_query("example.com.", RecordType::DNSKEY)).await;
    assert_eq!(
        keys.answers
            .iter()
            .filter(|r| r.record_type() == RecordType::DNSKEY)
            .count(),
        3
    );
    assert_eq!(signing_tags(&server).await, [zsk1]);
    validates(&unbound, "pre-publish").await;

    // 2. Switch: the new one signs, the old one stays published.
    edit_states(&dir, |entries| {
        entries[1].state = KeyState::Retired;
        entries[2].state = KeyState::Active;
    });
    assert!(server.server.reload().await.unwrap().errors.is_empty());
    assert_eq!(signing_tags(&server).await, [zsk2.tag]);
    validates(&unbound, "switch").await;

    // 3. Remove the old key.
    edit_states(&dir, |entries| {
        entries.remove(1);
    });
    assert!(server.server.reload().await.unwrap().errors.is_empty());
    let keys = udp(server.addr(), &do_query("example.com.", RecordType::DNSKEY)).await;
    assert_eq!(
        keys.answers
            .iter()
            .filter(|r| r.record_type() == RecordType::DNSKEY)
            .count(),
        2
    );
    validates(&unbound, "remove").await;
    drop(unbound);
    server.stop().await;
}
