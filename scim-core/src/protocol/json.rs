//! Reading request bodies: JSON that refuses duplicate member names.
//!
//! serde_json keeps the last of two members with the same name without a
//! word; a body with `"userName"` twice is ambiguous, so it is refused with
//! `invalidSyntax` instead (names that differ only in case are caught later,
//! against the schema).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::Error;
use crate::error::Detail;

/// Parses a request body as JSON.
///
/// # Errors
///
/// [`Error::InvalidSyntax`] for invalid JSON, an empty body, trailing
/// content or a duplicate member name, with the line and column.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid_syntax(
            "the request body is empty".to_owned(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = StrictValue
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            Error::InvalidSyntax(
                Detail::new(format!("the request body is not valid JSON: {e}")).with_source(e),
            )
        })?;
    Ok(value)
}

/// A `serde_json::Value` seed that refuses duplicate member names.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut obj = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            if obj.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate member {key:?}")));
            }
            obj.insert(key, value);
        }
        Ok(Value::Object(obj))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn valid_json_parses_like_serde_json() {
        let body = br#"{"a": [1, -2, 3.5, true, null, "x\u00e9"], "b": {"c": {}}}"#;
        assert_eq!(
            parse_body(body).unwrap(),
            json!({"a": [1, -2, 3.5, true, null, "xé"], "b": {"c": {}}})
        );
    }

    #[test]
    fn duplicates_empty_bodies_and_garbage_are_invalid_syntax() {
        for body in [
            &br#"{"userName": "a", "userName": "b"}"#[..],
            br#"{"name": {"givenName": "a", "givenName": "b"}}"#,
            b"",
            b"   ",
            b"{",
            b"{} {}",
            b"\xff\xfe",
            br#"{"a": 1,}"#,
        ] {
            assert!(
                matches!(parse_body(body), Err(Error::InvalidSyntax(_))),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let body = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(parse_body(body.as_bytes()).is_err());
    }
}
