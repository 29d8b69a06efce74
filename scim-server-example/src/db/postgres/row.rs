//! Reading and writing rows: statement helpers, members, hosts with their
//! groups, groups with their members, and planned queries.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::GenericClient;
use scim_core::id::ResourceId;
use scim_core::list::{ListQuery, QueryResult};
use scim_core::resource::Resource;
use scim_core::schema::{JsonObject, ResourceSchema};
use scim_core::store::StoreError;
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::nul::{dec, dec_opt, enc, enc_opt};
use super::{Fail, sql};
use crate::db::document::{assemble, fold};
use crate::db::error::unknown_member;
use crate::db::kind::Kind;
use crate::db::members::{MemberRow, group_ref, member_json, set_groups, set_members};
use crate::db::query::{self, GroupsLoad, Hint, MemberLoad, Plan, Source};

pub(super) type Params<'a> = [&'a (dyn ToSql + Sync)];

pub(super) async fn rows<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<Vec<Row>, Fail> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query(&stmt, params).await?)
}

pub(super) async fn row_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<Option<Row>, Fail> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&stmt, params).await?)
}

pub(super) async fn execute<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<u64, Fail> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.execute(&stmt, params).await?)
}

pub(super) async fn revision<C: GenericClient>(
    c: &C,
    sql: &str,
    tenant: &str,
    id: &str,
) -> Result<Option<i64>, Fail> {
    match row_opt(c, sql, &[&tenant, &id]).await? {
        Some(r) => Ok(Some(r.try_get(0)?)),
        None => Ok(None),
    }
}

/// Rebuilds resources from `(id, revision, last_modified, doc[, group ids,
/// group names])` rows.
pub(super) fn resources(rows: &[Row], with_groups: bool) -> Result<Vec<Resource>, Fail> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let doc: &str = row.try_get(3)?;
        let last_modified: &str = row.try_get(2)?;
        let mut r = assemble(doc, row.try_get(1)?, last_modified)?;
        if with_groups {
            let ids: Option<Vec<String>> = row.try_get(4)?;
            let names: Option<Vec<String>> = row.try_get(5)?;
            let groups = ids
                .unwrap_or_default()
                .into_iter()
                .zip(names.unwrap_or_default())
                .map(|(id, name)| group_ref(id, dec(name)))
                .collect();
            set_groups(&mut r, groups)?;
        }
        out.push(r);
    }
    Ok(out)
}

/// A `members` element from `(…, member_id, type, display, extra)` columns
/// starting at `at`.
pub(super) fn member_at(row: &Row, at: usize) -> Result<Value, Fail> {
    let extra: Option<&str> = row.try_get(at + 3)?;
    Ok(member_json(
        row.try_get(at)?,
        dec_opt(row.try_get(at + 1)?),
        dec_opt(row.try_get(at + 2)?),
        extra,
    )?)
}

/// One group's member rows, in order.
pub(super) async fn member_rows<C: GenericClient>(
    c: &C,
    tenant: &str,
    group_id: &str,
) -> Result<Vec<MemberRow>, Fail> {
    let mut out = Vec::new();
    for r in rows(c, sql::MEMBERS_OF_GROUP, &[&tenant, &group_id]).await? {
        let member_id: String = r.try_get(0)?;
        out.push(MemberRow {
            member_key: fold(&member_id),
            member_id,
            member_type: dec_opt(r.try_get(1)?),
            display: dec_opt(r.try_get(2)?),
            extra: r.try_get(3)?,
        });
    }
    Ok(out)
}

pub(super) fn row_json(row: MemberRow) -> Result<Value, StoreError> {
    member_json(
        row.member_id,
        row.member_type,
        row.display,
        row.extra.as_deref(),
    )
}

/// Member lists by group from `(group_id, member_id, type, display, extra)`
/// rows in group and position order.
pub(super) fn members_by_group(rows: &[Row]) -> Result<HashMap<String, Vec<Value>>, Fail> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for r in rows {
        let member = member_at(r, 1)?;
        out.entry(r.try_get(0)?).or_default().push(member);
    }
    Ok(out)
}

/// Attaches members to loaded groups, as the plan says.
pub(super) async fn attach_members<C: GenericClient>(
    c: &C,
    tenant: &str,
    groups: &mut [Resource],
    load: &MemberLoad,
    scan: bool,
) -> Result<(), Fail> {
    let mut by_group = match load {
        MemberLoad::None => return Ok(()),
        MemberLoad::All if scan => {
            members_by_group(&rows(c, sql::MEMBERS_OF_TENANT, &[&tenant]).await?)?
        }
        MemberLoad::All => {
            let ids: Vec<&str> = groups.iter().map(|g| g.id().as_str()).collect();
            members_by_group(&rows(c, sql::MEMBERS_OF_GROUPS, &[&tenant, &ids]).await?)?
        }
        MemberLoad::Matching(keys) => {
            let keys: Vec<String> = keys.iter().map(|k| enc(k).into_owned()).collect();
            members_by_group(&rows(c, sql::MEMBERS_WITH_KEYS, &[&tenant, &keys]).await?)?
        }
    };
    for g in groups {
        let members = by_group.remove(g.id().as_str());
        let members = match load {
            MemberLoad::All if members.is_none() => None,
            _ => Some(members.unwrap_or_default()),
        };
        set_members(g, members)?;
    }
    Ok(())
}

/// The `groups` of some hosts, by host id.
pub(super) async fn groups_of_hosts<C: GenericClient>(
    c: &C,
    tenant: &str,
    ids: &[&str],
) -> Result<HashMap<String, Vec<Value>>, Fail> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for r in rows(c, sql::GROUPS_OF_HOSTS, &[&tenant, &ids]).await? {
        let group = group_ref(r.try_get(1)?, dec(r.try_get(2)?));
        out.entry(r.try_get(0)?).or_default().push(group);
    }
    Ok(out)
}

/// Whether a query plan reads with more than one statement (and so needs
/// a snapshot transaction).
pub(super) fn statements(kind: Kind, plan: &Plan) -> usize {
    1 + usize::from(matches!(plan.source, Source::Page { .. }))
        + usize::from(kind == Kind::HostGroup && plan.members != MemberLoad::None)
        + usize::from(
            kind == Kind::Host
                && plan.groups == GroupsLoad::Returned
                && plan.source == Source::Scan,
        )
}

/// Runs a planned query on `c` (a client, or a snapshot transaction when it
/// takes several statements).
pub(super) async fn run_query<C: GenericClient>(
    c: &C,
    tenant: &str,
    kind: Kind,
    schema: &ResourceSchema,
    plan: &Plan,
    query: &ListQuery,
) -> Result<QueryResult, Fail> {
    let scan = plan.source == Source::Scan;
    let mut total = None;
    let candidates = match kind {
        Kind::Host => {
            let join = plan.groups == GroupsLoad::Candidates
                || (plan.groups == GroupsLoad::Returned && !scan);
            let pick =
                |plain: &'static str, joined: &'static str| if join { joined } else { plain };
            let loaded = match &plan.source {
                Source::Page { offset, limit } => {
                    let count: i64 = rows(c, sql::HOSTS_COUNT, &[&tenant])
                        .await?
                        .first()
                        .map_or(Ok(0), |r| r.try_get(0))?;
                    total = Some(count);
                    rows(
                        c,
                        pick(sql::HOSTS_PAGE, sql::HOSTS_PAGE_WITH_GROUPS),
                        &[&tenant, limit, offset],
                    )
                    .await?
                }
                Source::Hint(Hint::Id(v)) => {
                    if ResourceId::new(v.as_str()).is_err() {
                        Vec::new()
                    } else {
                        rows(
                            c,
                            pick(sql::HOST_BY_ID, sql::HOST_BY_ID_WITH_GROUPS),
                            &[&tenant, v],
                        )
                        .await?
                    }
                }
                Source::Hint(Hint::UserNameKey(v)) => {
                    let sql = pick(
                        sql::HOST_BY_USER_NAME_KEY,
                        sql::HOST_BY_USER_NAME_KEY_WITH_GROUPS,
                    );
                    rows(c, sql, &[&tenant, &enc(v)]).await?
                }
                Source::Hint(Hint::ExternalId(v)) => {
                    let sql = pick(
                        sql::HOST_BY_EXTERNAL_ID,
                        sql::HOST_BY_EXTERNAL_ID_WITH_GROUPS,
                    );
                    rows(c, sql, &[&tenant, &enc(v)]).await?
                }
                // Planned only for Groups.
                Source::Hint(Hint::DisplayNameKey(_) | Hint::MemberKey(_)) => Vec::new(),
                Source::Scan => {
                    rows(
                        c,
                        pick(sql::HOSTS_ALL, sql::HOSTS_ALL_WITH_GROUPS),
                        &[&tenant],
                    )
                    .await?
                }
            };
            resources(&loaded, join)?
        }
        Kind::HostGroup => {
            let loaded = match &plan.source {
                Source::Page { offset, limit } => {
                    let count: i64 = rows(c, sql::GROUPS_COUNT, &[&tenant])
                        .await?
                        .first()
                        .map_or(Ok(0), |r| r.try_get(0))?;
                    total = Some(count);
                    rows(c, sql::GROUPS_PAGE, &[&tenant, limit, offset]).await?
                }
                Source::Hint(Hint::Id(v)) => {
                    if ResourceId::new(v.as_str()).is_err() {
                        Vec::new()
                    } else {
                        rows(c, sql::GROUP_BY_ID, &[&tenant, v]).await?
                    }
                }
                Source::Hint(Hint::DisplayNameKey(v)) => {
                    rows(c, sql::GROUP_BY_DISPLAY_NAME_KEY, &[&tenant, &enc(v)]).await?
                }
                Source::Hint(Hint::ExternalId(v)) => {
                    rows(c, sql::GROUP_BY_EXTERNAL_ID, &[&tenant, &enc(v)]).await?
                }
                Source::Hint(Hint::MemberKey(v)) => {
                    rows(c, sql::GROUP_BY_MEMBER_KEY, &[&tenant, &enc(v)]).await?
                }
                // Planned only for Users.
                Source::Hint(Hint::UserNameKey(_)) => Vec::new(),
                Source::Scan => rows(c, sql::GROUPS_ALL, &[&tenant]).await?,
            };
            let mut groups = resources(&loaded, false)?;
            attach_members(c, tenant, &mut groups, &plan.members, scan).await?;
            groups
        }
    };
    if let Some(total) = total {
        // The page itself, cut in SQL.
        return Ok(QueryResult::new(
            u64::try_from(total).unwrap_or(0),
            candidates,
        ));
    }
    let mut result = query::finish(schema, plan, &candidates, query)?;
    drop(candidates);
    if kind == Kind::Host
        && plan.groups == GroupsLoad::Returned
        && scan
        && !result.resources.is_empty()
    {
        let ids: Vec<&str> = result.resources.iter().map(|r| r.id().as_str()).collect();
        let mut groups = groups_of_hosts(c, tenant, &ids).await?;
        for r in &mut result.resources {
            let g = groups.remove(r.id().as_str()).unwrap_or_default();
            set_groups(r, g)?;
        }
    }
    Ok(result)
}

/// Inserts members after position `after`, in one statement; existing ones
/// are left alone. Returns how many rows were inserted. A member that is neither a host nor a group of the
/// tenant is refused, unless `check` is off (`--member-references
/// unchecked`).
pub(super) async fn insert_members<C: GenericClient>(
    c: &C,
    tenant: &str,
    group_id: &str,
    rows_in: &[MemberRow],
    after: i64,
    check: bool,
) -> Result<u64, Fail> {
    if rows_in.is_empty() {
        return Ok(0);
    }
    if let Some(bad) = rows_in
        .iter()
        .find(|r| ResourceId::new(r.member_id.as_str()).is_err())
    {
        return Err(unknown_member(&bad.member_id).into());
    }
    let ids: Vec<&str> = rows_in.iter().map(|r| r.member_id.as_str()).collect();
    let (mut hosts, mut groups) = (HashSet::new(), HashSet::new());
    for r in rows(c, sql::MEMBERS_AMONG, &[&tenant, &ids]).await? {
        let id = r.try_get::<_, String>(0)?;
        if r.try_get::<_, bool>(1)? {
            hosts.insert(id);
        } else {
            groups.insert(id);
        }
    }
    let n = rows_in.len();
    let (mut key_col, mut host_col, mut group_col) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut type_col, mut display_col, mut extra_col, mut position_col) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut position = after;
    for r in rows_in {
        let id = r.member_id.as_str();
        if hosts.contains(id) {
            host_col.push(Some(id));
            group_col.push(None);
        } else if groups.contains(id) {
            host_col.push(None);
            group_col.push(Some(id));
        } else if check {
            return Err(unknown_member(id).into());
        } else {
            host_col.push(None);
            group_col.push(None);
        }
        position += 1;
        key_col.push(enc(&r.member_key));
        type_col.push(enc_opt(r.member_type.as_deref()));
        display_col.push(enc_opt(r.display.as_deref()));
        extra_col.push(r.extra.as_deref());
        position_col.push(position);
    }
    execute(
        c,
        sql::INSERT_MEMBERS,
        &[
            &tenant,
            &group_id,
            &ids,
            &key_col,
            &host_col,
            &group_col,
            &type_col,
            &display_col,
            &extra_col,
            &position_col,
        ],
    )
    .await
}

/// A stored Group's JSON with its members rebuilt from the rows written.
pub(super) fn with_member_rows(
    json: JsonObject,
    rows: Vec<MemberRow>,
) -> Result<Resource, StoreError> {
    let mut stored = Resource::from_json(json).map_err(StoreError::backend)?;
    let members = rows
        .into_iter()
        .map(row_json)
        .collect::<Result<Vec<_>, _>>()?;
    set_members(&mut stored, Some(members))?;
    Ok(stored)
}
