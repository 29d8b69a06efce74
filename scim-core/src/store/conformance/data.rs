//! The data the checks work on: the seeded dataset of the query checks,
//! and small builders and readers of members and query results.

use serde_json::{Value, json};

use super::{Check, ENTERPRISE};
use crate::id::ResourceId;
use crate::list::{ListQuery, Page, QueryResult, evaluate};
use crate::project::Projection;
use crate::resource::Resource;
use crate::schema::ResourceSchema;
use crate::store::{MemberDelta, TenantId};

/// The users and groups the query checks work on.
pub(super) struct Dataset {
    pub(super) tenant: TenantId,
    /// As the store's `get` returns them.
    pub(super) users: Vec<Resource>,
    groups: Vec<Resource>,
    /// Placeholders in filter texts and their values.
    placeholders: Vec<(String, String)>,
}

impl Dataset {
    pub(super) async fn seed(cx: &Check<'_>) -> Self {
        let t = cx.tenant("data");
        let (users, groups) = (&*cx.users, &*cx.groups);
        let user = |body: Value, at: &str| cx.resource(users, body, at);
        let u1 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "bjensen",
                        "externalId": "ext-001",
                        "name": {"givenName": "Barbara", "familyName": "Jensen"},
                        "title": "Tour Guide",
                        "userType": "Employee",
                        "active": true,
                        "emails": [
                            {"value": "bjensen@example.com", "type": "work", "primary": true},
                            {"value": "babs@jensen.org", "type": "home"},
                        ],
                        ENTERPRISE: {"department": "Tour Operations", "employeeNumber": "701984"},
                        "favouriteColour": "Blue",
                        "level": 3,
                    }),
                    "2021-03-01T10:00:00Z",
                ),
            )
            .await;
        let u2 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "Émile.Zola",
                        "externalId": "EXT-002",
                        "name": {"givenName": "Émile", "familyName": "Zola"},
                        "userType": "Intern",
                        "active": true,
                        "emails": [{"value": "emile@example.com", "type": "work"}],
                        ENTERPRISE: {"department": "tour operations", "manager": {"value": u1.id().as_str()}},
                    }),
                    "2021-03-01T10:45:00+01:00",
                ),
            )
            .await;
        let u3 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "alice",
                        "title": "Engineer",
                        "active": false,
                        "emails": [{"value": "alice@example.org", "type": "home"}],
                        "level": 10,
                    }),
                    "2020-12-31T23:59:59Z",
                ),
            )
            .await;
        let u4 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "Bob_Smith%",
                        "name": {"familyName": "Smith"},
                        "userType": "Employee",
                        "active": true,
                        "favouriteColour": "blue",
                        "level": 2.5,
                    }),
                    "2022-07-04T08:00:00.5Z",
                ),
            )
            .await;
        let u5 = cx
            .create(
                &t,
                users,
                user(
                    json!({"userName": "carol", "externalId": "ext-005", "active": true}),
                    "2021-06-01T12:00:00Z",
                ),
            )
            .await;
        let u6 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "dave",
                        "title": "Manager",
                        "userType": "Contractor",
                        "emails": [{"value": "dave@EXAMPLE.com", "type": "work"}],
                        ENTERPRISE: {"department": "Sales"},
                    }),
                    "2021-06-01T10:00:00Z",
                ),
            )
            .await;
        let u7 = cx
            .create(
                &t,
                users,
                user(
                    json!({"userName": "zoë", "name": {"givenName": "Zoë"}, "active": true}),
                    "2021-06-01T12:00:00+02:00",
                ),
            )
            .await;
        let u8 = cx
            .create(
                &t,
                users,
                user(
                    json!({"userName": "ZOEY", "title": "Tour guide"}),
                    "2023-01-01T00:00:00Z",
                ),
            )
            .await;
        let g1 = cx
            .create(&t, groups, cx.group("Admins", &[u1.id(), u2.id()]))
            .await;
        let g2 = cx
            .create(
                &t,
                groups,
                cx.resource(
                    groups,
                    json!({
                        "displayName": "Tour Guides",
                        "externalId": "grp-2",
                        "members": [
                            {"value": u1.id().as_str(), "type": "User"},
                            {"value": u8.id().as_str(), "type": "User"},
                            {"value": g1.id().as_str(), "type": "Group"},
                        ],
                    }),
                    "2022-01-01T00:00:00Z",
                ),
            )
            .await;
        let g3 = cx.create(&t, groups, cx.group("Empty", &[])).await;

        let mut placeholders = Vec::new();
        for (key, id) in [
            ("u1", u1.id()),
            ("u2", u2.id()),
            ("u3", u3.id()),
            ("u4", u4.id()),
            ("u5", u5.id()),
            ("u6", u6.id()),
            ("u7", u7.id()),
            ("u8", u8.id()),
            ("g1", g1.id()),
            ("g2", g2.id()),
            ("g3", g3.id()),
        ] {
            placeholders.push((format!("{{{key}}}"), id.to_string()));
            placeholders.push((
                format!("{{{}}}", key.to_uppercase()),
                id.to_string().to_uppercase(),
            ));
        }
        let snapshot = |list: &[&Resource]| list.iter().map(|r| r.id().clone()).collect::<Vec<_>>();
        let user_ids = snapshot(&[&u1, &u2, &u3, &u4, &u5, &u6, &u7, &u8]);
        let group_ids = snapshot(&[&g1, &g2, &g3]);
        let mut data = Self {
            tenant: t,
            users: Vec::new(),
            groups: Vec::new(),
            placeholders,
        };
        for id in &user_ids {
            data.users
                .push(cx.must_get(&data.tenant, users, id, "a seeded user").await);
        }
        for id in &group_ids {
            data.groups.push(
                cx.must_get(&data.tenant, groups, id, "a seeded group")
                    .await,
            );
        }
        data
    }

    pub(super) fn expand(&self, text: &str) -> String {
        self.placeholders
            .iter()
            .fold(text.to_owned(), |acc, (key, value)| acc.replace(key, value))
    }

    /// Runs `q` through the store and through `evaluate` over what `get`
    /// returns, and checks that they agree: both refuse it, or both give
    /// the same ids in the same order, the same total and the same JSON.
    pub(super) async fn agree(
        &self,
        cx: &Check<'_>,
        schema: &ResourceSchema,
        q: &ListQuery,
        what: &str,
    ) -> Option<QueryResult> {
        let snapshot = if schema.name() == cx.users.name() {
            &self.users
        } else {
            &self.groups
        };
        let expected = evaluate(schema, snapshot, q);
        let actual = cx.store.query(&self.tenant, schema, q).await;
        match (expected, actual) {
            (Ok(expected), Ok(actual)) => {
                ensure_eq!(
                    cx,
                    ids(&actual),
                    ids(&expected),
                    "{what}: the ids (in order)"
                );
                ensure_eq!(
                    cx,
                    actual.total_results,
                    expected.total_results,
                    "{what}: totalResults"
                );
                if q.projection == Projection::all() {
                    for (a, e) in actual.resources.iter().zip(&expected.resources) {
                        ensure_eq!(
                            cx,
                            a.json(),
                            e.json(),
                            "{what}: {} must be returned as get returns it",
                            a.id()
                        );
                    }
                }
                Some(actual)
            }
            (Err(_), Err(_)) => None,
            (Ok(expected), Err(e)) => cx.fail(format_args!(
                "{what}: the store fails ({e:?}) where evaluate answers {:?}",
                ids(&expected)
            )),
            (Err(e), Ok(actual)) => cx.fail(format_args!(
                "{what}: the store answers {:?} where evaluate refuses the query ({e})",
                ids(&actual)
            )),
        }
    }
}

/// `{"value": id}`, with a display if given.
pub(super) fn member(id: &ResourceId, display: Option<&str>) -> Value {
    match display {
        Some(display) => json!({"value": id.as_str(), "display": display}),
        None => json!({"value": id.as_str()}),
    }
}

pub(super) fn delta(add: Vec<Value>, remove: Vec<String>) -> MemberDelta {
    MemberDelta {
        add,
        remove,
        remove_all: false,
    }
}

/// A group's member ids, sorted.
pub(super) fn member_values(group: &Resource) -> Vec<String> {
    let mut values: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_owned))
        .collect();
    values.sort();
    values
}

pub(super) fn sorted<'a>(ids: impl IntoIterator<Item = &'a ResourceId>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().map(ToString::to_string).collect();
    ids.sort();
    ids
}

pub(super) fn ids(result: &QueryResult) -> Vec<String> {
    result
        .resources
        .iter()
        .map(|r| r.id().to_string())
        .collect()
}

/// A query with a filter, first page of `count`.
pub(super) fn filtered(filter: &str, count: u64) -> ListQuery {
    let mut q = ListQuery::new(Page::Index {
        start_index: 1,
        count,
    });
    q.filter = Some(filter.parse().unwrap_or_else(|e| panic!("{filter}: {e}")));
    q
}
