//! Reading and writing rows: members, hosts with their groups, groups
//! with their members, and the candidates of a planned query.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use scim_core::id::ResourceId;
use scim_core::resource::Resource;
use scim_core::store::StoreError;
use serde_json::Value;

use super::{Fail, sql};
use crate::db::document::{assemble, fold};
use crate::db::error::unknown_member;
use crate::db::kind::Kind;
use crate::db::members::{MemberRow, group_ref, member_json, set_groups, set_members};
use crate::db::query::{GroupsLoad, Hint, MemberLoad, Plan, Source};

/// Whether a member id names a host or a host group of the tenant.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(super) enum MemberKind {
    Host,
    Group,
}

/// Which table holds the resource `id` of the tenant, if any (ids are
/// unique across resource types, so at most one).
pub(super) fn member_kind(
    tx: &Connection,
    tenant: &str,
    id: &str,
) -> rusqlite::Result<Option<MemberKind>> {
    if ResourceId::new(id).is_err() {
        return Ok(None);
    }
    if tx
        .prepare_cached(sql::HOST_EXISTS)?
        .exists(params![tenant, id])?
    {
        return Ok(Some(MemberKind::Host));
    }
    if tx
        .prepare_cached(sql::GROUP_EXISTS)?
        .exists(params![tenant, id])?
    {
        return Ok(Some(MemberKind::Group));
    }
    Ok(None)
}

/// Inserts members after position `after`; existing ones are left alone.
/// Returns how many rows were inserted.
/// A member that is neither a host nor a group of the tenant is refused,
/// unless `check` is off (`--member-references unchecked`).
pub(super) fn insert_members<'r>(
    tx: &Connection,
    tenant: &str,
    group_id: &str,
    rows: impl IntoIterator<Item = &'r MemberRow>,
    after: i64,
    check: bool,
) -> Result<usize, Fail> {
    let mut inserted = 0;
    let mut position = after;
    let mut insert = tx.prepare_cached(sql::INSERT_MEMBER)?;
    for row in rows {
        let kind = member_kind(tx, tenant, &row.member_id)?;
        if kind.is_none() && check {
            return Err(unknown_member(&row.member_id).into());
        }
        position += 1;
        let (as_host, as_group) = match kind {
            Some(MemberKind::Host) => (Some(row.member_id.as_str()), None),
            Some(MemberKind::Group) => (None, Some(row.member_id.as_str())),
            None => (None, None),
        };
        inserted += insert.execute(params![
            tenant,
            group_id,
            row.member_id,
            row.member_key,
            as_host,
            as_group,
            row.member_type,
            row.display,
            row.extra,
            position,
        ])?;
    }
    Ok(inserted)
}

/// One group's member rows, in order.
pub(super) fn member_rows(
    tx: &Connection,
    tenant: &str,
    group_id: &str,
) -> rusqlite::Result<Vec<MemberRow>> {
    let mut stmt = tx.prepare_cached(sql::MEMBERS_OF_GROUP)?;
    let rows = stmt.query_map(params![tenant, group_id], |r| {
        let member_id: String = r.get(0)?;
        Ok(MemberRow {
            member_key: fold(&member_id),
            member_id,
            member_type: r.get(1)?,
            display: r.get(2)?,
            extra: r.get(3)?,
        })
    })?;
    rows.collect()
}

pub(super) fn row_json(row: MemberRow) -> Result<Value, StoreError> {
    member_json(
        row.member_id,
        row.member_type,
        row.display,
        row.extra.as_deref(),
    )
}

/// Reads hosts; with `with_groups` the statement is a `hosts_with_groups!`
/// one and each host's `groups` is set from its rows.
pub(super) fn read_hosts(
    tx: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    with_groups: bool,
) -> Result<Vec<Resource>, Fail> {
    let mut stmt = tx.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out: Vec<Resource> = Vec::new();
    let mut groups: Vec<Value> = Vec::new();
    let mut current: Option<String> = None;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        if current.as_deref() != Some(id.as_str()) {
            if with_groups {
                if let Some(last) = out.last_mut() {
                    set_groups(last, std::mem::take(&mut groups))?;
                }
            }
            let doc: String = row.get(3)?;
            let last_modified: String = row.get(2)?;
            out.push(assemble(&doc, row.get(1)?, &last_modified)?);
            current = Some(id);
        }
        if with_groups {
            if let Some(group_id) = row.get::<_, Option<String>>(4)? {
                groups.push(group_ref(group_id, row.get(5)?));
            }
        }
    }
    if with_groups {
        if let Some(last) = out.last_mut() {
            set_groups(last, groups)?;
        }
    }
    Ok(out)
}

pub(super) fn read_groups(
    tx: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Resource>, Fail> {
    let mut stmt = tx.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let doc: String = row.get(3)?;
        let last_modified: String = row.get(2)?;
        out.push(assemble(&doc, row.get(1)?, &last_modified)?);
    }
    Ok(out)
}

/// The `groups` of one host.
pub(super) fn groups_of_host(
    tx: &Connection,
    tenant: &str,
    id: &str,
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = tx.prepare_cached(sql::GROUPS_OF_HOST)?;
    let rows = stmt.query_map(params![tenant, id], |r| Ok(group_ref(r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Attaches members to loaded groups, as the plan says.
pub(super) fn attach_members(
    tx: &Connection,
    tenant: &str,
    groups: &mut [Resource],
    load: &MemberLoad,
    scan: bool,
) -> Result<(), Fail> {
    match load {
        MemberLoad::None => {}
        MemberLoad::All if scan => {
            let mut by_group: HashMap<String, Vec<Value>> = HashMap::new();
            let mut stmt = tx.prepare_cached(sql::MEMBERS_OF_TENANT)?;
            let mut rows = stmt.query(params![tenant])?;
            while let Some(r) = rows.next()? {
                let member = member_json(
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, Option<String>>(4)?.as_deref(),
                )?;
                by_group.entry(r.get(0)?).or_default().push(member);
            }
            for g in groups {
                let members = by_group.remove(g.id().as_str());
                set_members(g, members)?;
            }
        }
        MemberLoad::All => {
            for g in groups {
                let rows = member_rows(tx, tenant, g.id().as_str())?;
                let members = rows
                    .into_iter()
                    .map(row_json)
                    .collect::<Result<Vec<_>, _>>()?;
                set_members(g, Some(members))?;
            }
        }
        MemberLoad::Matching(keys) => {
            let mut by_group: HashMap<String, Vec<(i64, Value)>> = HashMap::new();
            let mut stmt = tx.prepare_cached(sql::MEMBERS_WITH_KEY)?;
            for k in keys {
                let mut rows = stmt.query(params![tenant, k])?;
                while let Some(r) = rows.next()? {
                    let member = member_json(
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get::<_, Option<String>>(4)?.as_deref(),
                    )?;
                    by_group
                        .entry(r.get(0)?)
                        .or_default()
                        .push((r.get(5)?, member));
                }
            }
            for g in groups {
                let mut members = by_group.remove(g.id().as_str()).unwrap_or_default();
                members.sort_by_key(|(position, _)| *position);
                set_members(g, Some(members.into_iter().map(|(_, m)| m).collect()))?;
            }
        }
    }
    Ok(())
}

/// Loads what a query plan asks for: the page and the total for
/// [`Source::Page`], else the candidates (and `None`).
pub(super) fn load_candidates(
    conn: &mut Connection,
    tenant: &str,
    kind: Kind,
    plan: &Plan,
) -> Result<(Vec<Resource>, Option<u64>), Fail> {
    let tx = conn.transaction()?;
    let scan = plan.source == Source::Scan;
    let mut total = None;
    let mut loaded = match kind {
        Kind::Host => {
            let join = plan.groups == GroupsLoad::Candidates
                || (plan.groups == GroupsLoad::Returned && !scan);
            let pick =
                |plain: &'static str, joined: &'static str| if join { joined } else { plain };
            match &plan.source {
                Source::Page { offset, limit } => {
                    total = Some(
                        tx.prepare_cached(sql::HOSTS_COUNT)?
                            .query_row(params![tenant], |r| r.get::<_, i64>(0))?,
                    );
                    let sql = pick(sql::HOSTS_PAGE, sql::HOSTS_PAGE_WITH_GROUPS);
                    read_hosts(&tx, sql, params![tenant, limit, offset], join)?
                }
                Source::Hint(Hint::Id(v)) => read_hosts(
                    &tx,
                    pick(sql::HOST_BY_ID, sql::HOST_BY_ID_WITH_GROUPS),
                    params![tenant, v],
                    join,
                )?,
                Source::Hint(Hint::UserNameKey(v)) => read_hosts(
                    &tx,
                    pick(
                        sql::HOST_BY_USER_NAME_KEY,
                        sql::HOST_BY_USER_NAME_KEY_WITH_GROUPS,
                    ),
                    params![tenant, v],
                    join,
                )?,
                Source::Hint(Hint::ExternalId(v)) => read_hosts(
                    &tx,
                    pick(
                        sql::HOST_BY_EXTERNAL_ID,
                        sql::HOST_BY_EXTERNAL_ID_WITH_GROUPS,
                    ),
                    params![tenant, v],
                    join,
                )?,
                // Planned only for Groups.
                Source::Hint(Hint::DisplayNameKey(_) | Hint::MemberKey(_)) => Vec::new(),
                Source::Scan if plan.groups == GroupsLoad::Candidates => {
                    read_hosts(&tx, sql::HOSTS_ALL_WITH_GROUPS, params![tenant], true)?
                }
                Source::Scan => read_hosts(&tx, sql::HOSTS_ALL, params![tenant], false)?,
            }
        }
        Kind::HostGroup => {
            let mut groups = match &plan.source {
                Source::Page { offset, limit } => {
                    total = Some(
                        tx.prepare_cached(sql::GROUPS_COUNT)?
                            .query_row(params![tenant], |r| r.get::<_, i64>(0))?,
                    );
                    read_groups(&tx, sql::GROUPS_PAGE, params![tenant, limit, offset])?
                }
                Source::Hint(Hint::Id(v)) => {
                    read_groups(&tx, sql::GROUP_BY_ID, params![tenant, v])?
                }
                Source::Hint(Hint::DisplayNameKey(v)) => {
                    read_groups(&tx, sql::GROUP_BY_DISPLAY_NAME_KEY, params![tenant, v])?
                }
                Source::Hint(Hint::ExternalId(v)) => {
                    read_groups(&tx, sql::GROUP_BY_EXTERNAL_ID, params![tenant, v])?
                }
                Source::Hint(Hint::MemberKey(v)) => {
                    read_groups(&tx, sql::GROUP_BY_MEMBER_KEY, params![tenant, v])?
                }
                // Planned only for Users.
                Source::Hint(Hint::UserNameKey(_)) => Vec::new(),
                Source::Scan => read_groups(&tx, sql::GROUPS_ALL, params![tenant])?,
            };
            attach_members(&tx, tenant, &mut groups, &plan.members, scan)?;
            groups
        }
    };
    tx.finish()?;
    loaded.shrink_to_fit();
    Ok((loaded, total.map(|t| u64::try_from(t).unwrap_or(0))))
}
