//! Raw zone TOML → [`Zone`]. The conversion is the validation: it collects
//! every problem, each at the `file:line:col` of the offending value, and
//! returns a zone only when there is none.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use hickory_proto::rr::{Name, RecordType};
use toml::Spanned;

use crate::diag::{Diagnostic, Source, Span};
use crate::zone::body::{self, Body, Context};
use crate::zone::grouping::sort_canonically;
use crate::zone::groups::check_groups;
use crate::zone::include;
use crate::zone::model::{Position, RecordSet, SetData, SetPolicy, Soa, WhenAllDown, Zone};
use crate::zone::names::{parse_name, parse_owner};
use crate::zone::raw::{RawRecordSet, RawSoa, RawZoneFile};
use crate::zone::rdata::{SUPPORTED_TYPES, parse_rdata, parse_type};
use crate::zone::routing::parse_routing;
use crate::zone::stream::{self, Unread};

/// The largest TTL RFC 2181 allows.
pub const MAX_TTL: i64 = 2_147_483_647;

/// Converts a zone file's text, reading the files its `include` names from
/// disk; every problem is reported.
pub fn convert(src: &Source) -> Result<Zone, Vec<Diagnostic>> {
    convert_with(src, &mut include::read_included)
}

/// Like [`convert`], with `load` expanding each `include` pattern (given
/// the zone file's path) to the files it names.
pub fn convert_with(src: &Source, load: &mut include::Loader<'_>) -> Result<Zone, Vec<Diagnostic>> {
    let failed = |unread| match unread {
        Unread::Toml(e) => vec![src.toml_error(&e)],
        Unread::NotPlain => vec![src.error(&(0..0), "record tables could not be read")],
    };
    // The plain run of record tables first (`scan.rs`); a table that is
    // not plain reads the file again with `toml`.
    match convert_once(src, load, true) {
        Err(Err(Unread::NotPlain)) => convert_once(src, load, false),
        other => other,
    }
    .map_err(|e| e.unwrap_or_else(failed))
}

/// One conversion; `plain`: read a plain run of record tables without
/// `toml`. Fails with the problems found, or with why the record tables
/// could not be read.
fn convert_once(
    src: &Source,
    load: &mut include::Loader<'_>,
    plain: bool,
) -> Result<Zone, Result<Vec<Diagnostic>, Unread>> {
    let streamed = stream::parse::<RawZoneFile>(src.text(), plain).map_err(|e| Err(e.into()))?;
    let raw = streamed.rest;
    let mut cx = Context::new(src, 0);
    let header = raw.zone.get_ref();
    let origin = cx.origin(&header.origin);
    let ttl = header.ttl.as_ref().and_then(|t| cx.ttl(t)).unwrap_or(300);
    let soa = origin.as_ref().and_then(|o| cx.soa(&header.soa, o, ttl));

    let mut body = Body::default();
    let origin_ref = origin.as_ref();
    cx.body::<RawZoneFile>(
        streamed.records,
        &raw.health_check,
        origin_ref,
        ttl,
        &mut body,
    )
    .map_err(Err)?;
    let included = include::expand(src, &raw.include, load, &mut cx.diags);
    body::parts(&mut cx, &included, origin_ref, ttl, &mut body);
    if let Some(origin) = &origin {
        let files: Vec<&Path> = std::iter::once(src.path())
            .chain(included.iter().map(Source::path))
            .collect();
        sort_canonically(&mut body.record_sets);
        check_groups(&body.record_sets, &cx.broken, origin, &files, &mut cx.diags);
    }

    let (Some(origin), Some(soa), true) = (origin, soa, cx.diags.is_empty()) else {
        body::sort(&mut cx.diags, src.path());
        return Err(Ok(cx.diags));
    };
    let dnssec = header
        .dnssec
        .as_ref()
        .filter(|d| *d.get_ref())
        .map(|d| cx.position(&d.span()));
    Ok(Zone {
        origin,
        file: src.path().to_path_buf(),
        ttl,
        soa,
        record_sets: body.record_sets,
        health_checks: body.health_checks,
        content_hash: include::content_hash(src, &included),
        include_patterns: raw.include.iter().map(|p| p.get_ref().clone()).collect(),
        includes: included.iter().map(|f| f.path().to_path_buf()).collect(),
        dnssec,
        keys: None,
    })
}

impl Context<'_> {
    fn error(&mut self, span: &Span, message: impl Into<String>) {
        self.diags.push(self.src.error(span, message));
    }

    pub(super) fn position(&self, span: &Span) -> Position {
        let mut near = self.near.get();
        let (line, col) = self.src.locate_near(span.start, &mut near);
        self.near.set(near);
        Position::new(line, col, self.source)
    }

    fn origin(&mut self, text: &Spanned<String>) -> Option<Name> {
        let value = text.get_ref().trim();
        let absolute = if value.ends_with('.') {
            value.to_string()
        } else {
            format!("{value}.")
        };
        match parse_name(&absolute, &Name::root()) {
            Ok(name) if value != "@" => Some(name),
            Ok(_) => {
                self.error(
                    &text.span(),
                    "origin must be a domain name such as \"example.com.\"",
                );
                None
            }
            Err(e) => {
                self.error(&text.span(), e.to_string());
                None
            }
        }
    }

    fn ttl(&mut self, ttl: &Spanned<i64>) -> Option<u32> {
        self.bounded(ttl, 0, MAX_TTL, "ttl")
    }

    fn bounded(&mut self, value: &Spanned<i64>, min: i64, max: i64, what: &str) -> Option<u32> {
        let v = *value.get_ref();
        if (min..=max).contains(&v) {
            u32::try_from(v).ok()
        } else {
            self.error(
                &value.span(),
                format!("{what} must be in {min}..={max}, got {v}"),
            );
            None
        }
    }

    fn soa(&mut self, raw: &Spanned<RawSoa>, origin: &Name, zone_ttl: u32) -> Option<Soa> {
        let soa = raw.get_ref();
        let name = |text: &Spanned<String>, what: &str, cx: &mut Self| {
            if text.get_ref().contains('@') && text.get_ref() != "@" {
                cx.error(
                    &text.span(),
                    format!("{what} is a domain name: write \"hostmaster.example.com.\", not an e-mail address"),
                );
                return None;
            }
            parse_name(text.get_ref(), origin)
                .map_err(|e| cx.error(&text.span(), format!("{what}: {e}")))
                .ok()
        };
        let mname = name(&soa.mname, "soa.mname", self);
        let rname = name(&soa.rname, "soa.rname", self);
        let field = |v: &Option<Spanned<i64>>, default: u32, what: &str, cx: &mut Self| match v {
            Some(v) => cx.bounded(v, 0, i64::from(u32::MAX), what),
            None => Some(default),
        };
        let serial = match &soa.serial {
            Some(s) => Some(self.bounded(s, 0, i64::from(u32::MAX), "soa.serial")?),
            None => None,
        };
        let refresh = field(&soa.refresh, 7200, "soa.refresh", self);
        let retry = field(&soa.retry, 900, "soa.retry", self);
        let expire = field(&soa.expire, 1_209_600, "soa.expire", self);
        let minimum = field(&soa.minimum, 300, "soa.minimum", self);
        let ttl = match &soa.ttl {
            Some(t) => self.ttl(t),
            None => Some(zone_ttl),
        };
        Some(Soa {
            mname: mname?,
            rname: rname?,
            serial,
            refresh: refresh?,
            retry: retry?,
            expire: expire?,
            minimum: minimum?,
            ttl: ttl?,
        })
    }

    pub(super) fn record_set(
        &mut self,
        raw: &Spanned<RawRecordSet>,
        origin: &Name,
        zone_ttl: u32,
    ) -> Option<RecordSet> {
        let record = raw.get_ref();
        let errors_before = self.diags.len();
        let name = parse_owner(record.name.get_ref(), origin)
            .map_err(|e| self.error(&record.name.span(), e.to_string()))
            .ok();
        let rtype = self.record_type(&record.rtype);
        let ttl = match &record.ttl {
            Some(t) => self.ttl(t),
            None => Some(zone_ttl),
        };
        let data = rtype.and_then(|t| self.set_data(record, t, origin, &raw.span()));
        let routing = parse_routing(record, self.src, &mut self.diags);
        let set_id = record.set.as_ref().and_then(|s| {
            let id = s.get_ref().trim();
            if id.is_empty() {
                self.error(&s.span(), "set must not be empty");
                None
            } else {
                Some(Arc::<str>::from(id))
            }
        });
        let health_check = record.health_check.as_ref().and_then(|h| {
            let id = h.get_ref().trim();
            if id.is_empty() {
                self.error(&h.span(), "health_check must name a check id");
                None
            } else {
                Some(Arc::<str>::from(id))
            }
        });
        let when_all_down = match &record.when_all_down {
            None => WhenAllDown::FailOpen,
            Some(w) => match w.get_ref().as_str() {
                "nodata" => WhenAllDown::NoData,
                "answer" | "fail_open" => WhenAllDown::FailOpen,
                other => {
                    self.error(
                        &w.span(),
                        format!("when_all_down must be \"nodata\" or \"answer\", got {other:?}"),
                    );
                    WhenAllDown::FailOpen
                }
            },
        };
        if self.diags.len() > errors_before {
            match (name, rtype) {
                (Some(name), Some(rtype)) => _ = self.broken.sets.insert((name, rtype)),
                _ => self.broken.unknown = true,
            }
            return None;
        }
        Some(RecordSet {
            name: name?,
            rtype: rtype?,
            ttl: ttl?,
            data: data?,
            position: self.position(&raw.span()),
            policy: SetPolicy {
                set_id,
                routing: routing?,
                health_check,
                when_all_down,
            }
            .boxed(),
        })
    }

    fn record_type(&mut self, text: &Spanned<String>) -> Option<RecordType> {
        match parse_type(text.get_ref()) {
            Ok(RecordType::SOA) => {
                self.error(
                    &text.span(),
                    "the SOA comes from the [zone] soa table, not from a [[record]]",
                );
                None
            }
            Ok(rtype) => Some(rtype),
            Err(e) => {
                let list: Vec<String> = SUPPORTED_TYPES.iter().map(ToString::to_string).collect();
                self.error(
                    &text.span(),
                    format!(
                        "{e}; supported: {}, and any other type as TYPEnnn with generic \\# data",
                        list.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn set_data(
        &mut self,
        record: &RawRecordSet,
        rtype: RecordType,
        origin: &Name,
        record_span: &Span,
    ) -> Option<SetData> {
        match (&record.values, &record.alias) {
            (Some(_), Some(alias)) => {
                self.error(
                    &alias.span(),
                    "a record set has either values or an alias, not both",
                );
                None
            }
            (None, None) => {
                self.error(
                    record_span,
                    "record set needs values = [...] or alias = \"name\"",
                );
                None
            }
            (None, Some(alias)) => {
                if matches!(
                    rtype,
                    RecordType::CNAME | RecordType::NS | RecordType::DNAME
                ) {
                    self.error(&alias.span(), format!("an alias cannot be of type {rtype}"));
                    return None;
                }
                let target = parse_owner(alias.get_ref(), origin)
                    .map_err(|e| self.error(&alias.span(), format!("alias target: {e}")))
                    .ok()?;
                Some(SetData::Alias {
                    target: Box::new(target),
                    evaluate_target_health: record
                        .evaluate_target_health
                        .as_ref()
                        .is_some_and(|e| *e.get_ref()),
                })
            }
            (Some(values), None) => self.values_data(record, values, rtype, origin),
        }
    }

    /// The values of a set that has no alias, each parsed, none twice.
    fn values_data(
        &mut self,
        record: &RawRecordSet,
        values: &Spanned<Vec<Spanned<String>>>,
        rtype: RecordType,
        origin: &Name,
    ) -> Option<SetData> {
        if let Some(eth) = &record.evaluate_target_health {
            self.error(
                &eth.span(),
                "evaluate_target_health only applies to an alias",
            );
        }
        if values.get_ref().is_empty() {
            self.error(&values.span(), "values must not be empty");
            return None;
        }
        if matches!(rtype, RecordType::CNAME | RecordType::DNAME) && values.get_ref().len() > 1 {
            self.error(
                &values.span(),
                format!("a {rtype} record set holds exactly one value"),
            );
            return None;
        }
        let mut parsed = Vec::with_capacity(values.get_ref().len());
        // Most sets hold one value: no set of seen values for them.
        let mut seen = HashSet::new();
        let several = values.get_ref().len() > 1;
        for value in values.get_ref() {
            match parse_rdata(rtype, value.get_ref(), origin) {
                Ok(rdata) => {
                    if !several || seen.insert(rdata.clone()) {
                        parsed.push(rdata);
                    } else {
                        self.error(&value.span(), "duplicate value in this record set");
                    }
                }
                Err(e) => self.error(&value.span(), e.to_string()),
            }
        }
        (parsed.len() == values.get_ref().len()).then(|| SetData::Values(parsed.into()))
    }
}

/// Record sets grouped by owner name, in file order.
pub fn by_name(sets: &[RecordSet]) -> HashMap<&Name, Vec<&RecordSet>> {
    let mut map: HashMap<&Name, Vec<&RecordSet>> = HashMap::new();
    for set in sets {
        map.entry(&set.name).or_default().push(set);
    }
    map
}
