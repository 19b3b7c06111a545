//! Online DNSSEC signing (RFC 4033–4035) with hickory-proto's primitives:
//! keys and their DS (`keys`), the keys folder and `keygen` (`folder`), the
//! per-zone key-state file (`state`), signing one RRset with a bounded
//! signature cache (`sign`, `cache`; `cached` reads it without
//! allocating; `slot_budget` bounds the fast path's copies), and synthesized denial of existence
//! (`denial`: compact denial, RFC 9824). What is signed in an answer is
//! decided by `dns::sign`; this module knows nothing of queries.

pub mod cache;
pub mod cached;
pub mod denial;
pub mod folder;
pub mod keys;
pub mod sign;
pub mod slot_budget;
pub mod state;

pub use cache::SignStats;
pub use keys::{SignAlgorithm, ZoneKey, ZoneKeys};
pub use sign::{SignSettings, Signer};
pub use state::{KeyState, Role};
