//! What each node writes into its own gossip state, and how it is read
//! back: one key per observed check (`obs:<check>`), per override event
//! (`ovr:<check>`) and per served zone (`zone:<origin>`), each value a short
//! `|`-separated text so that a node's state stays a few KB.
//!
//! Invariant: decoding never panics; a value that does not parse is
//! skipped (a node of a newer version may write more fields at the end).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::health::{NodeName, Override, OverrideEvent};

pub const OBSERVATION: &str = "obs:";
pub const OVERRIDE: &str = "ovr:";
pub const ZONE: &str = "zone:";
/// The longest reason kept in an observation, in characters.
const MAX_REASON: usize = 80;

/// Milliseconds since the Unix epoch (0 before it).
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// One observer's status of a check, as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservationValue {
    pub healthy: bool,
    pub at_ms: u64,
    pub reason: String,
}

pub fn encode_observation(o: &ObservationValue) -> String {
    let reason: String = o
        .reason
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON)
        .collect();
    format!("{}|{}|{reason}", if o.healthy { "h" } else { "u" }, o.at_ms)
}

pub fn decode_observation(value: &str) -> Option<ObservationValue> {
    let mut parts = value.splitn(3, '|');
    let healthy = match parts.next()? {
        "h" => true,
        "u" => false,
        _ => return None,
    };
    let at_ms = parts.next()?.parse().ok()?;
    let reason = parts.next().unwrap_or_default().to_string();
    Some(ObservationValue {
        healthy,
        at_ms,
        reason,
    })
}

/// `h|u|c` (hold healthy, hold unhealthy, clear) `|until_ms or -|at_ms|by`.
pub fn encode_override(event: &OverrideEvent) -> String {
    let (status, until) = match &event.hold {
        Some(h) => (
            if h.healthy { "h" } else { "u" },
            h.until.map_or("-".to_string(), |u| unix_ms(u).to_string()),
        ),
        None => ("c", "-".to_string()),
    };
    let by = event.by.as_deref().unwrap_or("");
    format!("{status}|{until}|{}|{by}", unix_ms(event.at))
}

pub fn decode_override(value: &str) -> Option<OverrideEvent> {
    let mut parts = value.splitn(4, '|');
    let status = parts.next()?;
    let until = match parts.next()? {
        "-" => None,
        ms => Some(from_unix_ms(ms.parse().ok()?)),
    };
    let at = from_unix_ms(parts.next()?.parse().ok()?);
    let by = Some(parts.next()?)
        .filter(|b| !b.is_empty())
        .map(NodeName::from);
    let hold = match status {
        "h" => Some(Override::new(true, until, at)),
        "u" => Some(Override::new(false, until, at)),
        "c" => None,
        _ => return None,
    };
    Some(OverrideEvent::new(hold, at, by))
}

/// One served zone: the hash of its file's text and its serial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneValue {
    pub content_hash: u64,
    pub serial: u32,
    /// The serial is written in the file (never adjusted by the cluster).
    pub explicit: bool,
}

pub fn encode_zone(z: &ZoneValue) -> String {
    let kind = if z.explicit { "e" } else { "d" };
    format!("{:016x}|{}|{kind}", z.content_hash, z.serial)
}

pub fn decode_zone(value: &str) -> Option<ZoneValue> {
    let mut parts = value.splitn(3, '|');
    let content_hash = u64::from_str_radix(parts.next()?, 16).ok()?;
    let serial = parts.next()?.parse().ok()?;
    let explicit = match parts.next()?.get(..1)? {
        "e" => true,
        "d" => false,
        _ => return None,
    };
    Some(ZoneValue {
        content_hash,
        serial,
        explicit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let o = ObservationValue {
            healthy: false,
            at_ms: 1_700_000_000_123,
            reason: "HTTP 503 | bad".to_string(),
        };
        assert_eq!(decode_observation(&encode_observation(&o)), Some(o));
        let at = from_unix_ms(1_700_000_000_500);
        let until = Some(from_unix_ms(1_700_000_900_000));
        for event in [
            OverrideEvent::new(
                Some(Override::new(false, until, at)),
                at,
                Some("ns1".into()),
            ),
            OverrideEvent::new(Some(Override::new(true, None, at)), at, None),
            OverrideEvent::new(None, at, Some("ns2".into())),
        ] {
            assert_eq!(decode_override(&encode_override(&event)), Some(event));
        }
        let z = ZoneValue {
            content_hash: 0xdead_beef,
            serial: 2026113001,
            explicit: false,
        };
        assert_eq!(decode_zone(&encode_zone(&z)), Some(z));
    }

    #[test]
    fn garbage_values_are_skipped() {
        for bad in ["", "x|1|", "h|notanumber|r", "h"] {
            assert_eq!(decode_observation(bad), None, "{bad}");
        }
        for bad in ["", "h|-|", "z|-|1|n", "h|soon|1|n"] {
            assert_eq!(decode_override(bad), None, "{bad}");
        }
        for bad in ["", "zz|1|d", "00|x|d", "00|1|q", "00|1"] {
            assert_eq!(decode_zone(bad), None, "{bad}");
        }
        let long = "x".repeat(500);
        let o = ObservationValue {
            healthy: true,
            at_ms: 1,
            reason: format!("a\nb{long}"),
        };
        let decoded = decode_observation(&encode_observation(&o)).unwrap();
        assert_eq!(decoded.reason.chars().count(), MAX_REASON);
        assert!(decoded.reason.starts_with("ab"));
    }
}
