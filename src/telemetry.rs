//! Logging setup: level from `RUST_LOG` or `-v`/`-q`, text or JSON lines.
//! Colours only when stderr is a terminal, so journald and log files get
//! plain lines.
//!
//! hickory's server logs every query at INFO; that costs about 25 % CPU under
//! load, so it is capped at WARN unless `RUST_LOG` names it explicitly.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber; a second call is a no-op.
pub fn init(verbose: u8, quiet: u8, format: LogFormat) {
    let level = match (i16::from(verbose) - i16::from(quiet)).clamp(-2, 2) {
        -2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(format!(
            "{level},hickory_server=warn,hickory_proto=warn,notify=error"
        )),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
