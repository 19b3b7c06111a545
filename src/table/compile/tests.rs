//! The two-thread compile gives the same zone as the one-thread compile.

use std::fmt::Write;

use hickory_proto::rr::Name;

use super::*;
use crate::diag::Source;
use crate::table::zone_table::CompiledZone;

/// A zone of `n` groups of names, each with every kind of node: addresses,
/// a wildcard with a name below it, empty non-terminals, a delegation with
/// glue, MX and SRV with in-zone targets, text, an alias, a DNAME and a
/// failover pair (routed).
fn generated(n: usize) -> String {
    let mut zone = String::from(
        "[zone]\norigin = \"example.com.\"\nsoa = { mname = \"ns1.example.com.\", rname = \"hostmaster.example.com.\" }\n\n[health_check.p]\ntype = \"tcp\"\naddress = \"127.0.0.1:9\"\n",
    );
    let mut record = |name: String, rtype: &str, body: String| {
        let _ = write!(
            zone,
            "\n[[record]]\nname = \"{name}\"\ntype = \"{rtype}\"\n{body}\n"
        );
    };
    record("@".into(), "NS", "values = [\"ns1\"]".into());
    record("ns1".into(), "A", "values = [\"192.0.2.53\"]".into());
    for i in 0..n {
        let v4 = |k: usize| format!("\"10.{}.{}.{}\"", k % 7, (i / 256) % 256, i % 256);
        let values = |v: Vec<String>| format!("values = [{}]", v.join(", "));
        record(format!("h{i}"), "A", values(vec![v4(1)]));
        record(
            format!("h{i}"),
            "AAAA",
            values(vec![format!("\"2001:db8::{:x}\"", i + 1)]),
        );
        record(format!("m{i}"), "A", values((0..3).map(v4).collect()));
        record(
            format!("m{i}"),
            "MX",
            values(vec![format!("\"10 h{i}\""), "\"20 ns1\"".into()]),
        );
        record(format!("*.w{i}"), "A", values(vec![v4(2)]));
        record(
            format!("x.*.w{i}"),
            "TXT",
            values(vec![format!("\"t{i}\"")]),
        );
        record(format!("a.b.e{i}"), "A", values(vec![v4(3)]));
        record(
            format!("sub{i}"),
            "NS",
            values(vec![format!("\"ns.sub{i}\"")]),
        );
        record(format!("ns.sub{i}"), "A", values(vec![v4(4)]));
        if i % 5 == 0 {
            record(format!("c{i}"), "CNAME", values(vec![format!("\"h{i}\"")]));
            record(
                format!("d{i}"),
                "DNAME",
                values(vec!["\"example.net.\"".into()]),
            );
            record(
                format!("_s._tcp.s{i}"),
                "SRV",
                values(vec![format!("\"0 5 80 h{i}\"")]),
            );
            let failover = |set: &str, role: &str, k: usize| {
                format!(
                    "set = \"{set}\"\nfailover = \"{role}\"\nhealth_check = \"p\"\nvalues = [{}]",
                    v4(k)
                )
            };
            record(format!("f{i}"), "A", failover("one", "primary", 5));
            record(format!("f{i}"), "A", failover("two", "secondary", 6));
            record(
                format!("al{i}"),
                "A",
                format!("set = \"a\"\nweight = 1\nalias = \"f{i}\""),
            );
        }
    }
    zone
}

/// Everything a compiled zone holds, in a form that does not depend on
/// the hash seed of its index.
fn shown(zone: &CompiledZone) -> String {
    let keys: Vec<&[u8]> = (0..zone.nodes.len()).map(|n| zone.index.key(n)).collect();
    format!(
        "{:?} {:?} {:?} {:?} {} {:?} {} {:?}",
        zone.nodes,
        keys,
        zone.soa,
        zone.negative_soa,
        zone.negative_soa_size,
        zone.negative_soa_wire,
        zone.record_count,
        zone.groups
    )
}

/// What the control plane gives as [`Beside`]: a scoped thread.
fn two_threads(beside: &(dyn Fn() + Sync), here: &mut dyn FnMut()) {
    std::thread::scope(|scope| {
        let helper = scope.spawn(beside);
        here();
        helper.join().unwrap();
    });
}

#[test]
fn two_threads_compile_the_same_zone_as_one() {
    let text = generated(2_100);
    let zone = crate::zone::convert::convert(&Source::new("big.toml", text))
        .unwrap_or_else(|d| panic!("{}", crate::diag::Diagnostics(d)));
    assert!(
        zone.record_sets.len() > TWO_THREADS_FROM,
        "{}",
        zone.record_sets.len()
    );
    let one = compile(&zone, 7);
    let two = compile_beside(&zone, 7, &two_threads);
    assert_eq!(one.index.len(), two.index.len());
    assert_eq!(shown(&one), shown(&two));
    // Empty non-terminals and wildcards are there, each node once.
    let node = |name: &str| {
        let key = crate::table::wire_name::key_of(&Name::from_ascii(name).unwrap());
        two.node(&key)
    };
    let ent = node("b.e7.example.com.").expect("empty non-terminal");
    assert!(ent.rrsets.is_empty());
    let wild = node("*.w7.example.com.").expect("wildcard");
    assert_eq!(
        wild.wildcard().map(Name::to_ascii).as_deref(),
        Some("*.w7.example.com.")
    );
    assert!(node("sub7.example.com.").unwrap().referral().is_some());
    assert!(node("d5.example.com.").unwrap().dname_target().is_some());
    assert_eq!(two.index.len(), two.nodes.len());
    // A plain name's node has no extras, and a node is 24 bytes.
    assert!(node("h7.example.com.").unwrap().extras.is_none());
    assert_eq!(std::mem::size_of::<crate::table::zone_table::Node>(), 24);
}

/// In a large zone the few MX and NS targets are found by binary search
/// (not a pass hashing every name): their static A and AAAA still come
/// as additional records, A before AAAA, and a routed target's are left
/// to the query.
#[test]
fn targets_of_a_large_zone_get_their_addresses_as_additionals() {
    let mut text = String::from(
        "[zone]\norigin = \"example.com.\"\nsoa = { mname = \"ns1\", rname = \"hostmaster\" }\n\n[health_check.p]\ntype = \"tcp\"\naddress = \"127.0.0.1:9\"\n",
    );
    let mut record = |name: &str, rtype: &str, body: &str| {
        let _ = write!(
            text,
            "\n[[record]]\nname = \"{name}\"\ntype = \"{rtype}\"\n{body}\n"
        );
    };
    record("@", "NS", "values = [\"ns1\"]");
    record("@", "MX", "values = [\"10 mail\", \"20 backup\"]");
    record("ns1", "A", "values = [\"192.0.2.53\"]");
    record("mail", "AAAA", "values = [\"2001:db8::25\"]");
    record("mail", "A", "values = [\"192.0.2.25\"]");
    for (set, role) in [("a", "primary"), ("b", "secondary")] {
        let body = format!(
            "set = \"{set}\"\nfailover = \"{role}\"\nhealth_check = \"p\"\nvalues = [\"192.0.2.9\"]"
        );
        record("backup", "A", &body);
    }
    for i in 0..1_000 {
        record(&format!("h{i}"), "A", "values = [\"10.0.0.1\"]");
    }
    let zone = crate::zone::convert::convert(&Source::new("big.toml", text))
        .unwrap_or_else(|d| panic!("{}", crate::diag::Diagnostics(d)));
    let compiled = compile(&zone, 1);
    let apex = compiled.nodes.first().unwrap();
    let answer = |rtype: RecordType| match &apex.rrset(rtype).unwrap().content {
        RrsetContent::Static(answer) => answer,
        RrsetContent::Routed(_) => panic!("static"),
    };
    let additionals = |rtype: RecordType| {
        answer(rtype)
            .additionals()
            .iter()
            .map(|r| format!("{} {}", r.name, r.data))
            .collect::<Vec<_>>()
    };
    assert_eq!(additionals(RecordType::NS), ["ns1.example.com. 192.0.2.53"]);
    assert!(answer(RecordType::NS).wire.is_some());
    assert_eq!(
        additionals(RecordType::MX),
        [
            "mail.example.com. 192.0.2.25",
            "mail.example.com. 2001:db8::25"
        ]
    );
    // `backup` is routed: the MX answer has no wire form, so the general
    // path adds the address its policy chooses per query.
    assert!(answer(RecordType::MX).wire.is_none());
}

/// A small zone keeps its records decoded beside the wire form; a large
/// one keeps the wire form alone and decodes it when asked. Both give the
/// same records and additional records for every answer.
#[test]
fn wire_only_answers_decode_to_the_records_a_small_zone_keeps() {
    let zone = crate::zone::convert::convert(&Source::new("z.toml", generated(40)))
        .unwrap_or_else(|d| panic!("{}", crate::diag::Diagnostics(d)));
    let kept = compile_split(&zone, 1, None, true);
    let wire_only = compile_split(&zone, 1, None, false);
    assert_eq!(kept.nodes.len(), wire_only.nodes.len());
    let answers = |zone: &CompiledZone| {
        let mut all = Vec::new();
        for node in &zone.nodes {
            for rrset in node.rrsets.iter() {
                let answers: Vec<&Answer> = match &rrset.content {
                    RrsetContent::Static(answer) => vec![answer],
                    RrsetContent::Routed(group) => group
                        .sets
                        .iter()
                        .filter_map(|set| match &set.target {
                            SetTarget::Values(answer) => Some(answer),
                            SetTarget::Alias { .. } => None,
                        })
                        .collect(),
                };
                for answer in answers {
                    all.push((
                        answer.kept_records().len(),
                        answer.records().into_owned(),
                        answer.additionals().into_owned(),
                        answer.is_empty(),
                        answer.has_additionals(),
                        answer.wire.clone(),
                    ));
                }
            }
        }
        all
    };
    let (kept, wire_only) = (answers(&kept), answers(&wire_only));
    assert_eq!(kept.len(), wire_only.len());
    let mut decoded = 0;
    for (k, w) in kept.iter().zip(&wire_only) {
        assert_eq!((&k.1, &k.2, k.3, k.4, &k.5), (&w.1, &w.2, w.3, w.4, &w.5));
        assert!(k.0 > 0 || k.1.is_empty());
        decoded += usize::from(w.0 == 0 && !w.1.is_empty());
    }
    assert!(decoded > 100, "only {decoded} wire-only answers");
}
