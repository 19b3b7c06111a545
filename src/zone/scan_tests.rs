//! The plain scanner against `toml`: the same record sets with the same
//! spans, or nothing.

use super::*;
use crate::zone::raw::RawIncludedFile;

fn via_toml(text: &str) -> String {
    let file: RawIncludedFile = toml::from_str(text).unwrap();
    format!("{:?}", file.record)
}

fn via_scan(text: &str) -> Option<String> {
    let run = run(text)?;
    let records: Vec<_> = records(text, &run).collect::<Option<_>>()?;
    assert_eq!(records.len(), run.count);
    Some(format!("{records:?}"))
}

const PLAIN: &str = "# hosts\n\
[[record]]\n\
name = \"www\"\n\
type = \"A\"\n\
values = [\"192.0.2.1\", \"192.0.2.2\"]\n\
\n\
  [[record]]   # indented, with a comment\r\n\
name=\"mail\"\t# tab\r\n\
type = 'MX'\r\n\
ttl = 60\r\n\
values = [ \"10 mx1\" , \"20 mx2\", ]\r\n\
[[record]]\n\
name = \"eu\"\n\
type = \"A\"\n\
set = \"eu\"\n\
geo = \"EU\"\n\
health_check = \"web\"\n\
when_all_down = \"nodata\"\n\
values = []\n\
[[record]]\n\
name = \"w\"\n\
type = \"A\"\n\
weight = +7\n\
multivalue = false\n\
alias = \"www\"\n\
evaluate_target_health = true\n\
failover = \"primary\"\n\
ttl = -0\n\
[[record]]\n\
name = \"ünï\"\n\
type = \"TXT\"\n\
values = [\"a b\tc\"]";

#[test]
fn plain_tables_read_as_toml_reads_them() {
    assert_eq!(via_scan(PLAIN).as_deref(), Some(via_toml(PLAIN).as_str()));
}

#[test]
fn the_run_ends_at_another_table() {
    let text = format!("{PLAIN}\n[health_check.web]\nkind = \"tcp\"\n");
    let run = run(&text).unwrap();
    assert_eq!(
        &text[run.span.end..],
        "[health_check.web]\nkind = \"tcp\"\n"
    );
    assert_eq!(run.count, 5);
    let masked = masked(&text, &run);
    assert_eq!(masked.len(), text.len());
    let rest: toml::Table = toml::from_str(&masked).unwrap();
    assert!(rest.contains_key("health_check") && !rest.contains_key("record"));
}

#[test]
fn anything_not_plain_is_left_to_toml() {
    let head = "[[record]]\nname = \"a\"\ntype = \"A\"\n";
    for line in [
        "values = [\"a\\tb\"]",
        "values = [\"a\",\n\"b\"]",
        "values = \"\"\"a\"\"\"",
        "ttl = 0x10",
        "ttl = 1_000",
        "ttl = 010",
        "ttl = 1.5",
        "ttl = \"60\"",
        "ttl = 99999999999999999999",
        "name = \"b\"",
        "cidr = \"*\"",
        "geoproximity = \"*\"",
        "unknown = \"x\"",
        "\"name\" = \"x\"",
        "values.x = \"x\"",
        "multivalue = truely",
        "values = [\"a\" \"b\"]",
        "values = [\"a\"] x",
        "set = \"a\u{7}\"",
        "set = \"a\u{7f}\"",
        "set = \"a\u{85}\"",
        "set = 'a\\b'",
    ] {
        let text = format!("{head}{line}\n");
        assert!(via_scan(&text).is_none(), "{line:?} read as plain");
    }
    assert!(via_scan("[[record]]\ntype = \"A\"\n").is_none());
    assert!(via_scan("[[record]]\nname = \"a\"\n").is_none());
    assert!(via_scan("[zone]\norigin = \"x.\"\n").is_none());
}

/// A zone of `n` plain A records; `edit` may change record `i`'s lines.
fn big_zone(n: usize, edit: impl Fn(usize) -> Option<String>) -> String {
    let mut text = String::from(
        "[zone]\norigin = \"big.test.\"\nsoa = { mname = \"ns1\", rname = \"hostmaster\" }\n\n",
    );
    for i in 0..n {
        let record = edit(i).unwrap_or_else(|| {
            format!(
                "[[record]]\nname = \"host{i}\"\ntype = \"A\"\nvalues = [\"10.0.{}.{}\"]\n",
                i / 256 % 256,
                i % 256
            )
        });
        text.push_str(&record);
    }
    text
}

fn convert(text: &str) -> Result<crate::zone::Zone, Vec<crate::diag::Diagnostic>> {
    crate::zone::convert::convert(&crate::diag::Source::new("big.toml", text))
}

/// The line of record `i` of [`big_zone`] (4 header lines, 4 per record).
fn line_of(i: usize) -> usize {
    5 + 4 * i
}

#[test]
fn a_large_plain_zone_converts_with_every_record() {
    let zone = convert(&big_zone(20_000, |_| None)).unwrap();
    assert_eq!(zone.record_sets.len(), 20_000);
    // The model is in name order: find the last record by its name.
    let last = zone
        .record_sets
        .iter()
        .find(|s| s.name.to_string() == "host19999.big.test.")
        .unwrap();
    assert_eq!(last.position.line_col(), (line_of(19_999), 1));
}

#[test]
fn errors_deep_in_a_large_zone_point_at_their_line() {
    let bad_value = |i| {
        (i == 12_345)
            .then(|| "[[record]]\nname = \"bad\"\ntype = \"A\"\nvalues = [\"10.0.0.300\"]\n".into())
    };
    let diags = convert(&big_zone(20_000, bad_value)).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        (diags[0].line, diags[0].col),
        (line_of(12_345) + 3, 11),
        "{diags:?}"
    );

    // Not plain TOML (an unclosed string): toml reads the file and reports.
    let unclosed = |i| {
        (i == 15_000)
            .then(|| "[[record]]\nname = \"bad\"\ntype = \"A\nvalues = [\"10.0.0.1\"]\n".into())
    };
    let diags = convert(&big_zone(20_000, unclosed)).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].line, line_of(15_000) + 2, "{diags:?}");

    // A key the record sets do not have, in the middle of plain ones.
    let unknown = |i| {
        (i == 9_000)
            .then(|| "[[record]]\nname = \"bad\"\ntype = \"A\"\nvalue = [\"10.0.0.1\"]\n".into())
    };
    let diags = convert(&big_zone(20_000, unknown)).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].line, line_of(9_000) + 3, "{diags:?}");
    assert!(diags[0].message.contains("unknown field"), "{diags:?}");
}

#[test]
fn a_record_that_is_not_plain_is_read_by_toml_with_the_rest() {
    let geo = |i| {
        (i == 500).then(|| {
            "[[record]]\nname = \"near\"\ntype = \"A\"\nset = \"a\"\nvalues = [\"10.9.9.9\"]\n[record.geoproximity]\nlat = 1.0\nlon = 2.0\n".into()
        })
    };
    let zone = convert(&big_zone(1_000, geo)).unwrap();
    assert_eq!(zone.record_sets.len(), 1_000);
    assert!(
        zone.record_sets
            .iter()
            .any(|s| s.name.to_string() == "near.big.test.")
    );
}

/// Record `i` of [`big_zone`] with its values over two lines: valid TOML,
/// not plain.
fn two_line_values(i: usize) -> Option<String> {
    (i == 700).then(|| {
        "[[record]]\nname = \"two\"\ntype = \"A\"\nvalues = [\"10.8.0.1\",\n  \"10.8.0.2\"]\n"
            .into()
    })
}

#[test]
fn a_table_that_is_not_plain_in_the_run_reads_the_file_with_toml() {
    let zone = convert(&big_zone(1_000, two_line_values)).unwrap();
    assert_eq!(zone.record_sets.len(), 1_000);
    let two = zone
        .record_sets
        .iter()
        .find(|s| s.name.to_string() == "two.big.test.");
    match two.map(|s| &s.data) {
        Some(crate::zone::model::SetData::Values(v)) => assert_eq!(v.len(), 2),
        other => panic!("{other:?}"),
    }

    // The same in an included file: that file alone is read again.
    let head = "include = [\"part.toml\"]\n[zone]\norigin = \"big.test.\"\nsoa = { mname = \"ns1\", rname = \"hostmaster\" }\n";
    let part = big_zone(1_000, two_line_values);
    let part = part.split_once("\n\n").unwrap().1.to_string();
    let mut load = |_: &std::path::Path, _: &str| {
        Ok(vec![crate::diag::Source::new("part.toml", part.clone())])
    };
    let src = crate::diag::Source::new("big.toml", head);
    let zone = crate::zone::convert::convert_with(&src, &mut load).unwrap();
    assert_eq!(zone.record_sets.len(), 1_000);

    // An error after the table that is not plain still points at its line.
    let both = |i| {
        two_line_values(i).or_else(|| {
            (i == 900).then(|| {
                "[[record]]\nname = \"bad\"\ntype = \"A\"\nvalues = [\"10.0.0.300\"]\n".into()
            })
        })
    };
    let diags = convert(&big_zone(1_000, both)).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].line, line_of(900) + 4, "{diags:?}");
}
