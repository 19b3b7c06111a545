//! Counters of the DNS TCP loop: connections open now, accepted, refused
//! over a limit (in total or per client), and how connections ended when
//! the server ended them (idle timeout, a frame that never completed, a
//! client that does not read). Relaxed atomics only.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why the server closed a connection (a client's own close is not counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpClose {
    /// No frame started within the idle timeout.
    Idle = 0,
    /// A frame started but did not complete within the frame timeout.
    FrameTimeout = 1,
    /// An answer could not be written within the frame timeout.
    WriteTimeout = 2,
    /// A frame that is not a query (a runt or a response).
    NotQuery = 3,
}

/// The label values of [`TcpClose`], in its order.
pub const TCP_CLOSE_REASONS: [&str; 4] = ["idle", "frame_timeout", "write_timeout", "not_query"];

#[derive(Debug, Default)]
pub struct TcpCounters {
    open: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    closed: [AtomicU64; TCP_CLOSE_REASONS.len()],
}

/// A snapshot of [`TcpCounters`] for a scrape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFigures {
    pub open: u64,
    pub accepted: u64,
    pub refused: u64,
    pub closed: [u64; TCP_CLOSE_REASONS.len()],
}

impl TcpCounters {
    /// A connection got a slot (it counts as open until [`Self::ended`]).
    pub fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection over a limit was closed at once.
    pub fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// An accepted connection is gone.
    pub fn ended(&self) {
        let _ = self
            .open
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// The server closed a connection, for `why`.
    pub fn closed(&self, why: TcpClose) {
        self.closed[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn figures(&self) -> TcpFigures {
        TcpFigures {
            open: self.open.load(Ordering::Relaxed),
            accepted: self.accepted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            closed: std::array::from_fn(|i| self.closed[i].load(Ordering::Relaxed)),
        }
    }
}
