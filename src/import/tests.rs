//! Whole-file conversions: a zone file in, parsed TOML out.

use super::*;

const ZONE: &str = r#"; a zone as BIND users write it
$ORIGIN example.com.
$TTL 1h
@       IN  SOA ns1 hostmaster (
            2024010101 ; serial
            2h         ; refresh
            15m        ; retry
            2w         ; expire
            300 )      ; minimum
        IN  NS  ns1
            NS  ns2.example.net.
        MX  10 mail
www     300 IN A 192.0.2.1
WWW         A    192.0.2.2          ; same set, other case
        60  A    192.0.2.3          ; a smaller TTL in the same set
mail        A    192.0.2.25
txt         TXT  "v=spf1 -all"
multi       TXT  "first" "second \"quoted\"" back\\slash "\195\169"
*.wild      A    192.0.2.99
_sip._tcp   SRV  0 5 5060 sip
a\.b        CNAME www
legacy      HINFO "pc" "linux"
@           DNSKEY 257 3 13 AAAA
other.org.  A    192.0.2.7
"#;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn records(doc: &toml::Table) -> Vec<String> {
    doc["record"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let t = r.as_table().unwrap();
            let values: Vec<&str> = t["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let ttl = t.get("ttl").map_or(String::new(), |v| format!(" ttl={v}"));
            format!(
                "{} {}{ttl} {}",
                t["name"].as_str().unwrap(),
                t["type"].as_str().unwrap(),
                values.join(" | ")
            )
        })
        .collect()
}

#[test]
fn converts_a_typical_bind_zone() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "example.com.zone", ZONE);
    let imported = convert(&path, None).unwrap();
    let doc: toml::Table = toml::from_str(&imported.toml).unwrap();

    let zone = doc["zone"].as_table().unwrap();
    assert_eq!(zone["origin"].as_str(), Some("example.com."));
    assert_eq!(zone["ttl"].as_integer(), Some(3600));
    let soa = zone["soa"].as_table().unwrap();
    assert_eq!(soa["mname"].as_str(), Some("ns1.example.com."));
    assert_eq!(soa["rname"].as_str(), Some("hostmaster.example.com."));
    assert_eq!(soa["serial"].as_integer(), Some(2024010101));
    assert_eq!(soa["refresh"].as_integer(), Some(7200));
    assert_eq!(soa["retry"].as_integer(), Some(900));
    assert_eq!(soa["expire"].as_integer(), Some(1_209_600));
    assert_eq!(soa["minimum"].as_integer(), Some(300));
    assert_eq!(soa["ttl"].as_integer(), Some(3600));

    assert_eq!(
        records(&doc),
        [
            "@ NS ns1.example.com. | ns2.example.net.",
            "@ MX 10 mail.example.com.",
            "_sip._tcp SRV 0 5 5060 sip.example.com.",
            "a\\.b CNAME www.example.com.",
            "mail A 192.0.2.25",
            "multi TXT \"first\" \"second \\\"quoted\\\"\" \"back\\\\slash\" \"\\195\\169\"",
            "txt TXT \"v=spf1 -all\"",
            "*.wild A 192.0.2.99",
            "www A ttl=60 192.0.2.1 | 192.0.2.2 | 192.0.2.3",
        ]
    );
    assert!(
        imported
            .toml
            .contains("# TTLs differed within this set (60, 300, 3600); using the smallest, 60\n[[record]]\nname = \"www\""),
        "{}",
        imported.toml
    );
    for skipped in [
        "# skipped: legacy.example.com. HINFO (example.com.zone:22):",
        "# dropped 1 DNSSEC record(s) (DNSKEY): alwayson signs zones online",
        "# skipped: other.org. A (example.com.zone:24): out of zone example.com.",
    ] {
        assert!(
            imported.toml.contains(skipped),
            "{skipped}\n{}",
            imported.toml
        );
    }
    let warnings: Vec<String> = imported
        .warnings
        .iter()
        .map(|w| format!("{}:{}", w.line, w.col))
        .collect();
    assert_eq!(warnings, ["22:1", "23:1", "24:1"]);
    assert!(
        imported.warnings[0]
            .message
            .starts_with("warning: skipped:")
    );
}

#[test]
fn a_signed_zone_keeps_its_ds_and_drops_its_signatures_with_one_warning() {
    let text = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 300\n\
@ NS ns1\n\
@ DNSKEY 257 3 13 AAAA\n\
@ RRSIG SOA 13 2 300 20300101000000 20200101000000 1 example.com. AAAA\n\
@ NSEC www A NS SOA RRSIG NSEC DNSKEY\n\
www A 192.0.2.1\n\
www RRSIG A 13 3 300 20300101000000 20200101000000 1 example.com. AAAA\n\
abc NSEC3 1 0 0 - ABC A\n\
sub NS ns.sub\n\
sub DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n\
ns.sub A 192.0.2.53\n";
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "signed.zone", text);
    let imported = convert(&path, None).unwrap();
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    let w = &imported.warnings[0];
    assert_eq!((w.line, w.col), (5, 1));
    assert!(
        w.message
            .contains("dropped 5 DNSSEC record(s) (DNSKEY, NSEC, NSEC3, RRSIG)")
            && w.message.contains("re-signed online"),
        "{}",
        w.message
    );
    let doc: toml::Table = toml::from_str(&imported.toml).unwrap();
    let found = records(&doc);
    assert!(
        found.contains(
            &"sub DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
                .to_string()
        ),
        "{found:?}"
    );
}

#[test]
fn output_does_not_depend_on_record_order() {
    let dir = tempfile::tempdir().unwrap();
    let header: Vec<&str> = ZONE.lines().take(13).collect();
    let mut body: Vec<&str> = ZONE
        .lines()
        .skip(13)
        .filter(|l| !l.starts_with(' '))
        .collect();
    let a = write(
        dir.path(),
        "a.zone",
        &format!("{}\n{}\n", header.join("\n"), body.join("\n")),
    );
    body.reverse();
    let b = write(
        dir.path(),
        "a2.zone",
        &format!("{}\n{}\n", header.join("\n"), body.join("\n")),
    );
    let a = convert(&a, None).unwrap().toml;
    let b = convert(&b, None).unwrap().toml.replace("a2.zone", "a.zone");
    // Line numbers in the skip comments differ; the records must not.
    let records = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with("# skipped"))
            .map(String::from)
            .collect()
    };
    assert_eq!(records(&a), records(&b));
}

#[test]
fn origin_argument_completes_relative_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "db.example",
        "$TTL 300\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n",
    );
    let doc: toml::Table =
        toml::from_str(&convert(&path, Some("example.org")).unwrap().toml).unwrap();
    assert_eq!(doc["zone"]["origin"].as_str(), Some("example.org."));
    assert_eq!(records(&doc), ["@ NS ns1.example.org.", "ns1 A 192.0.2.53"]);

    let errors = convert(&path, None).unwrap_err().to_string();
    assert!(
        errors.contains("db.example:2:1: '@' used before any origin"),
        "{errors}"
    );
}

#[test]
fn zone_ttl_falls_back_to_the_soa_ttl_and_set_ttls_are_omitted_when_equal() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "z.zone",
        "example.com. 600 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5\nexample.com. NS ns1.example.com.\nns1.example.com. 60 A 192.0.2.1\n",
    );
    let out = convert(&path, None).unwrap().toml;
    let doc: toml::Table = toml::from_str(&out).unwrap();
    assert_eq!(doc["zone"]["ttl"].as_integer(), Some(600));
    assert_eq!(
        records(&doc),
        ["@ NS ns1.example.com.", "ns1 A ttl=60 192.0.2.1"]
    );
}

#[test]
fn duplicates_are_dropped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "z.zone",
        "$ORIGIN example.com.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n@ NS NS1\nt TXT \"a\"\nt TXT \"A\"\n",
    );
    let imported = convert(&path, None).unwrap();
    let doc: toml::Table = toml::from_str(&imported.toml).unwrap();
    assert_eq!(
        records(&doc),
        ["@ NS ns1.example.com.", "t TXT \"a\" | \"A\""]
    );
    assert_eq!(imported.warnings.len(), 1);
    assert_eq!(imported.warnings[0].line, 5);
}

#[test]
fn soa_problems_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let none = write(
        dir.path(),
        "none.zone",
        "$ORIGIN example.com.\n$TTL 60\n@ NS ns1\n",
    );
    assert_eq!(
        convert(&none, None).unwrap_err().to_string(),
        format!(
            "{}:1:1: no SOA record: a zone file needs one at the zone's origin",
            none.display()
        )
    );
    let two = write(
        dir.path(),
        "two.zone",
        "$ORIGIN example.com.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\nsub SOA ns1 h 1 2 3 4 5\n",
    );
    let e = convert(&two, None).unwrap_err().to_string();
    assert!(
        e.ends_with("two.zone:4:1: a second SOA record: a zone has exactly one"),
        "{e}"
    );
    let e = convert(&two, Some("example.net.")).unwrap_err().to_string();
    assert!(
        e.contains("two.zone:3:1: the SOA is at example.com. but the origin is example.net."),
        "{e}"
    );
}
