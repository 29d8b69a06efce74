//! The PostgreSQL backend, for several server processes sharing one
//! database.
//!
//! Nothing here relies on in-process locks: `userName` uniqueness is the
//! unique constraint `hosts_user_name_key`, writes are compare-and-swap
//! (`UPDATE … WHERE revision = $n`, checking the rows affected), membership
//! changes lock their group row for the transaction, and member references
//! are foreign keys. Unique violations (SQLSTATE 23505) become
//! [`StoreError::Conflict`], foreign-key violations (23503)
//! [`StoreError::InvalidReference`].
//!
//! Every write first locks its tenant's row `FOR KEY SHARE`, so that no
//! write outlives `tenant delete` ([`lock_tenant`]).
//!
//! Reads of more than one statement run in a `REPEATABLE READ READ ONLY`
//! transaction, so they see one snapshot; the hot path (a `userName`
//! lookup with the host's groups) is a single statement.
//!
//! PostgreSQL text cannot hold NUL characters. `doc` is JSON text, where
//! NUL is written `\u0000`; the typed columns go through [`nul`], an
//! injective escaping, so that lookups and uniqueness still work for such
//! values (the HTTP layer refuses NUL anyway).
//!
//! Connections use TLS as the connection string's `sslmode` says
//! ([`tls`]: `disable`, `prefer` (the default), `require`, `verify-ca`,
//! `verify-full`, with `sslrootcert`), over rustls.

mod keys;
mod nul;
mod row;
mod sql;
mod statistics;
mod tenant;
mod tls;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use scim_core::filter::eval::SchemaFacts;
use scim_core::id::{ResourceId, Version};
use scim_core::list::{ListQuery, QueryResult};
use scim_core::project::Projection;
use scim_core::resource::{Resource, format_date_time, now};
use scim_core::schema::ResourceSchema;
use scim_core::store::{MemberDelta, ResourceStore, StoreError, TenantId};
use scim_core::time::OffsetDateTime;
use serde_json::Value;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls};

use self::nul::{enc, enc_opt};
use self::row::{
    execute, groups_of_hosts, insert_members, member_rows, resources, revision, row_json, row_opt,
    rows, run_query, statements, with_member_rows,
};
use super::document::{self, split_for_write, timestamps};
use super::error::{self, Failure};
use super::expect::Expect;
use super::fail::DriverError;
use super::group::{self, GroupColumns};
use super::host::HostColumns;
use super::index::{self, Dialect, Indexes};
use super::key;
use super::kind::Kind;
use super::members::{MemberRow, set_groups, set_members};
use super::names::{ClashingGroup, DuplicateGroupNames, GroupChange, Remaining};
use super::query::{self, MemberLoad, Source};
use super::walk::{self, Resume};
use super::{Database, DbError, Options};

/// Connections per server process.
const POOL_SIZE: usize = 16;

/// Connects to the database at `url` and brings its schema up to date.
pub(crate) async fn open(url: &str, options: Options) -> Result<Database, DbError> {
    let refused = |m: String| DbError::Backend(Box::new(Failure(m)));
    let (url, settings) = tls::split(url).map_err(refused)?;
    let config: tokio_postgres::Config = url.parse().map_err(|e| DbError::Backend(Box::new(e)))?;
    let tls = tls::client_config(&settings).map_err(refused)?;
    let store = Arc::new(
        PgDb::connect_with(config, tls, &options)
            .await?
            .with_options(options),
    );
    Ok(Database {
        scim: store.clone(),
        tenants: store.clone(),
        product: store,
    })
}

/// An error with its causes, `outer: inner: innermost`, each said once
/// (a driver's message often repeats its cause). tokio-postgres says only
/// "error performing TLS handshake"; the reason (no TLS on the server, a
/// certificate from an unknown issuer or for another name) is its cause.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// The PostgreSQL implementation of the three database roles.
#[derive(Clone)]
pub(crate) struct PgDb {
    pool: Pool,
    /// Refuse members that are neither hosts nor groups of the tenant.
    check_members: bool,
    /// How many times member lists were read, for tests that check
    /// `excludedAttributes=members` reads none.
    member_reads: Arc<AtomicU64>,
    /// The maintained secondary indexes.
    indexes: Arc<Indexes>,
    /// The most resources a filter no index narrows may read.
    scan_budget: u64,
    /// Where index-paged walks stopped, and their totals.
    resume: Arc<Resume>,
    /// Keeps the planner statistics where autovacuum does not (started
    /// once the schema is migrated); stops with the last handle.
    _statistics: Option<Arc<statistics::Keeper>>,
}

impl std::fmt::Debug for PgDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgDb").finish_non_exhaustive()
    }
}

impl PgDb {
    /// Builds the pool without TLS and migrates, maintaining the standard
    /// registry's indexes.
    #[cfg(test)]
    pub(crate) async fn connect(config: tokio_postgres::Config) -> Result<Self, DbError> {
        Self::connect_with(config, None, &Options::default()).await
    }

    /// Builds the pool, over TLS with `tls` (else in plain text), migrates
    /// and brings the indexes in line with `options.registry`.
    pub(crate) async fn connect_with(
        config: tokio_postgres::Config,
        tls: Option<tokio_rustls::rustls::ClientConfig>,
        options: &Options,
    ) -> Result<Self, DbError> {
        let manager_config = || ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls {
            Some(tls) => Manager::from_config(
                config,
                tokio_postgres_rustls::MakeRustlsConnect::new(tls),
                manager_config(),
            ),
            None => Manager::from_config(config, NoTls, manager_config()),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| DbError::Backend(Box::new(e)))?;
        let mut db = Self {
            pool,
            check_members: true,
            member_reads: Arc::new(AtomicU64::new(0)),
            indexes: Arc::new(Indexes::default()),
            scan_budget: options.scan_budget,
            resume: Arc::new(Resume::default()),
            _statistics: None,
        };
        db.indexes = Arc::new(db.migrate(&options.registry).await?);
        db._statistics = Some(Arc::new(statistics::Keeper::start(db.pool.clone()).await));
        Ok(db)
    }

    /// The same store with these options (the registry's indexes are
    /// synced by [`Self::connect_with`]).
    pub(crate) fn with_options(mut self, options: Options) -> Self {
        self.check_members = options.check_member_references;
        self.scan_budget = options.scan_budget;
        self
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, Fail> {
        self.pool
            .get()
            .await
            .map_err(|e| Fail::Other(format!("no PostgreSQL connection: {}", with_causes(&e))))
    }

    /// Applies missing migrations and syncs the declared indexes under a
    /// transaction-scoped advisory lock, so that processes starting
    /// together migrate one after the other.
    async fn migrate(&self, registry: &scim_core::schema::Registry) -> Result<Indexes, Fail> {
        let mut client = self.client().await?;
        let mut tx = client.transaction().await?;
        tx.execute(sql::MIGRATION_LOCK, &[&sql::MIGRATION_LOCK_KEY])
            .await?;
        tx.batch_execute(sql::SCHEMA_VERSION_TABLE).await?;
        let current: i32 = tx.query_one(sql::SCHEMA_VERSION, &[]).await?.try_get(0)?;
        let known = i32::try_from(sql::MIGRATIONS.len()).unwrap_or(i32::MAX);
        if current > known {
            return Err(Fail::Other(format!(
                "the database schema is at version {current}, newer than this server's {known}; upgrade the server"
            )));
        }
        let now = format_date_time(now());
        for (version, migration) in (1_i32..).zip(sql::MIGRATIONS) {
            if version > current {
                if *migration == sql::V3_GROUP_NAMES {
                    // Refused, not patched over: the transaction rolls
                    // back and the database stays at `current`.
                    let groups = group_name_clashes(&*tx).await?;
                    if !groups.is_empty() {
                        return Err(Fail::Tenant(DbError::DuplicateGroupNames(
                            DuplicateGroupNames {
                                version: i64::from(current),
                                groups,
                            },
                        )));
                    }
                }
                tx.batch_execute(migration).await?;
                tx.execute(sql::RECORD_VERSION, &[&version, &now]).await?;
            }
        }
        let indexes = keys::sync(&tx, registry).await?;
        let trigram = keys::trigram(&mut tx).await?;
        tx.commit().await?;
        let indexes = indexes.with_trigram(trigram);
        Ok(indexes)
    }

    /// How many member lists this handle has read.
    #[cfg(test)]
    pub(crate) fn member_reads(&self) -> u64 {
        self.member_reads.load(Ordering::Relaxed)
    }
}

/// The groups that stop `V3_GROUP_NAMES` (see [`sql::GROUP_NAME_CLASHES`]).
async fn group_name_clashes(
    client: &impl tokio_postgres::GenericClient,
) -> Result<Vec<ClashingGroup>, Fail> {
    let mut groups = Vec::new();
    for row in client.query(sql::GROUP_NAME_CLASHES, &[]).await? {
        groups.push(ClashingGroup {
            tenant: row.try_get(0)?,
            key: nul::dec(row.try_get(1)?),
            id: row.try_get(2)?,
            display_name: nul::dec(row.try_get(3)?),
            created: row.try_get(4)?,
        });
    }
    Ok(super::names::in_order(groups))
}

/// The schema version `V3_GROUP_NAMES` brings the database to.
fn group_names_version() -> i32 {
    sql::MIGRATIONS
        .iter()
        .position(|m| *m == sql::V3_GROUP_NAMES)
        .and_then(|i| i32::try_from(i + 1).ok())
        .unwrap_or(i32::MAX)
}

/// The repair commands on a database not yet migrated to unique group
/// names: applies `change` with plain SQL (on columns every version has)
/// and returns the duplicates left, or `None` without touching anything
/// when the database is already migrated (the caller then goes through
/// the store). Holds the migration lock, so it takes turns with servers
/// starting.
pub(crate) async fn change_group_before_unique_names(
    config: tokio_postgres::Config,
    tenant: &str,
    id: &str,
    change: &GroupChange,
) -> Result<Remaining, DbError> {
    let (mut client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| DbError::Backend(Box::new(e)))?;
    let connection = tokio::spawn(connection);
    let result: Result<Remaining, Fail> = async {
        let tx = client.transaction().await?;
        tx.execute(sql::MIGRATION_LOCK, &[&sql::MIGRATION_LOCK_KEY])
            .await?;
        tx.batch_execute(sql::SCHEMA_VERSION_TABLE).await?;
        let current: i32 = tx.query_one(sql::SCHEMA_VERSION, &[]).await?.try_get(0)?;
        if current >= group_names_version() {
            return Ok(None);
        }
        let tenant_id: String = tx
            .query_opt(sql::TENANT_ID_BY_NAME, &[&tenant])
            .await?
            .ok_or_else(|| Fail::Tenant(DbError::NoSuchTenant(tenant.to_owned())))?
            .try_get(0)?;
        let doc: String = tx
            .query_opt(sql::GROUP_DOC, &[&tenant_id, &id])
            .await?
            .ok_or_else(|| Fail::Tenant(DbError::NoSuchGroup(id.to_owned())))?
            .try_get(0)?;
        let now = format_date_time(now());
        match change {
            GroupChange::Rename(name) => {
                let name_key = document::fold(name);
                let taken = tx
                    .query_opt(
                        sql::OTHER_GROUP_WITH_NAME_KEY,
                        &[&tenant_id, &enc(&name_key), &id],
                    )
                    .await?;
                if taken.is_some() {
                    return Err(Fail::Tenant(DbError::GroupNameTaken(name.clone())));
                }
                let doc = group::renamed_doc(&doc, name)?;
                tx.execute(
                    sql::RENAME_GROUP,
                    &[&tenant_id, &id, &enc(name), &enc(&name_key), &doc, &now],
                )
                .await?;
            }
            GroupChange::Delete => {
                tx.execute(sql::BUMP_GROUPS_OF_GROUP, &[&tenant_id, &id, &now])
                    .await?;
                tx.execute(sql::DELETE_GROUP, &[&tenant_id, &id]).await?;
            }
        }
        let remaining = group_name_clashes(&tx).await?;
        tx.commit().await?;
        Ok(Some(remaining))
    }
    .await;
    drop(client);
    let _ = connection.await;
    Ok(result?)
}

/// A failure inside a PostgreSQL call.
type Fail = super::fail::Fail<tokio_postgres::Error>;

impl DriverError for tokio_postgres::Error {
    fn into_store_error(self) -> StoreError {
        match self.code() {
            Some(c) if *c == SqlState::UNIQUE_VIOLATION => {
                let constraint = self.as_db_error().and_then(|d| d.constraint());
                StoreError::Conflict(if constraint == Some(sql::GROUP_NAME_INDEX) {
                    "displayName is already taken by another group (names are compared ignoring case)"
                        .to_owned()
                } else {
                    "a unique attribute's value is already taken".to_owned()
                })
            }
            Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => StoreError::InvalidReference(
                "a member is not a User or Group of this tenant".to_owned(),
            ),
            _ => StoreError::backend(self),
        }
    }
}

/// The constraint a unique violation hit.
fn unique_violation(e: &Fail) -> Option<&str> {
    match e {
        Fail::Sql(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            e.as_db_error().and_then(|d| d.constraint())
        }
        _ => None,
    }
}

/// The host columns as bound: NUL-free.
struct HostParams {
    user_name: String,
    user_name_key: String,
    external_id: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    work_email: Option<String>,
    other_email: Option<String>,
    work_phone: Option<String>,
    mobile_phone: Option<String>,
    organization: Option<String>,
    department: Option<String>,
    visible: bool,
}

impl HostParams {
    /// The parameters `$1`–`$18` that `INSERT_HOST` and `UPDATE_HOST` share,
    /// in column order.
    // `&String`, not `&str`: an unsized `str` cannot become `&dyn ToSql`.
    #[allow(clippy::ptr_arg)]
    fn row<'a>(
        &'a self,
        tenant: &'a &str,
        id: &'a String,
        revision: &'a i64,
        created: &'a String,
        last_modified: &'a String,
        doc: &'a String,
    ) -> [&'a (dyn ToSql + Sync); 18] {
        [
            tenant,
            id,
            &self.user_name,
            &self.user_name_key,
            &self.external_id,
            &self.given_name,
            &self.family_name,
            &self.work_email,
            &self.other_email,
            &self.work_phone,
            &self.mobile_phone,
            &self.organization,
            &self.department,
            &self.visible,
            revision,
            created,
            last_modified,
            doc,
        ]
    }

    fn of(c: &HostColumns) -> Self {
        let opt = |s: &Option<String>| enc_opt(s.as_deref()).map(|s| s.into_owned());
        Self {
            user_name: enc(&c.user_name).into_owned(),
            user_name_key: enc(&c.user_name_key).into_owned(),
            external_id: opt(&c.external_id),
            given_name: opt(&c.given_name),
            family_name: opt(&c.family_name),
            work_email: opt(&c.work_email),
            other_email: opt(&c.other_email),
            work_phone: opt(&c.work_phone),
            mobile_phone: opt(&c.mobile_phone),
            organization: opt(&c.organization),
            department: opt(&c.department),
            visible: c.visible,
        }
    }
}

/// Makes sure `tenant` still exists, and keeps it from being deleted until
/// the transaction ends.
///
/// Every write of a tenant's rows starts here. `FOR KEY SHARE` does not
/// block other writers of the tenant, only `tenant delete`, which locks
/// the tenant's row `FOR UPDATE` before it deletes anything: it waits for
/// the writes under way, and deletes their rows too; a write that starts
/// later waits for the deletion to commit and then finds no tenant
/// (answered `404`), instead of leaving rows no tenant owns.
async fn lock_tenant(tx: &deadpool_postgres::Transaction<'_>, tenant: &str) -> Result<(), Fail> {
    match row_opt(tx, sql::LOCK_TENANT_FOR_WRITE, &[&tenant]).await? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound.into()),
    }
}

#[async_trait]
impl ResourceStore for PgDb {
    async fn create(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        let _written = self.resume.write(tenant.as_str());
        let kind = Kind::of(schema)?;
        let tenant = tenant.as_str();
        let id = resource.id().as_str().to_owned();
        let now = format_date_time(now());
        let (created, last_modified) = timestamps(resource.json(), &now);
        match kind {
            Kind::Host => {
                let cols = HostColumns::of(resource.json())?;
                let p = HostParams::of(&cols);
                let (doc, _groups, json) =
                    split_for_write(resource, Version::from_revision(1), key::GROUPS)?;
                let index_rows = self
                    .indexes
                    .hosts
                    .rows(schema, &index::read_view(&json, &last_modified));
                let mut client = self.client().await?;
                let inserted: Result<u64, Fail> = async {
                    let tx = client.transaction().await?;
                    lock_tenant(&tx, tenant).await?;
                    let inserted = execute(
                        &tx,
                        sql::INSERT_HOST,
                        &p.row(&tenant, &id, &1_i64, &created, &last_modified, &doc),
                    )
                    .await?;
                    if inserted == 1 {
                        keys::write_keys(&tx, kind, tenant, &id, &index_rows, false).await?;
                        tx.commit().await?;
                    }
                    Ok(inserted)
                }
                .await;
                match inserted {
                    Ok(0) => Err(error::id_taken(&id)),
                    Ok(_) => Resource::from_json(json).map_err(StoreError::backend),
                    Err(e) => Err(match unique_violation(&e) {
                        Some("hosts_user_name_key") => error::user_name_taken(&cols.user_name),
                        Some("hosts_pkey") => error::id_taken(&id),
                        _ => e.into(),
                    }),
                }
            }
            Kind::HostGroup => {
                let cols = GroupColumns::of(schema, resource.json());
                let (doc, members, json) =
                    split_for_write(resource, Version::from_revision(1), key::MEMBERS)?;
                let rows_in = MemberRow::list(members.as_ref())?;
                let index_rows = self
                    .indexes
                    .groups
                    .rows(schema, &index::read_view(&json, &last_modified));
                let mut client = self.client().await?;
                let result: Result<(), Fail> = async {
                    let tx = client.transaction().await?;
                    lock_tenant(&tx, tenant).await?;
                    let inserted = execute(
                        &tx,
                        sql::INSERT_GROUP,
                        &[
                            &tenant,
                            &id,
                            &enc(&cols.display_name),
                            &enc(&cols.display_name_key),
                            &enc_opt(cols.external_id.as_deref()),
                            &1_i64,
                            &created,
                            &last_modified,
                            &doc,
                            &enc_opt(cols.display_name_unique.as_deref()),
                        ],
                    )
                    .await?;
                    if inserted == 0 {
                        return Err(error::id_taken(&id).into());
                    }
                    insert_members(&tx, tenant, &id, &rows_in, 0, self.check_members).await?;
                    keys::write_keys(&tx, kind, tenant, &id, &index_rows, false).await?;
                    tx.commit().await?;
                    Ok(())
                }
                .await;
                match result {
                    Ok(()) => with_member_rows(json, rows_in),
                    Err(e) => Err(match unique_violation(&e) {
                        Some("host_groups_pkey") => error::id_taken(&id),
                        Some(sql::GROUP_NAME_INDEX) => {
                            error::display_name_taken(&cols.display_name)
                        }
                        _ => e.into(),
                    }),
                }
            }
        }
    }

    async fn get(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        projection: &Projection,
    ) -> Result<Option<Resource>, StoreError> {
        let kind = Kind::of(schema)?;
        let tenant = tenant.as_str();
        let id = id.as_str();
        let mut client = self.client().await?;
        match kind {
            Kind::Host => {
                let with_groups = projection.includes(key::GROUPS);
                let sql = if with_groups {
                    sql::HOST_BY_ID_WITH_GROUPS
                } else {
                    sql::HOST_BY_ID
                };
                let found = rows(&client, sql, &[&tenant, &id]).await?;
                Ok(resources(&found, with_groups)?.pop())
            }
            Kind::HostGroup if !projection.includes(key::MEMBERS) => {
                let found = rows(&client, sql::GROUP_BY_ID, &[&tenant, &id]).await?;
                Ok(resources(&found, false)?.pop())
            }
            Kind::HostGroup => {
                self.member_reads.fetch_add(1, Ordering::Relaxed);
                let result: Result<Option<Resource>, Fail> = async {
                    let tx = client
                        .build_transaction()
                        .isolation_level(IsolationLevel::RepeatableRead)
                        .read_only(true)
                        .start()
                        .await?;
                    let found = rows(&tx, sql::GROUP_BY_ID, &[&tenant, &id]).await?;
                    let Some(mut group) = resources(&found, false)?.pop() else {
                        return Ok(None);
                    };
                    let members = member_rows(&tx, tenant, id)
                        .await?
                        .into_iter()
                        .map(row_json)
                        .collect::<Result<Vec<_>, _>>()?;
                    set_members(&mut group, Some(members))?;
                    tx.commit().await?;
                    Ok(Some(group))
                }
                .await;
                Ok(result?)
            }
        }
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        let _written = self.resume.write(tenant.as_str());
        let kind = Kind::of(schema)?;
        let tenant = tenant.as_str();
        let id = resource.id().as_str().to_owned();
        let now = format_date_time(now());
        let (created, last_modified) = timestamps(resource.json(), &now);
        let expect = Expect::of(Some(expected));
        let current = expect.bind().unwrap_or(-1);
        let next = current.saturating_add(1).max(1);
        let version = Version::from_revision(document::revision_u64(next));
        let mut client = self.client().await?;
        match kind {
            Kind::Host => {
                let cols = HostColumns::of(resource.json())?;
                let p = HostParams::of(&cols);
                let (doc, _groups, json) = split_for_write(resource, version, key::GROUPS)?;
                let index_rows = self
                    .indexes
                    .hosts
                    .rows(schema, &index::read_view(&json, &last_modified));
                let result: Result<Vec<Value>, Fail> = async {
                    let tx = client.transaction().await?;
                    lock_tenant(&tx, tenant).await?;
                    let mut params = p
                        .row(&tenant, &id, &next, &created, &last_modified, &doc)
                        .to_vec();
                    params.push(&current);
                    let changed = execute(&tx, sql::UPDATE_HOST, &params).await?;
                    if changed != 1 {
                        expect.check(revision(&tx, sql::HOST_REVISION, tenant, &id).await?)?;
                        return Err(StoreError::VersionMismatch.into());
                    }
                    keys::write_keys(&tx, kind, tenant, &id, &index_rows, true).await?;
                    let groups = groups_of_hosts(&tx, tenant, &[id.as_str()])
                        .await?
                        .remove(&id);
                    tx.commit().await?;
                    Ok(groups.unwrap_or_default())
                }
                .await;
                match result {
                    Ok(groups) => {
                        let mut stored = Resource::from_json(json).map_err(StoreError::backend)?;
                        set_groups(&mut stored, groups)?;
                        Ok(stored)
                    }
                    Err(e) => Err(match unique_violation(&e) {
                        Some("hosts_user_name_key") => error::user_name_taken(&cols.user_name),
                        _ => e.into(),
                    }),
                }
            }
            Kind::HostGroup => {
                let cols = GroupColumns::of(schema, resource.json());
                let (doc, members, json) = split_for_write(resource, version, key::MEMBERS)?;
                let rows_in = MemberRow::list(members.as_ref())?;
                let index_rows = self
                    .indexes
                    .groups
                    .rows(schema, &index::read_view(&json, &last_modified));
                let result: Result<(), Fail> = async {
                    let tx = client.transaction().await?;
                    lock_tenant(&tx, tenant).await?;
                    let changed = execute(
                        &tx,
                        sql::UPDATE_GROUP,
                        &[
                            &tenant,
                            &id,
                            &enc(&cols.display_name),
                            &enc(&cols.display_name_key),
                            &enc_opt(cols.external_id.as_deref()),
                            &next,
                            &created,
                            &last_modified,
                            &doc,
                            &current,
                            &enc_opt(cols.display_name_unique.as_deref()),
                        ],
                    )
                    .await?;
                    if changed != 1 {
                        expect.check(revision(&tx, sql::GROUP_REVISION, tenant, &id).await?)?;
                        return Err(StoreError::VersionMismatch.into());
                    }
                    keys::write_keys(&tx, kind, tenant, &id, &index_rows, true).await?;
                    // A rename re-sends every member: rewrite the rows only
                    // if the list really changed.
                    if member_rows(&tx, tenant, &id).await? != rows_in {
                        execute(&tx, sql::DELETE_ALL_MEMBERS, &[&tenant, &id]).await?;
                        insert_members(&tx, tenant, &id, &rows_in, 0, self.check_members).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }
                .await;
                match result {
                    Ok(()) => with_member_rows(json, rows_in),
                    Err(e) => Err(match unique_violation(&e) {
                        Some(sql::GROUP_NAME_INDEX) => {
                            error::display_name_taken(&cols.display_name)
                        }
                        _ => e.into(),
                    }),
                }
            }
        }
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        let _written = self.resume.write(tenant.as_str());
        let kind = Kind::of(schema)?;
        let tenant = tenant.as_str();
        let id = id.as_str();
        let expect = Expect::of(expected);
        let now = format_date_time(now());
        let (lock, bump, bump_keys, delete) = match kind {
            Kind::Host => (
                sql::LOCK_HOST,
                sql::BUMP_GROUPS_OF_HOST,
                sql::SET_LAST_MODIFIED_KEY_OF_GROUPS_OF_HOST,
                sql::DELETE_HOST,
            ),
            Kind::HostGroup => (
                sql::LOCK_GROUP,
                sql::BUMP_GROUPS_OF_GROUP,
                sql::SET_LAST_MODIFIED_KEY_OF_GROUPS_OF_GROUP,
                sql::DELETE_GROUP,
            ),
        };
        let mut client = self.client().await?;
        let result: Result<(), Fail> = async {
            let tx = client.transaction().await?;
            lock_tenant(&tx, tenant).await?;
            // Locking the row first makes a concurrent membership insert
            // naming it wait, then fail its foreign key check, instead of
            // slipping in between the bump and the delete.
            expect.check(revision(&tx, lock, tenant, id).await?)?;
            execute(&tx, bump, &[&tenant, &id, &now]).await?;
            // The resource's own index rows go by `ON DELETE CASCADE`.
            keys::bump_last_modified(&tx, &self.indexes.groups, bump_keys, tenant, id, &now)
                .await?;
            execute(&tx, delete, &[&tenant, &id]).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        Ok(result?)
    }

    async fn query(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        query: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        let kind = Kind::of(schema)?;
        let plan = query::plan(kind, schema, query);
        let tenant = tenant.as_str();
        if plan.members != MemberLoad::None {
            self.member_reads.fetch_add(1, Ordering::Relaxed);
        }
        let mut client = self.client().await?;
        if let (Source::Scan, Some(filter)) = (&plan.source, &query.filter) {
            return self
                .indexed_query(&mut client, tenant, kind, schema, &plan, filter, query)
                .await;
        }
        if let (Source::Scan | Source::Page { .. }, None) = (&plan.source, &query.filter) {
            // No filter, with a cursor or a sort: a walk in SQL when an
            // index serves the sort; else the evaluator sorts, within the
            // scan budget.
            if let Some(result) = self
                .unfiltered_walk(&mut client, tenant, kind, schema, &plan, query)
                .await?
            {
                return Ok(result);
            }
        }
        if statements(kind, &plan) == 1 {
            return Ok(run_query(&client, tenant, kind, schema, &plan, query).await?);
        }
        let result: Result<QueryResult, Fail> = async {
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let result = run_query(&tx, tenant, kind, schema, &plan, query).await?;
            tx.commit().await?;
            Ok(result)
        }
        .await;
        Ok(result?)
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
        let _written = self.resume.write(tenant.as_str());
        if Kind::of(schema)? != Kind::HostGroup {
            return Err(error::no_members(schema));
        }
        let tenant = tenant.as_str();
        let id = id.as_str();
        let last_modified = format_date_time(last_modified);
        let expect = Expect::of(expected);
        let add = delta
            .add
            .iter()
            .map(MemberRow::of)
            .collect::<Result<Vec<_>, _>>()?;
        // Ids that cannot be resource ids are nobody's: nothing to remove
        // (and PostgreSQL text could not even hold a NUL among them).
        let remove: Vec<&str> = delta
            .remove
            .iter()
            .map(String::as_str)
            .filter(|r| ResourceId::new(*r).is_ok())
            .collect();
        let mut client = self.client().await?;
        let result: Result<i64, Fail> = async {
            let tx = client.transaction().await?;
            // One round trip for three statements (tokio-postgres pipelines
            // queries polled together; the server runs them in the order
            // sent): the tenant lock, the compare-and-swap with the row
            // lock that makes concurrent changes of this group take turns,
            // and the last position, read under that lock.
            let expected = expect.bind();
            let bump_params: [&(dyn ToSql + Sync); 4] = [&tenant, &id, &last_modified, &expected];
            let max_position = async {
                if add.is_empty() {
                    Ok(None)
                } else {
                    row_opt(&tx, sql::MAX_POSITION, &[&tenant, &id]).await
                }
            };
            let ((), bumped, last) = tokio::try_join!(
                lock_tenant(&tx, tenant),
                row_opt(&tx, sql::BUMP_GROUP, &bump_params),
                max_position,
            )?;
            let revision: i64 = match bumped {
                Some(r) => r.try_get(0)?,
                None => {
                    expect.check(revision(&tx, sql::GROUP_REVISION, tenant, id).await?)?;
                    return Err(StoreError::VersionMismatch.into());
                }
            };
            let mut rows = 0;
            if delta.remove_all {
                rows += execute(&tx, sql::DELETE_ALL_MEMBERS, &[&tenant, &id]).await?;
            }
            if !remove.is_empty() {
                rows += execute(&tx, sql::DELETE_MEMBERS, &[&tenant, &id, &remove]).await?;
            }
            let last: i64 = match last {
                Some(r) => r.try_get(0)?,
                None => 0,
            };
            // The group's lastModified key goes with the member rows, in
            // the same round trips; rolled back with them if nothing
            // changed.
            let (added, ()) = tokio::try_join!(
                insert_members(&tx, tenant, id, &add, last, self.check_members),
                keys::bump_last_modified(
                    &tx,
                    &self.indexes.groups,
                    sql::SET_GROUP_LAST_MODIFIED_KEY,
                    tenant,
                    id,
                    &last_modified,
                ),
            )?;
            rows += added;
            if rows == 0 {
                // Nothing changed (a retried add or remove): undo the
                // revision bump, so version and lastModified stay.
                tx.rollback().await?;
                return Ok(revision - 1);
            }
            tx.commit().await?;
            Ok(revision)
        }
        .await;
        Ok(Version::from_revision(document::revision_u64(result?)))
    }
}

impl PgDb {
    /// A query without a filter whose sort an index serves (or without a
    /// sort) as a [`walk`]; `None` when the evaluator must sort, which the
    /// scan budget allows.
    async fn unfiltered_walk(
        &self,
        client: &mut deadpool_postgres::Client,
        tenant: &str,
        kind: Kind,
        schema: &ResourceSchema,
        plan: &query::Plan,
        query: &ListQuery,
    ) -> Result<Option<QueryResult>, StoreError> {
        let walk = walk::plan(self.indexes.of(kind), schema, query, None)?;
        let result: Result<Option<QueryResult>, Fail> = async {
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let result = match &walk {
                Some(walk) => {
                    tx.batch_execute(sql::NO_SEQUENTIAL_SCANS).await?;
                    Some(keys::walk_page(&tx, tenant, kind, plan, walk, query, &self.resume).await?)
                }
                None => {
                    let count = match kind {
                        Kind::Host => sql::HOSTS_COUNT,
                        Kind::HostGroup => sql::GROUPS_COUNT,
                    };
                    let total: i64 = match tx.query(count, &[&tenant]).await?.first() {
                        Some(r) => r.try_get(0)?,
                        None => 0,
                    };
                    if u64::try_from(total).unwrap_or(0) > self.scan_budget {
                        let by: Vec<String> = query.sort.iter().map(|s| s.by.to_string()).collect();
                        return Err(index::too_many(kind, &by, self.scan_budget).into());
                    }
                    None
                }
            };
            tx.commit().await?;
            Ok(result)
        }
        .await;
        Ok(result?)
    }

    /// A filtered query without a hint: the secondary indexes narrow it
    /// (or the tenant is scanned in batches within the budget), in one
    /// snapshot.
    #[allow(clippy::too_many_arguments)]
    async fn indexed_query(
        &self,
        client: &mut deadpool_postgres::Client,
        tenant: &str,
        kind: Kind,
        schema: &ResourceSchema,
        plan: &query::Plan,
        filter: &scim_core::filter::Filter,
        query: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        let access = index::access(
            self.indexes.of(kind),
            kind,
            schema,
            filter,
            query,
            Dialect::Postgres,
        )?;
        let matcher = filter
            .matcher(schema as &dyn SchemaFacts)
            .map_err(|e| StoreError::invalid_query(e.into()))?;
        let result: Result<QueryResult, Fail> = async {
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            // The statistics of `key` mix every index's keys, so the
            // planner misjudges one index's key range (a dateTime index's
            // empty text range looks like every text key of the table) and
            // scans the whole table. Index rows are only ever read through
            // their primary key's (tenant, index) prefix.
            tx.batch_execute(sql::NO_SEQUENTIAL_SCANS).await?;
            let loaded = keys::load(
                &tx,
                tenant,
                kind,
                plan,
                &access,
                &matcher,
                self.scan_budget,
                query,
                &self.resume,
            )
            .await?;
            let matches = match loaded {
                keys::Loaded::Page(result) => {
                    tx.commit().await?;
                    return Ok(result);
                }
                keys::Loaded::Matches(matches) => matches,
            };
            let mut result = query::finish(schema, plan, &matches, query)?;
            drop(matches);
            if kind == Kind::Host
                && plan.groups == query::GroupsLoad::Returned
                && !result.resources.is_empty()
            {
                let ids: Vec<&str> = result.resources.iter().map(|r| r.id().as_str()).collect();
                let mut groups = groups_of_hosts(&tx, tenant, &ids).await?;
                for r in &mut result.resources {
                    let g = groups.remove(r.id().as_str()).unwrap_or_default();
                    set_groups(r, g)?;
                }
            }
            tx.commit().await?;
            Ok(result)
        }
        .await;
        Ok(result?)
    }
}

#[cfg(test)]
mod tests;
