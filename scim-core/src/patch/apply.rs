//! Applying PATCH operations (RFC 7644 §3.5.2.1–§3.5.2.3).
//!
//! Paths are resolved only through the schema: an operation can reach an
//! attribute that a schema of the resource type defines, a sub-attribute of
//! it, or a whole registered extension, and nothing else, so it can never
//! create arbitrary keys or touch `id` and `meta`.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{PatchOp, PatchOperation, PatchRequest};
use crate::Error;
use crate::filter::eval::{AttrFacts, AttrRef, SchemaFacts};
use crate::filter::{CompValue, CompareOp, Filter, PatchPath};
use crate::resource::validate_patched;
use crate::schema::canonical::{identity_key, normalize, normalize_one, same_element};
use crate::schema::{Attribute, JsonObject, Mutability, ResourceSchema, Schema};
use crate::tolerance::{Context, Tolerance};

/// The result of [`apply`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PatchOutcome {
    /// The patched resource.
    pub resource: JsonObject,
    /// Whether anything changed; a PATCH that changes nothing must not
    /// change the version or `meta.lastModified` (RFC 7644 §3.5.2.1).
    pub changed: bool,
}

/// Applies `request` to a copy of `resource`: all operations or none.
///
/// # Errors
///
/// The first operation's failure, with the RFC's `scimType`:
/// `invalidPath` (unknown or malformed target), `noTarget` (a `remove`
/// without path; a filtered `replace`/`add` that matches nothing and cannot
/// be created), `mutability` (read-only or immutable targets, removing a
/// required attribute), `invalidValue` (a value of the wrong type).
pub fn apply(
    schema: &ResourceSchema,
    resource: &JsonObject,
    request: &PatchRequest,
    cx: &mut Context,
) -> Result<PatchOutcome, Error> {
    let mut doc = resource.clone();
    let mut changed = false;
    for (index, op) in request.operations.iter().enumerate() {
        let mut patcher = Patcher { schema, cx };
        changed |= patcher
            .operation(&mut doc, op)
            .map_err(|e| in_operation(e, index))?;
    }
    if changed {
        validate_patched(schema, &mut doc, resource)?;
    }
    Ok(PatchOutcome {
        resource: doc,
        changed,
    })
}

/// Prefixes an operation's error with its index, so that a client sending
/// ten operations learns which one failed.
pub(super) fn in_operation(e: Error, index: usize) -> Error {
    let prefix = |m: String| format!("operation {index}: {m}");
    match e {
        Error::InvalidPath(m) => Error::InvalidPath(prefix(m)),
        Error::InvalidValue(m) => Error::InvalidValue(prefix(m)),
        Error::NoTarget(m) => Error::NoTarget(prefix(m)),
        Error::Mutability(m) => Error::Mutability(prefix(m)),
        Error::InvalidFilter(m) => Error::InvalidFilter(prefix(m)),
        other => other,
    }
}

/// What a path resolved to.
enum Target<'s> {
    /// An attribute, possibly with a sub-attribute and a value filter.
    Attr(AttrTarget<'s>),
    /// A whole extension (`urn:…:enterprise:2.0:User`).
    Extension(&'s Schema),
}

struct AttrTarget<'s> {
    extension: Option<&'s Schema>,
    attr: &'s Attribute,
    sub: Option<&'s Attribute>,
    filter: Option<Filter>,
    display: String,
}

struct Patcher<'a, 's> {
    schema: &'s ResourceSchema,
    cx: &'a mut Context,
}

impl<'s> Patcher<'_, 's> {
    fn operation(&mut self, doc: &mut JsonObject, op: &PatchOperation) -> Result<bool, Error> {
        let Some(path) = &op.path else {
            return self.pathless(doc, op.op, op.value.as_ref());
        };
        let Some(target) = self.resolve(path)? else {
            return Ok(false);
        };
        self.apply_to(doc, op.op, target, op.value.as_ref())
    }

    fn apply_to(
        &mut self,
        doc: &mut JsonObject,
        op: PatchOp,
        target: Target<'s>,
        value: Option<&Value>,
    ) -> Result<bool, Error> {
        match target {
            Target::Extension(ext) => self.extension(doc, op, ext, value),
            Target::Attr(t) => {
                check_writable(&t, op)?;
                match (op, value) {
                    (PatchOp::Remove, value) => self.remove(doc, &t, value),
                    (PatchOp::Add | PatchOp::Replace, Some(value)) => {
                        self.set(doc, op, &t, value.clone())
                    }
                    // `parse` requires a value for add and replace.
                    (PatchOp::Add | PatchOp::Replace, None) => Err(Error::InvalidValue(format!(
                        "{} needs a \"value\"",
                        op.as_str()
                    ))),
                }
            }
        }
    }

    /// Resolves a path through the schema. `Ok(None)`: an unknown attribute
    /// that a tolerance says to skip.
    fn resolve(&mut self, path: &PatchPath) -> Result<Option<Target<'s>>, Error> {
        let schema = self.schema;
        let Some(filter) = path.filter() else {
            if let Some(r) = schema.resolve(path.attr()) {
                if r.legacy_dotted_urn && !self.cx.tolerate(Tolerance::LegacyDottedUrn) {
                    return Err(Error::InvalidPath(format!(
                        "\"{path}\" uses a dot after the schema URN; write {}",
                        r.display()
                    )));
                }
                return Ok(Some(Target::Attr(AttrTarget {
                    extension: r.extension,
                    attr: r.attr,
                    sub: r.sub,
                    filter: None,
                    display: r.display(),
                })));
            }
            if let Some(ext) = schema.extension_of_path(path.attr()) {
                return Ok(Some(Target::Extension(ext)));
            }
            return self.unknown(path);
        };
        let Some(r) = schema.resolve(path.attr()) else {
            return self.unknown(path);
        };
        if !r.attr.multi_valued || !r.attr.is_complex() {
            return Err(Error::InvalidPath(format!(
                "\"{}\" is not a multi-valued complex attribute, so \"{path}\" cannot filter it",
                r.display()
            )));
        }
        let sub = match path.sub_attr() {
            Some(name) => Some(r.attr.sub_attribute(name).ok_or_else(|| {
                Error::InvalidPath(format!(
                    "\"{}\" has no sub-attribute \"{name}\"",
                    r.display()
                ))
            })?),
            None => None,
        };
        let display = match sub {
            Some(s) => format!("{}[{filter}].{}", r.display(), s.name),
            None => format!("{}[{filter}]", r.display()),
        };
        Ok(Some(Target::Attr(AttrTarget {
            extension: r.extension,
            attr: r.attr,
            sub,
            filter: Some(filter.clone()),
            display,
        })))
    }

    fn unknown(&mut self, path: &PatchPath) -> Result<Option<Target<'s>>, Error> {
        if self.cx.tolerate(Tolerance::IgnoreUnknownPatchAttributes) {
            return Ok(None);
        }
        Err(Error::InvalidPath(format!(
            "no schema of {} defines \"{path}\"",
            self.schema.name()
        )))
    }

    /// `add`/`replace` without a path: each member of the value object is a
    /// target (RFC 7644 §3.5.2.1, §3.5.2.3).
    fn pathless(
        &mut self,
        doc: &mut JsonObject,
        op: PatchOp,
        value: Option<&Value>,
    ) -> Result<bool, Error> {
        if op == PatchOp::Remove {
            return Err(Error::NoTarget("remove needs a \"path\"".to_owned()));
        }
        let Some(Value::Object(members)) = value else {
            return Err(Error::InvalidValue(format!(
                "{} without a path needs an object \"value\"",
                op.as_str()
            )));
        };
        let mut changed = false;
        for (key, v) in members {
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let path: PatchPath = key.parse().map_err(|e| {
                Error::InvalidPath(format!("value member {key:?} is not an attribute: {e}"))
            })?;
            let Some(target) = self.resolve(&path)? else {
                continue;
            };
            let is_path_key = match &target {
                Target::Extension(_) => false,
                Target::Attr(t) => {
                    t.filter.is_some() || t.sub.is_some() || path.attr().schema().is_some()
                }
            };
            if is_path_key && !self.cx.tolerate(Tolerance::PathKeysInValue) {
                return Err(Error::InvalidPath(format!(
                    "value member {key:?} is a path; without a \"path\", members must be attribute names"
                )));
            }
            changed |= self.apply_to(doc, op, target, Some(v))?;
        }
        Ok(changed)
    }

    /// `add`/`replace`/`remove` of a whole extension.
    fn extension(
        &mut self,
        doc: &mut JsonObject,
        op: PatchOp,
        ext: &'s Schema,
        value: Option<&Value>,
    ) -> Result<bool, Error> {
        if op == PatchOp::Remove {
            return Ok(doc.remove(ext.id.as_str()).is_some());
        }
        let Some(Value::Object(members)) = value else {
            return Err(Error::InvalidValue(format!(
                "the extension \"{}\" needs an object value",
                ext.id
            )));
        };
        let mut changed = false;
        for (key, v) in members {
            let Some(attr) = ext.attribute(key) else {
                if self.cx.tolerate(Tolerance::IgnoreUnknownPatchAttributes) {
                    continue;
                }
                return Err(Error::InvalidPath(format!(
                    "the extension \"{}\" defines no attribute \"{key}\"",
                    ext.id
                )));
            };
            let target = AttrTarget {
                extension: Some(ext),
                attr,
                sub: None,
                filter: None,
                display: format!("{}:{}", ext.id, attr.name),
            };
            check_writable(&target, op)?;
            changed |= self.set(doc, op, &target, v.clone())?;
        }
        Ok(changed)
    }

    /// `add` or `replace` of a value at an attribute target.
    fn set(
        &mut self,
        doc: &mut JsonObject,
        op: PatchOp,
        t: &AttrTarget<'s>,
        value: Value,
    ) -> Result<bool, Error> {
        if t.filter.is_some() {
            return self.set_filtered(doc, op, t, value);
        }
        let key = t.attr.name.as_str();
        let container = container_mut(doc, t.extension, true).ok_or_else(|| not_object(t))?;
        match (t.attr.multi_valued, t.sub) {
            (true, None) => {
                let items = match normalize(t.attr, value, &t.display, self.cx)? {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                };
                if op == PatchOp::Replace {
                    let new = (!items.is_empty()).then_some(Value::Array(items));
                    return Ok(put(container, key, new));
                }
                add_values(container, t.attr, items, &t.display)
            }
            (true, Some(sub)) => {
                let v = normalize(sub, value, &t.display, self.cx)?;
                let mut changed = false;
                if let Some(Value::Array(items)) = container.get_mut(key) {
                    if sub.mutability == Mutability::Immutable
                        && items
                            .iter()
                            .any(|e| e.get(&sub.name).is_some_and(|old| Some(old) != v.as_ref()))
                    {
                        return Err(Error::Mutability(format!(
                            "\"{}\" is immutable and already set",
                            t.display
                        )));
                    }
                    for item in items.iter_mut() {
                        if let Value::Object(obj) = item {
                            changed |= put(obj, &sub.name, v.clone());
                        }
                    }
                    if sub.name == "primary" && v == Some(Value::Bool(true)) && items.len() > 1 {
                        return Err(Error::InvalidValue(format!(
                            "setting \"{}\" on every value would make more than one primary",
                            t.display
                        )));
                    }
                }
                Ok(changed)
            }
            (false, None) => {
                let whole = !t.attr.is_complex() || !value.is_object();
                let v = normalize(t.attr, value, &t.display, self.cx)?;
                match (whole, v) {
                    (false, Some(Value::Object(fields))) => {
                        let entry = container
                            .entry(key.to_owned())
                            .or_insert_with(|| Value::Object(JsonObject::new()));
                        if !entry.is_object() {
                            *entry = Value::Object(JsonObject::new());
                        }
                        let mut changed = false;
                        if let Value::Object(obj) = entry {
                            for (k, v) in fields {
                                changed |= put(obj, &k, Some(v));
                            }
                        }
                        Ok(changed)
                    }
                    (_, v) => Ok(put(container, key, v)),
                }
            }
            (false, Some(sub)) => {
                let v = normalize(sub, value, &t.display, self.cx)?;
                let entry = container
                    .entry(key.to_owned())
                    .or_insert_with(|| Value::Object(JsonObject::new()));
                if !entry.is_object() {
                    *entry = Value::Object(JsonObject::new());
                }
                let changed = match entry {
                    Value::Object(obj) => put(obj, &sub.name, v),
                    _ => false,
                };
                if matches!(container.get(key), Some(Value::Object(o)) if o.is_empty()) {
                    container.remove(key);
                }
                Ok(changed)
            }
        }
    }

    /// `add`/`replace` at `attr[filter]` or `attr[filter].sub`.
    fn set_filtered(
        &mut self,
        doc: &mut JsonObject,
        op: PatchOp,
        t: &AttrTarget<'s>,
        value: Value,
    ) -> Result<bool, Error> {
        let matched = matching(doc, t)?;
        let key = t.attr.name.as_str();
        if matched.is_empty() {
            return self.create_on_miss(doc, t, value);
        }
        let container = container_mut(doc, t.extension, true).ok_or_else(|| not_object(t))?;
        let Some(Value::Array(items)) = container.get_mut(key) else {
            return Ok(false);
        };
        let mut changed = false;
        match t.sub {
            Some(sub) => {
                let v = normalize(sub, value, &t.display, self.cx)?;
                for &i in &matched {
                    if let Some(Value::Object(obj)) = items.get_mut(i) {
                        if sub.mutability == Mutability::Immutable
                            && obj
                                .get(&sub.name)
                                .is_some_and(|old| Some(old) != v.as_ref())
                        {
                            return Err(Error::Mutability(format!(
                                "\"{}\" is immutable",
                                t.display
                            )));
                        }
                        changed |= put(obj, &sub.name, v.clone());
                    }
                }
            }
            None => {
                let Some(Value::Object(fields)) =
                    normalize_one(t.attr, value, &t.display, self.cx)?
                else {
                    return Err(Error::InvalidValue(format!(
                        "\"{}\" needs an object value",
                        t.display
                    )));
                };
                for &i in &matched {
                    if let Some(Value::Object(obj)) = items.get_mut(i) {
                        // The identifying `value` of a member cannot change
                        // in place (it is immutable).
                        if let Some(id) = identity_key(t.attr) {
                            if fields.get(id).is_some_and(|new| obj.get(id) != Some(new)) {
                                return Err(Error::Mutability(format!(
                                    "\"{}.{id}\" is immutable; remove the value and add another",
                                    t.attr.name
                                )));
                            }
                        }
                        if op == PatchOp::Replace {
                            let mut new = fields.clone();
                            if let Some(id) = identity_key(t.attr) {
                                if let (None, Some(old)) = (new.get(id), obj.get(id)) {
                                    new.insert(id.to_owned(), old.clone());
                                }
                            }
                            changed |= *obj != new;
                            *obj = new;
                        } else {
                            for (k, v) in &fields {
                                changed |= put(obj, k, Some(v.clone()));
                            }
                        }
                    }
                }
            }
        }
        changed |= enforce_primary(items, &matched, &t.display)?;
        Ok(changed)
    }

    /// A filtered `add`/`replace` matched nothing: create the value from the
    /// filter's `eq` clauses if tolerated, else `noTarget`.
    fn create_on_miss(
        &mut self,
        doc: &mut JsonObject,
        t: &AttrTarget<'s>,
        value: Value,
    ) -> Result<bool, Error> {
        let no_target = || {
            Error::NoTarget(format!(
                "no value of \"{}\" matches \"{}\"",
                t.attr.name, t.display
            ))
        };
        let Some(filter) = &t.filter else {
            return Err(no_target());
        };
        let Some(mut element) = eq_seed(filter, t.attr) else {
            return Err(no_target());
        };
        if !self.cx.tolerate(Tolerance::CreateOnFilteredMiss) {
            return Err(no_target());
        }
        match (t.sub, value) {
            (Some(sub), value) => {
                if value.is_null() {
                    return Ok(false);
                }
                element.insert(sub.name.clone(), value);
            }
            (None, Value::Object(fields)) => element.extend(fields),
            (None, _) => {
                return Err(Error::InvalidValue(format!(
                    "\"{}\" needs an object value",
                    t.display
                )));
            }
        }
        let Some(element) = normalize_one(t.attr, Value::Object(element), &t.display, self.cx)?
        else {
            return Ok(false);
        };
        let container = container_mut(doc, t.extension, true).ok_or_else(|| not_object(t))?;
        let entry = container
            .entry(t.attr.name.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !entry.is_array() {
            *entry = Value::Array(Vec::new());
        }
        if let Value::Array(items) = entry {
            items.push(element);
            let touched = [items.len() - 1];
            enforce_primary(items, &touched, &t.display)?;
        }
        Ok(true)
    }

    /// `remove` at an attribute target (RFC 7644 §3.5.2.2).
    fn remove(
        &mut self,
        doc: &mut JsonObject,
        t: &AttrTarget<'s>,
        value: Option<&Value>,
    ) -> Result<bool, Error> {
        // Removing a required value is refused after all operations, by
        // `validate_patched`: only a value the resource has counts.
        if t.filter.is_some() {
            return self.remove_filtered(doc, t);
        }
        let value = value.filter(|v| !v.is_null());
        if let Some(value) = value {
            if !self.cx.tolerate(Tolerance::RemoveByValue) {
                return Err(Error::InvalidValue(format!(
                    "remove does not take a \"value\"; to remove some values of \"{}\", use a filter such as {}[value eq \"…\"]",
                    t.display, t.attr.name
                )));
            }
            return self.remove_by_value(doc, t, value.clone());
        }
        let key = t.attr.name.as_str();
        let Some(container) = container_mut(doc, t.extension, false) else {
            return Ok(false);
        };
        let Some(sub) = t.sub else {
            let changed = container.remove(key).is_some();
            if let Some(ext) = t.extension {
                drop_empty_extension(doc, ext);
            }
            return Ok(changed);
        };
        let changed = match container.get_mut(key) {
            Some(Value::Object(obj)) => obj.remove(&sub.name).is_some(),
            Some(Value::Array(items)) => {
                let mut changed = false;
                for item in items.iter_mut() {
                    if let Value::Object(obj) = item {
                        changed |= obj.remove(&sub.name).is_some();
                    }
                }
                items.retain(|v| !matches!(v, Value::Object(o) if o.is_empty()));
                changed
            }
            _ => false,
        };
        drop_if_empty(container, key);
        if let Some(ext) = t.extension {
            drop_empty_extension(doc, ext);
        }
        Ok(changed)
    }

    /// Entra ID's `remove` with a `value`: remove exactly those values.
    fn remove_by_value(
        &mut self,
        doc: &mut JsonObject,
        t: &AttrTarget<'s>,
        value: Value,
    ) -> Result<bool, Error> {
        let key = t.attr.name.as_str();
        let leaf = t.sub.unwrap_or(t.attr);
        let targets = match normalize(leaf, value, &t.display, self.cx)? {
            Some(Value::Array(items)) => items,
            Some(v) => vec![v],
            None => return Ok(false),
        };
        let Some(container) = container_mut(doc, t.extension, false) else {
            return Ok(false);
        };
        // A value is selected when it equals a target, or has the same
        // `value` as one: hashed, so removing n values from m costs n + m.
        let target_texts: HashSet<String> = targets.iter().map(Value::to_string).collect();
        let target_values: HashSet<String> = targets
            .iter()
            .filter_map(|t| t.get("value"))
            .map(Value::to_string)
            .collect();
        let selects = |existing: &Value| {
            target_texts.contains(&existing.to_string())
                || existing
                    .get("value")
                    .is_some_and(|v| target_values.contains(&v.to_string()))
        };
        let changed = match (t.sub, container.get_mut(key)) {
            (None, Some(Value::Array(items))) => {
                let before = items.len();
                if let Some(id_key) = identity_key(t.attr) {
                    let ids: HashSet<&str> = targets
                        .iter()
                        .filter_map(|v| v.get(id_key).and_then(Value::as_str))
                        .collect();
                    // Targets are normally identified by their `value`; compare
                    // whole values only for those that are not.
                    let unidentified = targets.iter().any(|v| v.get(id_key).is_none());
                    items.retain(|e| {
                        let by_id = e
                            .get(id_key)
                            .and_then(Value::as_str)
                            .is_some_and(|v| ids.contains(v));
                        !(by_id || (unidentified && selects(e)))
                    });
                } else {
                    items.retain(|e| !selects(e));
                }
                before != items.len()
            }
            (None, Some(existing)) if selects(existing) => {
                container.remove(key);
                true
            }
            (Some(sub), Some(Value::Object(obj)))
                if obj.get(&sub.name).is_some_and(|v| targets.contains(v)) =>
            {
                obj.remove(&sub.name);
                true
            }
            (Some(sub), Some(Value::Array(items))) => {
                let mut changed = false;
                for item in items.iter_mut() {
                    if let Value::Object(obj) = item {
                        if obj.get(&sub.name).is_some_and(|v| targets.contains(v)) {
                            obj.remove(&sub.name);
                            changed = true;
                        }
                    }
                }
                items.retain(|v| !matches!(v, Value::Object(o) if o.is_empty()));
                changed
            }
            _ => false,
        };
        drop_if_empty(container, key);
        if let Some(ext) = t.extension {
            drop_empty_extension(doc, ext);
        }
        Ok(changed)
    }

    /// `remove` at `attr[filter]` (the matching values) or
    /// `attr[filter].sub` (that sub-attribute of the matching values).
    /// Nothing matching is not an error: a retried removal succeeds.
    fn remove_filtered(&mut self, doc: &mut JsonObject, t: &AttrTarget<'s>) -> Result<bool, Error> {
        let matched = matching(doc, t)?;
        if matched.is_empty() {
            return Ok(false);
        }
        let key = t.attr.name.as_str();
        let Some(container) = container_mut(doc, t.extension, false) else {
            return Ok(false);
        };
        let Some(Value::Array(items)) = container.get_mut(key) else {
            return Ok(false);
        };
        let mut changed = true;
        match t.sub {
            Some(sub) => {
                changed = false;
                for &i in &matched {
                    if let Some(Value::Object(obj)) = items.get_mut(i) {
                        changed |= obj.remove(&sub.name).is_some();
                    }
                }
                items.retain(|v| !matches!(v, Value::Object(o) if o.is_empty()));
            }
            None => {
                let remove: HashSet<usize> = matched.into_iter().collect();
                let mut index = 0;
                items.retain(|_| {
                    let keep = !remove.contains(&index);
                    index += 1;
                    keep
                });
            }
        }
        drop_if_empty(container, key);
        if let Some(ext) = t.extension {
            drop_empty_extension(doc, ext);
        }
        Ok(changed)
    }
}

/// Read-only targets are refused, and removing an immutable sub-attribute.
fn check_writable(t: &AttrTarget<'_>, op: PatchOp) -> Result<(), Error> {
    let leaf = t.sub.unwrap_or(t.attr);
    if t.attr.mutability == Mutability::ReadOnly || leaf.mutability == Mutability::ReadOnly {
        return Err(Error::Mutability(format!(
            "\"{}\" is read-only and cannot be changed with PATCH",
            t.display
        )));
    }
    if op == PatchOp::Remove
        && t.sub
            .is_some_and(|sub| sub.mutability == Mutability::Immutable)
    {
        return Err(Error::Mutability(format!(
            "\"{}\" is immutable and cannot be removed",
            t.display
        )));
    }
    Ok(())
}

/// The object holding the target's attribute: the resource, or its
/// extension object (created when `create`).
fn container_mut<'d>(
    doc: &'d mut JsonObject,
    ext: Option<&Schema>,
    create: bool,
) -> Option<&'d mut JsonObject> {
    let Some(ext) = ext else {
        return Some(doc);
    };
    let key = ext.id.as_str();
    if !doc.contains_key(key) {
        if !create {
            return None;
        }
        doc.insert(key.to_owned(), Value::Object(JsonObject::new()));
    }
    match doc.get_mut(key) {
        Some(Value::Object(obj)) => Some(obj),
        _ => None,
    }
}

fn not_object(t: &AttrTarget<'_>) -> Error {
    Error::InvalidValue(format!(
        "the extension holding \"{}\" is not an object",
        t.display
    ))
}

fn drop_empty_extension(doc: &mut JsonObject, ext: &Schema) {
    drop_if_empty(doc, ext.id.as_str());
}

/// Removes `key` if its value is an empty object or array: an attribute
/// without values is unassigned (RFC 7643 §2.5).
fn drop_if_empty(obj: &mut JsonObject, key: &str) {
    let empty = match obj.get(key) {
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    if empty {
        obj.remove(key);
    }
}

/// Sets (`Some`) or removes (`None`) a member; whether that changed it.
fn put(obj: &mut JsonObject, key: &str, value: Option<Value>) -> bool {
    match value {
        Some(v) => obj
            .insert(key.to_owned(), v.clone())
            .is_none_or(|old| old != v),
        None => obj.remove(key).is_some(),
    }
}

/// Appends values not already present; an existing member is a successful
/// no-op (RFC 7644 §3.5.2.1). Linear in the existing values plus the new
/// ones when values have an identifying `value`.
fn add_values(
    container: &mut JsonObject,
    attr: &Attribute,
    new: Vec<Value>,
    display: &str,
) -> Result<bool, Error> {
    if new.is_empty() {
        return Ok(false);
    }
    let entry = container
        .entry(attr.name.clone())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    let Value::Array(items) = entry else {
        return Ok(false);
    };
    let mut touched = Vec::new();
    let mut pushed = false;
    match identity_key(attr) {
        Some(key) => {
            // One pass over the existing values, remembering only those that
            // are being added again: no copy of a 100,000-member list.
            let wanted: HashSet<&str> = new
                .iter()
                .filter_map(|item| item.get(key).and_then(Value::as_str))
                .collect();
            let mut present: HashSet<String> = items
                .iter()
                .filter_map(|item| item.get(key).and_then(Value::as_str))
                .filter(|v| wanted.contains(v))
                .map(str::to_owned)
                .collect();
            drop(wanted);
            for item in new {
                let fresh = match item.get(key).and_then(Value::as_str) {
                    Some(id) => present.insert(id.to_owned()),
                    None => !items.iter().any(|e| same_element(attr, e, &item)),
                };
                if fresh {
                    items.push(item);
                    touched.push(items.len() - 1);
                    pushed = true;
                }
            }
        }
        None => {
            // Values are equal when their JSON is; index the existing ones by
            // their text so that adding n values to m costs n + m, not n·m.
            let mut index: HashMap<String, usize> = items
                .iter()
                .enumerate()
                .map(|(i, e)| (e.to_string(), i))
                .collect();
            for item in new {
                let text = item.to_string();
                if let Some(&i) = index.get(&text) {
                    // Re-adding an existing value may still make it primary.
                    if item.get("primary") == Some(&Value::Bool(true)) {
                        touched.push(i);
                    }
                    continue;
                }
                items.push(item);
                index.insert(text, items.len() - 1);
                touched.push(items.len() - 1);
                pushed = true;
            }
        }
    }
    let demoted = enforce_primary(items, &touched, display)?;
    Ok(pushed || demoted)
}

/// RFC 7644 §3.5.2: making one value primary makes the others
/// non-primary; making two values primary at once is an error. Returns
/// whether another value was made non-primary.
fn enforce_primary(items: &mut [Value], touched: &[usize], display: &str) -> Result<bool, Error> {
    let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
    let new_primary: Vec<usize> = touched
        .iter()
        .copied()
        .filter(|&i| items.get(i).is_some_and(is_primary))
        .collect();
    match new_primary.as_slice() {
        [] => Ok(false),
        [keep] => {
            let mut demoted = false;
            for (i, item) in items.iter_mut().enumerate() {
                if i != *keep && is_primary(item) {
                    if let Value::Object(obj) = item {
                        obj.insert("primary".to_owned(), Value::Bool(false));
                        demoted = true;
                    }
                }
            }
            Ok(demoted)
        }
        _ => Err(Error::InvalidValue(format!(
            "at most one value of \"{display}\" may have \"primary\": true"
        ))),
    }
}

/// Indexes of the values of `t.attr` matching `t.filter`.
fn matching(doc: &JsonObject, t: &AttrTarget<'_>) -> Result<Vec<usize>, Error> {
    let Some(filter) = &t.filter else {
        return Ok(Vec::new());
    };
    let container = match t.extension {
        Some(ext) => doc.get(ext.id.as_str()).and_then(Value::as_object),
        None => Some(doc),
    };
    let Some(Value::Array(items)) = container.and_then(|c| c.get(&t.attr.name)) else {
        return Ok(Vec::new());
    };
    let matcher = filter.matcher(&ElementFacts(t.attr))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Value::Object(obj) = item {
            if matcher.matches_object(obj)? {
                out.push(i);
            }
        }
    }
    Ok(out)
}

/// Schema facts for a value filter, whose paths are sub-attributes of one
/// multi-valued attribute.
struct ElementFacts<'a>(&'a Attribute);

impl SchemaFacts for ElementFacts<'_> {
    fn attribute(&self, attr: AttrRef<'_>) -> AttrFacts {
        match self.0.sub_attribute(attr.name) {
            Some(sub) => AttrFacts::new(sub.case_exact, Some(sub.kind.value_kind())),
            None => AttrFacts::default(),
        }
    }

    fn is_core_schema(&self, _urn: &str) -> bool {
        true
    }
}

/// The value a filter of only `eq` clauses joined by `and` describes
/// (`type eq "work" and primary eq true` → `{"type": "work", "primary":
/// true}`), or `None` for any other filter.
fn eq_seed(filter: &Filter, attr: &Attribute) -> Option<JsonObject> {
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
