//! `alwayson import` through the real binary: fixture zone files in, zone
//! TOML on stdout, warnings and errors on stderr, exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn import(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .arg("import")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run alwayson import")
}

/// `name type [ttl=N] value | value` for each `[[record]]`, in file order.
fn record_sets(doc: &toml::Table) -> Vec<String> {
    let Some(records) = doc.get("record").and_then(toml::Value::as_array) else {
        return Vec::new();
    };
    records
        .iter()
        .map(|r| {
            let values: Vec<&str> = r["values"]
                .as_array()
                .map(|vs| vs.iter().filter_map(toml::Value::as_str).collect())
                .unwrap_or_default();
            let ttl = r.get("ttl").map_or(String::new(), |t| format!(" ttl={t}"));
            format!(
                "{} {}{ttl} {}",
                r["name"].as_str().unwrap_or("?"),
                r["type"].as_str().unwrap_or("?"),
                values.join(" | ")
            )
        })
        .collect()
}

#[test]
fn import_converts_a_bind_zone_to_zone_toml() {
    let out = import(&["tests/fixtures/import/example.com.zone"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stderr}", out.status);

    let doc: toml::Table = toml::from_str(&stdout).expect("output is TOML");
    let zone = &doc["zone"];
    assert_eq!(zone["origin"].as_str(), Some("example.com."));
    assert_eq!(zone["ttl"].as_integer(), Some(3600));
    assert_eq!(zone["soa"]["serial"].as_integer(), Some(2024061501));
    assert_eq!(zone["soa"]["mname"].as_str(), Some("ns1.example.com."));
    assert_eq!(
        zone["soa"]["rname"].as_str(),
        Some("hostmaster.example.com.")
    );
    assert_eq!(zone["soa"]["minimum"].as_integer(), Some(300));

    assert_eq!(
        record_sets(&doc),
        [
            "@ NS ns1.example.com. | ns2.example.net.",
            "@ MX 10 mail.example.com.",
            "@ TXT \"v=spf1 mx -all\"",
            "@ CAA 0 issue \"letsencrypt.org\"",
            "_sip._tcp SRV 10 60 5060 sip.example.com.",
            "ftp CNAME www.example.com.",
            "h1.lab A 10.0.0.1",
            "h2.lab A ttl=60 10.0.0.2",
            "mail A 192.0.2.25",
            "ns1 A 192.0.2.53",
            "ns1 AAAA 2001:db8::53",
            "old DNAME new.example.org.",
            "quote TXT \"say \\\"hi\\\"\" \"back\\\\slash\" \"caf\\195\\169\"",
            "sip A 192.0.2.60",
            "*.wild A 192.0.2.99",
            "www A ttl=300 192.0.2.10 | 192.0.2.11",
        ]
    );
    assert!(
        stdout.contains("# skipped: legacy.example.com. HINFO (example.com.zone:25)"),
        "{stdout}"
    );
    assert_eq!(
        stderr.trim(),
        "tests/fixtures/import/example.com.zone:25:1: warning: skipped: legacy.example.com. HINFO (example.com.zone:25): type HINFO is not one alwayson serves"
    );
}

#[test]
fn import_output_is_deterministic() {
    let a = import(&["tests/fixtures/import/example.com.zone"]);
    let b = import(&["tests/fixtures/import/example.com.zone"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn import_reports_bad_files_with_locations_and_exit_code_2() {
    let out = import(&["tests/fixtures/import/bad.zone"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/bad.expected"),
    )
    .expect("read bad.expected");
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), expected.trim());

    let out = import(&["tests/fixtures/import/no-such.zone"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("tests/fixtures/import/no-such.zone:1:1: cannot read file"),
        "{stderr}"
    );
}

/// `$GENERATE`, the RFC 9460/6698/4255/3403 types, DS and generic data come
/// through the real binary as zone TOML that `alwayson check` accepts.
#[test]
fn import_expands_generate_and_converts_the_newer_types() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("db.example.com");
    std::fs::write(
        &zone,
        "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n\
$GENERATE 1-3/2 host${0,2,d} A 192.0.2.$\n\
@ HTTPS 1 . alpn=\"h2,h3\" port=8443\n\
_443._tcp.www TLSA 3 1 1 ( 0123456789abcdef )\n\
www SSHFP 4 2 9a8b\n\
sip NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp\n\
sub NS ns.other.net.\nsub DS 12345 13 2 49fd46e6\n\
www TYPE65534 \\# 2 0102\n",
    )
    .unwrap();
    let out = import(&[zone.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "no warnings: {stderr}");
    let toml_text = String::from_utf8(out.stdout).unwrap();
    let doc: toml::Table = toml::from_str(&toml_text).unwrap();
    let sets = record_sets(&doc);
    for want in [
        "host01 A 192.0.2.1",
        "host03 A 192.0.2.3",
        "@ HTTPS 1 . alpn=\"h2,h3\" port=8443",
        "_443._tcp.www TLSA 3 1 1 0123456789ABCDEF",
        "www SSHFP 4 2 9A8B",
        "sip NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
        "sub DS 12345 13 2 49FD46E6",
        "www TYPE65534 \\# 2 0102",
    ] {
        assert!(sets.iter().any(|s| s == want), "{want} not in {sets:#?}");
    }
    assert!(!sets.iter().any(|s| s.starts_with("host02")), "{sets:#?}");
    let zones = dir.path().join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    let converted = zones.join("example.com.toml");
    std::fs::write(&converted, &toml_text).unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .args(["check", converted.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
