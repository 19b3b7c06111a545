//! `alwayson dnssec keygen ZONE` and `alwayson dnssec ds ZONE`: make a key
//! in the keys folder of `alwayson.toml` and print what the registrar
//! needs (DS, and the DNSKEY for registries that take keys).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use hickory_proto::rr::Name;

use crate::dnssec::folder::{keygen, read_keys};
use crate::dnssec::{KeyState, Role, SignAlgorithm, ZoneKey};

#[derive(Debug, Subcommand)]
pub enum DnssecCommand {
    /// Make a signing key for ZONE (PKCS#8, mode 0600) and list it in the zone's key-state file.
    Keygen(KeygenArgs),
    /// Print the DS records and DNSKEYs of ZONE's CSK/KSK keys, for the registrar.
    Ds(DsArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The zone, e.g. example.com.
    pub zone: String,
    /// Server config file, for `[dnssec] keys_dir` (default: ./alwayson.toml if present).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Ecdsap256sha256)]
    pub algorithm: AlgorithmArg,
    /// csk signs everything; ksk only the DNSKEY set; zsk everything else.
    #[arg(long, value_enum, default_value_t = RoleArg::Csk)]
    pub role: RoleArg,
    /// The key's state (default: active for a zone's first key, else published).
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,
}

#[derive(Debug, Args)]
pub struct DsArgs {
    /// The zone, e.g. example.com.
    pub zone: String,
    /// Server config file, for `[dnssec] keys_dir` (default: ./alwayson.toml if present).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AlgorithmArg {
    /// ECDSA P-256 with SHA-256 (algorithm 13).
    Ecdsap256sha256,
    /// Ed25519 (algorithm 15).
    Ed25519,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Csk,
    Ksk,
    Zsk,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StateArg {
    Published,
    Active,
    Retired,
}

/// Why a `dnssec` command failed; its text is what the user reads.
#[derive(Debug, thiserror::Error)]
pub enum DnssecCliError {
    /// The ZONE argument is not a domain name.
    #[error("{0:?} is not a zone name: {1}")]
    ZoneName(String, String),
    /// `alwayson.toml` does not load.
    #[error("{0}")]
    Config(crate::diag::Diagnostics),
    /// The keys folder or a key in it.
    #[error("{0}")]
    Keys(#[from] crate::dnssec::folder::FolderError),
    /// A DS could not be computed.
    #[error("{0}")]
    Key(#[from] crate::dnssec::keys::KeyError),
    /// `ds` found no key a parent could point at.
    #[error("{0}: no CSK or KSK that is published or active")]
    NoSepKey(String),
}

pub fn run(command: &DnssecCommand) -> ExitCode {
    let result = match command {
        DnssecCommand::Keygen(args) => run_keygen(args),
        DnssecCommand::Ds(args) => run_ds(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

fn zone_and_dir(
    zone: &str,
    config: Option<&std::path::Path>,
) -> Result<(Name, PathBuf), DnssecCliError> {
    let text = if zone.ends_with('.') {
        zone.to_string()
    } else {
        format!("{zone}.")
    };
    let origin = Name::from_ascii(&text)
        .map_err(|e| DnssecCliError::ZoneName(zone.to_string(), e.to_string()))?
        .to_lowercase();
    let config = crate::config::load(config).map_err(DnssecCliError::Config)?;
    Ok((origin, config.dnssec.keys_dir))
}

fn run_keygen(args: &KeygenArgs) -> Result<(), DnssecCliError> {
    let (origin, dir) = zone_and_dir(&args.zone, args.config.as_deref())?;
    let algorithm = match args.algorithm {
        AlgorithmArg::Ecdsap256sha256 => SignAlgorithm::EcdsaP256,
        AlgorithmArg::Ed25519 => SignAlgorithm::Ed25519,
    };
    let role = match args.role {
        RoleArg::Csk => Role::Csk,
        RoleArg::Ksk => Role::Ksk,
        RoleArg::Zsk => Role::Zsk,
    };
    let state = args.state.map(|s| match s {
        StateArg::Published => KeyState::Published,
        StateArg::Active => KeyState::Active,
        StateArg::Retired => KeyState::Retired,
    });
    let key = keygen(&dir, &origin, algorithm, role, state)?;
    println!(
        "{}: key {} ({}, algorithm {}, {}) written to {}",
        origin.to_ascii(),
        key.tag,
        key.role.as_str(),
        key.algorithm.number(),
        key.state.as_str(),
        dir.join(&key.file).display()
    );
    if key.is_sep() {
        print_ds(&origin, &key)?;
    }
    Ok(())
}

fn run_ds(args: &DsArgs) -> Result<(), DnssecCliError> {
    let (origin, dir) = zone_and_dir(&args.zone, args.config.as_deref())?;
    let keys = read_keys(&dir, &origin)?;
    let mut printed = false;
    for key in keys
        .iter()
        .filter(|k| k.is_sep() && k.state != KeyState::Retired)
    {
        print_ds(&origin, key)?;
        printed = true;
    }
    if printed {
        Ok(())
    } else {
        Err(DnssecCliError::NoSepKey(origin.to_ascii()))
    }
}

fn print_ds(origin: &Name, key: &ZoneKey) -> Result<(), DnssecCliError> {
    let ds = key.ds(origin)?;
    let zone = origin.to_ascii();
    println!(
        "; key {} ({}, {}): DS for the parent zone, DNSKEY for registrars that take keys",
        key.tag,
        key.role.as_str(),
        key.state.as_str()
    );
    println!("{zone} IN DS {ds}");
    println!("{zone} IN DNSKEY {}", key.dnskey);
    Ok(())
}
