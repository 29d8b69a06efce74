//! Parallel requests on one resource, as Entra ID sends them (entra.md §2.0:
//! at least 25 requests a second per tenant, no `If-Match`): no lost
//! updates, compare-and-swap with `If-Match`, atomic uniqueness
//! (pitfalls.md, "Concurrency and durability").

use http::Method;
use scim_tests::{Harness, Reply, USER_SCHEMA, patch_op};
use serde_json::{Value, json};

/// Runs every future on the multi-threaded runtime at once and returns
/// their replies in order.
async fn all<F>(futures: Vec<F>) -> Vec<Reply>
where
    F: Future<Output = Reply> + Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut replies = Vec::with_capacity(handles.len());
    for handle in handles {
        replies.push(handle.await.unwrap());
    }
    replies
}

fn statuses(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|r| r.status.as_u16()).collect()
}

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_member_adds_without_if_match_lose_no_update() {
    const N: usize = 32;
    let scim = Harness::new();
    let mut users = Vec::new();
    for i in 0..N {
        users.push(scim.create_user(&format!("user{i}")).await);
    }
    let group = scim.create_group("Everyone", &[]).await;
    let path = format!("/Groups/{group}");
    let replies = all(users
        .iter()
        .map(|user| {
            let (scim, path) = (scim.clone(), path.clone());
            let body =
                patch_op(json!([{"op": "Add", "path": "members", "value": [{"value": user}]}]));
            async move { scim.patch(&path, body).await }
        })
        .collect())
    .await;
    assert_eq!(statuses(&replies), vec![204; N]);
    let g = scim.get(&path).await.expect(200);
    users.sort();
    assert_eq!(
        member_ids(&g.body),
        users,
        "every member is present exactly once"
    );
    // Each write made its own version.
    let mut versions: Vec<&str> = replies.iter().map(|r| r.header("etag").unwrap()).collect();
    versions.sort_unstable();
    versions.dedup();
    assert_eq!(versions.len(), N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_member_adds_and_removes_apply_exactly() {
    const N: usize = 16;
    let scim = Harness::new();
    let mut old = Vec::new();
    let mut new = Vec::new();
    for i in 0..N {
        old.push(scim.create_user(&format!("old{i}")).await);
        new.push(scim.create_user(&format!("new{i}")).await);
    }
    let old_refs: Vec<&str> = old.iter().map(String::as_str).collect();
    let group = scim.create_group("Rotating", &old_refs).await;
    let path = format!("/Groups/{group}");
    let mut futures = Vec::new();
    for (o, n) in old.iter().zip(&new) {
        for body in [
            patch_op(json!([{"op": "add", "path": "members", "value": [{"value": n}]}])),
            patch_op(json!([{"op": "remove", "path": format!("members[value eq \"{o}\"]")}])),
        ] {
            let (scim, path) = (scim.clone(), path.clone());
            futures.push(async move { scim.patch(&path, body).await });
        }
    }
    let replies = all(futures).await;
    assert_eq!(statuses(&replies), vec![204; 2 * N]);
    let g = scim.get(&path).await.expect(200);
    new.sort();
    assert_eq!(member_ids(&g.body), new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_email_appends_without_if_match_lose_no_update() {
    const N: usize = 32;
    let scim = Harness::new();
    let user = scim.create_user("bjensen").await;
    let path = format!("/Users/{user}");
    let replies = all((0..N)
        .map(|i| {
            let (scim, path) = (scim.clone(), path.clone());
            let body = patch_op(json!([{
                "op": "add",
                "path": "emails",
                "value": [{"value": format!("bjensen{i}@example.com"), "type": "other"}]
            }]));
            async move { scim.patch(&path, body).await }
        })
        .collect())
    .await;
    assert_eq!(
        statuses(&replies),
        vec![200; N],
        "no request without If-Match may fail because another won a race"
    );
    let u = scim.get(&path).await.expect(200);
    let mut emails: Vec<&str> = u.body["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    emails.sort_unstable();
    let mut expected: Vec<String> = (0..N).map(|i| format!("bjensen{i}@example.com")).collect();
    expected.sort();
    assert_eq!(emails, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_if_match_exactly_one_of_two_writers_of_one_version_wins() {
    let scim = Harness::new();
    let user = scim.create_user("bjensen").await;
    let other = scim.create_user("jsmith").await;
    let group = scim.create_group("Tour Guides", &[]).await;
    for round in 0..20 {
        // A user PATCH, a group PATCH (membership path) and a PUT, each
        // raced by two clients that read the same version.
        for (path, bodies, ok) in [
            (
                format!("/Users/{user}"),
                [
                    patch_op(
                        json!([{"op": "replace", "path": "title", "value": format!("a{round}")}]),
                    ),
                    patch_op(
                        json!([{"op": "replace", "path": "title", "value": format!("b{round}")}]),
                    ),
                ],
                200,
            ),
            (
                format!("/Groups/{group}"),
                [
                    patch_op(json!([{"op": "add", "path": "members", "value": [{"value": user}]}])),
                    patch_op(
                        json!([{"op": "add", "path": "members", "value": [{"value": other}]}]),
                    ),
                ],
                204,
            ),
        ] {
            let etag = scim
                .get(&path)
                .await
                .expect(200)
                .header("etag")
                .unwrap()
                .to_owned();
            let replies = all(bodies
                .into_iter()
                .map(|body| {
                    let (scim, path, etag) = (scim.clone(), path.clone(), etag.clone());
                    async move {
                        scim.send_with(Method::PATCH, &path, Some(body), &[("if-match", &etag)])
                            .await
                    }
                })
                .collect())
            .await;
            let mut codes = statuses(&replies);
            codes.sort_unstable();
            assert_eq!(codes, [ok, 412], "round {round} {path}");
            let loser = replies.iter().find(|r| r.status == 412).unwrap();
            assert_eq!(loser.body["status"], "412");
        }
        // Reset the group for the next round.
        scim.patch(
            &format!("/Groups/{group}"),
            patch_op(json!([{"op": "remove", "path": "members"}])),
        )
        .await
        .expect(204);

        let path = format!("/Users/{user}");
        let etag = scim
            .get(&path)
            .await
            .expect(200)
            .header("etag")
            .unwrap()
            .to_owned();
        let replies = all((0..2)
            .map(|i| {
                let (scim, path, etag) = (scim.clone(), path.clone(), etag.clone());
                let body = json!({"schemas": [USER_SCHEMA], "userName": "bjensen", "nickName": format!("n{i}")});
                async move { scim.send_with(Method::PUT, &path, Some(body), &[("if-match", &etag)]).await }
            })
            .collect())
        .await;
        let mut codes = statuses(&replies);
        codes.sort_unstable();
        assert_eq!(codes, [200, 412], "round {round} PUT");
        // The winner's write is what is stored.
        let winner = replies.iter().find(|r| r.status == 200).unwrap();
        let stored = scim.get(&path).await.expect(200);
        assert_eq!(stored.body["nickName"], winner.body["nickName"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_if_match_many_writers_of_one_version_have_one_winner() {
    const N: usize = 12;
    let scim = Harness::new();
    let user = scim.create_user("bjensen").await;
    let path = format!("/Users/{user}");
    let etag = scim
        .get(&path)
        .await
        .expect(200)
        .header("etag")
        .unwrap()
        .to_owned();
    let mut futures: Vec<std::pin::Pin<Box<dyn Future<Output = Reply> + Send>>> = Vec::new();
    for i in 0..N {
        let (scim, path, etag) = (scim.clone(), path.clone(), etag.clone());
        futures.push(Box::pin(async move {
            let body =
                patch_op(json!([{"op": "replace", "path": "title", "value": format!("t{i}")}]));
            scim.send_with(Method::PATCH, &path, Some(body), &[("if-match", &etag)])
                .await
        }));
    }
    {
        let (scim, path, etag) = (scim.clone(), path.clone(), etag.clone());
        futures.push(Box::pin(async move {
            scim.send_with(Method::DELETE, &path, None, &[("if-match", &etag)])
                .await
        }));
    }
    let replies = all(futures).await;
    let winners: Vec<usize> = (0..replies.len())
        .filter(|&i| replies[i].status.is_success())
        .collect();
    assert_eq!(winners.len(), 1, "{:?}", statuses(&replies));
    // The losers saw a changed version (412); if the DELETE (the last
    // request) won, a loser may also find the resource gone (404: RFC 9110
    // §13.1.1 lets the 404 take precedence over the precondition).
    let delete_won = winners[0] == N;
    for (i, r) in replies.iter().enumerate() {
        if i != winners[0] {
            let ok = r.status == 412 || (delete_won && r.status == 404);
            assert!(ok, "{i}: {:?}", statuses(&replies));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_user_name_yield_one_201_and_409s() {
    const N: usize = 16;
    let scim = Harness::new();
    let replies = all((0..N)
        .map(|i| {
            let scim = scim.clone();
            // The same name in varying case.
            let name = if i % 2 == 0 { "bjensen" } else { "BJensen" };
            async move {
                scim.post(
                    "/Users",
                    json!({"schemas": [USER_SCHEMA], "userName": name}),
                )
                .await
            }
        })
        .collect())
    .await;
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 1, "{:?}", statuses(&replies));
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.body["scimType"], "uniqueness");
        assert_eq!(r.body["status"], "409");
    }
    let list = scim.get("/Users").await.expect(200);
    assert_eq!(list.body["totalResults"], 1);
    assert_eq!(list.body["Resources"][0]["id"], created[0].body["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_distinct_users_all_succeed() {
    const N: usize = 48;
    let scim = Harness::new();
    let replies = all((0..N)
        .map(|i| {
            let scim = scim.clone();
            async move {
                scim.post(
                    "/Users",
                    json!({"schemas": [USER_SCHEMA], "userName": format!("user{i}")}),
                )
                .await
            }
        })
        .collect())
    .await;
    assert_eq!(statuses(&replies), vec![201; N]);
    let mut ids: Vec<&str> = replies
        .iter()
        .map(|r| r.body["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), N, "ids are unique");
    assert_eq!(
        scim.get("/Users?count=1000").await.expect(200).body["totalResults"],
        N
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_deleted_while_being_added_never_dangles() {
    const N: usize = 16;
    let scim = Harness::new();
    let mut users = Vec::new();
    for i in 0..N {
        users.push(scim.create_user(&format!("user{i}")).await);
    }
    let group = scim.create_group("Transient", &[]).await;
    let path = format!("/Groups/{group}");
    let mut futures: Vec<std::pin::Pin<Box<dyn Future<Output = Reply> + Send>>> = Vec::new();
    for user in &users {
        let (scim2, path) = (scim.clone(), path.clone());
        let body = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": user}]}]));
        futures.push(Box::pin(async move { scim2.patch(&path, body).await }));
        let (scim2, user) = (scim.clone(), user.clone());
        futures.push(Box::pin(async move {
            scim2.delete(&format!("/Users/{user}")).await
        }));
    }
    let replies = all(futures).await;
    for pair in replies.chunks(2) {
        // The add either came first (and the delete then removed the
        // membership) or found the user gone.
        assert!(
            matches!(pair[0].status.as_u16(), 204 | 400),
            "{}",
            pair[0].body
        );
        assert_eq!(pair[1].status, 204);
    }
    let g = scim.get(&path).await.expect(200);
    assert_eq!(
        member_ids(&g.body),
        Vec::<String>::new(),
        "no member refers to a deleted user"
    );
}
