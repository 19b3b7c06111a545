//! Diagnostics: problems found in a user's file, each pinned to `file:line:col`.
//!
//! Every parser and converter in the crate reports through [`Diagnostic`], so
//! `alwayson check`, the reload log and the status API all print the same text.
//! Columns are 1-based and count characters, as editors do.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

mod large;

/// A byte range inside a source file.
pub type Span = Range<usize>;

/// One problem in one file, located precisely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

impl std::error::Error for Diagnostic {}

/// Diagnostics of one failed load, printable one per line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The text of a file plus an index of its line starts, to turn byte offsets
/// into `line:col`.
#[derive(Clone, Debug)]
pub struct Source {
    path: PathBuf,
    text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = large::line_starts(text.as_bytes());
        Self {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// Reads a file (a large one on two threads); an I/O failure becomes a
    /// diagnostic at 1:1, text that is not UTF-8 one at its first bad byte.
    pub fn read(path: &Path) -> Result<Self, Diagnostic> {
        let at = |line, col, message: String| Diagnostic {
            file: path.to_path_buf(),
            line,
            col,
            message,
        };
        let bytes =
            large::read_bytes(path).map_err(|e| at(1, 1, format!("cannot read file: {e}")))?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Self::new(path, text)),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let good = std::str::from_utf8(e.as_bytes().get(..valid).unwrap_or_default())
                    .unwrap_or_default();
                let line_start = good.rfind('\n').map_or(0, |i| i + 1);
                let line = 1 + good.bytes().filter(|&b| b == b'\n').count();
                let col = 1 + good.get(line_start..).map_or(0, |l| l.chars().count());
                Err(at(
                    line,
                    col,
                    "cannot read file: it is not valid UTF-8".into(),
                ))
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and character column of a byte offset.
    pub fn locate(&self, offset: usize) -> (usize, usize) {
        self.locate_near(offset, &mut 0)
    }

    /// Like [`locate`](Self::locate), quicker for offsets that grow by a
    /// few lines at a time (a file's tables, one after the other): `near`
    /// is the line found last (1-based, 0 for none), and becomes this one.
    pub fn locate_near(&self, offset: usize, near: &mut usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let starts = &self.line_starts;
        let ahead = starts.get(near.saturating_sub(1)..).unwrap_or_default();
        let line = match ahead.iter().take(16).position(|&s| s > offset) {
            Some(n) if n > 0 && *near > 0 => *near - 1 + n,
            _ => starts.partition_point(|&s| s <= offset),
        };
        *near = line;
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, col)
    }

    /// A diagnostic at the start of `span`.
    pub fn error(&self, span: &Span, message: impl Into<String>) -> Diagnostic {
        let (line, col) = self.locate(span.start);
        Diagnostic {
            file: self.path.clone(),
            line,
            col,
            message: message.into(),
        }
    }

    /// A TOML syntax or shape error from the `toml` crate, located by its span.
    pub fn toml_error(&self, error: &toml::de::Error) -> Diagnostic {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim().to_string();
        self.error(&span, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_character_columns() {
        let src = Source::new("z.toml", "a = 1\nbé = 2\n");
        assert_eq!(src.locate(0), (1, 1));
        assert_eq!(src.locate(6), (2, 1));
        // 'é' is two bytes but one column
        assert_eq!(src.locate(10), (2, 4));
        assert_eq!(src.error(&(6..7), "bad").to_string(), "z.toml:2:1: bad");
    }

    #[test]
    fn locating_near_the_last_line_finds_what_locate_finds() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let src = Source::new("z.toml", text.as_str());
        let mut near = 0;
        for offset in (0..=text.len() + 3).chain([500, 3, 0, 200, 201, 9999]) {
            assert_eq!(
                src.locate_near(offset, &mut near),
                src.locate(offset),
                "{offset}"
            );
            assert_eq!(near, src.locate(offset).0);
        }
        let mut near = 70;
        assert_eq!(src.locate_near(5, &mut near), (1, 6));
    }
}
