//! The admin HTTP API over a real socket: every endpoint, JSON errors for
//! every kind of bad request, the bearer token, reloads that succeed and
//! fail, and overrides that flip real DNS answers (time printed).

use std::time::{Duration, Instant};

use hickory_proto::rr::{RData, RecordType};

use crate::admin_client::{backends, failover_zone, start};
use crate::harness::{TestServer, query, udp};

async fn www(server: &TestServer) -> Vec<String> {
    udp(server.addr(), &query("www.example.com.", RecordType::A))
        .await
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_and_every_error_is_json() {
    let (a, b) = backends().await;
    let (server, admin) = start(&[failover_zone(&a, &b)], |_| {}).await;

    let health = admin.get("/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));

    let zones = admin.get("/api/v1/zones").await;
    assert_eq!(zones.status, 200);
    let zones = zones.json();
    let zone = &zones["zones"][0];
    assert_eq!(zone["origin"], "example.com.");
    assert_eq!(zone["serial"], 2024010101);
    assert_eq!(zone["result"], "ok");
    assert!(zone["file"].as_str().unwrap().ends_with("zone0.toml"));

    let checks = admin.get("/api/v1/health-checks").await.json();
    let ids: Vec<&str> = checks["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["web-1", "web-2"]);
    assert_eq!(checks["checks"][0]["status"], "healthy");
    assert_eq!(checks["checks"][0]["override"], serde_json::Value::Null);
    // Beside its state, each check shows how it is configured.
    let web1 = &checks["checks"][0];
    assert_eq!(web1["type"], "tcp");
    assert_eq!(web1["address"], a.local_addr().unwrap().to_string());
    assert_eq!(
        (web1["host"].clone(), web1["path"].clone()),
        (serde_json::Value::Null, serde_json::Value::Null)
    );
    assert_eq!(
        (web1["interval"].as_str(), web1["timeout"].as_str()),
        (Some("200ms"), Some("100ms"))
    );
    assert_eq!(
        (
            web1["healthy_threshold"].as_u64(),
            web1["unhealthy_threshold"].as_u64()
        ),
        (Some(3), Some(3))
    );

    let answer = admin
        .get("/api/v1/answer?name=www.example.com&type=A&client=192.0.2.1")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = answer.json();
    assert_eq!(answer["rcode"], "NOERROR");
    assert_eq!(answer["answers"][0], "www.example.com. 5 IN A 192.0.2.10");
    assert_eq!(answer["decisions"][0]["policy"], "failover");
    assert_eq!(answer["decisions"][0]["chosen"][0], "primary");
    let refused = admin.get("/api/v1/answer?name=example.org").await.json();
    assert_eq!(refused["rcode"], "REFUSED");
    assert_eq!(refused["zone"], serde_json::Value::Null);

    let metrics = admin.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .content_type
            .starts_with("text/plain; version=0.0.4")
    );

    // Errors: status and a JSON {"error": ...} with something to act on.
    for (method, path, body, status, says) in [
        ("GET", "/nope", "", 404, "no such endpoint"),
        ("DELETE", "/api/v1/zones", "", 405, "method not allowed"),
        ("GET", "/api/v1/reload", "", 405, "method not allowed"),
        (
            "PUT",
            "/api/v1/health-checks/web-1/override",
            "{not json",
            400,
            "invalid JSON body",
        ),
        (
            "PUT",
            "/api/v1/health-checks/web-1/override",
            r#"{"status": "down"}"#,
            400,
            "status must be",
        ),
        (
            "PUT",
            "/api/v1/health-checks/web-1/override",
            "{}",
            400,
            "missing `status`",
        ),
        (
            "PUT",
            "/api/v1/health-checks/web-1/override",
            r#"{"status": "unhealthy", "for": "later"}"#,
            400,
            "invalid duration",
        ),
        (
            "PUT",
            "/api/v1/health-checks/nope/override",
            r#"{"status": null}"#,
            404,
            "unknown health check `nope`",
        ),
        ("GET", "/api/v1/answer", "", 400, "missing `name`"),
        (
            "GET",
            "/api/v1/answer?name=www.example.com&type=BOGUS",
            "",
            400,
            "unknown record type",
        ),
        (
            "GET",
            "/api/v1/answer?name=www.example.com&client=300.1.1.1",
            "",
            400,
            "invalid client address",
        ),
        (
            "GET",
            "/api/v1/answer?name=www.example.com&ecs=10.0.0.0",
            "",
            400,
            "invalid ecs",
        ),
        (
            "GET",
            "/api/v1/answer?name=www.example.com&color=red",
            "",
            400,
            "unknown parameter",
        ),
        ("GET", "/api/v1/answer?name=%ZZ", "", 400, ""),
    ] {
        let reply = match method {
            "GET" => admin.get(path).await,
            "PUT" => admin.put(path, body).await,
            _ => {
                let r = reqwest::Client::new()
                    .delete(format!("{}{path}", admin.base))
                    .send()
                    .await
                    .unwrap();
                crate::admin_client::Reply {
                    status: r.status().as_u16(),
                    content_type: String::new(),
                    body: r.text().await.unwrap(),
                }
            }
        };
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            !error.is_empty(),
            "{method} {path}: no error text in {}",
            reply.body
        );
        assert!(
            error.contains(says),
            "{method} {path}: {error:?} should say {says:?}"
        );
    }
    // Nothing above changed what is served.
    assert_eq!(www(&server).await, ["192.0.2.10"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_reload_and_override_but_not_reads() {
    let (a, b) = backends().await;
    let (server, mut admin) = start(&[failover_zone(&a, &b)], |c| {
        c.admin.token = Some("s3cret".into());
    })
    .await;
    let override_body = r#"{"status": "unhealthy"}"#;
    let path = "/api/v1/health-checks/web-1/override";

    let missing = admin.post("/api/v1/reload").await;
    assert_eq!(missing.status, 401);
    assert!(missing.json()["error"].as_str().unwrap().contains("Bearer"));
    assert_eq!(admin.put(path, override_body).await.status, 401);
    admin.token = Some("s3cret-not".into());
    assert_eq!(admin.post("/api/v1/reload").await.status, 401);
    assert_eq!(admin.put(path, override_body).await.status, 401);
    assert_eq!(
        www(&server).await,
        ["192.0.2.10"],
        "refused overrides change nothing"
    );

    admin.token = None;
    assert_eq!(admin.get("/api/v1/zones").await.status, 200);
    assert_eq!(admin.get("/api/v1/health-checks").await.status, 200);
    assert_eq!(admin.get("/metrics").await.status, 200);
    assert_eq!(admin.get("/").await.status, 200);

    admin.token = Some("s3cret".into());
    assert_eq!(admin.post("/api/v1/reload").await.status, 200);
    let held = admin.put(path, override_body).await;
    assert_eq!(held.status, 200, "{}", held.body);
    assert_eq!(held.json()["status"], "unhealthy");
    assert_eq!(www(&server).await, ["198.51.100.10"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_flips_the_real_answer_and_expires_on_time() {
    let (a, b) = backends().await;
    let (server, admin) = start(&[failover_zone(&a, &b)], |_| {}).await;
    let path = "/api/v1/health-checks/web-1/override";
    assert_eq!(www(&server).await, ["192.0.2.10"]);

    let started = Instant::now();
    let held = admin.put(path, r#"{"status": "unhealthy"}"#).await;
    let answered = www(&server).await;
    let took = started.elapsed();
    eprintln!("PUT override → flipped UDP answer in {took:?}");
    assert_eq!(held.status, 200, "{}", held.body);
    assert_eq!(
        answered,
        ["198.51.100.10"],
        "flipped before the PUT returned"
    );
    let held = held.json();
    assert_eq!(held["override"]["status"], "unhealthy");
    assert_eq!(held["override"]["until"], serde_json::Value::Null);
    let checks = admin.get("/api/v1/health-checks").await.json();
    let flip = &checks["recent_flips"][0];
    assert_eq!(
        (flip["check"].as_str(), flip["to"].as_str()),
        (Some("web-1"), Some("unhealthy"))
    );
    assert_eq!(flip["reason"], "override: unhealthy");

    let cleared = admin.put(path, r#"{"status": null}"#).await;
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.json()["override"], serde_json::Value::Null);
    assert_eq!(www(&server).await, ["192.0.2.10"]);

    // Held for a while: expires by itself.
    let held = admin
        .put(path, r#"{"status": "unhealthy", "for": "400ms"}"#)
        .await;
    assert_eq!(held.status, 200);
    assert!(held.json()["override"]["until"].is_string());
    assert_eq!(www(&server).await, ["198.51.100.10"]);
    let started = Instant::now();
    while www(&server).await != ["192.0.2.10"] {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the override did not expire"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("a 400ms override expired after {:?}", started.elapsed());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_says_what_changed_or_why_it_failed() {
    let (a, b) = backends().await;
    let (server, admin) = start(&[failover_zone(&a, &b)], |_| {}).await;
    let zones = server.server.initial_load.added[0]
        .file
        .parent()
        .unwrap()
        .to_path_buf();

    let nothing = admin.post("/api/v1/reload").await;
    assert_eq!(nothing.status, 200);
    let nothing = nothing.json();
    assert_eq!(nothing["ok"], true);
    assert_eq!(nothing["unchanged"], serde_json::json!(["example.com."]));
    for list in ["added", "changed", "removed"] {
        assert_eq!(nothing[list], serde_json::json!([]), "{list}");
    }
    assert_eq!(nothing["errors"], serde_json::json!([]));

    let broken = zones.join("broken.toml");
    std::fs::write(
        &broken,
        "[zone]\norigin = \"broken.test.\"\nsoa = { mname = \"ns.broken.test.\", rname = \"h.broken.test.\" }\n\n[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.300\"]\n",
    )
    .unwrap();
    let failed = admin.post("/api/v1/reload").await;
    assert_eq!(failed.status, 422, "{}", failed.body);
    let failed = failed.json();
    assert_eq!(failed["ok"], false);
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("broken.toml:8:"), "{error}");
    assert!(error.contains("192.0.2.300"), "{error}");
    let problem = &failed["errors"][0];
    assert!(problem["file"].as_str().unwrap().ends_with("broken.toml"));
    assert_eq!(problem["line"], 8, "{problem}");
    assert_eq!(problem["col"], 11, "{problem}");
    assert!(
        problem["message"].as_str().unwrap().contains("192.0.2.300"),
        "{problem}"
    );
    let listed = admin.get("/api/v1/zones").await.json();
    let entry = listed["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["file"].as_str().unwrap().ends_with("broken.toml"))
        .expect("the failed file is listed")
        .clone();
    assert_eq!(entry["result"], "error");
    assert!(entry["error"].as_str().unwrap().contains("192.0.2.300"));
    assert_eq!(
        www(&server).await,
        ["192.0.2.10"],
        "the good zone keeps serving"
    );

    std::fs::write(
        &broken,
        "[zone]\norigin = \"broken.test.\"\nsoa = { mname = \"ns.broken.test.\", rname = \"h.broken.test.\" }\n\n[[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.30\"]\n",
    )
    .unwrap();
    let fixed = admin.post("/api/v1/reload").await;
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    let fixed = fixed.json();
    assert_eq!(fixed["added"], serde_json::json!(["broken.test."]));
    assert_eq!(fixed["unchanged"], serde_json::json!(["example.com."]));
    assert!(fixed.get("error").is_none(), "{fixed}");

    std::fs::remove_file(&broken).unwrap();
    let removed = admin.post("/api/v1/reload").await.json();
    assert_eq!(removed["removed"], serde_json::json!(["broken.test."]));
    server.stop().await;
}
