//! Listing and searching: sorting (RFC 7644 §3.4.2.3), index paging
//! (§3.4.2.4), cursor paging (RFC 9865), the query a store receives, the
//! `ListResponse` message, and an in-memory evaluator that any store may use
//! and that every store must agree with.
//!
//! # The order
//!
//! Without `sortBy`, resources are in `id` order (byte order). With it,
//! they are ordered by [`sort_key`] (compared as [`Key::encoded`] bytes),
//! resources without a sort value last in ascending order and first in
//! descending order, ties by `id` ascending in both. Index pages and
//! [`Cursor`]s follow that order; a store that sorts in a database orders by
//! the same encoded keys.

use std::cmp::Ordering;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::Error;
use crate::filter::eval::SchemaFacts;
use crate::filter::{AttrPath, Filter};
use crate::index::Key;
use crate::project::Projection;
use crate::resource::Resource;
use crate::schema::{AttrType, ResourceSchema, SchemaUrn};
use crate::store::TenantId;

mod cursor;

pub use cursor::{Cursor, CursorScope, Position, SortPosition};

/// `sortOrder` (RFC 7644 §3.4.2.3).
// Closed by the RFC.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum SortOrder {
    /// `ascending`, the default.
    #[default]
    Ascending,
    /// `descending`.
    Descending,
}

impl SortOrder {
    /// Parses `ascending`/`descending` in any case.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] for anything else.
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.eq_ignore_ascii_case("ascending") {
            Ok(Self::Ascending)
        } else if s.eq_ignore_ascii_case("descending") {
            Ok(Self::Descending)
        } else {
            Err(Error::invalid_value(format!(
                "sortOrder must be \"ascending\" or \"descending\", not {s:?}"
            )))
        }
    }
}

/// `sortBy` and `sortOrder`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Sort {
    /// The attribute to sort by.
    pub by: AttrPath,
    /// The direction.
    pub order: SortOrder,
}

impl Sort {
    /// A sort, checked against the schema.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPath`] if the attribute is unknown or complex without
    /// a sub-attribute.
    pub fn new(schema: &ResourceSchema, by: AttrPath, order: SortOrder) -> Result<Self, Error> {
        let resolved = schema.resolve(&by).ok_or_else(|| {
            Error::invalid_path(format!("cannot sort by unknown attribute \"{by}\""))
        })?;
        if resolved.leaf().kind == AttrType::Complex && !resolved.attr.has_value_sub_attribute() {
            return Err(Error::invalid_path(format!(
                "cannot sort by complex attribute \"{by}\"; name a sub-attribute"
            )));
        }
        Ok(Self { by, order })
    }
}

/// Which page of results to return.
// Two paging methods exist (RFC 7644 §3.4.2.4, RFC 9865).
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Page {
    /// `startIndex` (1-based) and `count`.
    Index {
        /// The 1-based index of the first result.
        start_index: u64,
        /// The largest number of results to return.
        count: u64,
    },
    /// RFC 9865 cursors: `cursor` (absent for the first page) and `count`.
    Cursor {
        /// The cursor from the previous page's `nextCursor`.
        cursor: Option<String>,
        /// The largest number of results to return.
        count: u64,
    },
}

impl Page {
    /// Index paging with the RFC's rules for odd values: a `startIndex`
    /// below 1 is 1, a negative `count` is 0, and `count` is capped at
    /// `max`.
    pub fn index(start_index: Option<i64>, count: Option<i64>, default: u64, max: u64) -> Self {
        Self::Index {
            start_index: start_index.map_or(1, |s| u64::try_from(s.max(1)).unwrap_or(1)),
            count: clamp_count(count, default, max),
        }
    }

    /// Cursor paging, with `count` as for [`Page::index`].
    pub fn cursor(cursor: Option<String>, count: Option<i64>, default: u64, max: u64) -> Self {
        Self::Cursor {
            cursor: cursor.filter(|c| !c.is_empty()),
            count: clamp_count(count, default, max),
        }
    }

    /// The page size.
    pub fn count(&self) -> u64 {
        match self {
            Self::Index { count, .. } | Self::Cursor { count, .. } => *count,
        }
    }
}

fn clamp_count(count: Option<i64>, default: u64, max: u64) -> u64 {
    count
        .map_or(default, |c| u64::try_from(c.max(0)).unwrap_or(0))
        .min(max)
}

/// Everything a store needs to answer a list or search.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ListQuery {
    /// Only resources matching this filter.
    pub filter: Option<Filter>,
    /// The order; without it the store's own stable order (this crate's
    /// stores: by `id`).
    pub sort: Option<Sort>,
    /// The page.
    pub page: Page,
    /// The attributes the response will carry.
    pub projection: Projection,
    /// What the cursors of this query are bound to; set by
    /// [`ListQuery::bind_cursors`] once the query is complete. Stores issue
    /// and accept only cursors of this scope ([`Cursor`]).
    pub cursor_scope: CursorScope,
}

impl ListQuery {
    /// A query for the first `count` resources, unfiltered.
    pub fn new(page: Page) -> Self {
        Self {
            filter: None,
            sort: None,
            page,
            projection: Projection::all(),
            cursor_scope: CursorScope::default(),
        }
    }

    /// Binds this query's cursors to `tenant` and to the filter and sort
    /// it holds now ([`CursorScope::of`]). The protocol service calls it
    /// for every list and search; call it after changing the filter or
    /// the sort of a query built by hand.
    pub fn bind_cursors(&mut self, tenant: &TenantId, schema: &ResourceSchema) {
        self.cursor_scope = CursorScope::of(tenant, schema, self);
    }
}

/// One page of results.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct QueryResult {
    /// How many resources match in total.
    pub total_results: u64,
    /// The resources of this page, in order.
    pub resources: Vec<Resource>,
    /// For cursor paging, the cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

impl QueryResult {
    /// A page with these resources out of `total_results`.
    pub fn new(total_results: u64, resources: Vec<Resource>) -> Self {
        Self {
            total_results,
            resources,
            next_cursor: None,
        }
    }
}

/// The `ListResponse` message (RFC 7644 §3.4.2).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ListResponse {
    /// Always the ListResponse URN.
    pub schemas: Vec<SchemaUrn>,
    /// How many resources match in total.
    pub total_results: u64,
    /// How many are in this page.
    pub items_per_page: u64,
    /// The 1-based index of the first, for index paging.
    pub start_index: Option<u64>,
    /// The next page's cursor (RFC 9865).
    pub next_cursor: Option<String>,
    /// The resources.
    pub resources: Vec<Value>,
}

impl ListResponse {
    /// A response for one page.
    pub fn new(total_results: u64, start_index: Option<u64>, resources: Vec<Value>) -> Self {
        Self {
            schemas: vec![SchemaUrn::LIST_RESPONSE],
            total_results,
            items_per_page: resources.len() as u64,
            start_index,
            next_cursor: None,
            resources,
        }
    }
}

impl Serialize for ListResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ListBody {
            schemas: &self.schemas,
            total_results: self.total_results,
            items_per_page: self.items_per_page,
            start_index: self.start_index,
            next_cursor: self.next_cursor.as_deref(),
            resources: &self.resources,
        }
        .serialize(s)
    }
}

/// How a `ListResponse` is serialized, borrowing its parts: for
/// [`ListResponse`], and for the service's pages of resources projected
/// while they are written (so they are never copied into `Value`s).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListBody<'a, R> {
    pub(crate) schemas: &'a [SchemaUrn],
    pub(crate) total_results: u64,
    pub(crate) items_per_page: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) start_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_cursor: Option<&'a str>,
    #[serde(rename = "Resources")]
    pub(crate) resources: &'a [R],
}

/// Answers a query over resources held in memory: filters with the
/// schema's comparison rules, sorts (stably, by `id` when unsorted or tied)
/// and pages. Stores that keep resources in memory use it directly; other
/// stores must return exactly what it returns (the conformance suite checks).
///
/// # Errors
///
/// [`Error::InvalidFilter`] when the filter orders a boolean or complex
/// attribute, [`Error::InvalidValue`] for a malformed cursor.
pub fn evaluate<'a>(
    schema: &ResourceSchema,
    resources: impl IntoIterator<Item = &'a Resource>,
    query: &ListQuery,
) -> Result<QueryResult, Error> {
    let matched: Vec<&Resource> = match &query.filter {
        Some(filter) => {
            let matcher = filter.matcher(schema as &dyn SchemaFacts)?;
            let mut out = Vec::new();
            for r in resources {
                if matcher.matches_object(r.json())? {
                    out.push(r);
                }
            }
            out
        }
        None => resources.into_iter().collect(),
    };
    let mut keyed: Vec<(Option<Vec<u8>>, &Resource)> = match &query.sort {
        Some(s) => matched
            .into_iter()
            .map(|r| (sort_key(schema, r, &s.by).map(|k| k.encoded()), r))
            .collect(),
        None => matched.into_iter().map(|r| (None, r)).collect(),
    };
    let order = query.sort.as_ref().map(|s| s.order);
    keyed.sort_by(|(ka, a), (kb, b)| {
        compare(
            order,
            (ka.as_deref(), a.id().as_str()),
            (kb.as_deref(), b.id().as_str()),
        )
    });
    page(keyed, order, query)
}

/// The evaluator's order (and every store's): by `id` in byte order when
/// unsorted; else by the encoded sort keys, resources without a sort value
/// last in ascending order and first in descending order, ties by `id`
/// ascending either way.
fn compare(
    order: Option<SortOrder>,
    (ka, ia): (Option<&[u8]>, &str),
    (kb, ib): (Option<&[u8]>, &str),
) -> Ordering {
    let Some(order) = order else {
        return ia.cmp(ib);
    };
    let ord = match (ka, kb) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    let ord = match order {
        SortOrder::Ascending => ord,
        SortOrder::Descending => ord.reverse(),
    };
    ord.then_with(|| ia.cmp(ib))
}

/// The value a resource sorts by (RFC 7644 §3.4.2.3), as an index key:
/// numbers numerically, booleans `false` before `true`, strings by the
/// attribute's case-exactness (Unicode lower-cased otherwise), date-times
/// chronologically; [`Key::encoded`] orders them. A multi-valued attribute
/// sorts by its primary value, else its first. `None` when the resource has
/// no value there.
///
/// Stores that sort in a database order by the encoded key of exactly this
/// value, and resume a cursor walk after it ([`Position`]).
pub fn sort_key(schema: &ResourceSchema, r: &Resource, by: &AttrPath) -> Option<Key> {
    let resolved = schema.resolve(by)?;
    let container = match resolved.extension {
        Some(ext) => r.get(ext.id.as_str())?.get(&resolved.attr.name)?,
        None => r.get(&resolved.attr.name)?,
    };
    let value = match container {
        Value::Array(items) => items
            .iter()
            .find(|v| v.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?,
        v => v,
    };
    let value = match (resolved.sub, value) {
        (Some(sub), v) => v.get(&sub.name)?,
        (None, Value::Object(o)) => o.get("value")?,
        (None, v) => v,
    };
    let leaf = resolved.leaf();
    let kind = if leaf.kind == AttrType::Complex {
        // A complex attribute sorts by its `value` sub-attribute.
        resolved
            .attr
            .sub_attribute("value")
            .map_or(AttrType::String, |s| s.kind)
    } else {
        leaf.kind
    };
    let case_exact = if leaf.kind == AttrType::Complex {
        resolved
            .attr
            .sub_attribute("value")
            .is_some_and(|s| s.case_exact)
    } else {
        leaf.case_exact
    };
    Key::from_json(kind, case_exact, value)
}

/// Cuts one page out of sorted results: from `startIndex`, or after the
/// cursor's position.
fn page(
    sorted: Vec<(Option<Vec<u8>>, &Resource)>,
    order: Option<SortOrder>,
    query: &ListQuery,
) -> Result<QueryResult, Error> {
    let total = sorted.len() as u64;
    let (skip, count) = match &query.page {
        Page::Index { start_index, count } => (
            usize::try_from(start_index.saturating_sub(1)).unwrap_or(usize::MAX),
            *count,
        ),
        Page::Cursor { cursor, count } => (
            match cursor {
                Some(text) => {
                    let cursor = Cursor::decode(text, &query.cursor_scope)?;
                    let (key, id) = position_parts(cursor.position(), order)?;
                    sorted.partition_point(|(k, r)| {
                        compare(order, (k.as_deref(), r.id().as_str()), (key, id))
                            != Ordering::Greater
                    })
                }
                None => 0,
            },
            *count,
        ),
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let end = skip.saturating_add(count).min(sorted.len());
    let page = sorted.get(skip..end).unwrap_or_default();
    let next = match (&query.page, page.last()) {
        (Page::Cursor { .. }, Some((key, last))) if end < sorted.len() => {
            let id = last.id().as_str();
            Some(Cursor::new(
                &query.cursor_scope,
                match (order, key) {
                    (None, _) => Position::after_id(id),
                    (Some(_), Some(key)) => Position::after_key(key.clone(), id),
                    (Some(_), None) => Position::after_missing(id),
                },
            ))
        }
        _ => None,
    };
    let mut result = QueryResult::new(total, page.iter().map(|(_, r)| (*r).clone()).collect());
    result.next_cursor = next.map(|c| c.encode());
    Ok(result)
}

/// A position as the parts [`compare`] takes; a sorted position for an
/// unsorted query (or the reverse) is not one this query issued.
fn position_parts(p: &Position, order: Option<SortOrder>) -> Result<(Option<&[u8]>, &str), Error> {
    match (order, p.sort()) {
        (None, SortPosition::Unsorted) => Ok((None, p.id())),
        (Some(_), SortPosition::Key(k)) => Ok((Some(k), p.id())),
        (Some(_), SortPosition::Missing) => Ok((None, p.id())),
        _ => Err(Error::invalid_cursor(
            "this cursor belongs to another query; start again with an empty \"cursor\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::id::{ResourceId, Version};
    use crate::resource::Meta;
    use crate::schema::Registry;

    #[test]
    fn list_response_serializes_in_rfc_order_without_absent_fields() {
        let page = ListResponse::new(3, Some(2), vec![json!({"id": "b"})]);
        assert_eq!(
            serde_json::to_string(&page).unwrap(),
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"itemsPerPage":1,"startIndex":2,"Resources":[{"id":"b"}]}"#
        );
        let mut page = ListResponse::new(0, None, Vec::new());
        page.next_cursor = Some("c".to_owned());
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            json!({"schemas": [SchemaUrn::LIST_RESPONSE], "totalResults": 0,
                   "itemsPerPage": 0, "nextCursor": "c", "Resources": []})
        );
    }

    fn user(id: &str, name: &str, extra: Value) -> Resource {
        let Value::Object(mut body) = json!({"userName": name}) else {
            unreachable!()
        };
        if let Value::Object(extra) = extra {
            body.extend(extra);
        }
        Resource::new(
            ResourceId::new(id).unwrap(),
            body,
            &Meta::new(
                "User",
                crate::resource::parse_date_time("2020-01-01T00:00:00Z").unwrap(),
                Version::from_revision(1),
            ),
        )
    }

    fn ids(r: &QueryResult) -> Vec<&str> {
        r.resources.iter().map(|r| r.id().as_str()).collect()
    }

    #[test]
    fn paging_follows_the_rfc_for_odd_values() {
        assert_eq!(
            Page::index(Some(0), Some(-1), 100, 200),
            Page::Index {
                start_index: 1,
                count: 0
            }
        );
        assert_eq!(
            Page::index(None, Some(1000), 100, 200),
            Page::Index {
                start_index: 1,
                count: 200
            }
        );
        assert_eq!(
            Page::index(Some(-5), None, 100, 200),
            Page::Index {
                start_index: 1,
                count: 100
            }
        );
    }

    #[test]
    fn filter_sort_and_page_in_memory() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let all = vec![
            user("3", "carol", json!({"title": "x"})),
            user("1", "Alice", json!({})),
            user("2", "bob", json!({"title": "x"})),
        ];
        let mut q = ListQuery::new(Page::index(None, None, 10, 10));
        q.sort = Some(Sort::new(users, "userName".parse().unwrap(), SortOrder::Ascending).unwrap());
        assert_eq!(ids(&evaluate(users, &all, &q).unwrap()), ["1", "2", "3"]);
        q.sort = Some(Sort::new(users, "title".parse().unwrap(), SortOrder::Descending).unwrap());
        assert_eq!(ids(&evaluate(users, &all, &q).unwrap()), ["1", "2", "3"]);
        q.sort = None;
        q.filter = Some("title pr".parse().unwrap());
        q.page = Page::index(Some(2), Some(1), 10, 10);
        let r = evaluate(users, &all, &q).unwrap();
        assert_eq!((r.total_results, ids(&r)), (2, vec!["3"]));
    }

    #[test]
    fn cursors_walk_every_result_once() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let all: Vec<Resource> = (0..5)
            .map(|i| user(&i.to_string(), "u", json!({})))
            .collect();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let q = ListQuery::new(Page::cursor(cursor, Some(2), 10, 10));
            let r = evaluate(users, &all, &q).unwrap();
            seen.extend(ids(&r).into_iter().map(str::to_owned));
            match r.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ["0", "1", "2", "3", "4"]);
        let q = ListQuery::new(Page::cursor(Some("garbage".into()), Some(2), 10, 10));
        assert!(evaluate(users, &all, &q).is_err());
    }
}
