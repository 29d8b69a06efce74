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
//!     `global`, in the core schema or an extension (`userName`); these
//!     indexes also enforce uniqueness;
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

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::{MemberDelta, ResourceStore, StoreError, TenantId};
use crate::filter::eval::SchemaFacts;
use crate::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::id::{ResourceId, Version};
use crate::list::{ListQuery, QueryResult, evaluate};
use crate::project::Projection;
use crate::resource::{Resource, now_rfc3339};
use crate::schema::{AttrType, Attribute, JsonObject, Mutability, ResourceSchema, Uniqueness};

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
/// let meta = Meta::new("User", "2024-01-01T00:00:00Z", Version::from_revision(1));
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
            return Err(StoreError::Conflict(format!(
                "a resource with id {:?} already exists",
                id.as_str()
            )));
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
            let now = now_rfc3339();
            for group in groups {
                if let Some(c) = collections.get_mut(&*group.kind) {
                    c.rewrite(&group.id, &now, |json, members, key| {
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
        last_modified: &str,
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
            return Err(StoreError::InvalidReference(format!(
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

/// The resources of one type in one tenant.
struct Collection {
    /// The resource type's name.
    name: Arc<str>,
    /// For group-like types, the key of `members`.
    members_key: Option<String>,
    /// For user-like types, the key of the computed `groups`.
    groups_key: Option<String>,
    /// Whether `id` compares case-exactly (it does in RFC 7643).
    id_case_exact: bool,
    indexes: Vec<Index>,
    resources: BTreeMap<ResourceId, Stored>,
}

/// A stored resource and, for groups, the set of its member ids.
struct Stored {
    resource: Resource,
    members: HashSet<String>,
}

/// A group, as the reverse membership index names it.
#[derive(Clone, Debug, Eq, Ord, PartialEq, PartialOrd)]
struct GroupRef {
    kind: Arc<str>,
    id: ResourceId,
}

impl GroupRef {
    fn new(kind: &Arc<str>, id: &ResourceId) -> Self {
        Self {
            kind: Arc::clone(kind),
            id: id.clone(),
        }
    }
}

/// An index over one string attribute.
struct Index {
    /// The extension URN, for an extension attribute.
    extension: Option<String>,
    /// The attribute name, in the schema's spelling.
    name: String,
    /// The attribute as named in conflict messages.
    label: String,
    /// Whether keys are lower-cased (the attribute is not caseExact).
    fold: bool,
    /// Whether the index enforces uniqueness.
    unique: bool,
    entries: HashMap<String, BTreeSet<ResourceId>>,
}

impl Index {
    fn new(extension: Option<&str>, attr: &Attribute, unique: bool) -> Self {
        Self {
            extension: extension.map(str::to_owned),
            name: attr.name.clone(),
            label: match extension {
                Some(urn) => format!("{urn}:{}", attr.name),
                None => attr.name.clone(),
            },
            fold: !attr.case_exact,
            unique,
            entries: HashMap::new(),
        }
    }

    fn key(&self, value: &str) -> String {
        if self.fold {
            value.to_lowercase()
        } else {
            value.to_owned()
        }
    }

    /// The index keys of a resource, with the values they come from.
    fn keys<'a>(&self, json: &'a JsonObject) -> Vec<(String, &'a str)> {
        let mut keys: Vec<(String, &str)> =
            indexed_values(json, self.extension.as_deref(), &self.name)
                .into_iter()
                .map(|v| (self.key(v), v))
                .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys.dedup_by(|a, b| a.0 == b.0);
        keys
    }
}

/// The keys of one resource in each index of its collection, in order.
type IndexKeys<'a> = Vec<Vec<(String, &'a str)>>;

impl Collection {
    fn new(schema: &ResourceSchema) -> Self {
        let mut indexes: Vec<Index> = Vec::new();
        let mut add = |extension: Option<&str>, attr: &Attribute, unique: bool| {
            if attr.kind != AttrType::String || attr.multi_valued {
                return;
            }
            let existing = indexes
                .iter_mut()
                .find(|ix| ix.extension.as_deref() == extension && ix.name == attr.name);
            match existing {
                Some(ix) => ix.unique |= unique,
                None => indexes.push(Index::new(extension, attr, unique)),
            }
        };
        let unique =
            |attr: &Attribute| matches!(attr.uniqueness, Uniqueness::Server | Uniqueness::Global);
        for attr in schema.core().attributes.iter().filter(|a| unique(a)) {
            add(None, attr, true);
        }
        for (ext, _) in schema.extensions() {
            for attr in ext.attributes.iter().filter(|a| unique(a)) {
                add(Some(ext.id.as_str()), attr, true);
            }
        }
        for name in [EXTERNAL_ID, DISPLAY_NAME] {
            if let Some(attr) = schema.attribute(name) {
                if attr.name != ID {
                    add(None, attr, unique(attr));
                }
            }
        }
        Self {
            name: Arc::from(schema.name()),
            members_key: members_key(schema),
            groups_key: computed_groups_key(schema),
            id_case_exact: schema.attribute(ID).is_none_or(|a| a.case_exact),
            indexes,
            resources: BTreeMap::new(),
        }
    }

    fn index_keys<'a>(&self, json: &'a JsonObject) -> IndexKeys<'a> {
        self.indexes.iter().map(|ix| ix.keys(json)).collect()
    }

    /// Fails if a unique index holds one of the keys for another resource.
    fn check_unique(&self, id: &ResourceId, keys: &IndexKeys<'_>) -> Result<(), StoreError> {
        for (ix, keys) in self.indexes.iter().zip(keys) {
            if !ix.unique {
                continue;
            }
            for (key, value) in keys {
                if ix
                    .entries
                    .get(key)
                    .is_some_and(|ids| ids.iter().any(|other| other != id))
                {
                    return Err(StoreError::Conflict(format!(
                        "{} {value:?} is already taken",
                        ix.label
                    )));
                }
            }
        }
        Ok(())
    }

    fn index(&mut self, id: &ResourceId, keys: &IndexKeys<'_>) {
        for (ix, keys) in self.indexes.iter_mut().zip(keys) {
            for (key, _) in keys {
                ix.entries
                    .entry(key.clone())
                    .or_default()
                    .insert(id.clone());
            }
        }
    }

    fn unindex(&mut self, id: &ResourceId, json: &JsonObject) {
        for ix in &mut self.indexes {
            for (key, _) in ix.keys(json) {
                if let Some(ids) = ix.entries.get_mut(&key) {
                    ids.remove(id);
                    if ids.is_empty() {
                        ix.entries.remove(&key);
                    }
                }
            }
        }
    }

    /// The resources an index says may match `filter`: a superset of the
    /// matches, or `None` if no index applies and every resource must be
    /// looked at.
    fn candidates(&self, schema: &ResourceSchema, filter: &Filter) -> Option<BTreeSet<ResourceId>> {
        match filter {
            Filter::Compare(cmp) if cmp.op() == CompareOp::Eq => match cmp.value() {
                CompValue::String(value) => self.lookup(schema, cmp.path(), value),
                _ => None,
            },
            Filter::And(ops) => ops
                .iter()
                .filter_map(|op| self.candidates(schema, op))
                .min_by_key(BTreeSet::len),
            Filter::Or(ops) => {
                let mut all = BTreeSet::new();
                for op in ops {
                    all.extend(self.candidates(schema, op)?);
                }
                Some(all)
            }
            _ => None,
        }
    }

    /// The resources whose attribute at `path` equals `value`, from an
    /// index; `None` if the attribute has none.
    fn lookup(
        &self,
        schema: &ResourceSchema,
        path: &AttrPath,
        value: &str,
    ) -> Option<BTreeSet<ResourceId>> {
        let resolved = schema.resolve(path)?;
        if resolved.sub.is_some() || resolved.legacy_dotted_urn {
            return None;
        }
        let attr = resolved.attr;
        let extension = resolved.extension.map(|e| e.id.as_str());
        if extension.is_none() && attr.name == ID {
            // The JSON `id` is the key of `resources`.
            if !(attr.case_exact && self.id_case_exact) {
                return None;
            }
            return Some(
                ResourceId::new(value)
                    .ok()
                    .filter(|id| self.resources.contains_key(id))
                    .into_iter()
                    .collect(),
            );
        }
        // The evaluator folds by the schema's caseExact; use an index only
        // if it folds the same way.
        let ix = self.indexes.iter().find(|ix| {
            ix.extension.as_deref() == extension
                && ix.name == attr.name
                && ix.fold != attr.case_exact
        })?;
        Some(ix.entries.get(&ix.key(value)).cloned().unwrap_or_default())
    }

    /// The resource without `members` if the projection leaves them out.
    fn without_members<'a>(
        &self,
        resource: Cow<'a, Resource>,
        projection: &Projection,
    ) -> Result<Cow<'a, Resource>, StoreError> {
        let Some(key) = &self.members_key else {
            return Ok(resource);
        };
        if projection.includes(key) || !resource.json().contains_key(key) {
            return Ok(resource);
        }
        match resource {
            Cow::Owned(mut owned) => {
                owned.set_computed(key, None).map_err(StoreError::backend)?;
                Ok(Cow::Owned(owned))
            }
            Cow::Borrowed(borrowed) => {
                // Copy everything but the (possibly huge) member list.
                let json: JsonObject = borrowed
                    .json()
                    .iter()
                    .filter(|(k, _)| *k != key)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(Cow::Owned(
                    Resource::from_json(json).map_err(StoreError::backend)?,
                ))
            }
        }
    }

    /// Edits a stored group in place: `edit` gets its JSON, its member set
    /// and the `members` key; the group gets a new version and
    /// `meta.lastModified`. Returns the new version, or `None` if there is
    /// no such group.
    fn rewrite(
        &mut self,
        id: &ResourceId,
        last_modified: &str,
        edit: impl FnOnce(&mut JsonObject, &mut HashSet<String>, &str),
    ) -> Option<Version> {
        let key = self.members_key.clone()?;
        let Stored {
            resource,
            mut members,
        } = self.resources.remove(id)?;
        let version = next_version(resource.version());
        let mut meta = resource.meta();
        last_modified.clone_into(&mut meta.last_modified);
        meta.version = version.clone();
        let mut json = resource.into_json();
        edit(&mut json, &mut members, &key);
        // `Resource::new` replaces the stored `id` and `meta`.
        let resource = Resource::new(id.clone(), json, &meta);
        self.resources
            .insert(id.clone(), Stored { resource, members });
        Some(version)
    }
}

/// Applies `delta` to a group's `members` like [`super::apply_member_delta`],
/// keeping `members` (the set of member ids) in step and reporting each id
/// added (`true`) or removed (`false`). Adding costs O(1) per member; removing
/// costs one pass over the list, and only if a removed id is a member.
fn apply_delta(
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

const ID: &str = "id";
const EXTERNAL_ID: &str = "externalId";
const DISPLAY_NAME: &str = "displayName";

/// The key of `members`, if the type has a multi-valued `members` with a
/// `value` sub-attribute (Groups).
fn members_key(schema: &ResourceSchema) -> Option<String> {
    schema
        .core()
        .attribute("members")
        .filter(|a| a.multi_valued && a.has_value_sub_attribute())
        .map(|a| a.name.clone())
}

/// The key of the computed `groups`, if the type has a read-only `groups`
/// (Users).
fn computed_groups_key(schema: &ResourceSchema) -> Option<String> {
    schema
        .core()
        .attribute("groups")
        .filter(|a| a.mutability == Mutability::ReadOnly)
        .map(|a| a.name.clone())
}

/// A `members` element's `value`.
fn member_value(member: &Value) -> Option<&str> {
    member.get("value").and_then(Value::as_str)
}

/// The ids a group's `members` list.
fn member_ids(json: &JsonObject, key: &str) -> HashSet<String> {
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
fn check_members_exist<'a>(
    collections: &HashMap<String, Collection>,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), StoreError> {
    for id in ids {
        let exists = ResourceId::new(id)
            .is_ok_and(|id| collections.values().any(|c| c.resources.contains_key(&id)));
        if !exists {
            return Err(StoreError::InvalidReference(format!(
                "member {id:?} does not exist"
            )));
        }
    }
    Ok(())
}

fn link(member_of: &mut HashMap<String, BTreeSet<GroupRef>>, member: &str, group: &GroupRef) {
    member_of
        .entry(member.to_owned())
        .or_default()
        .insert(group.clone());
}

fn unlink(member_of: &mut HashMap<String, BTreeSet<GroupRef>>, member: &str, group: &GroupRef) {
    if let Some(groups) = member_of.get_mut(member) {
        groups.remove(group);
        if groups.is_empty() {
            member_of.remove(member);
        }
    }
}

/// The string values that `attr eq "…"` compares for the attribute
/// `name` (in `extension`, if given), found the way the filter evaluator
/// finds them: names without regard to case, exact spelling first; a
/// string, or the strings and `value`s of a multi-valued attribute.
fn indexed_values<'a>(json: &'a JsonObject, extension: Option<&str>, name: &str) -> Vec<&'a str> {
    let base = match extension {
        Some(urn) => match lookup(json, urn) {
            Some(Value::Object(ext)) => ext,
            _ => return Vec::new(),
        },
        None => json,
    };
    match lookup(base, name) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.as_str()),
                Value::Object(obj) => match lookup(obj, "value") {
                    Some(Value::String(s)) => Some(s.as_str()),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The member called `key`, ignoring ASCII case; exact spelling first.
fn lookup<'a>(obj: &'a JsonObject, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
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
mod tests {
    use serde_json::json;

    use super::*;
    use crate::list::Page;
    use crate::resource::Meta;
    use crate::schema::Registry;
    use crate::store::conformance::{self, Suite};

    fn store() -> Arc<dyn ResourceStore> {
        Arc::new(MemoryStore::new())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn passes_the_conformance_suite_in_parallel() {
        Suite::new(|| async { store() })
            .with_spawner(|task| {
                tokio::spawn(task);
            })
            .run_all()
            .await;
    }

    #[tokio::test]
    async fn passes_the_concurrency_checks_on_one_thread() {
        // Without a spawner the suite interleaves its concurrent calls in
        // one task.
        let suite = Suite::new(|| async { store() });
        suite.uniqueness_under_concurrency().await;
        suite.compare_and_swap_under_concurrency().await;
        suite.membership_under_concurrency().await;
    }

    #[tokio::test]
    async fn run_is_the_whole_suite() {
        conformance::run(|| async { store() }).await;
    }

    fn resource(kind: &str, body: Value) -> Resource {
        let Value::Object(body) = body else {
            unreachable!()
        };
        let meta = Meta::new(kind, "2024-01-01T00:00:00Z", Version::from_revision(7));
        Resource::new(ResourceId::generate(), body, &meta)
    }

    #[tokio::test]
    async fn versions_are_revisions_and_conflicts_name_the_attribute() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let store = MemoryStore::new();
        let t = TenantId::new("t");
        let created = store
            .create(
                &t,
                users,
                resource(
                    "User",
                    json!({"userName": "bjensen", "groups": [{"value": "x"}]}),
                ),
            )
            .await
            .unwrap();
        assert_eq!(created.version(), &Version::from_revision(1));
        assert!(
            created.get("groups").is_none(),
            "computed groups are not stored"
        );
        let err = store
            .create(&t, users, resource("User", json!({"userName": "BJensen"})))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m == "userName \"BJensen\" is already taken"),
            "{err:?}"
        );
        let replaced = store
            .replace(&t, users, created.clone(), created.version())
            .await
            .unwrap();
        assert_eq!(replaced.version(), &Version::from_revision(2));
        assert_eq!(replaced.json()["meta"]["version"], "W/\"2\"");
    }

    #[tokio::test]
    async fn ids_are_unique_across_resource_types() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let groups = registry.resource_type("Group").unwrap();
        let store = MemoryStore::new();
        let t = TenantId::new("t");
        let user = store
            .create(&t, users, resource("User", json!({"userName": "a"})))
            .await
            .unwrap();
        let Value::Object(body) = json!({"displayName": "g"}) else {
            unreachable!()
        };
        let clash = Resource::new(user.id().clone(), body, &user.meta());
        let err = store.create(&t, groups, clash).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    }

    /// A store that ignores the version on `replace`: the suite must say
    /// which check it fails.
    #[derive(Debug)]
    struct IgnoresVersions(MemoryStore);

    #[async_trait]
    impl ResourceStore for IgnoresVersions {
        async fn create(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            r: Resource,
        ) -> Result<Resource, StoreError> {
            self.0.create(t, s, r).await
        }
        async fn get(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            id: &ResourceId,
            p: &Projection,
        ) -> Result<Option<Resource>, StoreError> {
            self.0.get(t, s, id, p).await
        }
        async fn replace(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            r: Resource,
            _expected: &Version,
        ) -> Result<Resource, StoreError> {
            let current = self.0.get(t, s, r.id(), &Projection::id_only()).await?;
            let current = current.ok_or(StoreError::NotFound)?;
            self.0.replace(t, s, r, current.version()).await
        }
        async fn delete(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            id: &ResourceId,
            v: Option<&Version>,
        ) -> Result<(), StoreError> {
            self.0.delete(t, s, id, v).await
        }
        async fn query(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            q: &ListQuery,
        ) -> Result<QueryResult, StoreError> {
            self.0.query(t, s, q).await
        }
    }

    #[tokio::test]
    async fn the_suite_names_the_failed_check() {
        let failure = tokio::spawn(async {
            Suite::new(|| async {
                Arc::new(IgnoresVersions(MemoryStore::new())) as Arc<dyn ResourceStore>
            })
            .stale_versions_are_refused()
            .await;
        })
        .await
        .unwrap_err()
        .into_panic();
        let message = failure.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with("store conformance check `stale_versions_are_refused` failed: replace at a stale version"),
            "{message}"
        );
    }

    #[test]
    fn debug_shows_no_data() {
        let store = MemoryStore::new();
        let text = format!("{store:?}");
        assert!(text.starts_with("MemoryStore"), "{text}");
        assert!(!text.contains("userName"), "{text}");
    }

    /// `attr eq "…"` on an indexed attribute is answered from the index
    /// (no scan), and the answer is `evaluate`'s.
    #[tokio::test]
    async fn equality_filters_use_the_indexes_and_agree_with_evaluate() {
        const N: usize = 10_000;
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let store = MemoryStore::new();
        let t = TenantId::new("big");
        let mut all = Vec::with_capacity(N);
        for i in 0..N {
            let name = if i == 4242 {
                "Émile-4242".to_owned()
            } else {
                format!("User-{i:05}")
            };
            let body = json!({
                "userName": name,
                "externalId": format!("Ext-{}", i % 5000),
                "displayName": format!("Person {}", i % 100),
            });
            all.push(
                store
                    .create(&t, users, resource("User", body))
                    .await
                    .unwrap(),
            );
        }
        let some_id = all[1234].id().as_str().to_owned();
        let filters = [
            r#"userName eq "user-05000""#.to_owned(),
            r#"USERNAME eq "USER-05000""#.to_owned(),
            r#"userName eq "émile-4242""#.to_owned(),
            r#"userName eq "ÉMILE-4242""#.to_owned(),
            r#"userName eq "nobody""#.to_owned(),
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "User-00007""#.to_owned(),
            r#"externalId eq "Ext-17""#.to_owned(),
            r#"externalId eq "ext-17""#.to_owned(),
            r#"displayName eq "PERSON 7""#.to_owned(),
            format!(r#"id eq "{some_id}""#),
            format!(r#"id eq "{}""#, some_id.to_uppercase()),
            r#"userName eq "user-00001" or userName eq "User-00002""#.to_owned(),
            r#"userName eq "user-00003" and displayName eq "person 3""#.to_owned(),
            r#"displayName eq "person 3" and externalId eq "Ext-3""#.to_owned(),
        ];
        let guard = store.tenant(&t).unwrap().unwrap();
        for text in &filters {
            let filter: Filter = text.parse().unwrap();
            let candidates = {
                let tenant = guard.read().unwrap();
                tenant.collections["User"].candidates(users, &filter)
            };
            let candidates = candidates.unwrap_or_else(|| panic!("{text} scans"));
            assert!(
                candidates.len() <= 100,
                "{text}: {} candidates",
                candidates.len()
            );
            let mut q = ListQuery::new(Page::Index {
                start_index: 1,
                count: 100,
            });
            q.filter = Some(filter);
            let expected = evaluate(users, &all, &q).unwrap();
            let actual = store.query(&t, users, &q).await.unwrap();
            assert_eq!(actual, expected, "{text}");
        }
        assert_eq!(
            store
                .query(&t, users, &{
                    let mut q = ListQuery::new(Page::Index {
                        start_index: 1,
                        count: 10,
                    });
                    q.filter = Some(r#"userName eq "user-05000""#.parse().unwrap());
                    q
                })
                .await
                .unwrap()
                .total_results,
            1
        );
        // Filters without an index scan, and agree all the same.
        let tenant = guard.read().unwrap();
        for text in [
            r#"userName sw "user-0000""#,
            r#"not (userName eq "user-00001")"#,
            r#"name.givenName eq "x""#,
        ] {
            let filter: Filter = text.parse().unwrap();
            assert!(
                tenant.collections["User"]
                    .candidates(users, &filter)
                    .is_none(),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn excluded_members_are_not_copied_and_groups_are_computed() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let groups = registry.resource_type("Group").unwrap();
        let store = MemoryStore::new();
        let t = TenantId::new("t");
        let u = store
            .create(&t, users, resource("User", json!({"userName": "a"})))
            .await
            .unwrap();
        let g = store
            .create(
                &t,
                groups,
                resource(
                    "Group",
                    json!({"displayName": "G", "members": [{"value": u.id().as_str()}]}),
                ),
            )
            .await
            .unwrap();
        let excluded = Projection::parse(groups, None, Some("members")).unwrap();
        let got = store
            .get(&t, groups, g.id(), &excluded)
            .await
            .unwrap()
            .unwrap();
        assert!(got.get("members").is_none());
        assert_eq!(got.version(), g.version());
        let user = store
            .get(&t, users, u.id(), &Projection::all())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            user.get("groups"),
            Some(&json!([{"value": g.id().as_str(), "display": "G", "type": "direct"}]))
        );
        let no_groups = Projection::parse(users, Some("userName"), None).unwrap();
        let user = store
            .get(&t, users, u.id(), &no_groups)
            .await
            .unwrap()
            .unwrap();
        assert!(user.get("groups").is_none());
        // The member set and the reverse index follow every change.
        let delta = MemberDelta {
            remove_all: true,
            ..MemberDelta::default()
        };
        store
            .modify_members(&t, groups, g.id(), &delta, None, "2024-02-02T00:00:00Z")
            .await
            .unwrap();
        let tenant = store.tenant(&t).unwrap().unwrap();
        let tenant = tenant.read().unwrap();
        assert!(tenant.member_of.is_empty());
        assert!(
            tenant.collections["Group"].resources[g.id()]
                .members
                .is_empty()
        );
    }
}
