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

impl Slice {
    /// Where the page starts after: the previous page's last resource
    /// (cursor and continued index pages), `None` for a first page or an
    /// `OFFSET`.
    fn after(&self) -> Option<&Position> {
        match self {
            Self::After { after, .. } => after.as_ref(),
            Self::Resumed { after, .. } => Some(after),
            Self::Offset { .. } => None,
        }
    }
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

/// The counting statements of a walk.
#[derive(Clone, Debug)]
pub(crate) struct Statements {
    /// `SELECT COUNT(*)`: the total, with `count_params` from `?2`/`$2`
    /// (the tenant is `?1`/`$1`).
    pub(crate) count: String,
    /// The parameters of `count`: the set's.
    pub(crate) count_params: Vec<Param>,
    /// For a walk over every resource sorted by an index
    /// ([`Walk::is_split`]): `SELECT COUNT(*)` of that index's rows, the
    /// resources with a value (the tenant its only parameter).
    /// [`Walk::reads`] needs it.
    pub(crate) keyed_count: Option<String>,
}

/// One statement reading `(id, key)` rows of a walk, in the walk's order.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct Read {
    /// `SELECT id, key … ORDER BY … LIMIT`.
    pub(crate) sql: String,
    /// Its parameters from `?2`/`$2` (the tenant is `?1`/`$1`).
    pub(crate) params: Vec<Param>,
}

/// The two index-ordered parts of a split walk ([`Walk::is_split`]).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Part {
    /// The resources with a value: the sort index's rows, in key order.
    Keyed,
    /// The resources without one, by `id`.
    Missing,
}

impl Walk {
    /// How many ids the reads return at most, together.
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

    /// Whether this is a walk over every resource sorted by an index. Its
    /// order is the index's rows in key order, then (descending: before
    /// them) the resources without a value by `id`; each part is read on
    /// its own, as an index range that stops at the page, so that a page
    /// costs the same however many resources the tenant holds. (One
    /// statement joining every resource to its key has to sort them all
    /// first.)
    pub(crate) fn is_split(&self) -> bool {
        self.set.is_none() && matches!(self.order, Order::Key { .. })
    }

    /// The counting statements in `dialect` for `kind`.
    pub(crate) fn render(&self, kind: Kind, dialect: Dialect) -> Statements {
        let names = Names::of(kind);
        let mut conds = vec![format!("x.tenant_id = {}", placeholder(dialect, 1))];
        if let Some(set) = &self.set {
            conds.push(format!("x.id IN ({})", set.sql));
        }
        let keyed_count = match self.order {
            Order::Key { index, .. } if self.is_split() => Some(format!(
                "SELECT COUNT(*) FROM {} k WHERE k.tenant_id = {} AND k.index_id = {index}",
                names.keys,
                placeholder(dialect, 1)
            )),
            _ => None,
        };
        Statements {
            count: format!(
                "SELECT COUNT(*) FROM {} x WHERE {}",
                names.table,
                conds.join(" AND ")
            ),
            count_params: self
                .set
                .as_ref()
                .map_or_else(Vec::new, |s| s.params.clone()),
            keyed_count,
        }
    }

    /// The statements reading the page's ids (and sort keys), in order:
    /// run them in turn until [`Walk::fetch`] rows are in. `total` is the
    /// walk's total and `keyed` the result of
    /// [`Statements::keyed_count`] (needed for split walks only).
    pub(crate) fn reads(
        &self,
        kind: Kind,
        dialect: Dialect,
        total: u64,
        keyed: Option<u64>,
    ) -> Vec<Read> {
        let (Order::Key { index, descending }, true) = (self.order, self.is_split()) else {
            return vec![self.joined(kind, dialect)];
        };
        let keyed = keyed.unwrap_or(0).min(total);
        let parts = if descending {
            [(Part::Missing, total - keyed), (Part::Keyed, keyed)]
        } else {
            [(Part::Keyed, keyed), (Part::Missing, total - keyed)]
        };
        let read = |part, after: Option<&Position>, offset: u64, limit: i64| {
            self.part(kind, dialect, index, descending, part, after, offset, limit)
        };
        let mut out = Vec::new();
        match &self.slice {
            Slice::Offset { offset, limit } => {
                let mut skip = u64::try_from(*offset).unwrap_or(0);
                let mut want = u64::try_from(*limit).unwrap_or(0);
                for (part, n) in parts {
                    if want == 0 {
                        break;
                    }
                    if skip >= n {
                        skip -= n;
                        continue;
                    }
                    let take = want.min(n - skip);
                    out.push(read(part, None, skip, to_i64(take)));
                    want -= take;
                    skip = 0;
                }
            }
            Slice::After { .. } | Slice::Resumed { .. } => {
                let after = self.slice.after();
                let start = match after.map(Position::sort) {
                    Some(SortPosition::Key(_)) => Some(Part::Keyed),
                    Some(SortPosition::Missing) => Some(Part::Missing),
                    _ => None,
                };
                let from = parts
                    .iter()
                    .position(|(part, _)| Some(*part) == start)
                    .unwrap_or(0);
                for (i, (part, n)) in parts.iter().enumerate().skip(from) {
                    if *n == 0 {
                        continue;
                    }
                    let after = if i == from && start.is_some() {
                        after
                    } else {
                        None
                    };
                    out.push(read(*part, after, 0, self.fetch()));
                }
            }
        }
        out
    }

    /// One part of a split walk: `limit` ids from `offset`, after `after`.
    #[allow(clippy::too_many_arguments)]
    fn part(
        &self,
        kind: Kind,
        dialect: Dialect,
        index: i64,
        descending: bool,
        part: Part,
        after: Option<&Position>,
        offset: u64,
        limit: i64,
    ) -> Read {
        let names = Names::of(kind);
        let (keys, owner) = (names.keys, names.owner);
        let mut params = Vec::new();
        let mut bind = |p: Param| {
            params.push(p);
            placeholder(dialect, params.len() + 1)
        };
        let tenant = placeholder(dialect, 1);
        let mut sql = match part {
            Part::Keyed => {
                let (key, order): (&str, &[&str]) = match dialect {
                    Dialect::Sqlite => ("k.key", &["k.key"]),
                    // `key` is a prefix of the whole key, so ordering by
                    // it first (the index's order) and then by the whole
                    // key is ordering by the whole key.
                    Dialect::Postgres => (
                        "coalesce(k.full_key, k.key)",
                        &["k.key", "coalesce(k.full_key, k.key)"],
                    ),
                };
                let mut conds = vec![
                    format!("k.tenant_id = {tenant}"),
                    format!("k.index_id = {index}"),
                ];
                if let Some(SortPosition::Key(k)) = after.map(Position::sort) {
                    let k = bind(Param::Bytes(k.clone()));
                    let id = bind(Param::Text(after.map_or("", Position::id).to_owned()));
                    // The first condition bounds the index range; the
                    // second starts after the position within it.
                    let cut = match dialect {
                        Dialect::Sqlite => k.clone(),
                        Dialect::Postgres => {
                            format!(
                                "substring({k}::bytea from 1 for {})",
                                super::index::PG_KEY_LIMIT
                            )
                        }
                    };
                    let (bound, beyond) = if descending { ("<=", "<") } else { (">=", ">") };
                    conds.push(format!("k.key {bound} {cut}"));
                    conds.push(format!(
                        "({key} {beyond} {k} OR ({key} = {k} AND k.{owner} > {id}))"
                    ));
                }
                let direction = if descending { " DESC" } else { "" };
                let order = order
                    .iter()
                    .map(|o| format!("{o}{direction}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "SELECT k.{owner}, {key} FROM {keys} k WHERE {} ORDER BY {order}, k.{owner}",
                    conds.join(" AND ")
                )
            }
            Part::Missing => {
                let mut conds = vec![
                    format!("x.tenant_id = {tenant}"),
                    format!(
                        "NOT EXISTS (SELECT 1 FROM {keys} k WHERE k.tenant_id = x.tenant_id AND \
                         k.index_id = {index} AND k.{owner} = x.id)"
                    ),
                ];
                if let Some(SortPosition::Missing) = after.map(Position::sort) {
                    let id = bind(Param::Text(after.map_or("", Position::id).to_owned()));
                    conds.push(format!("x.id > {id}"));
                }
                format!(
                    "SELECT x.id, {} FROM {} x WHERE {} ORDER BY x.id",
                    null_key(dialect),
                    names.table,
                    conds.join(" AND ")
                )
            }
        };
        let _ = write!(sql, " LIMIT {limit}");
        if offset > 0 {
            let _ = write!(sql, " OFFSET {offset}");
        }
        Read { sql, params }
    }

    /// The one statement reading an id set's page, or every resource's
    /// by `id`.
    fn joined(&self, kind: Kind, dialect: Dialect) -> Read {
        let names = Names::of(kind);
        let (table, keys, owner) = (names.table, names.keys, names.owner);
        let tenant = placeholder(dialect, 1);
        let mut params: Vec<Param> = self
            .set
            .as_ref()
            .map_or_else(Vec::new, |s| s.params.clone());
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
        let key = match dialect {
            Dialect::Sqlite => "k.key".to_owned(),
            Dialect::Postgres => "coalesce(k.full_key, k.key)".to_owned(),
        };
        let (select_key, order_by) = match self.order {
            Order::Id => (null_key(dialect).to_owned(), id.to_owned()),
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
                let after = self.slice.after();
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
        let sql = format!(
            "SELECT x.id, {select_key} FROM {from} WHERE {} ORDER BY {order_by}{tail}",
            conds.join(" AND ")
        );
        Read { sql, params }
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
    /// scope → (total, rows of the sort index for a split walk,
    /// generation).
    totals: std::collections::HashMap<CursorScope, (u64, Option<u64>, u64)>,
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
            Some((total, _, g)) if *g == generation => Some(*total),
            _ => None,
        }
    }

    /// The memoised [`Statements::keyed_count`] of `query`, if still
    /// valid.
    pub(crate) fn keyed(&self, query: &ListQuery, generation: u64) -> Option<u64> {
        if !bound(query) {
            return None;
        }
        match self.lock().totals.get(&query.cursor_scope) {
            Some((_, keyed, g)) if *g == generation => *keyed,
            _ => None,
        }
    }

    /// Remembers a page's total (and, for a split walk, how many
    /// resources have a value) and where it ended.
    pub(crate) fn ended(
        &self,
        query: &ListQuery,
        generation: u64,
        (total, keyed): (u64, Option<u64>),
        ended: Option<(i64, Position)>,
    ) {
        if !bound(query) {
            return;
        }
        let mut st = self.lock();
        if st.totals.len() >= Self::CAPACITY {
            st.totals.clear();
        }
        st.totals
            .insert(query.cursor_scope, (total, keyed, generation));
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

/// The tables and owner column of `kind`'s resources and index rows.
struct Names {
    table: &'static str,
    keys: &'static str,
    owner: &'static str,
}

impl Names {
    fn of(kind: Kind) -> Self {
        let (table, keys, owner) = match kind {
            Kind::Host => ("hosts", "host_keys", "host_id"),
            Kind::HostGroup => ("host_groups", "group_keys", "group_id"),
        };
        Self { table, keys, owner }
    }
}

/// A `NULL` key column.
fn null_key(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "NULL",
        Dialect::Postgres => "NULL::bytea",
    }
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
mod tests;
