//! The command line (clap): `serve` (with `--listen`, `--zones-dir` and
//! `--admin-listen` for runs without a config file), `check`, `import`,
//! `dnssec keygen`/`dnssec ds`, `geoip build`, and the mapping of outcomes to exit codes (0 ok, 1 runtime
//! failure, 2 bad usage or invalid configuration).

mod dnssec;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Overrides;
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
    /// DNSSEC keys: make them, print the DS for the registrar.
    Dnssec {
        #[command(subcommand)]
        command: dnssec::DnssecCommand,
    },
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
    /// Answer DNS on ADDR (UDP and TCP) instead of `[dns] listen`; repeat for several.
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<SocketAddr>,
    /// Serve the zone files in DIR instead of `[dns] zones_dir`.
    #[arg(long, value_name = "DIR")]
    pub zones_dir: Option<PathBuf>,
    /// Admin API address instead of `[admin] listen`; "off" disables the API.
    #[arg(long, value_name = "ADDR|off")]
    pub admin_listen: Option<AdminListen>,
}

impl ServeArgs {
    /// The values that replace the config file's.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            dns_listen: self.listen.clone(),
            zones_dir: self.zones_dir.clone(),
            admin_listen: self.admin_listen.map(|a| a.0),
        }
    }
}

/// `--admin-listen`: an address, or `off` (None).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminListen(pub Option<SocketAddr>);

/// An `--admin-listen` value that is neither an address nor `off`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address like 127.0.0.1:8053, or \"off\"")]
pub struct AdminListenError(String);

impl FromStr for AdminListen {
    type Err = AdminListenError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim() == "off" {
            return Ok(Self(None));
        }
        text.trim()
            .parse::<SocketAddr>()
            .map(|a| Self(Some(a)))
            .map_err(|_| AdminListenError(text.to_string()))
    }
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
        Command::Serve(args) => crate::app::serve(args.config.as_deref(), &args.overrides()),
        Command::Check(args) => crate::app::check(args.config.as_deref(), &args.zone_files),
        Command::Import(args) => import(&args),
        Command::Dnssec { command } => dnssec::run(&command),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_flags_become_overrides() {
        let cli = Cli::try_parse_from([
            "alwayson",
            "serve",
            "--listen",
            "127.0.0.1:5301",
            "--listen",
            "[::1]:5301",
            "--zones-dir",
            "z",
            "--admin-listen",
            "off",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve: {:?}", cli.command);
        };
        assert_eq!(
            args.overrides(),
            Overrides {
                dns_listen: vec![
                    "127.0.0.1:5301".parse().unwrap(),
                    "[::1]:5301".parse().unwrap()
                ],
                zones_dir: Some(PathBuf::from("z")),
                admin_listen: Some(None),
            }
        );
        let err =
            Cli::try_parse_from(["alwayson", "serve", "--listen", "localhost:53"]).unwrap_err();
        assert!(err.use_stderr());
        let err = Cli::try_parse_from(["alwayson", "serve", "--admin-listen", "on"]).unwrap_err();
        assert!(err.to_string().contains("or \"off\""), "{err}");
    }
}
