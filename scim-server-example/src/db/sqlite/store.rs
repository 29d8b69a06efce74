//! The SQLite `ResourceStore`: each SCIM operation as the statements of
//! one write (run by the writer thread, [`super::writer`]) or one read.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use scim_core::filter::eval::SchemaFacts;
use scim_core::id::{ResourceId, Version};
use scim_core::list::{ListQuery, QueryResult};
use scim_core::project::Projection;
use scim_core::resource::{Resource, format_date_time, now};
use scim_core::schema::{JsonObject, ResourceSchema};
use scim_core::store::{MemberDelta, ResourceStore, StoreError, TenantId};
use scim_core::time::OffsetDateTime;

use super::row::{
    groups_of_host, insert_members, load_candidates, member_kind, member_rows, read_groups,
    read_hosts, row_json,
};
use super::{Fail, SqliteDb, keys, sql};
use crate::db::document::{self, split_for_write, timestamps};
use crate::db::error;
use crate::db::expect::Expect;
use crate::db::group::GroupColumns;
use crate::db::host::HostColumns;
use crate::db::index::{self, Dialect};
use crate::db::key;
use crate::db::kind::Kind;
use crate::db::members::{MemberRow, set_groups, set_members};
use crate::db::query::{self, GroupsLoad, Hint, MemberLoad, Plan, Source};
use crate::db::walk;

/// Checks, inside a write's transaction, that `tenant` still exists.
///
/// Every write of a tenant's rows starts here. It runs in the writer's
/// `IMMEDIATE` transaction ([`super::writer`]), which holds SQLite's write lock
/// from the check to its commit, and `tenant delete` (also one immediate
/// transaction) runs entirely before or after it: a write accepted in the
/// token cache's window after the deletion finds no tenant and writes
/// nothing (answered `404`), instead of leaving rows no tenant owns.
fn tenant_exists(tx: &Connection, tenant: &str) -> Result<(), Fail> {
    if !tx
        .prepare_cached(sql::TENANT_ID_EXISTS)?
        .exists(params![tenant])?
    {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}

/// The group holding `cols`' name, when names are unique.
fn unique_name_holder(
    tx: &Connection,
    tenant: &str,
    cols: &GroupColumns,
) -> rusqlite::Result<Option<String>> {
    let Some(name) = &cols.display_name_unique else {
        return Ok(None);
    };
    tx.prepare_cached(sql::GROUP_WITH_UNIQUE_NAME)?
        .query_row(params![tenant, name], |r| r.get(0))
        .optional()
}

fn revision(tx: &Connection, sql: &str, tenant: &str, id: &str) -> rusqlite::Result<Option<i64>> {
    tx.prepare_cached(sql)?
        .query_row(params![tenant, id], |r| r.get(0))
        .optional()
}

#[async_trait]
impl ResourceStore for SqliteDb {
    async fn create(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        let _written = self.resume.write(tenant.as_str());
        let kind = Kind::of(schema)?;
        let tenant = tenant.as_str().to_owned();
        let id = resource.id().as_str().to_owned();
        let now = format_date_time(now());
        let (created, last_modified) = timestamps(resource.json(), &now);
        match kind {
            Kind::Host => {
                let cols = HostColumns::of(resource.json())?;
                let (doc, _groups, json) =
                    split_for_write(resource, Version::from_revision(1), key::GROUPS)?;
                let index_rows = self
                    .indexes
                    .hosts
                    .rows(schema, &index::read_view(&json, &last_modified));
                self.write(move |tx: &Connection| {
                    tenant_exists(tx, &tenant)?;
                    if member_kind(tx, &tenant, &id)?.is_some() {
                        return Err(error::id_taken(&id).into());
                    }
                    if tx
                        .prepare_cached(sql::HOST_WITH_USER_NAME_KEY)?
                        .exists(params![tenant, cols.user_name_key])?
                    {
                        return Err(error::user_name_taken(&cols.user_name).into());
                    }
                    tx.prepare_cached(sql::INSERT_HOST)?.execute(host_row(
                        &tenant,
                        &id,
                        &cols,
                        &1_i64,
                        &created,
                        &last_modified,
                        &doc,
                    ))?;
                    keys::write_keys(tx, kind, &tenant, &id, &index_rows, false)?;
                    Ok(())
                })
                .await?;
                Resource::from_json(json).map_err(StoreError::backend)
            }
            Kind::HostGroup => {
                let cols = GroupColumns::of(schema, resource.json());
                let (doc, members, json) =
                    split_for_write(resource, Version::from_revision(1), key::MEMBERS)?;
                // Shared with the write, which may run more than once.
                let rows = Arc::new(MemberRow::list(members.as_ref())?);
                let written = rows.clone();
                let index_rows = self
                    .indexes
                    .groups
                    .rows(schema, &index::read_view(&json, &last_modified));
                let check = self.check_members;
                self.write(move |tx: &Connection| {
                    let rows = &*written;
                    tenant_exists(tx, &tenant)?;
                    if member_kind(tx, &tenant, &id)?.is_some() {
                        return Err(error::id_taken(&id).into());
                    }
                    if unique_name_holder(tx, &tenant, &cols)?.is_some() {
                        return Err(error::display_name_taken(&cols.display_name).into());
                    }
                    tx.prepare_cached(sql::INSERT_GROUP)?.execute(params![
                        tenant,
                        id,
                        cols.display_name,
                        cols.display_name_key,
                        cols.external_id,
                        1_i64,
                        created,
                        last_modified,
                        doc,
                        cols.display_name_unique,
                    ])?;
                    insert_members(tx, &tenant, &id, rows, 0, check)?;
                    keys::write_keys(tx, kind, &tenant, &id, &index_rows, false)?;
                    Ok(())
                })
                .await?;
                with_member_rows(json, Arc::unwrap_or_clone(rows))
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
        let tenant = tenant.as_str().to_owned();
        let id = id.as_str().to_owned();
        let with_groups = projection.includes(key::GROUPS);
        let with_members = projection.includes(key::MEMBERS);
        let member_reads = self.member_reads.clone();
        let read = move |conn: &mut Connection| {
            let tx = conn.transaction()?;
            let found = match kind {
                Kind::Host => {
                    let sql = if with_groups {
                        sql::HOST_BY_ID_WITH_GROUPS
                    } else {
                        sql::HOST_BY_ID
                    };
                    read_hosts(&tx, sql, params![tenant, id], with_groups)?.pop()
                }
                Kind::HostGroup => {
                    match read_groups(&tx, sql::GROUP_BY_ID, params![tenant, id])?.pop() {
                        Some(mut g) if with_members => {
                            member_reads.fetch_add(1, Ordering::Relaxed);
                            let rows = member_rows(&tx, &tenant, &id)?;
                            let members = rows
                                .into_iter()
                                .map(row_json)
                                .collect::<Result<Vec<_>, _>>()?;
                            set_members(&mut g, Some(members))?;
                            Some(g)
                        }
                        other => other,
                    }
                }
            };
            tx.finish()?;
            Ok(found)
        };
        // A Group's members may be many rows: those are read on the pool.
        let found = if kind == Kind::Host || !with_members {
            self.read(read).await?
        } else {
            self.run(read).await?
        };
        Ok(found)
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
        let tenant = tenant.as_str().to_owned();
        let id = resource.id().as_str().to_owned();
        let now = format_date_time(now());
        let (created, last_modified) = timestamps(resource.json(), &now);
        let expect = Expect::of(Some(expected));
        let next = match expect {
            Expect::Revision(r) => r.saturating_add(1),
            // Fails the check below; the number is never written.
            Expect::Any | Expect::Never => 0,
        };
        match kind {
            Kind::Host => {
                let cols = HostColumns::of(resource.json())?;
                let (doc, _groups, json) = split_for_write(
                    resource,
                    Version::from_revision(document::revision_u64(next)),
                    key::GROUPS,
                )?;
                let index_rows = self
                    .indexes
                    .hosts
                    .rows(schema, &index::read_view(&json, &last_modified));
                let groups = self
                    .write(move |tx: &Connection| {
                        tenant_exists(tx, &tenant)?;
                        let current =
                            expect.check(revision(tx, sql::HOST_REVISION, &tenant, &id)?)?;
                        let holder: Option<String> = tx
                            .prepare_cached(sql::HOST_WITH_USER_NAME_KEY)?
                            .query_row(params![tenant, cols.user_name_key], |r| r.get(0))
                            .optional()?;
                        if holder.is_some_and(|h| h != id) {
                            return Err(error::user_name_taken(&cols.user_name).into());
                        }
                        let mut params =
                            host_row(&tenant, &id, &cols, &next, &created, &last_modified, &doc)
                                .to_vec();
                        params.push(&current);
                        let changed = tx.prepare_cached(sql::UPDATE_HOST)?.execute(&*params)?;
                        if changed != 1 {
                            return Err(StoreError::VersionMismatch.into());
                        }
                        keys::write_keys(tx, kind, &tenant, &id, &index_rows, true)?;
                        let groups = groups_of_host(tx, &tenant, &id)?;
                        Ok(groups)
                    })
                    .await?;
                let mut stored = Resource::from_json(json).map_err(StoreError::backend)?;
                set_groups(&mut stored, groups)?;
                Ok(stored)
            }
            Kind::HostGroup => {
                let cols = GroupColumns::of(schema, resource.json());
                let (doc, members, json) = split_for_write(
                    resource,
                    Version::from_revision(document::revision_u64(next)),
                    key::MEMBERS,
                )?;
                // Shared with the write, which may run more than once.
                let rows = Arc::new(MemberRow::list(members.as_ref())?);
                let written = rows.clone();
                let index_rows = self
                    .indexes
                    .groups
                    .rows(schema, &index::read_view(&json, &last_modified));
                let check = self.check_members;
                self.write(move |tx: &Connection| {
                    let rows = &*written;
                    tenant_exists(tx, &tenant)?;
                    let current = expect.check(revision(tx, sql::GROUP_REVISION, &tenant, &id)?)?;
                    if unique_name_holder(tx, &tenant, &cols)?.is_some_and(|h| h != id) {
                        return Err(error::display_name_taken(&cols.display_name).into());
                    }
                    let changed = tx.prepare_cached(sql::UPDATE_GROUP)?.execute(params![
                        tenant,
                        id,
                        cols.display_name,
                        cols.display_name_key,
                        cols.external_id,
                        next,
                        created,
                        last_modified,
                        doc,
                        current,
                        cols.display_name_unique,
                    ])?;
                    if changed != 1 {
                        return Err(StoreError::VersionMismatch.into());
                    }
                    keys::write_keys(tx, kind, &tenant, &id, &index_rows, true)?;
                    // A rename re-sends every member: rewrite the rows
                    // only if the list really changed.
                    if member_rows(tx, &tenant, &id)? != *rows {
                        tx.prepare_cached(sql::DELETE_ALL_MEMBERS)?
                            .execute(params![tenant, id])?;
                        insert_members(tx, &tenant, &id, rows, 0, check)?;
                    }
                    Ok(())
                })
                .await?;
                with_member_rows(json, Arc::unwrap_or_clone(rows))
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
        let tenant = tenant.as_str().to_owned();
        let id = id.as_str().to_owned();
        let expect = Expect::of(expected);
        let now = format_date_time(now());
        let indexes = self.indexes.clone();
        self.write(move |tx: &Connection| {
            tenant_exists(tx, &tenant)?;
            let (revision_sql, bump, bump_keys, delete) = match kind {
                Kind::Host => (
                    sql::HOST_REVISION,
                    sql::BUMP_GROUPS_OF_HOST,
                    sql::SET_LAST_MODIFIED_KEY_OF_GROUPS_OF_HOST,
                    sql::DELETE_HOST,
                ),
                Kind::HostGroup => (
                    sql::GROUP_REVISION,
                    sql::BUMP_GROUPS_OF_GROUP,
                    sql::SET_LAST_MODIFIED_KEY_OF_GROUPS_OF_GROUP,
                    sql::DELETE_GROUP,
                ),
            };
            expect.check(revision(tx, revision_sql, &tenant, &id)?)?;
            tx.prepare_cached(bump)?.execute(params![tenant, id, now])?;
            // The resource's own index rows go by `ON DELETE CASCADE`.
            keys::bump_last_modified(tx, &indexes.groups, bump_keys, &tenant, &id, &now)?;
            tx.prepare_cached(delete)?.execute(params![tenant, id])?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn query(
        &self,
        tenant: &TenantId,
        schema: &ResourceSchema,
        query: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        let kind = Kind::of(schema)?;
        let plan = query::plan(kind, schema, query);
        let tenant = tenant.as_str().to_owned();
        if plan.members != MemberLoad::None {
            self.member_reads.fetch_add(1, Ordering::Relaxed);
        }
        let (plan, tenant, candidates) = match (&plan.source, &query.filter) {
            // No hint: the secondary indexes narrow the filter, or the
            // tenant is scanned in batches within the budget.
            (Source::Scan, Some(filter)) => {
                let access = index::access(
                    self.indexes.of(kind),
                    kind,
                    schema,
                    filter,
                    query,
                    Dialect::Sqlite,
                )?;
                let matcher = filter
                    .matcher(schema as &dyn SchemaFacts)
                    .map_err(|e| StoreError::invalid_query(e.into()))?;
                let budget = self.scan_budget;
                let owned = query.clone();
                let resume = self.resume.clone();
                let (plan, tenant, loaded) = self
                    .run(move |conn| {
                        let loaded = keys::load(
                            conn, &tenant, kind, &plan, &access, &matcher, budget, &owned, &resume,
                        )?;
                        Ok((plan, tenant, loaded))
                    })
                    .await?;
                match loaded {
                    keys::Loaded::Page(result) => return Ok(result),
                    keys::Loaded::Matches(matches) => (plan, tenant, matches),
                }
            }
            // No filter, with a cursor or a sort: a walk in SQL when an
            // index serves the sort; else the evaluator sorts, within the
            // scan budget.
            (Source::Scan | Source::Page { .. }, None) => {
                let walk = walk::plan(self.indexes.of(kind), schema, query, None)?;
                let budget = self.scan_budget;
                let owned = query.clone();
                let resume = self.resume.clone();
                let (plan, tenant, walked) = self
                    .run(move |conn| {
                        let tx = conn.transaction()?;
                        let walked = match &walk {
                            Some(walk) => Some(keys::walk_page(
                                &tx, &tenant, kind, &plan, walk, &owned, &resume,
                            )?),
                            None => {
                                let count = match kind {
                                    Kind::Host => sql::HOSTS_COUNT,
                                    Kind::HostGroup => sql::GROUPS_COUNT,
                                };
                                let total: i64 = tx
                                    .prepare_cached(count)?
                                    .query_row(params![tenant], |r| r.get(0))?;
                                if u64::try_from(total).unwrap_or(0) > budget {
                                    let by = owned.sort.as_ref().map(|s| s.by.to_string());
                                    return Err(
                                        index::too_many(kind, &Vec::from_iter(by), budget).into()
                                    );
                                }
                                None
                            }
                        };
                        tx.finish()?;
                        Ok((plan, tenant, walked))
                    })
                    .await?;
                if let Some(result) = walked {
                    return Ok(result);
                }
                let load = {
                    let (tenant, plan) = (tenant.clone(), plan.clone());
                    move |conn: &mut Connection| load_candidates(conn, &tenant, kind, &plan)
                };
                let (candidates, _) = self.run(load).await?;
                (plan, tenant, candidates)
            }
            _ => {
                // Point reads (Entra ID's lookups) run inline on a reader
                // connection; `read` may retry the load on the pool, so it
                // shares the plan instead of moving it.
                let point = is_point_read(kind, &plan);
                let shared = Arc::new((tenant, plan));
                let load = {
                    let shared = shared.clone();
                    move |conn: &mut Connection| load_candidates(conn, &shared.0, kind, &shared.1)
                };
                let (candidates, total) = if point {
                    self.read(load).await?
                } else {
                    self.run(load).await?
                };
                if let Some(total) = total {
                    // The page itself, cut in SQL.
                    return Ok(QueryResult::new(total, candidates));
                }
                let (tenant, plan) = Arc::unwrap_or_clone(shared);
                (plan, tenant, candidates)
            }
        };
        let mut result = query::finish(schema, &plan, &candidates, query)?;
        drop(candidates);
        // After a scan, `groups` is computed for the page only. The
        // evaluator cannot run inside the blocking closure (it needs the
        // borrowed schema), so this is a second, short read: it sees
        // memberships as of a moment later than the scan, as a later
        // request would.
        if kind == Kind::Host
            && plan.groups == GroupsLoad::Returned
            && plan.source == Source::Scan
            && !result.resources.is_empty()
        {
            let ids: Vec<String> = result
                .resources
                .iter()
                .map(|r| r.id().as_str().to_owned())
                .collect();
            let tenant = tenant.clone();
            let groups = self
                .run(move |conn| {
                    let tx = conn.transaction()?;
                    let mut out = Vec::with_capacity(ids.len());
                    for id in &ids {
                        out.push(groups_of_host(&tx, &tenant, id)?);
                    }
                    tx.finish()?;
                    Ok(out)
                })
                .await?;
            for (r, g) in result.resources.iter_mut().zip(groups) {
                set_groups(r, g)?;
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
        let _written = self.resume.write(tenant.as_str());
        if Kind::of(schema)? != Kind::HostGroup {
            return Err(error::no_members(schema));
        }
        let tenant = tenant.as_str().to_owned();
        let id = id.as_str().to_owned();
        let expect = Expect::of(expected);
        let add = delta
            .add
            .iter()
            .map(MemberRow::of)
            .collect::<Result<Vec<_>, _>>()?;
        let remove = delta.remove.clone();
        let remove_all = delta.remove_all;
        let last_modified = format_date_time(last_modified);
        let check = self.check_members;
        let indexes = self.indexes.clone();
        let revision = self
            .write(move |tx: &Connection| {
                tenant_exists(tx, &tenant)?;
                let current = revision(tx, sql::GROUP_REVISION, &tenant, &id)?;
                expect.check(current)?;
                let mut rows = 0;
                if remove_all {
                    rows += tx
                        .prepare_cached(sql::DELETE_ALL_MEMBERS)?
                        .execute(params![tenant, id])?;
                }
                if !remove.is_empty() {
                    let mut delete = tx.prepare_cached(sql::DELETE_MEMBER)?;
                    for member in &remove {
                        rows += delete.execute(params![tenant, id, member])?;
                    }
                }
                if !add.is_empty() {
                    let last: i64 = tx
                        .prepare_cached(sql::MAX_POSITION)?
                        .query_row(params![tenant, id], |r| r.get(0))?;
                    rows += insert_members(tx, &tenant, &id, &add, last, check)?;
                }
                if let (0, Some(current)) = (rows, current) {
                    // Nothing changed (a retried add or remove): version and
                    // lastModified stay.
                    return Ok(current);
                }
                let revision: i64 = tx
                    .prepare_cached(sql::BUMP_GROUP)?
                    .query_row(params![tenant, id, last_modified], |r| r.get(0))?;
                keys::bump_last_modified(
                    tx,
                    &indexes.groups,
                    sql::SET_GROUP_LAST_MODIFIED_KEY,
                    &tenant,
                    &id,
                    &last_modified,
                )?;
                Ok(revision)
            })
            .await?;
        Ok(Version::from_revision(document::revision_u64(revision)))
    }
}

/// Whether a query reads only the rows one key selects through an index
/// (the id or `userName`, unique; a Group's `displayName`, in practice one)
/// and no member list: cheap enough to run inline on the async thread.
fn is_point_read(kind: Kind, plan: &Plan) -> bool {
    match (kind, &plan.source) {
        (Kind::Host, Source::Hint(Hint::Id(_) | Hint::UserNameKey(_))) => true,
        (Kind::HostGroup, Source::Hint(Hint::Id(_) | Hint::DisplayNameKey(_))) => {
            plan.members == MemberLoad::None
        }
        _ => false,
    }
}

/// A stored Group's JSON with its members rebuilt from the rows written.
fn with_member_rows(json: JsonObject, rows: Vec<MemberRow>) -> Result<Resource, StoreError> {
    let mut stored = Resource::from_json(json).map_err(StoreError::backend)?;
    let members = rows
        .into_iter()
        .map(row_json)
        .collect::<Result<Vec<_>, _>>()?;
    set_members(&mut stored, Some(members))?;
    Ok(stored)
}

/// The parameters `?1`–`?18` that `INSERT_HOST` and `UPDATE_HOST` share,
/// in column order.
// `&String`, not `&str`: an unsized `str` cannot become `&dyn ToSql`.
#[allow(clippy::ptr_arg)]
fn host_row<'a>(
    tenant: &'a String,
    id: &'a String,
    cols: &'a HostColumns,
    revision: &'a i64,
    created: &'a String,
    last_modified: &'a String,
    doc: &'a String,
) -> [&'a dyn ToSql; 18] {
    [
        tenant,
        id,
        &cols.user_name,
        &cols.user_name_key,
        &cols.external_id,
        &cols.given_name,
        &cols.family_name,
        &cols.work_email,
        &cols.other_email,
        &cols.work_phone,
        &cols.mobile_phone,
        &cols.organization,
        &cols.department,
        &cols.visible,
        revision,
        created,
        last_modified,
        doc,
    ]
}
