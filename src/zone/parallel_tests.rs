//! A large plain run converted on several threads against the same run
//! converted on one: the same sets, problems and broken sets, in the same
//! order.

use super::*;
use crate::diag::Source;
use crate::zone::body::Body;
use crate::zone::raw::RawZoneFile;
use crate::zone::stream;

const HEADER: &str =
    "[zone]\norigin = \"example.com.\"\nsoa = { mname = \"ns1\", rname = \"hostmaster\" }\n\n";

/// `n` plain tables with a problem every few hundred, of several kinds,
/// then a health check.
fn zone(n: usize) -> String {
    let mut text = HEADER.to_string();
    for i in 0..n {
        let table = match i % 397 {
            13 => format!(
                "[[record]]\nname = \"h{i}\"\ntype = \"A\"\nttl = -{i}\nvalues = [\"192.0.2.1\"]\n"
            ),
            101 => {
                format!("[[record]]\nname = \"h{i}\"\ntype = \"A\"\nvalues = [\"192.0.2.{i}\"]\n")
            }
            202 => format!(
                "[[record]]\nname = \"h{i}.example.org.\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n"
            ),
            303 => format!("[[record]]\nname = \"h{i}\"\ntype = \"NOPE\"\nvalues = [\"x\"]\n"),
            304 => {
                format!("[[record]]\nname = \"H{i}\"\ntype = \"TXT\"\nvalues = [\"a\", \"a\"]\n")
            }
            _ => format!(
                "[[record]]\nname = \"h{i}\"\ntype = \"A\"\nvalues = [\"10.0.{}.{}\"]\n",
                i / 256 % 256,
                i % 256
            ),
        };
        text.push_str(&table);
    }
    text.push_str("\n[health_check.web]\ntype = \"tcp\"\naddress = \"192.0.2.1:80\"\n");
    text
}

/// The conversion's sets, problems and broken sets, as text.
fn convert(text: &str, split: Split) -> Result<(String, Vec<Diagnostic>, String), Unread> {
    let src = Source::new("z.toml", text);
    let streamed = stream::parse::<RawZoneFile>(src.text(), true).unwrap();
    assert!(matches!(streamed.records, stream::Records::Plain(..)));
    let origin = Name::from_ascii("example.com.").unwrap();
    let mut cx = Context::new(&src, 0);
    cx.split = split;
    let mut body = Body::default();
    cx.body::<RawZoneFile>(
        streamed.records,
        &streamed.rest.health_check,
        Some(&origin),
        300,
        &mut body,
    )?;
    let mut broken: Vec<String> = cx.broken.sets.iter().map(|s| format!("{s:?}")).collect();
    broken.sort();
    let model = format!("{:?} {:?}", body.record_sets, body.health_checks);
    Ok((model, cx.diags, format!("{broken:?} {}", cx.broken.unknown)))
}

const ONE: Split = Split {
    threads: 1,
    from: 0,
    piece: 1,
};

#[test]
fn threads_convert_a_run_as_one_thread_does() {
    let text = zone(12_000);
    let (model, diags, broken) = convert(&text, ONE).unwrap();
    assert!((100..200).contains(&diags.len()), "{diags:#?}");
    assert!(broken.contains("h13.example.com."), "{broken}");
    for (threads, piece) in [(2, 4_096), (3, 97), (4, 1)] {
        let split = Split {
            threads,
            from: 2,
            piece,
        };
        let (m, d, b) = convert(&text, split).unwrap();
        assert!(
            m == model,
            "{threads} threads, pieces of {piece}: other sets"
        );
        assert_eq!(d, diags, "{threads} threads, pieces of {piece}");
        assert_eq!(b, broken, "{threads} threads, pieces of {piece}");
    }
}

#[test]
fn a_table_that_is_not_plain_stops_every_thread() {
    let mut text = zone(3_000);
    let at = text.find("name = \"h2500\"").unwrap();
    text.insert_str(at, "comment = 'not a plain key'\n");
    let split = Split {
        threads: 2,
        from: 2,
        piece: 50,
    };
    assert!(matches!(convert(&text, split), Err(Unread::NotPlain)));
    assert!(matches!(convert(&text, ONE), Err(Unread::NotPlain)));
}

#[test]
fn pieces_cut_the_run_at_tables() {
    let text = zone(1_000);
    let run = scan::run(&text).unwrap();
    let pieces = scan::pieces(&text, &run, 7);
    assert_eq!(pieces.len(), 7);
    assert_eq!(pieces[0].span.start, run.span.start);
    assert_eq!(pieces[6].span.end, run.span.end);
    let mut tables = 0;
    for (i, piece) in pieces.iter().enumerate() {
        assert!(text[piece.span.clone()].starts_with("[[record]]\n"));
        if let Some(next) = pieces.get(i + 1) {
            assert_eq!(piece.span.end, next.span.start);
        }
        tables += scan::records(&text, piece).count();
    }
    assert_eq!(tables, 1_000);
    // At most one piece per table, and never an empty one.
    let tiny = scan::pieces(&text, &run, 5_000);
    assert!((900..=1_000).contains(&tiny.len()), "{}", tiny.len());
    assert!(
        tiny.iter()
            .all(|p| text[p.span.clone()].starts_with("[[record]]\n"))
    );
}
