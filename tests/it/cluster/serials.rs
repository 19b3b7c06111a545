//! Serial agreement and zone drift.

use std::time::Duration;

use hickory_proto::rr::{RData, RecordType};

use super::{Node, TcpBackend, cluster_of, eventually, stop_all, until_members, zone};
use crate::harness::{query, udp};
use crate::health::Backend;

async fn serial(node: &Node) -> u32 {
    let answer = udp(node.dns(), &query("example.com.", RecordType::SOA)).await;
    match answer.answers.first().map(|r| &r.data) {
        Some(RData::SOA(soa)) => soa.serial,
        other => panic!("no SOA: {other:?}"),
    }
}

async fn serials(nodes: &[Node]) -> Vec<u32> {
    let mut out = Vec::new();
    for node in nodes {
        out.push(serial(node).await);
    }
    out
}

fn drift(node: &Node) -> Option<bool> {
    let gauges = node.server().metrics.cluster.gauges()?;
    gauges
        .zone_drift
        .iter()
        .find(|(zone, _)| zone == "example.com.")
        .map(|(_, d)| *d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_content_gets_one_serial_and_an_edit_on_one_node_is_drift() {
    let primary = Backend::start(None).await;
    let secondary = TcpBackend::start().await;
    let (p, s) = (primary.addr, secondary.local_addr().unwrap());
    let mut nodes = cluster_of(3, |_| zone(p, s, ""));
    // Started a second apart, so each derives its own serial from the clock.
    for node in &mut nodes {
        node.start().await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    until_members(&nodes, 3).await;
    let took = eventually("one serial", Duration::from_secs(5), || async {
        let s = serials(&nodes).await;
        s.iter().all(|x| *x == s[0])
    })
    .await;
    let first = serials(&nodes).await[0];
    eprintln!("three derived serials → one ({first}) after {took:?}");
    for node in &nodes {
        assert_eq!(drift(node), Some(false), "{}", node.name);
    }

    // The same edit on every node, at different moments.
    let edited = zone(
        p,
        s,
        "\n[[record]]\nname = \"txt\"\ntype = \"TXT\"\nvalues = [\"v2\"]\n",
    );
    for node in &nodes {
        node.write_zone(&edited);
        node.server().reload().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    eventually("one new serial", Duration::from_secs(5), || async {
        let s = serials(&nodes).await;
        s.iter().all(|x| *x == s[0])
    })
    .await;
    let second = serials(&nodes).await[0];
    assert!(second > first, "{second} after {first}");

    // An edit on ns2 only: its content differs, and every node says so.
    let only = zone(
        p,
        s,
        "\n[[record]]\nname = \"txt\"\ntype = \"TXT\"\nvalues = [\"v3\"]\n",
    );
    nodes[1].write_zone(&only);
    nodes[1].server().reload().await.unwrap();
    eventually("drift reported", Duration::from_secs(5), || async {
        nodes.iter().all(|n| drift(n) == Some(true))
    })
    .await;
    assert!(serial(&nodes[1]).await > second);
    assert_eq!(
        serial(&nodes[0]).await,
        second,
        "other content keeps its own serial"
    );
    stop_all(&mut nodes).await;
}
