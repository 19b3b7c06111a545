//! Batched UDP (recvmmsg/sendmmsg on Linux) over a real socket: a burst of
//! queries sent without waiting gets every answer back, each to its own
//! query, and the batch-size histogram counts every datagram received.

use std::collections::BTreeSet;
use std::net::UdpSocket;
use std::time::Duration;

use alwayson::app::start;
use alwayson::config::ServerConfig;
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;

use crate::harness::query;

const BURST: u16 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_queries_is_answered_in_full_and_its_batches_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("burst.toml"),
        "[zone]\norigin = \"burst.test.\"\nsoa = { mname = \"ns1.burst.test.\", rname = \"h.burst.test.\" }\n\n[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n",
    )
    .unwrap();
    let mut config = ServerConfig::for_tests(dir.path());
    config.admin.listen = None;
    config.reload.watch = false;
    // One socket and thread, so the burst queues up behind it.
    config.dns.udp_threads = 1;
    let server = start(config).await.expect("server starts");
    let dns = server.dns_addr();

    let answered = tokio::task::spawn_blocking(move || {
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        for id in 0..BURST {
            let name = if id.is_multiple_of(2) {
                "www.burst.test."
            } else {
                "nope.burst.test."
            };
            let mut q = query(name, RecordType::A);
            q.metadata.id = id;
            client.send_to(&q.to_vec().unwrap(), dns).unwrap();
        }
        let mut ids = BTreeSet::new();
        let mut buf = [0u8; 512];
        while ids.len() < usize::from(BURST) {
            let Ok((len, from)) = client.recv_from(&mut buf) else {
                break;
            };
            assert_eq!(from, dns);
            let reply = Message::from_vec(&buf[..len]).unwrap();
            let id = reply.metadata.id;
            let want = usize::from(id.is_multiple_of(2));
            assert_eq!(reply.answers.len(), want, "answer to query {id}");
            ids.insert(id);
        }
        ids
    })
    .await
    .unwrap();
    assert_eq!(
        answered,
        (0..BURST).collect::<BTreeSet<_>>(),
        "every query answered once"
    );

    let (cumulative, datagrams) = server.metrics.udp_batches.snapshot();
    let receives = *cumulative.last().unwrap();
    assert_eq!(datagrams, u64::from(BURST), "every datagram counted");
    assert!((1..=datagrams).contains(&receives), "{receives} receives");
    server.shutdown().await;
}
