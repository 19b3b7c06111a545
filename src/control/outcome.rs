//! What a reload did and what went wrong, as values: [`ReloadOutcome`] for
//! the log, `POST /api/v1/reload` and `alwayson check`, with one
//! [`ReloadError`] per failed input.
//!
//! Invariant: an error's text (its `Display`) is exactly the line or lines
//! the log, the API's `errors` array and `alwayson check` print; the
//! structured form ([`ReloadError::problems`]) carries the same facts with
//! the position split out, so nothing ever re-parses the text.

use std::net::SocketAddr;
use std::path::PathBuf;

use hickory_proto::rr::Name;

use crate::diag::Diagnostics;

/// What a reload did, for the log and `POST /api/v1/reload`: the zones it
/// added, changed, removed and left as they were, each by origin and file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadOutcome {
    pub added: Vec<ZoneRef>,
    pub changed: Vec<ZoneRef>,
    pub removed: Vec<ZoneRef>,
    pub unchanged: Vec<ZoneRef>,
    /// Keys of `alwayson.toml` that changed but take effect only at the
    /// next restart (such as `dns.udp_threads`).
    pub needs_restart: Vec<String>,
    /// One entry per input that failed (a file with several problems is one
    /// entry); whatever failed keeps its previous version.
    pub errors: Vec<ReloadError>,
}

/// One zone a reload touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneRef {
    pub origin: Name,
    pub file: PathBuf,
}

/// One input of a reload that failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReloadError {
    /// A zone file or `alwayson.toml` did not parse, did not validate, or
    /// broke a cross-file rule: every problem, each with its position.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// The zones folder could not be listed.
    #[error("{}: cannot read the zones folder: {message}", dir.display())]
    ZonesFolder { dir: PathBuf, message: String },
    /// The configured GeoIP database could not be opened; the previous one
    /// (if any) stays in use.
    #[error("{message}")]
    GeoIp { file: PathBuf, message: String },
    /// A forwarder backend names a health check that no file defines; the
    /// backend counts as healthy.
    #[error(
        "{}: forwarder {forwarder:?} backend {backend} names unknown health check {check:?}; it counts as healthy",
        config.display()
    )]
    UnknownForwarderCheck {
        /// `alwayson.toml`'s path (the bare name when it has none).
        config: PathBuf,
        forwarder: String,
        backend: SocketAddr,
        check: String,
    },
    /// A changed `[dns] listen` or `[admin] listen` could not be bound; the
    /// old addresses keep serving.
    #[error("{}: {key}: {message}; the old addresses keep serving", config.display())]
    Listen {
        config: PathBuf,
        /// `dns.listen` or `admin.listen`.
        key: String,
        message: String,
    },
}

/// One problem of a reload, located as precisely as it can be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based; None for problems of a whole file or folder.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl ReloadOutcome {
    /// One error line per failed input, then one summary line per reload
    /// (also when nothing changed, so that an operator's SIGHUP or POST
    /// always shows up in the log).
    pub fn log(&self) {
        for error in &self.errors {
            tracing::error!(target: "alwayson::reload", "{error}");
        }
        tracing::info!(
            target: "alwayson::reload",
            added = self.added.len(),
            changed = self.changed.len(),
            removed = self.removed.len(),
            unchanged = self.unchanged.len(),
            errors = self.errors.len(),
            "zones reloaded"
        );
    }
}

impl ReloadError {
    /// The problems of this error, one per position.
    pub fn problems(&self) -> Vec<Problem> {
        let whole = |file: &PathBuf, message: String| Problem {
            file: file.clone(),
            line: None,
            column: None,
            message,
        };
        match self {
            ReloadError::Invalid(diags) => diags
                .0
                .iter()
                .map(|d| Problem {
                    file: d.file.clone(),
                    line: Some(d.line),
                    column: Some(d.col),
                    message: d.message.clone(),
                })
                .collect(),
            ReloadError::ZonesFolder { dir, message } => vec![whole(
                dir,
                format!("cannot read the zones folder: {message}"),
            )],
            ReloadError::GeoIp { file, message } => vec![whole(file, message.clone())],
            ReloadError::UnknownForwarderCheck {
                config,
                forwarder,
                backend,
                check,
            } => vec![whole(
                config,
                format!(
                    "forwarder {forwarder:?} backend {backend} names unknown health check {check:?}; it counts as healthy"
                ),
            )],
            ReloadError::Listen {
                config,
                key,
                message,
            } => vec![whole(
                config,
                format!("{key}: {message}; the old addresses keep serving"),
            )],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostic;

    #[test]
    fn text_and_problems_say_the_same() {
        let invalid = ReloadError::Invalid(Diagnostics(vec![
            Diagnostic {
                file: "z.toml".into(),
                line: 3,
                col: 7,
                message: "bad".into(),
            },
            Diagnostic {
                file: "z.toml".into(),
                line: 9,
                col: 1,
                message: "worse".into(),
            },
        ]));
        assert_eq!(invalid.to_string(), "z.toml:3:7: bad\nz.toml:9:1: worse");
        let problems = invalid.problems();
        assert_eq!(problems.len(), 2);
        assert_eq!((problems[1].line, problems[1].column), (Some(9), Some(1)));

        let folder = ReloadError::ZonesFolder {
            dir: "zones".into(),
            message: "gone".into(),
        };
        assert_eq!(
            folder.to_string(),
            "zones: cannot read the zones folder: gone"
        );
        let problem = &folder.problems()[0];
        assert_eq!(
            format!("{}: {}", problem.file.display(), problem.message),
            folder.to_string()
        );
        assert_eq!(problem.line, None);
    }
}
