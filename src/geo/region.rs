//! The fixed vocabularies of geolocation: the seven continent codes MaxMind
//! uses and the ISO 3166-1 alpha-2 country codes.
//!
//! Invariant: [`COUNTRIES`] is sorted (it is binary-searched) and holds every
//! officially assigned code plus `XK` (Kosovo), which GeoIP2 and DB-IP use.

use super::location::Code;

/// Continent codes with their English names, as in GeoIP2 `continent.code`.
pub const CONTINENTS: [(&str, &str); 7] = [
    ("AF", "Africa"),
    ("AN", "Antarctica"),
    ("AS", "Asia"),
    ("EU", "Europe"),
    ("NA", "North America"),
    ("OC", "Oceania"),
    ("SA", "South America"),
];

/// ISO 3166-1 alpha-2 codes (249 assigned) plus `XK`.
pub const COUNTRIES: [&str; 250] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// The continent code for `text` (any case), if it is one of [`CONTINENTS`].
pub fn continent(text: &str) -> Option<Code> {
    let code = Code::new(text)?;
    continent_name(code).map(|_| code)
}

/// The English name of a continent code.
pub fn continent_name(code: Code) -> Option<&'static str> {
    CONTINENTS
        .iter()
        .find(|(c, _)| *c == code.as_str())
        .map(|(_, name)| *name)
}

/// The country code for `text` (any case), if it is an ISO 3166-1 alpha-2 code.
pub fn country(text: &str) -> Option<Code> {
    let code = Code::new(text)?;
    COUNTRIES
        .binary_search(&code.as_str())
        .is_ok()
        .then_some(code)
}

/// Why a text is not a continent or country code, phrased for a user who
/// typed it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// A country code that is not two ASCII letters.
    #[error("country code {0:?} must be 2 letters (ISO 3166-1 alpha-2, e.g. DE)")]
    CountryNotTwoLetters(String),
    /// "UK", the common typo for GB.
    #[error("UK is not an ISO 3166-1 country code; the United Kingdom is GB")]
    UnitedKingdom,
    /// Two letters that are not an assigned ISO 3166-1 alpha-2 code.
    #[error("{0:?} is not an ISO 3166-1 alpha-2 country code")]
    UnknownCountry(String),
    /// Not one of the seven continent codes.
    #[error("unknown continent code {0:?}: expected one of AF AN AS EU NA OC SA")]
    UnknownContinent(String),
}

/// Why `text` is not a country code.
pub fn country_error(text: &str) -> CodeError {
    let two_letters = text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic());
    if !two_letters {
        return CodeError::CountryNotTwoLetters(text.to_owned());
    }
    if text.eq_ignore_ascii_case("UK") {
        return CodeError::UnitedKingdom;
    }
    CodeError::UnknownCountry(text.to_owned())
}

/// Why `text` is not a continent code.
pub fn continent_error(text: &str) -> CodeError {
    CodeError::UnknownContinent(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_table_is_sorted_and_unique() {
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn recognises_codes_in_any_case() {
        assert_eq!(country("de").map(|c| c.to_string()), Some("DE".into()));
        assert_eq!(country("GB").map(|c| c.to_string()), Some("GB".into()));
        assert!(country("UK").is_none());
        assert!(country("DEU").is_none());
        assert_eq!(continent("eu").map(|c| c.to_string()), Some("EU".into()));
        assert!(continent("DE").is_none());
        assert_eq!(continent_name(Code::new("OC").unwrap()), Some("Oceania"));
        assert!(country_error("UK").to_string().contains("GB"));
        assert!(country_error("DEU").to_string().contains("2 letters"));
    }
}
