//! The cluster: several alwayson instances that gossip (chitchat, over
//! HMAC-authenticated UDP) what each of them observes, so that every node
//! answers from the same health verdicts, holds the same overrides and
//! serves the same serials, and shows a node that serves other content.
//!
//! Flow: the updater publishes this node's observations, override events
//! and zones ([`Publish`]); the cluster task ([`Cluster`]) writes them into
//! this node's gossip state and reads every live member's state back as
//! [`ClusterInputs`]; the updater turns those into verdicts
//! (`health::verdict`), overrides and serials. Without `[cluster]` none of
//! this runs.

pub mod config;
pub mod keys;
pub mod node;
pub mod transport;
pub mod view;

pub use config::{ClusterConfig, ClusterKey};
pub use node::{Cluster, ClusterError, ClusterStop, Publish};
pub use view::{ClusterInputs, ClusterStatus, Member};
