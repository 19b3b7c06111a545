//! The house rules of ARCHITECTURE.md, checked on the source: which module
//! may import which (a layer imports only from layers below it, so there is
//! no cycle between modules), no import cycle between the files of one
//! module, a pure `table`, and a DNS layer that never reaches into zone-file
//! types. Reads `src/` as text: `use` lines and `crate::`/`super::` paths
//! outside comments and `#[cfg(test)]` code.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Bottom first. A module may import from any module of a lower layer and
/// from no module of its own layer or above.
const LAYERS: &[&[&str]] = &[
    &["diag", "duration", "process", "telemetry"],
    &["geo", "health", "dnssec"],
    &["policy"],
    &["zone"],
    &["table", "import"],
    &["metrics"],
    &["dns", "forwarder", "cluster"],
    &["config"],
    &["control"],
    &["admin"],
    &["app"],
    &["cli"],
];

/// Imports that the layers would allow but the design forbids.
const FORBIDDEN: &[(&str, &str, &str)] = &[(
    "dns",
    "zone",
    "the DNS layer never reaches into zone-file types",
)];

/// Text that must not appear in `table/`: it reads no files and spawns nothing.
const TABLE_IS_PURE: &[&str] = &[
    "std::fs",
    "File::open",
    "tokio::spawn",
    "tokio::task",
    "spawn_blocking",
    "std::thread",
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, except test-only files.
fn source_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![src_dir()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name != "tests" {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a file: `src/dns/handler.rs` → `["dns", "handler"]`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src_dir()).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without `#[cfg(test)]` items.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut skip_depth: Option<i32> = None;
    let mut depth = 0i32;
    let mut pending_test = false;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let trimmed = code.trim();
        if trimmed.starts_with("#[cfg(test)]") {
            pending_test = true;
            continue;
        }
        let opens = code.matches('{').count() as i32;
        let closes = code.matches('}').count() as i32;
        if pending_test {
            if trimmed.ends_with(';') && opens == 0 {
                // `#[cfg(test)] mod tests;`
                pending_test = false;
                continue;
            }
            if opens > 0 {
                skip_depth = Some(depth);
                pending_test = false;
            }
        }
        depth += opens - closes;
        if let Some(d) = skip_depth {
            if depth <= d {
                skip_depth = None;
            }
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Every path a file names: `crate::a::b`, `super::a`, `self::a`, including
/// those inside `use x::{a, b::{c}}` groups, as absolute module paths.
fn referenced_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            if at > 1 && &code[at - 2..at] == "::" {
                continue;
            }
            // `module_of` already names a `mod.rs` by its folder, so `super`
            // is one step up from every file and `self` is the file itself.
            let base: Vec<String> = match start {
                "crate::" => Vec::new(),
                "super::" => module[..module.len().saturating_sub(1)].to_vec(),
                _ => module.to_vec(),
            };
            expand(&code[from..], base, &mut out);
        }
    }
    out
}

/// Reads a path (maybe with `{...}` groups) from the start of `rest`.
fn expand(rest: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = base;
    let mut chars = rest.char_indices().peekable();
    let mut ident = String::new();
    while let Some((i, c)) = chars.next() {
        if c.is_ascii_alphanumeric() || c == '_' {
            ident.push(c);
        } else if c == ':' && chars.peek().is_some_and(|(_, n)| *n == ':') {
            chars.next();
            if !ident.is_empty() {
                if ident != "super" {
                    path.push(std::mem::take(&mut ident));
                } else {
                    path.pop();
                    ident.clear();
                }
            }
        } else if c == '{' {
            let inner = group_body(&rest[i + 1..]);
            for item in split_top_level(inner) {
                expand(item.trim(), path.clone(), out);
            }
            return;
        } else {
            break;
        }
    }
    if !ident.is_empty() && ident != "self" {
        path.push(ident);
    }
    out.push(path);
}

fn group_body(text: &str) -> &str {
    let mut depth = 1;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    text
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// The file that defines the longest prefix of `path` that is a module.
fn file_for(path: &[String], modules: &BTreeMap<Vec<String>, PathBuf>) -> Option<PathBuf> {
    (1..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n]).cloned())
}

struct Graph {
    /// file → files it imports (re-export edges from a module into its own
    /// children are left out: they are declarations, not dependencies).
    files: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    modules: BTreeMap<PathBuf, Vec<String>>,
}

fn graph() -> Graph {
    let files = source_files();
    let by_module: BTreeMap<Vec<String>, PathBuf> =
        files.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut edges = BTreeMap::new();
    let mut modules = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let is_mod_file = file
            .file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs");
        let text = fs::read_to_string(file).unwrap_or_default();
        let code = code_of(&text);
        let mut targets = BTreeSet::new();
        for path in referenced_paths(&module, &code) {
            let Some(target) = file_for(&path, &by_module) else {
                continue;
            };
            let target_module = module_of(&target);
            let into_own_child = is_mod_file && target_module.starts_with(&module);
            if target != *file && !into_own_child {
                targets.insert(target);
            }
        }
        edges.insert(file.clone(), targets);
        modules.insert(file.clone(), module);
    }
    Graph {
        files: edges,
        modules,
    }
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(src_dir().parent().unwrap_or(Path::new("")))
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_module_has_a_layer() {
    let graph = graph();
    let unknown: BTreeSet<&str> = graph
        .modules
        .values()
        .filter_map(|m| m.first().map(String::as_str))
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "modules missing from LAYERS (add them to tests/it/layering.rs and ARCHITECTURE.md): {unknown:?}"
    );
}

#[test]
fn modules_import_only_from_lower_layers() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (file, targets) in &graph.files {
        let Some(from) = graph.modules[file].first() else {
            continue;
        };
        for target in targets {
            let Some(to) = graph.modules[target].first() else {
                continue;
            };
            if from == to {
                continue;
            }
            let (Some(lf), Some(lt)) = (layer_of(from), layer_of(to)) else {
                continue;
            };
            if lt >= lf {
                wrong.push(format!(
                    "{} imports {} ({from} may not use {to})",
                    rel(file),
                    rel(target)
                ));
            }
            if let Some((_, _, why)) = FORBIDDEN.iter().find(|(f, t, _)| f == from && t == to) {
                wrong.push(format!("{} imports {}: {why}", rel(file), rel(target)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_import_cycle_between_files() {
    let graph = graph();
    let mut cycles = BTreeSet::new();
    for start in graph.files.keys() {
        // Depth-first search for a path back to `start`.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in &graph.files[&at] {
                if next == start {
                    let mut ring: Vec<String> = path.iter().map(|p| rel(p)).collect();
                    let min = ring
                        .iter()
                        .position(|r| r == ring.iter().min().unwrap_or(r));
                    ring.rotate_left(min.unwrap_or(0));
                    cycles.insert(ring.join(" -> "));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between files:\n{}",
        cycles.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_table_is_pure() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (file, module) in &graph.modules {
        if module.first().map(String::as_str) != Some("table") {
            continue;
        }
        let code = code_of(&fs::read_to_string(file).unwrap_or_default());
        for needle in TABLE_IS_PURE {
            if code.contains(needle) {
                wrong.push(format!("{} uses {needle}", rel(file)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "table/ must read no files and spawn nothing:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_reader_finds_imports() {
    // A check of the checker: a `use` group and a `super::` path resolve.
    let code =
        "use crate::table::{Snapshot, zone_table::{CompiledZone, Node}};\nuse super::pool::Pool;";
    let module = vec!["forwarder".to_string(), "session".to_string()];
    let paths = referenced_paths(&module, code);
    assert!(paths.contains(&vec!["table".into(), "Snapshot".into()]));
    assert!(paths.contains(&vec!["table".into(), "zone_table".into(), "Node".into()]));
    assert!(paths.contains(&vec!["forwarder".into(), "pool".into(), "Pool".into()]));
    let skipped =
        code_of("use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\nuse crate::c;");
    assert!(skipped.contains("crate::a") && skipped.contains("crate::c"));
    assert!(!skipped.contains("crate::b"));
}
