//! [`GeoDb`]: a MaxMind-format database (GeoLite2/GeoIP2-City, DB-IP City
//! Lite, or one built by `alwayson geoip build`) that turns an address into a
//! [`Location`].
//!
//! Invariant: [`GeoDb::locate`] runs on the DNS query path, so it decodes only
//! the few fields routing needs, into borrowed data (no allocation), and it
//! never panics: a database that is corrupt past the checks done at open
//! time yields a miss, not a crashed server.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use maxminddb::Reader;

use super::integrity;
use super::location::Location;
use super::memo::memoized;
use super::record::CityRecord;

/// Why a geo database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("cannot read GeoIP database {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "{} is not a usable MaxMind DB file ({reason}); expected a GeoLite2-City, DB-IP City Lite or `alwayson geoip build` database",
        path.display()
    )]
    NotMaxMindDb { path: PathBuf, reason: String },
}

/// An opened geo database, held in memory; cheap to share behind an `Arc`.
pub struct GeoDb {
    reader: Reader<Vec<u8>>,
    /// Unique per opened database, for the per-thread memo (`memo.rs`).
    id: u64,
    ipv6_tree: bool,
    /// Set once a lookup failed, so the warning is logged once, not per query.
    failure_logged: AtomicBool,
}

impl GeoDb {
    /// Reads and checks the database at `path`.
    pub fn open(path: &Path) -> Result<GeoDb, GeoError> {
        let bytes = std::fs::read(path).map_err(|source| GeoError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(path, bytes)
    }

    /// Checks and wraps the bytes of the file at `path` (named in errors).
    pub(crate) fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<GeoDb, GeoError> {
        let not_mmdb = |reason: String| GeoError::NotMaxMindDb {
            path: path.to_path_buf(),
            reason,
        };
        integrity::check_metadata(&bytes).map_err(|e| not_mmdb(e.to_string()))?;
        // maxminddb 0.26 indexes its buffer without bounds checks: a file that
        // merely contains the metadata marker could panic while opening.
        let meta =
            panic::catch_unwind(|| Reader::from_source(bytes.as_slice()).map(|r| r.metadata))
                .map_err(|_| not_mmdb("its metadata or search tree is corrupt".to_string()))?
                .map_err(|e| not_mmdb(e.to_string()))?;
        if !matches!(meta.record_size, 24 | 28 | 32) {
            return Err(not_mmdb(format!(
                "unknown record size {}",
                meta.record_size
            )));
        }
        if !matches!(meta.ip_version, 4 | 6) {
            return Err(not_mmdb(format!("unknown IP version {}", meta.ip_version)));
        }
        integrity::check(
            &bytes,
            meta.node_count as usize,
            usize::from(meta.record_size),
        )
        .map_err(|reason| not_mmdb(format!("corrupt: {reason}")))?;
        let reader = Reader::from_source(bytes).map_err(|e| not_mmdb(e.to_string()))?;
        let ipv6_tree = reader.metadata.ip_version == 6;
        static OPENED: AtomicU64 = AtomicU64::new(0);
        Ok(GeoDb {
            reader,
            id: OPENED.fetch_add(1, Ordering::Relaxed),
            ipv6_tree,
            failure_logged: AtomicBool::new(false),
        })
    }

    /// Where `ip` is, or `None` when the database has no record for it (or is
    /// an IPv4-only database asked about IPv6). IPv4-mapped IPv6 addresses are
    /// looked up as IPv4, with `prefix_len` counted in IPv6 bits.
    /// Repeated addresses are answered from a per-thread memo.
    pub fn locate(&self, ip: IpAddr) -> Option<Location> {
        memoized(self.id, ip, || self.look_up(ip))
    }

    /// [`GeoDb::locate`] without the memo: the search tree and the record.
    fn look_up(&self, ip: IpAddr) -> Option<Location> {
        let (address, family_bits) = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), 96),
                None => (ip, 0),
            },
            IpAddr::V4(_) => (ip, 0),
        };
        if address.is_ipv6() && !self.ipv6_tree {
            return None;
        }
        let lookup = || self.reader.lookup_prefix::<CityRecord>(address);
        let (record, prefix_len) = match panic::catch_unwind(AssertUnwindSafe(lookup)) {
            Ok(Ok((record, prefix_len))) => (record?, prefix_len),
            Ok(Err(e)) => {
                self.log_failure(&e.to_string());
                return None;
            }
            Err(_) => {
                self.log_failure("the decoder panicked");
                return None;
            }
        };
        // Some reader versions count an IPv4 match in the 128-bit tree's bits.
        let prefix_len = match address {
            IpAddr::V4(_) if prefix_len > 32 => prefix_len.saturating_sub(96).min(32),
            IpAddr::V4(_) => prefix_len,
            IpAddr::V6(_) => prefix_len.min(128),
        };
        Some(record.to_location(prefix_len as u8 + family_bits))
    }

    /// The metadata `database_type`, e.g. "GeoLite2-City".
    pub fn database_type(&self) -> &str {
        &self.reader.metadata.database_type
    }

    /// When the database was built, in seconds since the Unix epoch.
    pub fn build_epoch(&self) -> u64 {
        self.reader.metadata.build_epoch
    }

    fn log_failure(&self, reason: &str) {
        if !self.failure_logged.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                database_type = self.database_type(),
                "GeoIP lookup failed ({reason}); such addresses are treated as unknown"
            );
        }
    }
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meta = &self.reader.metadata;
        f.debug_struct("GeoDb")
            .field("database_type", &meta.database_type)
            .field("ip_version", &meta.ip_version)
            .field("node_count", &meta.node_count)
            .field("build_epoch", &meta.build_epoch)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use crate::geo::Code;

    use mmdb_writer::{IpVersion, Value, Writer};

    use super::*;
    use crate::diag::Source;
    use crate::geo::{build, csv};

    const CSV: &str = "network,continent,country,subdivision,latitude,longitude
192.0.2.0/24,EU,FR,,48.86,2.35
192.0.2.0/25,EU,DE,DE-HE,50.11,8.68
2001:db8::/48,EU,GB,GB-ENG,51.51,-0.13
2001:db8:2::/48,OC,AU,,,
";

    fn sample_bytes() -> Vec<u8> {
        let rows = csv::parse(&Source::new("t.csv", CSV)).unwrap();
        build::build_database(&rows, "t.csv", UNIX_EPOCH).unwrap()
    }

    fn open_bytes(bytes: &[u8]) -> Result<GeoDb, GeoError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.mmdb");
        std::fs::write(&path, bytes).unwrap();
        GeoDb::open(&path)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn code(s: &str) -> Option<Code> {
        Code::new(s)
    }

    #[test]
    fn locates_ipv4_ipv6_and_mapped_addresses() {
        let db = open_bytes(&sample_bytes()).unwrap();
        assert_eq!(db.database_type(), "GeoIP2-City");
        assert_eq!(
            db.locate(ip("192.0.2.7")),
            Some(Location {
                continent: code("EU"),
                country: code("DE"),
                subdivision: code("HE"),
                coordinates: Some((50.11, 8.68)),
                prefix_len: 25,
            })
        );
        // The broader /24 was listed first, yet the /25 still wins inside it.
        let paris = db.locate(ip("192.0.2.200")).unwrap();
        assert_eq!((paris.country, paris.prefix_len), (code("FR"), 25));
        let mapped = db.locate(ip("::ffff:192.0.2.7")).unwrap();
        assert_eq!((mapped.country, mapped.prefix_len), (code("DE"), 121));
        let london = db.locate(ip("2001:db8::1")).unwrap();
        assert_eq!(
            (london.country, london.subdivision, london.prefix_len),
            (code("GB"), code("ENG"), 48)
        );
        let sydney = db.locate(ip("2001:db8:2::1")).unwrap();
        assert_eq!((sydney.continent, sydney.coordinates), (code("OC"), None));
        assert_eq!(db.locate(ip("10.0.0.1")), None);
        assert_eq!(db.locate(ip("2001:db8:1::1")), None);
    }

    #[test]
    fn reads_the_geolite2_shape_and_skips_what_it_does_not_need() {
        let names = || Value::map([("en", "x"), ("de", "y")]);
        let subdivision = |iso: &str| {
            Value::map([
                ("geoname_id", Value::from(1_u32)),
                ("iso_code", Value::from(iso)),
                ("names", names()),
            ])
        };
        let record = Value::map([
            ("city", Value::map([("names", names())])),
            (
                "continent",
                Value::map([("code", Value::from("NA")), ("names", names())]),
            ),
            (
                "country",
                Value::map([("iso_code", Value::from("US")), ("names", names())]),
            ),
            (
                "location",
                Value::map([
                    ("accuracy_radius", Value::from(20_u16)),
                    ("latitude", Value::from(40.71)),
                    ("longitude", Value::from(-74.01)),
                    ("time_zone", Value::from("America/New_York")),
                ]),
            ),
            (
                "subdivisions",
                Value::array([subdivision("NY"), subdivision("X1"), subdivision("X2")]),
            ),
            // A key after the array: decoding it proves the array was consumed.
            ("traits", Value::map([("is_anycast", Value::from(true))])),
        ]);
        let mut writer = Writer::builder("GeoLite2-City")
            .ip_version(IpVersion::V4)
            .build();
        writer
            .insert_value("198.51.100.0/22".parse::<ipnet::IpNet>().unwrap(), record)
            .unwrap();
        let db = open_bytes(&writer.to_bytes().unwrap()).unwrap();
        let loc = db.locate(ip("198.51.101.1")).unwrap();
        assert_eq!(loc.continent, code("NA"));
        assert_eq!(loc.country, code("US"));
        assert_eq!(loc.subdivision, code("NY"));
        assert_eq!(loc.coordinates, Some((40.71, -74.01)));
        assert_eq!(loc.prefix_len, 22);
        // An IPv4-only database has nothing to say about IPv6.
        assert_eq!(db.locate(ip("2001:db8::1")), None);
        assert_eq!(
            db.locate(ip("::ffff:198.51.101.1")).map(|l| l.prefix_len),
            Some(118)
        );
    }

    #[test]
    fn open_reports_missing_and_foreign_files() {
        let missing = GeoDb::open(Path::new("no/such/geo.mmdb")).unwrap_err();
        assert!(matches!(missing, GeoError::Read { .. }), "{missing}");
        assert!(
            missing
                .to_string()
                .starts_with("cannot read GeoIP database no/such/geo.mmdb: ")
        );

        let garbage = open_bytes(b"this is not a database").unwrap_err();
        assert!(
            matches!(garbage, GeoError::NotMaxMindDb { .. }),
            "{garbage}"
        );
        assert!(
            garbage
                .to_string()
                .contains("is not a usable MaxMind DB file")
        );

        // A real database cut short keeps its metadata but loses its tree.
        let bytes = sample_bytes();
        let marker = b"\xab\xcd\xefMaxMind.com";
        let meta = bytes
            .windows(marker.len())
            .rposition(|w| w == marker)
            .unwrap();
        let truncated = [&bytes[..40], &bytes[meta..]].concat();
        assert!(matches!(
            open_bytes(&truncated),
            Err(GeoError::NotMaxMindDb { .. })
        ));
    }

    #[test]
    fn can_be_shared_across_query_tasks() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<GeoDb>();
        shareable::<Location>();
    }
}
