//! Types of a few fixed fields in presentation form, to wire bytes: TLSA
//! (RFC 6698), SSHFP (RFC 4255), DS (RFC 4034 §5.3) and NAPTR (RFC 3403).
//! Hex may be split over several words, as zone files allow.

use hickory_proto::rr::{Name, RecordType};

use super::text::{character_string, hex, words};
use super::{RdataError, byte, name_wire, number};
use crate::zone::names::parse_name;

/// The fields and an example of each type, for error messages.
fn form(rtype: RecordType) -> (&'static str, &'static str) {
    match rtype {
        RecordType::TLSA => ("USAGE SELECTOR MATCHING-TYPE HEX", "3 1 1 0123ABCD..."),
        RecordType::SSHFP => ("ALGORITHM FP-TYPE HEX", "4 2 9A8B..."),
        RecordType::DS => (
            "KEY-TAG ALGORITHM DIGEST-TYPE HEX",
            "12345 13 2 49FD46E6...",
        ),
        _ => (
            "ORDER PREFERENCE FLAGS SERVICES REGEXP REPLACEMENT",
            "100 10 \\\"S\\\" \\\"SIP+D2U\\\" \\\"\\\" _sip._udp.example.com.",
        ),
    }
}

/// Parses a TLSA, SSHFP, DS or NAPTR value into its wire bytes.
pub fn parse(rtype: RecordType, text: &str, origin: &Name) -> Result<Vec<u8>, RdataError> {
    let words = words(text)?;
    let fields_error = || {
        let (form, example) = form(rtype);
        RdataError::Fields {
            rtype,
            form,
            example,
            text: text.to_owned(),
        }
    };
    let mut out = Vec::new();
    match (rtype, &words[..]) {
        (RecordType::TLSA, [usage, selector, matching, data @ ..]) if !data.is_empty() => {
            out.push(byte(usage, "TLSA certificate usage")?);
            out.push(byte(selector, "TLSA selector")?);
            out.push(byte(matching, "TLSA matching type")?);
            out.extend(hex(data, "TLSA certificate association data")?);
        }
        (RecordType::SSHFP, [algorithm, fp_type, data @ ..]) if !data.is_empty() => {
            out.push(byte(algorithm, "SSHFP algorithm")?);
            out.push(byte(fp_type, "SSHFP fingerprint type")?);
            out.extend(hex(data, "SSHFP fingerprint")?);
        }
        (RecordType::DS, [key_tag, algorithm, digest_type, data @ ..]) if !data.is_empty() => {
            out.extend(number(key_tag, "DS key tag")?.to_be_bytes());
            out.push(byte(algorithm, "DS algorithm")?);
            out.push(byte(digest_type, "DS digest type")?);
            out.extend(hex(data, "DS digest")?);
        }
        (RecordType::NAPTR, [order, preference, flags, services, regexp, replacement]) => {
            out.extend(number(order, "NAPTR order")?.to_be_bytes());
            out.extend(number(preference, "NAPTR preference")?.to_be_bytes());
            for (word, what) in [
                (flags, "NAPTR flags"),
                (services, "NAPTR services"),
                (regexp, "NAPTR regexp"),
            ] {
                let bytes = character_string(word, what)?;
                out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
                out.extend(bytes);
            }
            out.extend(name_wire(&parse_name(replacement, origin)?));
        }
        _ => return Err(fields_error()),
    }
    Ok(out)
}
