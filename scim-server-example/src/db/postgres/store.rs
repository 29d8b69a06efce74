//! The PostgreSQL `ResourceStore`: each SCIM operation as the statements
//! of one transaction, and the list queries an index plan turns into SQL.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use scim_core::filter::eval::SchemaFacts;
use scim_core::id::{ResourceId, Version};
use scim_core::list::{ListQuery, QueryResult};
use scim_core::project::Projection;
use scim_core::resource::{Resource, format_date_time, now};
use scim_core::schema::ResourceSchema;
use scim_core::store::{MemberDelta, ResourceStore, StoreError, TenantId};
use scim_core::time::OffsetDateTime;
use serde_json::Value;
use tokio_postgres::IsolationLevel;
use tokio_postgres::types::ToSql;

use super::nul::{enc, enc_opt};
use super::row::{
    execute, groups_of_hosts, insert_members, member_rows, resources, revision, row_json, row_opt,
    rows, run_query, statements, with_member_rows,
};
use super::{Fail, PgDb, keys, sql, unique_violation};
use crate::db::document::{self, split_for_write, timestamps};
use crate::db::error;
use crate::db::expect::Expect;
use crate::db::group::GroupColumns;
use crate::db::host::HostColumns;
use crate::db::index::{self, Dialect};
use crate::db::key;
use crate::db::kind::Kind;
use crate::db::members::{MemberRow, set_groups, set_members};
use crate::db::query::{self, MemberLoad, Source};
use crate::db::walk;

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
