//! The SQLite side of secondary indexes (`db/index.rs`): index rows in
//! the write transactions, the start-up sync, and filtered reads.

use rusqlite::{Connection, ToSql, params, params_from_iter};
use scim_core::filter::eval::Matcher;
use scim_core::list::{ListQuery, QueryResult};
use scim_core::resource::Resource;
use scim_core::schema::Registry;
use scim_core::store::StoreError;

use super::row::{attach_members, read_groups, read_hosts};
use super::{Fail, sql};
use crate::db::index::{self, Access, BATCH, Declared, Dialect, IdSet, Indexes, Maintained, Param};
use crate::db::query::{GroupsLoad, MemberLoad, Plan};
use crate::db::walk::{self, Resume, Walk};
use crate::db::{document::assemble, kind::Kind};

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Text(t) => t.to_sql(),
            Param::Bytes(b) => b.to_sql(),
        }
    }
}

/// The most rows one insert statement writes (so that the statements,
/// one per count, stay few in the prepared-statement cache).
const ROWS_PER_INSERT: usize = 16;

/// Replaces a resource's index rows (`replace`: delete the old ones first).
///
/// The rows go in one multi-row `INSERT` per table (a few for a resource
/// with many keys): FTS5 flushes its pending terms to a new segment at
/// the start of every statement that writes it, so one statement per text
/// row made one segment, and later merges, per row.
pub(super) fn write_keys(
    tx: &Connection,
    kind: Kind,
    tenant: &str,
    id: &str,
    rows: &[(i64, Vec<u8>)],
    replace: bool,
) -> rusqlite::Result<()> {
    let (delete, delete_texts, insert, insert_texts) = match kind {
        Kind::Host => (
            sql::DELETE_HOST_KEYS,
            sql::DELETE_HOST_TEXTS,
            sql::INSERT_HOST_KEYS,
            sql::INSERT_HOST_TEXTS,
        ),
        Kind::HostGroup => (
            sql::DELETE_GROUP_KEYS,
            sql::DELETE_GROUP_TEXTS,
            sql::INSERT_GROUP_KEYS,
            sql::INSERT_GROUP_TEXTS,
        ),
    };
    if replace {
        tx.prepare_cached(delete)?.execute(params![tenant, id])?;
        tx.prepare_cached(delete_texts)?
            .execute(params![tenant, id])?;
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut bound: Vec<&dyn ToSql> = Vec::with_capacity(2 + 2 * chunk.len());
        bound.push(&tenant);
        bound.push(&id);
        for (index_id, key) in chunk {
            bound.push(index_id);
            bound.push(key);
        }
        tx.prepare_cached(&sql::keys_values(insert, chunk.len()))?
            .execute(&*bound)?;
    }
    let texts: Vec<(i64, &str)> = rows
        .iter()
        .filter_map(|(index_id, key)| Some((*index_id, index::text_of(key)?)))
        .collect();
    for chunk in texts.chunks(ROWS_PER_INSERT) {
        let mut bound: Vec<&dyn ToSql> = Vec::with_capacity(2 + 2 * chunk.len());
        bound.push(&tenant);
        bound.push(&id);
        for (index_id, text) in chunk {
            bound.push(index_id);
            bound.push(text);
        }
        tx.prepare_cached(&sql::texts_values(insert_texts, chunk.len()))?
            .execute(&*bound)?;
    }
    Ok(())
}

/// A bumped group's (or the groups of `sql`'s member's) `meta.lastModified`
/// row.
pub(super) fn bump_last_modified(
    tx: &Connection,
    m: &Maintained,
    statement: &str,
    tenant: &str,
    id: &str,
    at: &str,
) -> rusqlite::Result<()> {
    if let Some((index_id, key)) = m.last_modified_row(at) {
        tx.prepare_cached(statement)?
            .execute(params![tenant, id, index_id, key])?;
    }
    Ok(())
}

/// Brings `index_names` and the index rows in line with the registry's
/// declarations, in one transaction: rows of removed indexes are deleted,
/// added ones are built from the documents in batches.
pub(super) fn sync(conn: &mut Connection, registry: &Registry) -> Result<Indexes, Fail> {
    let tx = super::immediate(conn)?;
    let stored = index_names(&tx)?;
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
            for statement in delete.split(';') {
                tx.execute(statement, params![id])?;
            }
            tx.execute(sql::DELETE_INDEX_NAME, params![id])?;
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
                let id: i64 = tx.query_row(
                    sql::INSERT_INDEX_NAME,
                    params![d.kind.type_name(), name],
                    |r| r.get(0),
                )?;
                added.push((d.kind, id));
            }
        }
    }
    let indexes = Indexes::new(registry, &index_names(&tx)?);
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
        let built = backfill(&tx, kind, schema, m, &ids)?;
        tracing::info!(
            resource_type = kind.type_name(),
            indexes = ids.len(),
            resources = built,
            "built new indexes"
        );
    }
    flush_texts(&tx)?;
    tx.commit()?;
    // The bundled SQLite has FTS5 with the trigram tokenizer (migration 2
    // created the tables).
    Ok(indexes.with_trigram(true))
}

/// Brings the trigram indexes up to date with the text rows written in
/// this transaction ([`sql::FLUSH_TEXTS`]); last before its commit,
/// outside any savepoint.
pub(super) fn flush_texts(tx: &Connection) -> rusqlite::Result<()> {
    for statement in sql::FLUSH_TEXTS {
        tx.prepare_cached(statement)?.execute([])?;
    }
    Ok(())
}

fn index_names(tx: &Connection) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let mut stmt = tx.prepare(sql::INDEX_NAMES)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// Builds the rows of the indexes `ids` for every stored resource of
/// `kind`, [`BATCH`] documents at a time. Returns how many were read.
fn backfill(
    tx: &Connection,
    kind: Kind,
    schema: &scim_core::schema::ResourceSchema,
    m: &Maintained,
    ids: &[i64],
) -> Result<u64, Fail> {
    let select = match kind {
        Kind::Host => sql::HOSTS_AFTER,
        Kind::HostGroup => sql::GROUPS_AFTER,
    };
    let (mut tenant, mut id) = (String::new(), String::new());
    let mut read = 0_u64;
    loop {
        let batch: Vec<(String, String, i64, String, String)> = {
            let mut stmt = tx.prepare_cached(select)?;
            let rows = stmt.query_map(params![tenant, id, BATCH as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(last) = batch.last() else {
            return Ok(read);
        };
        (tenant, id) = (last.0.clone(), last.1.clone());
        for (t, rid, revision, last_modified, doc) in &batch {
            read += 1;
            let resource = assemble(doc, *revision, last_modified)?;
            let mut rows = Vec::new();
            for index_id in ids {
                rows.extend(m.rows_of(schema, resource.json(), *index_id));
            }
            write_keys(tx, kind, t, rid, &rows, false)?;
        }
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

/// Answers an index [`Access`] in one read transaction.
#[allow(clippy::too_many_arguments)]
pub(super) fn load(
    conn: &mut Connection,
    tenant: &String,
    kind: Kind,
    plan: &Plan,
    access: &Access,
    matcher: &Matcher,
    budget: u64,
    query: &ListQuery,
    resume: &Resume,
) -> Result<Loaded, Fail> {
    let tx = conn.transaction()?;
    let loaded = match access {
        Access::Walk(walk) => {
            Loaded::Page(walk_page(&tx, tenant, kind, plan, walk, query, resume)?)
        }
        Access::Candidates { set, unindexed } => {
            let ids: Vec<String> = {
                let limit = i64::try_from(budget.saturating_add(1)).unwrap_or(i64::MAX);
                let sql = format!("{} LIMIT {limit}", distinct(kind, set));
                let mut stmt = tx.prepare_cached(&sql)?;
                let rows = stmt.query_map(params_from_iter(bound(tenant, set)), |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            if ids.len() as u64 > budget {
                return Err(index::too_many(kind, unindexed, budget).into());
            }
            Loaded::Matches(matching(&tx, tenant, kind, plan, &ids, matcher)?)
        }
        Access::Scan { unindexed } => {
            let ids: Vec<String> = {
                let all = match kind {
                    Kind::Host => sql::HOST_IDS,
                    Kind::HostGroup => sql::GROUP_IDS,
                };
                let limit = i64::try_from(budget.saturating_add(1)).unwrap_or(i64::MAX);
                let mut stmt = tx.prepare_cached(all)?;
                let rows = stmt.query_map(params![tenant, limit], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            if ids.len() as u64 > budget {
                return Err(index::too_many(kind, unindexed, budget).into());
            }
            Loaded::Matches(matching(&tx, tenant, kind, plan, &ids, matcher)?)
        }
    };
    tx.finish()?;
    Ok(loaded)
}

/// One page of a [`Walk`], in one read transaction when `tx` is one: the
/// total, the page's ids (and sort keys) cut in SQL, then the page's
/// documents.
pub(super) fn walk_page(
    tx: &Connection,
    tenant: &String,
    kind: Kind,
    plan: &Plan,
    walk: &Walk,
    query: &ListQuery,
    resume: &Resume,
) -> Result<QueryResult, Fail> {
    let generation = resume.generation(tenant);
    let walk = resume.continued(query, generation, walk.clone());
    let st = walk.render(kind, Dialect::Sqlite);
    let count = |sql: &str, params: &[Param]| -> Result<u64, Fail> {
        let n: i64 = tx
            .prepare_cached(sql)?
            .query_row(params_from_iter(bound_params(tenant, params)), |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let total = match resume.total(query, generation) {
        Some(total) => total,
        None => count(&st.count, &st.count_params)?,
    };
    let mut rows: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    let fetch = usize::try_from(walk.fetch()).unwrap_or(usize::MAX);
    let mut keyed = None;
    if walk.limit() != 0 {
        keyed = match (&st.keyed_count, resume.keyed(query, generation)) {
            (Some(_), Some(keyed)) => Some(keyed),
            (Some(sql), None) => Some(count(sql, &[])?),
            (None, _) => None,
        };
        for read in walk.reads(kind, Dialect::Sqlite, total, keyed) {
            if rows.len() >= fetch {
                break;
            }
            let mut stmt = tx.prepare_cached(&read.sql)?;
            let found = stmt
                .query_map(params_from_iter(bound_params(tenant, &read.params)), |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            for row in found {
                rows.push(row?);
            }
        }
    }
    let cut = walk.cut(query, rows);
    let join = kind == Kind::Host && plan.groups != GroupsLoad::None;
    let mut page = by_ids(tx, tenant, kind, &cut.ids, join)?;
    if kind == Kind::HostGroup && plan.members == MemberLoad::All {
        attach_members(tx, tenant, &mut page, &MemberLoad::All, false)?;
    }
    resume.ended(query, generation, (total, keyed), cut.ended);
    Ok(walk::result(total, &cut.ids, page, cut.next_cursor))
}

/// `?1` the tenant, then `params`.
#[allow(clippy::ptr_arg)]
fn bound_params<'a>(tenant: &'a String, params: &'a [Param]) -> Vec<&'a dyn ToSql> {
    let mut out: Vec<&dyn ToSql> = Vec::with_capacity(params.len() + 1);
    out.push(tenant);
    for p in params {
        out.push(p);
    }
    out
}

/// The distinct ids of a set, in id (byte) order.
fn distinct(kind: Kind, set: &IdSet) -> String {
    let table = match kind {
        Kind::Host => "hosts",
        Kind::HostGroup => "host_groups",
    };
    format!(
        "SELECT x.id FROM {table} x WHERE x.tenant_id = ?1 AND x.id IN ({}) ORDER BY x.id",
        set.sql
    )
}

/// `?1` the tenant, then the set's parameters.
// `&String`, not `&str`: an unsized `str` cannot become `&dyn ToSql`.
#[allow(clippy::ptr_arg)]
fn bound<'a>(tenant: &'a String, set: &'a IdSet) -> Vec<&'a dyn ToSql> {
    let mut out: Vec<&dyn ToSql> = Vec::with_capacity(set.params.len() + 1);
    out.push(tenant);
    for p in &set.params {
        out.push(p);
    }
    out
}

/// Reads the resources `ids` [`BATCH`] at a time and keeps those the
/// filter matches.
fn matching(
    tx: &Connection,
    tenant: &str,
    kind: Kind,
    plan: &Plan,
    ids: &[String],
    matcher: &Matcher,
) -> Result<Vec<Resource>, Fail> {
    let join = plan.groups == GroupsLoad::Candidates;
    let mut out = Vec::new();
    for chunk in ids.chunks(BATCH) {
        let mut batch = by_ids(tx, tenant, kind, chunk, join)?;
        if kind == Kind::HostGroup {
            attach_members(tx, tenant, &mut batch, &plan.members, false)?;
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

/// Reads resources by id (primary-key lookups), in the order given.
fn by_ids(
    tx: &Connection,
    tenant: &str,
    kind: Kind,
    ids: &[String],
    join: bool,
) -> Result<Vec<Resource>, Fail> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match kind {
            Kind::Host => {
                let sql = if join {
                    sql::HOST_BY_ID_WITH_GROUPS
                } else {
                    sql::HOST_BY_ID
                };
                out.extend(read_hosts(tx, sql, params![tenant, id], join)?);
            }
            Kind::HostGroup => {
                out.extend(read_groups(tx, sql::GROUP_BY_ID, params![tenant, id])?);
            }
        }
    }
    Ok(out)
}
