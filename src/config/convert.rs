//! The conversion of `alwayson.toml`'s raw mirror into a [`ServerConfig`]:
//! one function per section, each reporting every bad value with its
//! `file:line:col` and leaving the default in place. The order of the
//! diagnostics is the order of the sections below.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::raw::{RawAdmin, RawDns, RawDnsTcp, RawGeoip, RawProcess, RawReload, RawServerConfig};
use super::{AdminConfig, DnsConfig, GeoipConfig, ReloadConfig, ServerConfig};
use crate::diag::{Diagnostic, Source, Span};
use crate::duration::parse_duration;
use crate::health::spec;
use crate::process::{self, RunAs};
use crate::zone::model::Position;

/// The longest `dns.nsid`/`dns.version`, in bytes: one TXT string.
const MAX_IDENTITY_LEN: usize = 255;

/// Converts the text of a config file; every problem is reported.
pub fn convert(src: &Source) -> Result<ServerConfig, Vec<Diagnostic>> {
    let raw: RawServerConfig = toml::from_str(src.text()).map_err(|e| vec![src.toml_error(&e)])?;
    let mut cx = Converter::new(src);
    let mut config = ServerConfig {
        path: Some(src.path().to_path_buf()),
        ..ServerConfig::default()
    };
    config.dns.zones_dir = cx.relative("zones");
    config.state_dir = match raw.state_dir.as_ref().map(|d| d.get_ref().trim()) {
        None => Some(cx.relative(super::DEFAULT_STATE_DIR)),
        Some("" | "off") => None,
        Some(dir) => Some(cx.relative(dir)),
    };
    if let Some(dns) = &raw.dns {
        cx.dns(dns.get_ref(), &mut config.dns);
    }
    if let Some(geoip) = &raw.geoip {
        cx.geoip(geoip.get_ref(), &mut config.geoip);
    }
    if let Some(admin) = &raw.admin {
        cx.admin(admin.get_ref(), &mut config.admin);
    }
    if let Some(reload) = &raw.reload {
        cx.reload(reload.get_ref(), &mut config.reload);
    }
    if let Some(process) = &raw.process {
        config.process.run_as = cx.process(process.get_ref());
    }
    if let Some(cluster) = &raw.cluster {
        config.cluster = super::cluster::cluster(cluster, src, &cx.base, &mut cx.diags);
    }
    config.dnssec.keys_dir = cx.relative(super::DEFAULT_KEYS_DIR);
    if let Some(dnssec) = &raw.dnssec {
        cx.dnssec(dnssec.get_ref(), &mut config.dnssec);
    }
    config.forwarders = crate::forwarder::config::convert_all(&raw.forwarder, src, &mut cx.diags);
    config.health_checks = cx.health_checks(&raw);
    if cx.diags.is_empty() {
        Ok(config)
    } else {
        Err(cx.diags)
    }
}

/// The file being converted and what it has reported so far.
pub(super) struct Converter<'a> {
    src: &'a Source,
    /// The config file's folder, which relative paths start from.
    base: PathBuf,
    diags: Vec<Diagnostic>,
}

impl<'a> Converter<'a> {
    fn new(src: &'a Source) -> Self {
        let base = src
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Self {
            src,
            base,
            diags: Vec::new(),
        }
    }

    pub(super) fn err(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(self.src.error(&span, message));
    }

    pub(super) fn relative(&self, path: &str) -> PathBuf {
        let path = PathBuf::from(path);
        if path.is_absolute() || self.base.as_os_str().is_empty() {
            path
        } else {
            self.base.join(path)
        }
    }

    /// `[dns]`.
    fn dns(&mut self, dns: &RawDns, config: &mut DnsConfig) {
        if let Some(listen) = &dns.listen {
            config.listen = self.dns_listen(listen);
        }
        if let Some(dir) = &dns.zones_dir {
            config.zones_dir = self.relative(dir.get_ref());
        }
        if let Some(t) = &dns.tcp_idle_timeout {
            self.positive_duration(t, "tcp_idle_timeout", &mut config.tcp.idle_timeout);
        }
        if let Some(p) = &dns.max_udp_payload {
            match u16::try_from(*p.get_ref()) {
                Ok(v) if v >= 512 => config.max_udp_payload = v,
                _ => self.err(
                    p.span(),
                    format!(
                        "max_udp_payload must be in 512..=65535, got {}",
                        p.get_ref()
                    ),
                ),
            }
        }
        if let Some(n) = &dns.udp_threads {
            match usize::try_from(*n.get_ref()) {
                Ok(v) if (1..=256).contains(&v) => config.udp_threads = v,
                _ => self.err(
                    n.span(),
                    format!("udp_threads must be in 1..=256, got {}", n.get_ref()),
                ),
            }
        }
        if let Some(nsid) = &dns.nsid {
            config.nsid = self.identity_text("nsid", nsid);
        }
        if let Some(version) = &dns.version {
            config.version = self.identity_text("version", version);
        }
        if let Some(rrl) = &dns.rrl {
            config.rrl = Some(super::guard::rrl(rrl.get_ref(), self.src, &mut self.diags));
        }
        if let Some(cookies) = &dns.cookies {
            let cookies = super::guard::cookies(cookies.get_ref(), self.src, &mut self.diags);
            config.cookies = Some(cookies);
        }
        if let Some(tcp) = &dns.tcp {
            self.dns_tcp(tcp.get_ref(), config);
        }
    }

    /// `[dns.tcp]`.
    fn dns_tcp(&mut self, tcp: &RawDnsTcp, config: &mut DnsConfig) {
        let limits = &mut config.tcp;
        if let Some(t) = &tcp.idle_timeout {
            self.positive_duration(t, "idle_timeout", &mut limits.idle_timeout);
        }
        if let Some(t) = &tcp.frame_timeout {
            self.positive_duration(t, "frame_timeout", &mut limits.frame_timeout);
        }
        let counts = [
            (
                &tcp.max_connections,
                "max_connections",
                &mut limits.max_connections,
            ),
            (
                &tcp.max_connections_per_client,
                "max_connections_per_client",
                &mut limits.max_connections_per_client,
            ),
            (
                &tcp.max_in_flight,
                "max_in_flight",
                &mut limits.max_in_flight,
            ),
        ];
        for (value, key, into) in counts {
            let Some(n) = value else { continue };
            match usize::try_from(*n.get_ref()) {
                Ok(v) if (1..=1_000_000).contains(&v) => *into = v,
                _ => self.err(
                    n.span(),
                    format!("{key} must be in 1..=1000000, got {}", n.get_ref()),
                ),
            }
        }
    }

    /// A duration above 0 into `into`, or an error at its position.
    pub(super) fn positive_duration(
        &mut self,
        t: &Spanned<String>,
        key: &str,
        into: &mut Duration,
    ) {
        match parse_duration(t.get_ref()) {
            Ok(d) if d > Duration::ZERO => *into = d,
            Ok(_) => self.err(t.span(), format!("{key} must be above 0")),
            Err(e) => self.err(t.span(), e.to_string()),
        }
    }

    /// `dns.nsid` or `dns.version`: `""` is unset; otherwise text without
    /// control characters that fits one TXT string (255 bytes).
    fn identity_text(&mut self, key: &str, value: &Spanned<String>) -> Option<String> {
        let text = value.get_ref();
        if text.len() > MAX_IDENTITY_LEN {
            let len = text.len();
            self.err(
                value.span(),
                format!("{key} is {len} bytes long; at most {MAX_IDENTITY_LEN} fit a TXT string"),
            );
            return None;
        }
        if text.chars().any(char::is_control) {
            self.err(
                value.span(),
                format!("{key} must not contain control characters"),
            );
            return None;
        }
        Some(text.clone()).filter(|t| !t.is_empty())
    }

    /// `dns.listen`: the addresses that parse; an empty list is an error.
    fn dns_listen(&mut self, listen: &Spanned<Vec<Spanned<String>>>) -> Vec<SocketAddr> {
        let mut addrs = Vec::new();
        for item in listen.get_ref() {
            match item.get_ref().parse::<SocketAddr>() {
                Ok(a) => addrs.push(a),
                Err(_) => self.err(
                    item.span(),
                    format!(
                        "invalid listen address {:?} (write \"127.0.0.1:5300\" or \"[::]:53\")",
                        item.get_ref()
                    ),
                ),
            }
        }
        if listen.get_ref().is_empty() {
            self.err(listen.span(), "dns.listen needs at least one address");
        }
        addrs
    }

    /// `[geoip]`.
    fn geoip(&mut self, geoip: &RawGeoip, config: &mut GeoipConfig) {
        config.database = geoip.database.as_ref().map(|d| self.relative(d.get_ref()));
        if let Some(ecs) = &geoip.use_ecs {
            config.use_ecs = *ecs.get_ref();
        }
    }

    /// `[admin]`: `listen = "off"` (or empty) turns the API off.
    fn admin(&mut self, admin: &RawAdmin, config: &mut AdminConfig) {
        if let Some(listen) = &admin.listen {
            let text = listen.get_ref().trim();
            if text.is_empty() || text == "off" {
                config.listen = None;
            } else {
                match text.parse::<SocketAddr>() {
                    Ok(a) => config.listen = Some(a),
                    Err(_) => self.err(
                        listen.span(),
                        format!(
                            "invalid admin listen address {text:?} (write \"127.0.0.1:8053\", or \"off\")"
                        ),
                    ),
                }
            }
        }
        config.token = admin
            .token
            .as_ref()
            .map(|t| t.get_ref().clone())
            .filter(|t| !t.is_empty());
    }

    /// `[reload]`.
    fn reload(&mut self, reload: &RawReload, config: &mut ReloadConfig) {
        if let Some(w) = &reload.watch {
            config.watch = *w.get_ref();
        }
        if let Some(d) = &reload.debounce {
            match parse_duration(d.get_ref()) {
                Ok(v) => config.debounce = v,
                Err(e) => self.err(d.span(), e.to_string()),
            }
        }
    }

    /// `[process]`: the user (and group, by default the user's primary
    /// group) looked up now, so that an unknown name is reported here.
    fn process(&mut self, process: &RawProcess) -> Option<RunAs> {
        let named = |v: &Option<Spanned<String>>| {
            v.as_ref()
                .filter(|s| !s.get_ref().trim().is_empty())
                .map(|s| (s.get_ref().trim().to_string(), s.span()))
        };
        let group = named(&process.group);
        let Some((user, user_span)) = named(&process.user) else {
            if let Some((_, span)) = group {
                self.err(span, "process.group needs process.user");
            }
            return None;
        };
        let entry = match process::lookup_user(&user) {
            Ok(entry) => entry,
            Err(e) => {
                self.err(user_span, e.to_string());
                return None;
            }
        };
        let (group, gid) = match (group, entry.primary_gid) {
            (Some((name, span)), _) => match process::lookup_group(&name) {
                Ok(found) => found,
                Err(e) => {
                    self.err(span, e.to_string());
                    return None;
                }
            },
            (None, Some(gid)) => (process::group_name(gid), gid),
            (None, None) => {
                let e = process::LookupError::NoPrimaryGroup(user);
                self.err(user_span, e.to_string());
                return None;
            }
        };
        Some(RunAs {
            user: entry.name,
            uid: entry.uid,
            group,
            gid,
        })
    }

    /// `[health_check.<id>]` sections, each with the position of its table.
    fn health_checks(&mut self, raw: &RawServerConfig) -> Vec<(spec::HealthCheckSpec, Position)> {
        let mut checks = Vec::new();
        for (id, check) in &raw.health_check {
            if let Some(spec) = spec::convert(id, check, self.src, &mut self.diags) {
                let (line, col) = self.src.locate(check.span().start);
                checks.push((spec, Position::new(line, col, 0)));
            }
        }
        checks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        let src = Source::new("etc/alwayson.toml", text);
        match convert(&src) {
            Ok(_) => Vec::new(),
            Err(diags) => diags.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn every_section_reports_its_errors_in_file_order() {
        let text = "[dns]\nlisten = [\"nope\"]\ntcp_idle_timeout = \"0s\"\n\
                    max_udp_payload = 100\nudp_threads = 0\n\
                    [admin]\nlisten = \"x\"\n[reload]\ndebounce = \"soon\"\n";
        let errors = errors(text);
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert_eq!(
            errors[0],
            "etc/alwayson.toml:2:11: invalid listen address \"nope\" \
             (write \"127.0.0.1:5300\" or \"[::]:53\")"
        );
        assert_eq!(
            errors[1],
            "etc/alwayson.toml:3:20: tcp_idle_timeout must be above 0"
        );
        assert_eq!(
            errors[2],
            "etc/alwayson.toml:4:19: max_udp_payload must be in 512..=65535, got 100"
        );
        assert_eq!(
            errors[3],
            "etc/alwayson.toml:5:15: udp_threads must be in 1..=256, got 0"
        );
        assert_eq!(
            errors[4],
            "etc/alwayson.toml:7:10: invalid admin listen address \"x\" \
             (write \"127.0.0.1:8053\", or \"off\")"
        );
        assert!(
            errors[5].starts_with("etc/alwayson.toml:9:12: invalid duration \"soon\": "),
            "{}",
            errors[5]
        );
    }

    #[test]
    fn nsid_and_version_are_checked_and_empty_means_unset() {
        let long = "x".repeat(256);
        let text = format!("[dns]\nnsid = \"{long}\"\nversion = \"a\\tb\"\n");
        assert_eq!(
            errors(&text),
            [
                "etc/alwayson.toml:2:8: nsid is 256 bytes long; at most 255 fit a TXT string",
                "etc/alwayson.toml:3:11: version must not contain control characters",
            ]
        );
        let dns = |text: &str| convert(&Source::new("a.toml", text)).unwrap().dns;
        let set = dns(&format!(
            "[dns]\nnsid = \"{}\"\nversion = \"1.0\"\n",
            &long[1..]
        ));
        assert_eq!(set.nsid.as_deref(), Some(&long[1..]));
        assert_eq!(set.version.as_deref(), Some("1.0"));
        let unset = dns("[dns]\nnsid = \"\"\nversion = \"\"\n");
        assert_eq!((unset.nsid, unset.version), (None, None));
        assert_eq!(dns("").nsid, None);
    }

    #[test]
    fn dns_tcp_is_read_and_tcp_idle_timeout_is_its_alias() {
        let read = |text: &str| convert(&Source::new("a.toml", text)).unwrap().dns.tcp;
        let tcp = read("[dns]\ntcp_idle_timeout = \"3s\"\n");
        assert_eq!(tcp.idle_timeout, Duration::from_secs(3));
        let tcp = read(
            "[dns]\ntcp_idle_timeout = \"3s\"\n[dns.tcp]\nidle_timeout = \"4s\"\n\
             frame_timeout = \"1s\"\nmax_connections = 5\n\
             max_connections_per_client = 2\nmax_in_flight = 3\n",
        );
        assert_eq!(tcp.idle_timeout, Duration::from_secs(4), "[dns.tcp] wins");
        assert_eq!(tcp.frame_timeout, Duration::from_secs(1));
        assert_eq!(
            (
                tcp.max_connections,
                tcp.max_connections_per_client,
                tcp.max_in_flight
            ),
            (5, 2, 3)
        );
        let unknown = errors("[dns.tcp]\nnope = 1\n");
        assert_eq!(unknown.len(), 1, "{unknown:#?}");
        assert!(unknown[0].contains("unknown field `nope`"), "{unknown:#?}");
        let errors = errors(
            "[dns]\nudp_threads = 0\n[dns.tcp]\nframe_timeout = \"0s\"\n\
             max_connections = 0\nmax_in_flight = -1\n",
        );
        assert_eq!(
            errors,
            [
                "etc/alwayson.toml:2:15: udp_threads must be in 1..=256, got 0",
                "etc/alwayson.toml:4:17: frame_timeout must be above 0",
                "etc/alwayson.toml:5:19: max_connections must be in 1..=1000000, got 0",
                "etc/alwayson.toml:6:17: max_in_flight must be in 1..=1000000, got -1",
            ]
        );
    }

    #[test]
    fn paths_are_relative_to_the_config_file() {
        let src = Source::new(
            "etc/alwayson.toml",
            "[dns]\nzones_dir = \"z\"\n[geoip]\ndatabase = \"/g.mmdb\"\n[admin]\nlisten = \"off\"\n",
        );
        let config = convert(&src).unwrap();
        assert_eq!(config.dns.zones_dir, PathBuf::from("etc/z"));
        assert_eq!(config.state_dir, Some(PathBuf::from("etc/state")));
        assert_eq!(config.geoip.database, Some(PathBuf::from("/g.mmdb")));
        assert_eq!(config.admin.listen, None);
        assert!(
            errors("[dns]\nlisten = []\n")[0].ends_with("dns.listen needs at least one address")
        );
        let state = |text| {
            convert(&Source::new("etc/alwayson.toml", text))
                .unwrap()
                .state_dir
        };
        assert_eq!(
            state("state_dir = \"/var/lib/alwayson\"\n"),
            Some(PathBuf::from("/var/lib/alwayson"))
        );
        assert_eq!(state("state_dir = \"off\"\n"), None);
    }

    #[test]
    fn process_user_is_looked_up_with_its_position() {
        let run_as = |text| {
            convert(&Source::new("etc/alwayson.toml", text))
                .unwrap()
                .process
                .run_as
        };
        let root = run_as("[process]\nuser = \"root\"\n").unwrap();
        assert_eq!((root.uid, root.gid, root.group.as_str()), (0, 0, "root"));
        let grouped = run_as("[process]\nuser = \"root\"\ngroup = \"0\"\n").unwrap();
        assert_eq!(grouped.gid, 0);
        assert_eq!(run_as("[process]\nuser = \"\"\n"), None);
        assert_eq!(
            errors("[process]\nuser = \"no-such-user-alwayson\"\n"),
            [
                "etc/alwayson.toml:2:8: unknown user \"no-such-user-alwayson\": \
              no such user on this system"
            ]
        );
        assert_eq!(
            errors("[process]\nuser = \"root\"\ngroup = \"no-such-group-alwayson\"\n"),
            [
                "etc/alwayson.toml:3:9: unknown group \"no-such-group-alwayson\": \
              no such group on this system"
            ]
        );
        assert_eq!(
            errors("[process]\ngroup = \"root\"\n"),
            ["etc/alwayson.toml:2:9: process.group needs process.user"]
        );
    }
}
