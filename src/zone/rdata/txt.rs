//! TXT values (SPEC §3): a value starting with `"` is zone-file text (one
//! or more quoted strings), anything else is one string, split into
//! 255-byte pieces.

use super::RdataError;

/// The character-strings of a TXT value.
pub fn parse_txt(text: &str) -> Result<Vec<Vec<u8>>, RdataError> {
    if !text.starts_with('"') {
        if text.is_empty() {
            return Ok(vec![Vec::new()]);
        }
        return Ok(text.as_bytes().chunks(255).map(<[u8]>::to_vec).collect());
    }
    let bytes = text.as_bytes();
    let mut strings = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' => i += 1,
            b'"' => {
                let (string, next) = quoted(bytes, i + 1)?;
                if string.len() > 255 {
                    return Err(RdataError::TxtStringTooLong(string.len()));
                }
                strings.push(string);
                i = next;
            }
            _ => {
                return Err(RdataError::TxtAfterQuotes(i));
            }
        }
    }
    Ok(strings)
}

/// Reads a quoted string starting after its opening quote; returns the bytes
/// and the index after the closing quote.
fn quoted(bytes: &[u8], mut i: usize) -> Result<(Vec<u8>, usize), RdataError> {
    let mut out = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Ok((out, i + 1)),
            b'\\' => {
                let digits = bytes
                    .get(i + 1..i + 4)
                    .filter(|d| d.iter().all(u8::is_ascii_digit));
                if let Some(d) = digits {
                    let value = u32::from(d[0] - b'0') * 100
                        + u32::from(d[1] - b'0') * 10
                        + u32::from(d[2] - b'0');
                    let byte = u8::try_from(value).map_err(|_| RdataError::TxtEscape(value))?;
                    out.push(byte);
                    i += 4;
                } else if let Some(&c) = bytes.get(i + 1) {
                    out.push(c);
                    i += 2;
                } else {
                    return Err(RdataError::TxtLoneBackslash);
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(RdataError::TxtUnterminated)
}
