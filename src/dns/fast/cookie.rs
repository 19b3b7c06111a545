//! The DNS cookie step of the fast path, as `Guard::cookie` takes it on the
//! general path: the COOKIE option checked against the packet's source
//! (never the ECS address), a fresh server cookie for the response, the
//! exemption from rate limiting for a valid one, and its count. A cookie
//! that gets FORMERR or BADCOOKIE is left to the general path.

use std::net::IpAddr;

use super::request::FastQuery;
use crate::dns::cookie::CookieCheck;
use crate::dns::guard::canonical;
use crate::dns::live::Live;
use crate::metrics::Metrics;
use crate::metrics::abuse::CookieResult;

/// What the cookie step decided for one query.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CookieStep {
    /// The COOKIE option's data for the response (client and server cookie).
    pub data: Option<[u8; 24]>,
    /// A valid server cookie: not rate limited.
    pub exempt: bool,
    result: Option<CookieResult>,
}

impl CookieStep {
    /// Counts the check, once the fast path has answered.
    pub fn count(&self, metrics: &Metrics) {
        if let Some(result) = self.result {
            metrics.abuse.record_cookie(result);
        }
    }
}

/// The cookie step for `query` from `src`; None for the general path.
pub(super) fn step(live: &Live, query: &FastQuery<'_>, src: IpAddr) -> Option<CookieStep> {
    let Some(cookies) = &live.guard.cookies else {
        return Some(CookieStep::default());
    };
    let client = canonical(src);
    let check = cookies.check_bytes(query.edns.and_then(|e| e.cookie), client);
    let (exempt, result) = match check {
        CookieCheck::Absent => return Some(CookieStep::default()),
        CookieCheck::Malformed | CookieCheck::Invalid(_) => return None,
        CookieCheck::ClientOnly(_) => (false, CookieResult::ClientOnly),
        CookieCheck::Valid(_) => (true, CookieResult::Valid),
    };
    let data = check.client().map(|cc| cookies.data(&cc, client));
    Some(CookieStep {
        data,
        exempt,
        result: Some(result),
    })
}
