//! [`MemoryStore`]: a thread-safe, in-memory [`ResourceStore`], the
//! reference implementation of the [store contract](super).
//!
//! It is meant for tests, examples and demos: everything is lost when the
//! process ends.
//!
//! # Design
//!
//! * **Locking.** An outer [`RwLock`] maps tenants to their data, and each
//!   tenant has its own [`RwLock`]. The outer lock is held only long enough
//!   to find (or, on `create`, insert) a tenant. A read takes the tenant's
//!   read lock. A write takes its write lock and holds it for the whole
//!   operation, so checks and changes happen in one atomic step: the
//!   version compare-and-swap, uniqueness, member references, and cleaning
//!   up memberships. No lock is ever held across an `.await`, because no
//!   method awaits anything. A write validates everything before it changes
//!   anything, so a refused write leaves no trace.
//! * **Indexes.** Each resource type (keyed by [`ResourceSchema::name`]) has
//!   its resources ordered by id, and a hash index for these attributes:
//!   * every single-valued string attribute with `uniqueness` `server` or
//!     `global`, in the core schema or an extension (`userName`, and what a
//!     registry adds with
//!     [`AttributeSettings::uniqueness`](crate::schema::AttributeSettings::uniqueness),
//!     such as a Group's `displayName`); these indexes also enforce
//!     uniqueness, per tenant, with [`StoreError::Conflict`];
//!   * `externalId`;
//!   * `displayName`.
//!
//!   Index keys are folded with [`str::to_lowercase`] unless the attribute
//!   is `caseExact`. This is the same rule the filter evaluator uses, so an
//!   index lookup finds exactly the resources that `attr eq "value"`
//!   matches.
//! * **Queries.** A filter that is `attr eq "string"` on an indexed
//!   attribute or on `id` uses an index instead of scanning. So do `and`
//!   chains with such an operand and `or` chains made only of them. This
//!   covers Entra ID's `GET /Users?filter=userName eq "…"`. The index only
//!   narrows the candidates. Filtering, sorting and paging always go
//!   through the filter matcher and [`crate::list::evaluate`], so the
//!   answer is exactly what `evaluate` gives over the same resources.
//!   That evaluation runs on the calling task's thread, under the tenant's
//!   read lock, without yielding: a filter that scans many resources is
//!   CPU-bound work for as long as it takes. A store serving several
//!   tenants on a shared runtime should move it off the async workers (the
//!   reference server evaluates through `tokio::task::block_in_place` when
//!   more than one candidate is left).
//! * **Membership.** Each group keeps a set of its member ids, and the
//!   tenant keeps a reverse index from member id to the groups that list
//!   it. Together they make a User's computed `groups` cheap, and let
//!   `delete` find every group to clean up. [`ResourceStore::modify_members`]
//!   costs O(size of the delta) for additions. Removals cost one pass over
//!   the group's `members`, and only when a removed id is actually a
//!   member. Ids are unique across all resource types of a tenant
//!   (RFC 7643 §3.1), so a member id names exactly one resource.
//! * **Projection.** When the projection leaves out `members`, a group is
//!   copied without them, so `GET /Groups?excludedAttributes=members` never
//!   clones a large member list. When it leaves out `groups`, they are not
//!   computed.
//!
//! The store assumes that a resource type name always comes with the same
//! schema. The indexes are set up from the schema seen on the first write.

mod index;
mod membership;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use self::index::{Collection, DISPLAY_NAME, Stored};
use self::membership::{
    GroupRef, apply_delta, check_members_exist, computed_groups_key, link, member_ids,
    member_value, members_key, unlink,
};
use super::{MemberDelta, ResourceStore, StoreError, TenantId};
use crate::filter::eval::SchemaFacts;
use crate::id::{ResourceId, Version};
use crate::list::{ListQuery, QueryResult, evaluate};
use crate::project::Projection;
use crate::resource::{self, Resource};
use crate::schema::ResourceSchema;

/// A thread-safe in-memory [`ResourceStore`], with indexes for unique
/// attributes, `externalId` and `displayName`, and computed group
/// membership. See the [module documentation](self) for its design.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use scim_core::id::{ResourceId, Version};
/// use scim_core::project::Projection;
/// use scim_core::resource::{Meta, Resource};
/// use scim_core::schema::Registry;
/// use scim_core::store::memory::MemoryStore;
/// use scim_core::store::{ResourceStore, TenantId};
/// use serde_json::json;
///
/// let store = MemoryStore::new();
/// let registry = Registry::standard();
/// let users = registry.resource_type("User").expect("standard");
/// let tenant = TenantId::new("contoso");
/// let serde_json::Value::Object(body) = json!({"userName": "bjensen"}) else { unreachable!() };
/// let meta = Meta::new("User", scim_core::resource::parse_date_time("2024-01-01T00:00:00Z").unwrap(), Version::from_revision(1));
/// let user = Resource::new(ResourceId::generate(), body, &meta);
/// let stored = store.create(&tenant, users, user).await?;
/// let read = store.get(&tenant, users, stored.id(), &Projection::all()).await?;
/// assert_eq!(read, Some(stored));
/// # Ok(())
/// # }
/// ```
pub struct MemoryStore {
    tenants: RwLock<HashMap<TenantId, Arc<RwLock<Tenant>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            tenants: RwLock::new(HashMap::new()),
        }
    }

    /// The tenant's data, if it has any.
    fn tenant(&self, tenant: &TenantId) -> Result<Option<Arc<RwLock<Tenant>>>, StoreError> {
        Ok(read(&self.tenants)?.get(tenant).cloned())
    }

    /// The tenant's data, created empty if needed.
    fn tenant_or_insert(&self, tenant: &TenantId) -> Result<Arc<RwLock<Tenant>>, StoreError> {
        if let Some(found) = self.tenant(tenant)? {
            return Ok(found);
        }
        Ok(Arc::clone(
            write(&self.tenants)?.entry(tenant.clone()).or_default(),
        ))
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only a size: resources are customer data.
        let tenants = self.tenants.read().map(|t| t.len()).ok();
        f.debug_struct("MemoryStore")
            .field("tenants", &tenants)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ResourceStore for MemoryStore {
    async fn create(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        let mut resource = resource.with_version(Version::from_revision(1));
        if let Some(key) = computed_groups_key(schema) {
            resource
                .set_computed(&key, None)
                .map_err(StoreError::backend)?;
        }
        let cell = self.tenant_or_insert(tenant)?;
        let mut guard = write(&cell)?;
        let Tenant {
            collections,
            member_of,
        } = &mut *guard;
        let id = resource.id().clone();

        // Checks.
        if collections.values().any(|c| c.resources.contains_key(&id)) {
            return Err(StoreError::conflict_on(
                "id",
                format!("a resource with id {:?} already exists", id.as_str()),
            ));
        }
        let members = match members_key(schema) {
            Some(key) => member_ids(resource.json(), &key),
            None => HashSet::new(),
        };
        check_members_exist(collections, members.iter().map(String::as_str))?;
        let collection = collections
            .entry(schema.name().to_owned())
            .or_insert_with(|| Collection::new(schema));
        let keys = collection.index_keys(resource.json());
        collection.check_unique(&id, &keys)?;

        // Changes.
        collection.index(&id, &keys);
        drop(keys);
        let group = GroupRef::new(&collection.name, &id);
        for member in &members {
            link(member_of, member, &group);
        }
        collection.resources.insert(
            id,
            Stored {
                resource: resource.clone(),
                members,
            },
        );
        Ok(resource)
    }

    async fn get(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        projection: &Projection,
    ) -> Result<Option<Resource>, StoreError> {
        let Some(cell) = self.tenant(tenant)? else {
            return Ok(None);
        };
        let guard = read(&cell)?;
        let Some(collection) = guard.collections.get(schema.name()) else {
            return Ok(None);
        };
        let Some(stored) = collection.resources.get(id) else {
            return Ok(None);
        };
        let mut resource = collection
            .without_members(Cow::Borrowed(&stored.resource), projection)?
            .into_owned();
        if let Some(key) = &collection.groups_key {
            if projection.includes(key) {
                guard.set_groups(&mut resource, key)?;
            }
        }
        Ok(Some(resource))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        let Some(cell) = self.tenant(tenant)? else {
            return Err(StoreError::NotFound);
        };
        let mut guard = write(&cell)?;
        let id = resource.id().clone();
        let Tenant {
            collections,
            member_of,
        } = &mut *guard;

        // Checks.
        let collection = collections.get(schema.name()).ok_or(StoreError::NotFound)?;
        let old = collection.resources.get(&id).ok_or(StoreError::NotFound)?;
        if old.resource.version() != expected {
            return Err(StoreError::VersionMismatch);
        }
        let mut resource = resource.with_version(next_version(old.resource.version()));
        if let Some(key) = &collection.groups_key {
            resource
                .set_computed(key, None)
                .map_err(StoreError::backend)?;
        }
        let members = match &collection.members_key {
            Some(key) => member_ids(resource.json(), key),
            None => HashSet::new(),
        };
        // Current members exist (deleting a resource removes it from every
        // group), so only the new ones need checking.
        check_members_exist(
            collections,
            members.difference(&old.members).map(String::as_str),
        )?;
        let keys = collection.index_keys(resource.json());
        collection.check_unique(&id, &keys)?;

        // Changes.
        let collection = collections
            .get_mut(schema.name())
            .ok_or(StoreError::NotFound)?;
        let old = collection
            .resources
            .remove(&id)
            .ok_or(StoreError::NotFound)?;
        collection.unindex(&id, old.resource.json());
        collection.index(&id, &keys);
        drop(keys);
        let group = GroupRef::new(&collection.name, &id);
        for gone in old.members.difference(&members) {
            unlink(member_of, gone, &group);
        }
        for added in members.difference(&old.members) {
            link(member_of, added, &group);
        }
        let groups_key = collection.groups_key.clone();
        collection.resources.insert(
            id,
            Stored {
                resource: resource.clone(),
                members,
            },
        );
        if let Some(key) = groups_key {
            guard.set_groups(&mut resource, &key)?;
        }
        Ok(resource)
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        let Some(cell) = self.tenant(tenant)? else {
            return Err(StoreError::NotFound);
        };
        let mut guard = write(&cell)?;
        let Tenant {
            collections,
            member_of,
        } = &mut *guard;
        let collection = collections
            .get_mut(schema.name())
            .ok_or(StoreError::NotFound)?;
        let current = collection.resources.get(id).ok_or(StoreError::NotFound)?;
        if expected.is_some_and(|v| v != current.resource.version()) {
            return Err(StoreError::VersionMismatch);
        }
        let stored = collection
            .resources
            .remove(id)
            .ok_or(StoreError::NotFound)?;
        collection.unindex(id, stored.resource.json());
        let group = GroupRef::new(&collection.name, id);
        for member in &stored.members {
            unlink(member_of, member, &group);
        }
        // Remove it from every group that lists it.
        if let Some(groups) = member_of.remove(id.as_str()) {
            let now = resource::now();
            for group in groups {
                if let Some(c) = collections.get_mut(&*group.kind) {
                    c.rewrite(&group.id, now, |json, members, key| {
                        members.remove(id.as_str());
                        if let Some(Value::Array(items)) = json.get_mut(key) {
                            items.retain(|m| member_value(m) != Some(id.as_str()));
                            if items.is_empty() {
                                json.remove(key);
                            }
                        }
                    });
                }
            }
        }
        Ok(())
    }

    async fn query(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        query: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        let Some(cell) = self.tenant(tenant)? else {
            return evaluate(schema, [], query).map_err(StoreError::invalid_query);
        };
        let guard = read(&cell)?;
        match guard.collections.get(schema.name()) {
            Some(collection) => guard.query(collection, schema, query),
            None => evaluate(schema, [], query).map_err(StoreError::invalid_query),
        }
    }

    async fn modify_members(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        delta: &MemberDelta,
        expected: Option<&Version>,
        last_modified: OffsetDateTime,
    ) -> Result<Version, StoreError> {
        let Some(cell) = self.tenant(tenant)? else {
            return Err(StoreError::NotFound);
        };
        let mut guard = write(&cell)?;
        let Tenant {
            collections,
            member_of,
        } = &mut *guard;

        // Checks.
        let collection = collections.get(schema.name()).ok_or(StoreError::NotFound)?;
        let stored = collection.resources.get(id).ok_or(StoreError::NotFound)?;
        if expected.is_some_and(|v| v != stored.resource.version()) {
            return Err(StoreError::VersionMismatch);
        }
        if collection.members_key.is_none() {
            return Err(StoreError::invalid_reference(format!(
                "{} resources have no members",
                schema.name()
            )));
        }
        let new = delta
            .add
            .iter()
            .filter_map(member_value)
            .filter(|v| !stored.members.contains(*v));
        check_members_exist(collections, new)?;
        // Re-adding a member or removing an absent one (Entra ID retries)
        // changes nothing, so neither the version nor lastModified moves.
        let changes = (delta.remove_all && (!stored.members.is_empty() || !delta.add.is_empty()))
            || delta
                .add
                .iter()
                .filter_map(member_value)
                .any(|v| !stored.members.contains(v))
            || delta
                .remove
                .iter()
                .any(|v| stored.members.contains(v.as_str()));
        if !changes {
            return Ok(stored.resource.version().clone());
        }

        // Changes.
        let collection = collections
            .get_mut(schema.name())
            .ok_or(StoreError::NotFound)?;
        let group = GroupRef::new(&collection.name, id);
        collection
            .rewrite(id, last_modified, |json, members, key| {
                apply_delta(json, members, key, delta, &mut |member, added| {
                    if added {
                        link(member_of, member, &group);
                    } else {
                        unlink(member_of, member, &group);
                    }
                });
            })
            .ok_or(StoreError::NotFound)
    }
}

/// One tenant's data.
#[derive(Default)]
struct Tenant {
    /// Resources by type name.
    collections: HashMap<String, Collection>,
    /// Member id → the groups whose `members` list it.
    member_of: HashMap<String, BTreeSet<GroupRef>>,
}

impl Tenant {
    /// Answers a query over one collection.
    fn query(
        &self,
        collection: &Collection,
        schema: &ResourceSchema,
        query: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        let projection = &query.projection;
        let mentions = |key: &str| {
            let mut found = query
                .sort
                .as_ref()
                .is_some_and(|s| s.by.name().eq_ignore_ascii_case(key));
            if let Some(filter) = &query.filter {
                filter.for_each_path(&mut |p| found |= p.name().eq_ignore_ascii_case(key));
            }
            found
        };
        // Computed `groups` are needed before filtering if the filter or the
        // sort looks at them; otherwise only on the page, if returned.
        let groups_key = collection.groups_key.as_deref();
        let groups_first = groups_key.filter(|k| mentions(k));
        // `members` can be dropped before paging unless the filter or sort
        // needs them; they are dropped from the page in any case.
        let drop_members = collection
            .members_key
            .as_deref()
            .filter(|k| !projection.includes(k));
        let drop_early = drop_members.is_some_and(|k| !mentions(k));

        let candidates: Box<dyn Iterator<Item = &Stored>> = match query
            .filter
            .as_ref()
            .and_then(|f| collection.candidates(schema, f))
        {
            Some(ids) => Box::new(
                ids.into_iter()
                    .filter_map(|id| collection.resources.get(&id)),
            ),
            None => Box::new(collection.resources.values()),
        };
        let matcher = match &query.filter {
            Some(filter) => Some(
                filter
                    .matcher(schema as &dyn SchemaFacts)
                    .map_err(|e| StoreError::invalid_query(crate::Error::from(e)))?,
            ),
            None => None,
        };
        let mut matched: Vec<Cow<'_, Resource>> = Vec::new();
        for stored in candidates {
            let mut view = Cow::Borrowed(&stored.resource);
            if let Some(key) = groups_first {
                if let Some(groups) = self.computed_groups(stored.resource.id()) {
                    view.to_mut()
                        .set_computed(key, Some(groups))
                        .map_err(StoreError::backend)?;
                }
            }
            if let Some(matcher) = &matcher {
                let matches = matcher
                    .matches_object(view.json())
                    .map_err(|e| StoreError::invalid_query(crate::Error::from(e)))?;
                if !matches {
                    continue;
                }
            }
            if drop_early {
                view = collection.without_members(view, projection)?;
            }
            matched.push(view);
        }

        // Sorting and paging: exactly `evaluate`'s, over the matches.
        let rest = ListQuery {
            filter: None,
            sort: query.sort.clone(),
            page: query.page.clone(),
            projection: Projection::all(),
            cursor_scope: query.cursor_scope,
        };
        let mut result = evaluate(schema, matched.iter().map(|r| &**r), &rest)
            .map_err(StoreError::invalid_query)?;
        for resource in &mut result.resources {
            if let Some(key) = drop_members {
                resource
                    .set_computed(key, None)
                    .map_err(StoreError::backend)?;
            }
            if let Some(key) = groups_key {
                if groups_first.is_none() && projection.includes(key) {
                    self.set_groups(resource, key)?;
                }
            }
        }
        Ok(result)
    }

    /// A member's computed `groups` (RFC 7643 §4.1.2): the groups whose
    /// `members` list it, or `None` if there are none.
    fn computed_groups(&self, id: &ResourceId) -> Option<Value> {
        let groups = self.member_of.get(id.as_str())?;
        let items: Vec<Value> = groups
            .iter()
            .filter_map(|g| {
                let group = self.collections.get(&*g.kind)?.resources.get(&g.id)?;
                let mut item = Map::new();
                item.insert("value".to_owned(), Value::String(g.id.as_str().to_owned()));
                if let Some(Value::String(name)) = group.resource.get(DISPLAY_NAME) {
                    item.insert("display".to_owned(), Value::String(name.clone()));
                }
                item.insert("type".to_owned(), Value::String("direct".to_owned()));
                Some(Value::Object(item))
            })
            .collect();
        (!items.is_empty()).then_some(Value::Array(items))
    }

    /// Sets (or clears) `resource`'s computed `groups` under `key`.
    fn set_groups(&self, resource: &mut Resource, key: &str) -> Result<(), StoreError> {
        let groups = self.computed_groups(resource.id());
        resource
            .set_computed(key, groups)
            .map_err(StoreError::backend)
    }
}

/// The version after `current`.
fn next_version(current: &Version) -> Version {
    Version::from_revision(current.revision().map_or(1, |r| r.saturating_add(1)))
}

/// A lock was poisoned: a thread panicked while changing the store.
#[derive(Debug)]
struct Poisoned;

impl fmt::Display for Poisoned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the in-memory store is unusable after a panic during a write")
    }
}

impl StdError for Poisoned {}

fn read<T>(lock: &RwLock<T>) -> Result<RwLockReadGuard<'_, T>, StoreError> {
    lock.read().map_err(|_| StoreError::backend(Poisoned))
}

fn write<T>(lock: &RwLock<T>) -> Result<RwLockWriteGuard<'_, T>, StoreError> {
    lock.write().map_err(|_| StoreError::backend(Poisoned))
}

#[cfg(test)]
mod tests;
