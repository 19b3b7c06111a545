//! The `geoip build` input: a CSV of
//! `network,continent,country,subdivision,latitude,longitude`, parsed into
//! validated [`Row`]s.
//!
//! Invariant: [`parse`] returns rows only when the whole file is valid;
//! otherwise every problem, each at its `file:line:col`, in file order.
//! The format has no quoting: fields never contain commas, so quotes are
//! rejected rather than half-supported.

mod field;

use std::collections::HashMap;

use ipnet::IpNet;

use super::location::Code;
use super::region;
use crate::diag::{Diagnostic, Diagnostics, Source, Span};
use field::{parse_degrees, parse_network, parse_subdivision};

/// The required header, which is also the column order.
pub const HEADER: [&str; 6] = [
    "network",
    "continent",
    "country",
    "subdivision",
    "latitude",
    "longitude",
];

/// One validated line of the CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub network: IpNet,
    pub continent: Code,
    pub country: Code,
    /// The part after the country ("HE" for "DE-HE" or "HE").
    pub subdivision: Option<Code>,
    /// `(latitude, longitude)` in degrees.
    pub coordinates: Option<(f64, f64)>,
    /// 1-based line number in the CSV.
    pub line: usize,
}

/// Parses and validates the whole file. Blank lines and lines starting with
/// `#` are skipped; the first other line must be the header.
pub fn parse(source: &Source) -> Result<Vec<Row>, Diagnostics> {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashMap<IpNet, usize> = HashMap::new();
    let mut header_seen = false;

    for line in lines(source.text()) {
        let trimmed = line.text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(quote) = line.text.find('"') {
            let at = line.start + quote;
            errors.push(source.error(
                &(at..at),
                "quotes are not supported: write fields without quotes (no field contains a comma)",
            ));
            header_seen = true;
            continue;
        }
        let fields = split_fields(&line);
        if !header_seen {
            header_seen = true;
            check_header(source, &line, &fields, &mut errors);
            continue;
        }
        if let Some(row) = data_row(source, &line, &fields, &mut seen, &mut errors) {
            rows.push(row);
        }
    }
    outcome(source, header_seen, rows, errors)
}

/// One line after the header: six valid fields and a network not seen
/// before (`seen` maps each network to its first line).
fn data_row(
    source: &Source,
    line: &Line,
    fields: &[Field],
    seen: &mut HashMap<IpNet, usize>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Row> {
    if fields.len() != HEADER.len() {
        let at = fields
            .get(HEADER.len())
            .map_or(line.start + line.text.len(), |f| f.span.start);
        errors.push(source.error(
            &(at..at),
            format!(
                "expected {} columns ({}), found {}",
                HEADER.len(),
                HEADER.join(","),
                fields.len()
            ),
        ));
        return None;
    }
    let line_number = source.locate(line.start).0;
    let mut report = |span: &Span, msg: String| errors.push(source.error(span, msg));
    let row = parse_row(fields, line_number, &mut report)?;
    if let Some(first) = seen.get(&row.network) {
        report(
            &fields[0].span,
            format!("duplicate network {} (first at line {first})", row.network),
        );
        return None;
    }
    seen.insert(row.network, line_number);
    Some(row)
}

/// The rows, or every error; a file without a header or without rows is an
/// error too.
fn outcome(
    source: &Source,
    header_seen: bool,
    rows: Vec<Row>,
    mut errors: Vec<Diagnostic>,
) -> Result<Vec<Row>, Diagnostics> {
    if !header_seen {
        errors.push(source.error(
            &(0..0),
            format!("empty file: expected the header {}", HEADER.join(",")),
        ));
    } else if errors.is_empty() && rows.is_empty() {
        let end = source.text().len();
        errors.push(source.error(&(end..end), "no networks after the header"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(Diagnostics(errors))
    }
}

struct Line<'a> {
    /// Byte offset of the line in the file.
    start: usize,
    /// The line without its `\n` or `\r\n`.
    text: &'a str,
}

struct Field<'a> {
    text: &'a str,
    span: Span,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.split_inclusive('\n').scan(0, |offset, raw| {
        let start = *offset;
        *offset += raw.len();
        let text = raw.strip_suffix('\n').unwrap_or(raw);
        let text = text.strip_suffix('\r').unwrap_or(text);
        Some(Line { start, text })
    })
}

/// Splits on commas; each field is trimmed and its span points at its first
/// non-blank character (or where it would be, when empty).
fn split_fields<'a>(line: &Line<'a>) -> Vec<Field<'a>> {
    let mut fields = Vec::with_capacity(HEADER.len());
    let mut offset = 0;
    for raw in line.text.split(',') {
        let lead = raw.len() - raw.trim_start().len();
        let text = raw.trim();
        let start = line.start + offset + lead;
        fields.push(Field {
            text,
            span: start..start + text.len(),
        });
        offset += raw.len() + 1;
    }
    fields
}

fn check_header(source: &Source, line: &Line, fields: &[Field], errors: &mut Vec<Diagnostic>) {
    let expected = HEADER.join(",");
    for (i, name) in HEADER.iter().enumerate() {
        match fields.get(i) {
            Some(field) if field.text.eq_ignore_ascii_case(name) => {}
            Some(field) => {
                errors.push(source.error(
                    &field.span,
                    format!(
                        "the first line must be the header {expected}: column {} is {:?}, expected {name:?}",
                        i + 1,
                        field.text
                    ),
                ));
                return;
            }
            None => {
                let end = line.start + line.text.len();
                errors.push(source.error(
                    &(end..end),
                    format!("the header must be {expected}: column {name:?} is missing"),
                ));
                return;
            }
        }
    }
    if let Some(extra) = fields.get(HEADER.len()) {
        errors.push(source.error(
            &extra.span,
            format!(
                "the header must be {expected}: unexpected column {:?}",
                extra.text
            ),
        ));
    }
}

/// Validates one row of exactly six fields, reporting every bad field.
fn parse_row(fields: &[Field], line: usize, report: &mut impl FnMut(&Span, String)) -> Option<Row> {
    let [
        network,
        continent,
        country,
        subdivision,
        latitude,
        longitude,
    ] = fields
    else {
        return None;
    };
    let network_ok = parse_network(network.text).map_err(|e| report(&network.span, e.to_string()));
    let continent_ok = region::continent(continent.text).ok_or_else(|| {
        report(
            &continent.span,
            region::continent_error(continent.text).to_string(),
        )
    });
    let country_ok = region::country(country.text).ok_or_else(|| {
        report(
            &country.span,
            region::country_error(country.text).to_string(),
        )
    });
    let subdivision_ok = parse_subdivision(subdivision.text, country_ok.ok())
        .map_err(|e| report(&subdivision.span, e.to_string()));
    let coordinates_ok = parse_coordinates(latitude, longitude, report);
    Some(Row {
        network: network_ok.ok()?,
        continent: continent_ok.ok()?,
        country: country_ok.ok()?,
        subdivision: subdivision_ok.ok()?,
        coordinates: coordinates_ok?,
        line,
    })
}

fn parse_coordinates(
    latitude: &Field,
    longitude: &Field,
    report: &mut impl FnMut(&Span, String),
) -> Option<Option<(f64, f64)>> {
    match (latitude.text.is_empty(), longitude.text.is_empty()) {
        (true, true) => return Some(None),
        (true, false) => {
            report(
                &latitude.span,
                "latitude is empty but longitude is given: give both or neither".to_string(),
            );
            return None;
        }
        (false, true) => {
            report(
                &longitude.span,
                "longitude is empty but latitude is given: give both or neither".to_string(),
            );
            return None;
        }
        (false, false) => {}
    }
    let lat = parse_degrees(latitude.text, "latitude", 90.0)
        .map_err(|e| report(&latitude.span, e.to_string()));
    let lon = parse_degrees(longitude.text, "longitude", 180.0)
        .map_err(|e| report(&longitude.span, e.to_string()));
    Some(Some((lat.ok()?, lon.ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "network,continent,country,subdivision,latitude,longitude\n";

    fn errors(body: &str) -> Vec<String> {
        let source = Source::new("geo.csv", format!("{HEAD}{body}"));
        match parse(&source) {
            Ok(rows) => panic!("expected errors, got {rows:?}"),
            Err(d) => d.0.iter().map(ToString::to_string).collect(),
        }
    }

    fn rows(text: &str) -> Vec<Row> {
        let source = Source::new("geo.csv", text);
        parse(&source).unwrap_or_else(|d| panic!("{d}"))
    }

    #[test]
    fn parses_good_rows_with_optional_fields() {
        let rows = rows(&format!(
            "# comment\n{HEAD}\n192.0.2.0/25,EU,DE,DE-HE,50.11,8.68\r\n 2001:db8::/48 , eu , gb , , , \n203.0.113.0/24,AS,JP,13,35.68,139.69\n"
        ));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].network.to_string(), "192.0.2.0/25");
        assert_eq!(
            rows[0].subdivision.map(|c| c.to_string()),
            Some("HE".into())
        );
        assert_eq!(rows[0].coordinates, Some((50.11, 8.68)));
        assert_eq!(rows[0].line, 4);
        assert_eq!(rows[1].country.as_str(), "GB");
        assert_eq!(rows[1].continent.as_str(), "EU");
        assert_eq!(rows[1].subdivision, None);
        assert_eq!(rows[1].coordinates, None);
        assert_eq!(
            rows[2].subdivision.map(|c| c.to_string()),
            Some("13".into())
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_its_column() {
        let body = "\
192.0.2.0/33,EU,DE,,,\n\
192.0.2.1/24,XX,DEU,,91,8\n\
192.0.2.0/25,EU,UK,FR-HE,50,181\n\
198.51.100.0/24,NA,US,US-CA\n\
198.51.100.0/24,NA,US,,1,2,3\n\
10.0.0.1,EU,DE,,,\n\
::ffff:10.0.0.0/104,EU,DE,,,\n\
203.0.113.0/24,AS,JP,,35.6,\n\
203.0.113.0/25,AS,JP,,north,east\n\
203.0.113.0/26,AS,JP,TOOLONG,,\n\
\"203.0.113.0/27\",AS,JP,,,\n";
        let expected = [
            "geo.csv:2:1: invalid network \"192.0.2.0/33\": expected a CIDR such as 192.0.2.0/24 or 2001:db8::/32",
            "geo.csv:3:1: network 192.0.2.1/24 has host bits set: did you mean 192.0.2.0/24?",
            "geo.csv:3:14: unknown continent code \"XX\": expected one of AF AN AS EU NA OC SA",
            "geo.csv:3:17: country code \"DEU\" must be 2 letters (ISO 3166-1 alpha-2, e.g. DE)",
            "geo.csv:3:22: latitude 91 is outside -90..90",
            "geo.csv:4:17: UK is not an ISO 3166-1 country code; the United Kingdom is GB",
            "geo.csv:4:29: longitude 181 is outside -180..180",
            "geo.csv:5:28: expected 6 columns (network,continent,country,subdivision,latitude,longitude), found 4",
            "geo.csv:6:28: expected 6 columns (network,continent,country,subdivision,latitude,longitude), found 7",
            "geo.csv:7:1: network \"10.0.0.1\" has no prefix length: write 10.0.0.1/32 for a single address",
            "geo.csv:8:1: network ::ffff:10.0.0.0/104 is inside ::ffff:0.0.0.0/96, which the database maps to IPv4: write the IPv4 network instead",
            "geo.csv:9:28: longitude is empty but latitude is given: give both or neither",
            "geo.csv:10:23: latitude \"north\" is not a number",
            "geo.csv:10:29: longitude \"east\" is not a number",
            "geo.csv:11:22: subdivision \"TOOLONG\": expected 1 to 3 letters or digits, as HE or DE-HE (ISO 3166-2)",
            "geo.csv:12:1: quotes are not supported: write fields without quotes (no field contains a comma)",
        ];
        assert_eq!(errors(body), expected);
    }

    #[test]
    fn subdivision_must_belong_to_the_row_country() {
        assert_eq!(
            errors("192.0.2.0/25,EU,DE,FR-IDF,,\n"),
            ["geo.csv:2:20: subdivision \"FR-IDF\" is not in country DE: write DE-IDF or just IDF"]
        );
    }

    #[test]
    fn duplicates_name_the_first_line() {
        assert_eq!(
            errors("192.0.2.0/25,EU,DE,,,\n192.0.2.0/25,EU,FR,,,\n"),
            ["geo.csv:3:1: duplicate network 192.0.2.0/25 (first at line 2)"]
        );
    }

    #[test]
    fn header_problems() {
        let parse_text = |text: &str| {
            parse(&Source::new("geo.csv", text))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            parse_text("192.0.2.0/25,EU,DE,,,\n"),
            "geo.csv:1:1: the first line must be the header network,continent,country,subdivision,latitude,longitude: column 1 is \"192.0.2.0/25\", expected \"network\""
        );
        assert_eq!(
            parse_text("network,continent,country\n"),
            "geo.csv:1:26: the header must be network,continent,country,subdivision,latitude,longitude: column \"subdivision\" is missing"
        );
        assert_eq!(
            parse_text("\n# nothing\n"),
            "geo.csv:1:1: empty file: expected the header network,continent,country,subdivision,latitude,longitude"
        );
        assert_eq!(
            parse_text(HEAD),
            "geo.csv:2:1: no networks after the header"
        );
    }
}
