//! The tables and the statements that write them.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use scim_core::schema::JsonObject;
use scim_core::store::{StoreError, TenantId};

use super::Kind;
use crate::mapping::{Employee, TeamMember};

/// The application's tables, as it created them before it spoke SCIM,
/// plus `scim_extra` and the folded e-mail.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS employees (
    tenant       TEXT NOT NULL,
    id           TEXT NOT NULL,
    email        TEXT NOT NULL,
    email_folded TEXT NOT NULL,
    external_id  TEXT,
    given_name   TEXT,
    family_name  TEXT,
    active       INTEGER,
    department   TEXT,
    version      INTEGER NOT NULL,
    created      TEXT NOT NULL,
    modified     TEXT NOT NULL,
    scim_extra   TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, email_folded)
);
CREATE INDEX IF NOT EXISTS employees_external_id ON employees (tenant, external_id);
CREATE TABLE IF NOT EXISTS teams (
    tenant      TEXT NOT NULL,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    external_id TEXT,
    version     INTEGER NOT NULL,
    created     TEXT NOT NULL,
    modified    TEXT NOT NULL,
    scim_extra  TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS teams_external_id ON teams (tenant, external_id);
CREATE TABLE IF NOT EXISTS team_members (
    tenant    TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    member_id TEXT NOT NULL,
    position  INTEGER NOT NULL,
    display   TEXT,
    kind      TEXT,
    reference TEXT,
    PRIMARY KEY (tenant, team_id, member_id)
);
CREATE INDEX IF NOT EXISTS team_members_member ON team_members (tenant, member_id);
";

pub(super) const EMPLOYEE_COLUMNS: &str = "id, email, external_id, given_name, family_name, active, \
     department, version, created, modified, scim_extra";
pub(super) const TEAM_COLUMNS: &str =
    "id, name, external_id, version, created, modified, scim_extra";

pub(super) fn exists(
    conn: &Connection,
    tenant: &TenantId,
    kind: Kind,
    id: &str,
) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT 1 FROM {} WHERE tenant = ?1 AND id = ?2",
        kind.table()
    );
    conn.query_row(&sql, params![tenant.as_str(), id], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
        .map_err(StoreError::backend)
}

/// The row's version, or `NotFound`.
pub(super) fn current_version(
    conn: &Connection,
    tenant: &TenantId,
    kind: Kind,
    id: &str,
) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT version FROM {} WHERE tenant = ?1 AND id = ?2",
        kind.table()
    );
    conn.query_row(&sql, params![tenant.as_str(), id], |r| r.get(0))
        .optional()
        .map_err(StoreError::backend)?
        .ok_or(StoreError::NotFound)
}

/// Fails unless every id names an employee or a team of the tenant.
pub(super) fn check_members_exist<'a>(
    conn: &Connection,
    tenant: &TenantId,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), StoreError> {
    for id in ids {
        if !exists(conn, tenant, Kind::Employee, id)? && !exists(conn, tenant, Kind::Team, id)? {
            return Err(StoreError::invalid_reference_to(
                id,
                format!("member {id:?} does not exist"),
            ));
        }
    }
    Ok(())
}

pub(super) fn extra_text(extra: &JsonObject) -> Result<String, StoreError> {
    serde_json::to_string(extra).map_err(StoreError::backend)
}

/// `str::to_lowercase`, the evaluator's folding for attributes that are
/// not `caseExact`. SQLite's `lower()` and `NOCASE` fold only ASCII.
pub(super) fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Inserts a row, mapping the unique index on the folded e-mail to a
/// `uniqueness` conflict.
pub(super) fn insert_employee(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    e: &Employee,
) -> Result<(), StoreError> {
    tx.execute(
        &format!(
            "INSERT INTO employees (tenant, email_folded, {EMPLOYEE_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12)"
        ),
        params![
            tenant.as_str(),
            fold(&e.email),
            e.id,
            e.email,
            e.external_id,
            e.given_name,
            e.family_name,
            e.active,
            e.department,
            e.created,
            e.modified,
            extra_text(&e.extra)?,
        ],
    )
    .map(drop)
    .map_err(|err| taken(err, &e.email))
}

/// Updates a row at version `current`; returns the rows changed.
pub(super) fn update_employee(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    e: &Employee,
    current: i64,
) -> Result<usize, StoreError> {
    tx.execute(
        "UPDATE employees SET email = ?3, email_folded = ?4, external_id = ?5, given_name = ?6,
             family_name = ?7, active = ?8, department = ?9, version = version + 1,
             created = ?10, modified = ?11, scim_extra = ?12
         WHERE tenant = ?1 AND id = ?2 AND version = ?13",
        params![
            tenant.as_str(),
            e.id,
            e.email,
            fold(&e.email),
            e.external_id,
            e.given_name,
            e.family_name,
            e.active,
            e.department,
            e.created,
            e.modified,
            extra_text(&e.extra)?,
            current,
        ],
    )
    .map_err(|err| taken(err, &e.email))
}

/// A unique-constraint failure as the client's conflict, anything else as
/// a backend failure.
pub(super) fn taken(err: rusqlite::Error, user_name: &str) -> StoreError {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::conflict_on(
            "userName",
            format!("userName {user_name:?} is already taken"),
        ),
        _ => StoreError::backend(err),
    }
}

/// Appends `members` to the team after position `after`.
pub(super) fn insert_members(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    team: &str,
    after: i64,
    members: &[TeamMember],
) -> Result<(), StoreError> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO team_members (tenant, team_id, member_id, position, display, kind, reference)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT DO NOTHING",
        )
        .map_err(StoreError::backend)?;
    for (position, m) in (after + 1..).zip(members) {
        insert
            .execute(params![
                tenant.as_str(),
                team,
                m.member_id,
                position,
                m.display,
                m.kind,
                m.reference
            ])
            .map_err(StoreError::backend)?;
    }
    Ok(())
}

pub(super) fn member_ids(
    conn: &Connection,
    tenant: &TenantId,
    team: &str,
) -> Result<Vec<String>, StoreError> {
    let mut select = conn
        .prepare_cached("SELECT member_id FROM team_members WHERE tenant = ?1 AND team_id = ?2")
        .map_err(StoreError::backend)?;
    let rows = select
        .query_map(params![tenant.as_str(), team], |r| r.get(0))
        .map_err(StoreError::backend)?;
    rows.collect::<Result<_, _>>().map_err(StoreError::backend)
}
