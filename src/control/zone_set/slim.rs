//! One model of a zone, not two: once a loaded zone is compiled, its
//! converted model keeps only what later reloads read (the record sets
//! that name a health check, without their data, for the cross-file
//! rules), so a large zone is held once, in its compiled form. A zone that
//! must be compiled again for the same content (a new zone id, or a serial
//! adopted from the cluster) converts its file again first; if that file
//! no longer converts to the same content, the previous compiled version
//! keeps serving until the next reload picks up the change.
//!
//! Signed zones keep their whole model: their keys are attached again at
//! every reload, which compiles them again.

use std::path::Path;
use std::sync::Arc;

use super::Loaded;
use crate::diag::Source;
use crate::table::compile::compile_beside;
use crate::table::zone_table::{CompiledZone, ZoneId};
use crate::zone::Zone;
use crate::zone::model::SetData;
use crate::zone::values::Values;

impl Loaded {
    /// This version compiled with `id` and this serial: the one compiled
    /// before when it is still current, else a fresh one (and then the
    /// model is slimmed). The flag says whether it was compiled now.
    pub(super) fn compiled_with(&mut self, file: &Path, id: ZoneId) -> (Arc<CompiledZone>, bool) {
        if let Some(c) = &self.compiled
            && c.id == id
            && c.serial == self.serial
        {
            return (c.clone(), false);
        }
        if self.slim {
            match full_model(file, &self.zone) {
                Some(zone) => {
                    self.zone = Arc::new(zone);
                    self.slim = false;
                }
                None => {
                    if let Some(c) = &self.compiled {
                        tracing::warn!(
                            file = %file.display(),
                            "zone file changed while being compiled again; the previous version keeps serving"
                        );
                        return (c.clone(), false);
                    }
                }
            }
        }
        let mut zone = compile_beside(&self.zone, self.serial, &two_threads);
        zone.id = id;
        let compiled = Arc::new(zone);
        self.compiled = Some(compiled.clone());
        (compiled, true)
    }

    /// Drops the record sets the compiled zone now holds, keeping those
    /// that name a health check (without data) for the cross-file rules.
    /// Called once the compiled zone is published: dropping a million
    /// record sets need not delay the new answers.
    pub(super) fn slim_model(&mut self) {
        if self.compiled.is_none() {
            return;
        }
        if self.slim || self.zone.dnssec.is_some() {
            return;
        }
        let Some(zone) = Arc::get_mut(&mut self.zone) else {
            return;
        };
        zone.record_sets.retain(|s| s.health_check().is_some());
        for set in &mut zone.record_sets {
            set.data = SetData::Values(Values::default());
        }
        zone.record_sets.shrink_to_fit();
        self.slim = true;
    }
}

/// The second thread a large zone's compile uses (`compile::Beside`):
/// scoped to the compile; if it cannot start, this thread does the work.
fn two_threads(beside: &(dyn Fn() + Sync), here: &mut dyn FnMut()) {
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("zone-compile".into())
            .spawn_scoped(scope, beside);
        here();
        if let Ok(helper) = helper
            && let Err(panic) = helper.join()
        {
            std::panic::resume_unwind(panic);
        }
    });
}

/// The whole model of a slimmed zone, converted again from its file, if
/// that file still holds the same content.
fn full_model(file: &Path, slim: &Zone) -> Option<Zone> {
    let src = Source::read(file).ok()?;
    let zone = crate::zone::convert::convert(&src).ok()?;
    (zone.content_hash == slim.content_hash).then_some(zone)
}

#[cfg(test)]
mod tests {
    use super::super::ZoneSet;
    use crate::table::zone_table::ZoneId;

    const ZONE: &str = "[zone]\norigin = \"slim.test.\"\nsoa = { mname = \"ns1\", rname = \"hostmaster\" }\n\n\
        [health_check.web]\ntype = \"tcp\"\naddress = \"192.0.2.1:80\"\n\n\
        [[record]]\nname = \"www\"\ntype = \"A\"\nvalues = [\"192.0.2.1\"]\n\n\
        [[record]]\nname = \"api\"\ntype = \"A\"\nset = \"a\"\nfailover = \"primary\"\nhealth_check = \"web\"\nvalues = [\"192.0.2.2\"]\n\n\
        [[record]]\nname = \"api\"\ntype = \"A\"\nset = \"b\"\nfailover = \"secondary\"\nvalues = [\"192.0.2.3\"]\n";

    fn records(set: &mut ZoneSet, id: u32) -> usize {
        let (zones, _) = set.compile(|origins| vec![ZoneId(id); origins.len()]);
        set.slim_compiled();
        zones[0].record_count
    }

    #[test]
    fn a_compiled_zone_keeps_one_model_and_compiles_again_from_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("slim.test.toml");
        std::fs::write(&file, ZONE).unwrap();
        let mut set = ZoneSet::default();
        let outcome = set.reload_files(std::slice::from_ref(&file), &[], None);
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        assert_eq!(records(&mut set, 1), 3);
        // Only the set that names a health check is kept, without data.
        let kept = &set.zones().next().unwrap().record_sets;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].health_check().map(|c| &**c), Some("web"));

        // A new id compiles again: the file is converted again.
        assert_eq!(records(&mut set, 2), 3);
        // The reports still count every record set.
        let (_, reports) = set.compile(|o| vec![ZoneId(2); o.len()]);
        assert_eq!(reports[0].records, 3);

        // The file changed since: the previous compiled version serves
        // until the reload that reads the change.
        std::fs::write(
            &file,
            ZONE.replace("192.0.2.1\"]", "192.0.2.1\", \"192.0.2.9\"]"),
        )
        .unwrap();
        assert_eq!(records(&mut set, 3), 3);
        set.reload_files(std::slice::from_ref(&file), &[], None);
        assert_eq!(records(&mut set, 3), 4);

        // An unchanged reload shares the compiled zone and the slim model.
        let (before, _) = set.compile(|o| vec![ZoneId(3); o.len()]);
        set.slim_compiled();
        set.reload_files(std::slice::from_ref(&file), &[], None);
        let (after, _) = set.compile(|o| vec![ZoneId(3); o.len()]);
        assert!(std::sync::Arc::ptr_eq(&before[0], &after[0]));
    }
}
