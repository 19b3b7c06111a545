//! The zone model: what a valid zone file means. Conversion from the raw
//! TOML is the only way to build one, so every value here has been checked:
//! names are absolute, lowercase and inside the origin; RDATA is parsed; each
//! name/type either has one simple set or sets of exactly one policy. The
//! routing rule types themselves live in `policy::rule`.

use std::path::PathBuf;
use std::sync::Arc;

use hickory_proto::rr::{Name, RecordType};

use crate::health::CheckId;
use crate::health::spec::HealthCheckSpec;
use crate::policy::Routing;
use crate::zone::values::Values;

/// A 1-based `line:col` in the zone's file (or one of its included files),
/// kept for errors found after conversion. 32-bit fields: one is kept per
/// record set (a line past 4 billion reads as the last).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub col: u32,
    /// Which file: 0 the zone file, `i` its included file `includes[i - 1]`
    /// (see [`Zone::file_at`]).
    pub source: u32,
}

impl Position {
    /// The position of `line:col` in file `source`.
    pub fn new(line: usize, col: usize, source: usize) -> Self {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Position {
            line: narrow(line),
            col: narrow(col),
            source: narrow(source),
        }
    }

    /// `line` and `col` as a diagnostic has them.
    pub fn line_col(self) -> (usize, usize) {
        (self.line as usize, self.col as usize)
    }

    /// Which file (see [`Position::source`]).
    pub fn source(self) -> usize {
        self.source as usize
    }
}

#[derive(Clone, Debug)]
pub struct Zone {
    /// Absolute, lowercase.
    pub origin: Name,
    pub file: PathBuf,
    /// Default TTL of record sets that give none.
    pub ttl: u32,
    pub soa: Soa,
    /// In canonical order of (owner, type), file order within
    /// (`grouping::sort_canonically`): the sets of a name, and of a group,
    /// are adjacent.
    pub record_sets: Vec<RecordSet>,
    pub health_checks: Vec<(HealthCheckSpec, Position)>,
    /// Hash of the file's text and of every included file (path and text);
    /// equal hashes mean an unchanged zone.
    pub content_hash: u64,
    /// The zone file's `include` patterns, as written.
    pub include_patterns: Vec<String>,
    /// The files those patterns named at conversion, in order.
    pub includes: Vec<PathBuf>,
    /// `[zone] dnssec = true`: where it was written (for key errors).
    pub dnssec: Option<Position>,
    /// The zone's signing keys, attached by the control plane at every
    /// load of a zone with `dnssec` (the conversion reads no key files).
    pub keys: Option<Arc<crate::dnssec::ZoneKeys>>,
}

impl Zone {
    /// The file a position of this zone is in.
    pub fn file_at(&self, pos: Position) -> &std::path::Path {
        pos.source()
            .checked_sub(1)
            .and_then(|i| self.includes.get(i))
            .unwrap_or(&self.file)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Soa {
    pub mname: Name,
    pub rname: Name,
    /// `None`: derived from the content when the zone is loaded.
    pub serial: Option<u32>,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
    /// The SOA record's own TTL.
    pub ttl: u32,
}

/// A record set: 136 bytes, since a large zone holds a million of them
/// while it is checked and sorted (their policy, which few sets have, is
/// boxed: 192 bytes when it was not).
#[derive(Clone, Debug)]
pub struct RecordSet {
    /// Absolute, lowercase; may start with a `*` label (a wildcard).
    pub name: Name,
    pub rtype: RecordType,
    pub ttl: u32,
    pub data: SetData,
    pub position: Position,
    /// None for a simple set without a health check.
    pub policy: Option<Box<SetPolicy>>,
}

/// A set's routing policy, identifier and health check.
#[derive(Clone, Debug, PartialEq)]
pub struct SetPolicy {
    /// The set identifier; present whenever `routing` is not `Simple`.
    pub set_id: Option<Arc<str>>,
    pub routing: Routing,
    pub health_check: Option<CheckId>,
    pub when_all_down: WhenAllDown,
}

impl SetPolicy {
    /// The policy, or None when it is the plain one (a simple set
    /// without a health check).
    pub fn boxed(self) -> Option<Box<SetPolicy>> {
        let plain = self.set_id.is_none()
            && self.routing == Routing::Simple
            && self.health_check.is_none()
            && self.when_all_down == WhenAllDown::FailOpen;
        (!plain).then(|| Box::new(self))
    }
}

impl RecordSet {
    /// The set identifier; present whenever `routing` is not `Simple`.
    pub fn set_id(&self) -> Option<&Arc<str>> {
        self.policy.as_ref().and_then(|p| p.set_id.as_ref())
    }

    pub fn routing(&self) -> &Routing {
        self.policy
            .as_ref()
            .map_or(&Routing::Simple, |p| &p.routing)
    }

    pub fn health_check(&self) -> Option<&CheckId> {
        self.policy.as_ref().and_then(|p| p.health_check.as_ref())
    }

    pub fn when_all_down(&self) -> WhenAllDown {
        self.policy
            .as_ref()
            .map_or(WhenAllDown::FailOpen, |p| p.when_all_down)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SetData {
    Values(Values),
    /// Answer with the target name's current answer of the same type.
    Alias {
        /// Boxed: most sets hold values, and a name is 80 bytes.
        target: Box<Name>,
        evaluate_target_health: bool,
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WhenAllDown {
    /// Answer as if every set were healthy (Route 53's behaviour).
    #[default]
    FailOpen,
    /// Answer NODATA.
    NoData,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_set_is_136_bytes_and_a_plain_one_has_no_policy() {
        assert_eq!(std::mem::size_of::<RecordSet>(), 136);
        let plain = SetPolicy {
            set_id: None,
            routing: Routing::Simple,
            health_check: None,
            when_all_down: WhenAllDown::FailOpen,
        };
        assert!(plain.clone().boxed().is_none());
        let checked = SetPolicy {
            health_check: Some(Arc::from("web")),
            ..plain.clone()
        };
        assert!(checked.boxed().is_some());
        let nodata = SetPolicy {
            when_all_down: WhenAllDown::NoData,
            ..plain
        };
        assert!(nodata.boxed().is_some());
    }
}
