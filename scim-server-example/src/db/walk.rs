//! Sorted, paged reads cut in SQL, shared by both backends: an exact id set
//! (or every resource of the type) in the evaluator's order, one page at a
//! time, with RFC 9865 keyset cursors issued by the store.
//!
//! A [`Walk`] reads only ids (and sort keys) until the page is cut; the
//! documents are read for the page alone. Its order is the one
//! [`scim_core::list::evaluate`] gives:
//!
//! * unsorted: by `id` in byte order (PostgreSQL's id columns are
//!   `COLLATE "C"`);
//! * `sortBy` on a single-valued indexed attribute: by its index key
//!   ([`scim_core::index::Key::encoded`], compared byte-wise as `BLOB` /
//!   `BYTEA`), resources without a value last in ascending order and first
//!   in descending order, ties by `id` ascending. The key a resource sorts
//!   by is its one row of that index, the same value
//!   [`scim_core::list::sort_key`] computes.
//!
//! `startIndex` pages skip ids in SQL (`OFFSET`, no documents read before
//! the page). Cursor pages continue after the last resource of the
//! previous page ([`Position`]): `id > ?` or `(key, id)` after the
//! position's, so a walk is unaffected by creations and deletions before
//! its position and every resource present for the whole walk is returned
//! once. A walk over every resource without a sort is an index range scan
//! of the primary key: its cost does not grow with the tenant.
//!
//! Sorting by anything else (a multi-valued attribute, an attribute without
//! an index) is not a walk: the backend lets the evaluator sort, within the
//! scan budget.

use std::fmt::Write as _;

use scim_core::list::{
    Cursor, CursorScope, ListQuery, Page, Position, QueryResult, SortOrder, SortPosition,
};
use scim_core::resource::Resource;
use scim_core::schema::ResourceSchema;
use scim_core::store::StoreError;

use super::index::{Dialect, IdSet, Maintained, Param};
use super::kind::Kind;

/// How a walk is ordered.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Order {
    /// By `id`.
    Id,
    /// By the key of the index `index`, then `id`.
    Key {
        /// `index_names.id` of the sort attribute's index.
        index: i64,
        /// `sortOrder=descending`.
        descending: bool,
    },
}

/// Which page.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Slice {
    /// `startIndex` paging: skip `offset` ids.
    Offset {
        /// Ids to skip.
        offset: i64,
        /// Ids to return.
        limit: i64,
    },
    /// `startIndex` paging continued from where the previous page of the
    /// same walk ended ([`Resume`]): the ids after `after`, no cursor.
    Resumed {
        /// The last resource of the previous page.
        after: Position,
        /// The offset this page starts at.
        offset: i64,
        /// Ids to return.
        limit: i64,
    },
    /// Cursor paging: the ids after `after` (from the start without one).
    After {
        /// Where the previous page ended.
        after: Option<Position>,
        /// Ids to return.
        limit: i64,
    },
}

/// A sorted, paged read of an exact id set in SQL; see the module docs.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct Walk {
    /// The matches, exactly; `None` for every resource of the type.
    pub(crate) set: Option<IdSet>,
    /// The order.
    pub(crate) order: Order,
    /// The page.
    pub(crate) slice: Slice,
}

/// The walk answering `query` over `set` (`None`: every resource), or
/// `None` when its sort cannot be served by an index (the caller lets the
/// evaluator sort).
///
/// # Errors
///
/// [`StoreError::InvalidQuery`] for a cursor this query did not issue.
pub(crate) fn plan(
    m: &Maintained,
    schema: &ResourceSchema,
    query: &ListQuery,
    set: Option<IdSet>,
) -> Result<Option<Walk>, StoreError> {
    let order = match &query.sort {
        None => Order::Id,
        Some(sort) => match sort_index(m, schema, &sort.by) {
            Some(index) => Order::Key {
                index,
                descending: sort.order == SortOrder::Descending,
            },
            None => return Ok(None),
        },
    };
    let slice = match &query.page {
        Page::Index { start_index, count } => Slice::Offset {
            offset: to_i64(start_index.saturating_sub(1)),
            limit: to_i64(*count),
        },
        Page::Cursor { cursor, count } => {
            let after = match cursor {
                None => None,
                Some(text) => {
                    let cursor = Cursor::decode(text, &query.cursor_scope)
                        .map_err(StoreError::invalid_query)?;
                    let position = cursor.position().clone();
                    let fits = matches!(
                        (order, position.sort()),
                        (Order::Id, SortPosition::Unsorted)
                            | (
                                Order::Key { .. },
                                SortPosition::Key(_) | SortPosition::Missing
                            )
                    );
                    if !fits {
                        return Err(StoreError::invalid_query(scim_core::Error::invalid_cursor(
                            "this cursor belongs to another query; start again with an empty \
                             \"cursor\"",
                        )));
                    }
                    Some(position)
                }
            };
            Slice::After {
                after,
                limit: to_i64(*count),
            }
        }
    };
    Ok(Some(Walk { set, order, slice }))
}

/// The index that orders `by`: a single-valued attribute (or
/// sub-attribute) indexed without a value filter, with rows. Its one key
/// per resource is the value `list::sort_key` sorts by.
fn sort_index(
    m: &Maintained,
    schema: &ResourceSchema,
    by: &scim_core::filter::AttrPath,
) -> Option<i64> {
    let resolved = schema.resolve(by)?;
    if resolved.legacy_dotted_urn {
        return None;
    }
    let mut name = String::new();
    if let Some(ext) = resolved.extension {
        let _ = write!(name, "{}:", ext.id.as_str());
    }
    name.push_str(&resolved.attr.name);
    if let Some(sub) = resolved.sub {
        let _ = write!(name, ".{}", sub.name);
    }
    let def = schema.indexes().iter().find(|d| d.name() == name)?;
    if def.multi_valued() || def.value_filter().is_some() {
        return None;
    }
    m.id(def.name())
}

/// The rendered statements of a walk.
#[derive(Clone, Debug)]
pub(crate) struct Statements {
    /// `SELECT COUNT(*)`: the total.
    pub(crate) count: String,
    /// `SELECT id, key`: the page's ids (and sort keys) in order, one more
    /// than the page for cursor slices (whether a next page exists).
    pub(crate) ids: String,
    /// The parameters of `ids` from `?2`/`$2` (the tenant is `?1`/`$1`);
    /// `count` takes the set's only.
    pub(crate) params: Vec<Param>,
    /// The set's parameters, for `count`.
    pub(crate) count_params: usize,
}

impl Walk {
    /// How many ids the `ids` statement returns at most.
    pub(crate) fn fetch(&self) -> i64 {
        match &self.slice {
            Slice::Offset { limit, .. } | Slice::Resumed { limit, .. } => *limit,
            Slice::After { limit, .. } => limit.saturating_add(1),
        }
    }

    /// The page size asked for.
    pub(crate) fn limit(&self) -> i64 {
        match &self.slice {
            Slice::Offset { limit, .. }
            | Slice::Resumed { limit, .. }
            | Slice::After { limit, .. } => *limit,
        }
    }

    /// The statements in `dialect` for `kind`.
    pub(crate) fn render(&self, kind: Kind, dialect: Dialect) -> Statements {
        let (table, keys, owner) = match kind {
            Kind::Host => ("hosts", "host_keys", "host_id"),
            Kind::HostGroup => ("host_groups", "group_keys", "group_id"),
        };
        let tenant = placeholder(dialect, 1);
        let mut params: Vec<Param> = self
            .set
            .as_ref()
            .map_or_else(Vec::new, |s| s.params.clone());
        let count_params = params.len();
        let bind = |p: Param, params: &mut Vec<Param>| {
            params.push(p);
            placeholder(dialect, params.len() + 1)
        };
        // PostgreSQL's id columns are `COLLATE "C"`: byte order, as here.
        let id = "x.id";
        let mut from = format!("{table} x");
        let mut conds = vec![format!("x.tenant_id = {tenant}")];
        if let Some(set) = &self.set {
            conds.push(format!("x.id IN ({})", set.sql));
        }
        let count = format!(
            "SELECT COUNT(*) FROM {table} x WHERE {}",
            conds.join(" AND ")
        );
        let key = match dialect {
            Dialect::Sqlite => "k.key".to_owned(),
            Dialect::Postgres => "coalesce(k.full_key, k.key)".to_owned(),
        };
        let (select_key, order_by) = match self.order {
            Order::Id => (
                match dialect {
                    Dialect::Sqlite => "NULL".to_owned(),
                    Dialect::Postgres => "NULL::bytea".to_owned(),
                },
                id.to_owned(),
            ),
            Order::Key { index, descending } => {
                let _ = write!(
                    from,
                    " LEFT JOIN {keys} k ON k.tenant_id = x.tenant_id AND k.index_id = {index} \
                     AND k.{owner} = x.id"
                );
                let order = if descending {
                    format!("(k.key IS NULL) DESC, {key} DESC, {id}")
                } else {
                    format!("(k.key IS NULL), {key}, {id}")
                };
                (key.clone(), order)
            }
        };
        let mut tail = String::new();
        match &self.slice {
            Slice::Offset { offset, limit } => {
                let _ = write!(tail, " LIMIT {limit} OFFSET {offset}");
            }
            Slice::After { .. } | Slice::Resumed { .. } => {
                let after = match &self.slice {
                    Slice::After { after, .. } => after.as_ref(),
                    Slice::Resumed { after, .. } => Some(after),
                    Slice::Offset { .. } => None,
                };
                if let Some(after) = after {
                    let after_id = bind(Param::Text(after.id().to_owned()), &mut params);
                    let descending = matches!(
                        self.order,
                        Order::Key {
                            descending: true,
                            ..
                        }
                    );
                    let cond = match after.sort() {
                        SortPosition::Key(k) => {
                            let k = bind(Param::Bytes(k.clone()), &mut params);
                            if descending {
                                format!(
                                    "(k.key IS NOT NULL AND ({key} < {k} OR ({key} = {k} AND \
                                     {id} > {after_id})))"
                                )
                            } else {
                                format!(
                                    "(k.key IS NULL OR {key} > {k} OR ({key} = {k} AND {id} > \
                                     {after_id}))"
                                )
                            }
                        }
                        SortPosition::Missing if descending => {
                            format!("(k.key IS NOT NULL OR {id} > {after_id})")
                        }
                        SortPosition::Missing => format!("(k.key IS NULL AND {id} > {after_id})"),
                        _ => format!("{id} > {after_id}"),
                    };
                    conds.push(cond);
                }
                let _ = write!(tail, " LIMIT {}", self.fetch());
            }
        }
        let ids = format!(
            "SELECT x.id, {select_key} FROM {from} WHERE {} ORDER BY {order_by}{tail}",
            conds.join(" AND ")
        );
        Statements {
            count,
            ids,
            params,
            count_params,
        }
    }

    /// The page's ids, the next cursor, and where an index-paged page
    /// ended, from the rows of the `ids` statement (`(id, key)`, at most
    /// [`Walk::fetch`]).
    pub(crate) fn cut(&self, query: &ListQuery, mut rows: Vec<(String, Option<Vec<u8>>)>) -> Cut {
        let limit = usize::try_from(self.limit()).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let last = rows.last().map(|(id, key)| match (self.order, key) {
            (Order::Id, _) => Position::after_id(id.clone()),
            (Order::Key { .. }, Some(key)) => Position::after_key(key.clone(), id.clone()),
            (Order::Key { .. }, None) => Position::after_missing(id.clone()),
        });
        let (next_cursor, ended) = match (&self.slice, last) {
            (Slice::After { .. }, Some(last)) if more => {
                (Some(Cursor::new(&query.cursor_scope, last).encode()), None)
            }
            (Slice::Offset { offset, .. } | Slice::Resumed { offset, .. }, Some(last)) => {
                let end = offset.saturating_add(i64::try_from(rows.len()).unwrap_or(i64::MAX));
                (None, Some((end, last)))
            }
            _ => (None, None),
        };
        Cut {
            ids: rows.into_iter().map(|(id, _)| id).collect(),
            next_cursor,
            ended,
        }
    }
}

/// A page cut by [`Walk::cut`].
#[derive(Debug)]
pub(crate) struct Cut {
    /// The page's ids, in order.
    pub(crate) ids: Vec<String>,
    /// The next page's cursor (cursor paging).
    pub(crate) next_cursor: Option<String>,
    /// For index paging: the offset after this page and its last
    /// resource, for [`Resume::ended`].
    pub(crate) ended: Option<(i64, Position)>,
}

/// What a store remembers of index-paged walks so that they cost the same
/// on every page: where each page ended, and the totals. A client walking
/// `startIndex=1`, `101`, `201`, … (Okta's and OneLogin's imports do)
/// gets each next page from the last key of the previous one instead of
/// an `OFFSET` that grows with the page number, and the total without a
/// `COUNT(*)` per page.
///
/// Both are valid only while the tenant is unchanged: every write through
/// this store advances the tenant's generation, and a memo of an older
/// generation is ignored, so answers are exactly the ones `OFFSET` and
/// `COUNT(*)` give. (Writes of other processes on the same database are
/// not seen: with several server processes on one PostgreSQL database a
/// walk may continue from its last key across another process's write,
/// which index paging allows, RFC 7644 §3.4.2.4.)
///
/// Memos are bounded ([`Resume::CAPACITY`] of each kind); keys are the
/// query's [`CursorScope`], which includes
/// the tenant, the filter and the sort. Queries without one (built by
/// hand, unbound) are never memoised.
#[derive(Debug, Default)]
pub(crate) struct Resume {
    state: std::sync::Mutex<ResumeState>,
}

#[derive(Debug, Default)]
struct ResumeState {
    /// Writes seen per tenant.
    generations: std::collections::HashMap<String, u64>,
    /// (scope, offset after a page) → (its last resource, generation).
    ends: std::collections::HashMap<(CursorScope, i64), (Position, u64)>,
    /// scope → (total, generation).
    totals: std::collections::HashMap<CursorScope, (u64, u64)>,
}

impl Resume {
    /// Memos of each kind kept at most; past it they are all dropped.
    pub(crate) const CAPACITY: usize = 4096;

    /// A write of `tenant` is starting: when the returned guard is dropped
    /// (the write committed, failed or was abandoned), the tenant's memos
    /// are no longer valid. Dropped after the commit, so that a read that
    /// started before it cannot memoise under the new generation.
    pub(crate) fn write<'a>(&'a self, tenant: &'a str) -> Writing<'a> {
        Writing {
            resume: self,
            tenant,
        }
    }

    /// Records a write of `tenant`: its memos are no longer valid.
    fn touched(&self, tenant: &str) {
        let mut st = self.lock();
        match st.generations.get_mut(tenant) {
            Some(g) => *g += 1,
            None => {
                st.generations.insert(tenant.to_owned(), 1);
            }
        }
    }

    /// The generation of `tenant` now: read it before the read it
    /// memoises, so that a write during the read invalidates the memo.
    pub(crate) fn generation(&self, tenant: &str) -> u64 {
        self.lock().generations.get(tenant).copied().unwrap_or(0)
    }

    /// `walk`, continued from the end of the previous page when this
    /// page starts where one of the same walk ended.
    pub(crate) fn continued(&self, query: &ListQuery, generation: u64, walk: Walk) -> Walk {
        let Slice::Offset { offset, limit } = walk.slice else {
            return walk;
        };
        if offset == 0 || !bound(query) {
            return walk;
        }
        let st = self.lock();
        match st.ends.get(&(query.cursor_scope, offset)) {
            Some((after, g)) if *g == generation => Walk {
                slice: Slice::Resumed {
                    after: after.clone(),
                    offset,
                    limit,
                },
                ..walk
            },
            _ => walk,
        }
    }

    /// The memoised total of `query`, if still valid.
    pub(crate) fn total(&self, query: &ListQuery, generation: u64) -> Option<u64> {
        if !bound(query) {
            return None;
        }
        match self.lock().totals.get(&query.cursor_scope) {
            Some((total, g)) if *g == generation => Some(*total),
            _ => None,
        }
    }

    /// Remembers a page's total and where it ended.
    pub(crate) fn ended(
        &self,
        query: &ListQuery,
        generation: u64,
        total: u64,
        ended: Option<(i64, Position)>,
    ) {
        if !bound(query) {
            return;
        }
        let mut st = self.lock();
        if st.totals.len() >= Self::CAPACITY {
            st.totals.clear();
        }
        st.totals.insert(query.cursor_scope, (total, generation));
        if let Some((end, last)) = ended {
            if st.ends.len() >= Self::CAPACITY {
                st.ends.clear();
            }
            st.ends
                .insert((query.cursor_scope, end), (last, generation));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ResumeState> {
        // The state is only ever replaced whole; a panic elsewhere cannot
        // leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A write in progress; see [`Resume::write`].
#[must_use = "the generation advances when the guard is dropped"]
pub(crate) struct Writing<'a> {
    resume: &'a Resume,
    tenant: &'a str,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.resume.touched(self.tenant);
    }
}

/// Whether the query's cursors are bound (its scope names it).
fn bound(query: &ListQuery) -> bool {
    query.cursor_scope != CursorScope::default()
}

/// The result of a walk: `resources` (read by the page's ids, in any
/// order) put in the page's order.
pub(crate) fn result(
    total: u64,
    ids: &[String],
    mut resources: Vec<Resource>,
    next_cursor: Option<String>,
) -> QueryResult {
    let rank: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    resources.sort_by_key(|r| rank.get(r.id().as_str()).copied());
    let mut out = QueryResult::new(total, resources);
    out.next_cursor = next_cursor;
    out
}

fn placeholder(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("?{n}"),
        Dialect::Postgres => format!("${n}"),
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use scim_core::schema::Registry;
    use scim_core::store::TenantId;

    use super::*;

    fn bound_query(tenant: &str, start: u64) -> ListQuery {
        let users = Registry::standard().resource_type("User").unwrap().clone();
        let mut q = ListQuery::new(Page::Index {
            start_index: start,
            count: 10,
        });
        q.bind_cursors(&TenantId::new(tenant), &users);
        q
    }

    fn walk(offset: i64) -> Walk {
        Walk {
            set: None,
            order: Order::Id,
            slice: Slice::Offset { offset, limit: 10 },
        }
    }

    #[test]
    fn the_next_page_of_an_index_walk_continues_from_the_last_key() {
        let resume = Resume::default();
        let g = resume.generation("t");
        let first = bound_query("t", 1);
        resume.ended(&first, g, 25, Some((10, Position::after_id("j"))));
        let second = bound_query("t", 11);
        assert_eq!(
            resume.continued(&second, g, walk(10)).slice,
            Slice::Resumed {
                after: Position::after_id("j"),
                offset: 10,
                limit: 10
            }
        );
        assert_eq!(resume.total(&second, g), Some(25));
        // Another page, another tenant, another query: not continued.
        assert_eq!(resume.continued(&second, g, walk(20)), walk(20));
        let other_tenant = bound_query("u", 11);
        assert_eq!(resume.continued(&other_tenant, g, walk(10)), walk(10));
        assert_eq!(resume.total(&other_tenant, g), None);
    }

    #[test]
    fn a_write_of_the_tenant_ends_its_memos() {
        let resume = Resume::default();
        let q = bound_query("t", 11);
        let g = resume.generation("t");
        resume.ended(&q, g, 25, Some((10, Position::after_id("j"))));
        drop(resume.write("u"));
        assert_eq!(resume.generation("t"), g, "another tenant's write");
        assert!(matches!(
            resume.continued(&q, resume.generation("t"), walk(10)).slice,
            Slice::Resumed { .. }
        ));
        let writing = resume.write("t");
        // Not before the write is over: a read that starts now may not
        // see it, and must not be memoised as if it had.
        assert_eq!(resume.generation("t"), g);
        drop(writing);
        let now = resume.generation("t");
        assert_ne!(now, g);
        assert_eq!(resume.continued(&q, now, walk(10)), walk(10));
        assert_eq!(resume.total(&q, now), None);
        // A memo made under the old generation is ignored too.
        resume.ended(&q, g, 25, Some((10, Position::after_id("j"))));
        assert_eq!(resume.continued(&q, now, walk(10)), walk(10));
    }

    #[test]
    fn unbound_queries_and_first_pages_are_never_memoised() {
        let resume = Resume::default();
        let unbound = ListQuery::new(Page::Index {
            start_index: 11,
            count: 10,
        });
        resume.ended(&unbound, 0, 25, Some((10, Position::after_id("j"))));
        assert_eq!(resume.continued(&unbound, 0, walk(10)), walk(10));
        assert_eq!(resume.total(&unbound, 0), None);
        let first = bound_query("t", 1);
        assert_eq!(resume.continued(&first, 0, walk(0)), walk(0));
    }

    #[test]
    fn memos_stay_bounded() {
        let resume = Resume::default();
        let q = bound_query("t", 1);
        for end in 0..(Resume::CAPACITY as i64 * 3) {
            resume.ended(&q, 0, 1, Some((end + 1, Position::after_id("x"))));
        }
        assert!(resume.lock().ends.len() <= Resume::CAPACITY);
    }
}
