//! The compiled, health-independent form of every served zone: a hash map
//! per zone from lowercase wire names to nodes, with answers, referrals and
//! additional-section records prepared at reload time.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use foldhash::fast::RandomState;
use hickory_proto::rr::{Name, Record, RecordType};

use crate::health::CheckId;
use crate::policy::GroupRules;
use crate::table::name_index::NameIndex;
use crate::table::sig_slot::SigCell;
use crate::table::wire_name::WireName;

mod answer;
pub use answer::extend_section;

/// Every served zone, findable by longest suffix.
#[derive(Debug, Default)]
pub struct ZoneTable {
    zones: Vec<ServedZone>,
    /// Zones by lowercase wire origin (foldhash: a query looks names up
    /// here and in the zone's index, and SipHash was a tenth of the query
    /// path's own time; the keys come from the operator's zones, and the
    /// seed is random per process).
    by_origin: HashMap<Box<[u8]>, usize, RandomState>,
    /// Bit `n` set: some zone's origin has `n` labels (a name longer than
    /// 127 labels does not exist), so [`ZoneTable::find`] looks up only
    /// the suffixes that can be an origin.
    origin_label_counts: u128,
    /// Every routed group of every zone, indexed by `Rrset::group`.
    groups: Vec<GroupRef>,
    /// The result of the last load of every zone file.
    pub files: Vec<ZoneFileReport>,
}

/// A compiled zone as one table serves it: the compiled zone is shared
/// (`Arc`) with every other table that serves the same version, so a reload
/// recompiles only the zones that changed; what depends on the zone's place
/// in this table (where its groups start in the routing state) sits beside
/// it. Derefs to the [`CompiledZone`].
#[derive(Debug)]
pub struct ServedZone {
    compiled: Arc<CompiledZone>,
    /// Index of this zone's first routed group in [`ZoneTable::groups`] (and
    /// the routing state): `RoutedGroup::group` is local to its zone.
    group_base: usize,
}

impl ServedZone {
    /// The compiled zone, shared with the tables that serve this version.
    pub fn compiled(&self) -> &Arc<CompiledZone> {
        &self.compiled
    }

    /// The index in [`ZoneTable::groups`] of this zone's group `local`.
    pub fn group_index(&self, local: usize) -> usize {
        self.group_base + local
    }
}

impl std::ops::Deref for ServedZone {
    type Target = CompiledZone;

    fn deref(&self) -> &CompiledZone {
        &self.compiled
    }
}

/// Where a routed group lives, for computing its routing state.
#[derive(Clone, Copy, Debug)]
pub struct GroupRef {
    pub zone: usize,
    pub node: usize,
    pub rrset: usize,
}

/// What happened the last time a zone file was read.
#[derive(Clone, Debug)]
pub struct ZoneFileReport {
    pub file: PathBuf,
    /// The origin being served from this file, if any version loaded.
    pub origin: Option<Name>,
    pub serial: Option<u32>,
    pub records: usize,
    pub loaded_at: SystemTime,
    /// The diagnostics of the last failed attempt (the previous version, if
    /// any, keeps serving).
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct CompiledZone {
    pub origin: Name,
    pub origin_labels: usize,
    /// Whether the apex owns a DNAME (which redirects every name below it).
    pub apex_dname: bool,
    pub file: PathBuf,
    pub serial: u32,
    pub content_hash: u64,
    /// The apex SOA with its own TTL, for SOA queries.
    pub soa: Record,
    /// The SOA for negative answers: TTL = min(SOA TTL, SOA minimum).
    pub negative_soa: Record,
    /// Encoded size of `negative_soa` without compression (an upper bound).
    pub negative_soa_size: usize,
    /// `negative_soa` in wire form (`table::wire`), for the UDP fast path.
    pub negative_soa_wire: Option<Box<[u8]>>,
    /// The signatures of `soa` for DO=1 fast answers (`table::sig_slot`).
    pub soa_sigs: SigCell,
    /// The signatures of `negative_soa`, likewise.
    pub negative_soa_sigs: SigCell,
    pub nodes: Vec<Node>,
    /// Lowercase wire name → node number.
    pub index: NameIndex,
    pub record_count: usize,
    /// Every routed group of the zone, indexed by `RoutedGroup::group`
    /// (`zone` is 0 here; [`ZoneTable`] gives each its table-wide place).
    pub groups: Vec<GroupRef>,
    /// The origin's stable number (the same for every compiled version of
    /// it), set by the control plane before the zone is published.
    pub id: ZoneId,
    /// The signing keys of a zone with `dnssec = true`.
    pub dnssec: Option<Arc<crate::dnssec::ZoneKeys>>,
}

/// A stable number for a served origin: the control plane gives each
/// origin one when it starts being served and never reuses it, so whatever
/// is kept per zone outside the table (query counters) can be found by it
/// with an array index instead of a hash of the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneId(pub u32);

impl ZoneId {
    /// What the compile step gives a zone until the
    /// control plane assigns its id; never assigned to an origin.
    pub const UNASSIGNED: ZoneId = ZoneId(u32::MAX);
}

/// One owner name of the zone. It holds no copy of its name: the index key
/// spells it, the apex is node 0 ([`CompiledZone::is_apex`]), and a
/// wildcard keeps its name for rate limiting.
///
/// 24 bytes: what few nodes have is boxed apart ([`NodeExtras`]), since a
/// zone of a million names holds a million nodes.
#[derive(Debug, Default)]
pub struct Node {
    /// Sorted by type.
    pub rrsets: Box<[Rrset]>,
    /// A referral, a wildcard name or a DNAME target; None for most nodes.
    pub extras: Option<Box<NodeExtras>>,
}

/// What only some nodes have.
#[derive(Debug, Default)]
pub struct NodeExtras {
    /// NS here and not at the apex: a delegation point.
    pub referral: Option<Answer>,
    /// The name of a wildcard node (`*.…`).
    pub wildcard: Option<Name>,
    /// The target of the DNAME here, decoded at compile time.
    pub dname_target: Option<Name>,
}

#[derive(Debug)]
pub struct Rrset {
    pub rtype: RecordType,
    pub ttl: u32,
    pub content: RrsetContent,
}

#[derive(Debug)]
pub enum RrsetContent {
    /// One simple set of values: the answer is fixed.
    Static(Answer),
    /// Sets chosen per query by a policy over health (or a simple alias).
    Routed(RoutedGroup),
}

/// Records plus what goes in the additional section with them. An RRset
/// whose wire form holds all it says (see [`Answer::new`]) keeps only that
/// form: [`Answer::records`] decodes it when the general path asks, so a
/// large zone holds each record once, in about 40 bytes instead of 300.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    /// Empty (shared) when the wire form is the only copy.
    records: Arc<[Record]>,
    additionals: Arc<[Record]>,
    /// Upper bound of the encoded size of `records` + `additionals`.
    pub wire_size: usize,
    /// `records` and `additionals` in wire form for the UDP fast path
    /// (`table::wire`); None for a type it cannot write.
    pub wire: Option<Box<[u8]>>,
    /// Its signatures for DO=1 fast answers (`table::sig_slot`).
    pub sigs: SigCell,
}

#[derive(Debug)]
pub struct RoutedGroup {
    /// Index into the zone's [`CompiledZone::groups`];
    /// [`ServedZone::group_index`] gives its place in the routing state.
    pub group: usize,
    /// What the policy reads: its kind, `when_all_down`, each set's rule.
    pub rules: GroupRules,
    /// Indexed like `rules.routing`.
    pub sets: Box<[CompiledSet]>,
    /// The SOA of this group's NODATA (all sets down and fail closed, or
    /// no set chosen): the zone's negative SOA with its TTL capped at the
    /// group's shortest TTL, so resolvers ask again as soon as they would
    /// have for the records themselves.
    pub nodata_soa: Box<Record>,
}

#[derive(Debug)]
pub struct CompiledSet {
    pub id: Arc<str>,
    pub health_check: Option<CheckId>,
    pub target: SetTarget,
}

#[derive(Debug)]
pub enum SetTarget {
    Values(Answer),
    Alias {
        target: Name,
        key: Box<[u8]>,
        evaluate_target_health: bool,
        /// The target's routed group in this zone (None: a static RRset),
        /// set by [`CompiledZone::link_groups`].
        target_group: Option<usize>,
    },
}

impl ZoneTable {
    /// Builds the table over compiled zones (shared with the previous table
    /// where unchanged); zones with a duplicate origin must already be removed.
    pub fn new<Z: Into<Arc<CompiledZone>>>(zones: Vec<Z>, files: Vec<ZoneFileReport>) -> Self {
        let mut groups = Vec::new();
        let mut by_origin = HashMap::default();
        let mut origin_label_counts = 0u128;
        let mut served = Vec::with_capacity(zones.len());
        for (z, zone) in zones.into_iter().enumerate() {
            let compiled: Arc<CompiledZone> = zone.into();
            by_origin.insert(crate::table::wire_name::key_of(&compiled.origin), z);
            origin_label_counts |= 1u128 << compiled.origin_labels.min(127);
            let group_base = groups.len();
            groups.extend(compiled.groups.iter().map(|g| GroupRef { zone: z, ..*g }));
            served.push(ServedZone {
                compiled,
                group_base,
            });
        }
        Self {
            zones: served,
            by_origin,
            origin_label_counts,
            groups,
            files,
        }
    }

    /// The zone with the longest origin that is a suffix of `qname`, and
    /// how many labels `qname` has below that origin.
    pub fn find(&self, qname: &WireName) -> Option<(&ServedZone, usize)> {
        let labels = qname.labels();
        (0..=labels)
            .filter(|&skip| self.origin_label_counts & (1u128 << (labels - skip).min(127)) != 0)
            .find_map(|skip| {
                self.by_origin
                    .get(qname.suffix(skip))
                    .map(|&z| (&self.zones[z], skip))
            })
    }

    pub fn zones(&self) -> &[ServedZone] {
        &self.zones
    }

    pub fn zone_by_origin(&self, origin: &Name) -> Option<&ServedZone> {
        self.by_origin
            .get(&*crate::table::wire_name::key_of(origin))
            .map(|&z| &self.zones[z])
    }

    pub fn groups(&self) -> &[GroupRef] {
        &self.groups
    }

    pub fn group(&self, index: usize) -> Option<(&ServedZone, &Node, &Rrset, &RoutedGroup)> {
        let r = self.groups.get(index)?;
        let zone = &self.zones[r.zone];
        let node = &zone.nodes[r.node];
        let rrset = &node.rrsets[r.rrset];
        match &rrset.content {
            RrsetContent::Routed(g) => Some((zone, node, rrset, g)),
            RrsetContent::Static(_) => None,
        }
    }
}

impl CompiledZone {
    pub fn node(&self, key: &[u8]) -> Option<&Node> {
        self.index.get(key).and_then(|i| self.nodes.get(i))
    }

    /// Whether `node` is this zone's apex (node 0).
    pub fn is_apex(&self, node: &Node) -> bool {
        self.nodes
            .first()
            .is_some_and(|apex| std::ptr::eq(apex, node))
    }

    /// Numbers the zone's routed groups (zone-local, so a compiled zone can
    /// be shared by tables that hold other zones) and points every alias at
    /// its target's group. Called once, by `compile`.
    pub fn link_groups(&mut self) {
        let mut groups = Vec::new();
        for (n, node) in self.nodes.iter_mut().enumerate() {
            for (r, rrset) in node.rrsets.iter_mut().enumerate() {
                if let RrsetContent::Routed(group) = &mut rrset.content {
                    group.group = groups.len();
                    groups.push(GroupRef {
                        zone: 0,
                        node: n,
                        rrset: r,
                    });
                }
            }
        }
        for r in &groups {
            let targets = self.alias_targets(r);
            if let RrsetContent::Routed(group) = &mut self.nodes[r.node].rrsets[r.rrset].content {
                for (set, found) in group.sets.iter_mut().zip(targets) {
                    if let SetTarget::Alias { target_group, .. } = &mut set.target {
                        *target_group = found;
                    }
                }
            }
        }
        self.groups = groups;
    }

    /// The routed group of each alias target of the group at `r` (None for
    /// values and for a static target), in set order.
    fn alias_targets(&self, r: &GroupRef) -> Vec<Option<usize>> {
        let rrset = &self.nodes[r.node].rrsets[r.rrset];
        let RrsetContent::Routed(group) = &rrset.content else {
            return Vec::new();
        };
        group
            .sets
            .iter()
            .map(|set| match &set.target {
                SetTarget::Alias { key, .. } => self
                    .node(key)
                    .and_then(|n| n.rrset(rrset.rtype))
                    .and_then(|t| match &t.content {
                        RrsetContent::Routed(g) => Some(g.group),
                        RrsetContent::Static(_) => None,
                    }),
                SetTarget::Values(_) => None,
            })
            .collect()
    }
}

impl Node {
    pub fn rrset(&self, rtype: RecordType) -> Option<&Rrset> {
        self.rrsets.iter().find(|r| r.rtype == rtype)
    }

    pub fn is_wildcard(&self) -> bool {
        self.wildcard().is_some()
    }

    /// The NS answer of a delegation point (NS here, not at the apex).
    pub fn referral(&self) -> Option<&Answer> {
        self.extras.as_deref().and_then(|e| e.referral.as_ref())
    }

    /// The name of a wildcard node (`*.…`).
    pub fn wildcard(&self) -> Option<&Name> {
        self.extras.as_deref().and_then(|e| e.wildcard.as_ref())
    }

    /// The target of the static DNAME here.
    pub fn dname_target(&self) -> Option<&Name> {
        self.extras.as_deref().and_then(|e| e.dname_target.as_ref())
    }

    /// The extras, made when the node has none yet.
    pub fn extras_mut(&mut self) -> &mut NodeExtras {
        self.extras.get_or_insert_with(Box::default)
    }
}
