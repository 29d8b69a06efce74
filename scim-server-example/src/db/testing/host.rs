//! Host (SCIM User) scenarios: Entra ID's user traffic, the product's
//! host list, paging, NUL characters, racing writers, restarts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// R6 create, R5 match, R8 update, R11 disable: checks the product's typed
/// columns against the JSON after each step. Returns the tenant and the
/// host for backend-specific checks of the columns `HostRow` lacks
/// (`other_email`, `organization`): after this, `other_email` is
/// `amelia.hart@hartfamily.example` and `organization` `Northwind
/// Traders`.
pub(crate) async fn entra_host_lifecycle(db: &Database) -> (Tenant, Resource) {
    let users = users();
    let (tenant, t) = new_tenant(db, "entra").await;
    let host = db
        .scim
        .create(&t, &users, prepared(&users, entra_host()))
        .await
        .unwrap();
    assert_eq!(
        host.get("active"),
        Some(&json!(true)),
        "the library stores a boolean"
    );
    let row = |user_name: &str| HostRow {
        id: host.id().to_string(),
        user_name: user_name.to_owned(),
        given_name: Some("Amelia".into()),
        family_name: Some("Hart".into()),
        work_email: Some("amelia.hart@northwind.example".into()),
        work_phone: Some("+1 206 555 0100".into()),
        mobile_phone: Some("+1 206 555 0142".into()),
        department: Some("Front Desk".into()),
        visible: true,
    };
    assert_eq!(
        db.product.hosts(&tenant.id, false).await.unwrap(),
        vec![row("amelia.hart@northwind.example")]
    );

    // R5: matching ignores case.
    let q = list(
        Some(r#"userName eq "Amelia.Hart@NORTHWIND.example""#),
        Projection::all(),
        first_page(),
    );
    let found = db.scim.query(&t, &users, &q).await.unwrap();
    assert_eq!(
        (found.total_results, found.resources.clone()),
        (1, vec![host.clone()])
    );

    // R8: legacy PATCH shapes.
    let update = patched(
        &users,
        &host,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
          {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Visitor Services"},
          {"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 206 555 0199"},
          {"op": "Add", "path": "emails[type eq \"other\"].value", "value": "amelia.hart@hartfamily.example"},
          {"op": "Replace", "path": "name.familyName", "value": "Hart-Lowe"},
          {"op": "Replace", "path": "userName", "value": "amelia.hart-lowe@northwind.example"}
        ]}),
    );
    let updated = db
        .scim
        .replace(&t, &users, update.clone(), host.version())
        .await
        .unwrap();
    assert_ne!(updated.version(), host.version());
    for (k, v) in update.json() {
        if k != "meta" {
            assert_eq!(updated.get(k), Some(v), "{k}");
        }
    }
    let mut expected = row("amelia.hart-lowe@northwind.example");
    expected.family_name = Some("Hart-Lowe".into());
    expected.work_phone = Some("+1 206 555 0199".into());
    expected.department = Some("Visitor Services".into());
    assert_eq!(
        db.product.hosts(&tenant.id, false).await.unwrap(),
        vec![expected.clone()]
    );
    let got = db
        .scim
        .get(&t, &users, host.id(), &Projection::all())
        .await
        .unwrap();
    assert_eq!(
        got.as_ref(),
        Some(&updated),
        "get returns exactly what replace stored"
    );

    // The old name no longer matches, the new one does.
    let old = list(
        Some(r#"userName eq "amelia.hart@northwind.example""#),
        Projection::all(),
        first_page(),
    );
    assert_eq!(
        db.scim.query(&t, &users, &old).await.unwrap().total_results,
        0
    );
    let new = list(
        Some(r#"userName eq "AMELIA.HART-LOWE@northwind.example""#),
        Projection::all(),
        first_page(),
    );
    assert_eq!(
        ids(&db.scim.query(&t, &users, &new).await.unwrap()),
        vec![host.id().to_string()]
    );

    // R11: soft delete hides the host from the product, not from SCIM.
    let disable = patched(
        &users,
        &updated,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}),
    );
    let disabled = db
        .scim
        .replace(&t, &users, disable, updated.version())
        .await
        .unwrap();
    assert_eq!(disabled.get("active"), Some(&json!(false)));
    assert!(
        db.product
            .hosts(&tenant.id, false)
            .await
            .unwrap()
            .is_empty()
    );
    expected.visible = false;
    assert_eq!(
        db.product.hosts(&tenant.id, true).await.unwrap(),
        vec![expected]
    );
    assert_eq!(
        db.scim.query(&t, &users, &new).await.unwrap().total_results,
        1
    );
    (tenant, disabled)
}

/// The product's lists: hosts by userName (ignoring case), invisible ones
/// only on request; groups by displayName with member counts (all members,
/// and the visible hosts among them).
pub(crate) async fn product_view(db: &Database) {
    let (users, groups) = (users(), groups());
    let (tenant, t) = new_tenant(db, "product").await;
    let mut made = Vec::new();
    for (name, active) in [
        ("carol", true),
        ("Bob", false),
        ("alice", true),
        ("Émile", true),
    ] {
        let u = prepared(
            &users,
            json!({"userName": name, "active": active, "name": {"givenName": name}}),
        );
        made.push(db.scim.create(&t, &users, u).await.unwrap());
    }
    let visible: Vec<String> = db
        .product
        .hosts(&tenant.id, false)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.user_name)
        .collect();
    assert_eq!(visible, ["alice", "carol", "Émile"]);
    let all: Vec<(String, bool)> = db
        .product
        .hosts(&tenant.id, true)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.user_name, h.visible))
        .collect();
    assert_eq!(
        all,
        [
            ("alice".into(), true),
            ("Bob".into(), false),
            ("carol".into(), true),
            ("Émile".into(), true)
        ]
    );
    let members: Vec<Value> = made.iter().map(|u| member(u.id())).collect();
    let g1 = prepared(&groups, json!({"displayName": "lobby", "members": members}));
    let g2 = prepared(&groups, json!({"displayName": "Front desk"}));
    let g1 = db.scim.create(&t, &groups, g1).await.unwrap();
    let g2 = db.scim.create(&t, &groups, g2).await.unwrap();
    let rows = db.product.host_groups(&tenant.id).await.unwrap();
    let rows: Vec<(String, String, u64, u64)> = rows
        .into_iter()
        .map(|g| (g.id, g.display_name, g.visible_hosts, g.member_count))
        .collect();
    assert_eq!(
        rows,
        [
            (g2.id().to_string(), "Front desk".into(), 0, 0),
            (g1.id().to_string(), "lobby".into(), 3, 4)
        ],
        "Bob is invisible"
    );
}

/// Account Discovery pages through everyone: the SQL-cut pages agree with
/// the evaluator over all users, and so do cursors and sorted pages.
pub(crate) async fn paging_agrees_with_evaluate(db: &Database) {
    let users = users();
    let t = new_tenant(db, "paging").await.1;
    let mut all = Vec::new();
    for i in 0..23 {
        let u = prepared(
            &users,
            json!({"userName": format!("user-{:02}", (i * 7) % 23), "active": i % 3 != 0}),
        );
        db.scim.create(&t, &users, u).await.unwrap();
    }
    for r in db
        .scim
        .query(&t, &users, &ListQuery::new(first_page()))
        .await
        .unwrap()
        .resources
    {
        all.push(r);
    }
    assert_eq!(all.len(), 23);
    let mut queries = Vec::new();
    for start in [1, 5, 6, 20, 23, 24, 100] {
        for count in [0, 1, 5, 100] {
            queries.push(ListQuery::new(Page::Index {
                start_index: start,
                count,
            }));
        }
    }
    let mut sorted = ListQuery::new(Page::Index {
        start_index: 3,
        count: 4,
    });
    sorted.sort = Some(
        scim_core::list::Sort::new(
            &users,
            "userName".parse().unwrap(),
            scim_core::list::SortOrder::Descending,
        )
        .unwrap(),
    );
    queries.push(sorted);
    queries.push(list(
        Some("active eq false"),
        Projection::all(),
        Page::Index {
            start_index: 2,
            count: 3,
        },
    ));
    for q in &queries {
        let got = db.scim.query(&t, &users, q).await.unwrap();
        let want = evaluate(&users, &all, q).unwrap();
        assert_eq!(got, want, "{q:?}");
    }
    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let q = ListQuery::new(Page::cursor(cursor, Some(5), 100, 100));
        let got = db.scim.query(&t, &users, &q).await.unwrap();
        assert_eq!(got, evaluate(&users, &all, &q).unwrap());
        seen.extend(ids(&got));
        match got.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut expected: Vec<String> = all.iter().map(|r| r.id().to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    sorted_cursor_walks_agree_with_evaluate(db).await;
    index_walks_with_writes_agree_with_evaluate(db).await;
}

/// A `startIndex` walk of a bound query (continued from the last key of
/// the previous page, its total remembered) is exactly the evaluator's
/// page at every step, also when hosts are created and deleted between
/// pages (a write ends the store's memos).
async fn index_walks_with_writes_agree_with_evaluate(db: &Database) {
    use scim_core::list::{Sort, SortOrder};
    let users = users();
    let t = new_tenant(db, "index-walks").await.1;
    let tenant = TenantId::new(t.as_str());
    let mut made = Vec::new();
    for i in 0..14 {
        let body =
            json!({"userName": format!("stepper-{:02}", (i * 3) % 14), "active": i % 2 == 0});
        made.push(
            db.scim
                .create(&t, &users, prepared(&users, body))
                .await
                .unwrap(),
        );
    }
    let everything = || async {
        db.scim
            .query(&t, &users, &ListQuery::new(first_page()))
            .await
            .unwrap()
            .resources
    };
    let mut created = 0;
    for (filter, sort) in [
        (None, None),
        (Some("active eq true"), None),
        (None, Some(SortOrder::Descending)),
    ] {
        for write_between in [false, true] {
            let mut start = 1;
            for step in 0..20 {
                let mut q = list(
                    filter,
                    Projection::all(),
                    Page::index(Some(start), Some(3), 100, 100),
                );
                q.sort = sort.map(|o| Sort::new(&users, "userName".parse().unwrap(), o).unwrap());
                q.bind_cursors(&tenant, &users);
                let got = db.scim.query(&t, &users, &q).await.unwrap();
                let want = evaluate(&users, &everything().await, &q).unwrap();
                assert_eq!(
                    got, want,
                    "{filter:?} sorted {sort:?}, writes {write_between}, page {step} at {start}"
                );
                if got.resources.is_empty() {
                    break;
                }
                start += got.resources.len() as i64;
                if write_between && step % 2 == 0 {
                    created += 1;
                    let body =
                        json!({"userName": format!("stepper-new-{created}"), "active": true});
                    made.push(
                        db.scim
                            .create(&t, &users, prepared(&users, body))
                            .await
                            .unwrap(),
                    );
                    let gone = made.remove(0);
                    db.scim.delete(&t, &users, gone.id(), None).await.unwrap();
                }
            }
        }
    }
}

/// Cursor walks sorted by indexed attributes, some resources without a
/// value, both orders, filtered and not: every page, `nextCursor` text
/// included, is exactly the evaluator's (the store's SQL and the evaluator
/// issue the same keyset positions).
async fn sorted_cursor_walks_agree_with_evaluate(db: &Database) {
    use scim_core::list::{Sort, SortOrder};
    let users = users();
    let t = new_tenant(db, "sorted-walks").await.1;
    for i in 0..17 {
        let mut body =
            json!({"userName": format!("walker-{:02}", (i * 5) % 17), "active": i % 2 == 0});
        if i % 4 != 0 {
            // Ties: four family names for thirteen hosts.
            let family = ["Zola", "ahn", "Ó Briain", "ahn "][i % 4 - 1];
            body["name"] = json!({ "familyName": family });
        }
        if i % 3 == 0 {
            body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
                json!({"employeeNumber": format!("{}", 100 - i)});
        }
        db.scim
            .create(&t, &users, prepared(&users, body))
            .await
            .unwrap();
    }
    let all = db
        .scim
        .query(&t, &users, &ListQuery::new(first_page()))
        .await
        .unwrap()
        .resources;
    let tenant = TenantId::new(t.as_str());
    for by in [
        "name.familyName",
        "userName",
        "meta.created",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ] {
        for order in [SortOrder::Ascending, SortOrder::Descending] {
            for filter in [None, Some("active eq true")] {
                for count in [1, 3] {
                    let mut q = list(
                        filter,
                        Projection::all(),
                        Page::cursor(None, Some(count), 100, 100),
                    );
                    q.sort = Some(Sort::new(&users, by.parse().unwrap(), order).unwrap());
                    q.bind_cursors(&tenant, &users);
                    let whole = {
                        let mut q = q.clone();
                        q.page = Page::index(None, Some(100), 100, 100);
                        evaluate(&users, &all, &q).unwrap()
                    };
                    let mut seen = Vec::new();
                    for step in 0..=all.len() {
                        let got = db.scim.query(&t, &users, &q).await.unwrap();
                        let want = evaluate(&users, &all, &q).unwrap();
                        assert_eq!(
                            got, want,
                            "{by} {order:?} {filter:?} count={count} page {step}"
                        );
                        seen.extend(ids(&got));
                        match got.next_cursor {
                            Some(c) => q.page = Page::cursor(Some(c), Some(count), 100, 100),
                            None => break,
                        }
                    }
                    assert_eq!(seen, ids(&whole), "{by} {order:?} {filter:?} count={count}");
                    // `startIndex` pages at every offset, across the
                    // boundary of the resources with and without a value:
                    // unbound (an `OFFSET` each) and bound, walked in
                    // order (each continued from the last key).
                    for bind in [false, true] {
                        let mut start = 1;
                        while start <= all.len() as u64 + 1 {
                            let mut q = q.clone();
                            q.page = Page::index(Some(start as i64), Some(count), 100, 100);
                            if !bind {
                                q.cursor_scope = scim_core::list::CursorScope::default();
                            }
                            let got = db.scim.query(&t, &users, &q).await.unwrap();
                            let want = evaluate(&users, &all, &q).unwrap();
                            assert_eq!(
                                got, want,
                                "{by} {order:?} {filter:?} startIndex={start} count={count}"
                            );
                            start += if bind { count as u64 } else { 1 };
                        }
                    }
                }
            }
        }
    }
}

/// A resource built without the library's input checks (which refuse NUL
/// characters): what a store must still cope with.
fn unchecked(schema: &ResourceSchema, body: Value) -> Resource {
    let Value::Object(body) = body else {
        unreachable!("test data is an object")
    };
    Resource::new(
        ResourceId::generate(),
        body,
        &Meta::new(schema.name(), now(), Version::from_revision(1)),
    )
}

/// NUL characters in values round-trip and still match, even though the
/// library refuses them before they reach a store.
pub(crate) async fn nul_round_trip(db: &Database) {
    let (users, groups) = (users(), groups());
    let (tenant, t) = new_tenant(db, "nul").await;
    let u = unchecked(
        &users,
        json!({"userName": "nul\u{0}user", "name": {"givenName": "a\u{0}b\u{FFFF}"}}),
    );
    let u = db.scim.create(&t, &users, u).await.unwrap();
    let twin = unchecked(&users, json!({"userName": "NUL\u{0}USER"}));
    assert!(matches!(
        db.scim.create(&t, &users, twin).await,
        Err(StoreError::Conflict(_))
    ));
    let g = unchecked(
        &groups,
        json!({"displayName": "G\u{0}", "members": [{"value": u.id().as_str(), "display": "d\u{0}"}]}),
    );
    let g = db.scim.create(&t, &groups, g).await.unwrap();
    let q = list(
        Some("userName eq \"NUL\\u0000User\""),
        Projection::all(),
        first_page(),
    );
    let found = db.scim.query(&t, &users, &q).await.unwrap();
    assert_eq!(ids(&found), vec![u.id().to_string()]);
    assert_eq!(
        found.resources[0].get("groups"),
        Some(&json!([{"value": g.id().as_str(), "display": "G\u{0}", "type": "direct"}]))
    );
    let got = db
        .scim
        .get(&t, &groups, g.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, g);
    let q = list(
        Some("displayName eq \"g\\u0000\""),
        Projection::all(),
        first_page(),
    );
    assert_eq!(
        db.scim.query(&t, &groups, &q).await.unwrap().resources,
        vec![g]
    );
    let hosts = db.product.hosts(&tenant.id, true).await.unwrap();
    assert_eq!(
        (hosts[0].user_name.as_str(), hosts[0].given_name.as_deref()),
        ("nul\u{0}user", Some("a\u{0}b\u{FFFF}"))
    );
    assert_eq!(
        db.product.host_groups(&tenant.id).await.unwrap()[0].display_name,
        "G\u{0}"
    );
}

/// Two database handles (as two server processes) race to create the same
/// userName in different cases: exactly one wins, the others get a
/// conflict naming the attribute.
pub(crate) async fn racing_creates(a: &Database, b: &Database) {
    let users = users();
    let t = new_tenant(a, "race").await.1;
    for round in 0..5 {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let db = if i % 2 == 0 { a.clone() } else { b.clone() };
            let (t, users) = (t.clone(), users.clone());
            let name = if i % 3 == 0 {
                format!("Racer-{round}")
            } else {
                format!("racer-{round}")
            };
            tasks.push(tokio::spawn(async move {
                db.scim
                    .create(&t, &users, prepared(&users, json!({"userName": name})))
                    .await
            }));
        }
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => wins += 1,
                Err(StoreError::Conflict(c)) => assert!(
                    c.attribute() == Some("userName") && c.to_string().starts_with("userName "),
                    "{c:?}"
                ),
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
    let all = a
        .scim
        .query(&t, &users, &ListQuery::new(first_page()))
        .await
        .unwrap();
    assert_eq!(all.total_results, 5);
}

/// Writes a host and a group with it as member; returns what to find after
/// reopening.
pub(crate) async fn write_for_restart(db: &Database) -> (TenantId, Resource, Resource) {
    let (users, groups) = (users(), groups());
    let t = new_tenant(db, "restart").await.1;
    let u = db
        .scim
        .create(&t, &users, prepared(&users, entra_host()))
        .await
        .unwrap();
    let g = db
        .scim
        .create(
            &t,
            &groups,
            prepared(&groups, json!({"displayName": "Kept"})),
        )
        .await
        .unwrap();
    db.scim
        .modify_members(
            &t,
            &groups,
            g.id(),
            &add(&[u.id()]),
            None,
            at("2024-06-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let u = db
        .scim
        .get(&t, &users, u.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    let g = db
        .scim
        .get(&t, &groups, g.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    (t, u, g)
}

/// Checks what [`write_for_restart`] wrote.
pub(crate) async fn read_after_restart(db: &Database, t: &TenantId, u: &Resource, g: &Resource) {
    let (users, groups) = (users(), groups());
    assert_eq!(
        db.scim
            .get(t, &users, u.id(), &Projection::all())
            .await
            .unwrap()
            .as_ref(),
        Some(u)
    );
    assert_eq!(
        db.scim
            .get(t, &groups, g.id(), &Projection::all())
            .await
            .unwrap()
            .as_ref(),
        Some(g)
    );
    assert_eq!(member_values(g), vec![u.id().to_string()]);
}
