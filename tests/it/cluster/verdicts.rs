//! Shared health: every node answers from one verdict through a flip, and
//! a target that only one node reaches follows `healthy_fraction`.

use std::time::{Duration, Instant};

use tokio::net::TcpListener;

use super::{
    Node, PRIMARY, SECONDARY, TcpBackend, cluster_of, start_all, stop_all, until_members, zone,
};
use crate::health::Backend;

/// Polls every node until each answers `want` for www; the time each first did.
async fn times_until_all_answer(nodes: &[Node], want: &str, within: Duration) -> Vec<Duration> {
    let start = Instant::now();
    let mut seen: Vec<Option<Duration>> = vec![None; nodes.len()];
    while seen.iter().any(Option::is_none) {
        for (i, node) in nodes.iter().enumerate() {
            if seen[i].is_none() && node.a("www.example.com.").await == [want] {
                seen[i] = Some(start.elapsed());
            }
        }
        assert!(
            start.elapsed() < within,
            "not every node answered {want} within {within:?}: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    seen.into_iter().flatten().collect()
}

fn window(times: &[Duration]) -> Duration {
    let max = times.iter().max().copied().unwrap_or_default();
    let min = times.iter().min().copied().unwrap_or_default();
    max - min
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_answers_from_one_verdict_through_a_flip() {
    let primary = Backend::start(None).await;
    let secondary = TcpBackend::start().await;
    let (p, s) = (primary.addr, secondary.local_addr().unwrap());
    let mut nodes = cluster_of(3, |_| zone(p, s, ""));
    start_all(&mut nodes).await;
    until_members(&nodes, 3).await;
    for node in &nodes {
        assert_eq!(node.a("www.example.com.").await, [PRIMARY]);
    }

    primary.stop().await;
    let down = times_until_all_answer(&nodes, SECONDARY, Duration::from_secs(5)).await;
    eprintln!(
        "backend died → nodes answered the secondary after {down:?}; disagreement window {:?}",
        window(&down)
    );
    // The verdict needs every observer (1 of 3 healthy is above 18 %), so
    // no node may have flipped on its own probes alone: all three agree.
    for node in &nodes {
        let report = node.server().updater.health().await.unwrap();
        let web1 = report.checks.iter().find(|c| &*c.id == "web-1").unwrap();
        let verdict = web1.verdict.as_ref().expect("a cluster verdict");
        assert_eq!(verdict.unhealthy_observers.len(), 3, "{verdict:?}");
    }

    let primary = Backend::start_at(p, None).await;
    let up = times_until_all_answer(&nodes, PRIMARY, Duration::from_secs(5)).await;
    eprintln!(
        "backend back → nodes answered the primary after {up:?}; disagreement window {:?}",
        window(&up)
    );
    stop_all(&mut nodes).await;
    primary.stop().await;
}

/// A port nothing listens on.
async fn dead_address() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// Waits until every node's own probes of web-1 say what `reachable` says.
async fn until_local_status(nodes: &[Node], reachable: &[bool]) {
    super::eventually("local observations", Duration::from_secs(5), || async {
        for (node, want) in nodes.iter().zip(reachable) {
            let report = node.server().updater.health().await.unwrap();
            let web1 = report.checks.iter().find(|c| &*c.id == "web-1").unwrap();
            if web1.local_healthy != *want || web1.last_probe.is_none() {
                return false;
            }
        }
        true
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_only_one_node_reaches_follows_the_healthy_fraction() {
    let primary = Backend::start(None).await;
    let secondary = TcpBackend::start().await;
    let s = secondary.local_addr().unwrap();
    let dead = dead_address().await;
    // ns1 probes the live backend; ns2 and ns3 probe a dead port.
    let addr = |i: usize| if i == 0 { primary.addr } else { dead };

    // Route 53's 0.18: one healthy observer of three (33 %) is enough.
    let mut nodes = cluster_of(3, |i| zone(addr(i), s, ""));
    start_all(&mut nodes).await;
    until_members(&nodes, 3).await;
    until_local_status(&nodes, &[true, false, false]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for node in &nodes {
        assert_eq!(node.a("www.example.com.").await, [PRIMARY], "{}", node.name);
    }
    stop_all(&mut nodes).await;

    // A strict fraction: 1 of 3 is not more than half, so all flip.
    let mut nodes = cluster_of(3, |i| zone(addr(i), s, ""));
    for node in &mut nodes {
        node.healthy_fraction = 0.5;
    }
    start_all(&mut nodes).await;
    until_members(&nodes, 3).await;
    until_local_status(&nodes, &[true, false, false]).await;
    let flipped = times_until_all_answer(&nodes, SECONDARY, Duration::from_secs(5)).await;
    eprintln!("strict fraction: every node answered the secondary after {flipped:?}");
    stop_all(&mut nodes).await;
    primary.stop().await;
}
