//! Checks of queries against `evaluate`: filters, sorting, index paging
//! and cursor paging.

use std::future::Future;
use std::sync::Arc;

use super::Suite;
use super::data::{Dataset, ids};
use crate::filter::Filter;
use crate::list::{ListQuery, Page, Sort, SortOrder, evaluate};
use crate::project::Projection;
use crate::store::ResourceStore;

impl<F, Fut> Suite<F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ResourceStore>>,
{
    /// Every filter operator (`eq ne co sw ew gt lt ge le pr`, `and`, `or`,
    /// `not`, value paths, extension attributes, date-times, `caseExact`
    /// and not, computed `groups`, unknown attributes, refused filters)
    /// gives exactly the results of [`crate::list::evaluate`].
    pub async fn filters_agree_with_evaluate(&self) {
        let cx = self.check("filters_agree_with_evaluate").await;
        let data = Dataset::seed(&cx).await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let by_user_name = Sort::new(
            users,
            "userName".parse().expect("path"),
            SortOrder::Descending,
        )
        .expect("sort");
        for text in USER_FILTERS {
            let text = data.expand(text);
            let filter: Filter = text.parse().unwrap_or_else(|e| {
                cx.fail(format_args!("the filter {text:?} does not parse: {e}"))
            });
            let mut q = ListQuery::new(Page::Index {
                start_index: 1,
                count: 1000,
            });
            q.filter = Some(filter);
            data.agree(&cx, users, &q, &format!("filter {text:?}"))
                .await;
            q.sort = Some(by_user_name.clone());
            q.page = Page::Index {
                start_index: 2,
                count: 3,
            };
            data.agree(
                &cx,
                users,
                &q,
                &format!("filter {text:?}, sorted by userName descending, items 2-4"),
            )
            .await;
        }
        let excluded = Projection::parse(groups, None, Some("members")).expect("projection");
        for text in GROUP_FILTERS {
            let text = data.expand(text);
            let filter: Filter = text.parse().unwrap_or_else(|e| {
                cx.fail(format_args!("the filter {text:?} does not parse: {e}"))
            });
            let mut q = ListQuery::new(Page::Index {
                start_index: 1,
                count: 1000,
            });
            q.filter = Some(filter);
            data.agree(&cx, groups, &q, &format!("filter {text:?}"))
                .await;
            q.projection = excluded.clone();
            let result = data
                .agree(
                    &cx,
                    groups,
                    &q,
                    &format!("filter {text:?}, excluding members"),
                )
                .await;
            for group in result.iter().flat_map(|r| &r.resources) {
                ensure!(
                    cx,
                    group.get("members").is_none(),
                    "filter {text:?} with excludedAttributes=members returned members for {}",
                    group.id()
                );
            }
        }
    }

    /// Sorting, ascending and descending, by single-valued, multi-valued,
    /// extension, date-time, case-exact and missing attributes, gives the
    /// order of [`crate::list::evaluate`] (missing values last when
    /// ascending, ties by id).
    pub async fn sorting_agrees_with_evaluate(&self) {
        let cx = self.check("sorting_agrees_with_evaluate").await;
        let data = Dataset::seed(&cx).await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let user_sorts = [
            "userName",
            "title",
            "nickName",
            "meta.lastModified",
            "name.familyName",
            "emails.value",
            "emails",
            "active",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "externalId",
            "id",
        ];
        for (schema, sorts) in [
            (users, &user_sorts[..]),
            (groups, &["displayName", "externalId", "meta.created"][..]),
        ] {
            for by in sorts {
                for order in [SortOrder::Ascending, SortOrder::Descending] {
                    let sort =
                        Sort::new(schema, by.parse().expect("path"), order).expect("sortable");
                    let mut q = ListQuery::new(Page::Index {
                        start_index: 1,
                        count: 1000,
                    });
                    q.sort = Some(sort);
                    data.agree(
                        &cx,
                        schema,
                        &q,
                        &format!("{} sorted by {by} {order:?}", schema.name()),
                    )
                    .await;
                    q.filter = Some(
                        r#"not (id eq "none") and meta.resourceType pr"#
                            .parse()
                            .expect("filter"),
                    );
                    q.page = Page::Index {
                        start_index: 3,
                        count: 4,
                    };
                    data.agree(
                        &cx,
                        schema,
                        &q,
                        &format!(
                            "{} filtered, sorted by {by} {order:?}, items 3-6",
                            schema.name()
                        ),
                    )
                    .await;
                }
            }
        }
    }

    /// Index paging (`startIndex`, `count`): every window, `count` 0 (only
    /// `totalResults`), a start beyond the end (no resources), and the
    /// largest `startIndex` a client can send.
    pub async fn index_paging(&self) {
        let cx = self.check("index_paging").await;
        let data = Dataset::seed(&cx).await;
        let users = &*cx.users;
        let sorts = [
            None,
            Some(
                Sort::new(
                    users,
                    "userName".parse().expect("path"),
                    SortOrder::Ascending,
                )
                .expect("sort"),
            ),
        ];
        let filters = [
            None,
            Some(r#"userName sw "b" or active eq false or title pr"#),
        ];
        let pages: [(u64, u64); 11] = [
            (1, 3),
            (4, 3),
            (7, 3),
            (10, 3),
            (1, 0),
            (5, 0),
            (8, 100),
            (9, 1),
            (100, 5),
            (i64::MAX as u64, 5),
            (1, 1000),
        ];
        for sort in &sorts {
            for filter in &filters {
                for (start_index, count) in pages {
                    let mut q = ListQuery::new(Page::Index { start_index, count });
                    q.sort = sort.clone();
                    q.filter = filter.map(|f| f.parse().expect("filter"));
                    let what = format!(
                        "startIndex={start_index} count={count} filter={filter:?} sortBy={:?}",
                        sort.as_ref().map(|s| s.by.to_string())
                    );
                    let result = data
                        .agree(&cx, users, &q, &what)
                        .await
                        .unwrap_or_else(|| cx.fail(format_args!("{what}: the query is refused")));
                    ensure!(
                        cx,
                        result.next_cursor.is_none(),
                        "{what}: index paging must not answer with a cursor"
                    );
                }
            }
        }
    }

    /// Cursor paging: walking the pages from the first returns every match
    /// exactly once, in order; a page with a next cursor is full; the last
    /// page has none; `count` 0 returns only `totalResults`; a cursor the
    /// store did not issue is refused.
    pub async fn cursor_paging(&self) {
        let cx = self.check("cursor_paging").await;
        let data = Dataset::seed(&cx).await;
        let users = &*cx.users;
        let sort = |by: &str, order| {
            Some(Sort::new(users, by.parse().expect("path"), order).expect("sort"))
        };
        let cases = [
            (None, None, 3),
            (
                Some(r#"active eq true"#),
                sort("userName", SortOrder::Ascending),
                2,
            ),
            (None, sort("meta.lastModified", SortOrder::Descending), 1),
            (
                Some(r#"emails pr or title pr"#),
                sort("title", SortOrder::Ascending),
                2,
            ),
            (None, None, 4),
            (None, None, 1000),
        ];
        for (filter, sort, count) in cases {
            let what = format!(
                "cursor paging with count={count} filter={filter:?} sortBy={:?}",
                sort.as_ref().map(|s| s.by.to_string())
            );
            let mut q = ListQuery::new(Page::Index {
                start_index: 1,
                count: 10_000,
            });
            q.filter = filter.map(|f| f.parse().expect("filter"));
            q.sort = sort;
            let expected = evaluate(users, &data.users, &q).expect("valid query");
            let mut seen = Vec::new();
            let mut cursor = None;
            for step in 0.. {
                ensure!(
                    cx,
                    step <= expected.resources.len() + 1,
                    "{what}: the pages never end"
                );
                q.page = Page::Cursor {
                    cursor: cursor.take(),
                    count,
                };
                let page = cx.query(&data.tenant, users, &q).await;
                ensure_eq!(
                    cx,
                    page.total_results,
                    expected.total_results,
                    "{what}: totalResults of page {step}"
                );
                ensure!(
                    cx,
                    page.resources.len() as u64 <= count,
                    "{what}: page {step} has {} resources",
                    page.resources.len()
                );
                seen.extend(ids(&page));
                match page.next_cursor {
                    Some(next) => {
                        ensure_eq!(
                            cx,
                            page.resources.len() as u64,
                            count,
                            "{what}: page {step} has a next cursor, so it must be full"
                        );
                        cursor = Some(next);
                    }
                    None => break,
                }
            }
            ensure_eq!(
                cx,
                seen,
                ids(&expected),
                "{what}: the pages together must hold every match once, in order"
            );
            q.page = Page::Cursor {
                cursor: None,
                count: 0,
            };
            let page = cx.query(&data.tenant, users, &q).await;
            ensure_eq!(
                cx,
                (page.total_results, page.resources.len()),
                (expected.total_results, 0),
                "{what}, count=0: only totalResults"
            );
        }
        let q = ListQuery::new(Page::Cursor {
            cursor: Some("not a cursor!".to_owned()),
            count: 2,
        });
        let r = cx.store.query(&data.tenant, users, &q).await;
        ensure!(
            cx,
            r.is_err(),
            "a cursor the store did not issue must be refused: {r:?}"
        );
    }
    /// A cursor walk while another client creates and deletes: every
    /// resource present for the whole walk is returned exactly once, none
    /// twice, in the query's order (RFC 9865 keyset cursors), unsorted and
    /// sorted both ways; and a cursor is refused by a query with another
    /// filter, sort or tenant.
    pub async fn cursor_walk_under_writes(&self) {
        let cx = self.check("cursor_walk_under_writes").await;
        let users = &*cx.users;
        let t = cx.tenant("walk");
        let sort =
            |order| Some(Sort::new(users, "userName".parse().expect("path"), order).expect("sort"));
        for (filter, sort) in [
            (None, None),
            (None, sort(SortOrder::Ascending)),
            (Some("userName sw \"w\""), sort(SortOrder::Descending)),
        ] {
            let what = format!(
                "a cursor walk (filter {filter:?}, sortBy userName {:?}) while users are \
                 created and deleted",
                sort.as_ref().map(|s| s.order)
            );
            // Names spread out, so that the creations below land before
            // and after the walk's position in either order.
            let mut stable = Vec::new();
            let mut doomed = Vec::new();
            for i in 0..24 {
                let u = cx
                    .create_user(&t, &format!("w{:02}-{}", i * 4, cx.run))
                    .await;
                if i % 3 == 0 {
                    doomed.push(u.id().clone());
                } else {
                    stable.push(u.id().clone());
                }
            }
            let mut q = ListQuery::new(Page::Cursor {
                cursor: None,
                count: 3,
            });
            q.filter = filter.map(|f| f.parse().expect("filter"));
            q.sort = sort;
            q.projection = Projection::id_only();
            q.bind_cursors(&t, users);
            let mut seen: Vec<String> = Vec::new();
            let mut created = Vec::new();
            let mut ended = false;
            for step in 0..100 {
                let page = cx.query(&t, users, &q).await;
                seen.extend(ids(&page));
                // Between pages: two creations (one sorting early, one
                // late) and a deletion.
                for name in [format!("w{:02}x", step % 97), format!("w9{step:02}")] {
                    let u = cx.create_user(&t, &format!("{name}-{}", cx.run)).await;
                    created.push(u.id().clone());
                }
                if let Some(id) = doomed.pop() {
                    cx.ok(
                        cx.store.delete(&t, users, &id, None).await,
                        format_args!("{what}: deleting {id}"),
                    );
                }
                match page.next_cursor {
                    Some(next) => {
                        q.page = Page::Cursor {
                            cursor: Some(next),
                            count: 3,
                        };
                    }
                    None => {
                        ended = true;
                        break;
                    }
                }
            }
            ensure!(cx, ended, "{what}: the pages never end");
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            ensure_eq!(
                cx,
                unique.len(),
                seen.len(),
                "{what}: a resource was returned twice: {seen:?}"
            );
            for id in &stable {
                ensure!(
                    cx,
                    seen.iter().any(|s| s == id.as_str()),
                    "{what}: {id}, present for the whole walk, was never returned"
                );
            }
            for id in created.iter().chain(&stable).chain(&doomed) {
                cx.ok(
                    cx.store.delete(&t, users, id, None).await,
                    format_args!("{what}: cleaning up {id}"),
                );
            }
        }

        // A cursor is bound to its query and tenant.
        for i in 0..4 {
            cx.create_user(&t, &format!("bound{i}-{}", cx.run)).await;
        }
        let mut q = ListQuery::new(Page::Cursor {
            cursor: None,
            count: 2,
        });
        q.filter = Some("userName sw \"bound\"".parse().expect("filter"));
        q.bind_cursors(&t, users);
        let first = cx.query(&t, users, &q).await;
        let Some(next) = first.next_cursor else {
            cx.fail("four matches in pages of two must give a next cursor")
        };
        let other_tenant = cx.tenant("walk-elsewhere");
        let mut other_filter = q.clone();
        other_filter.filter = Some("userName sw \"boun\"".parse().expect("filter"));
        let mut other_sort = q.clone();
        other_sort.sort = sort(SortOrder::Ascending);
        for (tenant, mut other, what) in [
            (&other_tenant, q.clone(), "in another tenant"),
            (&t, other_filter, "with another filter"),
            (&t, other_sort, "with another sort"),
        ] {
            other.bind_cursors(tenant, users);
            other.page = Page::Cursor {
                cursor: Some(next.clone()),
                count: 2,
            };
            let r = cx.store.query(tenant, users, &other).await;
            ensure!(
                cx,
                matches!(
                    &r,
                    Err(crate::store::StoreError::InvalidQuery(
                        crate::store::QueryError::InvalidCursor(_)
                    ))
                ),
                "a cursor used {what} must be refused with invalidCursor: {r:?}"
            );
        }
        q.page = Page::Cursor {
            cursor: Some(next),
            count: 2,
        };
        let second = cx.query(&t, users, &q).await;
        ensure_eq!(
            cx,
            second.resources.len(),
            2,
            "the cursor's own query continues the walk"
        );
    }
}

/// User filters of the query checks; `{u1}`…`{g3}` stand for the seeded
/// ids, `{U1}`… for the same upper-cased.
const USER_FILTERS: &[&str] = &[
    r#"userName eq "bjensen""#,
    r#"userName eq "BJENSEN""#,
    r#"USERNAME Eq "bjensen""#,
    r#"userName ne "bjensen""#,
    r#"userName co "EN""#,
    r#"userName sw "b""#,
    r#"userName ew "SEN""#,
    r#"userName gt "carol""#,
    r#"userName lt "carol""#,
    r#"userName ge "carol""#,
    r#"userName le "carol""#,
    r#"userName gt "Zoe""#,
    r#"userName eq "émile.zola""#,
    r#"userName sw "ÉMILE""#,
    r#"userName eq "ZOË""#,
    r#"userName co "%""#,
    r#"userName co "_""#,
    r#"userName sw "_""#,
    r#"userName co "b_s""#,
    r#"userName ew "h%""#,
    r#"userName eq "nobody""#,
    r#"title pr"#,
    r#"not (title pr)"#,
    r#"title eq null"#,
    r#"title ne null"#,
    r#"title co "guide""#,
    r#"nickName pr"#,
    r#"name.familyName eq "jensen""#,
    r#"name pr"#,
    r#"name.givenName sw "b" and active eq true"#,
    r#"active eq false or userType eq "Intern""#,
    r#"active eq true"#,
    r#"active ne true"#,
    r#"userType eq "Employee" or title pr and active eq true"#,
    r#"(userType eq "Employee" or title pr) and active eq true"#,
    r#"not (userType eq "Employee" or active eq false)"#,
    r#"not (userType eq "Employee") and not (active eq false)"#,
    r#"emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "WORK"]"#,
    r#"emails[not (type eq "work")]"#,
    r#"emails co "EXAMPLE.ORG""#,
    r#"emails.value ew ".org""#,
    r#"emails.type eq "home""#,
    r#"emails pr"#,
    r#"emails[type eq "work"].value eq "bjensen@example.com""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Tour Operations""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "tour""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "{u1}""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr"#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department gt "s""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice""#,
    r#"meta.lastModified gt "2021-03-01T10:15:00Z""#,
    r#"meta.lastModified ge "2021-06-01T10:00:00Z""#,
    r#"meta.lastModified lt "2021-06-01T12:00:00+02:00""#,
    r#"meta.lastModified le "2021-06-01T12:00:00+02:00""#,
    r#"meta.lastModified eq "2021-06-01T10:00:00.000Z""#,
    r#"meta.lastModified gt "2022-07-04T08:00:00Z""#,
    r#"meta.created gt "2021-01-01T00:00:00Z" and meta.created lt "2022-01-01T00:00:00Z""#,
    r#"meta.resourceType eq "User""#,
    r#"meta.resourceType eq "user""#,
    r#"id eq "{u3}""#,
    r#"id eq "{U3}""#,
    r#"id ne "{u3}""#,
    r#"id eq "{u3}" or id eq "{u5}""#,
    r#"id sw "{u3}""#,
    r#"externalId eq "ext-001""#,
    r#"externalId eq "EXT-001""#,
    r#"externalId sw "EXT""#,
    r#"externalId pr"#,
    r#"userName eq "bjensen" and externalId eq "ext-001""#,
    r#"userName eq "bjensen" or userName eq "carol""#,
    r#"userName eq "bjensen" and title eq "nothing""#,
    r#"favouriteColour eq "BLUE""#,
    r#"level gt 2"#,
    r#"level le 3"#,
    r#"level eq 2.5"#,
    r#"groups.value eq "{g1}""#,
    r#"groups[display eq "admins"]"#,
    r#"groups pr"#,
    r#"not (groups pr)"#,
    r#"active gt true"#,
    r#"name gt "x""#,
];

/// Group filters of the query checks.
const GROUP_FILTERS: &[&str] = &[
    r#"displayName eq "admins""#,
    r#"displayName eq "Admins""#,
    r#"displayName co "GUIDE""#,
    r#"displayName sw "tour" or displayName eq "empty""#,
    r#"displayName gt "B""#,
    r#"members[value eq "{u1}"]"#,
    r#"members[value eq "{U1}"]"#,
    r#"members.value eq "{u8}""#,
    r#"members.value eq "{g1}""#,
    r#"members[type eq "group"]"#,
    r#"members pr"#,
    r#"not (members pr)"#,
    r#"externalId eq "grp-2""#,
    r#"externalId eq "GRP-2""#,
    r#"id eq "{g3}""#,
    r#"meta.created ge "2022-01-01T00:00:00Z""#,
];
