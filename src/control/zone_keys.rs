//! Attaching DNSSEC keys to a zone at load: a zone with `dnssec = true`
//! reads its key-state file and keys from the keys folder at every reload
//! (so a rollover step takes effect on reload); any problem fails the zone
//! file, which keeps its previous version serving.

use std::path::Path;
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::dnssec::folder::load_zone_keys;
use crate::zone::model::Zone;

/// Loads the keys of `zone` when it is signed; an error is reported at its
/// `dnssec = true`.
pub fn attach_keys(zone: &mut Zone, keys_dir: &Path) -> Result<(), Diagnostic> {
    let Some(at) = zone.dnssec else {
        zone.keys = None;
        return Ok(());
    };
    match load_zone_keys(keys_dir, &zone.origin, zone.soa.ttl) {
        Ok(keys) => {
            zone.keys = Some(Arc::new(keys));
            Ok(())
        }
        Err(e) => Err(Diagnostic {
            file: zone.file.clone(),
            line: at.line_col().0,
            col: at.line_col().1,
            message: format!("dnssec: {e}"),
        }),
    }
}
