//! Round trips of the state files, and what a corrupt one does.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use hickory_proto::rr::Name;

use super::*;
use crate::health::{CheckId, Override, OverrideEvent};

#[test]
fn overrides_round_trip_to_the_nanosecond() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::new(&dir.path().join("state"));
    assert_eq!(state.load_overrides(), [], "no file yet");
    let until = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    let at = SystemTime::UNIX_EPOCH + Duration::new(1_699_999_000, 5);
    let held = vec![
        (
            CheckId::from("web-1"),
            OverrideEvent::new(Some(Override::new(false, Some(until), at)), at, None),
        ),
        (
            CheckId::from("web-2"),
            OverrideEvent::new(Some(Override::new(true, None, at)), at, Some("ns2".into())),
        ),
        (
            CheckId::from("web-3"),
            OverrideEvent::new(None, at, Some("ns3".into())),
        ),
    ];
    state.save_overrides(&held).unwrap();
    assert_eq!(state.load_overrides(), held);
    let text = std::fs::read_to_string(state.path(overrides::FILE)).unwrap();
    assert!(
        text.contains("\"until\": \"2023-11-14T22:13:20.123456789Z\""),
        "{text}"
    );
    assert!(text.contains("\"cleared\""), "releases are kept: {text}");
    // A file of an earlier version (no set_at, no cleared) still loads.
    std::fs::write(
        state.path(overrides::FILE),
        r#"{"version": 1, "overrides": {"a": {"status": "healthy", "until": null}}}"#,
    )
    .unwrap();
    let old = state.load_overrides();
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].1.hold.as_ref().map(|h| h.healthy), Some(true));
    let names: Vec<_> = std::fs::read_dir(dir.path().join("state"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["overrides.json"], "no temporary file is left");
}

#[test]
fn serials_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::new(dir.path());
    let mut serials = Serials::new();
    serials.insert(
        Name::from_str("example.com.").unwrap(),
        SerialRecord {
            serial: 2024010101,
            content_hash: u64::MAX - 1,
        },
    );
    state.save_serials(&serials).unwrap();
    assert_eq!(state.load_serials(), serials);
}

#[test]
fn a_corrupt_file_is_reported_moved_aside_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::new(dir.path());
    std::fs::write(
        state.path(overrides::FILE),
        "{\"version\": 1,\n  \"overrides\": [\n",
    )
    .unwrap();
    match state.try_load::<serde_json::Value>(overrides::FILE) {
        Err(e @ StateError::Corrupt { line: 3, .. }) => {
            assert!(e.to_string().contains("overrides.json:3:"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(state.load_overrides(), []);
    assert!(!state.path(overrides::FILE).exists());
    assert!(state.path("overrides.json.corrupt").exists());
    std::fs::write(
        state.path(serials::FILE),
        "{\"version\": 1, \"zones\": {\"a.\": {\"serial\": 1, \"content_hash\": \"zz\"}}}",
    )
    .unwrap();
    assert_eq!(
        state.load_serials(),
        Serials::new(),
        "a bad entry is skipped"
    );
}
