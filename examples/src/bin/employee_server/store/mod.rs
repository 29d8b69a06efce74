//! [`EmployeeStore`]: a [`ResourceStore`] over the application's own
//! tables, `employees`, `teams` and `team_members`.
//!
//! * **Rows, not documents.** [`mapping`](super::mapping) maps each SCIM
//!   attribute the application has a column for to that column, and keeps
//!   the rest in a JSON overflow column, `scim_extra`.
//! * **Filters.** `userName eq`, `externalId eq` and `id eq`, alone or
//!   inside a top-level `and`, are answered from the columns' indexes.
//!   Every other filter loads the tenant's rows of that type. In both
//!   cases [`evaluate`] filters, sorts and pages the candidates, so the
//!   answer is exactly the evaluator's.
//! * **Writes.** Each write is one transaction. `replace`, `delete` and
//!   `modify_members` check the version in the `UPDATE`'s `WHERE`
//!   (optimistic concurrency) and bump it. A unique index on the folded
//!   e-mail enforces `userName` uniqueness.
//! * **One connection.** The store holds a single SQLite connection
//!   behind a mutex and works synchronously, without an `.await`. A
//!   production store would use a pool and `spawn_blocking`. The SQL
//!   stays the same, because the guarantees come from the statements,
//!   not from the mutex. With SQLite, begin write transactions with
//!   `BEGIN IMMEDIATE`.
//!
//! What it does not do, and says so:
//!
//! * It holds `User` and `Group` only, and enforces uniqueness of
//!   `userName` only. [`EmployeeStore::check_registry`] refuses a registry
//!   that asks for more, at start-up.
//! * A `members` element may carry `value`, `display`, `type` and `$ref`,
//!   which have columns. Anything else is refused with `400 invalidValue`,
//!   not dropped.
//! * Attributes without a column live in `scim_extra`. They round-trip and
//!   filter correctly, but a filter on them reads every row of the tenant,
//!   and the application's own code, which reads the columns, does not see
//!   them.
//!
//! [`sql`] holds the tables and the statements that write them, [`read`]
//! the reads and the filters the columns answer.

mod read;
mod sql;

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, Transaction, params};
use scim_core::async_trait;
use scim_core::id::{ResourceId, Version};
use scim_core::list::{ListQuery, QueryResult, evaluate};
use scim_core::project::Projection;
use scim_core::resource::{Resource, format_date_time, now};
use scim_core::schema::{Registry, ResourceSchema, Uniqueness};
use scim_core::store::{MemberDelta, ResourceStore, StoreError, TenantId};
use scim_core::time::OffsetDateTime;

use self::read::{candidates, load};
use self::sql::{
    SCHEMA, check_members_exist, current_version, exists, extra_text, insert_employee,
    insert_members, member_ids, update_employee,
};
use crate::mapping::{Employee, Team, TeamMember};

/// A [`ResourceStore`] over the `employees`, `teams` and `team_members`
/// tables of one SQLite database.
pub(crate) struct EmployeeStore {
    conn: Mutex<Connection>,
}

impl EmployeeStore {
    /// The store over the database file at `path`, with the tables
    /// created if they are missing.
    pub(crate) fn open(path: impl AsRef<Path>) -> rusqlite::Result<Self> {
        Self::new(Connection::open(path)?)
    }

    /// A store over a fresh in-memory database.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn in_memory() -> rusqlite::Result<Self> {
        Self::new(Connection::open_in_memory()?)
    }

    fn new(conn: Connection) -> rusqlite::Result<Self> {
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Checks that the tables can hold what `registry` describes: the
    /// resource types `User` and `Group` only, and no attribute unique
    /// but `userName` (uniqueness needs an index the tables do not have).
    /// Call it at start-up, so that a registry the store cannot serve
    /// stops the server instead of failing requests.
    pub(crate) fn check_registry(registry: &Registry) -> Result<(), Unsupported> {
        for schema in registry.resource_types() {
            let kind = Kind::of(schema)?;
            let attributes = schema
                .core()
                .attributes
                .iter()
                .chain(schema.extensions().flat_map(|(s, _)| &s.attributes));
            for attribute in attributes {
                let allowed = kind == Kind::Employee && attribute.name == "userName";
                if attribute.uniqueness != Uniqueness::None && !allowed {
                    return Err(Unsupported(format!(
                        "{} {} is unique, but the tables have no unique index for it",
                        schema.name(),
                        attribute.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Runs `work` in a transaction that commits if it succeeds.
    fn write<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn.transaction().map_err(StoreError::backend)?;
        let out = work(&tx)?;
        tx.commit().map_err(StoreError::backend)?;
        Ok(out)
    }

    /// Runs `work` over the connection.
    fn read<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        work(&conn)
    }
}

impl fmt::Debug for EmployeeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmployeeStore").finish_non_exhaustive()
    }
}

/// The resource types the tables hold.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Kind {
    /// `User`, in `employees`.
    Employee,
    /// `Group`, in `teams` and `team_members`.
    Team,
}

impl Kind {
    fn of(schema: &ResourceSchema) -> Result<Self, Unsupported> {
        match schema.name() {
            "User" => Ok(Self::Employee),
            "Group" => Ok(Self::Team),
            other => Err(Unsupported(format!("the tables hold no {other} resources"))),
        }
    }

    fn table(self) -> &'static str {
        match self {
            Self::Employee => "employees",
            Self::Team => "teams",
        }
    }
}

/// A registry or resource type the tables cannot hold.
#[derive(Debug)]
pub(crate) struct Unsupported(String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

fn kind(schema: &ResourceSchema) -> Result<Kind, StoreError> {
    Kind::of(schema).map_err(StoreError::backend)
}

#[async_trait]
impl ResourceStore for EmployeeStore {
    async fn create(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        let kind = kind(schema)?;
        self.write(|tx| {
            let id = resource.id().as_str();
            if exists(tx, tenant, Kind::Employee, id)? || exists(tx, tenant, Kind::Team, id)? {
                return Err(StoreError::conflict_on(
                    "id",
                    format!("a resource with id {id:?} already exists"),
                ));
            }
            match kind {
                Kind::Employee => insert_employee(tx, tenant, &Employee::from_resource(&resource)?)?,
                Kind::Team => {
                    let (team, members) = Team::from_resource(&resource)?;
                    check_members_exist(tx, tenant, members.iter().map(|m| m.member_id.as_str()))?;
                    tx.execute(
                        "INSERT INTO teams (tenant, id, name, external_id, version, created, modified, scim_extra)
                         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7)",
                        params![
                            tenant.as_str(), team.id, team.name, team.external_id, team.created,
                            team.modified, extra_text(&team.extra)?,
                        ],
                    )
                    .map_err(StoreError::backend)?;
                    insert_members(tx, tenant, &team.id, 0, &members)?;
                }
            }
            load(tx, tenant, schema, kind, id, &Projection::all())?.ok_or(StoreError::NotFound)
        })
    }

    async fn get(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        projection: &Projection,
    ) -> Result<Option<Resource>, StoreError> {
        let kind = kind(schema)?;
        self.read(|conn| load(conn, tenant, schema, kind, id.as_str(), projection))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        let kind = kind(schema)?;
        self.write(|tx| {
            let id = resource.id().as_str();
            let current = current_version(tx, tenant, kind, id)?;
            if Some(current) != revision(expected) {
                return Err(StoreError::VersionMismatch);
            }
            let changed =
                match kind {
                    Kind::Employee => {
                        update_employee(tx, tenant, &Employee::from_resource(&resource)?, current)?
                    }
                    Kind::Team => {
                        let (team, members) = Team::from_resource(&resource)?;
                        let old: HashSet<String> =
                            member_ids(tx, tenant, id)?.into_iter().collect();
                        check_members_exist(
                            tx,
                            tenant,
                            members
                                .iter()
                                .map(|m| m.member_id.as_str())
                                .filter(|m| !old.contains(*m)),
                        )?;
                        let changed = tx
                        .execute(
                            "UPDATE teams SET name = ?3, external_id = ?4, version = version + 1,
                                 created = ?5, modified = ?6, scim_extra = ?7
                             WHERE tenant = ?1 AND id = ?2 AND version = ?8",
                            params![
                                tenant.as_str(), id, team.name, team.external_id, team.created,
                                team.modified, extra_text(&team.extra)?, current,
                            ],
                        )
                        .map_err(StoreError::backend)?;
                        tx.execute(
                            "DELETE FROM team_members WHERE tenant = ?1 AND team_id = ?2",
                            params![tenant.as_str(), id],
                        )
                        .map_err(StoreError::backend)?;
                        insert_members(tx, tenant, id, 0, &members)?;
                        changed
                    }
                };
            if changed != 1 {
                return Err(StoreError::VersionMismatch);
            }
            load(tx, tenant, schema, kind, id, &Projection::all())?.ok_or(StoreError::NotFound)
        })
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        let kind = kind(schema)?;
        self.write(|tx| {
            let id = id.as_str();
            let current = current_version(tx, tenant, kind, id)?;
            if expected.is_some_and(|v| revision(v) != Some(current)) {
                return Err(StoreError::VersionMismatch);
            }
            let sql = format!(
                "DELETE FROM {} WHERE tenant = ?1 AND id = ?2 AND version = ?3",
                kind.table()
            );
            if tx
                .execute(&sql, params![tenant.as_str(), id, current])
                .map_err(StoreError::backend)?
                != 1
            {
                return Err(StoreError::VersionMismatch);
            }
            tx.execute(
                "DELETE FROM team_members WHERE tenant = ?1 AND team_id = ?2",
                params![tenant.as_str(), id],
            )
            .map_err(StoreError::backend)?;
            // Out of every team that lists it; each of them changes.
            tx.execute(
                "UPDATE teams SET version = version + 1, modified = ?3
                 WHERE tenant = ?1 AND id IN
                     (SELECT team_id FROM team_members WHERE tenant = ?1 AND member_id = ?2)",
                params![tenant.as_str(), id, format_date_time(now())],
            )
            .map_err(StoreError::backend)?;
            tx.execute(
                "DELETE FROM team_members WHERE tenant = ?1 AND member_id = ?2",
                params![tenant.as_str(), id],
            )
            .map_err(StoreError::backend)?;
            Ok(())
        })
    }

    async fn query(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        query: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        let kind = kind(schema)?;
        let candidates = self.read(|conn| candidates(conn, tenant, schema, kind, query))?;
        let mut result = evaluate(schema, &candidates, query).map_err(StoreError::invalid_query)?;
        // What was loaded only for the filter or the sort stays out of the
        // page (`GET /Groups?filter=members[…]&excludedAttributes=members`).
        for key in ["members", "groups"] {
            if !query.projection.includes(key) {
                for resource in &mut result.resources {
                    resource
                        .set_computed(key, None)
                        .map_err(StoreError::backend)?;
                }
            }
        }
        Ok(result)
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
        if kind(schema)? != Kind::Team {
            return Err(StoreError::invalid_reference(format!(
                "{} resources have no members",
                schema.name()
            )));
        }
        self.write(|tx| {
            let id = id.as_str();
            let current = current_version(tx, tenant, Kind::Team, id)?;
            if expected.is_some_and(|v| revision(v) != Some(current)) {
                return Err(StoreError::VersionMismatch);
            }
            let present: HashSet<String> = member_ids(tx, tenant, id)?.into_iter().collect();
            let added = delta.add.iter().map(TeamMember::from_json).collect::<Result<Vec<_>, _>>()?;
            let new: Vec<&TeamMember> = added
                .iter()
                .filter(|m| delta.remove_all || !present.contains(&m.member_id))
                .collect();
            let removes = if delta.remove_all {
                !present.is_empty()
            } else {
                delta.remove.iter().any(|m| present.contains(m))
            };
            // Adding a member that is there, or removing one that is not,
            // changes nothing, so neither the version nor lastModified moves.
            if !removes && new.is_empty() {
                return version_of(current);
            }
            check_members_exist(
                tx,
                tenant,
                new.iter().map(|m| m.member_id.as_str()).filter(|m| !present.contains(*m)),
            )?;
            if delta.remove_all {
                tx.execute(
                    "DELETE FROM team_members WHERE tenant = ?1 AND team_id = ?2",
                    params![tenant.as_str(), id],
                )
                .map_err(StoreError::backend)?;
            } else {
                for member in &delta.remove {
                    tx.execute(
                        "DELETE FROM team_members WHERE tenant = ?1 AND team_id = ?2 AND member_id = ?3",
                        params![tenant.as_str(), id, member],
                    )
                    .map_err(StoreError::backend)?;
                }
            }
            let last: i64 = tx
                .query_row(
                    "SELECT COALESCE(MAX(position), 0) FROM team_members WHERE tenant = ?1 AND team_id = ?2",
                    params![tenant.as_str(), id],
                    |r| r.get(0),
                )
                .map_err(StoreError::backend)?;
            let new: Vec<TeamMember> = new.into_iter().cloned().collect();
            insert_members(tx, tenant, id, last, &new)?;
            let changed = tx
                .execute(
                    "UPDATE teams SET version = version + 1, modified = ?3
                     WHERE tenant = ?1 AND id = ?2 AND version = ?4",
                    params![tenant.as_str(), id, format_date_time(last_modified), current],
                )
                .map_err(StoreError::backend)?;
            if changed != 1 {
                return Err(StoreError::VersionMismatch);
            }
            version_of(current + 1)
        })
    }
}

/// The revision a version names, if it is one this store issued.
fn revision(version: &Version) -> Option<i64> {
    version.revision().and_then(|r| i64::try_from(r).ok())
}

fn version_of(revision: i64) -> Result<Version, StoreError> {
    u64::try_from(revision)
        .map(Version::from_revision)
        .map_err(StoreError::backend)
}
#[cfg(test)]
impl EmployeeStore {
    /// The `employees` row of `id` as JSON, for tests that look at the
    /// columns.
    pub(crate) fn row_of(&self, id: &str) -> serde_json::Value {
        let conn = self.conn.lock().unwrap();
        conn.query_row(
            "SELECT email, email_folded, external_id, given_name, family_name, active,
                    department, version, scim_extra
             FROM employees WHERE id = ?1",
            params![id],
            |r| {
                let extra: String = r.get(8)?;
                Ok(serde_json::json!({
                    "email": r.get::<_, String>(0)?,
                    "email_folded": r.get::<_, String>(1)?,
                    "external_id": r.get::<_, Option<String>>(2)?,
                    "given_name": r.get::<_, Option<String>>(3)?,
                    "family_name": r.get::<_, Option<String>>(4)?,
                    "active": r.get::<_, Option<i64>>(5)?,
                    "department": r.get::<_, Option<String>>(6)?,
                    "version": r.get::<_, i64>(7)?,
                    "scim_extra": serde_json::from_str::<serde_json::Value>(&extra).unwrap(),
                }))
            },
        )
        .unwrap()
    }
}
