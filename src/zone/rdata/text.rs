//! The pieces of zone-file text that several RDATA forms share: words that
//! may be quoted (`"a b"`, `key="a b"`), `<character-string>` escapes
//! (`\DDD`, `\X`), hex and base64 (RFC 4648).

use super::RdataError;

/// Splits a value into words at blanks outside quotes; a word keeps its
/// quotes and escapes (`alpn="h2,h3"` is one word).
pub fn words(text: &str) -> Result<Vec<&str>, RdataError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let mut quoted = false;
        while i < bytes.len() && (quoted || !bytes[i].is_ascii_whitespace()) {
            match bytes[i] {
                b'\\' => i += 1,
                b'"' => quoted = !quoted,
                _ => {}
            }
            i += 1;
        }
        if quoted {
            return Err(RdataError::Unterminated);
        }
        out.push(text.get(start..i.min(bytes.len())).unwrap_or_default());
    }
    Ok(out)
}

/// The content of a word: without its surrounding quotes, if any.
pub fn unquote(word: &str) -> &str {
    word.strip_prefix('"')
        .and_then(|w| w.strip_suffix('"'))
        .unwrap_or(word)
}

/// Decodes the escapes of a `<character-string>` (quotes already removed):
/// `\DDD` is a byte, `\X` is X.
pub fn unescape(text: &str, what: &'static str) -> Result<Vec<u8>, RdataError> {
    let bad = |problem: String| RdataError::CharString { what, problem };
    let src = text.as_bytes();
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        if src[i] != b'\\' {
            out.push(src[i]);
            i += 1;
            continue;
        }
        let digits = src
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(u8::is_ascii_digit));
        if let Some(d) = digits {
            let value = d.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
            out.push(
                u8::try_from(value).map_err(|_| bad(format!("escape \\{value} is above 255")))?,
            );
            i += 4;
        } else if let Some(&c) = src.get(i + 1) {
            out.push(c);
            i += 2;
        } else {
            return Err(bad("ends in a lone backslash".into()));
        }
    }
    Ok(out)
}

/// One `<character-string>` word (quoted or not): at most 255 bytes.
pub fn character_string(word: &str, what: &'static str) -> Result<Vec<u8>, RdataError> {
    let bytes = unescape(unquote(word), what)?;
    if bytes.len() > 255 {
        return Err(RdataError::CharString {
            what,
            problem: format!("{} bytes; at most 255 are allowed", bytes.len()),
        });
    }
    Ok(bytes)
}

/// Hex digits, possibly split over several words (as zone files allow).
pub fn hex(words: &[&str], what: &'static str) -> Result<Vec<u8>, RdataError> {
    let bad = |problem: String| RdataError::Hex { what, problem };
    let digits: String = words.concat();
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(bad(format!("{c:?} is not a hex digit")));
    }
    if digits.len() % 2 == 1 {
        return Err(bad(format!(
            "odd number of hex digits ({}); every byte takes two",
            digits.len()
        )));
    }
    let value = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        _ => (c | 0x20) - b'a' + 10,
    };
    Ok(digits
        .as_bytes()
        .chunks(2)
        .map(|pair| (value(pair[0]) << 4) | value(pair[1]))
        .collect())
}

/// Bytes as uppercase hex, the form NSD and Knot print.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4); `None` when it is not.
pub fn from_base64(text: &str) -> Option<Vec<u8>> {
    let body = text.trim_end_matches('=');
    if !text.len().is_multiple_of(4) || text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes() {
        let v = BASE64.iter().position(|&b| b == c)?;
        acc = (acc << 6) | u32::try_from(v).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// Standard base64 with padding.
pub fn to_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Bytes as a quoted `<character-string>`: printable ASCII as is, `"` and
/// `\` escaped, `extra` escaped too, other bytes as `\DDD`.
pub fn quoted(bytes: &[u8], extra: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            _ if extra.contains(&b) => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}
