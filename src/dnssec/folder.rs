//! The keys folder: one PKCS#8 file per key (`<zone>+<alg>+<tag>.pk8`,
//! mode 0600) and one key-state file per zone (`<zone>.keys.toml`). A
//! folder that others can read is refused, for `keygen` and at every load.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hickory_proto::rr::Name;

use super::keys::{KeyError, SignAlgorithm, ZoneKey, ZoneKeys, generate, load};
use super::state::{self, KeyEntry, KeyState, Role};
use crate::diag::{Diagnostic, Source};

/// Why the keys folder or a key in it cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// Others may read the folder (mode o+r): private keys would leak.
    #[error("keys folder {0} is readable by every user (mode {1:o}): run chmod 700 on it")]
    WorldReadable(PathBuf, u32),
    /// A key file others may read.
    #[error("key file {0} is readable by every user (mode {1:o}): run chmod 600 on it")]
    KeyWorldReadable(PathBuf, u32),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Key(PathBuf, KeyError),
    /// The zone has no key-state file yet.
    #[error("{0} does not exist: run `alwayson dnssec keygen {1}`")]
    NoState(PathBuf, String),
    /// The state file lists no key that can sign.
    #[error("{0}: no active key signs the zone and its DNSKEY set")]
    NoActiveKey(PathBuf),
    #[error("{0}")]
    State(crate::diag::Diagnostics),
}

/// The zone's name as file names use it: lowercase, no trailing dot.
pub fn zone_stem(origin: &Name) -> String {
    let text = origin.to_lowercase().to_ascii();
    match text.trim_end_matches('.') {
        "" => "root".to_string(),
        stem => stem.to_string(),
    }
}

pub fn state_path(dir: &Path, origin: &Name) -> PathBuf {
    dir.join(format!("{}.keys.toml", zone_stem(origin)))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |e| FolderError::Io(path.to_path_buf(), e)
}

/// Refuses a folder (or key file) with any permission for others.
pub fn check_folder(dir: &Path) -> Result<(), FolderError> {
    let mode = fs::metadata(dir).map_err(io(dir))?.permissions().mode();
    if mode & 0o004 != 0 {
        return Err(FolderError::WorldReadable(dir.to_path_buf(), mode & 0o777));
    }
    Ok(())
}

/// The zone's state file and its keys, read and checked.
pub fn read_keys(dir: &Path, origin: &Name) -> Result<Vec<ZoneKey>, FolderError> {
    let path = state_path(dir, origin);
    if !path.exists() {
        return Err(FolderError::NoState(path, origin.to_ascii()));
    }
    check_folder(dir)?;
    let src =
        Source::read(&path).map_err(|d| FolderError::State(crate::diag::Diagnostics(vec![d])))?;
    let entries =
        state::parse(&src).map_err(|d| FolderError::State(crate::diag::Diagnostics(d)))?;
    let mut keys = Vec::with_capacity(entries.len());
    let mut diags = Vec::new();
    for entry in &entries {
        match read_key(dir, entry) {
            Ok(key) => keys.push(key),
            Err(e) => diags.push(at_entry(&path, entry, e.to_string())),
        }
    }
    if !diags.is_empty() {
        return Err(FolderError::State(crate::diag::Diagnostics(diags)));
    }
    Ok(keys)
}

/// The zone's key set: [`read_keys`], published with `ttl`, and at least
/// one active key for the answers and one for the DNSKEY set.
pub fn load_zone_keys(dir: &Path, origin: &Name, ttl: u32) -> Result<ZoneKeys, FolderError> {
    let keys = read_keys(dir, origin)?;
    let set = ZoneKeys::new(origin.clone(), keys, ttl)
        .map_err(|e| FolderError::Key(state_path(dir, origin), e))?;
    if !set.can_sign() {
        return Err(FolderError::NoActiveKey(state_path(dir, origin)));
    }
    Ok(set)
}

fn at_entry(path: &Path, entry: &KeyEntry, message: String) -> Diagnostic {
    Diagnostic {
        file: path.to_path_buf(),
        line: entry.line,
        col: entry.col,
        message,
    }
}

fn read_key(dir: &Path, entry: &KeyEntry) -> Result<ZoneKey, FolderError> {
    let path = dir.join(&entry.file);
    let mode = fs::metadata(&path).map_err(io(&path))?.permissions().mode();
    if mode & 0o004 != 0 {
        return Err(FolderError::KeyWorldReadable(path, mode & 0o777));
    }
    let bytes = fs::read(&path).map_err(io(&path))?;
    load(&bytes, entry.role, entry.state, &entry.file).map_err(|e| FolderError::Key(path, e))
}

/// `alwayson dnssec keygen`: a new key file (mode 0600) and its entry in
/// the state file. `state` None: active when no key of the zone is active
/// yet, else published (the first step of a rollover).
pub fn keygen(
    dir: &Path,
    origin: &Name,
    algorithm: SignAlgorithm,
    role: Role,
    state: Option<KeyState>,
) -> Result<ZoneKey, FolderError> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(dir))?;
    }
    check_folder(dir)?;
    let path = state_path(dir, origin);
    let mut entries = if path.exists() {
        let src = Source::read(&path)
            .map_err(|d| FolderError::State(crate::diag::Diagnostics(vec![d])))?;
        state::parse(&src).map_err(|d| FolderError::State(crate::diag::Diagnostics(d)))?
    } else {
        Vec::new()
    };
    let der = generate(algorithm).map_err(|e| FolderError::Key(dir.to_path_buf(), e))?;
    let probe = load(&der, role, KeyState::Active, "")
        .map_err(|e| FolderError::Key(dir.to_path_buf(), e))?;
    let file = format!(
        "{}+{:03}+{:05}.pk8",
        zone_stem(origin),
        algorithm.number(),
        probe.tag
    );
    let key_path = dir.join(&file);
    let mut out = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&key_path)
        .map_err(io(&key_path))?;
    out.write_all(&der).map_err(io(&key_path))?;
    let any_active = entries.iter().any(|e| e.state == KeyState::Active);
    let state = state.unwrap_or(if any_active {
        KeyState::Published
    } else {
        KeyState::Active
    });
    entries.push(KeyEntry {
        file: file.clone(),
        role,
        state,
        line: 0,
        col: 0,
    });
    write_atomically(&path, &state::render(&origin.to_ascii(), &entries))?;
    load(&der, role, state, &file).map_err(|e| FolderError::Key(key_path, e))
}

fn write_atomically(path: &Path, text: &str) -> Result<(), FolderError> {
    let tmp = path.with_extension("toml.tmp");
    fs::write(&tmp, text).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        dir
    }

    #[test]
    fn keygen_writes_a_private_key_and_the_state_file() {
        let dir = private_dir();
        let keys = dir.path().join("keys");
        let zone = Name::from_ascii("Example.COM.").unwrap();
        let k = keygen(&keys, &zone, SignAlgorithm::EcdsaP256, Role::Csk, None).unwrap();
        assert_eq!(k.state, KeyState::Active);
        let mode = fs::metadata(keys.join(&k.file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(k.file.starts_with("example.com+013+"), "{}", k.file);
        let second = keygen(&keys, &zone, SignAlgorithm::Ed25519, Role::Csk, None).unwrap();
        assert_eq!(second.state, KeyState::Published);
        let set = load_zone_keys(&keys, &zone, 3600).unwrap();
        assert_eq!(set.keys.len(), 2);
        assert_eq!(set.zone_signers, [0]);
    }

    #[test]
    fn a_world_readable_folder_is_refused() {
        let dir = private_dir();
        let zone = Name::from_ascii("example.com.").unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let err = keygen(dir.path(), &zone, SignAlgorithm::EcdsaP256, Role::Csk, None).unwrap_err();
        assert!(matches!(err, FolderError::WorldReadable(..)), "{err}");
        fs::write(state_path(dir.path(), &zone), "").unwrap();
        let err = load_zone_keys(dir.path(), &zone, 3600).unwrap_err();
        assert!(err.to_string().contains("chmod 700"), "{err}");
    }

    #[test]
    fn a_missing_key_file_is_reported_at_its_entry() {
        let dir = private_dir();
        let zone = Name::from_ascii("example.com.").unwrap();
        let err = load_zone_keys(dir.path(), &zone, 3600).unwrap_err();
        assert!(
            err.to_string()
                .contains("alwayson dnssec keygen example.com."),
            "{err}"
        );
        let state = "[[key]]\nfile = \"gone.pk8\"\n";
        fs::write(state_path(dir.path(), &zone), state).unwrap();
        let err = load_zone_keys(dir.path(), &zone, 3600)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("example.com.keys.toml:1:1") && err.contains("gone.pk8"),
            "{err}"
        );
    }
}
