//! The authenticated transport: a node with the wrong key never joins,
//! garbage is dropped and counted, and the key never shows.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use alwayson::cluster::ClusterKey;
use alwayson::cluster::transport::seal;
use tokio::net::UdpSocket;

use super::{KEY, Node, TcpBackend, cluster_of, eventually, stop_all, until_members, zone};
use crate::admin_client::AdminClient;
use crate::health::Backend;

fn rejected(node: &Node) -> [u64; 4] {
    node.server().metrics.cluster.rejected()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_never_joins_and_garbage_is_counted_not_parsed() {
    let primary = Backend::start(None).await;
    let secondary = TcpBackend::start().await;
    let (p, s) = (primary.addr, secondary.local_addr().unwrap());
    let mut nodes = cluster_of(3, |_| zone(p, s, ""));
    nodes[2].key = b"another-key-that-is-long-enough!".to_vec();
    for node in &mut nodes {
        node.start().await;
    }
    until_members(&nodes[..2], 2).await;
    // For two seconds the intruder never shows up as a member, and never
    // sees one (a live count can only dip under load, never grow).
    let watch = std::time::Instant::now();
    while watch.elapsed() < Duration::from_secs(2) {
        assert!(
            nodes[0].members_alive() <= 2,
            "the intruder is not a member"
        );
        assert!(nodes[1].members_alive() <= 2);
        assert_eq!(nodes[2].members_alive(), 1, "the intruder stays alone");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bad_mac = rejected(&nodes[0])[1];
    assert!(
        bad_mac > 0,
        "its datagrams were counted: {:?}",
        rejected(&nodes[0])
    );

    // Garbage, truncated and authentic-but-undecodable datagrams.
    let target: SocketAddr = nodes[0].gossip;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let before = rejected(&nodes[0]);
    for i in 0..200u32 {
        let junk: Vec<u8> = (0..(i % 90 + 41)).map(|j| (i * 31 + j * 7) as u8).collect();
        socket.send_to(&junk, target).await.unwrap();
    }
    for len in [0usize, 1, 39] {
        socket.send_to(&vec![0xff; len], target).await.unwrap();
    }
    let key = ClusterKey::new(KEY).unwrap();
    socket
        .send_to(
            &seal(&key, b"not a chitchat message", SystemTime::now()),
            target,
        )
        .await
        .unwrap();
    let stale = SystemTime::now() - Duration::from_secs(600);
    socket
        .send_to(&seal(&key, b"replayed", stale), target)
        .await
        .unwrap();
    eventually("every datagram counted", Duration::from_secs(3), || async {
        let now = rejected(&nodes[0]);
        now[0] >= before[0] + 3
            && now[1] >= before[1] + 200
            && now[2] > before[2]
            && now[3] > before[3]
    })
    .await;
    until_members(&nodes[..2], 2).await;
    assert!(
        !nodes[0].a("www.example.com.").await.is_empty(),
        "still answering"
    );
    stop_all(&mut nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_api_shows_members_observations_and_no_secret() {
    let primary = Backend::start(None).await;
    let secondary = TcpBackend::start().await;
    let (p, s) = (primary.addr, secondary.local_addr().unwrap());
    let mut nodes = cluster_of(2, |_| zone(p, s, ""));
    let mut config = nodes[0].config();
    config.admin.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    let server = alwayson::app::start(config).await.unwrap();
    let admin = AdminClient::new(server.admin_addr.unwrap());
    nodes[0].server = Some(server);
    nodes[1].start().await;
    until_members(&nodes, 2).await;
    eventually(
        "observations from both nodes",
        Duration::from_secs(5),
        || async {
            let body = admin.get("/api/v1/cluster").await.json();
            body["checks"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["id"] == "web-1"))
                .and_then(|c| c["observations"].as_array())
                .is_some_and(|o| o.len() == 2)
        },
    )
    .await;
    let reply = admin.get("/api/v1/cluster").await;
    assert!(!reply.body.contains(std::str::from_utf8(KEY).unwrap()));
    let body = reply.json();
    assert_eq!(body["enabled"], true);
    assert_eq!(body["node"], "ns1");
    assert_eq!(body["isolated"], false);
    assert_eq!(body["members"].as_array().unwrap().len(), 2);
    let web1 = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "web-1")
        .unwrap();
    assert_eq!(web1["source"], "cluster");
    assert_eq!(
        web1["verdict"]["healthy_observers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(body["zones"][0]["drift"], false);
    let explain = admin
        .get("/api/v1/answer?name=www.example.com.&type=A&client=192.0.2.1")
        .await
        .json();
    let sets = explain["decisions"][0]["sets"].as_array().unwrap();
    let primary = sets.iter().find(|s| s["health_check"] == "web-1").unwrap();
    assert_eq!(
        primary["observers"], "2/2 observers healthy (ns1, ns2)",
        "explain names the observers behind the verdict"
    );
    assert!(metrics_has_verdict(&admin.get("/metrics").await.body));
    let page = admin.get("/").await.body;
    assert!(
        page.contains("id=\"members\""),
        "status page has the cluster section"
    );
    assert!(!page.contains(std::str::from_utf8(KEY).unwrap()));
    let metrics = admin.get("/metrics").await.body;
    assert!(
        metrics.contains("alwayson_cluster_members_alive 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("alwayson_cluster_observation_healthy{check=\"web-1\",node=\"ns2\"} 1")
    );

    // Alone: ns2 stops; ns1 says it is isolated and follows its own probes.
    nodes[1].stop().await;
    eventually("isolated", Duration::from_secs(10), || async {
        admin.get("/api/v1/cluster").await.json()["isolated"] == true
    })
    .await;
    let metrics = admin.get("/metrics").await.body;
    assert!(metrics.contains("alwayson_cluster_isolated 1"));
    let body = admin.get("/api/v1/cluster").await.json();
    let web1 = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "web-1")
        .unwrap();
    assert_eq!(web1["source"], "local");
    // And recovers by itself when the peer returns.
    nodes[1].start().await;
    eventually("not isolated", Duration::from_secs(10), || async {
        admin.get("/api/v1/cluster").await.json()["isolated"] == false
    })
    .await;
    stop_all(&mut nodes).await;
}

fn metrics_has_verdict(metrics: &str) -> bool {
    metrics.contains("alwayson_cluster_verdict_healthy{check=\"web-1\"} 1")
}
