//! EDNS TCP keepalive (RFC 7828): over TCP, a query that carries the
//! option gets it back in the response's OPT with the TCP idle timeout.
//! Over UDP the option is ignored (§3.2.1).

use std::time::Duration;

use hickory_proto::op::Edns;
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};

/// The option's code.
const KEEPALIVE: u16 = 11;

/// `[dns.tcp] idle_timeout` when not set.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Adds the option to `response` with `idle` (in units of 100 ms) when
/// `query` carries it.
pub fn answer_keepalive(query: Option<&Edns>, response: Option<&mut Edns>, idle: Duration) {
    let (Some(query), Some(response)) = (query, response) else {
        return;
    };
    if query.option(EdnsCode::Keepalive).is_none() {
        return;
    }
    let units = u16::try_from(idle.as_millis() / 100).unwrap_or(u16::MAX);
    response
        .options_mut()
        .insert(EdnsOption::Unknown(KEEPALIVE, units.to_be_bytes().to_vec()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_is_answered_only_when_asked() {
        let mut query = Edns::new();
        let mut response = Edns::new();
        answer_keepalive(Some(&query), Some(&mut response), Duration::from_secs(10));
        assert!(response.option(EdnsCode::Keepalive).is_none());
        query
            .options_mut()
            .insert(EdnsOption::Unknown(KEEPALIVE, Vec::new()));
        answer_keepalive(Some(&query), Some(&mut response), Duration::from_secs(10));
        assert_eq!(
            response.option(EdnsCode::Keepalive),
            Some(&EdnsOption::Unknown(KEEPALIVE, vec![0, 100]))
        );
        let mut long = Edns::new();
        answer_keepalive(Some(&query), Some(&mut long), Duration::from_secs(86_400));
        assert_eq!(
            long.option(EdnsCode::Keepalive),
            Some(&EdnsOption::Unknown(KEEPALIVE, vec![0xFF, 0xFF])),
            "capped at the field's range"
        );
    }
}
