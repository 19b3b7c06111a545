//! Humane durations (`"500ms"`, `"10s"`, `"5m"`) as written in config and zone files.

use std::time::Duration;

/// Parses a duration such as `"500ms"`, `"10s"` or `"1h 30m"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| {
        format!("invalid duration {text:?}: {e} (write e.g. \"500ms\", \"10s\", \"5m\")")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_humane_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert!(parse_duration("ten").is_err());
    }
}
