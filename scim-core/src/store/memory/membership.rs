//! Group membership: the reverse index from members to groups, and the
//! `members` of stored groups.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::index::Collection;
use crate::id::ResourceId;
use crate::schema::{JsonObject, Mutability, ResourceSchema};
use crate::store::{MemberDelta, StoreError};

/// A group, as the reverse membership index names it.
#[derive(Clone, Debug, Eq, Ord, PartialEq, PartialOrd)]
pub(super) struct GroupRef {
    pub(super) kind: Arc<str>,
    pub(super) id: ResourceId,
}

impl GroupRef {
    pub(super) fn new(kind: &Arc<str>, id: &ResourceId) -> Self {
        Self {
            kind: Arc::clone(kind),
            id: id.clone(),
        }
    }
}

/// Applies `delta` to a group's `members` like
/// [`crate::store::apply_member_delta`], keeping `members` (the set of member
/// ids) in step and reporting each id added (`true`) or removed (`false`).
/// Adding costs O(1) per member; removing costs one pass over the list, and
/// only if a removed id is a member.
pub(super) fn apply_delta(
    json: &mut JsonObject,
    members: &mut HashSet<String>,
    key: &str,
    delta: &MemberDelta,
    changed: &mut dyn FnMut(&str, bool),
) {
    let mut items = match json.remove(key) {
        Some(Value::Array(items)) if !delta.remove_all => items,
        _ => Vec::new(),
    };
    if delta.remove_all {
        for member in members.drain() {
            changed(&member, false);
        }
    } else if !delta.remove.is_empty() {
        let gone: HashSet<&str> = delta
            .remove
            .iter()
            .map(String::as_str)
            .filter(|v| members.contains(*v))
            .collect();
        if !gone.is_empty() {
            items.retain(|m| !member_value(m).is_some_and(|v| gone.contains(v)));
            for member in gone {
                members.remove(member);
                changed(member, false);
            }
        }
    }
    for m in &delta.add {
        if let Some(v) = member_value(m) {
            if members.insert(v.to_owned()) {
                items.push(m.clone());
                changed(v, true);
            }
        }
    }
    if !items.is_empty() {
        json.insert(key.to_owned(), Value::Array(items));
    }
}

/// The key of the attribute listing members, if the type has members
/// (Groups: `members`).
pub(super) fn members_key(schema: &ResourceSchema) -> Option<String> {
    schema.membership().map(|a| a.name.clone())
}

/// The key of the computed `groups`, if the type has a read-only `groups`
/// (Users).
pub(super) fn computed_groups_key(schema: &ResourceSchema) -> Option<String> {
    schema
        .core()
        .attribute("groups")
        .filter(|a| a.mutability == Mutability::ReadOnly)
        .map(|a| a.name.clone())
}

/// A `members` element's `value`.
pub(super) fn member_value(member: &Value) -> Option<&str> {
    member.get("value").and_then(Value::as_str)
}

/// The ids a group's `members` list.
pub(super) fn member_ids(json: &JsonObject, key: &str) -> HashSet<String> {
    match json.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(member_value)
            .map(str::to_owned)
            .collect(),
        _ => HashSet::new(),
    }
}

/// Fails unless every id names a resource of the tenant.
pub(super) fn check_members_exist<'a>(
    collections: &HashMap<String, Collection>,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), StoreError> {
    for id in ids {
        let exists = ResourceId::new(id)
            .is_ok_and(|id| collections.values().any(|c| c.resources.contains_key(&id)));
        if !exists {
            return Err(StoreError::invalid_reference_to(
                id,
                format!("member {id:?} does not exist"),
            ));
        }
    }
    Ok(())
}

pub(super) fn link(
    member_of: &mut HashMap<String, BTreeSet<GroupRef>>,
    member: &str,
    group: &GroupRef,
) {
    member_of
        .entry(member.to_owned())
        .or_default()
        .insert(group.clone());
}

pub(super) fn unlink(
    member_of: &mut HashMap<String, BTreeSet<GroupRef>>,
    member: &str,
    group: &GroupRef,
) {
    if let Some(groups) = member_of.get_mut(member) {
        groups.remove(group);
        if groups.is_empty() {
            member_of.remove(member);
        }
    }
}
