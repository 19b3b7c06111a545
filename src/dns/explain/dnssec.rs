//! What the explain API says about DNSSEC: whether a DO=1 query would get
//! this answer signed, by which key tags, and how a negative answer is
//! proven (compact denial).

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use serde::Serialize;

use crate::dns::resolve::Resolution;
use crate::table::zone_table::CompiledZone;

#[derive(Clone, Debug, Serialize)]
pub struct DnssecExplained {
    /// A query with DO=1 gets RRSIGs (and denial proofs) with this answer.
    pub signed_with_do: bool,
    /// The key tags of the keys whose RRSIGs it carries.
    pub key_tags: Vec<u16>,
    /// How a negative answer is proven: `"compact-nxdomain"` (NSEC at the
    /// name with NXNAME, RCODE NOERROR unless the query sets CO) or
    /// `"nsec-nodata"`; None for a positive answer.
    pub denial: Option<&'static str>,
}

/// None for a zone that is not signed.
pub fn explain(
    zone: &CompiledZone,
    qtype: RecordType,
    res: &Resolution<'_>,
) -> Option<DnssecExplained> {
    let keys = zone.dnssec.as_deref()?;
    let signers = match qtype {
        RecordType::DNSKEY | RecordType::CDS | RecordType::CDNSKEY => &keys.key_signers,
        _ => &keys.zone_signers,
    };
    let denial = match (res.rcode, res.soa.is_some()) {
        (ResponseCode::NXDomain, _) => Some("compact-nxdomain"),
        (_, true) => Some("nsec-nodata"),
        _ => None,
    };
    Some(DnssecExplained {
        signed_with_do: true,
        key_tags: signers.iter().map(|&i| keys.keys[i].tag).collect(),
        denial,
    })
}
