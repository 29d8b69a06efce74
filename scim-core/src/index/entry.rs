//! The index rows of a resource, found the way the evaluator finds values.

use serde_json::{Map, Value};

use super::Key;
use crate::schema::{JsonObject, ResourceSchema};

/// One index row of a resource; see [`entries`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct IndexEntry {
    /// The index: a position in
    /// [`ResourceSchema::indexes`](crate::schema::ResourceSchema::indexes).
    pub index: usize,
    /// The position of the value's element in a multi-valued attribute
    /// (`2` for the third email); `0` for single-valued attributes. Plans
    /// do not depend on it: it tells rows of one resource apart, and a
    /// store that maintains rows incrementally
    /// ([`IndexDef::key_of`](super::IndexDef::key_of)) may number elements
    /// its own way.
    pub element: u32,
    /// The value.
    pub key: Key,
}

/// The index rows of one resource: for every index of `schema`, one entry
/// per value the evaluator would compare, found the way the evaluator
/// finds it (attribute names ignoring ASCII case, arrays flattened, only
/// the elements the index's value filter matches). `null`s have no entry;
/// an empty string has one, with [`Key::EMPTY_TEXT_ENCODED`].
pub fn entries(schema: &ResourceSchema, resource: &JsonObject) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    for (index, def) in schema.indexes().iter().enumerate() {
        let base = match &def.extension {
            Some(urn) => match lookup(resource, urn.as_str()) {
                Some(Value::Object(ext)) => ext,
                _ => continue,
            },
            None => resource,
        };
        let Some(value) = lookup(base, &def.attr) else {
            continue;
        };
        for (position, item) in elements(value) {
            let element = u32::try_from(position).unwrap_or(u32::MAX);
            let mut push = |v: &Value| {
                if let Some(key) = Key::of(def, v) {
                    out.push(IndexEntry {
                        index,
                        element,
                        key,
                    });
                }
            };
            let Some(sub) = &def.sub else {
                push(item);
                continue;
            };
            let Value::Object(obj) = item else {
                continue;
            };
            if let Some(m) = &def.matcher {
                // An element the value filter cannot be evaluated on is
                // not one the evaluator would find matching.
                if !m.matches_object(obj).unwrap_or(false) {
                    continue;
                }
            }
            if let Some(v) = lookup(obj, sub) {
                for (_, leaf) in elements(v) {
                    push(leaf);
                }
            }
        }
    }
    out
}

/// The elements of an array with their positions, or the value itself at
/// position 0.
fn elements(value: &Value) -> Box<dyn Iterator<Item = (usize, &Value)> + '_> {
    match value {
        Value::Array(items) => Box::new(items.iter().enumerate()),
        v => Box::new(std::iter::once((0, v))),
    }
}

/// The member called `key`, ignoring ASCII case; exact spelling first (the
/// evaluator's lookup).
fn lookup<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}
