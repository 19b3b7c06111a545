//! The DNS front end: hickory's `RequestHandler` over the snapshot, the
//! resolver, EDNS/ECS and size handling, the identity (NSID, CH TXT), the
//! per-core UDP/TCP sockets, and the explanation of an answer for the admin
//! API; response rate limiting and DNS cookies on UDP (`guard`, `rrl`,
//! `cookie`); online DNSSEC signing of answers (`sign`).

mod compress;
pub mod cookie;
mod edns;
mod emit;
pub mod explain;
pub mod fast;
mod fit;
pub mod guard;
pub mod handler;
mod identity;
mod keepalive;
pub mod live;
mod live_builders;
mod path_mtu;
mod question;
pub mod resolve;
pub mod rrl;
pub mod server;
pub mod sign;
pub mod tcp;
pub mod udp;
#[cfg(target_os = "linux")]
mod udp_batch;
