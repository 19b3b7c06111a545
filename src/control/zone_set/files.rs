//! The zone files of a folder, and reading one: only regular files, and
//! anything else reported as that file's problem.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Source};

/// `*.toml` entries directly in `dir`, sorted, whatever they point at (a
/// folder, a dangling symlink or a FIFO named `*.toml` is listed, so that
/// the reload reports it instead of skipping it); hidden entries (`.*`, such
/// as an editor's lock file) are left out.
pub fn zone_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."));
        if !hidden && path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads a zone file that is a regular file (following symlinks); anything
/// else is a problem of that file, reported rather than read (reading a
/// FIFO would block the reload).
pub(super) fn read_zone_file(file: &Path) -> Result<Source, Diagnostic> {
    let problem = |message: String| Diagnostic {
        file: file.to_path_buf(),
        line: 1,
        col: 1,
        message,
    };
    let metadata = match std::fs::metadata(file) {
        Ok(m) => m,
        Err(e) => {
            return Err(problem(match std::fs::read_link(file) {
                Ok(target) if e.kind() == std::io::ErrorKind::NotFound => format!(
                    "cannot read file: it is a symlink to {}, which does not exist",
                    target.display()
                ),
                Ok(target) => format!(
                    "cannot read file: it is a symlink to {}: {e}",
                    target.display()
                ),
                Err(_) => format!("cannot read file: {e}"),
            }));
        }
    };
    if !metadata.is_file() {
        let kind = if metadata.is_dir() {
            "a folder"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(problem(format!("cannot read file: it is {kind}")));
    }
    Source::read(file)
}
