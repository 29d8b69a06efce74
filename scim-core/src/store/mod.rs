//! The storage trait that applications implement for their own database,
//! with a reference in-memory implementation (feature `memory-store`) and a
//! conformance suite (feature `conformance`).
//!
//! # Contract
//!
//! * Every call is scoped to a [`TenantId`]; data of one tenant is never
//!   visible to another.
//! * Writes are compare-and-swap: [`ResourceStore::replace`] and
//!   [`ResourceStore::delete`] carry the version the caller read, and the
//!   store checks it and writes in one atomic step, answering
//!   [`StoreError::VersionMismatch`] when another write came first. Each
//!   successful write gives the resource a new version.
//! * Uniqueness (`uniqueness: server` attributes of the resource type's
//!   schemas, such as `userName`, compared case-insensitively unless the
//!   attribute is `caseExact`) is enforced atomically with the write, so two
//!   concurrent creates can never both succeed; the loser gets
//!   [`StoreError::Conflict`].
//! * [`ResourceStore::query`] returns exactly what [`crate::list::evaluate`]
//!   would return over the same resources; a store may translate the
//!   filter for its indexes or use `evaluate` itself.
//! * Group membership: a User's read-only `groups` attribute is computed by
//!   the store from the groups whose `members` name the user (RFC 7643
//!   §4.1.2); deleting a resource removes it from every group's `members`.
//! * [`crate::project::Projection`] says which attributes the response
//!   needs; a store may leave out the others (it must not leave out any
//!   the projection includes).

#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
#[cfg(feature = "memory-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "memory-store")))]
pub mod memory;

use std::fmt;

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

pub use crate::error::{Conflict, InvalidReference, QueryError, StoreError};
use crate::id::{ResourceId, Version};
use crate::list::{ListQuery, QueryResult};
use crate::project::Projection;
use crate::resource::Resource;
use crate::schema::ResourceSchema;

/// A tenant: one customer account with its own, isolated data.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct TenantId(String);

impl TenantId {
    /// A tenant id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Changes to a group's `members`, applied without rewriting the group.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct MemberDelta {
    /// Members to add, as `members` values (`{"value": id, …}`). Adding a
    /// member that is already there is a successful no-op.
    pub add: Vec<Value>,
    /// Ids of members to remove. Removing an absent member is a successful
    /// no-op.
    pub remove: Vec<String>,
    /// Remove every member first.
    pub remove_all: bool,
}

impl MemberDelta {
    /// Whether the delta changes nothing.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && !self.remove_all
    }
}

/// Storage for SCIM resources, implemented by applications for their
/// database. Object-safe: the service holds an `Arc<dyn ResourceStore>`.
///
/// See the [module documentation](self) for the contract, and the guide
/// [Writing a storage backend](crate::guide::writing_a_store).
#[async_trait]
pub trait ResourceStore: Send + Sync + fmt::Debug {
    /// Stores a new resource (its id, `meta` and version are set). Fails
    /// with [`StoreError::Conflict`] if a unique attribute's value is taken
    /// or the id exists.
    async fn create(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
    ) -> Result<Resource, StoreError>;

    /// Reads one resource; `None` if there is none with that id.
    async fn get(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        projection: &Projection,
    ) -> Result<Option<Resource>, StoreError>;

    /// Replaces a resource if its current version is `expected`, giving it a
    /// new version, and returns what was stored.
    async fn replace(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError>;

    /// Deletes a resource (if `expected` is given, only at that version)
    /// and removes it from every group's members.
    async fn delete(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        expected: Option<&Version>,
    ) -> Result<(), StoreError>;

    /// Lists resources of one type.
    async fn query(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        query: &ListQuery,
    ) -> Result<QueryResult, StoreError>;

    /// Applies a membership change to the group `id` (if `expected` is
    /// given, only at that version), sets `meta.lastModified` to
    /// `last_modified`, and returns the group's new version.
    ///
    /// The default reads the whole group, edits its members (the attribute
    /// [`ResourceSchema::membership`] names) and replaces it;
    /// stores with a membership table should override it so that one member
    /// change costs one row, not the group's size.
    async fn modify_members(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        delta: &MemberDelta,
        expected: Option<&Version>,
        last_modified: OffsetDateTime,
    ) -> Result<Version, StoreError> {
        let current = self
            .get(tenant, schema, id, &Projection::all())
            .await?
            .ok_or(StoreError::NotFound)?;
        if let Some(expected) = expected {
            if expected != current.version() {
                return Err(StoreError::VersionMismatch);
            }
        }
        let version = current.version().clone();
        let mut json = current.into_json();
        apply_member_delta(schema, &mut json, delta);
        if let Some(Value::Object(meta)) = json.get_mut("meta") {
            meta.insert(
                "lastModified".to_owned(),
                Value::String(crate::resource::format_date_time(last_modified)),
            );
        }
        let updated = Resource::from_json(json).map_err(StoreError::backend)?;
        let stored = self.replace(tenant, schema, updated, &version).await?;
        Ok(stored.version().clone())
    }
}

/// Applies a membership change to a group's JSON in time linear in the
/// group's size plus the change's, keeping the members' order. The members
/// are the attribute [`ResourceSchema::membership`] names; a resource of a
/// type without members is left as it is.
pub fn apply_member_delta(
    schema: &ResourceSchema,
    group: &mut crate::schema::JsonObject,
    delta: &MemberDelta,
) {
    use std::collections::HashSet;

    let Some(key) = schema.membership().map(|a| a.name.as_str()) else {
        return;
    };
    let mut members = match group.remove(key) {
        Some(Value::Array(items)) if !delta.remove_all => items,
        _ => Vec::new(),
    };
    if !delta.remove.is_empty() {
        let remove: HashSet<&str> = delta.remove.iter().map(String::as_str).collect();
        members.retain(|m| {
            !m.get("value")
                .and_then(Value::as_str)
                .is_some_and(|v| remove.contains(v))
        });
    }
    if !delta.add.is_empty() {
        let wanted: HashSet<&str> = delta
            .add
            .iter()
            .filter_map(|m| m.get("value").and_then(Value::as_str))
            .collect();
        let mut present: HashSet<String> = members
            .iter()
            .filter_map(|m| m.get("value").and_then(Value::as_str))
            .filter(|v| wanted.contains(v))
            .map(str::to_owned)
            .collect();
        for m in &delta.add {
            if let Some(v) = m.get("value").and_then(Value::as_str) {
                if present.insert(v.to_owned()) {
                    members.push(m.clone());
                }
            }
        }
    }
    if !members.is_empty() {
        group.insert(key.to_owned(), Value::Array(members));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn member_delta_adds_once_and_removes_only_named() {
        let registry = crate::schema::Registry::standard();
        let groups = registry.resource_type("Group").unwrap();
        let Value::Object(mut g) = json!({"members": [{"value": "a"}, {"value": "b"}]}) else {
            unreachable!()
        };
        let delta = MemberDelta {
            add: vec![
                json!({"value": "b"}),
                json!({"value": "c"}),
                json!({"value": "c"}),
            ],
            remove: vec!["a".into(), "zzz".into()],
            remove_all: false,
        };
        apply_member_delta(groups, &mut g, &delta);
        assert_eq!(g["members"], json!([{"value": "b"}, {"value": "c"}]));
        let users = registry.resource_type("User").unwrap();
        let before = g.clone();
        apply_member_delta(users, &mut g, &delta);
        assert_eq!(g, before, "a type without members is left alone");
        apply_member_delta(
            groups,
            &mut g,
            &MemberDelta {
                remove_all: true,
                ..MemberDelta::default()
            },
        );
        assert!(g.get("members").is_none());
    }
}
