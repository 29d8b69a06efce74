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

use scim_core::list::{Cursor, ListQuery, Page, Position, QueryResult, SortOrder, SortPosition};
use scim_core::resource::Resource;
use scim_core::schema::ResourceSchema;
use scim_core::store::StoreError;

use super::host::Kind;
use super::index::{Dialect, IdSet, Maintained, Param};

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
                        return Err(StoreError::invalid_query(scim_core::Error::InvalidCursor(
                            "this cursor belongs to another query; start again with an empty \
                             \"cursor\""
                                .to_owned(),
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
            Slice::Offset { limit, .. } => *limit,
            Slice::After { limit, .. } => limit.saturating_add(1),
        }
    }

    /// The page size asked for.
    pub(crate) fn limit(&self) -> i64 {
        match &self.slice {
            Slice::Offset { limit, .. } | Slice::After { limit, .. } => *limit,
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
            Slice::After { after, .. } => {
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

    /// The page's ids and the next cursor, from the rows of the `ids`
    /// statement (`(id, key)`, at most [`Walk::fetch`]).
    pub(crate) fn cut(
        &self,
        query: &ListQuery,
        mut rows: Vec<(String, Option<Vec<u8>>)>,
    ) -> (Vec<String>, Option<String>) {
        let limit = usize::try_from(self.limit()).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = match (&self.slice, rows.last()) {
            (Slice::After { .. }, Some((id, key))) if more => {
                let position = match (self.order, key) {
                    (Order::Id, _) => Position::after_id(id.clone()),
                    (Order::Key { .. }, Some(key)) => Position::after_key(key.clone(), id.clone()),
                    (Order::Key { .. }, None) => Position::after_missing(id.clone()),
                };
                Some(Cursor::new(&query.cursor_scope, position).encode())
            }
            _ => None,
        };
        (rows.into_iter().map(|(id, _)| id).collect(), next)
    }
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
