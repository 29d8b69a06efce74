//! Applying PATCH operations (RFC 7644 §3.5.2.1–§3.5.2.3).
//!
//! Paths are resolved only through the schema: an operation can reach an
//! attribute that a schema of the resource type defines, a sub-attribute of
//! it, or a whole registered extension, and nothing else, so it can never
//! create arbitrary keys or touch `id` and `meta`.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

mod unknown;

use self::unknown::{UnknownTarget, set_unknown};
use super::{PatchOp, PatchOperation, PatchRequest};
use crate::Error;
use crate::error::Detail;
use crate::filter::eval::{AttrFacts, AttrRef, SchemaFacts};
use crate::filter::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
use crate::resource::validate_patched;
use crate::schema::canonical::{
    check_required_sub_attributes, identity_key, normalize, normalize_one,
    normalize_sub_attributes, same_element,
};
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
    let mut run = Run::new(resource);
    for (index, op) in request.operations.iter().enumerate() {
        run.step(schema, cx, index, op)?;
    }
    run.finish(schema, resource)
}

/// [`apply`], letting the executor run other tasks between operations, so
/// that a long PATCH does not hold a thread of a shared runtime for its
/// whole duration.
pub(crate) async fn apply_cooperatively(
    schema: &ResourceSchema,
    resource: &JsonObject,
    request: &PatchRequest,
    cx: &mut Context,
) -> Result<PatchOutcome, Error> {
    let mut run = Run::new(resource);
    for (index, op) in request.operations.iter().enumerate() {
        run.step(schema, cx, index, op)?;
        crate::coop::yield_now().await;
    }
    run.finish(schema, resource)
}

/// A PATCH being applied to a copy of the resource.
struct Run {
    doc: JsonObject,
    changed: bool,
}

impl Run {
    fn new(resource: &JsonObject) -> Self {
        Self {
            doc: resource.clone(),
            changed: false,
        }
    }

    fn step(
        &mut self,
        schema: &ResourceSchema,
        cx: &mut Context,
        index: usize,
        op: &PatchOperation,
    ) -> Result<(), Error> {
        let mut patcher = Patcher { schema, cx };
        self.changed |= patcher
            .operation(&mut self.doc, op)
            .map_err(|e| in_operation(e, index))?;
        Ok(())
    }

    fn finish(
        mut self,
        schema: &ResourceSchema,
        original: &JsonObject,
    ) -> Result<PatchOutcome, Error> {
        if self.changed {
            validate_patched(schema, &mut self.doc, original)?;
        }
        Ok(PatchOutcome {
            resource: self.doc,
            changed: self.changed,
        })
    }
}

/// Prefixes an operation's error with its index, so that a client sending
/// ten operations learns which one failed.
pub(super) fn in_operation(e: Error, index: usize) -> Error {
    e.in_context(format_args!("operation {index}"))
}

/// The member listing a resource's schemas, computed from its attributes.
const SCHEMAS: &str = "schemas";

/// What a path resolved to.
enum Target<'s> {
    /// An attribute, possibly with a sub-attribute and a value filter.
    Attr(AttrTarget<'s>),
    /// A whole extension (`urn:…:enterprise:2.0:User`).
    Extension(&'s Schema),
    /// An attribute no schema defines, kept verbatim
    /// ([`Tolerance::KeepUnknownAttributes`]).
    Unknown(UnknownTarget),
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
        let target = self.resolve(doc, path)?;
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
            Target::Unknown(t) => set_unknown(doc, op, &t, value),
            Target::Attr(t) => {
                check_writable(&t, op)?;
                match (op, value) {
                    (PatchOp::Remove, value) => self.remove(doc, &t, value),
                    (PatchOp::Add | PatchOp::Replace, Some(value)) => {
                        let changed = self.set(doc, op, &t, value.clone())?;
                        // Clearing the last attribute of an extension
                        // (`manager` set to "") leaves no empty object.
                        if let Some(ext) = t.extension {
                            drop_empty_extension(doc, ext);
                        }
                        Ok(changed)
                    }
                    // `parse` requires a value for add and replace.
                    (PatchOp::Add | PatchOp::Replace, None) => Err(Error::invalid_value(format!(
                        "{} needs a \"value\"",
                        op.as_str()
                    ))),
                }
            }
        }
    }

    /// Resolves a path through the schema; an attribute no schema defines
    /// is a [`Target::Unknown`] if a tolerance keeps it.
    fn resolve(&mut self, doc: &JsonObject, path: &PatchPath) -> Result<Target<'s>, Error> {
        let schema = self.schema;
        let Some(filter) = path.filter() else {
            if let Some(r) = schema.resolve(path.attr()) {
                if r.legacy_dotted_urn && !self.cx.tolerate(Tolerance::LegacyDottedUrn) {
                    return Err(Error::invalid_path(format!(
                        "\"{path}\" uses a dot after the schema URN; write {}",
                        r.display()
                    )));
                }
                return Ok(Target::Attr(AttrTarget {
                    extension: r.extension,
                    attr: r.attr,
                    sub: r.sub,
                    filter: None,
                    display: r.display(),
                }));
            }
            if let Some(ext) = schema.extension_of_path(path.attr()) {
                return Ok(Target::Extension(ext));
            }
            if let Some(t) = self.unqualified_extension_attribute(path.attr()) {
                return Ok(Target::Attr(t));
            }
            return self.unknown(doc, path);
        };
        let Some(r) = schema.resolve(path.attr()) else {
            return self.unknown(doc, path);
        };
        if !r.attr.multi_valued || !r.attr.is_complex() {
            return Err(Error::invalid_path(format!(
                "\"{}\" is not a multi-valued complex attribute, so \"{path}\" cannot filter it",
                r.display()
            )));
        }
        let sub = match path.sub_attr() {
            Some(name) => Some(r.attr.sub_attribute(name).ok_or_else(|| {
                Error::invalid_path(format!(
                    "\"{}\" has no sub-attribute \"{name}\"",
                    r.display()
                ))
            })?),
            None => None,
        };
        // A filter that cannot be evaluated (`primary eq "yes"` on a
        // boolean) is `invalidFilter` whether or not there are values to
        // test, so that a miss cannot turn it into a created value.
        filter.matcher(&ElementFacts(r.attr))?;
        let display = match sub {
            Some(s) => format!("{}[{filter}].{}", r.display(), s.name),
            None => format!("{}[{filter}]", r.display()),
        };
        Ok(Target::Attr(AttrTarget {
            extension: r.extension,
            attr: r.attr,
            sub,
            filter: Some(filter.clone()),
            display,
        }))
    }

    /// An extension attribute named without its URN (`"path": "manager"`,
    /// Entra ID's older manager shape), where
    /// [`Tolerance::UnqualifiedExtensionPath`] covers it.
    fn unqualified_extension_attribute(&mut self, path: &AttrPath) -> Option<AttrTarget<'s>> {
        if path.schema().is_some() {
            return None;
        }
        let schema = self.schema;
        let (ext, attr) = schema
            .extensions()
            .find_map(|(ext, _)| ext.attribute(path.name()).map(|a| (ext, a)))?;
        let sub = match path.sub_attr() {
            Some(name) => Some(attr.sub_attribute(name)?),
            None => None,
        };
        let qualified = format!("{}:{}", ext.id, attr.name);
        if !self
            .cx
            .tolerate_at(Tolerance::UnqualifiedExtensionPath, &qualified)
        {
            return None;
        }
        let display = match sub {
            Some(s) => format!("{qualified}.{}", s.name),
            None => qualified,
        };
        Some(AttrTarget {
            extension: Some(ext),
            attr,
            sub,
            filter: None,
            display,
        })
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
            return Err(Error::no_target("remove needs a \"path\"".to_owned()));
        }
        let Some(Value::Object(members)) = value else {
            return Err(Error::invalid_value(format!(
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
                Error::InvalidPath(
                    Detail::new(format!("value member {key:?} is not an attribute: {e}"))
                        .with_source(e),
                )
            })?;
            let target = self.resolve(doc, &path)?;
            let is_path_key = match &target {
                Target::Extension(_) => false,
                Target::Unknown(t) => t.sub.is_some() || path.attr().schema().is_some(),
                Target::Attr(t) => {
                    t.filter.is_some() || t.sub.is_some() || path.attr().schema().is_some()
                }
            };
            if is_path_key && !self.cx.tolerate(Tolerance::PathKeysInValue) {
                return Err(Error::invalid_path(format!(
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
            return Err(Error::invalid_value(format!(
                "the extension \"{}\" needs an object value",
                ext.id
            )));
        };
        let mut changed = false;
        for (key, v) in members {
            let Some(attr) = ext.attribute(key) else {
                if !self.cx.tolerate(Tolerance::KeepUnknownAttributes) {
                    return Err(Error::invalid_path(format!(
                        "the extension \"{}\" defines no attribute \"{key}\"",
                        ext.id
                    )));
                }
                let target = UnknownTarget {
                    container: Some(ext.id.as_str().to_owned()),
                    name: key.clone(),
                    sub: None,
                    display: format!("{}:{key}", ext.id),
                };
                changed |= set_unknown(doc, op, &target, Some(v))?;
                continue;
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
                        return Err(Error::mutability(format!(
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
                        return Err(Error::invalid_value(format!(
                            "setting \"{}\" on every value would make more than one primary",
                            t.display
                        )));
                    }
                }
                Ok(changed)
            }
            (false, None) => {
                let whole = !t.attr.is_complex() || !value.is_object();
                let v = match value {
                    Value::Object(obj) if t.attr.is_complex() => {
                        // Merged into what the resource has (RFC 7644
                        // §3.5.2.3: sub-attributes the value leaves out
                        // are left unchanged), so a required one the value
                        // omits is only missing when there was nothing to
                        // merge into; configured required paths are
                        // checked on the result by `validate_patched`.
                        let fields = normalize_sub_attributes(t.attr, obj, &t.display, self.cx)?;
                        if !matches!(container.get(key), Some(Value::Object(o)) if !o.is_empty()) {
                            check_required_sub_attributes(t.attr, &fields, &t.display)?;
                        }
                        (!fields.is_empty()).then_some(Value::Object(fields))
                    }
                    value => normalize(t.attr, value, &t.display, self.cx)?,
                };
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
                            return Err(Error::mutability(format!(
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
                    return Err(Error::invalid_value(format!(
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
                                return Err(Error::mutability(format!(
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
            Error::no_target(format!(
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
                return Err(Error::invalid_value(format!(
                    "\"{}\" needs an object value",
                    t.display
                )));
            }
        }
        let Some(element) = normalize_one(t.attr, Value::Object(element), &t.display, self.cx)?
        else {
            return Ok(false);
        };
        // The value may unset what the filter seeded (`"value": null`):
        // an element that its identifying sub-attribute (`members.value`)
        // no longer identifies is refused, as a create body's would be.
        if let Some(key) = identity_key(t.attr) {
            if element.get(key).is_none() {
                return Err(Error::invalid_value(format!(
                    "every value of \"{}\" needs a \"{key}\"",
                    t.attr.name
                )));
            }
        }
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
        let value = value.filter(|v| !v.is_null());
        if t.filter.is_some() {
            return match value {
                None => self.remove_filtered(doc, t, None),
                Some(value) => {
                    if !self.cx.tolerate(Tolerance::RemoveByValue) {
                        return Err(Error::invalid_value(format!(
                            "remove does not take a \"value\"; \"{}\" already selects what to remove",
                            t.display
                        )));
                    }
                    let leaf = t.sub.unwrap_or(t.attr);
                    let targets = match normalize(leaf, value.clone(), &t.display, self.cx)? {
                        Some(Value::Array(items)) if t.sub.is_none_or(|s| !s.multi_valued) => items,
                        Some(v) => vec![v],
                        None => return Ok(false),
                    };
                    self.remove_filtered(doc, t, Some(&targets))
                }
            };
        }
        if let Some(value) = value {
            if !self.cx.tolerate(Tolerance::RemoveByValue) {
                return Err(Error::invalid_value(format!(
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
    ///
    /// With `targets` (a `remove` carrying a `value`, Entra ID's
    /// "remove the old value"), only what also equals one of the targets
    /// is removed: the sub-attribute of a matching value when it holds a
    /// target, or a matching value that is a target (or has its `value`).
    /// `emails[type eq "work"].value` with someone else's address removes
    /// nothing.
    fn remove_filtered(
        &mut self,
        doc: &mut JsonObject,
        t: &AttrTarget<'s>,
        targets: Option<&[Value]>,
    ) -> Result<bool, Error> {
        let leaf = t.sub.unwrap_or(t.attr);
        let value_attr = t.attr.sub_attribute("value").unwrap_or(t.attr);
        let selected = |stored: Option<&Value>| match (targets, stored) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(targets), Some(stored)) => targets.iter().any(|target| {
                same_value(leaf, stored, target)
                    || (t.sub.is_none()
                        && matches!((stored.get("value"), target.get("value")),
                            (Some(a), Some(b)) if same_value(value_attr, a, b)))
            }),
        };
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
        let mut changed = false;
        match t.sub {
            Some(sub) => {
                for &i in &matched {
                    if let Some(Value::Object(obj)) = items.get_mut(i) {
                        if selected(obj.get(&sub.name)) {
                            changed |= obj.remove(&sub.name).is_some();
                        }
                    }
                }
                items.retain(|v| !matches!(v, Value::Object(o) if o.is_empty()));
            }
            None => {
                let remove: HashSet<usize> = matched
                    .into_iter()
                    .filter(|&i| selected(items.get(i)))
                    .collect();
                changed = !remove.is_empty();
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

/// Whether a stored value equals a value a client named, by `attr`'s
/// rules: strings ignore case unless `attr` is `caseExact` (RFC 7643
/// §2.2), anything else is compared as JSON.
fn same_value(attr: &Attribute, stored: &Value, given: &Value) -> bool {
    match (stored, given) {
        (Value::String(a), Value::String(b)) if !attr.case_exact && !attr.is_complex() => {
            a == b || a.to_lowercase() == b.to_lowercase()
        }
        _ => stored == given,
    }
}

/// Read-only targets are refused, and removing an immutable sub-attribute.
fn check_writable(t: &AttrTarget<'_>, op: PatchOp) -> Result<(), Error> {
    let leaf = t.sub.unwrap_or(t.attr);
    if t.attr.mutability == Mutability::ReadOnly || leaf.mutability == Mutability::ReadOnly {
        return Err(Error::mutability(format!(
            "\"{}\" is read-only and cannot be changed with PATCH",
            t.display
        )));
    }
    if op == PatchOp::Remove
        && t.sub
            .is_some_and(|sub| sub.mutability == Mutability::Immutable)
    {
        return Err(Error::mutability(format!(
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
    Error::invalid_value(format!(
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

/// Up to this many values added at once are compared with the existing
/// ones directly; more are matched through an index of their JSON text.
const FEW_VALUES: usize = 8;

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
        None if new.len() <= FEW_VALUES => {
            // A few values, the usual PATCH: compare each with the existing
            // ones in place, which allocates nothing.
            for item in new {
                if let Some(i) = items.iter().position(|e| *e == item) {
                    // Re-adding an existing value may still make it primary.
                    if item.get("primary") == Some(&Value::Bool(true)) {
                        touched.push(i);
                    }
                    continue;
                }
                items.push(item);
                touched.push(items.len() - 1);
                pushed = true;
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
        _ => Err(Error::invalid_value(format!(
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::AttrType;

    #[test]
    fn same_value_follows_case_exactness() {
        let plain = Attribute::new("value", AttrType::String);
        let exact = Attribute::new("value", AttrType::String).with_case_exact(true);
        assert!(same_value(
            &plain,
            &json!("A@Example.org"),
            &json!("a@example.org")
        ));
        assert!(!same_value(
            &exact,
            &json!("A@Example.org"),
            &json!("a@example.org")
        ));
        assert!(same_value(&exact, &json!("a"), &json!("a")));
        assert!(!same_value(&plain, &json!(1), &json!("1")));
    }
}
