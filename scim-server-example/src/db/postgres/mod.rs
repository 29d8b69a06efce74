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
//! write outlives `tenant delete` (`lock_tenant` in [`store`]).
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
mod store;
mod tenant;
mod tls;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use scim_core::resource::{format_date_time, now};
use scim_core::store::StoreError;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use self::nul::enc;
use super::document::{self};
use super::error::Failure;
use super::fail::DriverError;
use super::group::{self};
use super::index::Indexes;
use super::names::{ClashingGroup, DuplicateGroupNames, GroupChange, Remaining};
use super::walk::Resume;
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
        self.member_reads.load(std::sync::atomic::Ordering::Relaxed)
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
                if constraint == Some(sql::GROUP_NAME_INDEX) {
                    StoreError::conflict_on(
                        "displayName",
                        "displayName is already taken by another group (names are compared \
                         ignoring case)",
                    )
                } else {
                    StoreError::conflict("a unique attribute's value is already taken")
                }
            }
            Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => {
                StoreError::invalid_reference("a member is not a User or Group of this tenant")
            }
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

#[cfg(test)]
mod tests;
