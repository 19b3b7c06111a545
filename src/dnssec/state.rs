//! The key-state file of one zone (`<zone>.keys.toml` in the keys folder):
//! which key files the zone uses, each with its role (`csk`, `ksk`, `zsk`)
//! and its state in a rollover (`published`, `active`, `retired`).
//! Parsing reports every problem at `file:line:col`; writing keeps the
//! format a person edits.

use std::fmt::Write as _;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Source};

/// What a key is used for: a combined signing key signs everything; a KSK
/// signs only the apex key sets; a ZSK signs everything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Csk,
    Ksk,
    Zsk,
}

/// Where a key is in its life: `published` (in the DNSKEY set, signs
/// nothing yet: the pre-publish step), `active` (published and signing),
/// `retired` (still published so cached signatures keep validating, signs
/// nothing; delete its entry to remove it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyState {
    Published,
    Active,
    Retired,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Csk => "csk",
            Role::Ksk => "ksk",
            Role::Zsk => "zsk",
        }
    }

    /// The DNSKEY flags: ZONE, plus SEP for a key the parent's DS points at.
    pub fn flags(self) -> u16 {
        match self {
            Role::Csk | Role::Ksk => 257,
            Role::Zsk => 256,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "csk" => Some(Role::Csk),
            "ksk" => Some(Role::Ksk),
            "zsk" => Some(Role::Zsk),
            _ => None,
        }
    }
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Published => "published",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "published" => Some(KeyState::Published),
            "active" => Some(KeyState::Active),
            "retired" => Some(KeyState::Retired),
            _ => None,
        }
    }
}

/// One `[[key]]` of the state file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    /// The key file's name, inside the keys folder.
    pub file: String,
    pub role: Role,
    pub state: KeyState,
    /// `line:col` of the entry, for errors about the key file itself.
    pub line: usize,
    pub col: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStateFile {
    #[serde(default)]
    key: Vec<Spanned<RawKey>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    file: Spanned<String>,
    role: Option<Spanned<String>>,
    state: Option<Spanned<String>>,
}

/// Parses a state file; every problem is reported.
pub fn parse(src: &Source) -> Result<Vec<KeyEntry>, Vec<Diagnostic>> {
    let raw: RawStateFile = toml::from_str(src.text()).map_err(|e| vec![src.toml_error(&e)])?;
    let mut diags = Vec::new();
    let mut entries = Vec::new();
    for key in &raw.key {
        let (line, col) = src.locate(key.span().start);
        let key = key.get_ref();
        let file = key.file.get_ref();
        if file.is_empty() || file.contains('/') || file.starts_with('.') {
            diags.push(src.error(
                &key.file.span(),
                "file must be a file name inside the keys folder",
            ));
        }
        let role = match &key.role {
            None => Some(Role::Csk),
            Some(r) => Role::parse(r.get_ref()).or_else(|| {
                diags.push(src.error(&r.span(), "role must be \"csk\", \"ksk\" or \"zsk\""));
                None
            }),
        };
        let state = match &key.state {
            None => Some(KeyState::Active),
            Some(s) => KeyState::parse(s.get_ref()).or_else(|| {
                let message = "state must be \"published\", \"active\" or \"retired\"";
                diags.push(src.error(&s.span(), message));
                None
            }),
        };
        if let (Some(role), Some(state)) = (role, state) {
            entries.push(KeyEntry {
                file: file.clone(),
                role,
                state,
                line,
                col,
            });
        }
    }
    if diags.is_empty() {
        Ok(entries)
    } else {
        Err(diags)
    }
}

/// The text of a state file holding `entries`, for `origin`.
pub fn render(origin: &str, entries: &[KeyEntry]) -> String {
    let mut out = format!(
        "# DNSSEC keys of {origin} for alwayson.\n\
         # state: published (in DNSKEY, not signing) | active (signing) | retired (in DNSKEY, not signing).\n\
         # Remove an entry to unpublish its key; reload to apply.\n"
    );
    for e in entries {
        let _ = write!(
            out,
            "\n[[key]]\nfile = \"{}\"\nrole = \"{}\"\nstate = \"{}\"\n",
            e.file,
            e.role.as_str(),
            e.state.as_str()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_defaults_and_reports_bad_values_with_positions() {
        let text = "[[key]]\nfile = \"a.pk8\"\n\n[[key]]\nfile = \"b.pk8\"\nrole = \"zsk\"\nstate = \"published\"\n";
        let entries = parse(&Source::new("k.toml", text)).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[0].role, entries[0].state),
            (Role::Csk, KeyState::Active)
        );
        assert_eq!(
            (entries[1].role, entries[1].state),
            (Role::Zsk, KeyState::Published)
        );

        let bad = "[[key]]\nfile = \"../x\"\nrole = \"big\"\nstate = \"gone\"\n";
        let diags = parse(&Source::new("k.toml", bad)).unwrap_err();
        let at: Vec<String> = diags
            .iter()
            .map(|d| format!("{}:{}", d.line, d.col))
            .collect();
        assert_eq!(at, ["2:8", "3:8", "4:9"]);
    }

    #[test]
    fn render_reads_back() {
        let entries = vec![KeyEntry {
            file: "example.com.+013+00001.pk8".into(),
            role: Role::Ksk,
            state: KeyState::Retired,
            line: 0,
            col: 0,
        }];
        let text = render("example.com.", &entries);
        let back = parse(&Source::new("k.toml", text)).unwrap();
        assert_eq!(
            (back[0].role, back[0].state),
            (Role::Ksk, KeyState::Retired)
        );
        assert_eq!(back[0].file, entries[0].file);
    }
}
