//! Canonicalising and checking one attribute's value against its
//! definition: the boundary where client JSON becomes schema-shaped JSON.
//!
//! Attribute names are matched without regard to case and rewritten to the
//! schema's spelling; values are checked against their type and coerced
//! where a [`Tolerance`] allows; `null` means "no value" (RFC 7643 §2.5).

use std::collections::HashSet;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{AttrType, Attribute, Mutability};
use crate::Error;
use crate::tolerance::{Context, Tolerance};

/// A JSON object, the representation of resources and complex values.
pub type JsonObject = Map<String, Value>;

/// Checks and coerces `value` for `attr`. `path` names the attribute in
/// error messages. Returns `None` when the value amounts to no value
/// (`null`, `[]`, `{}`, or an empty string where a tolerance says so).
/// Read-only sub-attributes are dropped: input "SHALL" not set them (RFC
/// 7644 §3.5.1).
pub(crate) fn normalize(
    attr: &Attribute,
    value: Value,
    path: &str,
    cx: &mut Context,
) -> Result<Option<Value>, Error> {
    match value {
        Value::Null => Ok(None),
        Value::Array(items) if attr.multi_valued => normalize_many(attr, items, path, cx),
        Value::Array(mut items) => {
            if items.is_empty() {
                return Ok(None);
            }
            if items.len() == 1 && cx.tolerate_at(Tolerance::SingleValueArray, path) {
                let item = items.pop().unwrap_or(Value::Null);
                return normalize_one(attr, item, path, cx);
            }
            Err(Error::invalid_value(format!(
                "attribute \"{path}\" is single-valued, but an array was given"
            )))
        }
        other if attr.multi_valued => Err(Error::invalid_value(format!(
            "attribute \"{path}\" is multi-valued and needs an array, not {}",
            describe(&other)
        ))),
        other => normalize_one(attr, other, path, cx),
    }
}

/// Checks the elements of a multi-valued attribute, drops empty ones and
/// exact duplicates, and enforces at most one `primary`.
pub(crate) fn normalize_many(
    attr: &Attribute,
    items: Vec<Value>,
    path: &str,
    cx: &mut Context,
) -> Result<Option<Value>, Error> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    // Seen elements, by identifying `value` where there is one, else by
    // their JSON text: linear in the number of values, so a 50,000-member
    // group is checked in one pass.
    let id_key = identity_key(attr);
    let mut seen: HashSet<String> = HashSet::with_capacity(items.len());
    for item in items {
        if item.is_array() {
            return Err(Error::invalid_value(format!(
                "attribute \"{path}\" holds a nested array"
            )));
        }
        let Some(item) = normalize_one(attr, item, path, cx)? else {
            continue;
        };
        if let Some(k) = id_key {
            if item.get(k).is_none() {
                return Err(Error::invalid_value(format!(
                    "every value of \"{path}\" needs a \"{k}\""
                )));
            }
        }
        let key = match id_key.and_then(|k| item.get(k)) {
            Some(Value::String(id)) => format!("v{id}"),
            _ => format!("j{item}"),
        };
        if seen.insert(key) {
            out.push(item);
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    check_single_primary(attr, &out, path)?;
    Ok(Some(Value::Array(out)))
}

/// Whether two elements of `attr` are the same value: equal JSON, or, where
/// an immutable `value` sub-attribute identifies elements (`members`), the
/// same `value`.
pub(crate) fn same_element(attr: &Attribute, a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match identity_key(attr) {
        Some(key) => match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        None => false,
    }
}

/// The sub-attribute that identifies an element of `attr`, if any: a
/// `value` that cannot be changed in place.
pub(crate) fn identity_key(attr: &Attribute) -> Option<&'static str> {
    let value = attr.sub_attribute("value")?;
    matches!(
        value.mutability,
        Mutability::Immutable | Mutability::ReadOnly
    )
    .then_some("value")
}

/// RFC 7643 §2.4: "primary" true appears at most once.
pub(crate) fn check_single_primary(
    attr: &Attribute,
    items: &[Value],
    path: &str,
) -> Result<(), Error> {
    if !attr.is_complex() || attr.sub_attribute("primary").is_none() {
        return Ok(());
    }
    let primaries = items
        .iter()
        .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
        .count();
    if primaries > 1 {
        return Err(Error::invalid_value(format!(
            "at most one value of \"{path}\" may have \"primary\": true, found {primaries}"
        )));
    }
    Ok(())
}

/// Checks one (non-array) value.
pub(crate) fn normalize_one(
    attr: &Attribute,
    value: Value,
    path: &str,
    cx: &mut Context,
) -> Result<Option<Value>, Error> {
    if attr.is_complex() {
        let obj = match value {
            Value::Null => return Ok(None),
            Value::Object(obj) => obj,
            Value::String(s)
                if attr.has_value_sub_attribute()
                    && cx.tolerate_at(Tolerance::ScalarForComplex, path) =>
            {
                if s.is_empty() {
                    return Ok(None);
                }
                let mut obj = JsonObject::new();
                obj.insert("value".to_owned(), Value::String(s));
                obj
            }
            other => {
                return Err(Error::invalid_value(format!(
                    "attribute \"{path}\" is complex and needs an object, not {}",
                    describe(&other)
                )));
            }
        };
        let obj = normalize_complex(attr, obj, path, cx)?;
        return Ok((!obj.is_empty()).then_some(Value::Object(obj)));
    }
    normalize_simple(attr, value, path, cx)
}

/// Canonicalises and checks the sub-attributes of a complex value; unknown
/// sub-attributes are kept as they are.
pub(crate) fn normalize_complex(
    attr: &Attribute,
    obj: JsonObject,
    path: &str,
    cx: &mut Context,
) -> Result<JsonObject, Error> {
    let out = normalize_sub_attributes(attr, obj, path, cx)?;
    check_required_sub_attributes(attr, &out, path)?;
    Ok(out)
}

/// [`normalize_complex`] without the check that required sub-attributes
/// are present: for a PATCH value merged into an existing complex value
/// (RFC 7644 §3.5.2.3: "Sub-attributes that are not specified in the value
/// parameter are left unchanged"), whose result is checked after the
/// merge.
pub(crate) fn normalize_sub_attributes(
    attr: &Attribute,
    obj: JsonObject,
    path: &str,
    cx: &mut Context,
) -> Result<JsonObject, Error> {
    let mut out = JsonObject::new();
    for (key, value) in obj {
        match attr.sub_attribute(&key) {
            Some(sub) => {
                if sub.mutability == Mutability::ReadOnly {
                    continue;
                }
                let sub_path = format!("{path}.{}", sub.name);
                if out.contains_key(&sub.name) {
                    return Err(duplicate_key(&sub_path));
                }
                if let Some(v) = normalize(sub, value, &sub_path, cx)? {
                    out.insert(sub.name.clone(), v);
                }
            }
            None => {
                let sub_path = format!("{path}.{key}");
                check_name(&key, &sub_path)?;
                check_no_nul(&value, &sub_path)?;
                if !value.is_null() {
                    keep_unknown(&sub_path, cx)?;
                    if out.keys().any(|k| k.eq_ignore_ascii_case(&key)) {
                        return Err(duplicate_key(&sub_path));
                    }
                    out.insert(key, value);
                }
            }
        }
    }
    Ok(out)
}

/// A non-empty complex value has every required (writable) sub-attribute.
pub(crate) fn check_required_sub_attributes(
    attr: &Attribute,
    obj: &JsonObject,
    path: &str,
) -> Result<(), Error> {
    for sub in &attr.sub_attributes {
        if sub.required
            && sub.mutability != Mutability::ReadOnly
            && !obj.is_empty()
            && !obj.contains_key(&sub.name)
        {
            return Err(Error::invalid_value(format!(
                "attribute \"{path}.{}\" is required",
                sub.name
            )));
        }
    }
    Ok(())
}

/// Checks a value of a simple type. `Ok(None)` means no value.
fn normalize_simple(
    attr: &Attribute,
    value: Value,
    path: &str,
    cx: &mut Context,
) -> Result<Option<Value>, Error> {
    let wrong = |value: &Value, expected: &str| {
        Error::invalid_value(format!(
            "attribute \"{path}\" must be {expected}, not {}",
            describe(value)
        ))
    };
    match attr.kind {
        AttrType::Boolean => match value {
            Value::Bool(_) => Ok(Some(value)),
            Value::String(ref s) if cx.policy.allows(Tolerance::StringBooleans) => {
                let b = if s.eq_ignore_ascii_case("true") {
                    true
                } else if s.eq_ignore_ascii_case("false") {
                    false
                } else {
                    return Err(wrong(&value, "a boolean"));
                };
                cx.tolerate(Tolerance::StringBooleans);
                Ok(Some(Value::Bool(b)))
            }
            other => Err(wrong(&other, "a boolean")),
        },
        AttrType::Integer => match &value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(value)),
            Value::Number(n) => match n.as_f64() {
                // 3.0 is the integer 3.
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    #[allow(clippy::cast_possible_truncation)]
                    let i = f as i64;
                    Ok(Some(Value::from(i)))
                }
                _ => Err(wrong(&value, "an integer")),
            },
            _ => Err(wrong(&value, "an integer")),
        },
        AttrType::Decimal => match &value {
            Value::Number(_) => Ok(Some(value)),
            _ => Err(wrong(&value, "a number")),
        },
        AttrType::DateTime => match &value {
            Value::String(s) => {
                if OffsetDateTime::parse(s, &Rfc3339).is_err() {
                    return Err(Error::invalid_value(format!(
                        "attribute \"{path}\" must be a dateTime such as \"2011-05-13T04:42:34Z\", not {s:?}"
                    )));
                }
                Ok(Some(value))
            }
            _ => Err(wrong(&value, "a dateTime string")),
        },
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(s) => {
                check_str(&s, path)?;
                if attr.canonical_values_enforced
                    && !attr.canonical_values.is_empty()
                    && !attr.canonical_values.iter().any(|c| {
                        if attr.case_exact {
                            *c == s
                        } else {
                            c.eq_ignore_ascii_case(&s)
                        }
                    })
                {
                    return Err(Error::invalid_value(format!(
                        "attribute \"{path}\" must be one of {}, not {s:?}",
                        attr.canonical_values.join(", ")
                    )));
                }
                Ok(Some(Value::String(s)))
            }
            other => Err(wrong(&other, "a string")),
        },
        AttrType::Complex => Err(wrong(&value, "an object")),
    }
}

/// An attribute no schema defines, at `path`: kept verbatim if
/// [`Tolerance::KeepUnknownAttributes`] allows, else `invalidValue`
/// naming it.
pub(crate) fn keep_unknown(path: &str, cx: &mut Context) -> Result<(), Error> {
    if cx.tolerate(Tolerance::KeepUnknownAttributes) {
        return Ok(());
    }
    Err(Error::invalid_value(format!(
        "attribute \"{path}\" is not defined by the resource's schemas"
    )))
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn duplicate_key(path: &str) -> Error {
    Error::invalid_syntax(format!(
        "attribute \"{path}\" is given twice (attribute names ignore case)"
    ))
}

/// Refuses NUL characters: no database stores them, and no identity has
/// them.
fn check_str(s: &str, path: &str) -> Result<(), Error> {
    if s.contains('\0') {
        return Err(Error::invalid_value(format!(
            "attribute \"{path}\" contains a NUL character"
        )));
    }
    Ok(())
}

/// Refuses NUL characters in an attribute name.
pub(crate) fn check_name(name: &str, path: &str) -> Result<(), Error> {
    if name.contains('\0') {
        return Err(Error::invalid_value(format!(
            "the attribute name {path:?} contains a NUL character"
        )));
    }
    Ok(())
}

/// Refuses NUL characters anywhere in a JSON value, keys included.
pub(crate) fn check_no_nul(value: &Value, path: &str) -> Result<(), Error> {
    match value {
        Value::String(s) => check_str(s, path),
        Value::Array(items) => items.iter().try_for_each(|v| check_no_nul(v, path)),
        Value::Object(obj) => obj.iter().try_for_each(|(k, v)| {
            check_str(k, path)?;
            check_no_nul(v, path)
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tolerance::Policy;

    fn entra() -> Context {
        Context::new(Policy::entra_id())
    }

    fn strict() -> Context {
        Context::new(Policy::strict())
    }

    fn emails() -> Attribute {
        Attribute::complex(
            "emails",
            vec![
                Attribute::new("value", AttrType::String),
                Attribute::new("type", AttrType::String),
                Attribute::new("primary", AttrType::Boolean),
            ],
        )
        .with_multi_valued(true)
    }

    const MANAGER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";

    fn manager() -> Attribute {
        Attribute::complex(
            "manager",
            vec![
                Attribute::new("value", AttrType::String),
                Attribute::new("displayName", AttrType::String)
                    .with_mutability(Mutability::ReadOnly),
            ],
        )
    }

    #[test]
    fn string_booleans_are_coerced_only_when_tolerated() {
        let active = Attribute::new("active", AttrType::Boolean);
        let mut cx = entra();
        let v = normalize(&active, json!("False"), "active", &mut cx).unwrap();
        assert_eq!(v, Some(json!(false)));
        assert!(cx.fired.contains(Tolerance::StringBooleans));
        assert!(normalize(&active, json!("yes"), "active", &mut entra()).is_err());
        assert!(normalize(&active, json!(1), "active", &mut entra()).is_err());
        assert!(normalize(&active, json!("true"), "active", &mut strict()).is_err());
    }

    #[test]
    fn sub_attribute_names_are_canonicalised_and_read_only_ones_dropped() {
        let mut cx = entra();
        let v = normalize(
            &manager(),
            json!({"VALUE": "42", "displayname": "Boss", "extra": 1}),
            "manager",
            &mut cx,
        )
        .unwrap();
        assert_eq!(v, Some(json!({"value": "42", "extra": 1})));
        assert!(cx.fired.contains(Tolerance::KeepUnknownAttributes));
        let v = normalize(
            &manager(),
            json!({"VALUE": "42", "displayname": "Boss"}),
            "manager",
            &mut strict(),
        )
        .unwrap();
        assert_eq!(v, Some(json!({"value": "42"})));
    }

    #[test]
    fn unknown_sub_attributes_are_refused_under_the_strict_policy() {
        let err = normalize(
            &manager(),
            json!({"value": "42", "extra": 1}),
            "manager",
            &mut strict(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidValue(m) if m.as_str().contains("\"manager.extra\"")));
    }

    #[test]
    fn bare_string_manager_becomes_complex_and_empty_clears() {
        let mut cx = entra();
        let v = normalize(&manager(), json!("42"), MANAGER, &mut cx).unwrap();
        assert_eq!(v, Some(json!({"value": "42"})));
        let v = normalize(&manager(), json!(""), MANAGER, &mut cx).unwrap();
        assert_eq!(v, None);
        assert!(normalize(&manager(), json!("42"), MANAGER, &mut strict()).is_err());
        // Only the Enterprise User's manager: the same shape elsewhere is
        // refused under the Entra policy too.
        let err = normalize(&manager(), json!("42"), "sponsor", &mut entra()).unwrap_err();
        assert!(matches!(err, Error::InvalidValue(m) if m.as_str().contains("\"sponsor\"")));
    }

    #[test]
    fn duplicates_are_dropped_and_two_primaries_refused() {
        let v = normalize(
            &emails(),
            json!([{"value": "a"}, {"value": "a"}, null, {"value": "b"}]),
            "emails",
            &mut strict(),
        )
        .unwrap();
        assert_eq!(v, Some(json!([{"value": "a"}, {"value": "b"}])));
        let err = normalize(
            &emails(),
            json!([{"value": "a", "primary": true}, {"value": "b", "primary": "True"}]),
            "emails",
            &mut entra(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidValue(m) if m.as_str().contains("primary")));
    }

    #[test]
    fn wrong_shapes_name_the_attribute() {
        let cases = [
            (emails(), json!("x@example.com"), "emails"),
            (emails(), json!([{"value": 5}]), "emails.value"),
            (manager(), json!([1, 2]), "manager"),
            (Attribute::new("n", AttrType::Integer), json!(1.5), "n"),
            (
                Attribute::new("d", AttrType::DateTime),
                json!("yesterday"),
                "d",
            ),
            (Attribute::new("s", AttrType::String), json!("a\u{0}b"), "s"),
        ];
        for (attr, value, named) in cases {
            let err = normalize(&attr, value, &attr.name, &mut strict()).unwrap_err();
            assert!(err.to_string().contains(&format!("\"{named}\"")), "{err}");
        }
    }

    #[test]
    fn a_one_element_array_is_tolerated_only_for_the_manager() {
        let mut cx = entra();
        let v = normalize(&manager(), json!([{"value": "1"}]), MANAGER, &mut cx).unwrap();
        assert_eq!(v, Some(json!({"value": "1"})));
        let v = normalize(&manager(), json!(["1"]), MANAGER, &mut cx).unwrap();
        assert_eq!(v, Some(json!({"value": "1"})));
        assert!(cx.fired.contains(Tolerance::SingleValueArray));
        assert!(normalize(&manager(), json!([{"value": "1"}]), MANAGER, &mut strict()).is_err());
        let user_name = Attribute::new("userName", AttrType::String);
        let active = Attribute::new("active", AttrType::Boolean);
        for (attr, value) in [(&user_name, json!(["x"])), (&active, json!([true]))] {
            let mut cx = entra();
            let err = normalize(attr, value, &attr.name, &mut cx).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidValue(m) if m.as_str().contains(&format!("\"{}\"", attr.name))),
                "{err}"
            );
            assert!(cx.fired.is_empty());
        }
    }

    #[test]
    fn a_single_value_for_a_multi_valued_attribute_is_refused_under_every_policy() {
        for value in [json!({"value": "a@example.org"}), json!("a@example.org")] {
            let err = normalize(&emails(), value, "emails", &mut entra()).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidValue(m) if m.as_str().contains("\"emails\"") && m.as_str().contains("array")),
                "{err}"
            );
        }
    }

    #[test]
    fn enforced_canonical_values_are_checked() {
        let attr = Attribute::new("kind", AttrType::String)
            .with_canonical_values(["visitor", "host"])
            .with_canonical_values_enforced(true);
        assert!(normalize(&attr, json!("HOST"), "kind", &mut strict()).is_ok());
        assert!(normalize(&attr, json!("guest"), "kind", &mut strict()).is_err());
        let suggested = Attribute::new("type", AttrType::String).with_canonical_values(["work"]);
        assert!(normalize(&suggested, json!("custom"), "type", &mut strict()).is_ok());
    }
}
