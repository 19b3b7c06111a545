//! The reference in `docs/` cannot drift from the code: every key the
//! config and zone-file parsers accept, every metric `/metrics` renders,
//! every admin route, every command-line command and flag and every
//! record type zone files take must appear in it, written in backticks.
//!
//! The keys are asked of the parsers themselves: each raw mirror denies
//! unknown fields, so a probe key placed in a table makes serde list the
//! fields it expects there; the probe then descends into every field that
//! is a table, an array of tables or a map of tables. A key added to a raw
//! struct thus shows up here without any list to update.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use serde::de::DeserializeOwned;
use toml::{Table, Value};

use alwayson::config::raw::RawServerConfig;
use alwayson::zone::raw::RawZoneFile;

/// A key no raw mirror has.
const PROBE: &str = "zzz_probe_key";

/// How a path reaches a table: a key, an array of tables, a map of tables.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Array,
    Map,
}

/// Every file under `docs/`, concatenated.
fn reference() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `steps` as the reference writes it: `a.b`, `a[].b`, `a.<id>.b`.
fn dotted(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Array => out.push_str("[]"),
            Step::Map => out.push_str(".<id>"),
        }
    }
    out
}

/// A document holding `inner` at `steps`.
fn document(steps: &[Step], inner: Value) -> Table {
    let mut value = inner;
    for step in steps.iter().rev() {
        value = match step {
            Step::Key(k) => Value::Table(Table::from_iter([(k.clone(), value)])),
            Step::Array => Value::Array(vec![value]),
            Step::Map => Value::Table(Table::from_iter([("some-id".to_string(), value)])),
        };
    }
    match value {
        Value::Table(t) => t,
        other => panic!("a document is a table, got {other}"),
    }
}

/// The fields `T` expects in the table at `steps`, or None when that is no
/// struct (a plain value, a list of values, an untagged enum).
fn fields_at<T: DeserializeOwned>(steps: &[Step]) -> Option<Vec<String>> {
    let probe = Value::Table(Table::from_iter([(PROBE.to_string(), Value::Integer(1))]));
    let text = toml::to_string(&document(steps, probe)).unwrap();
    let message = toml::from_str::<T>(&text).err()?.to_string();
    let at = message.find(&format!("unknown field `{PROBE}`"))?;
    let rest = &message[at + PROBE.len() + 16..];
    let rest = rest.lines().next().unwrap_or_default();
    Some(
        rest.split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect(),
    )
}

/// Every key `T` accepts, as dotted paths, leaves only.
fn accepted_keys<T: DeserializeOwned>() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut tables = vec![Vec::new()];
    while let Some(steps) = tables.pop() {
        let fields = fields_at::<T>(&steps)
            .unwrap_or_else(|| panic!("{} should be a table", dotted(&steps)));
        for field in fields {
            let mut path = steps.clone();
            path.push(Step::Key(field));
            let nested = [None, Some(Step::Array), Some(Step::Map)]
                .into_iter()
                .map(|extra| path.iter().cloned().chain(extra).collect::<Vec<_>>())
                .find(|candidate| fields_at::<T>(candidate).is_some());
            match nested {
                Some(table) => tables.push(table),
                None => {
                    keys.insert(dotted(&path));
                }
            }
        }
    }
    keys
}

/// The names of `names` that `text` does not hold in backticks.
fn undocumented(names: impl IntoIterator<Item = String>, text: &str) -> Vec<String> {
    names
        .into_iter()
        .filter(|name| !text.contains(&format!("`{name}`")))
        .collect()
}

/// Every metric family `/metrics` can render (forwarder ones included).
fn metric_names() -> BTreeSet<String> {
    let metrics = alwayson::metrics::Metrics::new();
    let snapshot = alwayson::table::Snapshot::default();
    let row = alwayson::metrics::render::ForwarderBackendStats::default();
    let text = alwayson::metrics::render(&metrics, &snapshot, &[row]);
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

/// `METHOD /path` of every route in the admin router's source.
fn admin_routes() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/admin/mod.rs");
    let source = std::fs::read_to_string(path).unwrap();
    let mut routes = BTreeSet::new();
    for call in source.split(".route(").skip(1) {
        let call = call.split(".fallback(").next().unwrap_or(call);
        let route = call.split('"').nth(1).unwrap();
        for method in ["get", "post", "put", "delete", "patch"] {
            let used = call
                .match_indices(&format!("{method}("))
                .any(|(at, _)| at == 0 || !call.as_bytes()[at - 1].is_ascii_alphanumeric());
            if used {
                routes.insert(format!("{} {route}", method.to_uppercase()));
            }
        }
    }
    routes
}

/// `alwayson <command>` for every command, and every `--flag`.
fn command_line() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![(String::from("alwayson"), alwayson::cli::Cli::command())];
    while let Some((name, command)) = stack.pop() {
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long() {
                out.insert(format!("--{long}"));
            }
        }
        for sub in command.get_subcommands() {
            let full = format!("{name} {}", sub.get_name());
            out.insert(full.clone());
            stack.push((full, sub.clone()));
        }
    }
    out.remove("--help");
    out.remove("--version");
    out
}

#[test]
fn the_probe_finds_the_keys_of_every_kind_of_table() {
    let config = accepted_keys::<RawServerConfig>();
    for key in [
        "dns.listen",
        "admin.token",
        "reload.debounce",
        "forwarder[].backends[].health_check",
        "health_check.<id>.type",
    ] {
        assert!(config.contains(key), "{key} not in {config:#?}");
    }
    let zones = accepted_keys::<RawZoneFile>();
    for key in [
        "zone.soa.minimum",
        "record[].when_all_down",
        "record[].geoproximity",
        "health_check.<id>.healthy_when",
    ] {
        assert!(zones.contains(key), "{key} not in {zones:#?}");
    }
    let docs = "`dns.listen` `forwarder[].name`";
    assert_eq!(
        undocumented(["dns.listen".into(), "dns.zones_dir".into()], docs),
        ["dns.zones_dir"]
    );
    assert!(metric_names().contains("alwayson_forwarder_bytes_total"));
    assert!(admin_routes().contains("PUT /api/v1/health-checks/{id}/override"));
    assert!(command_line().contains("alwayson geoip build"));
}

#[test]
fn every_config_and_zone_file_key_is_in_the_reference() {
    let docs = reference();
    let missing = undocumented(accepted_keys::<RawServerConfig>(), &docs);
    assert!(
        missing.is_empty(),
        "alwayson.toml keys missing from docs/: {missing:?}"
    );
    let missing = undocumented(accepted_keys::<RawZoneFile>(), &docs);
    assert!(
        missing.is_empty(),
        "zone file keys missing from docs/: {missing:?}"
    );
}

#[test]
fn every_metric_route_command_and_record_type_is_in_the_reference() {
    let docs = reference();
    let missing = undocumented(metric_names(), &docs);
    assert!(
        missing.is_empty(),
        "metrics missing from docs/: {missing:?}"
    );
    let missing = undocumented(admin_routes(), &docs);
    assert!(
        missing.is_empty(),
        "admin routes missing from docs/: {missing:?}"
    );
    let missing = undocumented(command_line(), &docs);
    assert!(
        missing.is_empty(),
        "commands and flags missing from docs/: {missing:?}"
    );
    let types = alwayson::zone::rdata::SUPPORTED_TYPES
        .iter()
        .map(ToString::to_string);
    let missing = undocumented(types, &docs);
    assert!(
        missing.is_empty(),
        "record types missing from docs/: {missing:?}"
    );
}
