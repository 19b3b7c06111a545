//! `[dns] nsid`/`version`, `[dns.rrl]` and `[dns.cookies]` changed in
//! `alwayson.toml` and reloaded: applied from the next query, without a
//! restart and without `needs_restart`; and taken away again the same way.

use std::path::Path;
use std::time::Duration;

use alwayson::app::{RunningServer, start};
use alwayson::config;
use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

use crate::harness::{query, udp, udp_raw_within, zone};

/// How long an answer may take when one is due (a loaded CI machine).
const DUE: Duration = Duration::from_secs(2);
/// How long to wait for an answer the rate limit should drop.
const DROPPED: Duration = Duration::from_millis(200);

fn write_config(dir: &Path, extra: &str) {
    std::fs::write(
        dir.join("alwayson.toml"),
        format!(
            "state_dir = \"off\"\n[dns]\nlisten = [\"127.0.0.1:0\"]\nzones_dir = \"zones\"\n{extra}\n[admin]\nlisten = \"off\"\n[reload]\nwatch = false\n"
        ),
    )
    .unwrap();
}

async fn serve(dir: &Path) -> RunningServer {
    let zones = dir.join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    let records = "[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n";
    std::fs::write(
        zones.join("example.com.toml"),
        zone("example.com.", None, records),
    )
    .unwrap();
    let config = config::load(Some(&dir.join("alwayson.toml"))).expect("config loads");
    start(config).await.expect("server starts")
}

/// The TXT text of CH `name`, or the rcode when refused.
async fn chaos(server: &RunningServer, name: &str) -> Result<String, ResponseCode> {
    let mut message = query(name, RecordType::TXT);
    message.queries = vec![Query::query(
        Name::from_ascii(name).unwrap(),
        RecordType::TXT,
    )];
    message.queries[0].set_query_class(DNSClass::CH);
    let reply = udp(server.dns_addr(), &message).await;
    match reply.answers.first().map(|r| &r.data) {
        Some(RData::TXT(txt)) => Ok(txt.to_string()),
        _ => Err(reply.metadata.response_code),
    }
}

/// Of `n` back-to-back queries for one name, how many got a full answer
/// within `wait` each.
async fn answered_of(server: &RunningServer, n: usize, wait: Duration) -> usize {
    let bytes = query("www.example.com.", RecordType::A).to_vec().unwrap();
    let mut answered = 0;
    for _ in 0..n {
        let reply = udp_raw_within(server.dns_addr(), &bytes, wait).await;
        let full = reply
            .and_then(|r| Message::from_vec(&r).ok())
            .is_some_and(|m| !m.metadata.truncation && m.answers.len() == 1);
        answered += usize::from(full);
    }
    answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_and_rate_limiting_change_at_reload_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "");
    let server = serve(dir.path()).await;
    assert_eq!(
        chaos(&server, "id.server.").await,
        Err(ResponseCode::Refused)
    );
    assert_eq!(answered_of(&server, 20, DUE).await, 20, "no rate limit yet");

    write_config(
        dir.path(),
        "nsid = \"ns-east-1\"\nversion = \"alwayson 9\"\n[dns.rrl]\nresponses_per_second = 2\nslip = 0\n[dns.cookies]\nsecret = \"000102030405060708090a0b0c0d0e0f\"\n",
    );
    let outcome = server.reload().await.expect("reloaded");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert!(
        outcome.needs_restart.is_empty(),
        "{:?}",
        outcome.needs_restart
    );
    assert_eq!(
        chaos(&server, "id.server.").await.as_deref(),
        Ok("ns-east-1")
    );
    assert_eq!(
        chaos(&server, "version.bind.").await.as_deref(),
        Ok("alwayson 9")
    );
    let limited = answered_of(&server, 20, DROPPED).await;
    assert!(
        limited <= 6,
        "{limited} of 20 answered at 2/s: the limit is on"
    );

    // The same settings again: applied nothing new, the buckets stay empty.
    let outcome = server.reload().await.expect("reloaded");
    assert!(outcome.needs_restart.is_empty());
    let still = answered_of(&server, 5, DROPPED).await;
    assert!(still <= 1, "{still} of 5 answered: the buckets were kept");

    // Taken away: refused again, no limit.
    write_config(dir.path(), "");
    let outcome = server.reload().await.expect("reloaded");
    assert!(
        outcome.needs_restart.is_empty(),
        "{:?}",
        outcome.needs_restart
    );
    assert_eq!(
        chaos(&server, "id.server.").await,
        Err(ResponseCode::Refused)
    );
    assert_eq!(answered_of(&server, 20, DUE).await, 20, "the limit is off");
    server.shutdown().await;
}
