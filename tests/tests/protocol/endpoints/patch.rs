//! PATCH (RFC 7644 §3.5.2) and `ServiceConfig::patch_response`.

use scim_core::protocol::{PatchResponse, ServiceConfig};
use scim_tests::{BASE, GROUP_SCHEMA as GROUP, Harness, USER_SCHEMA as USER, patch_op};
use serde_json::{Value, json};

use super::{etag_of, id_of, location, user_body};

// ---------------------------------------------------------------------------
// PATCH (RFC 7644 §3.5.2) and ServiceConfig::patch_response
// ---------------------------------------------------------------------------

#[tokio::test]
async fn patch_of_a_user_answers_200_with_the_resource_and_a_new_etag() {
    let scim = Harness::new();
    let created = scim.post("/Users", user_body("bjensen")).await.expect(201);
    let id = id_of(&created);
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "add", "path": "title", "value": "Tour Guide"}])),
        )
        .await
        .expect(200);
    let etag = etag_of(&r);
    assert_ne!(etag, etag_of(&created));
    assert_eq!(r.body["meta"]["version"], etag.as_str());
    assert_eq!(r.body["title"], "Tour Guide");
    assert_eq!(r.body["meta"]["created"], created.body["meta"]["created"]);
    assert_eq!(r.body["meta"]["location"], location("Users", &id).as_str());
}

#[tokio::test]
async fn patch_of_a_group_answers_204_without_a_body_but_with_an_etag() {
    let scim = Harness::new();
    let user = scim.create_user("bjensen").await;
    let created = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Tour Guides"}),
        )
        .await
        .expect(201);
    let gid = id_of(&created);
    let path = format!("/Groups/{gid}");
    let r = scim
        .patch(
            &path,
            patch_op(json!([{"op": "add", "path": "members", "value": [{"value": user}]}])),
        )
        .await
        .expect(204);
    assert_eq!(r.body, Value::Null);
    let etag = etag_of(&r);
    assert_ne!(etag, etag_of(&created));
    let g = scim.get(&path).await.expect(200);
    assert_eq!(g.header("etag"), Some(etag.as_str()));
    assert_eq!(g.body["members"], json!([{"value": user}]));

    // A PATCH that renames the group is 204 too.
    scim.patch(
        &path,
        patch_op(json!([{"op": "replace", "path": "displayName", "value": "Guides"}])),
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn patch_of_a_group_with_attributes_answers_200_with_the_projection() {
    // RFC 7644 §3.5.2: "The server MUST return a 200 OK if the "attributes"
    // parameter is specified in the request."
    let scim = Harness::new();
    let user = scim.create_user("bjensen").await;
    let gid = scim.create_group("Tour Guides", &[]).await;
    let r = scim
        .patch(
            &format!("/Groups/{gid}?attributes=displayName"),
            patch_op(json!([{"op": "add", "path": "members", "value": [{"value": user}]}])),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body,
        json!({"schemas": [GROUP], "id": gid, "displayName": "Tour Guides"})
    );
    let r = scim
        .patch(
            &format!("/Groups/{gid}?excludedAttributes=members"),
            patch_op(json!([{"op": "replace", "path": "displayName", "value": "Guides"}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["displayName"], "Guides");
    assert!(r.body.get("members").is_none());
}

#[tokio::test]
async fn patch_response_resource_answers_200_for_groups_too() {
    let mut config = ServiceConfig::new(BASE);
    config.patch_response = PatchResponse::Resource;
    let scim = Harness::with_config(config);
    let user = scim.create_user("bjensen").await;
    let gid = scim.create_group("Tour Guides", &[]).await;
    let r = scim
        .patch(
            &format!("/Groups/{gid}"),
            patch_op(json!([{"op": "add", "path": "members", "value": [{"value": user}]}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["members"], json!([{"value": user}]));
    assert_eq!(r.header("etag"), r.body["meta"]["version"].as_str());
    let r = scim
        .patch(
            &format!("/Users/{user}"),
            patch_op(json!([{"op": "add", "path": "title", "value": "x"}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["title"], "x");
}

#[tokio::test]
async fn patch_response_no_content_answers_204_for_users_too() {
    let mut config = ServiceConfig::new(BASE);
    config.patch_response = PatchResponse::NoContent;
    let scim = Harness::with_config(config);
    let user = scim.create_user("bjensen").await;
    let path = format!("/Users/{user}");
    let r = scim
        .patch(
            &path,
            patch_op(json!([{"op": "add", "path": "title", "value": "x"}])),
        )
        .await
        .expect(204);
    assert_eq!(r.body, Value::Null);
    assert!(r.header("etag").is_some());
    assert_eq!(scim.get(&path).await.expect(200).body["title"], "x");
    // Unless attributes are asked for.
    let r = scim
        .patch(
            &format!("{path}?attributes=title"),
            patch_op(json!([{"op": "replace", "path": "title", "value": "y"}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body, json!({"schemas": [USER], "id": user, "title": "y"}));
}

#[tokio::test]
async fn patch_of_an_unknown_resource_is_404() {
    let scim = Harness::new();
    scim.patch(
        "/Users/nope",
        patch_op(json!([{"op": "add", "path": "title", "value": "x"}])),
    )
    .await
    .expect_error(404, None);
    scim.patch(
        "/Groups/nope",
        patch_op(json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}])),
    )
    .await
    .expect_error(404, None);
}

#[tokio::test]
async fn patch_may_not_replace_id_or_meta() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let path = format!("/Users/{id}");
    for (op_path, value) in [
        ("id", json!("other")),
        ("meta.created", json!("2000-01-01T00:00:00Z")),
    ] {
        scim.patch(
            &path,
            patch_op(json!([{"op": "replace", "path": op_path, "value": value}])),
        )
        .await
        .expect_error(400, Some("mutability"));
    }
    assert_eq!(scim.get(&path).await.expect(200).body["id"], id.as_str());
}

#[tokio::test]
async fn a_member_that_does_not_exist_is_refused() {
    let scim = Harness::new();
    let gid = scim.create_group("Tour Guides", &[]).await;
    let r = scim
        .patch(
            &format!("/Groups/{gid}"),
            patch_op(
                json!([{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]),
            ),
        )
        .await
        .expect_scim_error(400);
    assert_eq!(r.scim_type(), Some("invalidValue"));
    scim.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": "no-such-user"}]}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
}
