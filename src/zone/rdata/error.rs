//! Why a value is not valid RDATA of its type: the messages users read,
//! each prefixed with the value's `file:line:col`.

use hickory_proto::rr::RecordType;
use hickory_proto::serialize::txt::ParseError;

use crate::zone::names::NameError;

/// Why a value is not valid RDATA of its type.
#[derive(Debug, thiserror::Error)]
pub enum RdataError {
    /// A name in the value (a target, an exchange) is not usable.
    #[error(transparent)]
    Name(#[from] NameError),
    /// An A value that is no IPv4 address.
    #[error("invalid IPv4 address {0:?}")]
    Ipv4(String),
    /// An AAAA value that is no IPv6 address.
    #[error("invalid IPv6 address {0:?}")]
    Ipv6(String),
    /// An MX value that is not two fields.
    #[error("MX needs \"PREFERENCE EXCHANGE\" (e.g. \"10 mail.example.com.\"), got {0:?}")]
    MxFields(String),
    /// An SRV value that is not four fields.
    #[error(
        "SRV needs \"PRIORITY WEIGHT PORT TARGET\" (e.g. \"10 5 443 web.example.com.\"), got {0:?}"
    )]
    SrvFields(String),
    /// A CAA value hickory cannot parse.
    #[error("invalid CAA value {text:?}: {reason} (e.g. \"0 issue \\\"letsencrypt.org\\\"\")")]
    Caa {
        /// The value as written.
        text: String,
        /// hickory's reason.
        reason: ParseError,
    },
    /// A type zone files cannot hold (see [`SUPPORTED_TYPES`]).
    #[error("record type {0} is not supported")]
    Unsupported(RecordType),
    /// An empty value where one field was expected.
    #[error("empty value; expected {0}")]
    Empty(&'static str),
    /// Several fields where one was expected.
    #[error("expected {what}, got {count} fields")]
    FieldCount {
        /// What the one field should be.
        what: &'static str,
        /// How many there were.
        count: usize,
    },
    /// A 16-bit number field (preference, priority, weight, port) that is not one.
    #[error("{what} must be a number 0..=65535, got {text:?}")]
    Number {
        /// Which field.
        what: &'static str,
        /// The field as written.
        text: String,
    },
    /// A quoted TXT string longer than a character-string can be.
    #[error(
        "a quoted TXT string is {0} bytes; at most 255 are allowed per string (split it into several quoted strings)"
    )]
    TxtStringTooLong(usize),
    /// Text between or after the quoted strings of a quoted TXT value.
    #[error(
        "unexpected text after a quoted string at byte {0}; a TXT value starting with '\"' must be quoted strings only"
    )]
    TxtAfterQuotes(usize),
    /// A `\DDD` escape above 255.
    #[error("escape \\{0} is above 255")]
    TxtEscape(u32),
    /// A backslash with nothing after it.
    #[error("TXT value ends in a lone backslash")]
    TxtLoneBackslash,
    /// A quoted string without its closing quote.
    #[error("unterminated quoted string in TXT value")]
    TxtUnterminated,
    /// A quoted string without its closing quote, in a value of several fields.
    #[error("unterminated quoted string")]
    Unterminated,
    /// A value that does not have the fields its type needs.
    #[error("{rtype} needs \"{form}\" (e.g. \"{example}\"), got {text:?}")]
    Fields {
        /// The record type.
        rtype: RecordType,
        /// The fields in order.
        form: &'static str,
        /// A valid value.
        example: &'static str,
        /// The value as written.
        text: String,
    },
    /// An 8-bit number field (algorithm, usage, digest type) that is not one.
    #[error("{what} must be a number 0..=255, got {text:?}")]
    Byte {
        /// Which field.
        what: &'static str,
        /// The field as written.
        text: String,
    },
    /// Hex data (a digest, a certificate association, `\#` data) that is not.
    #[error("{what}: {problem}")]
    Hex {
        /// Which field.
        what: &'static str,
        /// What is wrong: an odd number of digits, a non-hex character.
        problem: String,
    },
    /// A character-string field (NAPTR flags, services, regexp) that is not one.
    #[error("{what}: {problem}")]
    CharString {
        /// Which field.
        what: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A malformed SVCB or HTTPS value (RFC 9460).
    #[error("{rtype}: {problem}")]
    Svcb {
        /// SVCB or HTTPS.
        rtype: RecordType,
        /// What is wrong, with the parameter it is about.
        problem: super::svcb::SvcbError,
    },
    /// A malformed RFC 3597 generic value (`\# LENGTH HEX`).
    #[error("generic RDATA \"{text}\": {message}")]
    Generic {
        /// The value as written.
        text: String,
        /// What is wrong.
        message: String,
    },
    /// Generic data that is not valid data of its (known) type.
    #[error("the data is not a valid {rtype} record: {reason}")]
    Wire {
        /// The record type.
        rtype: String,
        /// hickory's reason.
        reason: String,
    },
    /// A type alwayson knows only by number: its values must be generic.
    #[error(
        "type {0} is written in RFC 3597's generic form only: \"\\# LENGTH HEX\" (e.g. \"\\# 4 0A000001\")"
    )]
    GenericOnly(String),
}
