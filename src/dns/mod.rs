//! The DNS front end: hickory's `RequestHandler` over the snapshot, the
//! resolver, EDNS/ECS and size handling, and the per-core UDP/TCP sockets.

pub mod handler;
pub mod resolve;
pub mod server;
pub mod udp;
