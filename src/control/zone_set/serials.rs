//! Serials: the one a zone without `soa.serial` derives, the zones as the
//! other nodes of a cluster see them (origin, content hash, serial), and
//! raising a derived serial to the highest one a peer derived for the same
//! content.

use std::time::{SystemTime, UNIX_EPOCH};

use super::ZoneSet;
use crate::cluster::keys::ZoneValue;
use crate::control::state::SerialRecord;
use crate::zone::model::Zone;

impl ZoneSet {
    /// Every served zone as the cluster sees it: lowercase origin, the
    /// hash of its text, its serial and whether the file sets the serial.
    pub fn published(&self) -> Vec<(String, ZoneValue)> {
        self.loaded
            .values()
            .map(|l| {
                let value = ZoneValue {
                    content_hash: l.zone.content_hash,
                    serial: l.serial,
                    explicit: l.zone.soa.serial.is_some(),
                };
                (origin_key(&l.zone), value)
            })
            .collect()
    }

    /// (origin, content hash, serial) of every zone whose serial is derived.
    pub fn derived(&self) -> Vec<(String, u64, u32)> {
        self.loaded
            .values()
            .filter(|l| l.zone.soa.serial.is_none())
            .map(|l| (origin_key(&l.zone), l.zone.content_hash, l.serial))
            .collect()
    }

    /// Raises the derived serial of `origin` to `serial` (a peer's, for the
    /// same content); false when there is no such zone or it would not go up.
    pub fn adopt_serial(&mut self, origin: &str, content_hash: u64, serial: u32) -> bool {
        let Some(loaded) = self.loaded.values_mut().find(|l| {
            origin_key(&l.zone) == origin
                && l.zone.content_hash == content_hash
                && l.zone.soa.serial.is_none()
        }) else {
            return false;
        };
        if serial_is_newer(serial, loaded.serial) {
            // The SOA changes: `compiled_with` compiles this zone again.
            loaded.serial = serial;
            let record = SerialRecord {
                serial,
                content_hash,
            };
            self.serials.insert(loaded.zone.origin.clone(), record);
            return true;
        }
        false
    }
}

/// A zone's origin as the cluster names it: lowercase, absolute.
fn origin_key(zone: &Zone) -> String {
    zone.origin.to_lowercase().to_string()
}

/// RFC 1982 serial arithmetic: `a` is after `b`.
fn serial_is_newer(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 1 << 31
}

/// A serial that grows on every change: the Unix time, or one more than the
/// previous serial when that is already ahead.
pub(super) fn derived_serial(previous: Option<u32>, now: SystemTime) -> u32 {
    let unix = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let unix = u32::try_from(unix).unwrap_or(u32::MAX);
    match previous {
        Some(p) => unix.max(p.wrapping_add(1)),
        None => unix,
    }
}
