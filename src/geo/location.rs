//! Where a client is: [`Location`] (what a geo database says about an address)
//! and [`Code`], the short region code it is made of.
//!
//! Invariant: both are `Copy` and hold no heap data, so a lookup on the DNS
//! query path allocates nothing; a [`Code`] is always 1 to 3 ASCII uppercase
//! letters or digits.

use std::fmt;

/// A continent, country or subdivision code ("EU", "DE", "HE", "ENG", "13"),
/// stored inline as 1 to 3 ASCII uppercase letters or digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    bytes: [u8; 3],
    len: u8,
}

impl Code {
    /// The longest code: ISO 3166-2 subdivision codes have up to 3 characters.
    pub const MAX_LEN: usize = 3;

    /// Parses 1 to 3 ASCII letters or digits, any case; `None` otherwise.
    pub fn new(text: &str) -> Option<Code> {
        let raw = text.as_bytes();
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return None;
        }
        let mut bytes = [0u8; 3];
        for (slot, &b) in bytes.iter_mut().zip(raw) {
            if !b.is_ascii_alphanumeric() {
                return None;
            }
            *slot = b.to_ascii_uppercase();
        }
        Some(Code {
            bytes,
            len: raw.len() as u8,
        })
    }

    /// The code as uppercase text.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored (checked in `new`), so this cannot fail.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// What a geo database knows about one address.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Location {
    /// Continent code: AF AN AS EU NA OC SA.
    pub continent: Option<Code>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<Code>,
    /// The part of the ISO 3166-2 code after the country ("HE" for DE-HE), as
    /// MaxMind stores it.
    pub subdivision: Option<Code>,
    /// `(latitude, longitude)` in degrees, within -90..=90 and -180..=180.
    pub coordinates: Option<(f64, f64)>,
    /// Prefix length of the database network that matched, counted in the
    /// family of the address that was looked up (0..=32 for IPv4); the DNS
    /// layer returns it as the EDNS Client Subnet scope.
    pub prefix_len: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_uppercased_and_bounded() {
        assert_eq!(Code::new("de").map(|c| c.to_string()), Some("DE".into()));
        assert_eq!(Code::new("eng").map(|c| c.to_string()), Some("ENG".into()));
        assert_eq!(Code::new("13").map(|c| c.to_string()), Some("13".into()));
        assert_eq!(Code::new(""), None);
        assert_eq!(Code::new("ABCD"), None);
        assert_eq!(Code::new("D-"), None);
        assert_eq!(Code::new("é"), None);
        assert_eq!(Code::new("DE"), Code::new("de"));
        assert_eq!(format!("{:?}", Code::new("us")), "Some(\"US\")");
    }
}
