//! The plain form of `[[record]]` tables, read without `toml`: a run of
//! tables whose keys are the plain ones (`name`, `type`, `ttl`, `values`,
//! `set`, `failover`, `geo`, `weight`, `multivalue`, `alias`,
//! `evaluate_target_health`, `health_check`, `when_all_down`), each on one
//! line with a string, integer, boolean or one-line array of strings
//! without escapes. A zone of a million such records is most of its load
//! time in `toml`; this reads it in a fraction.
//!
//! Invariant: each record set is exactly what `toml` gives for the same
//! text, spans included (a test compares them), or `None`. Anything outside
//! the plain form (another key, an escape, a duplicate key, a missing name
//! or type, a literal table) gives `None`, and the file is read again by
//! `toml` from the start, so every error reads as before.

use std::ops::Range;

use toml::Spanned;

mod value;
use value::{Spare, Value};

use crate::zone::raw::RawRecordSet;

/// The run of record tables of a file: from the first `[[record]]` line
/// to the first other table header (or the end). Whether each table in it
/// is plain is found while reading it ([`records`]).
pub(super) struct Run {
    pub(super) span: Range<usize>,
    pub(super) count: usize,
}

/// The run of record tables of `text`, if it has one.
pub(super) fn run(text: &str) -> Option<Run> {
    let mut lines = header_lines(text).skip_while(|&(_, line)| !is_record_header(line));
    let (start, _) = lines.next()?;
    let mut count = 1;
    let mut end = text.len();
    for (at, line) in lines {
        if is_record_header(line) {
            count += 1;
        } else if line.trim_start_matches([' ', '\t']).starts_with('[') {
            end = at;
            break;
        }
    }
    Some(Run {
        span: start..end,
        count,
    })
}

/// The run cut into at most `n` runs of whole tables, in order. Each cut
/// is at a `[[record]]` line: every line of a run that starts a table is
/// one (see [`run`]), so each piece reads the tables a walk over the whole
/// run reads. A piece's `count` is an estimate, for reserving.
pub(super) fn pieces(text: &str, run: &Run, n: usize) -> Vec<Run> {
    let Range { start, end } = run.span;
    let len = end - start;
    let n = n.clamp(1, run.count.max(1));
    let mut cuts = vec![start];
    for k in 1..n {
        let from = (start + len / n * k).max(cuts.last().map_or(start, |c| c + 1));
        if let Some(cut) = next_header(text, from, end) {
            cuts.push(cut);
        }
    }
    cuts.push(end);
    cuts.windows(2)
        .map(|w| Run {
            span: w[0]..w[1],
            count: run.count * (w[1] - w[0]) / len.max(1) + 1,
        })
        .collect()
}

/// The start of the first `[[record]]` line that starts after `from`
/// and before `end`.
fn next_header(text: &str, from: usize, end: usize) -> Option<usize> {
    let bytes = text.as_bytes().get(..end)?;
    let mut at = from + memchr::memchr(b'\n', bytes.get(from..)?)? + 1;
    while at < end {
        let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(end, |i| at + i);
        let line = text.get(at..line_end)?;
        if is_record_header(line.strip_suffix('\r').unwrap_or(line)) {
            return Some(at);
        }
        at = line_end + 1;
    }
    None
}

/// The record sets of a run, each `None` when its table is not plain.
pub(super) fn records<'a>(text: &'a str, run: &Run) -> Records<'a> {
    Records {
        tables: Tables::new(&text[..run.span.end], run.span.start),
        done: false,
        spare: Spare::default(),
    }
}

/// The tables of a run as record sets; a set handed back with
/// [`recycle`](Records::recycle) lends its strings to the next ones, so a
/// long run allocates no string per table.
pub(super) struct Records<'a> {
    tables: Tables<'a>,
    done: bool,
    spare: Spare,
}

impl Records<'_> {
    /// Takes back the strings of a set that has been converted.
    pub(super) fn recycle(&mut self, set: Spanned<RawRecordSet>) {
        let set = set.into_inner();
        let strings = [set.name, set.rtype]
            .into_iter()
            .chain(set.set)
            .chain(set.failover)
            .chain(set.geo)
            .chain(set.alias)
            .chain(set.health_check)
            .chain(set.when_all_down);
        for string in strings {
            self.spare.give(string.into_inner());
        }
        if let Some(values) = set.values {
            self.spare.give_list(values.into_inner());
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Option<Spanned<RawRecordSet>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.tables.next(&mut self.spare) {
            Some(Some(record)) => Some(Some(record)),
            Some(None) => None,
            None => {
                self.done = true;
                Some(None)
            }
        }
    }
}

/// `text` with the run replaced by one comment line of the same length,
/// so that `toml` reads the rest with the same offsets.
pub(super) fn masked(text: &str, run: &Run) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..run.span.start]);
    let len = run.span.len();
    if len > 0 {
        out.push('#');
        let spaces = len.saturating_sub(2);
        const BLANK: &str = "                                                                ";
        for _ in 0..spaces / BLANK.len() {
            out.push_str(BLANK);
        }
        out.push_str(&BLANK[..spaces % BLANK.len()]);
        if len > 1 {
            out.push('\n');
        }
    }
    out.push_str(&text[run.span.end..]);
    out
}

/// The start offset and text (without its line break) of every line that
/// may be a table header: one that starts with `[`, a space or a tab
/// (found a word at a time, so a run of millions of lines is read fast).
fn header_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1))
        .filter(move |&start| matches!(bytes.get(start), Some(b'[' | b' ' | b'\t')))
        .map(move |start| {
            let len = memchr::memchr(b'\n', &bytes[start..]).unwrap_or(bytes.len() - start);
            let line = &text[start..start + len];
            (start, line.trim_end_matches('\r'))
        })
}

fn is_record_header(line: &str) -> bool {
    let rest = line.trim_start_matches([' ', '\t']);
    rest.strip_prefix("[[record]]")
        .is_some_and(comment_or_blank)
}

/// What may follow a value or header on its line: spaces, then nothing
/// or a comment without control characters.
fn comment_or_blank(after: &str) -> bool {
    let after = after.trim_start_matches([' ', '\t']);
    after.is_empty()
        || (after.starts_with('#') && after.chars().all(|c| c == '\t' || !c.is_control()))
}

/// A walk over the run's tables, line by line.
struct Tables<'a> {
    text: &'a str,
    /// Offset of the next line.
    at: usize,
}

impl<'a> Tables<'a> {
    fn new(text: &'a str, at: usize) -> Self {
        Self { text, at }
    }

    /// The next line: its offset, its text, and the offset after it.
    fn line(&self) -> Option<(usize, &'a str, usize)> {
        let rest = self.text.get(self.at..).filter(|r| !r.is_empty())?;
        let len = memchr::memchr(b'\n', rest.as_bytes()).map_or(rest.len(), |i| i + 1);
        let raw = &rest[..len];
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        Some((self.at, line, self.at + len))
    }

    /// The next table (`Some(None)`: the run ended), or `None` when a
    /// line is not plain.
    fn next(&mut self, spare: &mut Spare) -> Option<Option<Spanned<RawRecordSet>>> {
        let Some((start, line, after)) = self.line() else {
            return Some(None);
        };
        if !is_record_header(line) {
            return Some(None);
        }
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let header = start + indent..start + indent + "[[record]]".len();
        self.at = after;
        let mut fields = Fields::default();
        while let Some((start, line, after)) = self.line() {
            let body = line.trim_start_matches([' ', '\t']);
            if body.starts_with('[') {
                break;
            }
            if !(body.is_empty() || comment_or_blank(body)) {
                let key_at = start + (line.len() - body.len());
                fields.key_value(body, key_at, spare)?;
            }
            self.at = after;
        }
        fields.finish(header).map(Some)
    }
}

/// The keys of one table as read so far.
#[derive(Default)]
struct Fields {
    name: Option<Spanned<String>>,
    rtype: Option<Spanned<String>>,
    ttl: Option<Spanned<i64>>,
    values: Option<Spanned<Vec<Spanned<String>>>>,
    set: Option<Spanned<String>>,
    failover: Option<Spanned<String>>,
    geo: Option<Spanned<String>>,
    weight: Option<Spanned<i64>>,
    multivalue: Option<Spanned<bool>>,
    alias: Option<Spanned<String>>,
    evaluate_target_health: Option<Spanned<bool>>,
    health_check: Option<Spanned<String>>,
    when_all_down: Option<Spanned<String>>,
}

impl Fields {
    /// One `key = value` line (`line` starts at the key, at offset `at`).
    fn key_value(&mut self, line: &str, at: usize, spare: &mut Spare) -> Option<()> {
        let key_len = line
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))?;
        let key = &line[..key_len];
        let rest = line[key_len..].trim_start_matches([' ', '\t']);
        let rest = rest.strip_prefix('=')?;
        let value_text = rest.trim_start_matches([' ', '\t']);
        let value_at = at + (line.len() - value_text.len());
        let mut value = Value {
            text: value_text,
            at: value_at,
        };
        let mut string =
            |v: &mut Value<'_>, slot: &mut Option<Spanned<String>>| put(slot, v.string(spare)?);
        match key {
            "name" => string(&mut value, &mut self.name)?,
            "type" => string(&mut value, &mut self.rtype)?,
            "set" => string(&mut value, &mut self.set)?,
            "failover" => string(&mut value, &mut self.failover)?,
            "geo" => string(&mut value, &mut self.geo)?,
            "alias" => string(&mut value, &mut self.alias)?,
            "health_check" => string(&mut value, &mut self.health_check)?,
            "when_all_down" => string(&mut value, &mut self.when_all_down)?,
            "ttl" => put(&mut self.ttl, value.integer()?)?,
            "weight" => put(&mut self.weight, value.integer()?)?,
            "multivalue" => put(&mut self.multivalue, value.boolean()?)?,
            "evaluate_target_health" => put(&mut self.evaluate_target_health, value.boolean()?)?,
            "values" => put(&mut self.values, value.strings(spare)?)?,
            _ => return None,
        }
        comment_or_blank(value.text).then_some(())
    }

    fn finish(self, header: Range<usize>) -> Option<Spanned<RawRecordSet>> {
        let set = RawRecordSet {
            name: self.name?,
            rtype: self.rtype?,
            ttl: self.ttl,
            values: self.values,
            set: self.set,
            failover: self.failover,
            geo: self.geo,
            geoproximity: None,
            weight: self.weight,
            multivalue: self.multivalue,
            cidr: None,
            alias: self.alias,
            evaluate_target_health: self.evaluate_target_health,
            health_check: self.health_check,
            when_all_down: self.when_all_down,
        };
        Some(Spanned::new(header, set))
    }
}

/// A key given once only.
fn put<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
