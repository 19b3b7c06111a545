//! The TCP probe: healthy when a connection to the address is accepted.

use tokio::net::{TcpStream, lookup_host};

use crate::health::spec::Address;

/// Connects to `address` (each resolved address in turn) and closes at once.
#[derive(Clone, Debug)]
pub struct TcpProbe {
    address: Address,
}

impl TcpProbe {
    pub fn new(address: Address) -> Self {
        Self { address }
    }

    /// `(success, detail)`; the caller bounds the time.
    pub async fn run(&self) -> (bool, String) {
        let target = self.address.to_string();
        let addrs = match lookup_host(&target).await {
            Ok(addrs) => addrs,
            Err(e) => return (false, format!("cannot resolve {target}: {e}")),
        };
        let mut last = format!("{target} resolved to no address");
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(_) => return (true, format!("TCP connect to {addr} ok")),
                Err(e) => last = format!("TCP connect to {addr}: {e}"),
            }
        }
        (false, last)
    }
}
