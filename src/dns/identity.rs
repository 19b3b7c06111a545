//! The server's identity, as operators ask for it to tell instances
//! apart: the NSID EDNS option (RFC 5001) and the CHAOS-class TXT names
//! `id.server.`/`hostname.bind.` (the NSID value) and
//! `version.server.`/`version.bind.` (`[dns] version`).
//!
//! Everything is built once, at start: the query path only compares the
//! query's name with at most four names, and only for CH-class queries;
//! the NSID option is cloned only into a response whose query asked for it.

use std::str::FromStr;

use hickory_proto::op::LowerQuery;
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::rdata::opt::NSIDPayload;
use hickory_proto::rr::{DNSClass, LowerName, Name, RData, Record, RecordType};

/// The names answered with the NSID value.
const ID_NAMES: [&str; 2] = ["id.server.", "hostname.bind."];
/// The names answered with the version.
const VERSION_NAMES: [&str; 2] = ["version.server.", "version.bind."];

/// What the server says about itself; the default says nothing.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    /// The NSID option's payload, when `[dns] nsid` is set.
    nsid: Option<NSIDPayload>,
    /// The CH TXT answers, one per name served.
    chaos: Vec<(LowerName, Record)>,
}

impl Identity {
    /// The identity for `nsid` and `version` (each `None` when unset);
    /// the config checked that each fits one TXT string (255 bytes).
    pub fn new(nsid: Option<&str>, version: Option<&str>) -> Self {
        let mut identity = Self {
            nsid: nsid.and_then(|n| NSIDPayload::new(n.as_bytes()).ok()),
            chaos: Vec::new(),
        };
        for (names, value) in [(ID_NAMES, nsid), (VERSION_NAMES, version)] {
            let Some(value) = value else { continue };
            for name in names {
                if let Ok(name) = Name::from_str(name) {
                    identity
                        .chaos
                        .push((LowerName::new(&name), chaos_txt(name, value)));
                }
            }
        }
        identity
    }

    /// The NSID payload to answer an NSID request with, if set.
    pub fn nsid(&self) -> Option<&NSIDPayload> {
        self.nsid.as_ref()
    }

    /// The TXT record answering a CH-class `query`, or `None` (REFUSED):
    /// only TXT and ANY queries for a name whose value is set are answered.
    pub fn chaos_answer(&self, query: &LowerQuery) -> Option<&Record> {
        if !matches!(query.query_type(), RecordType::TXT | RecordType::ANY) {
            return None;
        }
        self.chaos
            .iter()
            .find(|(name, _)| name == query.name())
            .map(|(_, record)| record)
    }
}

/// `name CH TXT "value"`, TTL 0 (it describes this instance only).
fn chaos_txt(name: Name, value: &str) -> Record {
    let mut record = Record::from_rdata(name, 0, RData::TXT(TXT::new(vec![value.to_string()])));
    record.dns_class = DNSClass::CH;
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;

    fn ask(identity: &Identity, name: &str, qtype: RecordType) -> Option<String> {
        let mut query = Query::query(Name::from_str(name).unwrap(), qtype);
        query.set_query_class(DNSClass::CH);
        let record = identity.chaos_answer(&LowerQuery::from(query))?;
        assert_eq!(record.dns_class, DNSClass::CH);
        match &record.data {
            RData::TXT(txt) => Some(txt.to_string()),
            other => panic!("not a TXT: {other:?}"),
        }
    }

    #[test]
    fn each_name_answers_only_when_its_value_is_set() {
        let both = Identity::new(Some("ns1-fra"), Some("alwayson 1.2"));
        assert_eq!(both.nsid().unwrap().as_ref(), b"ns1-fra");
        assert_eq!(
            ask(&both, "ID.Server.", RecordType::TXT).as_deref(),
            Some("ns1-fra")
        );
        assert_eq!(
            ask(&both, "hostname.bind.", RecordType::ANY).as_deref(),
            Some("ns1-fra")
        );
        assert_eq!(
            ask(&both, "version.bind.", RecordType::TXT).as_deref(),
            Some("alwayson 1.2")
        );
        assert_eq!(
            ask(&both, "version.server.", RecordType::TXT).as_deref(),
            Some("alwayson 1.2")
        );
        assert_eq!(ask(&both, "version.server.", RecordType::A), None);
        assert_eq!(ask(&both, "authors.bind.", RecordType::TXT), None);

        let nsid_only = Identity::new(Some("ns1-fra"), None);
        assert_eq!(
            ask(&nsid_only, "id.server.", RecordType::TXT).as_deref(),
            Some("ns1-fra")
        );
        assert_eq!(ask(&nsid_only, "version.bind.", RecordType::TXT), None);

        let none = Identity::default();
        assert!(none.nsid().is_none());
        assert_eq!(ask(&none, "id.server.", RecordType::TXT), None);
    }
}
