//! Selecting what a change at an attribute target acts on: the object
//! holding the attribute (the resource or an extension object, created
//! for an `add` or `replace`), and the values a filter matches.

use serde_json::Value;

use super::resolve::{AttrTarget, ElementFacts};
use crate::Error;
use crate::filter::{CompValue, CompareOp, Filter};
use crate::schema::{Attribute, JsonObject};

/// What a change at an attribute target acts on.
pub(super) enum Selection {
    /// The attribute (or its sub-attribute), whatever values it has: the
    /// path has no value filter.
    Attribute,
    /// The values the filter matches, by index; never empty.
    Matched(Vec<usize>),
    /// The filter matches no value (or the attribute has none).
    Missed,
}

/// Selects the values of `t.attr` that `t.filter` matches, if it has one.
pub(super) fn select(doc: &JsonObject, t: &AttrTarget<'_>) -> Result<Selection, Error> {
    let Some(filter) = &t.filter else {
        return Ok(Selection::Attribute);
    };
    let container = match t.extension {
        Some(ext) => doc.get(ext.id.as_str()).and_then(Value::as_object),
        None => Some(doc),
    };
    let Some(Value::Array(items)) = container.and_then(|c| c.get(&t.attr.name)) else {
        return Ok(Selection::Missed);
    };
    let matcher = filter.matcher(&ElementFacts(t.attr))?;
    let mut matched = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Value::Object(obj) = item {
            if matcher.matches_object(obj)? {
                matched.push(i);
            }
        }
    }
    Ok(if matched.is_empty() {
        Selection::Missed
    } else {
        Selection::Matched(matched)
    })
}

/// The object holding the target's attribute, for an `add` or `replace`:
/// the resource, or its extension object, created if missing.
///
/// # Errors
///
/// `invalidValue` if the resource holds something other than an object
/// under the extension's URN.
pub(super) fn container_to_set<'d>(
    doc: &'d mut JsonObject,
    t: &AttrTarget<'_>,
) -> Result<&'d mut JsonObject, Error> {
    let not_object = || {
        Error::invalid_value(format!(
            "the extension holding \"{}\" is not an object",
            t.display
        ))
    };
    let Some(ext) = t.extension else {
        return Ok(doc);
    };
    let key = ext.id.as_str();
    if !doc.contains_key(key) {
        doc.insert(key.to_owned(), Value::Object(JsonObject::new()));
    }
    doc.get_mut(key)
        .and_then(Value::as_object_mut)
        .ok_or_else(not_object)
}

/// The object holding the target's attribute, if the resource has one.
pub(super) fn container_mut<'d>(
    doc: &'d mut JsonObject,
    t: &AttrTarget<'_>,
) -> Option<&'d mut JsonObject> {
    match t.extension {
        Some(ext) => doc.get_mut(ext.id.as_str()).and_then(Value::as_object_mut),
        None => Some(doc),
    }
}

/// The object under `key`, replacing whatever else is there.
pub(super) fn object_entry<'c>(
    container: &'c mut JsonObject,
    key: &str,
) -> Option<&'c mut JsonObject> {
    let entry = container
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(JsonObject::new()));
    if !entry.is_object() {
        *entry = Value::Object(JsonObject::new());
    }
    entry.as_object_mut()
}

/// The array under `key`, replacing whatever else is there.
pub(super) fn array_entry<'c>(
    container: &'c mut JsonObject,
    key: &str,
) -> Option<&'c mut Vec<Value>> {
    let entry = container
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    entry.as_array_mut()
}

/// The value a filter of only `eq` clauses joined by `and` describes
/// (`type eq "work" and primary eq true` → `{"type": "work", "primary":
/// true}`), or `None` for any other filter: what a filtered `add` or
/// `replace` that missed may create.
pub(super) fn eq_seed(filter: &Filter, attr: &Attribute) -> Option<JsonObject> {
    let mut seed = JsonObject::new();
    let clauses: Vec<&Filter> = match filter {
        Filter::And(ops) => ops.iter().collect(),
        other => vec![other],
    };
    for clause in clauses {
        let Filter::Compare(cmp) = clause else {
            return None;
        };
        let path = cmp.path();
        if cmp.op() != CompareOp::Eq || path.schema().is_some() || path.sub_attr().is_some() {
            return None;
        }
        let sub = attr.sub_attribute(path.name())?;
        if matches!(cmp.value(), CompValue::Null) {
            return None;
        }
        let value = cmp.value().to_json();
        if seed.get(&sub.name).is_some_and(|v| *v != value) {
            return None;
        }
        seed.insert(sub.name.clone(), value);
    }
    Some(seed)
}
