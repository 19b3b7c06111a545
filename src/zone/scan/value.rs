//! The values of a plain table's lines: strings without escapes, plain
//! integers, booleans and one-line arrays of strings, each with its span;
//! and the emptied strings of converted tables, which they are written into.

use std::ops::Range;

use toml::Spanned;

/// Strings and lists of converted sets, emptied, to be filled again.
#[derive(Default)]
pub(super) struct Spare {
    strings: Vec<String>,
    lists: Vec<Vec<Spanned<String>>>,
}

impl Spare {
    /// More than one table holds: the rest are dropped.
    const KEEP: usize = 32;

    pub(super) fn give(&mut self, mut string: String) {
        if self.strings.len() < Self::KEEP {
            string.clear();
            self.strings.push(string);
        }
    }

    /// Takes back a list of values, and each value's string.
    pub(super) fn give_list(&mut self, mut values: Vec<Spanned<String>>) {
        for value in values.drain(..) {
            self.give(value.into_inner());
        }
        if self.lists.len() < Self::KEEP {
            self.lists.push(values);
        }
    }

    /// An emptied list for values (a new one when none is left).
    fn list(&mut self) -> Vec<Spanned<String>> {
        self.lists.pop().unwrap_or_else(|| Vec::with_capacity(1))
    }

    /// `text` in a spare string (a new one when none is left).
    pub(super) fn string(&mut self, text: &str) -> String {
        let mut string = self.strings.pop().unwrap_or_default();
        string.push_str(text);
        string
    }
}

/// The unread rest of a line from a value on, and its offset.
pub(super) struct Value<'a> {
    pub(super) text: &'a str,
    pub(super) at: usize,
}

impl Value<'_> {
    fn advance(&mut self, n: usize) -> Range<usize> {
        let span = self.at..self.at + n;
        self.text = &self.text[n..];
        self.at += n;
        span
    }

    fn skip_blank(&mut self) {
        let n = self.text.len() - self.text.trim_start_matches([' ', '\t']).len();
        self.advance(n);
    }

    /// A basic or literal string without escapes or control characters.
    pub(super) fn string(&mut self, spare: &mut Spare) -> Option<Spanned<String>> {
        let quote = self
            .text
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\''))?;
        let body = &self.text[1..];
        let end = memchr::memchr(quote as u8, body.as_bytes())?;
        let content = &body[..end];
        let plain = |b: &u8| *b == b'\t' || ((b' '..=b'~').contains(b) && *b != b'\\');
        if !content.as_bytes().iter().all(plain)
            && (content.contains('\\') || content.chars().any(|c| c != '\t' && c.is_control()))
        {
            return None;
        }
        let content = spare.string(content);
        Some(Spanned::new(self.advance(end + 2), content))
    }

    /// A decimal integer without underscores or leading zeros.
    pub(super) fn integer(&mut self) -> Option<Spanned<i64>> {
        let len = self
            .text
            .bytes()
            .position(|b| !(b.is_ascii_digit() || b == b'+' || b == b'-'))
            .unwrap_or(self.text.len());
        let digits = &self.text[..len];
        let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
        let plain = !unsigned.is_empty()
            && unsigned.bytes().all(|b| b.is_ascii_digit())
            && (unsigned == "0" || !unsigned.starts_with('0'));
        let value = digits.parse::<i64>().ok().filter(|_| plain)?;
        Some(Spanned::new(self.advance(len), value))
    }

    pub(super) fn boolean(&mut self) -> Option<Spanned<bool>> {
        let word_end = |w: &str| {
            self.text.strip_prefix(w).is_some_and(|rest| {
                !rest
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
        };
        let (value, len) = if word_end("true") {
            (true, 4)
        } else if word_end("false") {
            (false, 5)
        } else {
            return None;
        };
        Some(Spanned::new(self.advance(len), value))
    }

    /// A one-line array of strings (a trailing comma allowed).
    pub(super) fn strings(&mut self, spare: &mut Spare) -> Option<Spanned<Vec<Spanned<String>>>> {
        let open = self.at;
        if !self.text.starts_with('[') {
            return None;
        }
        self.advance(1);
        // Most sets hold one value.
        let mut items = spare.list();
        loop {
            self.skip_blank();
            if self.text.starts_with(']') {
                break;
            }
            items.push(self.string(spare)?);
            self.skip_blank();
            if self.text.starts_with(',') {
                self.advance(1);
            } else if !self.text.starts_with(']') {
                return None;
            }
        }
        let close = self.advance(1);
        Some(Spanned::new(open..close.end, items))
    }
}
