//! Reading rows as resources, and the filters the columns answer.

use std::collections::BTreeMap;

use rusqlite::{Connection, Row, params};
use scim_core::filter::{CompareOp, Filter};
use scim_core::list::ListQuery;
use scim_core::project::Projection;
use scim_core::resource::Resource;
use scim_core::schema::{JsonObject, ResourceSchema};
use scim_core::store::{StoreError, TenantId};
use serde_json::Value;

use super::Kind;
use super::sql::{EMPLOYEE_COLUMNS, TEAM_COLUMNS, fold};
use crate::mapping::{Employee, Team, TeamMember};

/// A team's members in order.
fn members(
    conn: &Connection,
    tenant: &TenantId,
    team: &str,
) -> Result<Vec<TeamMember>, StoreError> {
    let mut select = conn
        .prepare_cached(
            "SELECT member_id, display, kind, reference FROM team_members
             WHERE tenant = ?1 AND team_id = ?2 ORDER BY position",
        )
        .map_err(StoreError::backend)?;
    let rows = select
        .query_map(params![tenant.as_str(), team], |r| {
            Ok(TeamMember {
                member_id: r.get(0)?,
                display: r.get(1)?,
                kind: r.get(2)?,
                reference: r.get(3)?,
            })
        })
        .map_err(StoreError::backend)?;
    rows.collect::<Result<_, _>>().map_err(StoreError::backend)
}

/// The computed `groups` of the tenant's members (RFC 7643 §4.1.2), of
/// one member or of all: `[{"value", "display", "type": "direct"}]`.
fn groups(
    conn: &Connection,
    tenant: &TenantId,
    member: Option<&str>,
) -> Result<BTreeMap<String, Vec<Value>>, StoreError> {
    let mut select = conn
        .prepare_cached(
            "SELECT m.member_id, t.id, t.name FROM team_members m
             JOIN teams t ON t.tenant = m.tenant AND t.id = m.team_id
             WHERE m.tenant = ?1 AND (?2 IS NULL OR m.member_id = ?2)
             ORDER BY m.member_id, t.id",
        )
        .map_err(StoreError::backend)?;
    let rows = select
        .query_map(params![tenant.as_str(), member], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(StoreError::backend)?;
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for row in rows {
        let (member, team, name) = row.map_err(StoreError::backend)?;
        let item = serde_json::json!({"value": team, "display": name, "type": "direct"});
        out.entry(member).or_default().push(item);
    }
    Ok(out)
}

/// Reads one resource.
pub(super) fn load(
    conn: &Connection,
    tenant: &TenantId,
    schema: &ResourceSchema,
    kind: Kind,
    id: &str,
    projection: &Projection,
) -> Result<Option<Resource>, StoreError> {
    let wanted = Wanted::for_projection(projection);
    let mut found = select(
        conn,
        tenant,
        schema,
        kind,
        Some(("id", id.to_owned())),
        wanted,
    )?;
    Ok(found.pop())
}

/// Which computed or separately stored attributes to load.
#[derive(Clone, Copy)]
struct Wanted {
    groups: bool,
    members: bool,
}

impl Wanted {
    fn for_projection(projection: &Projection) -> Self {
        Self {
            groups: projection.includes("groups"),
            members: projection.includes("members"),
        }
    }
}

/// The rows of `kind` in the tenant, or only those whose `column` equals
/// `value`, as resources.
fn select(
    conn: &Connection,
    tenant: &TenantId,
    schema: &ResourceSchema,
    kind: Kind,
    lookup: Option<(&'static str, String)>,
    wanted: Wanted,
) -> Result<Vec<Resource>, StoreError> {
    let (columns, map_row): (&str, fn(&Row<'_>) -> rusqlite::Result<Loaded>) = match kind {
        Kind::Employee => (EMPLOYEE_COLUMNS, employee_row),
        Kind::Team => (TEAM_COLUMNS, team_row),
    };
    let condition = lookup
        .as_ref()
        .map_or(String::new(), |(column, _)| format!(" AND {column} = ?2"));
    let sql = format!(
        "SELECT {columns} FROM {} WHERE tenant = ?1{condition} ORDER BY id",
        kind.table()
    );
    let mut statement = conn.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = match &lookup {
        Some((_, value)) => statement.query_map(params![tenant.as_str(), value], map_row),
        None => statement.query_map(params![tenant.as_str()], map_row),
    }
    .map_err(StoreError::backend)?
    .collect::<Result<Vec<_>, _>>()
    .map_err(StoreError::backend)?;

    let mut groups_of = match (kind, wanted.groups, &lookup) {
        (Kind::Employee, true, Some(("id", id))) => groups(conn, tenant, Some(id.as_str()))?,
        (Kind::Employee, true, _) if !rows.is_empty() => groups(conn, tenant, None)?,
        _ => BTreeMap::new(),
    };
    rows.into_iter()
        .map(|row| match row {
            Loaded::Employee(e) => {
                let groups = groups_of.remove(&e.id).map(Value::Array);
                e.into_resource(schema, groups)
            }
            Loaded::Team(t) => {
                let members = if wanted.members {
                    Some(members(conn, tenant, &t.id)?)
                } else {
                    None
                };
                t.into_resource(schema, members)
            }
        })
        .collect()
}

enum Loaded {
    Employee(Employee),
    Team(Team),
}

fn extra_column(row: &Row<'_>, index: usize) -> rusqlite::Result<JsonObject> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn employee_row(row: &Row<'_>) -> rusqlite::Result<Loaded> {
    Ok(Loaded::Employee(Employee {
        id: row.get(0)?,
        email: row.get(1)?,
        external_id: row.get(2)?,
        given_name: row.get(3)?,
        family_name: row.get(4)?,
        active: row.get(5)?,
        department: row.get(6)?,
        version: row.get(7)?,
        created: row.get(8)?,
        modified: row.get(9)?,
        extra: extra_column(row, 10)?,
    }))
}

fn team_row(row: &Row<'_>) -> rusqlite::Result<Loaded> {
    Ok(Loaded::Team(Team {
        id: row.get(0)?,
        name: row.get(1)?,
        external_id: row.get(2)?,
        version: row.get(3)?,
        created: row.get(4)?,
        modified: row.get(5)?,
        extra: extra_column(row, 6)?,
    }))
}

/// The resources a query must look at: the rows a column lookup finds, or
/// every row of the type. `members` are loaded only if the response or
/// the filter needs them, computed `groups` likewise.
pub(super) fn candidates(
    conn: &Connection,
    tenant: &TenantId,
    schema: &ResourceSchema,
    kind: Kind,
    query: &ListQuery,
) -> Result<Vec<Resource>, StoreError> {
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
    let projected = Wanted::for_projection(&query.projection);
    let wanted = Wanted {
        groups: projected.groups || mentions("groups"),
        members: projected.members || mentions("members"),
    };
    let lookup = query
        .filter
        .as_ref()
        .and_then(|f| column_lookup(schema, kind, f));
    select(conn, tenant, schema, kind, lookup, wanted)
}

/// A column that answers `filter`, or one of the operands of its
/// top-level `and`, with a superset of the matches: `userName eq`
/// (folded, as `userName` is not `caseExact`), `externalId eq` and
/// `id eq` (exact, as both are `caseExact`).
fn column_lookup(
    schema: &ResourceSchema,
    kind: Kind,
    filter: &Filter,
) -> Option<(&'static str, String)> {
    match filter {
        Filter::Compare(c) if c.op() == CompareOp::Eq => {
            let value = c.value().as_str()?;
            let resolved = schema.resolve(c.path())?;
            if resolved.extension.is_some() || resolved.sub.is_some() {
                return None;
            }
            let case_exact = resolved.attr.case_exact;
            match (kind, resolved.attr.name.as_str(), case_exact) {
                (Kind::Employee, "userName", false) => Some(("email_folded", fold(value))),
                (_, "externalId", true) => Some(("external_id", value.to_owned())),
                (_, "id", true) => Some(("id", value.to_owned())),
                _ => None,
            }
        }
        Filter::And(operands) => operands.iter().find_map(|f| column_lookup(schema, kind, f)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use scim_core::schema::Registry;

    use super::*;

    fn lookup(kind: Kind, filter: &str) -> Option<(&'static str, String)> {
        let registry = Registry::standard();
        let name = match kind {
            Kind::Employee => "User",
            Kind::Team => "Group",
        };
        let schema = registry.resource_type(name).unwrap();
        column_lookup(schema, kind, &filter.parse().unwrap())
    }

    #[test]
    fn equality_on_a_column_is_a_lookup_alone_or_inside_and() {
        let user_name = Some(("email_folded", "émile@example.com".to_owned()));
        assert_eq!(
            lookup(Kind::Employee, r#"USERNAME eq "Émile@Example.com""#),
            user_name
        );
        assert_eq!(
            lookup(
                Kind::Employee,
                r#"title pr and userName eq "émile@example.com""#
            ),
            user_name
        );
        assert_eq!(
            lookup(Kind::Team, r#"externalId eq "Ab""#),
            Some(("external_id", "Ab".to_owned()))
        );
        assert_eq!(
            lookup(
                Kind::Employee,
                r#"urn:ietf:params:scim:schemas:core:2.0:User:id eq "x""#
            ),
            Some(("id", "x".to_owned()))
        );
    }

    #[test]
    fn anything_else_is_left_to_the_evaluator() {
        for filter in [
            r#"userName ne "a""#,
            r#"userName sw "a""#,
            r#"userName eq "a" or title pr"#,
            r#"not (userName eq "a")"#,
            "userName eq 5",
            r#"emails[value eq "a"]"#,
            r#"name.givenName eq "a""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "a""#,
        ] {
            assert_eq!(lookup(Kind::Employee, filter), None, "{filter}");
        }
        assert_eq!(lookup(Kind::Team, r#"userName eq "a""#), None);
    }
}
