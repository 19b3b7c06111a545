//! Tests of the reader: directives, defaults, includes, skips, located errors.
use super::*;

fn read_text(files: &[(&str, &str)], origin: Option<&str>) -> Result<ReadZone, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let origin = origin.map(|o| Name::from_ascii(o).unwrap());
    read(&dir.path().join(files[0].0), origin).map_err(|ds| {
        ds.iter()
            .map(|d| {
                let file = d.file.file_name().unwrap().to_string_lossy();
                format!("{file}:{}:{}: {}", d.line, d.col, d.message)
            })
            .collect()
    })
}

fn summary(zone: &ReadZone) -> Vec<String> {
    zone.records
        .iter()
        .map(|r| {
            let data = match &r.data {
                RecordData::Value(v) => v.clone(),
                RecordData::Soa(s) => format!("serial {}", s.serial),
            };
            format!("{} {} {} {}", r.owner, r.ttl, r.rtype, data)
        })
        .collect()
}

#[test]
fn applies_origin_ttl_and_owner_defaults() {
    let zone = read_text(
        &[(
            "z.zone",
            "$ORIGIN example.com.\n$TTL 1h\n@ IN SOA ns1 host. 7 1 2 3 4\n  NS ns1\nwww 60 A 192.0.2.1\n    IN AAAA ::1\n$ORIGIN sub.example.com.\nx CNAME @\n",
        )],
        None,
    )
    .unwrap();
    assert_eq!(
        summary(&zone),
        [
            "example.com. 3600 SOA serial 7",
            "example.com. 3600 NS ns1.example.com.",
            "www.example.com. 60 A 192.0.2.1",
            "www.example.com. 3600 AAAA ::1",
            "x.sub.example.com. 3600 CNAME sub.example.com.",
        ]
    );
    assert_eq!(zone.first_default_ttl, Some(3600));
}

#[test]
fn without_ttl_directive_the_last_ttl_carries_on() {
    let zone = read_text(
        &[(
            "z.zone",
            "@ SOA ns1 host 1 2 3 4 300\na 60 IN A 192.0.2.1\nb A 192.0.2.2\n",
        )],
        Some("example.com."),
    )
    .unwrap();
    assert_eq!(
        summary(&zone),
        [
            "example.com. 300 SOA serial 1",
            "a.example.com. 60 A 192.0.2.1",
            "b.example.com. 60 A 192.0.2.2",
        ]
    );
}

#[test]
fn includes_relative_to_the_file_with_an_origin_and_restores_it() {
    let zone = read_text(
        &[
            (
                "z.zone",
                "$TTL 300\n$ORIGIN example.com.\nwww A 192.0.2.1\n$INCLUDE sub/hosts.inc lab.example.com.\n  AAAA ::2\nmail A 192.0.2.3\n",
            ),
            ("sub/hosts.inc", "h1 A 10.0.0.1\n$ORIGIN deep.example.com.\nh2 A 10.0.0.2\n"),
        ],
        None,
    )
    .unwrap();
    assert_eq!(
        summary(&zone),
        [
            "www.example.com. 300 A 192.0.2.1",
            "h1.lab.example.com. 300 A 10.0.0.1",
            "h2.deep.example.com. 300 A 10.0.0.2",
            "www.example.com. 300 AAAA ::2",
            "mail.example.com. 300 A 192.0.2.3",
        ]
    );
}

#[test]
fn skips_unserved_and_dnssec_types() {
    let zone = read_text(
        &[(
            "z.zone",
            "$TTL 60\n@ HINFO \"pc\" \"linux\"\n@ DNSKEY 257 3 13 AAAA\n@ TYPE65280 \\# 0\n@ A 192.0.2.1\n",
        )],
        Some("example.com."),
    )
    .unwrap();
    let skipped: Vec<_> = zone
        .skipped
        .iter()
        .map(|s| format!("{} {}:{}", s.rtype, s.at.line, s.at.col))
        .collect();
    assert_eq!(skipped, ["HINFO 2:1", "DNSKEY 3:1"]);
    assert!(zone.skipped[1].reason.contains("DNSSEC"));
    // Generic data of a type known only by number is served as it is.
    let types: Vec<_> = zone.records.iter().map(|r| r.rtype).collect();
    assert_eq!(types, [RecordType::Unknown(65280), RecordType::A]);
}

#[test]
fn reports_every_error_with_its_location() {
    let errors = read_text(
        &[(
            "bad.zone",
            "$TTL 60\nwww A 192.0.2.1\n  A 300.1.1.1\nx CH A 192.0.2.1\ny 60 BOGUS 1\n$INCLUDE missing.inc\n$FOO\nz TXT \"unclosed\n",
        )],
        Some("example.com."),
    )
    .unwrap_err();
    assert_eq!(
        errors,
        ["bad.zone:8:7: unclosed quoted string (missing '\"')"],
        "a lexing error stops the file"
    );
    let errors = read_text(
        &[(
            "bad.zone",
            "$TTL 60\nwww A 192.0.2.1\n  A 300.1.1.1\nx CH A 192.0.2.1\ny 60 BOGUS 1\n$INCLUDE missing.inc\n$FOO\n",
        )],
        Some("example.com."),
    )
    .unwrap_err();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert_eq!(
        errors[0],
        "bad.zone:3:5: '300.1.1.1' is not an IPv4 address"
    );
    assert_eq!(
        errors[1],
        "bad.zone:4:3: class CH is not supported: alwayson serves class IN only"
    );
    assert!(errors[2].starts_with("bad.zone:5:6: unknown record type 'BOGUS'"));
    assert!(
        errors[3].starts_with("bad.zone:6:10: cannot read $INCLUDE file missing.inc"),
        "{}",
        errors[3]
    );
    assert!(errors[4].starts_with("bad.zone:7:1: unknown directive $FOO"));
}

#[test]
fn errors_in_included_files_name_that_file() {
    let errors = read_text(
        &[
            ("z.zone", "$TTL 60\n$INCLUDE inc.zone\n"),
            ("inc.zone", "\nfoo MX 10\n"),
        ],
        Some("example.com."),
    )
    .unwrap_err();
    assert_eq!(
        errors,
        ["inc.zone:2:10: MX record is missing a domain name"]
    );
}

#[test]
fn refuses_include_loops_and_missing_origin_and_ttl() {
    let errors = read_text(&[("z.zone", "$TTL 1\n$INCLUDE z.zone\n")], Some("a.")).unwrap_err();
    assert_eq!(
        errors,
        ["z.zone:2:10: $INCLUDE z.zone would include itself (loop)"]
    );
    let errors = read_text(&[("z.zone", "www 60 A 192.0.2.1\n")], None).unwrap_err();
    assert!(errors[0].starts_with("z.zone:1:1: relative name 'www' used before any origin"));
    let errors = read_text(&[("z.zone", "www A 192.0.2.1\n")], Some("a.")).unwrap_err();
    assert!(
        errors[0].starts_with("z.zone:1:1: record has no TTL"),
        "{errors:?}"
    );
    let errors = read_text(&[("z.zone", "  A 192.0.2.1\n")], Some("a.")).unwrap_err();
    assert!(errors[0].starts_with("z.zone:1:3: this record starts with a blank"));
}

#[test]
fn generate_expands_ranges_with_modifiers() {
    let zone = read_text(
        &[(
            "z.zone",
            "$ORIGIN example.com.\n$TTL 60\n$GENERATE 1-3 host$ A 192.0.2.$\n$GENERATE 10-14/2 ${0,3,d}.rev 120 IN PTR host${-9,2,x}\n",
        )],
        None,
    )
    .unwrap();
    assert_eq!(
        summary(&zone),
        [
            "host1.example.com. 60 A 192.0.2.1",
            "host2.example.com. 60 A 192.0.2.2",
            "host3.example.com. 60 A 192.0.2.3",
            "010.rev.example.com. 120 PTR host01.example.com.",
            "012.rev.example.com. 120 PTR host03.example.com.",
            "014.rev.example.com. 120 PTR host05.example.com.",
        ]
    );
    let errors = read_text(
        &[(
            "z.zone",
            "$ORIGIN example.com.\n$TTL 60\n$GENERATE 5-1 h$ A 192.0.2.$\n$GENERATE 1-2 h$ A 192.0.2.${300}\n",
        )],
        None,
    )
    .unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("z.zone:3:11: range '5-1' is empty"),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("z.zone:4:20: in $GENERATE: ") && errors[1].contains("192.0.2.301"),
        "{errors:?}"
    );
}

#[test]
fn text_without_a_folder_refuses_include() {
    let source = Source::new(
        "fuzz.zone",
        "$ORIGIN example.com.\n$TTL 300\n$INCLUDE /etc/hostname\n",
    );
    let errors = super::read_text(&source, None, Includes::Refused).unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        ["fuzz.zone:3:1: $INCLUDE is not available here: the text has no folder to include from"]
    );
}
