//! Resources (RFC 7644 §3.3, §3.4.1, §3.5.1, §3.6): POST, GET, PUT and
//! DELETE, conditional requests (§3.14) and uniqueness.

use http::Method;
use scim_core::protocol::ServiceConfig;
use scim_tests::{
    BASE, GROUP_SCHEMA as GROUP, Harness, USER_SCHEMA as USER, is_rfc3339_utc, patch_op,
};
use serde_json::{Value, json};

use super::{BADGE, babs, babs_returned, badge_registry, etag_of, id_of, location, user_body};

// ---------------------------------------------------------------------------
// POST, GET, conditional GET (RFC 7644 §3.3, §3.4.1, §3.14)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn post_answers_201_with_location_etag_and_server_maintained_meta() {
    let scim = Harness::new();
    let r = scim
        .post(
            "/Users",
            json!({
                "schemas": [USER],
                "userName": "bjensen",
                "id": "chosen-by-the-client",
                "meta": {
                    "resourceType": "Group",
                    "created": "2000-01-01T00:00:00Z",
                    "lastModified": "2000-01-01T00:00:00Z",
                    "location": "https://evil.example/Users/x",
                    "version": "W/\"999\""
                }
            }),
        )
        .await
        .expect(201);
    let id = id_of(&r);
    assert_ne!(
        id, "chosen-by-the-client",
        "ids are assigned by the service"
    );
    let etag = etag_of(&r);
    assert_ne!(etag, "W/\"999\"");
    assert!(etag.starts_with("W/\""), "a weak entity tag: {etag}");
    assert_eq!(r.header("location"), Some(location("Users", &id).as_str()));
    let created = r.body["meta"]["created"].as_str().unwrap().to_owned();
    assert!(is_rfc3339_utc(&created), "{created}");
    assert_ne!(created, "2000-01-01T00:00:00Z");
    assert_eq!(
        r.body,
        json!({
            "schemas": [USER],
            "id": id,
            "userName": "bjensen",
            "meta": {
                "resourceType": "User",
                "created": created,
                "lastModified": created,
                "location": location("Users", &id),
                "version": etag
            }
        })
    );
}

#[tokio::test]
async fn get_by_id_answers_200_with_the_created_resource_and_its_etag() {
    let scim = Harness::new();
    let created = scim.post("/Users", babs()).await.expect(201);
    let id = id_of(&created);
    let r = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(r.body, created.body);
    assert_eq!(r.body, babs_returned(&id, &created.body["meta"]));
    assert_eq!(r.header("etag"), created.body["meta"]["version"].as_str());
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
}

#[tokio::test]
async fn if_none_match_with_the_current_etag_answers_304_without_a_body() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let path = format!("/Users/{id}");
    let etag = etag_of(&scim.get(&path).await.expect(200));

    let r = scim
        .send_with(Method::GET, &path, None, &[("if-none-match", &etag)])
        .await
        .expect(304);
    assert_eq!(r.body, Value::Null);
    assert_eq!(r.header("etag"), Some(etag.as_str()));

    let r = scim
        .send_with(
            Method::GET,
            &path,
            None,
            &[("if-none-match", "W/\"not-the-version\"")],
        )
        .await
        .expect(200);
    assert_eq!(r.body["id"], id.as_str());

    // After a change the old tag no longer matches.
    scim.patch(
        &path,
        patch_op(json!([{"op": "add", "path": "title", "value": "x"}])),
    )
    .await
    .expect(200);
    scim.send_with(Method::GET, &path, None, &[("if-none-match", &etag)])
        .await
        .expect(200);
}

#[tokio::test]
async fn get_of_an_unknown_id_is_a_404_scim_error() {
    let scim = Harness::new();
    scim.get("/Users/2819c223-7f76-453a-919d-413861904646")
        .await
        .expect_error(404, None);
    scim.get("/Groups/2819c223-7f76-453a-919d-413861904646")
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn a_user_id_is_not_found_under_groups() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    scim.get(&format!("/Groups/{id}"))
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn external_id_is_never_accepted_as_an_id() {
    let scim = Harness::new();
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER], "userName": "bjensen", "externalId": "ext-123"}),
        )
        .await
        .expect(201);
    scim.get("/Users/ext-123").await.expect_error(404, None);
    scim.patch(
        "/Users/ext-123",
        patch_op(json!([{"op": "add", "path": "title", "value": "x"}])),
    )
    .await
    .expect_error(404, None);
    scim.delete("/Users/ext-123").await.expect_error(404, None);
    // It is a filterable attribute like any other.
    let list = scim
        .get("/Users?filter=externalId+eq+%22ext-123%22")
        .await
        .expect(200);
    assert_eq!(list.body["totalResults"], 1);
    assert_eq!(list.body["Resources"][0]["id"], r.body["id"]);
}

// ---------------------------------------------------------------------------
// PUT (RFC 7644 §3.5.1)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn put_replaces_the_resource_and_ignores_a_read_only_id_and_meta_in_the_body() {
    let scim = Harness::new();
    let created = scim.post("/Users", babs()).await.expect(201);
    let id = id_of(&created);
    let old_etag = etag_of(&created);
    let path = format!("/Users/{id}");
    let r = scim
        .put(
            &path,
            json!({
                "schemas": [USER],
                "id": "someone-else",
                "userName": "bjensen",
                "displayName": "Babs Jensen",
                "meta": {"created": "1999-01-01T00:00:00Z", "version": "W/\"42\""}
            }),
        )
        .await
        .expect(200);
    let etag = etag_of(&r);
    assert_ne!(etag, old_etag, "a replace gives a new version");
    let last_modified = r.body["meta"]["lastModified"].as_str().unwrap();
    assert!(is_rfc3339_utc(last_modified));
    assert_eq!(
        r.body,
        json!({
            "schemas": [USER],
            "id": id,
            "userName": "bjensen",
            "displayName": "Babs Jensen",
            "meta": {
                "resourceType": "User",
                "created": created.body["meta"]["created"],
                "lastModified": last_modified,
                "location": location("Users", &id),
                "version": etag
            }
        }),
        "attributes left out of a PUT are removed; id and meta stay the service's"
    );
    assert_eq!(r.header("location"), None, "Location is for 201 only");
    assert_eq!(scim.get(&path).await.expect(200).body, r.body);
    scim.get("/Users/someone-else")
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn put_without_a_required_attribute_is_400_invalid_value() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    scim.put(
        &format!("/Users/{id}"),
        json!({"schemas": [USER], "displayName": "Babs"}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let gid = scim.create_group("Tour Guides", &[]).await;
    scim.put(&format!("/Groups/{gid}"), json!({"schemas": [GROUP]}))
        .await
        .expect_error(400, Some("invalidValue"));
    // Unchanged.
    let r = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(r.body["userName"], "bjensen");
}

#[tokio::test]
async fn post_without_a_required_attribute_is_400_invalid_value() {
    let scim = Harness::new();
    scim.post("/Users", json!({"schemas": [USER], "displayName": "Babs"}))
        .await
        .expect_error(400, Some("invalidValue"));
    scim.post("/Groups", json!({"schemas": [GROUP]}))
        .await
        .expect_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn put_to_an_unknown_id_is_404() {
    let scim = Harness::new();
    scim.put("/Users/no-such-user", user_body("bjensen"))
        .await
        .expect_error(404, None);
    let list = scim.get("/Users").await.expect(200);
    assert_eq!(list.body["totalResults"], 0, "PUT never creates");
}

#[tokio::test]
async fn put_may_not_change_an_immutable_attribute_but_may_repeat_or_omit_it() {
    let scim = Harness::with_parts(badge_registry(), ServiceConfig::new(BASE));
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER, BADGE], "userName": "bjensen", BADGE: {"badgeNumber": "B-1"}}),
        )
        .await
        .expect(201);
    let path = format!("/Users/{}", id_of(&r));

    scim.put(
        &path,
        json!({"schemas": [USER, BADGE], "userName": "bjensen", BADGE: {"badgeNumber": "B-2"}}),
    )
    .await
    .expect_error(400, Some("mutability"));
    scim.patch(
        &path,
        patch_op(
            json!([{"op": "replace", "path": format!("{BADGE}:badgeNumber"), "value": "B-2"}]),
        ),
    )
    .await
    .expect_error(400, Some("mutability"));

    let r = scim
        .put(
            &path,
            json!({"schemas": [USER, BADGE], "userName": "bjensen", "title": "Guide", BADGE: {"badgeNumber": "B-1"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body[BADGE], json!({"badgeNumber": "B-1"}));
    assert_eq!(r.body["title"], "Guide");

    // RFC 7644 §3.5.1: immutable values that the body leaves out are kept.
    let r = scim
        .put(&path, json!({"schemas": [USER], "userName": "bjensen"}))
        .await
        .expect(200);
    assert_eq!(r.body[BADGE], json!({"badgeNumber": "B-1"}));
    assert_eq!(r.body["schemas"], json!([USER, BADGE]));
}

#[tokio::test]
async fn put_may_set_an_immutable_attribute_that_has_no_value_yet() {
    let scim = Harness::with_parts(badge_registry(), ServiceConfig::new(BASE));
    let id = scim.create_user("bjensen").await;
    let r = scim
        .put(
            &format!("/Users/{id}"),
            json!({"schemas": [USER, BADGE], "userName": "bjensen", BADGE: {"badgeNumber": "B-7"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body[BADGE], json!({"badgeNumber": "B-7"}));
}

// ---------------------------------------------------------------------------
// DELETE (RFC 7644 §3.6)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn delete_answers_204_then_the_resource_is_404() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let path = format!("/Users/{id}");
    let r = scim.delete(&path).await.expect(204);
    assert_eq!(r.body, Value::Null);
    scim.get(&path).await.expect_error(404, None);
    scim.delete(&path).await.expect_error(404, None);
    scim.put(&path, user_body("bjensen"))
        .await
        .expect_error(404, None);
    assert_eq!(scim.get("/Users").await.expect(200).body["totalResults"], 0);
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_its_groups() {
    let scim = Harness::new();
    let a = scim.create_user("alice").await;
    let b = scim.create_user("bob").await;
    let gid = scim.create_group("Tour Guides", &[&a, &b]).await;
    scim.delete(&format!("/Users/{a}")).await.expect(204);
    let g = scim.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(g.body["members"], json!([{"value": b}]));
    let r = scim
        .get(&format!("/Groups?filter=members+eq+%22{a}%22"))
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
}

// ---------------------------------------------------------------------------
// If-Match (RFC 7644 §3.14)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn if_match_with_a_stale_version_is_412_on_put_patch_and_delete() {
    let scim = Harness::new();
    let created = scim.post("/Users", user_body("bjensen")).await.expect(201);
    let path = format!("/Users/{}", id_of(&created));
    let stale = [("if-match", "W/\"stale\"")];
    scim.send_with(Method::PUT, &path, Some(user_body("bjensen")), &stale)
        .await
        .expect_error(412, None);
    scim.send_with(
        Method::PATCH,
        &path,
        Some(patch_op(
            json!([{"op": "add", "path": "title", "value": "x"}]),
        )),
        &stale,
    )
    .await
    .expect_error(412, None);
    scim.send_with(Method::DELETE, &path, None, &stale)
        .await
        .expect_error(412, None);
    // Nothing changed.
    let r = scim.get(&path).await.expect(200);
    assert_eq!(r.body, created.body);

    let gid = scim.create_group("Tour Guides", &[]).await;
    let user = id_of(&created);
    scim.send_with(
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(patch_op(
            json!([{"op": "add", "path": "members", "value": [{"value": user}]}]),
        )),
        &stale,
    )
    .await
    .expect_error(412, None);
    let g = scim.get(&format!("/Groups/{gid}")).await.expect(200);
    assert!(g.body.get("members").is_none());
}

#[tokio::test]
async fn if_match_with_the_current_version_or_a_star_succeeds() {
    let scim = Harness::new();
    let created = scim.post("/Users", user_body("bjensen")).await.expect(201);
    let path = format!("/Users/{}", id_of(&created));
    let etag = etag_of(&created);
    let r = scim
        .send_with(
            Method::PUT,
            &path,
            Some(user_body("bjensen")),
            &[("if-match", &etag)],
        )
        .await
        .expect(200);
    let etag = etag_of(&r);
    let r = scim
        .send_with(
            Method::PATCH,
            &path,
            Some(patch_op(
                json!([{"op": "add", "path": "title", "value": "x"}]),
            )),
            &[("if-match", &etag)],
        )
        .await
        .expect(200);
    // A list of tags matches if one of them does.
    let list = format!("W/\"other\", {}", etag_of(&r));
    let r = scim
        .send_with(
            Method::PATCH,
            &path,
            Some(patch_op(
                json!([{"op": "replace", "path": "title", "value": "y"}]),
            )),
            &[("if-match", &list)],
        )
        .await
        .expect(200);
    scim.send_with(
        Method::PUT,
        &path,
        Some(user_body("bjensen")),
        &[("if-match", "*")],
    )
    .await
    .expect(200);
    let gid = scim.create_group("Tour Guides", &[]).await;
    let g = scim.get(&format!("/Groups/{gid}")).await.expect(200);
    scim.send_with(
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(patch_op(
            json!([{"op": "add", "path": "members", "value": [{"value": r.body["id"]}]}]),
        )),
        &[("if-match", &etag_of(&g))],
    )
    .await
    .expect(204);
    let etag = etag_of(&scim.get(&path).await.expect(200));
    scim.send_with(Method::DELETE, &path, None, &[("if-match", &etag)])
        .await
        .expect(204);
}

// ---------------------------------------------------------------------------
// Uniqueness (RFC 7643 §2.1, RFC 7644 §3.3)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_duplicate_user_name_in_another_case_is_409_uniqueness() {
    let scim = Harness::new();
    let first = scim.create_user("bjensen").await;
    for name in ["bjensen", "BJensen", "BJENSEN"] {
        scim.post("/Users", user_body(name))
            .await
            .expect_error(409, Some("uniqueness"));
    }
    let other = scim.create_user("jsmith").await;
    scim.put(&format!("/Users/{other}"), user_body("BJensen"))
        .await
        .expect_error(409, Some("uniqueness"));
    scim.patch(
        &format!("/Users/{other}"),
        patch_op(json!([{"op": "replace", "path": "userName", "value": "bJensen"}])),
    )
    .await
    .expect_error(409, Some("uniqueness"));
    assert_eq!(
        scim.get(&format!("/Users/{other}")).await.expect(200).body["userName"],
        "jsmith"
    );
    // Renaming a resource to its own name in another case is no conflict.
    scim.put(&format!("/Users/{first}"), user_body("BJensen"))
        .await
        .expect(200);
    // Once deleted, the name is free again.
    scim.delete(&format!("/Users/{first}")).await.expect(204);
    scim.post("/Users", user_body("bjensen")).await.expect(201);
}

#[tokio::test]
async fn group_display_names_need_not_be_unique() {
    let scim = Harness::new();
    scim.create_group("Tour Guides", &[]).await;
    scim.create_group("Tour Guides", &[]).await;
    let r = scim
        .get("/Groups?filter=displayName+eq+%22tour+guides%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 2);
}
