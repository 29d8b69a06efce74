//! The PostgreSQL side of secondary indexes (`db/index.rs`): index rows in
//! the write transactions, the start-up sync, and filtered reads.

use bytes::BytesMut;
use deadpool_postgres::GenericClient;
use scim_core::filter::eval::Matcher;
use scim_core::list::{ListQuery, QueryResult};
use scim_core::resource::Resource;
use scim_core::schema::{Registry, ResourceSchema};
use scim_core::store::StoreError;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::nul::enc;
use super::row::{attach_members, execute, resources, rows};
use super::{Fail, sql};
use crate::db::index::{
    self, Access, BATCH, Declared, Dialect, IdSet, Indexes, Maintained, Param, pg_key,
};
use crate::db::query::{GroupsLoad, MemberLoad, Plan};
use crate::db::walk::{self, Resume, Walk};
use crate::db::{document::assemble, kind::Kind};

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            // Text parameters compare with `memberships` columns, whose
            // text is NUL-escaped.
            Param::Text(t) => enc(t).as_ref().to_sql(ty, out),
            Param::Bytes(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <&str as ToSql>::accepts(ty) || <&[u8] as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

/// Replaces a resource's index rows (`replace`: delete the old ones first).
pub(super) async fn write_keys<C: GenericClient>(
    c: &C,
    kind: Kind,
    tenant: &str,
    id: &str,
    rows_in: &[(i64, Vec<u8>)],
    replace: bool,
) -> Result<(), Fail> {
    let (delete, insert) = match kind {
        Kind::Host => (sql::DELETE_HOST_KEYS, sql::INSERT_HOST_KEYS),
        Kind::HostGroup => (sql::DELETE_GROUP_KEYS, sql::INSERT_GROUP_KEYS),
    };
    if replace {
        execute(c, delete, &[&tenant, &id]).await?;
    }
    if rows_in.is_empty() {
        return Ok(());
    }
    let cols = columns(rows_in);
    execute(
        c,
        insert,
        &[
            &tenant,
            &id,
            &cols.ids,
            &cols.keys,
            &cols.fulls,
            &cols.texts,
        ],
    )
    .await?;
    Ok(())
}

/// Parallel arrays of index ids, cut keys, whole keys (`NULL` unless cut)
/// and NUL-escaped texts (`NULL` for keys that are not text).
struct Columns<'a> {
    ids: Vec<i64>,
    keys: Vec<&'a [u8]>,
    fulls: Vec<Option<&'a [u8]>>,
    texts: Vec<Option<std::borrow::Cow<'a, str>>>,
}

/// The parallel arrays of index rows, for `UNNEST`.
fn columns(rows_in: &[(i64, Vec<u8>)]) -> Columns<'_> {
    let mut c = Columns {
        ids: Vec::with_capacity(rows_in.len()),
        keys: Vec::with_capacity(rows_in.len()),
        fulls: Vec::with_capacity(rows_in.len()),
        texts: Vec::with_capacity(rows_in.len()),
    };
    for (index_id, key) in rows_in {
        let (cut, full) = pg_key(key);
        c.ids.push(*index_id);
        c.keys.push(cut);
        c.fulls.push(full);
        c.texts.push(index::text_of(key).map(enc));
    }
    c
}

/// A bumped group's (or the groups of a deleted member's) `meta.lastModified`
/// row.
pub(super) async fn bump_last_modified<C: GenericClient>(
    c: &C,
    m: &Maintained,
    statement: &str,
    tenant: &str,
    id: &str,
    at: &str,
) -> Result<(), Fail> {
    if let Some((index_id, key)) = m.last_modified_row(at) {
        execute(c, statement, &[&tenant, &id, &index_id, &key]).await?;
    }
    Ok(())
}

/// Creates the trigram indexes if `pg_trgm` can be enabled (in a
/// savepoint, so a refusal leaves the migration intact); whether they
/// exist.
pub(super) async fn trigram(tx: &mut deadpool_postgres::Transaction<'_>) -> Result<bool, Fail> {
    let sp = tx.savepoint("trigram").await?;
    let made = async {
        sp.batch_execute(sql::TRIGRAM_EXTENSION).await?;
        sp.batch_execute(sql::TRIGRAM_INDEXES).await
    }
    .await;
    match made {
        Ok(()) => {
            sp.commit().await?;
            Ok(true)
        }
        Err(e) => {
            sp.rollback().await?;
            tracing::warn!(
                error = %e,
                "pg_trgm is not available (CREATE EXTENSION pg_trgm was refused): `co` and `ew` \
                 filters scan the index rows of the attribute instead of a trigram index"
            );
            Ok(false)
        }
    }
}

/// Brings `index_names` and the index rows in line with the registry's
/// declarations, inside the migration transaction: rows of removed indexes
/// are deleted, added ones are built from the documents in batches.
pub(super) async fn sync<C: GenericClient>(c: &C, registry: &Registry) -> Result<Indexes, Fail> {
    let stored = index_names(c).await?;
    let declared = Declared::of(registry);
    for (id, type_name, name) in &stored {
        let keep = declared
            .iter()
            .any(|d| d.kind.type_name() == type_name && d.names.contains(name));
        if !keep {
            let delete = if type_name == Kind::Host.type_name() {
                sql::DELETE_HOST_KEYS_OF_INDEX
            } else {
                sql::DELETE_GROUP_KEYS_OF_INDEX
            };
            execute(c, delete, &[id]).await?;
            execute(c, sql::DELETE_INDEX_NAME, &[id]).await?;
            tracing::info!(index = %name, resource_type = %type_name, "dropped an index no longer declared");
        }
    }
    let mut added: Vec<(Kind, i64)> = Vec::new();
    for d in &declared {
        for name in &d.names {
            let present = stored
                .iter()
                .any(|(_, t, n)| t == d.kind.type_name() && n == name);
            if !present {
                let row = rows(
                    c,
                    sql::INSERT_INDEX_NAME,
                    &[&d.kind.type_name(), &name.as_str()],
                )
                .await?;
                if let Some(r) = row.first() {
                    added.push((d.kind, r.try_get(0)?));
                }
            }
        }
    }
    let indexes = Indexes::new(registry, &index_names(c).await?);
    for kind in [Kind::Host, Kind::HostGroup] {
        let ids: Vec<i64> = added
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, i)| *i)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let (Some(schema), m) = (indexes.schema(kind), indexes.of(kind)) else {
            continue;
        };
        let built = backfill(c, kind, schema, m, &ids).await?;
        // The planner needs to know the new rows (the trigram index is
        // only chosen once statistics say it is selective).
        let (table, _) = kind.keys_table();
        c.batch_execute(&format!("ANALYZE {table}")).await?;
        tracing::info!(
            resource_type = kind.type_name(),
            indexes = ids.len(),
            resources = built,
            "built new indexes"
        );
    }
    Ok(indexes)
}

async fn index_names<C: GenericClient>(c: &C) -> Result<Vec<(i64, String, String)>, Fail> {
    let mut out = Vec::new();
    for r in rows(c, sql::INDEX_NAMES, &[]).await? {
        out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
    }
    Ok(out)
}

/// Builds the rows of the indexes `ids` for every stored resource of
/// `kind`, [`BATCH`] documents at a time. Returns how many were read.
async fn backfill<C: GenericClient>(
    c: &C,
    kind: Kind,
    schema: &ResourceSchema,
    m: &Maintained,
    ids: &[i64],
) -> Result<u64, Fail> {
    let (select, insert) = match kind {
        Kind::Host => (sql::HOSTS_AFTER, sql::BACKFILL_HOST_KEYS),
        Kind::HostGroup => (sql::GROUPS_AFTER, sql::BACKFILL_GROUP_KEYS),
    };
    let (mut tenant, mut id) = (String::new(), String::new());
    let mut read = 0_u64;
    let batch_size = i64::try_from(BATCH).unwrap_or(i64::MAX);
    loop {
        let batch = rows(c, select, &[&tenant, &id, &batch_size]).await?;
        let Some(last) = batch.last() else {
            return Ok(read);
        };
        (tenant, id) = (last.try_get(0)?, last.try_get(1)?);
        let mut owners: Vec<(String, String)> = Vec::new();
        let mut all: Vec<(i64, Vec<u8>)> = Vec::new();
        for r in &batch {
            read += 1;
            let resource = assemble(r.try_get(4)?, r.try_get(2)?, r.try_get(3)?)?;
            for index_id in ids {
                for row in m.rows_of(schema, resource.json(), *index_id) {
                    owners.push((r.try_get(0)?, r.try_get(1)?));
                    all.push(row);
                }
            }
        }
        if all.is_empty() {
            continue;
        }
        let tenants: Vec<&str> = owners.iter().map(|(t, _)| t.as_str()).collect();
        let owner_ids: Vec<&str> = owners.iter().map(|(_, i)| i.as_str()).collect();
        let cols = columns(&all);
        execute(
            c,
            insert,
            &[
                &tenants,
                &owner_ids,
                &cols.ids,
                &cols.keys,
                &cols.fulls,
                &cols.texts,
            ],
        )
        .await?;
    }
}

/// What a filtered read returns.
pub(super) enum Loaded {
    /// The page, cut in SQL, with the total and the next cursor.
    Page(QueryResult),
    /// The resources the filter matches, for the evaluator to sort and
    /// page.
    Matches(Vec<Resource>),
}

/// Answers an index [`Access`] on `c` (a snapshot transaction).
#[allow(clippy::too_many_arguments)]
pub(super) async fn load<C: GenericClient>(
    c: &C,
    tenant: &str,
    kind: Kind,
    plan: &Plan,
    access: &Access,
    matcher: &Matcher,
    budget: u64,
    query: &ListQuery,
    resume: &Resume,
) -> Result<Loaded, Fail> {
    Ok(match access {
        Access::Walk(walk) => {
            Loaded::Page(walk_page(c, tenant, kind, plan, walk, query, resume).await?)
        }
        Access::Candidates { set, unindexed } => {
            let params = bound(&tenant, set);
            let limit = i64::try_from(budget.saturating_add(1)).unwrap_or(i64::MAX);
            let sql = format!("{} LIMIT {limit}", distinct(kind, set));
            let ids = id_column(&c.query(sql.as_str(), &params).await?)?;
            if u64::try_from(ids.len()).unwrap_or(u64::MAX) > budget {
                return Err(index::too_many(kind, unindexed, budget).into());
            }
            Loaded::Matches(matching(c, tenant, kind, plan, &ids, matcher).await?)
        }
        Access::Scan { unindexed } => {
            let all = match kind {
                Kind::Host => sql::HOST_IDS,
                Kind::HostGroup => sql::GROUP_IDS,
            };
            let limit = i64::try_from(budget.saturating_add(1)).unwrap_or(i64::MAX);
            let ids = id_column(&rows(c, all, &[&tenant, &limit]).await?)?;
            if u64::try_from(ids.len()).unwrap_or(u64::MAX) > budget {
                return Err(index::too_many(kind, unindexed, budget).into());
            }
            Loaded::Matches(matching(c, tenant, kind, plan, &ids, matcher).await?)
        }
    })
}

fn id_column(found: &[tokio_postgres::Row]) -> Result<Vec<String>, Fail> {
    let mut out = Vec::with_capacity(found.len());
    for r in found {
        out.push(r.try_get(0)?);
    }
    Ok(out)
}

/// The distinct ids of a set, in id (byte, `COLLATE "C"`) order. Index
/// rows and memberships only name existing resources (their foreign keys
/// cascade), so the resource table is not read: joining it made the
/// planner scan every document of the tenant for large sets.
fn distinct(_kind: Kind, set: &IdSet) -> String {
    format!("SELECT DISTINCT id FROM ({}) AS s ORDER BY id", set.sql)
}

/// One page of a [`Walk`] on `c` (a snapshot transaction): the total,
/// the page's ids (and sort keys) cut in SQL, then the page's documents.
pub(super) async fn walk_page<C: GenericClient>(
    c: &C,
    tenant: &str,
    kind: Kind,
    plan: &Plan,
    walk: &Walk,
    query: &ListQuery,
    resume: &Resume,
) -> Result<QueryResult, Fail> {
    let generation = resume.generation(tenant);
    let walk = resume.continued(query, generation, walk.clone());
    let st = walk.render(kind, Dialect::Postgres);
    let count = |sql: String, params: Vec<Param>| async move {
        let all = bound_params(&tenant, &params);
        let found = c.query(sql.as_str(), &all).await?;
        let n: i64 = match found.first() {
            Some(r) => r.try_get(0)?,
            None => 0,
        };
        Ok::<u64, Fail>(u64::try_from(n).unwrap_or(0))
    };
    let total = match resume.total(query, generation) {
        Some(total) => total,
        None => count(st.count.clone(), st.count_params.clone()).await?,
    };
    let mut rows: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    let fetch = usize::try_from(walk.fetch()).unwrap_or(usize::MAX);
    let mut keyed = None;
    if walk.limit() != 0 {
        keyed = match (&st.keyed_count, resume.keyed(query, generation)) {
            (Some(_), Some(keyed)) => Some(keyed),
            (Some(sql), None) => Some(count(sql.clone(), Vec::new()).await?),
            (None, _) => None,
        };
        for read in walk.reads(kind, Dialect::Postgres, total, keyed) {
            if rows.len() >= fetch {
                break;
            }
            let all = bound_params(&tenant, &read.params);
            for r in c.query(read.sql.as_str(), &all).await? {
                rows.push((r.try_get(0)?, r.try_get(1)?));
            }
        }
    }
    let cut = walk.cut(query, rows);
    let join = kind == Kind::Host && plan.groups != GroupsLoad::None;
    let mut page = by_ids(c, tenant, kind, &cut.ids, join).await?;
    if kind == Kind::HostGroup && plan.members == MemberLoad::All {
        attach_members(c, tenant, &mut page, &MemberLoad::All, false).await?;
    }
    resume.ended(query, generation, (total, keyed), cut.ended);
    Ok(walk::result(total, &cut.ids, page, cut.next_cursor))
}

/// `$1` the tenant, then `params`.
fn bound_params<'a>(tenant: &'a &'a str, params: &'a [Param]) -> Vec<&'a (dyn ToSql + Sync)> {
    let mut out: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(params.len() + 1);
    out.push(tenant);
    for p in params {
        out.push(p);
    }
    out
}

/// `$1` the tenant, then the set's parameters.
fn bound<'a>(tenant: &'a &'a str, set: &'a IdSet) -> Vec<&'a (dyn ToSql + Sync)> {
    let mut out: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(set.params.len() + 1);
    out.push(tenant);
    for p in &set.params {
        out.push(p);
    }
    out
}

/// Reads the resources `ids` [`BATCH`] at a time and keeps those the
/// filter matches.
async fn matching<C: GenericClient>(
    c: &C,
    tenant: &str,
    kind: Kind,
    plan: &Plan,
    ids: &[String],
    matcher: &Matcher,
) -> Result<Vec<Resource>, Fail> {
    let join = plan.groups == GroupsLoad::Candidates;
    let mut out = Vec::new();
    for chunk in ids.chunks(BATCH) {
        let mut batch = by_ids(c, tenant, kind, chunk, join).await?;
        if kind == Kind::HostGroup {
            attach_members(c, tenant, &mut batch, &plan.members, false).await?;
        }
        for r in batch {
            if matcher
                .matches_object(r.json())
                .map_err(|e| StoreError::invalid_query(scim_core::Error::from(e)))?
            {
                out.push(r);
            }
        }
    }
    out.shrink_to_fit();
    Ok(out)
}

/// Reads resources by id, in id order.
async fn by_ids<C: GenericClient>(
    c: &C,
    tenant: &str,
    kind: Kind,
    ids: &[String],
    join: bool,
) -> Result<Vec<Resource>, Fail> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = match (kind, join) {
        (Kind::Host, true) => sql::HOSTS_WITH_IDS_WITH_GROUPS,
        (Kind::Host, false) => sql::HOSTS_WITH_IDS,
        (Kind::HostGroup, _) => sql::GROUPS_WITH_IDS,
    };
    let found = rows(c, sql, &[&tenant, &ids]).await?;
    resources(&found, join && kind == Kind::Host)
}
