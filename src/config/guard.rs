//! `[dns.rrl]` and `[dns.cookies]`: the conversion of the UDP defences'
//! settings, each bad value reported with its `file:line:col`. Either
//! section turns its feature on by being present.

use std::time::Duration;

use toml::Spanned;

use super::raw::{RawCookies, RawRrl};
use crate::diag::{Diagnostic, Source};
use crate::dns::cookie::CookieSettings;
use crate::dns::rrl::RrlSettings;
use crate::duration::parse_duration;

/// `[dns.rrl]`.
pub fn rrl(raw: &RawRrl, src: &Source, diags: &mut Vec<Diagnostic>) -> RrlSettings {
    let mut settings = RrlSettings::default();
    let mut int = |value: &Option<Spanned<i64>>, key: &str, min: i64, max: i64| {
        let value = value.as_ref()?;
        let n = *value.get_ref();
        if (min..=max).contains(&n) {
            Some(n)
        } else {
            diags.push(src.error(
                &value.span(),
                format!("{key} must be in {min}..={max}, got {n}"),
            ));
            None
        }
    };
    // The casts below hold: each value was checked against a range that fits.
    if let Some(n) = int(
        &raw.responses_per_second,
        "responses_per_second",
        1,
        100_000,
    ) {
        settings.responses_per_second = n as u32;
    }
    if let Some(n) = int(&raw.slip, "slip", 0, 10) {
        settings.slip = n as u8;
    }
    if let Some(n) = int(&raw.ipv4_prefix, "ipv4_prefix", 0, 32) {
        settings.ipv4_prefix = n as u8;
    }
    if let Some(n) = int(&raw.ipv6_prefix, "ipv6_prefix", 0, 128) {
        settings.ipv6_prefix = n as u8;
    }
    if let Some(n) = int(&raw.table_size, "table_size", 1024, 1 << 24) {
        settings.table_size = n as usize;
    }
    if let Some(w) = &raw.window {
        match parse_duration(w.get_ref()) {
            Ok(d) if (Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&d) => {
                settings.window = d;
            }
            Ok(_) => diags.push(src.error(&w.span(), "window must be between 1s and 1h")),
            Err(e) => diags.push(src.error(&w.span(), e.to_string())),
        }
    }
    for net in raw.whitelist.iter().flatten() {
        match net.get_ref().parse() {
            Ok(n) => settings.whitelist.push(n),
            Err(_) => diags.push(src.error(
                &net.span(),
                format!(
                    "invalid network {:?} in whitelist (write \"192.0.2.0/24\" or \"2001:db8::/32\")",
                    net.get_ref()
                ),
            )),
        }
    }
    settings
}

/// `[dns.cookies]`.
pub fn cookies(raw: &RawCookies, src: &Source, diags: &mut Vec<Diagnostic>) -> CookieSettings {
    let mut secret = |value: &Option<Spanned<String>>, key: &str| {
        let value = value.as_ref()?;
        let parsed = secret_of(value.get_ref().trim());
        if parsed.is_none() {
            diags.push(src.error(
                &value.span(),
                format!("{key} must be 32 hex digits (16 bytes), as `openssl rand -hex 16` prints"),
            ));
        }
        parsed
    };
    CookieSettings {
        secret: secret(&raw.secret, "secret"),
        previous_secret: secret(&raw.previous_secret, "previous_secret"),
    }
}

/// 32 hex digits as 16 bytes.
fn secret_of(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::config::convert;
    use crate::diag::Source;

    fn convert_text(text: &str) -> Result<crate::config::ServerConfig, Vec<String>> {
        convert(&Source::new("a.toml", text))
            .map_err(|d| d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn rrl_and_cookies_are_off_unless_their_sections_are_present() {
        let config = convert_text("[dns]\nudp_threads = 1\n").unwrap();
        assert!(config.dns.rrl.is_none() && config.dns.cookies.is_none());
        let config = convert_text(
            "[dns.rrl]\nresponses_per_second = 5\nslip = 0\nwindow = \"5s\"\n\
             whitelist = [\"10.0.0.0/8\"]\n[dns.cookies]\n\
             secret = \"000102030405060708090a0b0c0d0e0f\"\n",
        )
        .unwrap();
        let rrl = config.dns.rrl.unwrap();
        assert_eq!(
            (rrl.responses_per_second, rrl.slip, rrl.ipv4_prefix),
            (5, 0, 24)
        );
        assert_eq!(rrl.window.as_secs(), 5);
        assert_eq!(rrl.whitelist, ["10.0.0.0/8".parse().unwrap()]);
        let cookies = config.dns.cookies.unwrap();
        assert_eq!(cookies.secret.unwrap()[15], 15);
        assert_eq!(cookies.previous_secret, None);
    }

    #[test]
    fn bad_values_are_reported_with_their_position() {
        let errors = convert_text(
            "[dns.rrl]\nslip = 11\nwindow = \"0s\"\nwhitelist = [\"x\"]\n\
             [dns.cookies]\nsecret = \"abc\"\n",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert_eq!(errors[0], "a.toml:2:8: slip must be in 0..=10, got 11");
        assert_eq!(errors[1], "a.toml:3:10: window must be between 1s and 1h");
        assert!(errors[2].starts_with("a.toml:4:14: invalid network \"x\""));
        assert!(errors[3].starts_with("a.toml:6:10: secret must be 32 hex digits"));
    }
}
