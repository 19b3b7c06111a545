//! Reload triggers: a debounced watch on the zones folder and the config
//! file, and SIGHUP. Each asks the updater to reload; the updater decides
//! what changed.
//!
//! The watch follows the paths, not what they pointed at when the server
//! started: every input is also watched through its nearest existing
//! ancestor folder, so a zones folder created (or removed and created again)
//! after start is picked up without SIGHUP, and a config file an editor
//! saves by renaming a new file over it keeps being seen. Only events on
//! the inputs or on folders leading to them ask for a reload.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::control::handle::UpdaterHandle;

/// Keeps the file watch alive; dropping it stops watching.
pub struct FileWatch {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a reload reads: a folder whose entries matter, and a file.
#[derive(Clone, Debug)]
struct Inputs {
    folder: PathBuf,
    file: Option<PathBuf>,
}

impl Inputs {
    /// The folders to watch now: the zones folder when it exists, and the
    /// nearest existing ancestor of each input (to see it appear, go or be
    /// replaced).
    fn plan(&self) -> BTreeSet<PathBuf> {
        let mut plan = BTreeSet::new();
        if self.folder.is_dir() {
            plan.insert(self.folder.clone());
        }
        for input in std::iter::once(&self.folder).chain(&self.file) {
            if let Some(ancestor) = input.parent().and_then(nearest_existing_folder) {
                plan.insert(ancestor);
            }
        }
        plan
    }

    /// The zones folder is watched with its subfolders (a zone's included
    /// files may sit there); every other folder on its own.
    fn mode(&self, path: &Path) -> RecursiveMode {
        if path == self.folder {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        }
    }

    /// Whether an event on `path` can change what a reload reads: a path
    /// in the zones folder, the config file, or a folder leading to either.
    /// Not a hidden file of the zones folder that is not `*.toml` (such as
    /// the temporary file a deploy script renames over a zone file): no
    /// reload reads it, and a reload it started while the file is still
    /// being written reads the old zone again (a 1M-record zone: a second
    /// or more before the reload that sees the rename can start).
    fn matters(&self, path: &Path) -> bool {
        let scratch = path.parent() == Some(&*self.folder)
            && path.file_name().is_some_and(|n| {
                n.as_encoded_bytes().starts_with(b".") && !n.as_encoded_bytes().ends_with(b".toml")
            });
        (path.starts_with(&self.folder) && !scratch)
            || self.folder.starts_with(path)
            || self
                .file
                .as_ref()
                .is_some_and(|file| file == path || file.starts_with(path))
    }
}

/// `path` or its nearest ancestor that is an existing folder.
fn nearest_existing_folder(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.is_dir())
        .map(Path::to_path_buf)
}

/// Watches the zones folder `folder` and the config file `file` (which
/// need not exist yet) and reloads after `debounce` of quiet. Fails only
/// when an existing path cannot be watched.
pub fn watch(
    folder: &Path,
    file: Option<&Path>,
    debounce: Duration,
    updater: UpdaterHandle,
) -> notify::Result<FileWatch> {
    let inputs = Inputs {
        folder: std::path::absolute(folder)?,
        file: file.map(std::path::absolute).transpose()?,
    };
    let (tx, mut rx) = mpsc::channel::<()>(64);
    let filter = inputs.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
            && (event.paths.is_empty() || event.paths.iter().any(|p| filter.matters(p)))
        {
            let _ = tx.try_send(());
        }
    })?;
    let mut watched = BTreeSet::new();
    for path in inputs.plan() {
        watcher.watch(&path, inputs.mode(&path))?;
        watched.insert(path);
    }
    let task = tokio::spawn(async move {
        while rx.recv().await.is_some() {
            // Wait for a quiet moment: editors write files in several steps.
            loop {
                tokio::select! {
                    more = rx.recv() => if more.is_none() { return },
                    _ = tokio::time::sleep(debounce) => break,
                }
            }
            follow(&mut watcher, &inputs, &mut watched);
            updater.request_reload();
        }
    });
    Ok(FileWatch { task })
}

/// Moves the watches to where the inputs are now. Every planned folder is
/// watched again, since a folder removed and created again is a new one.
fn follow(watcher: &mut impl Watcher, inputs: &Inputs, watched: &mut BTreeSet<PathBuf>) {
    let plan = inputs.plan();
    for gone in watched.difference(&plan) {
        // A removed folder took its watch with it; nothing to undo then.
        let _ = watcher.unwatch(gone);
    }
    for path in &plan {
        if let Err(e) = watcher.watch(path, inputs.mode(path)) {
            tracing::warn!(target: "alwayson::reload", path = %path.display(), error = %e, "cannot watch for changes");
        }
    }
    *watched = plan;
}

/// Reloads on every SIGHUP until the runtime stops.
pub fn on_sighup(updater: UpdaterHandle) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            tracing::info!(target: "alwayson::reload", "SIGHUP: reloading");
            updater.request_reload();
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_watched_through_its_nearest_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = Inputs {
            folder: dir.path().join("etc/zones"),
            file: Some(dir.path().join("etc/alwayson.toml")),
        };
        assert_eq!(inputs.plan(), BTreeSet::from([dir.path().to_path_buf()]));
        std::fs::create_dir_all(dir.path().join("etc/zones")).unwrap();
        assert_eq!(
            inputs.plan(),
            BTreeSet::from([dir.path().join("etc"), dir.path().join("etc/zones")])
        );
    }

    #[test]
    fn only_the_inputs_and_the_folders_leading_to_them_matter() {
        let inputs = Inputs {
            folder: "/srv/dns/zones".into(),
            file: Some("/srv/dns/alwayson.toml".into()),
        };
        for path in [
            "/srv/dns/zones/a.toml",
            "/srv/dns/zones/parts/.b.new",
            "/srv/dns/zones",
            "/srv/dns",
            "/srv/dns/alwayson.toml",
        ] {
            assert!(inputs.matters(Path::new(path)), "{path}");
        }
        for path in [
            "/srv/dns/other.log",
            "/srv/dns/alwayson.toml.swp",
            "/srv/web",
            // A deploy script's temporary file, renamed over a zone file
            // (the rename's event names the zone file too).
            "/srv/dns/zones/.a.toml.new",
            "/srv/dns/zones/.a.toml.swp",
        ] {
            assert!(!inputs.matters(Path::new(path)), "{path}");
        }
    }
}
