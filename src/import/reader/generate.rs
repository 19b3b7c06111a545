//! BIND's `$GENERATE start-stop[/step] lhs [ttl] [class] type rhs`: one
//! record per value of the range, with `$` in the owner and the RDATA
//! replaced by the value. `${offset[,width[,base]]}` adds an offset, pads
//! to a width and writes in base `d`, `o`, `x` or `X`; `$$` is a literal
//! `$`, and `\$` stays escaped (a literal `$` in the name).
//!
//! Invariant: the generated records carry the spans of the `$GENERATE`
//! line, so every error points there.

use crate::diag::Span;
use crate::import::lexer::{Entry, Token};

/// What is wrong with a `$GENERATE` range or a `${...}` modifier.
#[derive(Debug, thiserror::Error)]
pub(super) enum GenerateError {
    /// Not `start-stop[/step]`.
    #[error("'{0}' is not a range such as 1-100 or 0-254/2")]
    Range(String),
    /// start > stop, or a step of 0.
    #[error("range '{0}' is empty: it needs start <= stop and a step of 1 or more")]
    Empty(String),
    /// More than [`MAX_RECORDS`] records.
    #[error("range '{0}' makes more than {MAX_RECORDS} records")]
    TooMany(String),
    /// A `${...}` that is not `offset[,width[,base]]`, or makes the value negative.
    #[error("${{{spec}}}: {why} (write ${{offset,width,base}}, e.g. ${{0,3,d}})")]
    Modifier {
        /// The text between the braces.
        spec: String,
        /// What is wrong.
        why: &'static str,
    },
}

/// More records than any real `$GENERATE` needs; a typo such as
/// `1-1000000000` stops here.
const MAX_RECORDS: u64 = 65_536;

/// The records of a `$GENERATE` line (`tokens[0]` is the directive).
pub(super) fn expand(tokens: &[Token]) -> Result<Vec<Entry>, (Span, String)> {
    let directive = &tokens[0];
    let (Some(range), Some(_lhs)) = (tokens.get(1), tokens.get(2)) else {
        return Err((
            directive.span.clone(),
            "$GENERATE needs a range, an owner, a type and data (e.g. $GENERATE 1-10 host$ A 192.0.2.$)".into(),
        ));
    };
    let (start, stop, step) =
        parse_range(&range.text).map_err(|e| (range.span.clone(), e.to_string()))?;
    let mut entries = Vec::new();
    let mut i = start;
    while i <= stop {
        let mut record = Vec::with_capacity(tokens.len() - 2);
        for t in &tokens[2..] {
            let text = substitute(&t.text, i).map_err(|e| (t.span.clone(), e.to_string()))?;
            record.push(Token {
                text,
                quoted: t.quoted,
                span: t.span.clone(),
            });
        }
        entries.push(Entry {
            leading_blank: false,
            tokens: record,
        });
        i += step;
    }
    Ok(entries)
}

/// `start-stop[/step]`.
fn parse_range(text: &str) -> Result<(u64, u64, u64), GenerateError> {
    let bad = || GenerateError::Range(text.to_owned());
    let (range, step) = match text.split_once('/') {
        Some((r, s)) => (r, s.parse::<u64>().map_err(|_| bad())?),
        None => (text, 1),
    };
    let (start, stop) = range.split_once('-').ok_or_else(bad)?;
    let (start, stop) = (
        start.parse::<u64>().map_err(|_| bad())?,
        stop.parse::<u64>().map_err(|_| bad())?,
    );
    if step == 0 || start > stop {
        return Err(GenerateError::Empty(text.to_owned()));
    }
    if (stop - start) / step + 1 > MAX_RECORDS {
        return Err(GenerateError::TooMany(text.to_owned()));
    }
    Ok((start, stop, step))
}

/// `template` with every `$` and `${...}` replaced by `i`.
fn substitute(template: &str, i: u64) -> Result<String, GenerateError> {
    let mut out = String::with_capacity(template.len() + 8);
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                out.extend(chars.next());
            }
            '$' if chars.peek() == Some(&'$') => {
                chars.next();
                out.push('$');
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let spec: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push_str(&modifier(&spec, i)?);
            }
            '$' => out.push_str(&i.to_string()),
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// `offset[,width[,base]]` applied to `i`.
fn modifier(spec: &str, i: u64) -> Result<String, GenerateError> {
    let bad = |why: &'static str| GenerateError::Modifier {
        spec: spec.to_owned(),
        why,
    };
    let mut parts = spec.split(',');
    let offset: i64 = parts
        .next()
        .filter(|p| !p.is_empty())
        .map_or(Ok(0), str::parse)
        .map_err(|_| bad("the offset is not a number"))?;
    let width: usize = parts
        .next()
        .map_or(Ok(0), str::parse)
        .map_err(|_| bad("the width is not a number"))?;
    let base = parts.next().unwrap_or("d");
    if parts.next().is_some() || width > 255 {
        return Err(bad("too many fields or too wide"));
    }
    let value = i64::try_from(i)
        .ok()
        .and_then(|i| i.checked_add(offset))
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| bad("the offset makes the value negative"))?;
    Ok(match base {
        "d" => format!("{value:0width$}"),
        "o" => format!("{value:0width$o}"),
        "x" => format!("{value:0width$x}"),
        "X" => format!("{value:0width$X}"),
        _ => return Err(bad("the base must be d, o, x or X")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_the_iterator() {
        assert_eq!(substitute("host$", 7).unwrap(), "host7");
        assert_eq!(substitute("${10,3,d}.x", 7).unwrap(), "017.x");
        assert_eq!(substitute("${0,4,x}-${-1}", 255).unwrap(), "00ff-254");
        assert_eq!(substitute("${0,2,X}", 171).unwrap(), "AB");
        assert_eq!(substitute("a$$b\\$c", 1).unwrap(), "a$b\\$c");
        assert!(substitute("${-5}", 1).is_err());
        assert!(substitute("${0,2,z}", 1).is_err());
    }

    #[test]
    fn parses_ranges() {
        assert_eq!(parse_range("1-10").unwrap(), (1, 10, 1));
        assert_eq!(parse_range("0-254/2").unwrap(), (0, 254, 2));
        assert!(parse_range("10-1").is_err());
        assert!(parse_range("1-10/0").is_err());
        assert!(parse_range("1-4000000000").is_err());
        assert!(parse_range("a-b").is_err());
    }
}
