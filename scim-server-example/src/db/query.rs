//! Query planning: which rows a `ListQuery` needs, decided from the filter
//! before the database is touched. Shared by both backends.
//!
//! # How a query runs
//!
//! The library's contract is that a store returns exactly what
//! [`scim_core::list::evaluate`] returns over the same resources. Rather
//! than translating SCIM filters into SQL (and re-implementing Unicode
//! case folding, multi-valued matching, date-time comparison and `not` in
//! two SQL dialects), the stores use the database only to *narrow* the
//! rows, and let `evaluate` do the rest:
//!
//! 1. [`plan`] looks for an **index hint** in the filter: an `eq` with a
//!    string on an indexed attribute, either the whole filter or one operand
//!    of a top-level `and`. Every resource the filter matches satisfies the
//!    hint, so the rows the hint selects are a superset of the matches.
//!    Hints, best first:
//!
//!    | filter | rows |
//!    |---|---|
//!    | `id eq "…"` | the primary key |
//!    | `userName eq "…"` | `hosts.user_name_key` = [`fold`]ed value |
//!    | `externalId eq "…"` | `external_id` (case-exact, like the attribute) |
//!    | `displayName eq "…"` | `host_groups.display_name_key` |
//!    | `members eq "…"`, `members.value eq "…"`, `members[value eq "…"]` | groups with a `memberships.member_key` row |
//!
//!    `userName` and `displayName` are not case-exact, so their keys are
//!    Unicode-lower-cased in Rust ([`fold`], the evaluator's folding); SQL
//!    `lower()`/`NOCASE` are never used. `members eq "…"` compares the
//!    members' `value`s ignoring case (the attribute `members` is not
//!    case-exact), which is why memberships carry a folded `member_key`.
//! 2. The backend loads only the hinted rows (one indexed `SELECT`). With
//!    no usable hint ([`Source::Scan`] with a filter), the secondary
//!    indexes of `db/index.rs` answer instead: the filter is planned with
//!    [`scim_core::index::plan`] and rendered as SQL over the index rows,
//!    exact plans are counted and paged in SQL, other candidates are read
//!    in batches; a filter no index narrows reads the tenant in batches
//!    within the scan budget, or is refused with `400 tooMany`.
//! 3. [`finish`] runs `evaluate` on the loaded rows: the **full** filter,
//!    the sort and the page (index or cursor), so totals, order and cursors
//!    are exactly the evaluator's.
//!
//! Listing without filter and sort, with index paging (Account Discovery
//! walking a big tenant), is [`Source::Page`]: the page is cut in SQL
//! (`ORDER BY id LIMIT/OFFSET`, the evaluator's unsorted order is by `id`
//! in byte order) and `totalResults` is a `COUNT(*)`, so nobody is loaded
//! beyond the page. Cursor paging is delegated to `evaluate`, whose cursor
//! encoding is private to the library.
//!
//! # What else is loaded
//!
//! Group `members` live in `memberships` and are loaded only when needed
//! ([`MemberLoad`]): all of them if the response includes `members` or the
//! sort uses them; none for `excludedAttributes=members` without a filter
//! on them. When the filter's only references to `members` are membership
//! tests (`members eq "x"`, `members.value eq "x"`, `members[value eq
//! "x"]`, also under `not`/`or`), each test is true exactly when some member
//! has that id, so it is enough to load the members whose `member_key` is
//! one of the tested values: `id eq "g" and members eq "u"` reads one
//! membership row, not the group's 50,000.
//!
//! A User's `groups` is computed from `memberships` ([`GroupsLoad`]): for
//! the returned page when the response includes it, for every candidate
//! when the filter or sort uses it.
//!
//! All SQL is parameterised: hint values are bound, never spliced.

use std::collections::BTreeSet;

use scim_core::filter::{AttrPath, CompValue, CompareOp, Filter};
use scim_core::list::{self, ListQuery, Page, QueryResult};
use scim_core::resource::Resource;
use scim_core::schema::ResourceSchema;
use scim_core::store::StoreError;

use super::document::fold;
use super::key;
use super::kind::Kind;

/// How a query reads the database.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct Plan {
    /// Which rows.
    pub(crate) source: Source,
    /// Which Group members, for Groups.
    pub(crate) members: MemberLoad,
    /// When to compute Users' `groups`.
    pub(crate) groups: GroupsLoad,
}

/// Which rows of the resource type's table to read.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Source {
    /// One page in `id` order (`LIMIT`/`OFFSET`), with a `COUNT(*)` for the
    /// total; only without filter, sort or cursor.
    Page {
        /// Rows to skip.
        offset: i64,
        /// Rows to return.
        limit: i64,
    },
    /// The rows an index selects, a superset of the matches.
    Hint(Hint),
    /// Every row of the tenant.
    Scan,
}

/// An index lookup that selects a superset of a filter's matches. Values
/// are ready to bind: folded where the column holds folded keys.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Hint {
    /// The primary key.
    Id(String),
    /// `hosts.user_name_key`.
    UserNameKey(String),
    /// `external_id`.
    ExternalId(String),
    /// `host_groups.display_name_key`.
    DisplayNameKey(String),
    /// Groups with a `memberships.member_key` row.
    MemberKey(String),
}

impl Hint {
    /// Lower is more selective.
    fn rank(&self) -> u8 {
        match self {
            Self::Id(_) => 0,
            Self::UserNameKey(_) => 1,
            Self::ExternalId(_) => 2,
            Self::DisplayNameKey(_) => 3,
            Self::MemberKey(_) => 4,
        }
    }
}

/// Which `members` to load for the Groups read.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum MemberLoad {
    /// None: the response excludes them and nothing else needs them.
    None,
    /// Only members whose `member_key` is one of these (for the filter's
    /// membership tests); removed again before the result is returned.
    Matching(BTreeSet<String>),
    /// All of them.
    All,
}

/// When to compute Users' `groups`.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum GroupsLoad {
    /// Never: the response excludes it.
    None,
    /// For the resources returned.
    Returned,
    /// For every candidate, before filtering or sorting, which use it.
    Candidates,
}

/// Plans a query (see the module documentation).
pub(crate) fn plan(kind: Kind, schema: &ResourceSchema, query: &ListQuery) -> Plan {
    let source = match (&query.filter, &query.sort, &query.page) {
        (None, None, Page::Index { start_index, count }) => Source::Page {
            offset: to_i64(start_index.saturating_sub(1)),
            limit: to_i64(*count),
        },
        (Some(filter), _, _) => hint(kind, schema, filter).map_or(Source::Scan, Source::Hint),
        _ => Source::Scan,
    };
    let sort_path = query.sort.as_ref().map(|s| &s.by);
    let members = match kind {
        Kind::HostGroup => {
            if query.projection.includes(key::MEMBERS)
                || sort_path.is_some_and(|p| is_core(schema, p, key::MEMBERS))
            {
                MemberLoad::All
            } else {
                match &query.filter {
                    None => MemberLoad::None,
                    Some(filter) => {
                        let mut keys = BTreeSet::new();
                        if membership_tests(schema, filter, &mut keys) {
                            if keys.is_empty() {
                                MemberLoad::None
                            } else {
                                MemberLoad::Matching(keys)
                            }
                        } else {
                            MemberLoad::All
                        }
                    }
                }
            }
        }
        Kind::Host => MemberLoad::None,
    };
    let groups = match kind {
        Kind::Host => {
            let mut used = sort_path.is_some_and(|p| is_core(schema, p, key::GROUPS));
            if let Some(filter) = &query.filter {
                filter.for_each_path(&mut |p| used |= is_core(schema, p, key::GROUPS));
            }
            if used {
                GroupsLoad::Candidates
            } else if query.projection.includes(key::GROUPS) {
                GroupsLoad::Returned
            } else {
                GroupsLoad::None
            }
        }
        Kind::HostGroup => GroupsLoad::None,
    };
    Plan {
        source,
        members,
        groups,
    }
}

/// A `u64` count or offset as SQL's `i64`, saturating.
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The most selective index hint in `filter`: the filter itself, or an
/// operand of its top-level `and` (every match satisfies each operand).
pub(crate) fn hint(kind: Kind, schema: &ResourceSchema, filter: &Filter) -> Option<Hint> {
    match filter {
        Filter::And(ops) => ops
            .iter()
            .filter_map(|op| single_hint(kind, schema, op))
            .min_by_key(Hint::rank),
        other => single_hint(kind, schema, other),
    }
}

/// The hint of one comparison or value path.
fn single_hint(kind: Kind, schema: &ResourceSchema, filter: &Filter) -> Option<Hint> {
    match filter {
        Filter::Compare(cmp) if cmp.op() == CompareOp::Eq => {
            let CompValue::String(value) = cmp.value() else {
                return None;
            };
            let (attr, sub) = core_attr(schema, cmp.path())?;
            let value = value.as_str();
            match (kind, attr, sub) {
                (_, "id", None) => Some(Hint::Id(value.to_owned())),
                (_, key::EXTERNAL_ID, None) => Some(Hint::ExternalId(value.to_owned())),
                (Kind::Host, key::USER_NAME, None) => Some(Hint::UserNameKey(fold(value))),
                (Kind::HostGroup, key::DISPLAY_NAME, None) => {
                    Some(Hint::DisplayNameKey(fold(value)))
                }
                (Kind::HostGroup, key::MEMBERS, None | Some(key::VALUE)) => {
                    Some(Hint::MemberKey(fold(value)))
                }
                _ => None,
            }
        }
        Filter::ValuePath(vp) if kind == Kind::HostGroup => {
            let (attr, None) = core_attr(schema, vp.attr())? else {
                return None;
            };
            if attr != key::MEMBERS {
                return None;
            }
            value_eq(vp.filter()).map(|v| Hint::MemberKey(fold(v)))
        }
        _ => None,
    }
}

/// The operand of a value filter that is exactly `value eq "…"`.
fn value_eq(filter: &Filter) -> Option<&str> {
    match filter {
        Filter::Compare(cmp)
            if cmp.op() == CompareOp::Eq
                && cmp.path().schema().is_none()
                && cmp.path().sub_attr().is_none()
                && cmp.path().name().eq_ignore_ascii_case(key::VALUE) =>
        {
            cmp.value().as_str()
        }
        _ => None,
    }
}

/// The canonical names of a path's core (or common) attribute and
/// sub-attribute; `None` for extension attributes and unknown paths.
fn core_attr<'s>(
    schema: &'s ResourceSchema,
    path: &AttrPath,
) -> Option<(&'s str, Option<&'s str>)> {
    let resolved = schema.resolve(path)?;
    if resolved.extension.is_some() || resolved.legacy_dotted_urn {
        return None;
    }
    Some((
        resolved.attr.name.as_str(),
        resolved.sub.map(|s| s.name.as_str()),
    ))
}

/// Whether `path` names the core attribute `name` (or a sub-attribute of
/// it).
fn is_core(schema: &ResourceSchema, path: &AttrPath, name: &str) -> bool {
    core_attr(schema, path).is_some_and(|(attr, _)| attr == name)
}

/// Walks `filter`; returns whether every reference to `members` is a
/// membership test (`members eq "x"`, `members.value eq "x"`,
/// `members[value eq "x"]`), collecting the [`fold`]ed ids they test.
/// `members ne "x"` is not one: it matches when any member is not `x`
/// (RFC 7644 §3.4.2.2 any-value rule), which needs every member.
fn membership_tests(schema: &ResourceSchema, filter: &Filter, keys: &mut BTreeSet<String>) -> bool {
    match filter {
        Filter::Compare(cmp) => match core_attr(schema, cmp.path()) {
            Some((key::MEMBERS, None | Some(key::VALUE))) => match (cmp.op(), cmp.value()) {
                (CompareOp::Eq, CompValue::String(v)) => {
                    keys.insert(fold(v));
                    true
                }
                _ => false,
            },
            Some((key::MEMBERS, Some(_))) => false,
            _ => true,
        },
        Filter::Present(path) => !is_core(schema, path, key::MEMBERS),
        Filter::ValuePath(vp) => {
            if !is_core(schema, vp.attr(), key::MEMBERS) {
                return true;
            }
            match value_eq(vp.filter()) {
                Some(v) => {
                    keys.insert(fold(v));
                    true
                }
                None => false,
            }
        }
        Filter::Not(inner) => membership_tests(schema, inner, keys),
        Filter::And(ops) | Filter::Or(ops) => {
            let mut all = true;
            for op in ops {
                all &= membership_tests(schema, op, keys);
            }
            all
        }
    }
}

/// Filters, sorts and pages the loaded candidates with the library's
/// evaluator, then removes members that were loaded only for the filter or
/// the sort.
///
/// Evaluating many candidates, or a filter the caps allow to be heavy (a
/// hundred `co` operands over a thousand values each), is CPU-bound work
/// of up to seconds: it runs [`off_the_reactor`] so that other tenants'
/// requests queued on the same thread are not held up.
pub(crate) fn finish(
    schema: &ResourceSchema,
    plan: &Plan,
    candidates: &[Resource],
    query: &ListQuery,
) -> Result<QueryResult, StoreError> {
    let evaluate = || list::evaluate(schema, candidates, query);
    // One candidate (the point reads of the hot path) is never heavy.
    let evaluated = if candidates.len() > 1 {
        off_the_reactor(evaluate)
    } else {
        evaluate()
    };
    let mut result = evaluated.map_err(query_error)?;
    if plan.members != MemberLoad::None && !query.projection.includes(key::MEMBERS) {
        for r in &mut result.resources {
            super::members::set_members(r, None)?;
        }
    }
    Ok(result)
}

/// Runs the CPU-bound `f` without holding up the async tasks queued behind
/// the calling one: on tokio's multi-threaded runtime (the server's),
/// `block_in_place` first hands this worker's other tasks and its I/O
/// driver duties to another thread. Elsewhere (a current-thread runtime, as
/// in unit tests, or no runtime) `f` simply runs.
pub(crate) fn off_the_reactor<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// A query the evaluator refused (an ordering comparison on a boolean, a
/// cursor this service did not issue): the client's mistake, answered
/// `400` with the evaluator's `scimType`.
fn query_error(e: scim_core::Error) -> StoreError {
    StoreError::invalid_query(e)
}

#[cfg(test)]
mod tests {
    use scim_core::list::{Sort, SortOrder};
    use scim_core::project::Projection;
    use scim_core::schema::Registry;

    use super::*;

    #[test]
    fn work_off_the_reactor_lets_the_other_tasks_of_its_thread_run() {
        use std::sync::mpsc;
        use std::time::Duration;
        // One worker: without block_in_place, the second task could not run
        // until the first one's work ended.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .unwrap();
        let (done, order) = mpsc::channel();
        runtime.block_on(async {
            let heavy = {
                let done = done.clone();
                tokio::spawn(async move {
                    off_the_reactor(|| std::thread::sleep(Duration::from_millis(500)));
                    done.send("heavy").unwrap();
                })
            };
            let light = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                done.send("light").unwrap();
            });
            heavy.await.unwrap();
            light.await.unwrap();
        });
        assert_eq!(order.try_iter().collect::<Vec<_>>(), ["light", "heavy"]);
    }

    #[tokio::test]
    async fn work_off_the_reactor_runs_in_place_on_a_current_thread_runtime() {
        assert_eq!(off_the_reactor(|| 7), 7);
    }

    fn schema(kind: Kind) -> std::sync::Arc<ResourceSchema> {
        let name = match kind {
            Kind::Host => "User",
            Kind::HostGroup => "Group",
        };
        Registry::standard().resource_type(name).unwrap().clone()
    }

    fn hint_of(kind: Kind, filter: &str) -> Option<Hint> {
        hint(kind, &schema(kind), &filter.parse().unwrap())
    }

    fn query(filter: Option<&str>, projection: Projection) -> ListQuery {
        let mut q = ListQuery::new(Page::index(None, None, 100, 100));
        q.filter = filter.map(|f| f.parse().unwrap());
        q.projection = projection;
        q
    }

    #[test]
    fn entra_filters_have_index_hints() {
        use Hint::*;
        let cases: &[(Kind, &str, Option<Hint>)] = &[
            (
                Kind::Host,
                r#"userName eq "Amelia.Hart@Northwind.example""#,
                Some(UserNameKey("amelia.hart@northwind.example".into())),
            ),
            (
                Kind::Host,
                r#"USERNAME Eq "ÉMILE""#,
                Some(UserNameKey("émile".into())),
            ),
            (
                Kind::Host,
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#,
                Some(UserNameKey("a".into())),
            ),
            (
                Kind::Host,
                r#"externalId eq "Ext""#,
                Some(ExternalId("Ext".into())),
            ),
            (
                Kind::Host,
                r#"id eq "u1" and manager eq "m""#,
                Some(Id("u1".into())),
            ),
            (
                Kind::Host,
                r#"title eq "x" and userName eq "B""#,
                Some(UserNameKey("b".into())),
            ),
            (
                Kind::HostGroup,
                r#"displayName eq "Reception Hosts""#,
                Some(DisplayNameKey("reception hosts".into())),
            ),
            (
                Kind::HostGroup,
                r#"id eq "g" and members eq "u""#,
                Some(Id("g".into())),
            ),
            (
                Kind::HostGroup,
                r#"members eq "U1""#,
                Some(MemberKey("u1".into())),
            ),
            (
                Kind::HostGroup,
                r#"members.value eq "u1""#,
                Some(MemberKey("u1".into())),
            ),
            (
                Kind::HostGroup,
                r#"members[value eq "u1"]"#,
                Some(MemberKey("u1".into())),
            ),
            (
                Kind::HostGroup,
                r#"externalId eq "e" and displayName eq "d""#,
                Some(ExternalId("e".into())),
            ),
        ];
        for (kind, filter, expected) in cases {
            assert_eq!(&hint_of(*kind, filter), expected, "{filter}");
        }
    }

    #[test]
    fn filters_without_a_safe_hint_scan() {
        for (kind, filter) in [
            (Kind::Host, r#"userName eq "a" or userName eq "b""#),
            (Kind::Host, r#"not (userName eq "a")"#),
            (Kind::Host, r#"userName ne "a""#),
            (Kind::Host, r#"userName sw "a""#),
            (Kind::Host, "userName eq 5"),
            (Kind::Host, "userName eq null"),
            (Kind::Host, r#"displayName eq "x""#),
            (
                Kind::Host,
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1""#,
            ),
            (Kind::Host, r#"emails[value eq "a@example.com"]"#),
            (Kind::HostGroup, r#"userName eq "a""#),
            (Kind::HostGroup, r#"members[type eq "User"]"#),
            (Kind::HostGroup, r#"members.display eq "x""#),
            (Kind::HostGroup, r#"members[value eq "a" or value eq "b"]"#),
        ] {
            assert_eq!(hint_of(kind, filter), None, "{filter}");
        }
    }

    #[test]
    fn listing_without_filter_or_sort_pages_in_sql() {
        let s = schema(Kind::Host);
        let mut q = ListQuery::new(Page::index(Some(11), Some(5), 100, 100));
        assert_eq!(
            plan(Kind::Host, &s, &q).source,
            Source::Page {
                offset: 10,
                limit: 5
            }
        );
        q.page = Page::cursor(None, Some(5), 100, 100);
        assert_eq!(plan(Kind::Host, &s, &q).source, Source::Scan);
        q.page = Page::index(None, None, 100, 100);
        q.sort = Some(Sort::new(&s, "userName".parse().unwrap(), SortOrder::Ascending).unwrap());
        assert_eq!(plan(Kind::Host, &s, &q).source, Source::Scan);
    }

    #[test]
    fn excluded_members_are_never_loaded_unless_the_filter_tests_them() {
        let s = schema(Kind::HostGroup);
        let excluded = Projection::parse(&s, None, Some("members")).unwrap();
        let p = plan(
            Kind::HostGroup,
            &s,
            &query(Some(r#"displayName eq "Lobby""#), excluded.clone()),
        );
        assert_eq!(p.members, MemberLoad::None);
        assert_eq!(p.source, Source::Hint(Hint::DisplayNameKey("lobby".into())));
        let p = plan(Kind::HostGroup, &s, &query(None, excluded.clone()));
        assert_eq!(p.members, MemberLoad::None);
        let p = plan(Kind::HostGroup, &s, &query(None, Projection::id_only()));
        assert_eq!(p.members, MemberLoad::None);
        let p = plan(Kind::HostGroup, &s, &query(None, Projection::all()));
        assert_eq!(p.members, MemberLoad::All);
    }

    #[test]
    fn membership_tests_load_only_the_tested_members() {
        let s = schema(Kind::HostGroup);
        let q = query(
            Some(r#"id eq "g" and members eq "U""#),
            Projection::id_only(),
        );
        let p = plan(Kind::HostGroup, &s, &q);
        assert_eq!(p.source, Source::Hint(Hint::Id("g".into())));
        assert_eq!(p.members, MemberLoad::Matching(["u".to_owned()].into()));
        let q = query(
            Some(r#"not (members[value eq "a"]) or members.value eq "B""#),
            Projection::id_only(),
        );
        assert_eq!(
            plan(Kind::HostGroup, &s, &q).members,
            MemberLoad::Matching(["a".to_owned(), "b".to_owned()].into())
        );
        for filter in [
            r#"members pr"#,
            r#"members co "a""#,
            r#"members[type eq "User"]"#,
            r#"members.display eq "x""#,
            r#"members.value ne "x""#,
            r#"members ne "x""#,
        ] {
            let q = query(Some(filter), Projection::id_only());
            assert_eq!(
                plan(Kind::HostGroup, &s, &q).members,
                MemberLoad::All,
                "{filter}"
            );
        }
    }

    #[test]
    fn users_groups_are_computed_for_the_page_or_for_the_filter() {
        let s = schema(Kind::Host);
        let p = plan(
            Kind::Host,
            &s,
            &query(Some(r#"userName eq "a""#), Projection::all()),
        );
        assert_eq!(p.groups, GroupsLoad::Returned);
        let p = plan(
            Kind::Host,
            &s,
            &query(Some(r#"userName eq "a""#), Projection::id_only()),
        );
        assert_eq!(p.groups, GroupsLoad::None);
        let p = plan(
            Kind::Host,
            &s,
            &query(Some(r#"groups eq "g""#), Projection::id_only()),
        );
        assert_eq!(p.groups, GroupsLoad::Candidates);
        assert_eq!(p.source, Source::Scan);
    }
}
