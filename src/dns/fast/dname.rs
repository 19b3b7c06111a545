//! DNAME on the fast path, as `dns::resolve` follows it (RFC 6672): the
//! DNAME record (once per answer) and the CNAME it synthesizes from the
//! asked name, whose wire form is built in a caller's stack arena so that
//! it lives as long as the rest of the plan. A name that would grow past
//! 255 bytes (YXDOMAIN) is left to the general path.

use hickory_proto::rr::RecordType;

use super::pieces::{Piece, Plan, Signs};
use crate::table::wire::WireRrset;
use crate::table::zone_table::{Node, RrsetContent};

/// Room for the synthesized CNAMEs of one query.
pub(super) const ARENA: usize = 1024;
/// The wire form's head: one record, one name, no owner, the name at
/// offset 10.
const HEAD: [u8; 5] = [1, 1, 0, 0, 10];
/// Where the record starts in the wire form.
const AT: usize = HEAD.len();

/// Adds the DNAME at `node` (owned by `owner`) and the CNAME it makes of
/// `asked` (the name as spelled, `skip` labels below the DNAME owner);
/// the new name to follow (Some(None): the answer is complete).
pub(super) fn follow<'a>(
    plan: &mut Plan<'a>,
    node: &'a Node,
    (owner, asked): (&'a [u8], &'a [u8]),
    skip: usize,
    arena: &mut &'a mut [u8],
    qtype: RecordType,
) -> Option<Option<&'a [u8]>> {
    let Some(RrsetContent::Static(answer)) = node.rrset(RecordType::DNAME).map(|r| &r.content)
    else {
        return Some(None);
    };
    let Some(record) = answer.kept_records().first() else {
        return Some(None);
    };
    let wire = WireRrset::new(answer.wire.as_deref()?);
    if wire.count() != 1 {
        return None;
    }
    let seen = plan
        .pieces()
        .any(|p| p.wire.records().as_ptr() == wire.records().as_ptr());
    if !seen {
        let ttl = None;
        plan.push(Piece {
            owner,
            wire,
            cname: false,
            ttl,
            signs: Signs::Answer(answer),
        })?;
    }
    node.dname_target()?;
    let body = wire.records();
    let rdlen = usize::from(u16::from_be_bytes([*body.get(8)?, *body.get(9)?]));
    let target = body.get(10..10 + rdlen)?;
    let prefix = labels_length(asked, skip)?;
    let length = prefix + target.len();
    if length > 255 || arena.len() < HEAD.len() + 10 + length {
        return None;
    }
    let (blob, rest) = std::mem::take(arena).split_at_mut(HEAD.len() + 10 + length);
    *arena = rest;
    blob[..AT].copy_from_slice(&HEAD);
    blob[AT..AT + 4].copy_from_slice(&[0, 5, 0, 1]);
    blob[AT + 4..AT + 8].copy_from_slice(&record.ttl.to_be_bytes());
    blob[AT + 8..AT + 10].copy_from_slice(&(length as u16).to_be_bytes());
    blob[AT + 10..AT + 10 + prefix].copy_from_slice(&asked[..prefix]);
    blob[AT + 10 + prefix..].copy_from_slice(target);
    let blob: &'a [u8] = blob;
    plan.push(Piece {
        owner: asked,
        wire: WireRrset::new(blob),
        cname: true,
        ttl: None,
        signs: Signs::PerQuery,
    })?;
    Some((qtype != RecordType::CNAME).then_some(&blob[AT + 10..]))
}

/// The length of the first `labels` labels of the wire name `name`.
fn labels_length(name: &[u8], labels: usize) -> Option<usize> {
    let mut at = 0;
    for _ in 0..labels {
        at += 1 + usize::from(*name.get(at)?);
    }
    Some(at)
}
