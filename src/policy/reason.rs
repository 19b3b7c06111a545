//! Why a selection chose what it chose, as the policy decided it: small
//! `Copy` values (no allocation, no text on the query path) that the
//! explain API formats.
//!
//! Invariant: a [`Reason`] is produced by the same call that chose the
//! sets, never re-derived, so an explanation cannot disagree with it.

use crate::geo::key::GeoKey;

/// The decision behind a [`crate::policy::Selection`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reason {
    /// What the group's policy decided.
    pub policy: PolicyReason,
    /// Set when every set of the group is unhealthy.
    pub all_down: Option<AllDown>,
}

/// How a group whose sets are all unhealthy answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllDown {
    /// As if every set were healthy (Route 53's behaviour).
    FailOpen,
    /// NODATA (`when_all_down = "nodata"`).
    FailClosed,
}

/// The policy-specific part of a decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PolicyReason {
    /// The one set answers.
    #[default]
    Simple,
    /// The primary while it is healthy, else the secondary.
    Failover { primary_healthy: bool },
    /// The most specific healthy match for the client's location.
    Geolocation {
        /// The client's location was found in the GeoIP database.
        located: bool,
        /// The location key of the chosen set (None: nothing matched).
        matched: Option<GeoKey>,
    },
    /// The healthy set with the least biased distance.
    Geoproximity {
        /// The client's coordinates were known (else the `"*"` set).
        located: bool,
        /// The group has a `"*"` set, which answers clients whose
        /// coordinates are unknown (without one, the first set does).
        has_default: bool,
    },
    /// Drawn at random by weight among the candidates.
    Weighted,
    /// Up to [`crate::policy::MAX_MULTIVALUE`] candidates, shuffled.
    Multivalue,
    /// The longest network holding the client.
    IpBased {
        /// The prefix length of that network (None: the `"*"` set or none).
        prefix: Option<u8>,
    },
}
