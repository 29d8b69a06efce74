//! Listing and searching: sorting (RFC 7644 §3.4.2.3), index paging
//! (§3.4.2.4), cursor paging (RFC 9865), the query a store receives, the
//! `ListResponse` message, and an in-memory evaluator that any store may use
//! and that every store must agree with.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value;

use crate::Error;
use crate::filter::eval::SchemaFacts;
use crate::filter::{AttrPath, Filter};
use crate::project::Projection;
use crate::resource::Resource;
use crate::schema::{AttrType, ResourceSchema, SchemaUrn};

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
}

impl ListQuery {
    /// A query for the first `count` resources, unfiltered.
    pub fn new(page: Page) -> Self {
        Self {
            filter: None,
            sort: None,
            page,
            projection: Projection::all(),
        }
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
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ListResponse {
    /// Always the ListResponse URN.
    pub schemas: Vec<SchemaUrn>,
    /// How many resources match in total.
    pub total_results: u64,
    /// How many are in this page.
    pub items_per_page: u64,
    /// The 1-based index of the first, for index paging.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_index: Option<u64>,
    /// The next page's cursor (RFC 9865).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The resources.
    #[serde(rename = "Resources")]
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
    let mut matched: Vec<&Resource> = match &query.filter {
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
    sort(schema, &mut matched, query.sort.as_ref());
    page(matched, &query.page)
}

/// Sorts resources per `sort` (ties and the unsorted order: by `id`).
pub fn sort(schema: &ResourceSchema, resources: &mut [&Resource], sort: Option<&Sort>) {
    match sort {
        None => resources.sort_by(|a, b| a.id().cmp(b.id())),
        Some(sort) => {
            let case_exact = schema
                .resolve(&sort.by)
                .is_some_and(|r| r.leaf().case_exact);
            let mut keyed: Vec<(Option<SortKey>, &Resource)> = resources
                .iter()
                .map(|r| (sort_key(schema, r, &sort.by, case_exact), *r))
                .collect();
            keyed.sort_by(|(ka, a), (kb, b)| {
                let ord = match (ka, kb) {
                    (Some(x), Some(y)) => x.cmp(y),
                    // Missing values sort last in ascending order.
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                let ord = if sort.order == SortOrder::Descending {
                    ord.reverse()
                } else {
                    ord
                };
                ord.then_with(|| a.id().cmp(b.id()))
            });
            for (slot, (_, r)) in resources.iter_mut().zip(keyed) {
                *slot = r;
            }
        }
    }
}

/// A comparable sort key: numbers numerically, booleans false < true,
/// strings by the attribute's case-exactness (Unicode lower-casing
/// otherwise), date-times as instants (nanoseconds since the epoch).
#[derive(Clone, Debug)]
enum SortKey {
    Bool(bool),
    Number(f64),
    Instant(i128),
    Text(String),
}

impl SortKey {
    /// Keys of different kinds (a malformed value) order by kind.
    fn rank(&self) -> u8 {
        match self {
            Self::Bool(_) => 0,
            Self::Number(_) => 1,
            Self::Instant(_) => 2,
            Self::Text(_) => 3,
        }
    }
}

impl PartialEq for SortKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SortKey {}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Bool(a), Self::Bool(b)) => a.cmp(b),
            (Self::Number(a), Self::Number(b)) => a.total_cmp(b),
            (Self::Instant(a), Self::Instant(b)) => a.cmp(b),
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

fn sort_key(
    schema: &ResourceSchema,
    r: &Resource,
    by: &AttrPath,
    case_exact: bool,
) -> Option<SortKey> {
    let resolved = schema.resolve(by)?;
    let container = match resolved.extension {
        Some(ext) => r.get(ext.id.as_str())?.get(&resolved.attr.name)?,
        None => r.get(&resolved.attr.name)?,
    };
    // A multi-valued attribute sorts by its primary value, else its first.
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
    let kind = resolved.leaf().kind;
    Some(match value {
        Value::Bool(b) => SortKey::Bool(*b),
        Value::Number(n) => SortKey::Number(n.as_f64()?),
        Value::String(s) if kind == AttrType::DateTime => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .ok()?;
            SortKey::Instant(t.unix_timestamp_nanos())
        }
        Value::String(s) if case_exact => SortKey::Text(s.clone()),
        Value::String(s) => SortKey::Text(s.to_lowercase()),
        _ => return None,
    })
}

const CURSOR_PREFIX: &str = "o";

/// Cuts one page out of sorted results.
fn page(matched: Vec<&Resource>, page: &Page) -> Result<QueryResult, Error> {
    let total = matched.len() as u64;
    let (skip, count) = match page {
        Page::Index { start_index, count } => (start_index.saturating_sub(1), *count),
        Page::Cursor { cursor, count } => (
            match cursor {
                Some(c) => decode_cursor(c)?,
                None => 0,
            },
            *count,
        ),
    };
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let resources: Vec<Resource> = matched
        .into_iter()
        .skip(skip)
        .take(count)
        .cloned()
        .collect();
    let end = skip.saturating_add(resources.len());
    let mut result = QueryResult::new(total, resources);
    if matches!(page, Page::Cursor { .. }) && (end as u64) < total && count > 0 {
        result.next_cursor = Some(format!("{CURSOR_PREFIX}{end}"));
    }
    Ok(result)
}

fn decode_cursor(cursor: &str) -> Result<u64, Error> {
    cursor
        .strip_prefix(CURSOR_PREFIX)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            Error::invalid_cursor(format!("{cursor:?} is not a cursor this service issued"))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::id::{ResourceId, Version};
    use crate::resource::Meta;
    use crate::schema::Registry;

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
