//! The values of a record set, held compactly: A and AAAA addresses (most
//! of a large zone) as their bytes, other types as parsed RDATA. A parsed
//! `RData` is about 200 bytes on the heap per value; a zone of a million
//! single-address sets held them all while it was checked and compiled.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::{A, AAAA};

/// A record set's values, in their order.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// One IPv4 address (no allocation).
    A(Ipv4Addr),
    /// Several IPv4 addresses.
    ManyA(Box<[Ipv4Addr]>),
    /// IPv6 addresses.
    Aaaa(Box<[Ipv6Addr]>),
    /// Any other data (or a mix), parsed.
    Other(Vec<RData>),
}

impl Default for Values {
    fn default() -> Self {
        Values::Other(Vec::new())
    }
}

impl From<Vec<RData>> for Values {
    fn from(values: Vec<RData>) -> Self {
        let v4 = |v: &RData| match v {
            RData::A(a) => Some(a.0),
            _ => None,
        };
        let v6 = |v: &RData| match v {
            RData::AAAA(a) => Some(a.0),
            _ => None,
        };
        if let [one] = values.as_slice()
            && let Some(a) = v4(one)
        {
            return Values::A(a);
        }
        if let Some(all) = values.iter().map(v4).collect::<Option<Box<[_]>>>()
            && !all.is_empty()
        {
            return Values::ManyA(all);
        }
        if let Some(all) = values.iter().map(v6).collect::<Option<Box<[_]>>>()
            && !all.is_empty()
        {
            return Values::Aaaa(all);
        }
        Values::Other(values)
    }
}

impl Values {
    /// How many values.
    pub fn len(&self) -> usize {
        match self {
            Values::A(_) => 1,
            Values::ManyA(a) => a.len(),
            Values::Aaaa(a) => a.len(),
            Values::Other(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th value as RDATA (an address is built on the fly).
    pub fn get(&self, i: usize) -> Option<Cow<'_, RData>> {
        match self {
            Values::A(a) => (i == 0).then_some(Cow::Owned(RData::A(A(*a)))),
            Values::ManyA(a) => a.get(i).map(|a| Cow::Owned(RData::A(A(*a)))),
            Values::Aaaa(a) => a.get(i).map(|a| Cow::Owned(RData::AAAA(AAAA(*a)))),
            Values::Other(v) => v.get(i).map(Cow::Borrowed),
        }
    }

    /// Every value as RDATA, in order.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, RData>> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> RData {
        RData::A(A(s.parse().unwrap()))
    }

    fn aaaa(s: &str) -> RData {
        RData::AAAA(AAAA(s.parse().unwrap()))
    }

    #[test]
    fn addresses_are_held_as_bytes_and_read_back_as_parsed() {
        let txt = RData::TXT(hickory_proto::rr::rdata::TXT::new(vec!["x".into()]));
        for (values, compact) in [
            (vec![a("192.0.2.1")], true),
            (vec![a("192.0.2.1"), a("192.0.2.2")], true),
            (vec![aaaa("2001:db8::1"), aaaa("2001:db8::2")], true),
            (vec![a("192.0.2.1"), aaaa("2001:db8::1")], false),
            (vec![txt.clone()], false),
            (vec![], false),
        ] {
            let held = Values::from(values.clone());
            assert_eq!(!matches!(held, Values::Other(_)), compact, "{values:?}");
            assert_eq!(held.len(), values.len());
            let back: Vec<RData> = held.iter().map(Cow::into_owned).collect();
            assert_eq!(back, values);
            assert!(held.get(values.len()).is_none());
        }
        assert!(std::mem::size_of::<Values>() <= 24);
    }
}
