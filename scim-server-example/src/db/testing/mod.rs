//! Test helpers and scenarios shared by the SQLite and PostgreSQL tests:
//! each scenario takes an opened [`Database`] and checks one behaviour the
//! product or Entra ID relies on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod group;
mod host;
pub(crate) mod index;
mod names;
mod tenant;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use scim_core::id::{ResourceId, Version};
use scim_core::list::{ListQuery, Page, QueryResult, evaluate};
use scim_core::patch::{PatchRequest, apply};
use scim_core::project::Projection;
use scim_core::resource::{Meta, Resource, format_date_time, now, parse_date_time, prepare_create};
use scim_core::schema::{Registry, ResourceSchema};
use scim_core::store::{MemberDelta, ResourceStore, StoreError, TenantId};
use scim_core::time::OffsetDateTime;
use scim_core::tolerance::{Context, Policy};
use serde_json::{Value, json};

use super::{Database, DbError, HostRow, Tenant};

/// A directory under the system's temp dir, removed on drop.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "scim-db-test-{label}-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// A fresh database file name inside the directory.
    pub(crate) fn file(&self) -> PathBuf {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        self.0.join(format!(
            "db-{}.sqlite",
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn users() -> Arc<ResourceSchema> {
    Registry::standard().resource_type("User").unwrap().clone()
}

pub(crate) fn groups() -> Arc<ResourceSchema> {
    Registry::standard().resource_type("Group").unwrap().clone()
}

/// Inserts a tenants row with this id (if there is none), for the
/// conformance suite, which names its tenants itself: the stores refuse
/// writes for a tenant that does not exist.
#[async_trait::async_trait]
pub(crate) trait AdoptTenant: ResourceStore {
    async fn adopt_tenant(&self, id: &str);
}

/// A store whose writes first adopt their tenant (see [`AdoptTenant`]).
#[derive(Debug)]
pub(crate) struct Adopting<S>(pub(crate) Arc<S>);

#[async_trait::async_trait]
impl<S: AdoptTenant + 'static> ResourceStore for Adopting<S> {
    async fn create(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        self.0.adopt_tenant(tenant.as_str()).await;
        self.0.create(tenant, schema, resource).await
    }

    async fn get(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        projection: &Projection,
    ) -> Result<Option<Resource>, StoreError> {
        self.0.get(tenant, schema, id, projection).await
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        self.0.adopt_tenant(tenant.as_str()).await;
        self.0.replace(tenant, schema, resource, expected).await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        self.0.adopt_tenant(tenant.as_str()).await;
        self.0.delete(tenant, schema, id, expected).await
    }

    async fn query(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        query: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        self.0.query(tenant, schema, query).await
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
        self.0.adopt_tenant(tenant.as_str()).await;
        self.0
            .modify_members(tenant, schema, id, delta, expected, last_modified)
            .await
    }
}

/// Counts the rows of every table with a `tenant_id` column that belong
/// to a tenant id (backend-specific, over a raw connection).
pub(crate) type RowsOf =
    dyn Fn(String) -> std::pin::Pin<Box<dyn Future<Output = u64> + Send>> + Send + Sync;

/// `tenant delete` while writers keep writing for the tenant (as in the
/// token cache's window after a deletion): once the deletion is done, no
/// row of any tenant-scoped table has the tenant's id, and every later
/// write is refused with `NotFound`.
pub(crate) async fn deletion_races_writers(db: &Database, rows_of: &RowsOf) {
    const WRITERS: usize = 4;
    /// Each writer's bound, and the writes it keeps trying after its
    /// first refusal.
    const MAX_WRITES: usize = 400;
    const AFTER_REFUSAL: usize = 5;
    let (users, groups) = (users(), groups());
    let (tenant, t) = new_tenant(db, "offboarded").await;
    let group = db
        .scim
        .create(
            &t,
            &groups,
            prepared(&groups, json!({"displayName": "all"})),
        )
        .await
        .unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (db, t, users, groups) = (db.clone(), t.clone(), users.clone(), groups.clone());
        let (group, written) = (group.id().clone(), written.clone());
        writers.push(tokio::spawn(async move {
            let mut refused = 0;
            for n in 0..MAX_WRITES {
                let name = format!("w{w}-{n}");
                let result = match n % 3 {
                    0 => db
                        .scim
                        .create(&t, &users, prepared(&users, json!({"userName": name})))
                        .await
                        .map(drop),
                    1 => db
                        .scim
                        .create(&t, &groups, prepared(&groups, json!({"displayName": name})))
                        .await
                        .map(drop),
                    // A membership row: the new host joins the group.
                    _ => match db
                        .scim
                        .create(&t, &users, prepared(&users, json!({"userName": name})))
                        .await
                    {
                        Ok(u) => {
                            let mut delta = MemberDelta::default();
                            delta.add.push(json!({"value": u.id().as_str()}));
                            db.scim
                                .modify_members(&t, &groups, &group, &delta, None, now())
                                .await
                                .map(drop)
                        }
                        Err(e) => Err(e),
                    },
                };
                match result {
                    Ok(_) => {
                        written.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(StoreError::NotFound) => {
                        refused += 1;
                        if refused > AFTER_REFUSAL {
                            return (n, refused);
                        }
                    }
                    Err(e) => panic!("writer {w}: {e:?}"),
                }
            }
            (MAX_WRITES, refused)
        }));
    }
    // Delete once writing is under way.
    for _ in 0..500 {
        if written.load(Ordering::Relaxed) >= 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    db.tenants.delete_tenant(&tenant.name).await.unwrap();
    for writer in writers {
        let (_, refused) = writer.await.unwrap();
        assert!(refused > 0, "every writer saw the deletion");
    }
    assert_eq!(
        rows_of(tenant.id.clone()).await,
        0,
        "rows survived the tenant's deletion"
    );
}

/// RFC 3339 test data as a time.
pub(crate) fn at(text: &str) -> OffsetDateTime {
    parse_date_time(text).unwrap()
}

/// A resource as the protocol service prepares one for `POST`. A body
/// without `schemas` gets the ones a client sends: the core schema and
/// each extension present.
pub(crate) fn prepared(schema: &ResourceSchema, mut body: Value) -> Resource {
    if let Value::Object(obj) = &mut body {
        if !obj.contains_key("schemas") {
            let mut urns = vec![Value::String(schema.core().id.as_str().to_owned())];
            for (ext, _) in schema.extensions() {
                if obj.contains_key(ext.id.as_str()) {
                    urns.push(Value::String(ext.id.as_str().to_owned()));
                }
            }
            obj.insert("schemas".to_owned(), Value::Array(urns));
        }
    }
    let body = prepare_create(schema, body, &mut Context::new(Policy::entra_id())).unwrap();
    Resource::new(
        ResourceId::generate(),
        body,
        &Meta::new(schema.name(), now(), Version::from_revision(1)),
    )
}

/// `current` with a PATCH applied, as the protocol service builds it.
pub(crate) fn patched(schema: &ResourceSchema, current: &Resource, body: Value) -> Resource {
    let mut cx = Context::new(Policy::entra_id());
    let request = PatchRequest::parse(body, &mut cx).unwrap();
    let outcome = apply(schema, current.json(), &request, &mut cx).unwrap();
    let mut json = outcome.resource;
    if let Some(Value::Object(meta)) = json.get_mut("meta") {
        meta.insert(
            "lastModified".to_owned(),
            Value::String(format_date_time(now())),
        );
    }
    Resource::from_json(json).unwrap()
}

pub(crate) fn list(filter: Option<&str>, projection: Projection, page: Page) -> ListQuery {
    let mut q = ListQuery::new(page);
    q.filter = filter.map(|f| f.parse().unwrap());
    q.projection = projection;
    q
}

fn first_page() -> Page {
    Page::Index {
        start_index: 1,
        count: 100,
    }
}

fn ids(r: &QueryResult) -> Vec<String> {
    r.resources.iter().map(|r| r.id().to_string()).collect()
}

fn member(id: &ResourceId) -> Value {
    json!({"value": id.as_str()})
}

fn add(ids: &[&ResourceId]) -> MemberDelta {
    let mut d = MemberDelta::default();
    d.add = ids.iter().map(|id| member(id)).collect();
    d
}

fn remove(ids: &[&ResourceId]) -> MemberDelta {
    let mut d = MemberDelta::default();
    d.remove = ids.iter().map(|id| id.to_string()).collect();
    d
}

fn member_values(r: &Resource) -> Vec<String> {
    match r.get("members") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_owned())
            .collect(),
        _ => Vec::new(),
    }
}

async fn new_tenant(db: &Database, name: &str) -> (Tenant, TenantId) {
    let mut hash = [0_u8; 32];
    getrandom::getrandom(&mut hash).unwrap();
    let tenant = db
        .tenants
        .create_tenant(&format!("{name}-{}", ResourceId::generate()), &hash)
        .await
        .unwrap();
    let id = TenantId::new(tenant.id.clone());
    (tenant, id)
}

/// The host Entra ID creates in R6 of `entra.md`, with `active` as the
/// string its gallery mapping produces.
pub(crate) fn entra_host() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "amelia.hart@northwind.example",
        "active": "True",
        "emails": [{"primary": true, "type": "work", "value": "amelia.hart@northwind.example"}],
        "meta": {"resourceType": "User"},
        "name": {"familyName": "Hart", "givenName": "Amelia"},
        "phoneNumbers": [{"type": "work", "value": "+1 206 555 0100"},
                         {"type": "mobile", "value": "+1 206 555 0142"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
            {"department": "Front Desk", "organization": "Northwind Traders"}
    })
}

pub(crate) use self::group::{entra_group_flows, member_references};
pub(crate) use self::host::{
    entra_host_lifecycle, nul_round_trip, paging_agrees_with_evaluate, product_view,
    racing_creates, read_after_restart, write_for_restart,
};
pub(crate) use self::names::{
    after_resolution, assert_refused, duplicate_group_names, racing_group_names, resolve_duplicates,
};
pub(crate) use self::tenant::{tenant_lifecycle, token_rotation_with_grace};
