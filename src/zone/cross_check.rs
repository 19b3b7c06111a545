//! Rules across zone files, checked after every file converted on its own:
//! one file per origin (the file already serving it keeps it); health check
//! ids unique across the zone files and `alwayson.toml`; every referenced
//! id (record sets, calculated checks' children) exists; no cycle of
//! calculated checks.
//!
//! Invariant: a file that breaks a rule falls back to its previous version
//! (or is not served), and its problems land in `failed` with their
//! `file:line:col`. Pure: no file is read here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::health::spec::{HealthCheckSpec, calculated_cycles};
use crate::health::{CheckId, CheckKind};
use crate::zone::model::{Position, Zone};

/// A falling-back file can break a rule again (its previous version may
/// clash with another new file); a few rounds settle every realistic case.
const ROUNDS: usize = 3;

/// Problems found in one round, by file.
type Problems = BTreeMap<PathBuf, Vec<Diagnostic>>;

/// Where each health check id is defined, as `file:line:col` text.
type DefinedAt = HashMap<String, String>;

/// Applies the cross-file rules to `candidates` (the zones about to be
/// served, by file; shared, so that an unchanged zone is never copied). `previous` gives the version a file served before this
/// reload, if any; `server_checks` are the checks of `alwayson.toml` (at
/// `server_config`).
pub fn cross_check<'a>(
    candidates: &mut BTreeMap<PathBuf, Arc<Zone>>,
    failed: &mut BTreeMap<PathBuf, Vec<Diagnostic>>,
    previous: impl Fn(&Path) -> Option<&'a Arc<Zone>>,
    server_checks: &[(HealthCheckSpec, Position)],
    server_config: Option<&Path>,
) {
    for _round in 0..ROUNDS {
        let problems = find_problems(candidates, &previous, server_checks, server_config);
        if problems.is_empty() {
            return;
        }
        fall_back(problems, candidates, failed, &previous);
    }
}

/// Every rule, over the current candidates.
fn find_problems<'a>(
    candidates: &BTreeMap<PathBuf, Arc<Zone>>,
    previous: &impl Fn(&Path) -> Option<&'a Arc<Zone>>,
    server_checks: &[(HealthCheckSpec, Position)],
    server_config: Option<&Path>,
) -> Problems {
    let mut problems = Problems::new();
    duplicate_origins(candidates, previous, &mut problems);
    let defined = duplicate_check_ids(candidates, server_checks, server_config, &mut problems);
    let known: HashSet<&str> = defined.keys().map(String::as_str).collect();
    calculated_checks(candidates, server_checks, &known, &mut problems);
    unknown_record_checks(candidates, &known, &mut problems);
    problems
}

/// One file per origin; a file that served the origin before keeps it.
fn duplicate_origins<'a>(
    candidates: &BTreeMap<PathBuf, Arc<Zone>>,
    previous: &impl Fn(&Path) -> Option<&'a Arc<Zone>>,
    problems: &mut Problems,
) {
    let mut origins: HashMap<String, &PathBuf> = HashMap::new();
    let mut order: Vec<&PathBuf> = candidates.keys().collect();
    order.sort_by_key(|f| previous(f).is_none());
    for file in order {
        let origin = candidates[file].origin.to_string();
        if let Some(other) = origins.get(&origin) {
            let message = format!("zone {origin} is already served from {}", other.display());
            let zone = &candidates[file];
            let start = Position {
                line: 1,
                col: 1,
                source: 0,
            };
            report(problems, file, zone, start, message);
        } else {
            origins.insert(origin, file);
        }
    }
}

/// Health check ids are global: one definition across the server config
/// and every zone file. Returns where each id is defined.
fn duplicate_check_ids(
    candidates: &BTreeMap<PathBuf, Arc<Zone>>,
    server_checks: &[(HealthCheckSpec, Position)],
    server_config: Option<&Path>,
    problems: &mut Problems,
) -> DefinedAt {
    let mut defined = DefinedAt::new();
    for (spec, pos) in server_checks {
        let at = server_config.map_or("alwayson.toml".to_string(), |p| located(p, *pos));
        defined.insert(spec.id.to_string(), at);
    }
    for (file, zone) in candidates {
        for (spec, pos) in &zone.health_checks {
            match defined.get(&*spec.id) {
                Some(at) => {
                    let message = format!(
                        "health check {:?} is already defined at {at}; ids are global",
                        spec.id
                    );
                    report(problems, file, zone, *pos, message);
                }
                None => {
                    defined.insert(spec.id.to_string(), located(zone.file_at(*pos), *pos));
                }
            }
        }
    }
    defined
}

/// A calculated check names only known children and is in no cycle.
fn calculated_checks(
    candidates: &BTreeMap<PathBuf, Arc<Zone>>,
    server_checks: &[(HealthCheckSpec, Position)],
    known: &HashSet<&str>,
    problems: &mut Problems,
) {
    let all_specs: Vec<HealthCheckSpec> = server_checks
        .iter()
        .map(|(s, _)| s.clone())
        .chain(
            candidates
                .values()
                .flat_map(|z| z.health_checks.iter().map(|(s, _)| s.clone())),
        )
        .collect();
    let cycles: Vec<CheckId> = calculated_cycles(&all_specs);
    for (file, zone) in candidates {
        for (spec, pos) in &zone.health_checks {
            if let CheckKind::Calculated { children, .. } = &spec.kind {
                for child in children.iter().filter(|c| !known.contains(&***c)) {
                    let message = format!(
                        "calculated check {:?} names unknown child {child:?}",
                        spec.id
                    );
                    report(problems, file, zone, *pos, message);
                }
            }
            if cycles.contains(&spec.id) {
                let message = format!(
                    "calculated check {:?} is part of a cycle of calculated checks",
                    spec.id
                );
                report(problems, file, zone, *pos, message);
            }
        }
    }
}

/// Every record set's health check exists.
fn unknown_record_checks(
    candidates: &BTreeMap<PathBuf, Arc<Zone>>,
    known: &HashSet<&str>,
    problems: &mut Problems,
) {
    for (file, zone) in candidates {
        // In file order (the model is in name order).
        let mut sets: Vec<_> = zone
            .record_sets
            .iter()
            .filter(|s| s.health_check().is_some())
            .collect();
        sets.sort_by_key(|s| (s.position.source, s.position.line, s.position.col));
        for set in sets {
            if let Some(id) = set.health_check()
                && !known.contains(&**id)
            {
                let message = format!(
                    "unknown health check {id:?}; define it as [health_check.{id}] in a zone file or alwayson.toml"
                );
                report(problems, file, zone, set.position, message);
            }
        }
    }
}

/// Moves each file with problems back to its previous version (or out of
/// the served set, when it has none or the previous version is the one
/// that broke the rule) and records the problems.
fn fall_back<'a>(
    problems: Problems,
    candidates: &mut BTreeMap<PathBuf, Arc<Zone>>,
    failed: &mut BTreeMap<PathBuf, Vec<Diagnostic>>,
    previous: &impl Fn(&Path) -> Option<&'a Arc<Zone>>,
) {
    for (file, diags) in problems {
        let before = previous(&file);
        let is_previous = before.is_some_and(|p| {
            candidates
                .get(&file)
                .is_some_and(|c| c.content_hash == p.content_hash)
        });
        failed.entry(file.clone()).or_default().extend(diags);
        match before {
            Some(p) if !is_previous => {
                candidates.insert(file, p.clone());
            }
            _ => {
                candidates.remove(&file);
            }
        }
    }
}

/// A problem of the zone in `file` at `pos` (which may be in one of its
/// included files).
fn report(problems: &mut Problems, file: &Path, zone: &Zone, pos: Position, message: String) {
    problems
        .entry(file.to_path_buf())
        .or_default()
        .push(Diagnostic {
            file: zone.file_at(pos).to_path_buf(),
            line: pos.line_col().0,
            col: pos.line_col().1,
            message,
        });
}

fn located(file: &Path, pos: Position) -> String {
    format!("{}:{}:{}", file.display(), pos.line, pos.col)
}
