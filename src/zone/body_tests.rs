//! A large plain run, and several included files, converted on several
//! threads against the same converted on one: the same sets, problems and
//! broken sets, in the same order.

use super::*;
use crate::zone::raw::RawZoneFile;

const HEADER: &str =
    "[zone]\norigin = \"example.com.\"\nsoa = { mname = \"ns1\", rname = \"hostmaster\" }\n\n";

/// `n` plain tables with a problem every few hundred, of several kinds,
/// then a health check.
fn zone(n: usize) -> String {
    let mut text = HEADER.to_string();
    text.push_str(&tables(0..n));
    text.push_str("\n[health_check.web]\ntype = \"tcp\"\naddress = \"192.0.2.1:80\"\n");
    text
}

/// Plain tables `h{i}`, with a problem every few hundred.
fn tables(range: std::ops::Range<usize>) -> String {
    let mut text = String::new();
    for i in range {
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
    files_from: 0,
};

/// `threads` threads for anything, in pieces of `piece` tables.
fn spread(threads: usize, piece: usize) -> Split {
    Split {
        threads,
        from: 2,
        piece,
        files_from: 0,
    }
}

#[test]
fn threads_convert_a_run_as_one_thread_does() {
    let text = zone(12_000);
    let (model, diags, broken) = convert(&text, ONE).unwrap();
    assert!((100..200).contains(&diags.len()), "{diags:#?}");
    assert!(broken.contains("h13.example.com."), "{broken}");
    for (threads, piece) in [(2, 4_096), (3, 97), (4, 1)] {
        let (m, d, b) = convert(&text, spread(threads, piece)).unwrap();
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
    assert!(matches!(
        convert(&text, spread(2, 50)),
        Err(Unread::NotPlain)
    ));
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

/// The included files converted into a zone file's context.
fn included(files: &[Source], split: Split) -> (String, Vec<Diagnostic>, String) {
    let src = Source::new("z.toml", HEADER);
    let origin = Name::from_ascii("example.com.").unwrap();
    let mut cx = Context::new(&src, 0);
    cx.split = split;
    let mut body = Body::default();
    super::parts(&mut cx, files, Some(&origin), 300, &mut body);
    let mut broken: Vec<String> = cx.broken.sets.iter().map(|s| format!("{s:?}")).collect();
    broken.sort();
    let model = format!("{:?} {:?}", body.record_sets, body.health_checks);
    (model, cx.diags, format!("{broken:?} {}", cx.broken.unknown))
}

#[test]
fn included_files_side_by_side_convert_as_one_after_the_other() {
    let check =
        |k: usize| format!("\n[health_check.c{k}]\ntype = \"tcp\"\naddress = \"192.0.2.{k}:80\"\n");
    let mut files: Vec<Source> = (0..5)
        .map(|k| {
            let text = tables(k * 1_000..k * 1_000 + 900) + &check(k);
            Source::new(format!("part{k}.toml"), text)
        })
        .collect();
    // One file that toml reads (not plain), one that is not TOML.
    files[1] = Source::new(
        "part1.toml",
        format!(
            "{}\n[[record]]\nname = \"q\"\ntype = \"TXT\"\nvalues = [\"\\u0041\"]\n",
            files[1].text()
        ),
    );
    files[3] = Source::new("part3.toml", format!("{}\n[[record]\n", files[3].text()));
    let (model, diags, broken) = included(&files, ONE);
    let in_file = |name: &str| diags.iter().filter(|d| d.file.ends_with(name)).count();
    assert!(
        in_file("part1.toml") > 5 && in_file("part4.toml") > 5,
        "{diags:#?}"
    );
    assert_eq!(in_file("part3.toml"), 1, "{diags:#?}");
    for threads in [2, 3, 8] {
        let (m, d, b) = included(&files, spread(threads, 64));
        assert!(m == model, "{threads} threads: other sets");
        assert_eq!(d, diags, "{threads} threads");
        assert_eq!(b, broken, "{threads} threads");
    }
}
