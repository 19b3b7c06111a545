//! Zone-file lexer: splits RFC 1035 master-file text into entries (one
//! logical line each, parentheses joined) of tokens that keep their byte span.
//!
//! Invariant: a token's `text` is exactly the source bytes it came from (a
//! quoted token without its quotes, escapes still undecoded), so later stages
//! decode each escape once and every error can point at its token.

use crate::diag::Span;

/// One word of an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Source text: escapes are not decoded; quotes are not included.
    pub text: String,
    /// Whether the token was written as a `"quoted string"`.
    pub quoted: bool,
    /// Byte range in the source (the quotes included).
    pub span: Span,
}

/// One logical line: a directive, or a resource record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The line began with a blank, so the record's owner is the previous one.
    pub leading_blank: bool,
    pub tokens: Vec<Token>,
}

/// A lexing error: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub span: Span,
    pub message: String,
}

/// Splits `text` into entries; blank and comment-only lines yield none.
pub fn entries(text: &str) -> Result<Vec<Entry>, LexError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut current = Entry {
        leading_blank: false,
        tokens: Vec::new(),
    };
    let mut at_line_start = true;
    // Where the outermost open parenthesis is, for "unclosed" errors.
    let mut open_paren: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if at_line_start {
            at_line_start = false;
            current.leading_blank = b == b' ' || b == b'\t';
        }
        match b {
            b'\n' => {
                i += 1;
                if open_paren.is_none() {
                    flush(&mut current, &mut out);
                    at_line_start = true;
                }
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b';' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                if open_paren.is_some() {
                    return Err(LexError {
                        span: i..i + 1,
                        message: "nested '(' is not allowed".into(),
                    });
                }
                open_paren = Some(i);
                i += 1;
            }
            b')' => {
                if open_paren.take().is_none() {
                    return Err(LexError {
                        span: i..i + 1,
                        message: "')' without a matching '('".into(),
                    });
                }
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                let body_start = i;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(LexError {
                                span: start..start + 1,
                                message: "unclosed quoted string (missing '\"')".into(),
                            });
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                let body = text.get(body_start..i).unwrap_or_default();
                i += 1;
                current.tokens.push(Token {
                    text: body.to_string(),
                    quoted: true,
                    span: start..i,
                });
            }
            _ => {
                let start = i;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' => break,
                        _ => i += 1,
                    }
                }
                // An escape at the very end of the text would step past it.
                let end = i.min(bytes.len());
                i = end;
                current.tokens.push(Token {
                    text: text.get(start..end).unwrap_or_default().to_string(),
                    quoted: false,
                    span: start..end,
                });
            }
        }
    }
    if let Some(at) = open_paren {
        return Err(LexError {
            span: at..at + 1,
            message: "unclosed '(' (missing ')')".into(),
        });
    }
    flush(&mut current, &mut out);
    Ok(out)
}

fn flush(current: &mut Entry, out: &mut Vec<Entry>) {
    if !current.tokens.is_empty() {
        out.push(std::mem::replace(
            current,
            Entry {
                leading_blank: false,
                tokens: Vec::new(),
            },
        ));
    } else {
        current.leading_blank = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(e: &Entry) -> Vec<&str> {
        e.tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn joins_parentheses_and_drops_comments() {
        let text = "@ IN SOA ns1 host (\n  1 ; serial\n  2 3 4 5 )\n; only a comment\n\n www A 192.0.2.1\n";
        let es = entries(text).unwrap();
        assert_eq!(es.len(), 2);
        assert_eq!(
            words(&es[0]),
            ["@", "IN", "SOA", "ns1", "host", "1", "2", "3", "4", "5"]
        );
        assert!(!es[0].leading_blank);
        assert!(es[1].leading_blank);
        assert_eq!(words(&es[1]), ["www", "A", "192.0.2.1"]);
    }

    #[test]
    fn keeps_quoted_text_and_escapes_raw() {
        let es = entries("t TXT \"a \\\"b\\\" ; not a comment\" c\\ d\n").unwrap();
        assert_eq!(
            words(&es[0]),
            ["t", "TXT", "a \\\"b\\\" ; not a comment", "c\\ d"]
        );
        assert!(es[0].tokens[2].quoted);
        assert!(!es[0].tokens[3].quoted);
        assert_eq!(es[0].tokens[2].span, 6..31);
    }

    #[test]
    fn reports_unbalanced_parentheses_and_quotes() {
        let e = entries("a SOA ( 1 2\n").unwrap_err();
        assert_eq!(e.span, 6..7);
        let e = entries("a A 1 )\n").unwrap_err();
        assert_eq!(e.span, 6..7);
        let e = entries("a TXT \"open\n").unwrap_err();
        assert_eq!(e.span, 6..7);
        assert!(entries("a TXT x\\").is_ok());
    }
}
