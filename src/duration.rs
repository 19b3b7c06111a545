//! Humane durations (`"500ms"`, `"10s"`, `"5m"`) as written in config and
//! zone files, and in admin API requests.
//!
//! A leaf: it imports nothing of this crate, so `config`, `forwarder`,
//! `health` and `admin` can all use it without importing each other.

use std::time::Duration;

/// A duration that could not be parsed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("invalid duration {text:?}: {reason} (write e.g. \"500ms\", \"10s\", \"5m\")")]
pub struct DurationError {
    /// The text as written (before trimming), quoted in the message.
    text: String,
    /// What humantime found wrong with it.
    reason: humantime::DurationError,
}

/// Parses a duration such as `"500ms"`, `"10s"` or `"1h 30m"`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    humantime::parse_duration(text.trim()).map_err(|reason| DurationError {
        text: text.to_owned(),
        reason,
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

    #[test]
    fn the_message_quotes_the_text_and_shows_an_example() {
        let e = parse_duration("ten").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid duration \"ten\": {} (write e.g. \"500ms\", \"10s\", \"5m\")",
                humantime::parse_duration("ten").unwrap_err()
            )
        );
    }
}
