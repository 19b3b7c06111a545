//! The DNS and admin listeners of a running server. The updater moves them
//! when a reload changes `[dns] listen` or `[admin] listen` (as the
//! `control::listen::Rebind` it was given); the running server reads their
//! addresses and stops them. One mutex guards them: it is taken at start,
//! by a reload that changes a listen address, when the addresses are read
//! and at shutdown, never on a query path.

use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::admin::{AdminServer, AdminState};
use crate::control::listen::{Rebind, RebindError};
use crate::dns::server::DnsServer;

/// The listeners, once started.
#[derive(Default)]
pub struct Listeners {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    dns: Option<DnsServer>,
    admin: Option<AdminServer>,
    /// What a newly bound admin API serves (also when it starts "off").
    admin_state: Option<AdminState>,
}

impl Listeners {
    /// Hands the started listeners over; reloads can move them from now on.
    pub fn install(&self, dns: DnsServer, admin: Option<AdminServer>, admin_state: AdminState) {
        let mut inner = self.lock();
        inner.dns = Some(dns);
        inner.admin = admin;
        inner.admin_state = Some(admin_state);
    }

    /// The bound DNS addresses and the bound admin address, now.
    pub fn addrs(&self) -> (Vec<SocketAddr>, Option<SocketAddr>) {
        let inner = self.lock();
        (
            inner
                .dns
                .as_ref()
                .map(DnsServer::local_addrs)
                .unwrap_or_default(),
            inner.admin.as_ref().map(AdminServer::local_addr),
        )
    }

    /// Takes the listeners out, to stop them.
    pub fn take(&self) -> (Option<DnsServer>, Option<AdminServer>) {
        let mut inner = self.lock();
        (inner.dns.take(), inner.admin.take())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Rebind for Listeners {
    fn rebind_dns(&self, listen: &[SocketAddr]) -> Result<(), RebindError> {
        let mut inner = self.lock();
        let dns = inner.dns.as_mut().ok_or(RebindError::NotStarted)?;
        dns.rebind(listen)?;
        tracing::info!(
            target: "alwayson::reload",
            dns = %addr_list(&dns.local_addrs()),
            "DNS listen addresses changed"
        );
        Ok(())
    }

    fn rebind_admin(&self, listen: Option<SocketAddr>) -> Result<(), RebindError> {
        let mut inner = self.lock();
        let state = inner.admin_state.clone().ok_or(RebindError::NotStarted)?;
        let new = match listen {
            Some(addr) => Some(
                AdminServer::bind(addr, state)
                    .map_err(|source| RebindError::Admin { addr, source })?,
            ),
            None => None,
        };
        let old = std::mem::replace(&mut inner.admin, new);
        if let Some(old) = old {
            // Requests in flight on the old address (this reload's own
            // POST, perhaps) finish before it closes.
            tokio::spawn(old.shutdown());
        }
        if listen.is_none() {
            tracing::info!(target: "alwayson::reload", "admin API turned off");
        }
        Ok(())
    }
}

/// `a, b` for a log line.
fn addr_list(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
