//! `[dnssec]` of `alwayson.toml`: the keys folder and how signatures are
//! made (validity, refresh, cache size).

use std::time::Duration;

use super::DnssecConfig;
use super::convert::Converter;
use super::raw::RawDnssec;

/// The largest signature cache accepted (entries).
const MAX_CACHE_ENTRIES: i64 = 100_000_000;

impl Converter<'_> {
    /// `[dnssec]`.
    pub(super) fn dnssec(&mut self, raw: &RawDnssec, config: &mut DnssecConfig) {
        if let Some(dir) = &raw.keys_dir {
            config.keys_dir = self.relative(dir.get_ref());
        }
        let sign = &mut config.sign;
        if let Some(v) = &raw.signature_validity {
            self.positive_duration(v, "dnssec.signature_validity", &mut sign.validity);
            if sign.validity < Duration::from_secs(3600) {
                self.err(v.span(), "dnssec.signature_validity must be at least 1h");
            }
        }
        if let Some(r) = &raw.signature_refresh {
            self.positive_duration(r, "dnssec.signature_refresh", &mut sign.refresh);
            if sign.refresh * 2 > sign.validity {
                let message = "dnssec.signature_refresh must be at most half of signature_validity";
                self.err(r.span(), message);
            }
        }
        if let Some(n) = &raw.signature_cache_entries {
            match usize::try_from(*n.get_ref()) {
                Ok(v) if (1..=MAX_CACHE_ENTRIES).contains(n.get_ref()) => sign.cache_entries = v,
                _ => self.err(
                    n.span(),
                    format!("dnssec.signature_cache_entries must be 1..={MAX_CACHE_ENTRIES}"),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::diag::Source;

    #[test]
    fn dnssec_section_is_read_and_checked() {
        let text = "[dnssec]\nkeys_dir = \"k\"\nsignature_validity = \"10d\"\nsignature_refresh = \"3d\"\nsignature_cache_entries = 5000\n";
        let config = super::super::convert(&Source::new("etc/alwayson.toml", text)).unwrap();
        assert_eq!(config.dnssec.keys_dir, PathBuf::from("etc/k"));
        assert_eq!(config.dnssec.sign.validity.as_secs(), 864_000);
        assert_eq!(config.dnssec.sign.cache_entries, 5000);
        let default = super::super::convert(&Source::new("etc/a.toml", "")).unwrap();
        assert_eq!(default.dnssec.keys_dir, PathBuf::from("etc/keys"));

        let bad = "[dnssec]\nsignature_validity = \"1d\"\nsignature_refresh = \"20h\"\nsignature_cache_entries = 0\n";
        let errors = super::super::convert(&Source::new("a.toml", bad)).unwrap_err();
        let at: Vec<String> = errors
            .iter()
            .map(|d| format!("{}:{}", d.line, d.col))
            .collect();
        assert_eq!(at, ["3:21", "4:27"]);
    }
}
