//! What a group of record sets must satisfy for its policy (one primary,
//! distinct locations, one `"*"` set, ...), reported per offending set.
//!
//! Invariant: each policy file owns its own rules; this module only holds
//! the shared types, so the zone conversion can attach file positions.

/// One record set as validation sees it.
#[derive(Clone, Copy, Debug)]
pub struct SetRule<'a> {
    pub routing: &'a crate::policy::rule::Routing,
    /// The set answers with an alias rather than values.
    pub alias: bool,
}

/// A broken rule and the set (index into the group) it is reported at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub set: usize,
    pub error: RuleError,
}

/// A rule a group of sets breaks; `group` is `name type`, e.g.
/// `www.example.com. A`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A failover group has no primary set.
    #[error("failover for {group} needs exactly one primary set, found none")]
    NoPrimary { group: String },
    /// A failover group has more than one primary set.
    #[error("failover for {group} needs exactly one primary set, found {found}")]
    ExtraPrimary { group: String, found: usize },
    /// A failover group has more than one secondary set.
    #[error("failover for {group} allows at most one secondary set, found {found}")]
    ExtraSecondary { group: String, found: usize },
    /// Two geolocation sets have the same location key.
    #[error("two sets of {group} have the same geo location")]
    DuplicateLocation { group: String },
    /// More than one geoproximity set is the `"*"` set.
    #[error("{group} has more than one geoproximity \"*\" set")]
    ExtraGeoproximityDefault { group: String },
    /// More than one IP-based set is the `"*"` set.
    #[error("{group} has more than one cidr \"*\" set")]
    ExtraCidrDefault { group: String },
    /// A multivalue set answers with an alias.
    #[error("a multivalue set holds values, not an alias")]
    MultivalueAlias,
}

impl Violation {
    pub(super) fn at(set: usize, error: RuleError) -> Self {
        Violation { set, error }
    }
}
