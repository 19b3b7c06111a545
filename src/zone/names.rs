//! Owner and target names as users write them: `@` for the origin, relative
//! names under the origin, absolute names ending in a dot.

use hickory_proto::ProtoError;
use hickory_proto::rr::Name;

/// Why a name as written is not usable.
#[derive(Clone, Debug, thiserror::Error)]
pub enum NameError {
    /// Nothing but whitespace.
    #[error("empty name (write \"@\" for the zone origin)")]
    Empty,
    /// Non-ASCII text: zone files take names in punycode.
    #[error("name {0:?} is not ASCII; write internationalised names in punycode (xn--...)")]
    NotAscii(String),
    /// Two dots in a row, or a leading dot.
    #[error("name {0:?} has an empty label")]
    EmptyLabel(String),
    /// hickory rejects the name (a label over 63 bytes, say).
    #[error("invalid name {text:?}: {reason}")]
    Invalid {
        /// The name as written (trimmed).
        text: String,
        /// hickory's reason.
        reason: ProtoError,
    },
    /// The relative name made absolute under the origin is over 255 bytes.
    #[error("name {text:?} is too long under {origin}: {reason}")]
    TooLong {
        /// The name as written (trimmed).
        text: String,
        /// The origin it was completed with.
        origin: String,
        /// hickory's reason.
        reason: ProtoError,
    },
    /// An owner name that is not at or below the zone's origin.
    #[error("name {name} is outside the zone {origin}")]
    OutsideZone {
        /// The absolute name.
        name: String,
        /// The zone's origin.
        origin: String,
    },
}

/// Parses `text` relative to `origin` into an absolute, lowercase name.
pub fn parse_name(text: &str, origin: &Name) -> Result<Name, NameError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if text == "@" {
        return Ok(origin.clone());
    }
    if let Some(name) = plain_name(text, origin) {
        return Ok(name);
    }
    if !text.is_ascii() {
        return Err(NameError::NotAscii(text.to_owned()));
    }
    if text.contains("..") || (text.starts_with('.') && text != ".") {
        return Err(NameError::EmptyLabel(text.to_owned()));
    }
    let name = Name::from_ascii(text).map_err(|reason| NameError::Invalid {
        text: text.to_owned(),
        reason,
    })?;
    let absolute = if name.is_fqdn() {
        name
    } else {
        name.append_domain(origin)
            .map_err(|reason| NameError::TooLong {
                text: text.to_owned(),
                origin: origin.to_string(),
                reason,
            })?
    };
    Ok(absolute.to_lowercase())
}

/// The lowercase absolute name of `text` when it is plain: labels of
/// letters, digits, `-` (not first) and `_`, or a lone `*`; relative or absolute,
/// without escapes. `None` for anything else, and for a plain name that
/// does not fit (a long label, too long a name): [`parse_name`] then takes
/// the general path, which gives the same name or the error.
fn plain_name(text: &str, origin: &Name) -> Option<Name> {
    let (body, absolute) = match text.strip_suffix('.') {
        Some(body) => (body, true),
        None => (text, false),
    };
    let mut buf = [0u8; Name::MAX_LENGTH];
    let lower = buf.get_mut(..body.len())?;
    for (to, &from) in lower.iter_mut().zip(body.as_bytes()) {
        if !(from.is_ascii_alphanumeric()
            || from == b'-'
            || from == b'_'
            || from == b'*'
            || from == b'.')
        {
            return None;
        }
        *to = from.to_ascii_lowercase();
    }
    let mut name = Name::root();
    for label in lower.split(|&b| b == b'.') {
        let odd = label.first() == Some(&b'-') || (label.contains(&b'*') && label != b"*");
        if label.is_empty() || odd {
            return None;
        }
        name = name.append_label(label).ok()?;
    }
    if absolute {
        return Some(name);
    }
    name.append_domain(origin).ok()
}

/// Like [`parse_name`], and the result must be at or below `origin`.
pub fn parse_owner(text: &str, origin: &Name) -> Result<Name, NameError> {
    let trimmed = text.trim();
    // A plain relative name is under the origin as built.
    if !trimmed.ends_with('.')
        && let Some(name) = plain_name(trimmed, origin)
    {
        return Ok(name);
    }
    let name = parse_name(text, origin)?;
    if !origin.zone_of(&name) {
        return Err(NameError::OutsideZone {
            name: name.to_string(),
            origin: origin.to_string(),
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Name {
        Name::from_ascii("example.com.").unwrap()
    }

    #[test]
    fn resolves_at_relative_and_absolute_names() {
        assert_eq!(parse_owner("@", &origin()).unwrap(), origin());
        assert_eq!(
            parse_owner("WWW", &origin()).unwrap().to_string(),
            "www.example.com."
        );
        assert_eq!(
            parse_owner("a.Example.COM.", &origin())
                .unwrap()
                .to_string(),
            "a.example.com."
        );
        assert_eq!(
            parse_owner("*.wild", &origin()).unwrap().to_string(),
            "*.wild.example.com."
        );
    }

    #[test]
    fn plain_names_are_built_as_the_general_path_builds_them() {
        let origin = origin();
        let long = "a".repeat(63);
        let too_long = [long.as_str(); 4].join(".");
        for text in [
            "www",
            "WWW.Sub",
            "_sip._tcp",
            "*",
            "*.wild",
            "a-b.c_d",
            "a.Example.COM.",
            "x.example.org.",
            "host0",
            "-a",
            "a-",
            "_",
            "0a",
            "a*b",
            "*.",
            "a.",
            "a..b",
            ".",
            "",
            &long,
            &too_long,
            "a\\.b",
        ] {
            let general = Name::from_ascii(text)
                .ok()
                .and_then(|n| {
                    if n.is_fqdn() {
                        Some(n)
                    } else {
                        n.append_domain(&origin).ok()
                    }
                })
                .map(|n| n.to_lowercase());
            match plain_name(text, &origin) {
                Some(fast) => {
                    let general = general.unwrap_or_else(|| panic!("{text}: general path fails"));
                    assert!(fast.eq_case(&general), "{text}: {fast} != {general}");
                    assert!(fast.is_fqdn(), "{text}");
                }
                None => assert!(
                    ["a*b", "-a", "a..b", ".", "", "a\\.b"].contains(&text)
                        || text == too_long
                        || general.is_none(),
                    "{text} should be plain"
                ),
            }
        }
        assert_eq!(
            parse_owner("x.example.org.", &origin)
                .unwrap_err()
                .to_string(),
            "name x.example.org. is outside the zone example.com."
        );
    }

    #[test]
    fn rejects_outside_and_malformed_names() {
        assert!(parse_owner("www.example.org.", &origin()).is_err());
        assert!(parse_owner("a..b", &origin()).is_err());
        assert!(parse_owner("", &origin()).is_err());
        assert!(parse_owner(&"a".repeat(64), &origin()).is_err());
        assert!(parse_owner("ünï", &origin()).is_err());
    }
}
