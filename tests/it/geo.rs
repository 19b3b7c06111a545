//! `alwayson geoip build` run as a real process, and the databases it writes
//! read back through `GeoDb`; plus the committed sample database.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use alwayson::geo::{Code, GeoDb, GeoError, GeoKey, keys_for};

const CSV: &str = "\
# test networks
network,continent,country,subdivision,latitude,longitude
192.0.2.0/25,EU,DE,DE-HE,50.11,8.68
192.0.2.128/25,EU,FR,,48.86,2.35
198.51.100.0/24,NA,US,CA,37.77,-122.42
2001:db8::/48,EU,GB,GB-ENG,51.51,-0.13
2001:db8:1::/48,NA,US,US-NY,40.71,-74.01
";

/// The epoch the committed sample was built with (see geoip/README.md).
const SAMPLE_EPOCH: &str = "1767225600";

fn geoip_build(csv: &Path, output: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .args(["geoip", "build"])
        .arg(csv)
        .arg("-o")
        .arg(output)
        .env("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
        .output()
        .expect("run alwayson")
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn code(s: &str) -> Option<Code> {
    Code::new(s)
}

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[test]
fn built_database_answers_both_families() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("geo.csv");
    let mmdb = dir.path().join("geo.mmdb");
    std::fs::write(&csv, CSV).unwrap();

    let out = geoip_build(&csv, &mmdb);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("5 networks (3 IPv4, 2 IPv6)"), "{stderr}");

    let db = GeoDb::open(&mmdb).unwrap();
    assert_eq!(db.database_type(), "GeoIP2-City");
    assert_eq!(db.build_epoch(), 1_767_225_600);

    let frankfurt = db.locate(ip("192.0.2.1")).unwrap();
    assert_eq!(frankfurt.continent, code("EU"));
    assert_eq!(frankfurt.country, code("DE"));
    assert_eq!(frankfurt.subdivision, code("HE"));
    assert_eq!(frankfurt.coordinates, Some((50.11, 8.68)));
    assert_eq!(frankfurt.prefix_len, 25);
    let keys: Vec<String> = keys_for(&frankfurt).map(|k| k.to_string()).collect();
    assert_eq!(keys, ["DE-HE", "DE", "EU", "*"]);

    let paris = db.locate(ip("192.0.2.200")).unwrap();
    assert_eq!((paris.country, paris.subdivision), (code("FR"), None));
    assert_eq!(paris.prefix_len, 25);

    let california = db.locate(ip("198.51.100.77")).unwrap();
    assert!(GeoKey::parse("US-CA").unwrap().matches(&california));
    assert_eq!(california.prefix_len, 24);

    let london = db.locate(ip("2001:db8::53")).unwrap();
    assert_eq!(
        (london.country, london.subdivision),
        (code("GB"), code("ENG"))
    );
    assert_eq!(london.prefix_len, 48);
    let new_york = db.locate(ip("2001:db8:1:ffff::1")).unwrap();
    assert_eq!(
        (new_york.country, new_york.subdivision),
        (code("US"), code("NY"))
    );

    // IPv4-mapped IPv6 finds the IPv4 data; the scope counts IPv6 bits.
    let mapped = db.locate(ip("::ffff:192.0.2.1")).unwrap();
    assert_eq!((mapped.country, mapped.prefix_len), (code("DE"), 121));

    for miss in ["203.0.113.1", "127.0.0.1", "2001:db8:2::1", "2001:db9::1"] {
        assert_eq!(db.locate(ip(miss)), None, "{miss}");
    }
}

#[test]
fn bad_csv_reports_every_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    let mmdb = dir.path().join("bad.mmdb");
    std::fs::write(
        &csv,
        "network,continent,country,subdivision,latitude,longitude\n\
         192.0.2.0/25,EU,DE,,,\n\
         192.0.2.0/24,XX,DE,,,\n\
         198.51.100.0/24,NA,USA,,95,8\n",
    )
    .unwrap();

    let out = geoip_build(&csv, &mmdb);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = csv.display();
    let expected = format!(
        "{file}:3:14: unknown continent code \"XX\": expected one of AF AN AS EU NA OC SA\n\
         {file}:4:20: country code \"USA\" must be 2 letters (ISO 3166-1 alpha-2, e.g. DE)\n\
         {file}:4:25: latitude 95 is outside -90..90\n"
    );
    assert_eq!(stderr, expected);
    assert!(!mmdb.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no stray files"
    );
}

#[test]
fn missing_csv_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("absent.csv");
    let out = geoip_build(&csv, &dir.path().join("x.mmdb"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("{}:1:1: cannot read file: ", csv.display())),
        "{stderr}"
    );
}

#[test]
fn open_rejects_missing_and_garbage_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.mmdb");
    match GeoDb::open(&missing) {
        Err(GeoError::Read { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected a read error, got {other:?}"),
    }

    let garbage = dir.path().join("garbage.mmdb");
    std::fs::write(&garbage, b"network,continent\n192.0.2.0/24,EU\n").unwrap();
    let err = GeoDb::open(&garbage).unwrap_err();
    assert!(matches!(err, GeoError::NotMaxMindDb { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&garbage.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("is not a usable MaxMind DB file"),
        "{message}"
    );

    // A directory is not a database either.
    assert!(matches!(
        GeoDb::open(dir.path()),
        Err(GeoError::Read { .. })
    ));
}

#[test]
fn committed_sample_is_current_and_locates_the_readme_examples() {
    let dir = tempfile::tempdir().unwrap();
    let rebuilt = dir.path().join("sample.mmdb");
    let out = geoip_build(&repo_file("geoip/sample.csv"), &rebuilt);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read(repo_file("geoip/sample.mmdb")).unwrap();
    assert!(
        std::fs::read(&rebuilt).unwrap() == committed,
        "geoip/sample.mmdb is stale: rebuild it as geoip/README.md says"
    );

    let db = GeoDb::open(&repo_file("geoip/sample.mmdb")).unwrap();
    let country = |addr: &str| db.locate(ip(addr)).and_then(|l| l.country);
    assert_eq!(country("127.0.0.2"), code("DE"));
    assert_eq!(country("127.0.0.3"), code("US"));
    assert_eq!(country("127.0.0.4"), code("JP"));
    assert_eq!(country("127.0.0.1"), None);
    assert_eq!(country("193.0.6.139"), code("NL"));
    assert_eq!(country("203.0.113.9"), code("JP"));
    assert_eq!(country("2001:db8:1::1"), code("US"));
    let sydney = db.locate(ip("2001:db8:2::1")).unwrap();
    assert_eq!((sydney.continent, sydney.coordinates), (code("OC"), None));
}
