//! `include = ["hosts-*.toml"]` in a zone file: more files holding that
//! zone's record sets (and health checks), so a large zone can be split.
//! Each pattern is a glob relative to the zone file's folder; its matches
//! are read in name order and must be regular files holding only
//! `[[record]]` and `[health_check.*]` tables. A pattern that matches
//! nothing, or a file that cannot be read, is an error at the pattern's
//! `file:line:col`; a problem inside an included file is reported at that
//! file's own `file:line:col`.
//!
//! The zone's content hash covers the zone file's text and every included
//! file's path and text, so editing, adding or removing an included file
//! changes the zone (and only that zone is converted and compiled again).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use toml::Spanned;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::diag::{Diagnostic, Source};

/// Expands one pattern of the zone file at the given path to the files it
/// names, or says why it cannot.
pub type Loader<'a> = dyn FnMut(&Path, &str) -> Result<Vec<Source>, IncludeError> + 'a;

/// Why an `include` pattern names no usable file; the message follows the
/// pattern in the diagnostic.
#[derive(Debug, thiserror::Error)]
pub enum IncludeError {
    /// The pattern plus the zone file's folder is not UTF-8 text.
    #[error("the path is not valid UTF-8")]
    NotUtf8,
    /// Not a valid glob.
    #[error("bad pattern: {0}")]
    Pattern(#[from] glob::PatternError),
    /// A folder on the way could not be listed.
    #[error("cannot read {}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    /// A match that is a folder, FIFO, socket or device.
    #[error("{} is not a regular file", .0.display())]
    NotAFile(PathBuf),
    /// A match whose text could not be read (its diagnostic's message).
    #[error("{0}")]
    Read(String),
    /// Nothing matched (a typo would otherwise drop records silently).
    #[error("no file matches {}", .0.display())]
    NoMatch(PathBuf),
}

/// Files a reload has already read, by path (the zones folder's scan reads
/// every `*.toml` in it, parts too): an include takes its file from here
/// rather than reading it again.
pub type ReadAhead = HashMap<PathBuf, Source>;

/// Expands `pattern` (relative to `zone_file`'s folder) and reads every
/// match; the zone file itself is never one of its own includes.
pub fn read_included(zone_file: &Path, pattern: &str) -> Result<Vec<Source>, IncludeError> {
    read_included_from(zone_file, pattern, &mut ReadAhead::new())
}

/// [`read_included`], taking each match that `ahead` holds from there.
fn read_included_from(
    zone_file: &Path,
    pattern: &str,
    ahead: &mut ReadAhead,
) -> Result<Vec<Source>, IncludeError> {
    let folder = zone_file.parent().unwrap_or(Path::new(""));
    let full = folder.join(pattern);
    let text = full.to_str().ok_or(IncludeError::NotUtf8)?;
    let mut sources = Vec::new();
    for path in glob::glob(text)? {
        let path = path.map_err(|e| IncludeError::Unreadable {
            path: e.path().to_path_buf(),
            message: e.error().to_string(),
        })?;
        if path == zone_file {
            continue;
        }
        if !path.is_file() {
            return Err(IncludeError::NotAFile(path));
        }
        let source = match ahead.remove(&path) {
            Some(source) => source,
            None => Source::read(&path).map_err(|d| IncludeError::Read(d.message))?,
        };
        sources.push(source);
    }
    if sources.is_empty() {
        return Err(IncludeError::NoMatch(full));
    }
    Ok(sources)
}

/// The files every pattern of `src` names, once each, in pattern order;
/// each pattern that fails adds a diagnostic at its position.
pub fn expand(
    src: &Source,
    patterns: &[Spanned<String>],
    load: &mut Loader<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Source> {
    let mut files: Vec<Source> = Vec::new();
    for pattern in patterns {
        match load(src.path(), pattern.get_ref()) {
            Ok(found) => {
                for file in found {
                    if files.iter().all(|f| f.path() != file.path()) {
                        files.push(file);
                    }
                }
            }
            Err(message) => diags.push(src.error(
                &pattern.span(),
                format!("include {:?}: {message}", pattern.get_ref()),
            )),
        }
    }
    files
}

/// The hash of a zone: its file's text, then each included file's path and
/// text (each with its length first, so no two lists hash alike by
/// shifting bytes between them). Without includes it is the XXH3 of the
/// text alone.
///
/// XXH3 is specified, so the hash is the same on every platform and in
/// every release: nameservers of a cluster compare it to find a zone that
/// differs, and the state folder keeps it across restarts. It also reads a
/// large zone about 20 times as fast as std's SipHash did (a 68 MB file in
/// a few milliseconds, computed twice per reload).
pub fn content_hash(src: &Source, included: &[Source]) -> u64 {
    content_hash_of(src, &included.iter().collect::<Vec<_>>())
}

fn content_hash_of(src: &Source, included: &[&Source]) -> u64 {
    if included.is_empty() {
        return xxh3_64(src.text().as_bytes());
    }
    let mut hasher = Xxh3::new();
    let mut field = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(src.text().as_bytes());
    for file in included {
        field(file.path().as_os_str().as_encoded_bytes());
        field(file.text().as_bytes());
    }
    hasher.digest()
}

/// The files each of a zone's `include` patterns names, read once at a
/// reload: hashed to see whether the zone changed ([`ReadIncludes::hash`]),
/// then handed to the conversion when it did, so no part is read twice.
#[derive(Default)]
pub struct ReadIncludes(VecDeque<(String, Vec<Source>)>);

impl ReadIncludes {
    /// The files `patterns` (the zone's previous ones, which are the
    /// current ones whenever its text is unchanged) name now, taken from
    /// `ahead` where it holds them; `None` when one names no readable file.
    pub fn read(src: &Source, patterns: &[String], ahead: &mut ReadAhead) -> Option<Self> {
        let mut read = VecDeque::new();
        for pattern in patterns {
            let files = read_included_from(src.path(), pattern, ahead).ok()?;
            read.push_back((pattern.clone(), files));
        }
        Some(ReadIncludes(read))
    }

    /// The hash the zone in `src` would have with these files
    /// ([`content_hash`]; a file named twice counts once).
    pub fn hash(&self, src: &Source) -> u64 {
        let mut included: Vec<&Source> = Vec::new();
        for file in self.0.iter().flat_map(|(_, files)| files) {
            if included.iter().all(|f| f.path() != file.path()) {
                included.push(file);
            }
        }
        content_hash_of(src, &included)
    }

    /// A [`Loader`] that gives these files for the same patterns asked in
    /// the same order, and reads any other pattern (taking what `ahead`
    /// holds, the rest from disk).
    pub fn loader(
        mut self,
        ahead: &mut ReadAhead,
    ) -> impl FnMut(&Path, &str) -> Result<Vec<Source>, IncludeError> + '_ {
        move |zone_file, pattern| match self.0.front() {
            Some((read, _)) if read == pattern => Ok(self
                .0
                .pop_front()
                .map(|(_, files)| files)
                .unwrap_or_default()),
            _ => read_included_from(zone_file, pattern, ahead),
        }
    }
}

/// Whether a `*.toml` text in the zones folder looks like an included file
/// rather than a zone file: no line defines the `zone` table. The zone set
/// skips such a file when a zone includes it (and reads it as a zone file
/// otherwise, so a wrong guess only costs a clear error).
pub fn looks_included(text: &str) -> bool {
    // A large part holds no `zone` at all: one search, not a pass over
    // every line.
    if memchr::memmem::find(text.as_bytes(), b"zone").is_none() {
        return true;
    }
    !text.lines().any(|line| {
        let line = line.trim_start();
        line.strip_prefix('[')
            .map(str::trim_start)
            .is_some_and(|rest| rest.starts_with("zone"))
            || line
                .strip_prefix("zone")
                .is_some_and(|rest| rest.trim_start().starts_with(['=', '.']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_a_zone_table_looks_included() {
        assert!(looks_included("[[record]]\nname = \"a\"\n"));
        assert!(!looks_included("[zone]\norigin = \"a.\"\n"));
        assert!(!looks_included("  [ zone.soa ]\n"));
        assert!(!looks_included("zone = { origin = \"a.\" }\n"));
        assert!(!looks_included("zone.origin = \"a.\"\n"));
        assert!(looks_included("zones = 1\n"));
    }

    #[test]
    fn without_includes_the_hash_is_the_text_hash() {
        let src = Source::new("z.toml", "text");
        // XXH3-64 with seed 0 of "text": fixed by the algorithm's
        // specification, on every platform.
        assert_eq!(content_hash(&src, &[]), xxh3_64(b"text"));
        let part = |name: &str, text: &str| Source::new(name, text);
        let with = content_hash(&src, &[part("p.toml", "more")]);
        assert_ne!(with, xxh3_64(b"text"));
        // Bytes moved from a path to a text change the hash.
        assert_ne!(with, content_hash(&src, &[part("p.tom", "lmore")]));
        assert_eq!(with, content_hash(&src, &[part("p.toml", "more")]));
    }

    #[test]
    fn included_files_read_for_the_hash_are_the_ones_converted() {
        let dir = tempfile::tempdir().unwrap();
        let zone_file = dir.path().join("z.toml");
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("z.toml", "[zone]\n");
        write("a-1.toml", "one");
        write("a-2.toml", "two");
        write("b.toml", "three");
        let src = Source::new(&zone_file, "[zone]\n");
        let patterns = ["a-*.toml".to_string(), "a-1.toml".to_string()];
        let read = ReadIncludes::read(&src, &patterns, &mut ReadAhead::new()).unwrap();
        // A file named by two patterns is hashed once, as the conversion
        // (`expand`) keeps it once.
        let once = [
            Source::new(dir.path().join("a-1.toml"), "one"),
            Source::new(dir.path().join("a-2.toml"), "two"),
        ];
        assert_eq!(read.hash(&src), content_hash(&src, &once));
        // Changed on disk after the read: the loader gives what was read
        // (and hashed) for the same patterns, and reads any other.
        write("a-1.toml", "changed");
        write("b.toml", "changed too");
        let mut ahead = ReadAhead::new();
        let mut load = read.loader(&mut ahead);
        let texts = |files: Vec<Source>| {
            files
                .iter()
                .map(|f| f.text().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(load(&zone_file, "a-*.toml").unwrap()), ["one", "two"]);
        assert_eq!(texts(load(&zone_file, "b.toml").unwrap()), ["changed too"]);
        assert_eq!(texts(load(&zone_file, "a-1.toml").unwrap()), ["one"]);
        assert_eq!(texts(load(&zone_file, "a-1.toml").unwrap()), ["changed"]);
        let none = ["none-*.toml".to_string()];
        assert!(ReadIncludes::read(&src, &none, &mut ReadAhead::new()).is_none());
    }

    #[test]
    fn included_files_the_scan_read_are_taken_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let zone_file = dir.path().join("z.toml");
        let part = dir.path().join("p-1.toml");
        std::fs::write(&part, "on disk").unwrap();
        std::fs::write(dir.path().join("p-2.toml"), "only on disk").unwrap();
        let mut ahead = ReadAhead::new();
        ahead.insert(part.clone(), Source::new(&part, "read ahead"));
        let src = Source::new(&zone_file, "[zone]\n");
        let read = ReadIncludes::read(&src, &["p-*.toml".to_string()], &mut ahead).unwrap();
        assert!(ahead.is_empty(), "the part was taken");
        let parts = [
            Source::new(&part, "read ahead"),
            Source::new(dir.path().join("p-2.toml"), "only on disk"),
        ];
        assert_eq!(read.hash(&src), content_hash(&src, &parts));
        // The loader takes from the read-ahead files too.
        ahead.insert(part.clone(), Source::new(&part, "again"));
        let mut load = ReadIncludes::default().loader(&mut ahead);
        let files = load(&zone_file, "p-1.toml").unwrap();
        assert_eq!(files[0].text(), "again");
        assert_eq!(load(&zone_file, "p-1.toml").unwrap()[0].text(), "on disk");
    }
}
