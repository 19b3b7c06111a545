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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

impl LexError {
    /// An error about the one byte at `at`.
    fn at_byte(at: usize, message: &str) -> Self {
        LexError {
            span: at..at + 1,
            message: message.into(),
        }
    }
}

/// Splits `text` into entries; blank and comment-only lines yield none.
pub fn entries(text: &str) -> Result<Vec<Entry>, LexError> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        i: 0,
        at_line_start: true,
        open_paren: None,
        current: Entry::default(),
        out: Vec::new(),
    };
    while let Some(&b) = lexer.bytes.get(lexer.i) {
        lexer.step(b)?;
    }
    if let Some(at) = lexer.open_paren {
        return Err(LexError::at_byte(at, "unclosed '(' (missing ')')"));
    }
    lexer.flush();
    Ok(lexer.out)
}

/// The lexer's position and the entries found so far.
struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The next byte to read.
    i: usize,
    at_line_start: bool,
    /// Where the outermost open parenthesis is, for "unclosed" errors.
    open_paren: Option<usize>,
    current: Entry,
    out: Vec<Entry>,
}

impl Lexer<'_> {
    /// Consumes the construct that starts with byte `b` (at `self.i`).
    fn step(&mut self, b: u8) -> Result<(), LexError> {
        if self.at_line_start {
            self.at_line_start = false;
            self.current.leading_blank = b == b' ' || b == b'\t';
        }
        match b {
            b'\n' => self.newline(),
            b' ' | b'\t' | b'\r' => self.i += 1,
            b';' => self.skip_comment(),
            b'(' => self.open()?,
            b')' => self.close()?,
            b'"' => self.quoted()?,
            _ => self.word(),
        }
        Ok(())
    }

    /// A newline ends the entry unless a parenthesis is open.
    fn newline(&mut self) {
        self.i += 1;
        if self.open_paren.is_none() {
            self.flush();
            self.at_line_start = true;
        }
    }

    /// Skips to the end of the line, leaving the newline to [`Self::newline`].
    fn skip_comment(&mut self) {
        while self.i < self.bytes.len() && self.bytes[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn open(&mut self) -> Result<(), LexError> {
        if self.open_paren.is_some() {
            return Err(LexError::at_byte(self.i, "nested '(' is not allowed"));
        }
        self.open_paren = Some(self.i);
        self.i += 1;
        Ok(())
    }

    fn close(&mut self) -> Result<(), LexError> {
        if self.open_paren.take().is_none() {
            return Err(LexError::at_byte(self.i, "')' without a matching '('"));
        }
        self.i += 1;
        Ok(())
    }

    /// A `"quoted string"`; an escaped quote does not end it.
    fn quoted(&mut self) -> Result<(), LexError> {
        let start = self.i;
        self.i += 1;
        let body_start = self.i;
        loop {
            match self.bytes.get(self.i) {
                None => {
                    return Err(LexError::at_byte(
                        start,
                        "unclosed quoted string (missing '\"')",
                    ));
                }
                Some(b'\\') => self.i += 2,
                Some(b'"') => break,
                Some(_) => self.i += 1,
            }
        }
        let body = self.text.get(body_start..self.i).unwrap_or_default();
        self.i += 1;
        self.push(body, true, start..self.i);
        Ok(())
    }

    /// An unquoted word: up to a blank, a comment, a parenthesis or a quote.
    fn word(&mut self) {
        let start = self.i;
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                b'\\' => self.i += 2,
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' => break,
                _ => self.i += 1,
            }
        }
        // An escape at the very end of the text would step past it.
        let end = self.i.min(self.bytes.len());
        self.i = end;
        let text = self.text.get(start..end).unwrap_or_default();
        self.push(text, false, start..end);
    }

    fn push(&mut self, text: &str, quoted: bool, span: Span) {
        self.current.tokens.push(Token {
            text: text.to_string(),
            quoted,
            span,
        });
    }

    /// Ends the current entry; an entry without tokens is dropped.
    fn flush(&mut self) {
        if self.current.tokens.is_empty() {
            self.current.leading_blank = false;
        } else {
            self.out.push(std::mem::take(&mut self.current));
        }
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
