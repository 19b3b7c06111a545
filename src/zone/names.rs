//! Owner and target names as users write them: `@` for the origin, relative
//! names under the origin, absolute names ending in a dot.

use hickory_proto::rr::Name;

/// Parses `text` relative to `origin` into an absolute, lowercase name.
pub fn parse_name(text: &str, origin: &Name) -> Result<Name, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty name (write \"@\" for the zone origin)".into());
    }
    if text == "@" {
        return Ok(origin.clone());
    }
    if !text.is_ascii() {
        return Err(format!(
            "name {text:?} is not ASCII; write internationalised names in punycode (xn--...)"
        ));
    }
    if text.contains("..") || (text.starts_with('.') && text != ".") {
        return Err(format!("name {text:?} has an empty label"));
    }
    let name = Name::from_ascii(text).map_err(|e| format!("invalid name {text:?}: {e}"))?;
    let absolute = if name.is_fqdn() {
        name
    } else {
        name.append_domain(origin)
            .map_err(|e| format!("name {text:?} is too long under {origin}: {e}"))?
    };
    Ok(absolute.to_lowercase())
}

/// Like [`parse_name`], and the result must be at or below `origin`.
pub fn parse_owner(text: &str, origin: &Name) -> Result<Name, String> {
    let name = parse_name(text, origin)?;
    if !origin.zone_of(&name) {
        return Err(format!("name {name} is outside the zone {origin}"));
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
    fn rejects_outside_and_malformed_names() {
        assert!(parse_owner("www.example.org.", &origin()).is_err());
        assert!(parse_owner("a..b", &origin()).is_err());
        assert!(parse_owner("", &origin()).is_err());
        assert!(parse_owner(&"a".repeat(64), &origin()).is_err());
        assert!(parse_owner("ünï", &origin()).is_err());
    }
}
