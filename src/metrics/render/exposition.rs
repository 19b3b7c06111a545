//! The pieces of the Prometheus text format every family uses: the
//! `# HELP`/`# TYPE` header, a histogram's series, label-value escaping and
//! Unix timestamps.
//!
//! Invariant: output here is byte-for-byte what promtool accepts; writes
//! into a `String` cannot fail, so their `fmt::Result` is ignored.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::metrics::Histogram;

/// The `# HELP` and `# TYPE` lines that open a family.
pub(super) fn family(w: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(w, "# HELP {name} {help}");
    let _ = writeln!(w, "# TYPE {name} {kind}");
}

/// `labels` is empty or `key="value"` pairs without braces.
pub(super) fn histogram(w: &mut String, name: &str, labels: &str, h: &Histogram) {
    let (buckets, total, sum) = h.cumulative();
    let sep = if labels.is_empty() { "" } else { "," };
    for (bound, count) in buckets {
        let _ = writeln!(w, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(w, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {total}");
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(w, "{name}_sum{braces} {sum}");
    let _ = writeln!(w, "{name}_count{braces} {total}");
}

/// A label value per the exposition format: backslash, quote and newline escaped.
pub(super) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Seconds since the Unix epoch; 0 for a time before it (a clock set back).
pub(super) fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
