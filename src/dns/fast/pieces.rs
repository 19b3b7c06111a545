//! A fast answer as references into the snapshot: the answer's RRsets
//! (each a [`Piece`]: an owner and a wire RRset), the negative SOA, the
//! referral, and the header's facts, collected by `plan` and `dname` in a
//! fixed array and written by `writer`.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::Name;

use crate::table::wire::WireRrset;
use crate::table::zone_table::{Answer, Node};

/// The most RRsets one fast answer carries.
pub(super) const MAX_PIECES: usize = 16;

/// One RRset of the answer and the owner it is written under.
#[derive(Clone, Copy, Debug)]
pub(super) struct Piece<'a> {
    /// Wire form, uncompressed, without the root's case changed.
    pub owner: &'a [u8],
    pub wire: WireRrset<'a>,
    pub cname: bool,
    /// The TTL to write instead of the stored one (the apex SOA's).
    pub ttl: Option<u32>,
    /// Where its signatures are kept, for DO=1 (`fast::signed`).
    pub signs: Signs<'a>,
}

/// Where the signatures of a piece are kept.
#[derive(Clone, Copy, Debug)]
pub(super) enum Signs<'a> {
    /// Nowhere: its signature is per query (an alias's records under the
    /// asked name, a synthesized CNAME); DO=1 takes the general path.
    PerQuery,
    /// In the slot of the precomputed answer it was written from, owned
    /// by its own owner.
    Answer(&'a Answer),
    /// In the zone's slot of its apex SOA.
    ApexSoa,
}

/// The SOA of a negative answer: its wire form and the TTL to write.
#[derive(Clone, Copy, Debug)]
pub(super) struct NegativeSoa<'a> {
    pub owner: &'a [u8],
    pub wire: WireRrset<'a>,
    pub ttl: u32,
}

/// The whole answer, by reference into the snapshot.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    pub rcode: ResponseCode,
    pieces: [Option<Piece<'a>>; MAX_PIECES],
    len: usize,
    /// How many answer records the pieces hold.
    pub records: u16,
    pub soa: Option<NegativeSoa<'a>>,
    /// The NS RRset of a referral (its glue follows the answers' additionals).
    pub referral: Option<Piece<'a>>,
    /// AA: clear only for a referral with no CNAME above the cut.
    pub authoritative: bool,
    pub ecs_scope: u8,
    pub wildcard: Option<&'a Name>,
    /// The delegation point of a referral.
    pub cut: Option<&'a Node>,
}

impl<'a> Plan<'a> {
    /// An empty NOERROR answer, authoritative.
    pub fn new() -> Self {
        Plan {
            rcode: ResponseCode::NoError,
            pieces: [None; MAX_PIECES],
            len: 0,
            records: 0,
            soa: None,
            referral: None,
            authoritative: true,
            ecs_scope: 0,
            wildcard: None,
            cut: None,
        }
    }

    /// How many pieces so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn pieces(&self) -> impl Iterator<Item = &Piece<'a>> {
        self.pieces[..self.len].iter().flatten()
    }

    pub fn push(&mut self, piece: Piece<'a>) -> Option<()> {
        *self.pieces.get_mut(self.len)? = Some(piece);
        self.len += 1;
        self.records = self.records.checked_add(piece.wire.count())?;
        Some(())
    }
}
