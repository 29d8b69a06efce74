//! The embedded SQLite backend: one database file in WAL mode with
//! `synchronous=FULL`; one writer thread that runs every resource and
//! tenant write, in group commits (`writer.rs` says how); pooled
//! connections for long reads, run on tokio's blocking threads through
//! deadpool-sqlite's `interact`; and a few dedicated connections for point
//! reads through an index, run inline on the async thread (`readers.rs`
//! says why).
//!
//! SQLite lets one writer in at a time; every write runs inside one
//! `BEGIN IMMEDIATE` transaction, in its own savepoint, so its checks
//! (version, `userName` taken, member exists) and its writes are atomic,
//! and it is answered only after that transaction commits. The unique
//! index on `(tenant_id, user_name_key)` and the membership foreign keys
//! back the checks up. Each write first checks, inside the transaction,
//! that its tenant still exists, so no write outlives `tenant delete`.
//! Reads run in deferred transactions and see one snapshot.

mod keys;
mod readers;
mod row;
mod sql;
mod store;
mod tenant;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use deadpool_sqlite::{Config, Hook, HookError, Pool, Runtime};
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params,
};
use scim_core::resource::{format_date_time, now};
use scim_core::store::StoreError;

use self::readers::{Readers, is_busy};
use self::writer::Writer;
use super::document::{self};
use super::error::Failure;
use super::fail::DriverError;
use super::group::{self};
use super::index::Indexes;
use super::names::{ClashingGroup, DuplicateGroupNames, GroupChange, Remaining};
use super::walk::Resume;
use super::{Database, DbError, Options};

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection (more than this backend has,
/// counting the multi-row inserts of `keys::write_keys`, one per row count).
const STATEMENT_CACHE: usize = 192;

/// Opens (creating if needed) the database file and brings its schema up to
/// date.
pub(crate) async fn open(path: &Path, options: Options) -> Result<Database, DbError> {
    let store = Arc::new(
        SqliteDb::open_with(path, &options)
            .await?
            .with_options(options),
    );
    Ok(Database {
        scim: store.clone(),
        tenants: store.clone(),
        product: store,
    })
}

/// The SQLite implementation of the three database roles.
#[derive(Clone)]
pub(crate) struct SqliteDb {
    pool: Pool,
    /// Connections for point reads on the calling thread.
    readers: Arc<Readers>,
    /// The connection every resource write goes through, in groups.
    writer: Arc<Writer>,
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
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb").finish_non_exhaustive()
    }
}

impl SqliteDb {
    /// Opens the pool and migrates, maintaining the standard registry's
    /// indexes.
    #[cfg(test)]
    pub(crate) async fn open(path: &Path) -> Result<Self, DbError> {
        Self::open_with(path, &Options::default()).await
    }

    /// Opens the pool, migrates and brings the indexes in line with
    /// `options.registry`.
    pub(crate) async fn open_with(path: &Path, options: &Options) -> Result<Self, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| DbError::Backend(Box::new(e)))?;
        }
        let pool = Config::new(path)
            .builder(Runtime::Tokio1)
            .map_err(|e| DbError::Backend(Box::new(e)))?
            .post_create(Hook::async_fn(|conn, _| {
                Box::pin(async move {
                    conn.interact(configure)
                        .await
                        .map_err(|e| HookError::message(format!("cannot configure SQLite: {e}")))?
                        .map_err(HookError::Backend)
                })
            }))
            .build()
            .map_err(|e| DbError::Backend(Box::new(e)))?;
        let migrated = pool
            .get()
            .await
            .map_err(|e| DbError::Backend(Box::new(e)))?
            .interact(migrate)
            .await
            .map_err(|e| DbError::Backend(Box::new(Failure(format!("SQLite call failed: {e}")))))?;
        migrated?;
        // After the migration, so that the readers find the schema (and
        // the file in WAL mode).
        let readers = {
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || Readers::open(&path))
                .await
                .map_err(|e| DbError::Backend(Box::new(e)))?
                .map_err(|e| DbError::Backend(Box::new(e)))?
        };
        let writer = {
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || -> Result<Writer, DbError> {
                let backend = |e: rusqlite::Error| DbError::Backend(Box::new(e));
                let mut conn = Connection::open(&path).map_err(backend)?;
                configure(&mut conn).map_err(backend)?;
                conn.execute_batch(sql::WRITER_PRAGMAS).map_err(backend)?;
                let mut checkpoints = Connection::open(&path).map_err(backend)?;
                configure(&mut checkpoints).map_err(backend)?;
                Writer::start(conn, checkpoints, keys::flush_texts)
                    .map_err(|e| DbError::Backend(Box::new(e)))
            })
            .await
            .map_err(|e| DbError::Backend(Box::new(e)))??
        };
        let mut db = Self {
            pool,
            readers: Arc::new(readers),
            writer: Arc::new(writer),
            check_members: true,
            member_reads: Arc::new(AtomicU64::new(0)),
            indexes: Arc::new(Indexes::default()),
            scan_budget: options.scan_budget,
            resume: Arc::new(Resume::default()),
        };
        let registry = options.registry.clone();
        db.indexes = Arc::new(db.run(move |conn| keys::sync(conn, &registry)).await?);
        Ok(db)
    }

    /// The same store with these options (the registry's indexes are
    /// synced by [`Self::open_with`]).
    pub(crate) fn with_options(mut self, options: Options) -> Self {
        self.check_members = options.check_member_references;
        self.scan_budget = options.scan_budget;
        self
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    async fn run<R, F>(&self, f: F) -> Result<R, Fail>
    where
        F: FnOnce(&mut Connection) -> Result<R, Fail> + Send + 'static,
        R: Send + 'static,
    {
        let conn = self
            .pool
            .get()
            .await
            .map_err(|e| Fail::Other(format!("no SQLite connection: {e}")))?;
        conn.interact(f)
            .await
            .map_err(|e| Fail::Other(format!("SQLite call failed: {e}")))?
    }

    /// Runs the write `f` in the writer's next group commit ([`writer`]);
    /// `f` may run more than once, each time on a transaction where its
    /// earlier run was rolled back.
    async fn write<R, F>(&self, f: F) -> Result<R, Fail>
    where
        F: Fn(&Connection) -> Result<R, Fail> + Send + 'static,
        R: Send + 'static,
    {
        self.writer.write(f).await
    }

    /// Runs the point read `f` inline on a free reader connection, else (all
    /// in use, or SQLite busy) like [`Self::run`] on the pool.
    async fn read<R, F>(&self, f: F) -> Result<R, Fail>
    where
        F: Fn(&mut Connection) -> Result<R, Fail> + Send + 'static,
        R: Send + 'static,
    {
        match self.readers.try_run(&f) {
            Some(Err(e)) if is_busy(&e) => self.run(f).await,
            Some(done) => done,
            None => self.run(f).await,
        }
    }

    /// How many member lists this handle has read.
    #[cfg(test)]
    pub(crate) fn member_reads(&self) -> u64 {
        self.member_reads.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Per-connection settings.
fn configure(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch(sql::CONNECTION_PRAGMAS)
}

/// Switches to WAL and applies missing migrations, in one immediate
/// transaction so that two processes opening the file at once take turns.
fn migrate(conn: &mut Connection) -> Result<(), Fail> {
    let _mode: String = conn.query_row(sql::WAL, [], |r| r.get(0))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(sql::SCHEMA_VERSION_TABLE, [])?;
    let current: i64 = tx.query_row(sql::SCHEMA_VERSION, [], |r| r.get(0))?;
    let known = i64::try_from(sql::MIGRATIONS.len()).unwrap_or(i64::MAX);
    if current > known {
        return Err(Fail::Other(format!(
            "the database schema is at version {current}, newer than this server's {known}; upgrade the server"
        )));
    }
    let now = format_date_time(now());
    for (version, migration) in (1..).zip(sql::MIGRATIONS) {
        if version > current {
            if *migration == sql::V3_GROUP_NAMES {
                // Refused, not patched over: the transaction rolls back
                // and the database stays at `current`.
                let groups = group_name_clashes(&tx)?;
                if !groups.is_empty() {
                    return Err(Fail::Tenant(DbError::DuplicateGroupNames(
                        DuplicateGroupNames {
                            version: current,
                            groups,
                        },
                    )));
                }
            }
            tx.execute_batch(migration)?;
            tx.execute(sql::RECORD_VERSION, params![version, now])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The groups that stop `V3_GROUP_NAMES` (see [`sql::GROUP_NAME_CLASHES`]).
fn group_name_clashes(conn: &Connection) -> rusqlite::Result<Vec<ClashingGroup>> {
    conn.prepare(sql::GROUP_NAME_CLASHES)?
        .query_map([], |r| {
            Ok(ClashingGroup {
                tenant: r.get(0)?,
                key: r.get(1)?,
                id: r.get(2)?,
                display_name: r.get(3)?,
                created: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()
        .map(super::names::in_order)
}

/// The schema version `V3_GROUP_NAMES` brings the database to.
fn group_names_version() -> i64 {
    sql::MIGRATIONS
        .iter()
        .position(|m| *m == sql::V3_GROUP_NAMES)
        .and_then(|i| i64::try_from(i + 1).ok())
        .unwrap_or(i64::MAX)
}

/// The repair commands on a database not yet migrated to unique group
/// names: applies `change` with plain SQL (on columns every version has)
/// and returns the duplicates left, or `None` without touching anything
/// when the database is already migrated (the caller then goes through
/// the store). Runs in one immediate transaction, so it takes turns with
/// servers opening the file.
pub(crate) async fn change_group_before_unique_names(
    path: &Path,
    tenant: &str,
    id: &str,
    change: &GroupChange,
) -> Result<Remaining, DbError> {
    let (path, tenant, id, change) = (
        path.to_owned(),
        tenant.to_owned(),
        id.to_owned(),
        change.clone(),
    );
    let run = move || -> Result<Remaining, Fail> {
        let mut conn = Connection::open(&path)?;
        configure(&mut conn)?;
        let tx = immediate(&mut conn)?;
        tx.execute(sql::SCHEMA_VERSION_TABLE, [])?;
        let current: i64 = tx.query_row(sql::SCHEMA_VERSION, [], |r| r.get(0))?;
        if current >= group_names_version() {
            return Ok(None);
        }
        let tenant_id: String = tx
            .query_row(sql::TENANT_BY_NAME, [&tenant], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Fail::Tenant(DbError::NoSuchTenant(tenant.clone())))?;
        let doc: String = tx
            .query_row(sql::GROUP_DOC, params![tenant_id, id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Fail::Tenant(DbError::NoSuchGroup(id.clone())))?;
        let now = format_date_time(now());
        match &change {
            GroupChange::Rename(name) => {
                let name_key = document::fold(name);
                let taken: Option<String> = tx
                    .query_row(
                        sql::OTHER_GROUP_WITH_NAME_KEY,
                        params![tenant_id, name_key, id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if taken.is_some() {
                    return Err(Fail::Tenant(DbError::GroupNameTaken(name.clone())));
                }
                let doc = group::renamed_doc(&doc, name)?;
                tx.execute(
                    sql::RENAME_GROUP,
                    params![tenant_id, id, name, name_key, doc, now],
                )?;
            }
            GroupChange::Delete => {
                tx.execute(sql::BUMP_GROUPS_OF_GROUP, params![tenant_id, id, now])?;
                tx.execute(sql::DELETE_GROUP, params![tenant_id, id])?;
            }
        }
        let remaining = group_name_clashes(&tx)?;
        tx.commit()?;
        Ok(Some(remaining))
    };
    Ok(tokio::task::spawn_blocking(run)
        .await
        .map_err(|e| DbError::Backend(Box::new(e)))??)
}

/// A failure inside an SQLite call.
type Fail = super::fail::Fail<rusqlite::Error>;

impl DriverError for rusqlite::Error {
    fn into_store_error(self) -> StoreError {
        match self.sqlite_error() {
            // The checks inside each transaction come first; these are
            // the constraints behind them.
            Some(s) if s.code == ErrorCode::ConstraintViolation => {
                if s.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY {
                    StoreError::invalid_reference("a member is not a User or Group of this tenant")
                } else if s.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    && self.to_string().contains("display_name_unique")
                {
                    StoreError::conflict_on(
                        "displayName",
                        "displayName is already taken by another group (names are compared \
                         ignoring case)",
                    )
                } else if s.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || s.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                {
                    StoreError::conflict("a unique attribute's value is already taken")
                } else {
                    StoreError::backend(self)
                }
            }
            _ => StoreError::backend(self),
        }
    }
}

fn immediate(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

#[cfg(test)]
mod tests;
