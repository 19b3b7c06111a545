//! The command line (clap): `serve`, `check`, `import`, `geoip build`, and the
//! mapping of outcomes to exit codes (0 ok, 1 runtime failure, 2 bad usage or
//! invalid configuration).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::telemetry::{self, LogFormat};

#[derive(Debug, Parser)]
#[command(
    name = "alwayson",
    version,
    about = "Authoritative DNS with health-checked failover"
)]
pub struct Cli {
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (-q warnings only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the DNS server, health checkers, admin API and forwarders.
    Serve(ServeArgs),
    /// Validate the config and zones without serving.
    Check(CheckArgs),
    /// Convert an RFC 1035 (BIND) zone file to zone TOML on stdout.
    Import(ImportArgs),
    /// GeoIP database tools.
    Geoip {
        #[command(subcommand)]
        command: GeoipCommand,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Server config file (default: ./alwayson.toml if present, else built-in defaults).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Server config file (default: ./alwayson.toml if present, else built-in defaults).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Zone files to check (default: every zone of the config).
    pub zone_files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The RFC 1035 zone file.
    pub file: PathBuf,
    /// The zone origin, when the file has no $ORIGIN.
    #[arg(long)]
    pub origin: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum GeoipCommand {
    /// Build a MaxMind DB from a CSV of network,continent,country,subdivision,latitude,longitude.
    Build {
        /// The CSV file.
        csv: PathBuf,
        /// Where to write the .mmdb file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let format = match cli.log_format {
        LogFormatArg::Text => LogFormat::Text,
        LogFormatArg::Json => LogFormat::Json,
    };
    telemetry::init(cli.verbose, cli.quiet, format);
    match cli.command {
        Command::Serve(args) => crate::app::serve(args.config.as_deref()),
        Command::Check(args) => crate::app::check(args.config.as_deref(), &args.zone_files),
        Command::Import(args) => import(&args),
        Command::Geoip {
            command: GeoipCommand::Build { csv, output },
        } => geoip_build(&csv, &output),
    }
}

fn import(args: &ImportArgs) -> ExitCode {
    match crate::import::import_file(&args.file, args.origin.as_deref()) {
        Ok(toml) => {
            print!("{toml}");
            ExitCode::SUCCESS
        }
        Err(diags) => {
            eprintln!("{diags}");
            ExitCode::from(2)
        }
    }
}

fn geoip_build(csv: &std::path::Path, output: &std::path::Path) -> ExitCode {
    match crate::geo::build::build_file(csv, output) {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(diags) => {
            eprintln!("{diags}");
            ExitCode::from(2)
        }
    }
}
