//! The set of zone files being served, and how a reload changes it: files
//! that parse replace their previous version, files that fail keep their
//! previous version serving (and report why), removed files are unloaded.
//! Cross-file rules (`zone::cross_check`) run over every reload. Owned by
//! the updater.
//!
//! Incremental: a file whose text (and included files) did not change keeps
//! its converted zone and its compiled zone, which the next table shares
//! (`Arc`) with the previous one; only changed files are parsed and
//! compiled. Files in the folder that a zone includes (`zone::include`) are
//! parts of that zone, not zone files of their own.

mod files;
mod serials;
mod slim;

use files::read_zone_file;
pub use files::zone_files;

use serials::derived_serial;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use hickory_proto::rr::Name;

use crate::control::outcome::{ReloadError, ReloadOutcome, ZoneRef};
use crate::control::state::{SerialRecord, Serials};
use crate::diag::{Diagnostic, Diagnostics, Source};
use crate::health::spec::HealthCheckSpec;
use crate::table::zone_table::{CompiledZone, ZoneFileReport, ZoneId};
use crate::zone::cross_check::cross_check;
use crate::zone::include;
use crate::zone::model::{Position, Zone};

/// The zones about to be served, by file (an unchanged one shared with
/// the loaded set, not copied).
type Candidates = BTreeMap<PathBuf, Arc<Zone>>;
/// The problems of the files that failed, by file.
type Failed = BTreeMap<PathBuf, Vec<Diagnostic>>;

/// One loaded zone file.
#[derive(Clone, Debug)]
struct Loaded {
    zone: Arc<Zone>,
    serial: u32,
    loaded_at: SystemTime,
    /// The compiled form of this version (with its zone id), once compiled.
    compiled: Option<Arc<CompiledZone>>,
    /// The zone's record sets were dropped once compiled (`slim.rs`).
    slim: bool,
    /// How many record sets the zone has (for its report).
    sets: usize,
}

#[derive(Clone, Debug)]
struct Attempt {
    at: SystemTime,
    error: Option<String>,
}

#[derive(Debug, Default)]
pub struct ZoneSet {
    loaded: BTreeMap<PathBuf, Loaded>,
    attempts: BTreeMap<PathBuf, Attempt>,
    /// The last serial of every origin ever served (also by an earlier run,
    /// see [`ZoneSet::remember`]), so derived serials never go down.
    serials: Serials,
    /// `[dnssec] keys_dir`: where signed zones find their keys.
    keys_dir: PathBuf,
}

impl ZoneSet {
    /// Serials served by an earlier run: a zone without `soa.serial` whose
    /// text is unchanged gets its old serial back, a changed one a higher one.
    pub fn remember(&mut self, serials: Serials) {
        self.serials = serials;
    }

    /// Where zones with `dnssec = true` read their keys at every reload.
    pub fn set_keys_dir(&mut self, dir: &Path) {
        self.keys_dir = dir.to_path_buf();
    }

    /// The last serial of every origin served, for the state folder.
    pub fn serials(&self) -> &Serials {
        &self.serials
    }

    /// Re-reads every `*.toml` in `dir`; `server_checks` are the checks of
    /// `alwayson.toml`, which zones may reference too.
    pub fn reload(
        &mut self,
        dir: &Path,
        server_checks: &[(HealthCheckSpec, Position)],
        server_config: Option<&Path>,
    ) -> ReloadOutcome {
        match zone_files(dir) {
            Ok(files) => self.reload_files(&files, server_checks, server_config),
            Err(e) => ReloadOutcome {
                errors: vec![ReloadError::ZonesFolder {
                    dir: dir.to_path_buf(),
                    message: e.to_string(),
                }],
                ..ReloadOutcome::default()
            },
        }
    }

    /// Like [`ZoneSet::reload`], over an explicit list of files.
    pub fn reload_files(
        &mut self,
        files: &[PathBuf],
        server_checks: &[(HealthCheckSpec, Position)],
        server_config: Option<&Path>,
    ) -> ReloadOutcome {
        let now = SystemTime::now();
        let (mut candidates, mut failed, parts) = self.parse(files);
        let files: &[PathBuf] = &files
            .iter()
            .filter(|f| !parts.contains(*f))
            .cloned()
            .collect::<Vec<_>>();
        // A failed file keeps serving its previous version.
        for file in failed.keys() {
            if let Some(previous) = self.loaded.get(file) {
                candidates.insert(file.clone(), previous.zone.clone());
            }
        }
        cross_check(
            &mut candidates,
            &mut failed,
            |file| self.loaded.get(file).map(|l| &l.zone),
            server_checks,
            server_config,
        );
        let (next, mut outcome) = self.commit(candidates, now);
        for (file, loaded) in &self.loaded {
            if !files.contains(file) {
                outcome.removed.push(zone_ref(file, &loaded.zone));
            }
        }
        self.attempts.retain(|file, _| files.contains(file));
        for file in files {
            let error = failed.get(file).map(|d| {
                let error = ReloadError::Invalid(Diagnostics(d.clone()));
                let text = error.to_string();
                outcome.errors.push(error);
                text
            });
            self.attempts
                .insert(file.clone(), Attempt { at: now, error });
        }
        self.loaded = next;
        for loaded in self.loaded.values() {
            let record = SerialRecord {
                serial: loaded.serial,
                content_hash: loaded.zone.content_hash,
            };
            self.serials.insert(loaded.zone.origin.clone(), record);
        }
        outcome
    }

    /// Reads every file and converts those whose text (or included files)
    /// changed; an unchanged file reuses its loaded zone. Also returns the
    /// files of the list that a zone includes (parts, not zone files).
    /// Each file is read once: a part the scan reads before its zone file
    /// waits for that zone's include to take it, and a part listed after
    /// its zone file is not read again once the zone has it.
    fn parse(&self, files: &[PathBuf]) -> (Candidates, Failed, BTreeSet<PathBuf>) {
        let mut candidates = Candidates::new();
        let mut failed = Failed::new();
        let mut maybe_parts = Vec::new();
        let mut ahead = include::ReadAhead::new();
        let mut taken: BTreeSet<PathBuf> = BTreeSet::new();
        for file in files {
            if taken.contains(file) {
                maybe_parts.push(file.clone());
                continue;
            }
            match read_zone_file(file) {
                Ok(src) if include::looks_included(src.text()) => {
                    maybe_parts.push(file.clone());
                    ahead.insert(file.clone(), src);
                }
                Ok(src) => {
                    self.parse_one(src, &mut ahead, &mut candidates, &mut failed);
                    if let Some(zone) = candidates.get(file) {
                        taken.extend(zone.includes.iter().cloned());
                    }
                }
                Err(d) => _ = failed.insert(file.clone(), vec![d]),
            }
        }
        // A failed file keeps its previous version, and with it its parts.
        let included: BTreeSet<PathBuf> = candidates
            .values()
            .chain(
                failed
                    .keys()
                    .filter_map(|f| self.loaded.get(f).map(|l| &l.zone)),
            )
            .flat_map(|z| z.includes.iter().cloned())
            .collect();
        let mut parts = BTreeSet::new();
        for file in maybe_parts {
            if included.contains(&file) {
                parts.insert(file);
                continue;
            }
            // A zone file after all (its missing `[zone]` table is then
            // reported), read again if a zone that failed took it.
            match ahead
                .remove(&file)
                .map_or_else(|| read_zone_file(&file), Ok)
            {
                Ok(src) => self.parse_one(src, &mut ahead, &mut candidates, &mut failed),
                Err(d) => _ = failed.insert(file, vec![d]),
            }
        }
        (candidates, failed, parts)
    }

    /// Converts one zone file, or reuses its loaded zone when neither its
    /// text nor its included files changed; its included files are taken
    /// from `ahead` where the scan already read them.
    fn parse_one(
        &self,
        src: Source,
        ahead: &mut include::ReadAhead,
        candidates: &mut Candidates,
        failed: &mut Failed,
    ) {
        let file = src.path().to_path_buf();
        let previous = self.loaded.get(&file);
        let includes = previous
            .and_then(|p| include::ReadIncludes::read(&src, &p.zone.include_patterns, ahead));
        let zone = match (previous, includes) {
            (Some(previous), Some(read)) if read.hash(&src) == previous.zone.content_hash => {
                previous.zone.clone()
            }
            // The included files just hashed are converted, not read again.
            (_, read) => {
                let mut load = read.unwrap_or_default().loader(ahead);
                match crate::zone::convert::convert_with(&src, &mut load) {
                    Ok(zone) => Arc::new(zone),
                    Err(diags) => {
                        failed.insert(file, diags);
                        return;
                    }
                }
            }
        };
        if zone.dnssec.is_none() && zone.keys.is_none() {
            candidates.insert(file, zone);
            return;
        }
        // A signed zone's keys are read again at every reload (a rollover
        // step changes them, not the zone file), so it is a new version.
        let mut keyed = (*zone).clone();
        match crate::control::zone_keys::attach_keys(&mut keyed, &self.keys_dir) {
            Ok(()) => _ = candidates.insert(file, Arc::new(keyed)),
            Err(d) => _ = failed.insert(file, vec![d]),
        }
    }

    /// The next loaded set: `candidates`, each with its serial and load
    /// time; the outcome lists what was added, changed or unchanged.
    fn commit(
        &self,
        candidates: Candidates,
        now: SystemTime,
    ) -> (BTreeMap<PathBuf, Loaded>, ReloadOutcome) {
        let mut outcome = ReloadOutcome::default();
        let mut next: BTreeMap<PathBuf, Loaded> = BTreeMap::new();
        for (file, zone) in candidates {
            let previous = self.loaded.get(&file);
            let serial = match (zone.soa.serial, previous) {
                (Some(serial), _) => serial,
                (None, Some(p)) if p.zone.content_hash == zone.content_hash => p.serial,
                (None, Some(p)) => derived_serial(Some(p.serial), now),
                (None, None) => match self.serials.get(&zone.origin) {
                    Some(r) if r.content_hash == zone.content_hash => r.serial,
                    Some(r) => derived_serial(Some(r.serial), now),
                    None => derived_serial(None, now),
                },
            };
            let unchanged = previous.is_some_and(|p| p.zone.content_hash == zone.content_hash);
            let list = match previous {
                None => &mut outcome.added,
                Some(_) if unchanged => &mut outcome.unchanged,
                Some(_) => &mut outcome.changed,
            };
            list.push(zone_ref(&file, &zone));
            let sets = zone.record_sets.len();
            let loaded = match previous {
                // The same model (a signed zone's keys make a new one at
                // every reload); `compiled_with` checks the serial.
                Some(p) if unchanged && Arc::ptr_eq(&p.zone, &zone) => Loaded {
                    serial,
                    ..p.clone()
                },
                Some(p) if unchanged => Loaded {
                    zone,
                    serial,
                    loaded_at: p.loaded_at,
                    compiled: None,
                    slim: false,
                    sets,
                },
                _ => Loaded {
                    zone,
                    serial,
                    loaded_at: now,
                    compiled: None,
                    slim: false,
                    sets,
                },
            };
            next.insert(file, loaded);
        }
        (next, outcome)
    }

    /// Every loaded zone compiled, each with the id `assign_ids` gives its
    /// origin (called once with every origin, in order). A zone compiled
    /// by an earlier call with the same id is shared, not compiled again;
    /// the updater publishes the result.
    pub fn compile(
        &mut self,
        assign_ids: impl FnOnce(&[Name]) -> Vec<ZoneId>,
    ) -> (Vec<Arc<CompiledZone>>, Vec<ZoneFileReport>) {
        let origins: Vec<Name> = self
            .loaded
            .values()
            .map(|l| l.zone.origin.clone())
            .collect();
        let ids = assign_ids(&origins);
        let mut fresh = 0;
        let compiled = self
            .loaded
            .iter_mut()
            .zip(ids)
            .map(|((file, l), id)| {
                let (compiled, new) = l.compiled_with(file, id);
                fresh += usize::from(new);
                compiled
            })
            .collect::<Vec<_>>();
        tracing::debug!(target: "alwayson::reload", compiled = fresh, shared = compiled.len() - fresh, "zones compiled");
        let reports = self
            .attempts
            .iter()
            .map(|(file, attempt)| {
                let loaded = self.loaded.get(file);
                ZoneFileReport {
                    file: file.clone(),
                    origin: loaded.map(|l| l.zone.origin.clone()),
                    serial: loaded.map(|l| l.serial),
                    records: loaded.map_or(0, |l| l.sets),
                    loaded_at: loaded.map_or(attempt.at, |l| l.loaded_at),
                    error: attempt.error.clone(),
                }
            })
            .collect();
        (compiled, reports)
    }

    /// Drops the record sets of every compiled zone's model (see
    /// `slim.rs`); the updater calls it once the table that holds them is
    /// published.
    pub fn slim_compiled(&mut self) {
        for loaded in self.loaded.values_mut() {
            loaded.slim_model();
        }
    }

    /// Every health check declared in a loaded zone.
    pub fn health_checks(&self) -> impl Iterator<Item = &HealthCheckSpec> {
        self.loaded
            .values()
            .flat_map(|l| l.zone.health_checks.iter().map(|(s, _)| s))
    }

    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.loaded.values().map(|l| &*l.zone)
    }
}

fn zone_ref(file: &Path, zone: &Zone) -> ZoneRef {
    ZoneRef {
        origin: zone.origin.clone(),
        file: file.to_path_buf(),
    }
}
