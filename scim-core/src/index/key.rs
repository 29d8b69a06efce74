//! Index keys: a value folded and encoded the way the evaluator compares
//! it, in a byte order a B-tree can range over.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::IndexDef;
use crate::schema::AttrType;

/// An index key: one value of an indexed attribute, in the form the
/// evaluator compares it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Key {
    /// A string: as written for `caseExact` attributes, else Unicode
    /// lower-cased exactly as the evaluator folds it.
    Text(String),
    /// A JSON number, as the `f64` the evaluator orders it by (`-0` is `0`).
    Number(f64),
    /// A `dateTime` attribute's value that parses as RFC 3339: nanoseconds
    /// since the Unix epoch, UTC.
    DateTime(i128),
    /// `true` or `false`.
    Boolean(bool),
}

pub(super) const TAG_BOOLEAN: u8 = 0x01;
pub(super) const TAG_NUMBER: u8 = 0x02;
pub(super) const TAG_DATETIME: u8 = 0x03;
pub(super) const TAG_TEXT: u8 = 0x04;

impl Key {
    /// [`Key::encoded`] of the empty string, the one text key that `pr`
    /// does not count as present.
    pub const EMPTY_TEXT_ENCODED: [u8; 1] = [TAG_TEXT];

    /// The key as bytes whose byte-wise (`memcmp`) order is the
    /// evaluator's order among keys of the same kind. The first byte tags
    /// the kind (`0x01` boolean, `0x02` number, `0x03` dateTime, `0x04`
    /// text), so keys of different kinds never compare equal and each kind
    /// is one contiguous range. Text is the tag followed by the UTF-8
    /// bytes; numbers and date-times are fixed-width big-endian. The format
    /// is stable: stores persist it.
    pub fn encoded(&self) -> Vec<u8> {
        match self {
            Self::Boolean(b) => vec![TAG_BOOLEAN, u8::from(*b)],
            Self::Number(f) => {
                let mut out = Vec::with_capacity(9);
                out.push(TAG_NUMBER);
                out.extend_from_slice(&ordered_f64(*f).to_be_bytes());
                out
            }
            Self::DateTime(nanos) => {
                let mut out = Vec::with_capacity(17);
                out.push(TAG_DATETIME);
                // Flipping the sign bit makes two's complement sort as
                // unsigned.
                #[allow(clippy::cast_sign_loss)]
                let ordered = (*nanos as u128) ^ (1 << 127);
                out.extend_from_slice(&ordered.to_be_bytes());
                out
            }
            Self::Text(s) => {
                let mut out = Vec::with_capacity(s.len() + 1);
                out.push(TAG_TEXT);
                out.extend_from_slice(s.as_bytes());
                out
            }
        }
    }

    /// The (folded) string of a text key, for substring and trigram
    /// indexes; `None` for other kinds.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The key of one JSON value of `def`'s attribute; `None` for `null`,
    /// objects and arrays.
    pub(super) fn of(def: &IndexDef, value: &Value) -> Option<Self> {
        Self::from_json(def.kind, def.case_exact, value)
    }

    /// The key of one JSON value of an attribute of type `kind`; `None`
    /// for `null`, objects and arrays.
    pub(crate) fn from_json(kind: AttrType, case_exact: bool, value: &Value) -> Option<Self> {
        Some(match value {
            Value::Bool(b) => Self::Boolean(*b),
            Value::Number(n) => Self::Number(n.as_f64()?),
            Value::String(s) => text_or_datetime(kind, case_exact, s),
            Value::Null | Value::Array(_) | Value::Object(_) => return None,
        })
    }
}

fn text_or_datetime(kind: AttrType, case_exact: bool, s: &str) -> Key {
    if kind == AttrType::DateTime {
        if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
            return Key::DateTime(t.unix_timestamp_nanos());
        }
    }
    Key::Text(if case_exact { s.to_owned() } else { fold(s) })
}

/// `f64` bits that sort as unsigned integers in numeric order.
fn ordered_f64(f: f64) -> u64 {
    let f = if f == 0.0 { 0.0 } else { f };
    let bits = f.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Unicode lower-casing, exactly as the evaluator folds strings that are
/// not `caseExact`.
pub(super) fn fold(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}
