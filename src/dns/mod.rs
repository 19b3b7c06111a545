//! The DNS front end: hickory's `RequestHandler` over the snapshot, the
//! resolver, EDNS/ECS and size handling, the per-core UDP/TCP sockets, and
//! the explanation of an answer for the admin API.

mod edns;
pub mod explain;
mod fit;
pub mod handler;
mod question;
pub mod resolve;
pub mod server;
pub mod udp;
