//! The body of a zone: the record sets and health checks of its file and of
//! every file it includes, each converted with its own source so that every
//! problem points at the file it is in.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use hickory_proto::rr::Name;
use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::diag::{Diagnostic, Source};
use crate::health::spec::{self, HealthCheckSpec, RawHealthCheck};
use crate::zone::groups::Broken;
use crate::zone::model::{Position, RecordSet};
use crate::zone::parallel::{Split, in_order, merge};
use crate::zone::raw::{RawIncludedFile, RawRecordSet};
use crate::zone::scan::{self, Run};
use crate::zone::stream::{self, Records, Unread};

/// The record sets and health checks of a zone file and its included files.
#[derive(Default)]
pub(super) struct Body {
    pub(super) record_sets: Vec<RecordSet>,
    pub(super) health_checks: Vec<(HealthCheckSpec, Position)>,
}

/// One file's conversion: its source, its place among the zone's files and
/// the problems found so far.
pub(super) struct Context<'a> {
    pub(super) src: &'a Source,
    /// Which file of the zone `src` is (see [`Position::source`]).
    pub(super) source: usize,
    pub(super) diags: Vec<Diagnostic>,
    /// Record sets that failed, so that group rules do not report them twice.
    pub(super) broken: Broken,
    /// How a plain run of record tables is converted.
    pub(super) split: Split,
    /// The line of the last position, to find the next one quickly.
    pub(super) near: Cell<usize>,
}

impl<'a> Context<'a> {
    pub(super) fn new(src: &'a Source, source: usize) -> Self {
        Self {
            src,
            source,
            diags: Vec::new(),
            broken: Broken::default(),
            split: Split::machine(),
            near: Cell::new(0),
        }
    }
}

impl Context<'_> {
    /// Converts one file's record sets (when the origin is known; each is
    /// deserialized from `records` as it comes, see `stream.rs`) and health
    /// checks into `body`. `T` is the file's shape, for the error of a
    /// record set that does not deserialize.
    pub(super) fn body<T: DeserializeOwned>(
        &mut self,
        records: Records<'_>,
        checks: &BTreeMap<String, Spanned<RawHealthCheck>>,
        origin: Option<&Name>,
        ttl: u32,
        body: &mut Body,
    ) -> Result<(), Unread> {
        body.record_sets.reserve(records.len());
        match records {
            Records::Toml(array) => {
                for value in array {
                    let record = stream::record::<T>(self.src.text(), value)?;
                    self.record_into(&record, origin, ttl, body);
                }
            }
            Records::Plain(text, run) => {
                let split = self.split;
                self.plain_run(text, &run, origin, ttl, &mut body.record_sets, split)?;
            }
        }
        for (id, check) in checks {
            if let Some(spec) = spec::convert(id, check, self.src, &mut self.diags) {
                body.health_checks
                    .push((spec, self.position(&check.span())));
            }
        }
        Ok(())
    }
}

impl Context<'_> {
    /// Converts one record set into `body` (when the origin is known).
    fn record_into(
        &mut self,
        record: &Spanned<RawRecordSet>,
        origin: Option<&Name>,
        ttl: u32,
        body: &mut Body,
    ) {
        if let Some(origin) = origin
            && let Some(set) = self.record_set(record, origin, ttl)
        {
            body.record_sets.push(set);
        }
    }
}

/// One piece converted: its sets, problems and broken sets.
struct Piece {
    sets: Vec<RecordSet>,
    diags: Vec<Diagnostic>,
    broken: Broken,
}

impl Context<'_> {
    /// Converts the plain `run` of `text` into `sets` (when the origin is
    /// known), split as `split` says; `NotPlain` when a table is not plain.
    fn plain_run(
        &mut self,
        text: &str,
        run: &Run,
        origin: Option<&Name>,
        ttl: u32,
        sets: &mut Vec<RecordSet>,
        split: Split,
    ) -> Result<(), Unread> {
        if split.threads < 2 || run.count < split.from.max(2) {
            return self.piece_into(text, run, origin, ttl, sets);
        }
        let pieces = scan::pieces(text, run, run.count / split.piece.max(1));
        let (src, source) = (self.src, self.source);
        // A piece's list, once appended, is handed back for another piece:
        // the allocator gives freed memory back at once (`main.rs`), so a
        // new list for every piece would fault its pages in again.
        let spare: Mutex<Vec<Vec<RecordSet>>> = Mutex::new(Vec::new());
        let convert = |i: usize| {
            let mut cx = Context::new(src, source);
            let run = pieces.get(i)?;
            let mut sets = spare
                .lock()
                .ok()
                .and_then(|mut s| s.pop())
                .unwrap_or_default();
            sets.reserve(run.count);
            cx.piece_into(text, run, origin, ttl, &mut sets).ok()?;
            Some(Piece {
                sets,
                diags: cx.diags,
                broken: cx.broken,
            })
        };
        let all = in_order(pieces.len(), split.threads, convert, |piece| {
            let Some(mut piece) = piece else {
                return false;
            };
            sets.append(&mut piece.sets);
            if let Ok(mut spare) = spare.lock() {
                spare.push(piece.sets);
            }
            self.diags.append(&mut piece.diags);
            merge(&mut self.broken, piece.broken);
            true
        });
        all.then_some(()).ok_or(Unread::NotPlain)
    }

    /// Converts the tables of `run` one after the other.
    fn piece_into(
        &mut self,
        text: &str,
        run: &Run,
        origin: Option<&Name>,
        ttl: u32,
        sets: &mut Vec<RecordSet>,
    ) -> Result<(), Unread> {
        let mut records = scan::records(text, run);
        while let Some(record) = records.next() {
            let record = record.ok_or(Unread::NotPlain)?;
            if let Some(origin) = origin
                && let Some(set) = self.record_set(&record, origin, ttl)
            {
                sets.push(set);
            }
            records.recycle(record);
        }
        Ok(())
    }
}

/// Converts every included file into `body`; the zone file's context `cx`
/// collects their problems (each at its own file) and broken sets, in file
/// order. Several large files are converted side by side, one per core,
/// each on one thread; else one at a time, a long run on every core. A
/// file that is not valid TOML adds nothing but its TOML error.
pub(super) fn parts(
    cx: &mut Context<'_>,
    included: &[Source],
    origin: Option<&Name>,
    ttl: u32,
    body: &mut Body,
) {
    let mut add = |(diags, broken): (Vec<Diagnostic>, Broken)| {
        cx.diags.extend(diags);
        merge(&mut cx.broken, broken);
    };
    let split = cx.split;
    let sizes = included.iter().map(|f| f.text().len());
    let (total, largest) = sizes.fold((0, 0), |(t, l), n| (t + n, l.max(n)));
    if split.threads < 2 || total < split.files_from || largest > total / 2 {
        for (i, file) in included.iter().enumerate() {
            add(part(file, i + 1, origin, ttl, split, body));
        }
        return;
    }
    let one = Split {
        threads: 1,
        ..split
    };
    let convert = |i: usize| {
        let mut own = Body::default();
        let file = &included[i];
        (part(file, i + 1, origin, ttl, one, &mut own), own)
    };
    in_order(
        included.len(),
        split.threads,
        convert,
        |(found, mut own)| {
            body.record_sets.append(&mut own.record_sets);
            body.health_checks.append(&mut own.health_checks);
            add(found);
            true
        },
    );
}

/// Converts the included file `file` (the zone's `source`th) into `body`:
/// its problems and broken sets.
fn part(
    file: &Source,
    source: usize,
    origin: Option<&Name>,
    ttl: u32,
    split: Split,
    body: &mut Body,
) -> (Vec<Diagnostic>, Broken) {
    let mut part = Context::new(file, source);
    part.split = split;
    let mark = (body.record_sets.len(), body.health_checks.len());
    let mut error = None;
    // The plain run first; a table that is not plain reads the file
    // again with `toml`.
    for plain in [true, false] {
        let result = match stream::parse::<RawIncludedFile>(file.text(), plain) {
            Ok(s) => {
                part.body::<RawIncludedFile>(s.records, &s.rest.health_check, origin, ttl, body)
            }
            Err(e) => Err(Unread::Toml(e)),
        };
        let Err(unread) = result else {
            break;
        };
        body.record_sets.truncate(mark.0);
        body.health_checks.truncate(mark.1);
        part.diags.clear();
        if let Unread::Toml(e) = unread {
            error = Some(e);
            break;
        }
    }
    if let Some(e) = error {
        part.diags.push(file.toml_error(&e));
    }
    (part.diags, part.broken)
}

/// Orders problems: the zone file's first, then each included file's, each
/// by position.
pub(super) fn sort(diags: &mut [Diagnostic], zone_file: &Path) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| (d.file != zone_file, d.file.clone(), d.line, d.col);
        key(a).cmp(&key(b))
    });
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests;
