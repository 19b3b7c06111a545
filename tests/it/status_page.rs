//! The status page in a real headless browser (Debian's `chromium`; the
//! test fails without it): the DOM lists zones and checks, and after an
//! override over the API the page shows the check unhealthy and the flip.

use std::process::Command;
use std::time::Duration;

use crate::admin_client::{backends, failover_zone, start};

/// The DOM chromium builds for `url`, after scripts and parsing.
async fn dump_dom(url: String) -> String {
    tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().unwrap();
        let out = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(&url)
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => panic!(
                "chromium is needed for the status page test ({e}); install it: apt-get install -y chromium"
            ),
        };
        let dom = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success() && dom.contains("</html>"),
            "chromium failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        dom
    })
    .await
    .unwrap()
}

/// The table row of check `id` in the DOM.
fn check_row<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("<tr data-check=\"{id}\">"))
        .unwrap_or_else(|| panic!("no row for {id} in:\n{dom}"));
    let end = dom[start..].find("</tr>").unwrap() + start;
    &dom[start..end]
}

fn section<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in:\n{dom}"));
    let end = dom[start..]
        .find("</table>")
        .map_or(dom.len(), |e| e + start);
    &dom[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_shows_checks_and_an_override_flip_in_a_browser() {
    let (a, b) = backends().await;
    let (server, admin) = start(&[failover_zone(&a, &b)], |_| {}).await;
    // Let each check record a probe.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let url = format!("{}/", admin.base);

    let dom = dump_dom(url.clone()).await;
    assert!(dom.contains("<title>alwayson status</title>"));
    assert!(section(&dom, "zones").contains("example.com."));
    assert!(section(&dom, "zones").contains("2024010101"));
    for id in ["web-1", "web-2"] {
        let row = check_row(&dom, id);
        assert!(row.contains("class=\"healthy\">healthy<"), "{row}");
        assert!(row.contains("ok in "), "last probe shown: {row}");
    }
    assert!(!section(&dom, "flips").contains("web-1"), "no flips yet");
    assert!(dom.contains("No forwarders configured."));

    let held = admin
        .put(
            "/api/v1/health-checks/web-1/override",
            r#"{"status": "unhealthy", "for": "30m"}"#,
        )
        .await;
    assert_eq!(held.status, 200);

    let dom = dump_dom(url).await;
    let row = check_row(&dom, "web-1");
    assert!(row.contains("class=\"unhealthy\">unhealthy<"), "{row}");
    assert!(row.contains("held unhealthy until "), "{row}");
    assert!(check_row(&dom, "web-2").contains(">healthy<"));
    let flips = section(&dom, "flips");
    assert!(flips.contains("web-1"), "{flips}");
    assert!(flips.contains("override: unhealthy"), "{flips}");
    server.stop().await;
}
