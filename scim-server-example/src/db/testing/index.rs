//! Secondary-index scenarios: every key test through real SQL, the scan
//! budget, declared-index changes and backfills at start-up.
//!
//! The stores under test are opened with a scan budget of
//! [`TINY_BUDGET`], smaller than the tenants here: a filter that silently
//! fell back to a scan would be refused, so agreeing with the evaluator
//! also shows the index answered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use scim_core::list::{Sort, SortOrder};
use scim_core::schema::{AttributeSettings, RegistryBuilder};

use super::*;
use crate::db::Options;

/// The scan budget of the stores these scenarios get.
pub(crate) const TINY_BUDGET: u64 = 2;

/// Options with [`TINY_BUDGET`] and the standard registry, or one that
/// also indexes `title` (`with_title`).
pub(crate) fn options(with_title: bool) -> Options {
    let registry = if with_title {
        RegistryBuilder::standard()
            .configure("User", "title", AttributeSettings::new().indexed(true))
            .build()
            .unwrap()
    } else {
        Registry::standard()
    };
    Options {
        scan_budget: TINY_BUDGET,
        registry: Arc::new(registry),
        ..Options::default()
    }
}

fn host(user_name: &str, emails: Value, active: bool, extra: Value) -> Value {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": user_name,
        "active": active,
        "emails": emails,
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body
}

/// Hosts and groups with values every key test can tell apart.
async fn populate(db: &Database, t: &TenantId) -> (Vec<Resource>, Vec<Resource>) {
    let users = users();
    let groups = groups();
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let bodies = [
        host(
            "Alice@Example.com",
            json!([{"type": "work", "value": "Alice@Work.example"},
                   {"type": "home", "value": "alice@home.example"}]),
            true,
            json!({"name": {"givenName": "Alice", "familyName": "Smith"}, "title": "Boss",
                   enterprise: {"employeeNumber": "E-1"}}),
        ),
        host(
            "bob@example.com",
            json!([{"type": "work", "value": "bob@work.example"}]),
            false,
            json!({"name": {"familyName": "Smith"}, enterprise: {"employeeNumber": "E-2"}}),
        ),
        host(
            "carol@example.org",
            json!([{"type": "home", "value": "carol@home.example"},
                   {"type": "other", "value": "c@other.example"}]),
            true,
            json!({"title": "Clerk", "displayName": "Carol"}),
        ),
        host(
            "ümit@example.org",
            json!([]),
            true,
            json!({enterprise: {"employeeNumber": "X-9"}}),
        ),
        host(
            "ab",
            json!([{"type": "work", "value": ""}]),
            false,
            json!({}),
        ),
    ];
    let mut hosts = Vec::new();
    for body in bodies {
        hosts.push(
            db.scim
                .create(t, &users, prepared(&users, body))
                .await
                .unwrap(),
        );
    }
    let mut made = Vec::new();
    for (name, members) in [
        ("Lobby", vec![&hosts[0], &hosts[1]]),
        ("Front Desk", vec![&hosts[2]]),
        ("Empty", vec![]),
    ] {
        let members: Vec<Value> = members.iter().map(|h| member(h.id())).collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                          "displayName": name, "members": members});
        made.push(
            db.scim
                .create(t, &groups, prepared(&groups, body))
                .await
                .unwrap(),
        );
    }
    (hosts, made)
}

/// Everything of a type, read without a filter (SQL paging, no budget).
async fn everything(db: &Database, t: &TenantId, schema: &ResourceSchema) -> Vec<Resource> {
    let q = list(
        None,
        Projection::all(),
        Page::index(None, Some(1000), 1000, 1000),
    );
    db.scim.query(t, schema, &q).await.unwrap().resources
}

/// Checks `filter` against the evaluator: index page, `count=0`, sorted,
/// and a later page.
pub(crate) async fn agrees(db: &Database, t: &TenantId, schema: &ResourceSchema, filter: &str) {
    let all = everything(db, t, schema).await;
    let pages = [
        Page::index(None, None, 100, 100),
        Page::index(None, Some(0), 100, 100),
        Page::index(Some(2), Some(1), 100, 100),
    ];
    for page in pages {
        for sorted in [false, true] {
            let mut q = list(Some(filter), Projection::all(), page.clone());
            if sorted {
                let by = if schema.name() == "User" {
                    "userName"
                } else {
                    "displayName"
                };
                q.sort =
                    Some(Sort::new(schema, by.parse().unwrap(), SortOrder::Descending).unwrap());
            }
            let expected = evaluate(schema, &all, &q).unwrap();
            let got = match db.scim.query(t, schema, &q).await {
                Ok(got) => got,
                Err(e) => panic!("{filter} (sorted: {sorted}, {page:?}): {e:?}"),
            };
            assert_eq!(
                (got.total_results, ids(&got)),
                (expected.total_results, ids(&expected)),
                "{filter} (sorted: {sorted}, {page:?})"
            );
        }
    }
}

/// Every key test of the standard indexes, value paths and `and`/`or`/
/// `not`, through SQL, against the evaluator, without scanning.
pub(crate) async fn filters_use_the_indexes(db: &Database) {
    let (_, t) = new_tenant(db, "index-filters").await;
    let (hosts, made) = populate(db, &t).await;
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let users = users();
    let user_filters = [
        r#"userName sw "ALI""#.to_owned(),
        r#"userName sw "ü""#.to_owned(),
        r#"userName co "xample.c""#.to_owned(),
        r#"userName co "b""#.to_owned(),
        r#"userName ew "EXAMPLE.ORG""#.to_owned(),
        r#"userName ew "g""#.to_owned(),
        r#"userName gt "bob@example.com""#.to_owned(),
        r#"userName le "bob@example.com""#.to_owned(),
        r#"userName lt "b""#.to_owned(),
        "userName pr".to_owned(),
        r#"userName ne "ab""#.to_owned(),
        r#"emails.value eq "BOB@work.example""#.to_owned(),
        r#"emails[type eq "work"].value eq "alice@work.example""#.to_owned(),
        r#"emails[type eq "work" and value sw "a"]"#.to_owned(),
        r#"emails[type eq "home" and value co "home"]"#.to_owned(),
        r#"emails[type eq "other"].value pr"#.to_owned(),
        r#"emails co "home""#.to_owned(),
        "emails.value pr".to_owned(),
        r#"emails.value eq """#.to_owned(),
        format!(r#"{enterprise}:employeeNumber eq "e-2""#),
        format!(r#"{enterprise}:employeeNumber sw "E-""#),
        format!("{enterprise}:employeeNumber eq null"),
        "active eq true".to_owned(),
        "active eq false".to_owned(),
        // Planned as the empty set (the differential check's seed
        // 0x5c1d0025: PostgreSQL refused its statement, which did not use
        // the tenant parameter).
        "meta.resourceType le null".to_owned(),
        "not (active eq true)".to_owned(),
        r#"meta.lastModified gt "2000-01-01T00:00:00Z""#.to_owned(),
        r#"meta.lastModified lt "2000-01-01T00:00:00Z""#.to_owned(),
        format!(
            r#"meta.created ge "{}""#,
            format_date_time(hosts[2].meta().unwrap().created)
        ),
        r#"userName sw "a" or emails.value eq "carol@home.example""#.to_owned(),
        r#"userName sw "a" and active eq true"#.to_owned(),
        r#"not (userName sw "a") and emails pr and userName sw "bob""#.to_owned(),
        r#"name.givenName eq null and name.familyName eq "smith""#.to_owned(),
        r#"name.familyName eq "Smith" and title eq "Boss""#.to_owned(),
        format!(r#"id eq "{}" or userName eq "ab""#, hosts[1].id()),
        r#"displayName ne null"#.to_owned(),
    ];
    for f in &user_filters {
        agrees(db, &t, &users, f).await;
    }
    // An index narrows this one to more candidates than the budget (2)
    // allows, and `emails pr` has no index: refused, naming `emails`.
    let q = list(
        Some(r#"not (userName sw "a") and emails pr"#),
        Projection::all(),
        first_page(),
    );
    let detail = refused_detail(db.scim.query(&t, &users, &q).await.unwrap_err());
    assert!(detail.contains("`emails`"), "{detail}");
    let groups = groups();
    let alice = hosts[0].id().as_str();
    let group_filters = [
        r#"displayName sw "lob""#.to_owned(),
        r#"displayName co "desk""#.to_owned(),
        format!(r#"members[value eq "{alice}"]"#),
        format!(r#"members.value eq "{alice}" and displayName ew "by""#),
        format!(r#"members.value sw "{}""#, &alice[..4]),
        format!(r#"members.value co "{}""#, &alice[3..9]),
        format!(r#"members.value ew "{}""#, &alice[alice.len() - 5..]),
        format!(r#"members.value gt "{alice}""#),
        "members.value pr".to_owned(),
        "not (members.value pr)".to_owned(),
        format!(r#"id eq "{}" or members.value pr"#, made[2].id()),
    ];
    for f in &group_filters {
        agrees(db, &t, &groups, f).await;
    }
    // Writes keep the rows: a rename, a membership change, a delete.
    let renamed = patched(
        &users,
        &hosts[1],
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations": [{"op": "replace", "path": "userName", "value": "zed@example.com"}]}),
    );
    db.scim
        .replace(&t, &users, renamed, hosts[1].version())
        .await
        .unwrap();
    agrees(db, &t, &users, r#"userName sw "z""#).await;
    agrees(db, &t, &users, r#"userName sw "bob""#).await;
    let before = everything(db, &t, &groups).await;
    db.scim
        .modify_members(
            &t,
            &groups,
            made[2].id(),
            &add(&[hosts[3].id()]),
            None,
            now(),
        )
        .await
        .unwrap();
    db.scim
        .delete(&t, &users, hosts[0].id(), None)
        .await
        .unwrap();
    agrees(db, &t, &users, r#"userName sw "a""#).await;
    agrees(db, &t, &groups, "members.value pr").await;
    agrees(db, &t, &groups, &format!(r#"members[value eq "{alice}"]"#)).await;
    // Bumped groups (a member deleted, a member added) moved their
    // lastModified key.
    let newest = before
        .iter()
        .map(|g| g.meta().unwrap().last_modified)
        .max()
        .map(format_date_time)
        .unwrap();
    agrees(
        db,
        &t,
        &groups,
        &format!(r#"meta.lastModified gt "{newest}""#),
    )
    .await;
    let after = everything(db, &t, &groups).await;
    let bumped = evaluate(
        &groups,
        &after,
        &list(
            Some(&format!(r#"meta.lastModified gt "{newest}""#)),
            Projection::all(),
            first_page(),
        ),
    )
    .unwrap();
    assert_eq!(bumped.total_results, 2, "Lobby lost Alice, Empty got Ümit");
}

fn refused_detail(e: StoreError) -> String {
    match e {
        StoreError::InvalidQuery(scim_core::store::QueryError::TooMany(detail)) => {
            detail.to_string()
        }
        other => panic!("{other:?}"),
    }
}

/// A filter no index narrows reads within the budget and is refused
/// beyond it, naming the attribute.
pub(crate) async fn unindexed_filters_within_the_budget(db: &Database) {
    let users = users();
    let (_, t) = new_tenant(db, "index-budget").await;
    let q = list(Some(r#"title eq "Boss""#), Projection::all(), first_page());
    for name in ["one@example.com", "two@example.com"] {
        let mut body = host(name, json!([]), true, json!({"title": "Boss"}));
        body["title"] = json!("Boss");
        db.scim
            .create(&t, &users, prepared(&users, body))
            .await
            .unwrap();
    }
    let within = db.scim.query(&t, &users, &q).await.unwrap();
    assert_eq!(within.total_results, 2, "two hosts fit the budget");
    db.scim
        .create(
            &t,
            &users,
            prepared(
                &users,
                host("three@example.com", json!([]), true, json!({})),
            ),
        )
        .await
        .unwrap();
    let detail = refused_detail(db.scim.query(&t, &users, &q).await.unwrap_err());
    assert!(detail.contains("`title`"), "{detail}");
    // Narrowed by an index, the same test is fine.
    let narrowed = list(
        Some(r#"title eq "Boss" and userName sw "t""#),
        Projection::all(),
        first_page(),
    );
    assert_eq!(
        db.scim
            .query(&t, &users, &narrowed)
            .await
            .unwrap()
            .total_results,
        1
    );
    // Listing without a filter is not a scan.
    let all = list(None, Projection::all(), first_page());
    assert_eq!(
        db.scim.query(&t, &users, &all).await.unwrap().total_results,
        3
    );
}

/// Writes what [`check_indexed`] reads after the index rows were dropped
/// or the store reopened with other declarations.
pub(crate) async fn write_for_indexing(db: &Database) -> TenantId {
    let (_, t) = new_tenant(db, "index-restart").await;
    populate(db, &t).await;
    t
}

/// Filters on the standard indexes answer from the index (the rows were
/// rebuilt), and `title` does with `with_title`, else is refused.
pub(crate) async fn check_indexed(db: &Database, t: &TenantId, with_title: bool) {
    // The service's schema, from the registry the store was opened with.
    let users = options(with_title)
        .registry
        .resource_type("User")
        .unwrap()
        .clone();
    agrees(db, t, &users, r#"emails.value sw "alice@""#).await;
    agrees(db, t, &groups(), r#"displayName sw "lob""#).await;
    let q = list(Some(r#"title eq "boss""#), Projection::all(), first_page());
    let got = db.scim.query(t, &users, &q).await;
    if with_title {
        assert_eq!(got.unwrap().total_results, 1);
    } else {
        let detail = refused_detail(got.unwrap_err());
        assert!(detail.contains("`title`"), "{detail}");
    }
}
