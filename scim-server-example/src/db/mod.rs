//! The Sign In Enterprise database: hosts and host groups in the product's
//! own tables, tenants and their token hashes, behind the library's
//! `ResourceStore` trait. Embedded SQLite by default; PostgreSQL when
//! several server processes share one database.
//!
//! * [`open`] connects and migrates; both backends keep the same tables
//!   (see `sqlite/sql.rs` and `postgres/sql.rs`): `tenants`, `hosts`,
//!   `host_groups`, `memberships` and `schema_version`.
//! * `host` and `group` map SCIM JSON to the product's typed columns,
//!   `members` to `memberships` rows and back; `document` writes and reads
//!   the stored JSON, `kind` says which table a type lives in, `key` names
//!   the attributes, and `error` holds the store's own errors.
//! * `query` plans list queries: an index lookup narrows the rows, the
//!   library's evaluator decides the exact result.
//! * `index` maintains the registry's declared indexes in `host_keys` and
//!   `group_keys` and renders planned filters as SQL.
//!
//! # Tables
//!
//! * `tenants(id, name UNIQUE, token_hash UNIQUE, created, token_created,
//!   token_last_used, previous_token_hash UNIQUE, previous_token_expires,
//!   previous_token_last_used)`: only SHA-256 hashes of tokens; the
//!   previous token is the one the last rotation replaced, working until
//!   `previous_token_expires`; times of tokens are Unix seconds.
//! * `hosts`: one row per SCIM User, primary key `(tenant_id, id)`; the
//!   product's typed columns (`user_name`, `given_name`, `family_name`,
//!   `work_email`, `other_email`, `work_phone`, `mobile_phone`,
//!   `organization`, `department`, `visible` = `active`), derived in Rust
//!   from the JSON on every write; `user_name_key` (the Unicode-lower-cased
//!   `userName`) with a unique index per tenant; `revision`, `created`,
//!   `last_modified`; `doc`, the whole resource JSON without the computed
//!   `groups`.
//! * `host_groups`: one row per SCIM Group, `display_name(_key)`,
//!   `display_name_unique` (the folded name when names are unique, else
//!   `NULL`), `external_id`, `revision`, …, and `doc` without `members`.
//! * `memberships(tenant_id, group_id, member_id, …, position)`: one row
//!   per member, in insertion order; foreign keys to the group and to the
//!   member (a host or a host group of the same tenant) cascade on delete.
//! * `index_names`, `host_keys`, `group_keys`, `host_texts`/`group_texts`
//!   (SQLite, with FTS5 trigram tables): the secondary indexes of the
//!   registry's declared attributes, see `index.rs`.
//! * `schema_version`: the applied migrations.
//!
//! # Guarantees and limits
//!
//! Both backends pass the library's store conformance suite. Writes are
//! compare-and-swap on `revision`; `userName` (the only `uniqueness:
//! server` attribute of the standard schemas besides `id`) is unique per
//! tenant, ignoring case as the filter evaluator does; ids are unique
//! across hosts and host groups of a tenant; deleting a host or group
//! removes it from every group and gives those groups a new version.
//! When the registry makes Group `displayName` unique (the Sign In
//! Enterprise profile, `crate::profile`), group names are unique per
//! tenant, ignoring case, through `host_groups.display_name_unique` and its
//! unique index (schema version 3). A database whose groups already break
//! the rule is not migrated: [`open`] fails with
//! [`DbError::DuplicateGroupNames`], which lists them, and the `groups
//! rename` / `groups delete` commands ([`names`]) resolve them on the
//! unmigrated database.
//! Uniqueness a custom registry adds to other attributes is not enforced:
//! the store serves the standard User and Group types, and refuses any
//! other resource type.

mod document;
mod error;
mod expect;
mod fail;
mod group;
mod host;
mod index;
mod key;
mod kind;
mod members;
pub(crate) mod names;
mod postgres;
mod query;
mod sqlite;
#[cfg(test)]
pub(crate) mod testing;
mod walk;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use scim_core::ResourceStore;
use scim_core::schema::Registry;

/// Where the data lives.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Target {
    /// An SQLite database file, created on first use.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://…`).
    Postgres(String),
}

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    /// No such tenant.
    #[error("no tenant named {0:?}")]
    NoSuchTenant(String),
    /// A tenant with that name exists.
    #[error("a tenant named {0:?} already exists")]
    TenantExists(String),
    /// No host group with this id in the tenant.
    #[error("the tenant has no host group with id {0:?} (see `groups list`)")]
    NoSuchGroup(String),
    /// Another host group of the tenant has this name (ignoring case).
    #[error("another host group of the tenant is named {0:?} (names are compared ignoring case)")]
    GroupNameTaken(String),
    /// The migration to unique group names found duplicates, and the
    /// database stays at its version.
    #[error(transparent)]
    DuplicateGroupNames(names::DuplicateGroupNames),
    /// Anything the database or the driver reported.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A customer account.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct Tenant {
    /// The tenant id used to scope SCIM data.
    pub id: String,
    /// The unique name an admin gave it.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created: String,
}

/// A tenant with what `tenant list` shows about its tokens.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct TenantRecord {
    /// The tenant.
    pub tenant: Tenant,
    /// When its current token was created (Unix seconds); `None` for a
    /// token older than this column (use the tenant's `created`).
    pub token_created: Option<i64>,
    /// When the current token was last used (Unix seconds, recorded at
    /// most about once a minute).
    pub token_last_used: Option<i64>,
    /// The token replaced by the last rotation, while it has one.
    pub previous: Option<PreviousToken>,
}

/// A rotated-out token that keeps working until its grace period ends.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) struct PreviousToken {
    /// When it stops working (Unix seconds).
    pub expires: i64,
    /// When it was last used (Unix seconds).
    pub last_used: Option<i64>,
}

/// Tenants and their bearer-token hashes. Only SHA-256 hashes of tokens are
/// stored. Each tenant has a current token and, after a rotation with a
/// grace period, the previous one until the period ends; both are in the
/// database, so every server process sees a rotation or revocation.
#[async_trait]
pub(crate) trait TenantStore: Send + Sync + std::fmt::Debug {
    /// Creates a tenant with this token hash.
    async fn create_tenant(&self, name: &str, token_hash: &[u8; 32]) -> Result<Tenant, DbError>;
    /// The tenant whose current token, or previous token still in its
    /// grace period at `now` (Unix seconds), has this hash.
    async fn tenant_by_token_hash(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<Tenant>, DbError>;
    /// Makes `token_hash` the tenant's current token at `now` (Unix
    /// seconds). The token it replaces keeps working until `grace_until`
    /// (never, for `None`); a previous token from an earlier rotation stops
    /// working at once.
    async fn rotate_token(
        &self,
        name: &str,
        token_hash: &[u8; 32],
        now: i64,
        grace_until: Option<i64>,
    ) -> Result<Tenant, DbError>;
    /// Ends the grace period of the tenant's previous token; the current
    /// token keeps working. `true` when a previous token was still working
    /// at `now`.
    async fn revoke_previous_token(&self, name: &str, now: i64) -> Result<bool, DbError>;
    /// Records when tokens were last used: `(token hash, Unix seconds)`,
    /// current or previous. A time older than the recorded one is ignored
    /// (several server processes record the same token).
    async fn record_token_use(&self, uses: Vec<([u8; 32], i64)>) -> Result<(), DbError>;
    /// Every tenant, by name, with its tokens' dates.
    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, DbError>;
    /// Deletes a tenant with all its hosts, groups and memberships.
    async fn delete_tenant(&self, name: &str) -> Result<(), DbError>;
    /// Touches the database (`SELECT 1`) on a pooled connection, for
    /// `/readyz`.
    async fn ping(&self) -> Result<(), DbError>;
}

/// A host as the product sees it.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub(crate) struct HostRow {
    /// SCIM id.
    pub id: String,
    /// userName.
    pub user_name: String,
    /// name.givenName.
    pub given_name: Option<String>,
    /// name.familyName.
    pub family_name: Option<String>,
    /// emails[type eq "work"].value.
    pub work_email: Option<String>,
    /// phoneNumbers[type eq "work"].value.
    pub work_phone: Option<String>,
    /// phoneNumbers[type eq "mobile"].value.
    pub mobile_phone: Option<String>,
    /// Enterprise `department`.
    pub department: Option<String>,
    /// Whether the product shows the host (SCIM `active`).
    pub visible: bool,
}

/// A host group as the product sees it.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub(crate) struct GroupRow {
    /// SCIM id.
    pub id: String,
    /// displayName.
    pub display_name: String,
    /// Number of members (hosts, visible or not, and host groups).
    pub member_count: u64,
    /// Number of visible hosts among the members (the product shows only
    /// these).
    pub visible_hosts: u64,
}

/// The product's read side, for the CLI.
#[async_trait]
pub(crate) trait ProductView: Send + Sync + std::fmt::Debug {
    /// The tenant's hosts by userName; invisible ones only with `all`.
    async fn hosts(&self, tenant_id: &str, all: bool) -> Result<Vec<HostRow>, DbError>;
    /// The tenant's host groups by displayName, with member counts (all
    /// members, and visible hosts).
    async fn host_groups(&self, tenant_id: &str) -> Result<Vec<GroupRow>, DbError>;
}

/// One opened database, seen through its three roles.
#[derive(Clone, Debug)]
pub(crate) struct Database {
    /// SCIM resources (hosts are Users, host groups are Groups).
    pub scim: Arc<dyn ResourceStore>,
    /// Tenants and tokens.
    pub tenants: Arc<dyn TenantStore>,
    /// The product's read side.
    pub product: Arc<dyn ProductView>,
}

/// Opens the database, creating the schema or migrating it to the current
/// version first. Migrations are idempotent and safe when several server
/// processes open the same database at once.
///
/// # Errors
///
/// [`DbError::Backend`] when the database cannot be reached or created, or
/// its schema is newer than this server knows;
/// [`DbError::DuplicateGroupNames`] when two groups of a tenant share a
/// name and the migration to unique names cannot run (nothing is changed).
pub(crate) async fn open(target: &Target, options: Options) -> Result<Database, DbError> {
    match target {
        Target::Sqlite(path) => sqlite::open(path, options).await,
        Target::Postgres(url) => postgres::open(url, options).await,
    }
}

/// Behaviour the operator chooses where RFC 7644 allows two answers, and
/// what the store indexes.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// Refuse group members that are neither hosts nor host groups of the
    /// tenant (`400 invalidValue`). RFC 7644 does not require the check;
    /// Entra ID only sends ids it got from us, and the product needs real
    /// hosts, so it is on by default.
    pub(crate) check_member_references: bool,
    /// The most resources a filter that no index narrows may read; beyond
    /// it the query is refused with `400 tooMany` naming the unindexed
    /// attributes.
    pub(crate) scan_budget: u64,
    /// The registry whose declared indexes ([`ResourceSchema::indexes`](
    /// scim_core::schema::ResourceSchema::indexes)) the store maintains:
    /// at start-up, indexes declared since the last start are built from
    /// the stored documents and rows of removed ones are deleted.
    pub(crate) registry: Arc<Registry>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            check_member_references: true,
            scan_budget: index::DEFAULT_SCAN_BUDGET,
            registry: Arc::new(Registry::standard()),
        }
    }
}

/// A new tenant id: 128 random bits from the operating system, as 32
/// lower-case hex digits.
fn new_tenant_id() -> Result<String, DbError> {
    let mut bytes = [0_u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        DbError::Backend(Box::new(error::Failure(format!(
            "no randomness from the operating system: {e}"
        ))))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
