//! Changing what a selection holds: `add` and `replace` (RFC 7644
//! §3.5.2.1, §3.5.2.3) and `remove` (§3.5.2.2) at an attribute target,
//! after the [`check`](super::check)s and before [`tidy`](super::tidy).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::check::{check_identity_kept, check_immutable_sub};
use super::resolve::AttrTarget;
use super::select::{
    Selection, array_entry, container_mut, container_to_set, eq_seed, object_entry,
};
use super::{Change, Patcher};
use crate::Error;
use crate::patch::PatchOp;
use crate::schema::canonical::{
    check_required_sub_attributes, identity_key, normalize, normalize_one,
    normalize_sub_attributes, same_element,
};
use crate::schema::{Attribute, JsonObject};
use crate::tolerance::Tolerance;

impl<'s> Patcher<'_, 's> {
    /// The values a `remove` with a `value` names (Entra ID's "remove the
    /// old value"), normalised as `t` holds them; `None` when that is
    /// nothing.
    ///
    /// # Errors
    ///
    /// `invalidValue` unless [`Tolerance::RemoveByValue`] is tolerated, or
    /// if the value does not fit the attribute.
    pub(super) fn removal(
        &mut self,
        t: &AttrTarget<'s>,
        value: &Value,
    ) -> Result<Option<Vec<Value>>, Error> {
        if !self.cx.tolerate(Tolerance::RemoveByValue) {
            return Err(Error::invalid_value(match t.filter {
                Some(_) => format!(
                    "remove does not take a \"value\"; \"{}\" already selects what to remove",
                    t.display
                ),
                None => format!(
                    "remove does not take a \"value\"; to remove some values of \"{}\", use a filter such as {}[value eq \"…\"]",
                    t.display, t.attr.name
                ),
            }));
        }
        let leaf = t.sub.unwrap_or(t.attr);
        // A list names several values to remove, except as the value of a
        // filtered multi-valued sub-attribute.
        let list = t.filter.is_none() || t.sub.is_none_or(|s| !s.multi_valued);
        Ok(match normalize(leaf, value.clone(), &t.display, self.cx)? {
            Some(Value::Array(items)) if list => Some(items),
            Some(v) => Some(vec![v]),
            None => None,
        })
    }

    /// Applies `change` to what `selection` holds; whether that changed
    /// the resource. `removal` is what [`removal`](Self::removal) made of a
    /// `remove`'s value.
    pub(super) fn mutate(
        &mut self,
        doc: &mut JsonObject,
        t: &AttrTarget<'s>,
        change: Change<'_>,
        selection: Selection,
        removal: Option<&[Value]>,
    ) -> Result<bool, Error> {
        let (op, value) = match change {
            Change::Remove(_) => {
                if matches!(selection, Selection::Missed) {
                    // Nothing matching is not an error: a retried removal
                    // succeeds.
                    return Ok(false);
                }
                let Some(container) = container_mut(doc, t) else {
                    return Ok(false);
                };
                return Ok(match (selection, removal) {
                    (Selection::Matched(matched), values) => {
                        remove_matched(container, t, &matched, values)
                    }
                    (_, None) => remove_attribute(container, t),
                    (_, Some(values)) => remove_values(container, t, values),
                });
            }
            Change::Add(value) => (PatchOp::Add, value.clone()),
            Change::Replace(value) => (PatchOp::Replace, value.clone()),
        };
        match selection {
            Selection::Attribute => {
                let container = container_to_set(doc, t)?;
                self.set(container, op, t, value)
            }
            Selection::Matched(matched) => {
                let container = container_to_set(doc, t)?;
                self.set_matched(container, op, t, &matched, value)
            }
            Selection::Missed => {
                let Some(element) = self.created_on_miss(t, value)? else {
                    return Ok(false);
                };
                let container = container_to_set(doc, t)?;
                if let Some(items) = array_entry(container, &t.attr.name) {
                    items.push(element);
                    let touched = [items.len() - 1];
                    enforce_primary(items, &touched, &t.display)?;
                }
                Ok(true)
            }
        }
    }

    /// `add` or `replace` of a value at a target without a filter.
    fn set(
        &mut self,
        container: &mut JsonObject,
        op: PatchOp,
        t: &AttrTarget<'s>,
        value: Value,
    ) -> Result<bool, Error> {
        let key = t.attr.name.as_str();
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
                let Some(Value::Array(items)) = container.get_mut(key) else {
                    return Ok(false);
                };
                check_immutable_sub(t, sub, items.iter(), v.as_ref(), " and already set")?;
                let mut changed = false;
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
                        let mut changed = false;
                        if let Some(obj) = object_entry(container, key) {
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
                Ok(object_entry(container, key).is_some_and(|obj| put(obj, &sub.name, v)))
            }
        }
    }

    /// `add`/`replace` at `attr[filter]` or `attr[filter].sub`, for the
    /// values the filter matched.
    fn set_matched(
        &mut self,
        container: &mut JsonObject,
        op: PatchOp,
        t: &AttrTarget<'s>,
        matched: &[usize],
        value: Value,
    ) -> Result<bool, Error> {
        let Some(Value::Array(items)) = container.get_mut(t.attr.name.as_str()) else {
            return Ok(false);
        };
        let mut changed = false;
        match t.sub {
            Some(sub) => {
                let v = normalize(sub, value, &t.display, self.cx)?;
                let selected = matched.iter().filter_map(|&i| items.get(i));
                check_immutable_sub(t, sub, selected, v.as_ref(), "")?;
                for &i in matched {
                    if let Some(Value::Object(obj)) = items.get_mut(i) {
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
                check_identity_kept(t, matched.iter().filter_map(|&i| items.get(i)), &fields)?;
                for &i in matched {
                    if let Some(Value::Object(obj)) = items.get_mut(i) {
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
        changed |= enforce_primary(items, matched, &t.display)?;
        Ok(changed)
    }

    /// A filtered `add`/`replace` matched nothing: the value to create
    /// from the filter's `eq` clauses if tolerated (`None`: the value
    /// unsets the sub-attribute, so there is nothing to create), else
    /// `noTarget`.
    fn created_on_miss(
        &mut self,
        t: &AttrTarget<'s>,
        value: Value,
    ) -> Result<Option<Value>, Error> {
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
                    return Ok(None);
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
            return Ok(None);
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
        Ok(Some(element))
    }
}

/// `remove` at a target without a filter or value: the attribute, or its
/// sub-attribute (in each of its values, if multi-valued). Removing a
/// required value is refused after all operations, by `validate_patched`:
/// only a value the resource has counts.
fn remove_attribute(container: &mut JsonObject, t: &AttrTarget<'_>) -> bool {
    let key = t.attr.name.as_str();
    let Some(sub) = t.sub else {
        return container.remove(key).is_some();
    };
    match container.get_mut(key) {
        Some(Value::Object(obj)) => obj.remove(&sub.name).is_some(),
        Some(Value::Array(items)) => {
            let mut changed = false;
            for item in items.iter_mut() {
                if let Value::Object(obj) = item {
                    changed |= obj.remove(&sub.name).is_some();
                }
            }
            changed
        }
        _ => false,
    }
}

/// Entra ID's `remove` with a `value` at a target without a filter:
/// remove exactly those values.
fn remove_values(container: &mut JsonObject, t: &AttrTarget<'_>, targets: &[Value]) -> bool {
    let key = t.attr.name.as_str();
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
    match (t.sub, container.get_mut(key)) {
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
            changed
        }
        _ => false,
    }
}

/// `remove` at `attr[filter]` (the matching values) or `attr[filter].sub`
/// (that sub-attribute of the matching values).
///
/// With `targets` (a `remove` carrying a `value`, Entra ID's "remove the
/// old value"), only what also equals one of the targets is removed: the
/// sub-attribute of a matching value when it holds a target, or a
/// matching value that is a target (or has its `value`).
/// `emails[type eq "work"].value` with someone else's address removes
/// nothing.
fn remove_matched(
    container: &mut JsonObject,
    t: &AttrTarget<'_>,
    matched: &[usize],
    targets: Option<&[Value]>,
) -> bool {
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
    let Some(Value::Array(items)) = container.get_mut(t.attr.name.as_str()) else {
        return false;
    };
    match t.sub {
        Some(sub) => {
            let mut changed = false;
            for &i in matched {
                if let Some(Value::Object(obj)) = items.get_mut(i) {
                    if selected(obj.get(&sub.name)) {
                        changed |= obj.remove(&sub.name).is_some();
                    }
                }
            }
            changed
        }
        None => {
            let remove: HashSet<usize> = matched
                .iter()
                .copied()
                .filter(|&i| selected(items.get(i)))
                .collect();
            let mut index = 0;
            items.retain(|_| {
                let keep = !remove.contains(&index);
                index += 1;
                keep
            });
            !remove.is_empty()
        }
    }
}

/// Whether a stored value equals a value a client named, by `attr`'s
/// rules: strings ignore case unless `attr` is `caseExact` (RFC 7643
/// §2.2), anything else is compared as JSON.
pub(super) fn same_value(attr: &Attribute, stored: &Value, given: &Value) -> bool {
    match (stored, given) {
        (Value::String(a), Value::String(b)) if !attr.case_exact && !attr.is_complex() => {
            a == b || a.to_lowercase() == b.to_lowercase()
        }
        _ => stored == given,
    }
}

/// Sets (`Some`) or removes (`None`) a member; whether that changed it.
pub(super) fn put(obj: &mut JsonObject, key: &str, value: Option<Value>) -> bool {
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
    let Some(items) = array_entry(container, &attr.name) else {
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
