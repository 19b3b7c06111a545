//! The zone files of a folder, and reading one: only regular files, and
//! anything else reported as that file's problem; a file that changed
//! while it was read (an editor or a script writing it in place) is not
//! taken half-written: that reload keeps its previous version, and the
//! write's own file events bring the next reload.

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
    read_settled(file, &metadata, Source::read)
}

/// `read(file)`, unless the file's size or modification time moved while
/// it was read.
fn read_settled(
    file: &Path,
    before: &std::fs::Metadata,
    read: impl FnOnce(&Path) -> Result<Source, Diagnostic>,
) -> Result<Source, Diagnostic> {
    let source = read(file)?;
    let stamp = |m: &std::fs::Metadata| (m.len(), m.modified().ok());
    match std::fs::metadata(file) {
        Ok(after) if stamp(&after) == stamp(before) => Ok(source),
        _ => Err(Diagnostic {
            file: file.to_path_buf(),
            line: 1,
            col: 1,
            message: "the file changed while it was read (written in place?); the previous version keeps serving until it settles. Write zone files to a temporary name and rename them over the old one".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_written_while_it_is_read_is_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("example.com.toml");
        std::fs::write(&file, "[zone]\norigin = \"example.com.\"\n").unwrap();
        let before = std::fs::metadata(&file).unwrap();
        let result = read_settled(&file, &before, |path| {
            let source = Source::read(path);
            // The writer goes on after our read.
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(b"[[record]]\n").unwrap();
            source
        });
        let Err(err) = result else {
            panic!("a file written while it was read was taken")
        };
        assert!(err.message.contains("changed while it was read"), "{err:?}");

        // Settled: taken.
        let before = std::fs::metadata(&file).unwrap();
        let source = read_settled(&file, &before, Source::read).unwrap();
        assert!(source.text().ends_with("[[record]]\n"));
    }
}
