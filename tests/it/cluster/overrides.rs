//! Cluster-wide overrides, and members that leave and come back.

use std::time::{Duration, Instant, SystemTime};

use alwayson::health::Override;

use super::{
    Node, PRIMARY, SECONDARY, TcpBackend, cluster_of, eventually, start_all, stop_all,
    until_members, zone,
};
use crate::health::Backend;

/// Waits until every running node answers `want` for www.
async fn all_answer(nodes: &[Node], want: &str, within: Duration) -> Duration {
    eventually(&format!("every node answers {want}"), within, || async {
        for node in nodes.iter().filter(|n| n.server.is_some()) {
            if node.a("www.example.com.").await != [want] {
                return false;
            }
        }
        true
    })
    .await
}

/// The override each running node holds on web-1: (healthy, until, set_by).
async fn holds(nodes: &[Node]) -> Vec<Option<(bool, Option<SystemTime>, Option<String>)>> {
    let mut out = Vec::new();
    for node in nodes.iter().filter(|n| n.server.is_some()) {
        let report = node.server().updater.health().await.unwrap();
        let web1 = report.checks.iter().find(|c| &*c.id == "web-1").unwrap();
        out.push(
            web1.overridden
                .as_ref()
                .map(|o| (o.healthy, o.until, o.set_by.as_deref().map(str::to_string))),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_on_one_node_holds_on_all_with_the_same_expiry() {
    let primary = Backend::start(None).await;
    let secondary = TcpBackend::start().await;
    let (p, s) = (primary.addr, secondary.local_addr().unwrap());
    let mut nodes = cluster_of(3, |_| zone(p, s, ""));
    start_all(&mut nodes).await;
    until_members(&nodes, 3).await;
    all_answer(&nodes, PRIMARY, Duration::from_secs(3)).await;

    let until = SystemTime::now() + Duration::from_secs(2);
    let held = Override::new(false, Some(until), SystemTime::now());
    nodes[0]
        .server()
        .updater
        .set_override("web-1", Some(held))
        .await
        .unwrap()
        .unwrap();
    let took = all_answer(&nodes, SECONDARY, Duration::from_secs(3)).await;
    eprintln!("override on ns1 → every node answered the secondary after {took:?}");
    let seen = holds(&nodes).await;
    assert!(
        seen.iter().all(|h| *h == seen[0]),
        "one hold everywhere: {seen:?}"
    );
    let (healthy, seen_until, by) = seen[0].clone().unwrap();
    assert!(!healthy);
    assert_eq!(by.as_deref(), Some("ns1"), "the node that took the call");
    let until_ms = until
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let seen_ms = seen_until
        .unwrap()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    assert_eq!(seen_ms, until_ms, "the same expiry, to the millisecond");

    // The expiry ends it everywhere.
    all_answer(&nodes, PRIMARY, Duration::from_secs(5)).await;
    assert!(holds(&nodes).await.iter().all(Option::is_none));
    stop_all(&mut nodes).await;
    primary.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_node_is_dropped_and_rejoins_with_the_overrides_it_missed() {
    let primary = Backend::start(None).await;
    let secondary = TcpBackend::start().await;
    let (p, s) = (primary.addr, secondary.local_addr().unwrap());
    let mut nodes = cluster_of(3, |_| zone(p, s, ""));
    start_all(&mut nodes).await;
    until_members(&nodes, 3).await;
    // Let the failure detector learn the heartbeat interval.
    tokio::time::sleep(Duration::from_secs(2)).await;

    nodes[2].stop().await;
    let stopped = Instant::now();
    // A stopped node has closed its gossip port (a restart binds it again).
    drop(std::net::UdpSocket::bind(nodes[2].gossip).expect("gossip port closed at shutdown"));
    until_members(&nodes[..2], 2).await;
    eprintln!(
        "ns3 stopped → dropped by both survivors after {:?}",
        stopped.elapsed()
    );
    all_answer(&nodes, PRIMARY, Duration::from_secs(2)).await;

    // An override while ns3 is away, until cleared.
    let held = Override::new(false, None, SystemTime::now());
    nodes[0]
        .server()
        .updater
        .set_override("web-1", Some(held))
        .await
        .unwrap()
        .unwrap();
    all_answer(&nodes, SECONDARY, Duration::from_secs(3)).await;

    nodes[2].start().await;
    until_members(&nodes, 3).await;
    all_answer(&nodes, SECONDARY, Duration::from_secs(3)).await;
    let seen = holds(&nodes).await;
    assert_eq!(
        seen[2].as_ref().and_then(|h| h.2.clone()).as_deref(),
        Some("ns1"),
        "{seen:?}"
    );

    // Every node restarts: the hold survives (each kept it in its state folder).
    stop_all(&mut nodes).await;
    start_all(&mut nodes).await;
    until_members(&nodes, 3).await;
    all_answer(&nodes, SECONDARY, Duration::from_secs(3)).await;

    // A release on ns2 ends it everywhere.
    nodes[1]
        .server()
        .updater
        .set_override("web-1", None)
        .await
        .unwrap()
        .unwrap();
    all_answer(&nodes, PRIMARY, Duration::from_secs(5)).await;
    assert!(holds(&nodes).await.iter().all(Option::is_none));
    stop_all(&mut nodes).await;
    primary.stop().await;
}
