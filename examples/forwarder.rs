//! Runs only the `[[forwarder]]` sections of an `alwayson.toml`, with the
//! same command line as `alwayson serve --config FILE`: a stand-in for
//! `benches/forwarder.sh` until `serve` starts the forwarders itself.

use std::process::ExitCode;
use std::sync::Arc;

use alwayson::diag::Source;
use alwayson::forwarder::{Forwarders, RawForwarder, convert_all};
use alwayson::table::{Snapshot, SnapshotStore};
use serde::Deserialize;

/// Only the forwarders; the other sections of the file are not read here.
#[derive(Deserialize)]
struct ForwardersOnly {
    #[serde(default)]
    forwarder: Vec<toml::Spanned<RawForwarder>>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
    else {
        eprintln!("usage: forwarder serve --config FILE");
        return ExitCode::from(2);
    };
    let src = match Source::read(path.as_ref()) {
        Ok(src) => src,
        Err(d) => {
            eprintln!("{d}");
            return ExitCode::from(2);
        }
    };
    let raw: ForwardersOnly = match toml::from_str(src.text()) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("{}", src.toml_error(&e));
            return ExitCode::from(2);
        }
    };
    let mut diags = Vec::new();
    let configs = convert_all(&raw.forwarder, &src, &mut diags);
    if !diags.is_empty() {
        for d in diags {
            eprintln!("{d}");
        }
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async {
        let mut forwarders = Forwarders::new(Arc::new(SnapshotStore::new(Snapshot::default())));
        let errors = forwarders.apply(&configs).await;
        for e in &errors {
            eprintln!("{e}");
        }
        for (name, addr) in forwarders.local_addrs() {
            eprintln!("forwarder {name} listening on {addr}");
        }
        let _ = tokio::signal::ctrl_c().await;
        forwarders.shutdown().await;
        if errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    })
}
