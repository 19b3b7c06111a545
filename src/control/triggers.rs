//! Reload triggers: a debounced watch on the zones folder and the config
//! file, and SIGHUP. Each asks the updater to reload; the updater decides
//! what changed.

use std::path::PathBuf;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::control::handle::UpdaterHandle;

/// Keeps the file watcher alive; dropping it stops watching.
pub struct FileWatch {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Watches `paths` (folders or files) and reloads after `debounce` of quiet.
pub fn watch(
    paths: &[PathBuf],
    debounce: Duration,
    updater: UpdaterHandle,
) -> notify::Result<FileWatch> {
    let (tx, mut rx) = mpsc::channel::<()>(64);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
        {
            let _ = tx.try_send(());
        }
    })?;
    for path in paths {
        watcher.watch(path, RecursiveMode::NonRecursive)?;
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
            updater.request_reload();
        }
    });
    Ok(FileWatch {
        _watcher: watcher,
        task,
    })
}

/// Like [`watch`], over those of `paths` that exist: a folder that does not
/// exist (yet) cannot be watched, so it is named in a warning and the rest
/// are watched; SIGHUP and the API still reload.
pub fn watch_existing(
    paths: impl IntoIterator<Item = PathBuf>,
    debounce: Duration,
    updater: UpdaterHandle,
) -> notify::Result<FileWatch> {
    let mut existing = Vec::new();
    for path in paths {
        if path.exists() {
            existing.push(path);
        } else {
            tracing::warn!(path = %path.display(), "not watching a path that does not exist");
        }
    }
    watch(&existing, debounce, updater)
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
