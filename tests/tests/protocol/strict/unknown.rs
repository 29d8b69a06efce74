//! Unknown attributes and unknown extension URNs are treated alike by
//! POST, PUT and PATCH: refused under the strict policy, kept verbatim
//! (and reported as fired) under the Entra policy (entra.md R8, Q16).

use scim_core::tolerance::Tolerance;
use scim_tests::{USER_SCHEMA as USER, patch_op};
use serde_json::json;

use super::{entra, strict};

const CONTOSO: &str = "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User";

#[tokio::test]
async fn entra_keeps_unknown_attributes_verbatim_through_post_put_and_patch() {
    let scim = entra();
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER], "userName": "amelia", "extensionAttribute7": "Front Desk",
                   "name": {"givenName": "Amelia", "pronunciation": "ah-MEEL-ya"},
                   CONTOSO: {"costCenter": "4711"}}),
        )
        .await
        .expect(201);
    let path = format!("/Users/{}", r.body["id"].as_str().unwrap());
    let got = scim.get(&path).await.expect(200).body;
    assert_eq!(got["extensionAttribute7"], "Front Desk");
    assert_eq!(got["name"]["pronunciation"], "ah-MEEL-ya");
    assert_eq!(got[CONTOSO], json!({"costCenter": "4711"}));
    assert_eq!(got["schemas"], json!([USER, CONTOSO]));

    // PATCH changes them like any attribute: what Entra re-sends is
    // stored, so the next GET matches and the value is not re-sent.
    let r = scim
        .patch(
            &path,
            patch_op(json!([
                {"op": "Replace", "path": "extensionAttribute7", "value": "Lobby"},
                {"op": "Replace", "path": format!("{CONTOSO}:costCenter"), "value": "4712"},
                {"op": "Replace", "path": "active", "value": "False"}
            ])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["extensionAttribute7"], "Lobby");
    assert_eq!(r.body[CONTOSO], json!({"costCenter": "4712"}));
    assert_eq!(r.body["active"], false);
    let got = scim.get(&path).await.expect(200).body;
    assert_eq!(got["extensionAttribute7"], "Lobby");

    // PUT replaces them.
    let r = scim
        .put(
            &path,
            json!({"schemas": [USER, CONTOSO], "userName": "amelia", "extensionAttribute7": "Hall",
                   CONTOSO: {"costCenter": "1"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["extensionAttribute7"], "Hall");
    assert_eq!(r.body[CONTOSO], json!({"costCenter": "1"}));
    assert!(r.body["name"].get("pronunciation").is_none());

    // PATCH removes them.
    let r = scim
        .patch(
            &path,
            patch_op(json!([
                {"op": "Remove", "path": "extensionAttribute7"},
                {"op": "Remove", "path": format!("{CONTOSO}:costCenter")}
            ])),
        )
        .await
        .expect(200);
    assert!(r.body.get("extensionAttribute7").is_none(), "{}", r.body);
    assert!(r.body.get(CONTOSO).is_none(), "{}", r.body);
    assert_eq!(r.body["schemas"], json!([USER]));
    assert!(
        scim.service
            .tolerance_counters()
            .count(Tolerance::KeepUnknownAttributes)
            >= 3
    );
}

#[tokio::test]
async fn strict_refuses_unknown_attributes_on_post_put_and_patch_naming_them() {
    let scim = strict();
    let id = scim.create_user("amelia").await;
    let path = format!("/Users/{id}");
    for (body, names) in [
        (
            json!({"schemas": [USER], "userName": "a", "extensionAttribute7": "x"}),
            "extensionAttribute7",
        ),
        (
            json!({"schemas": [USER], "userName": "a", "name": {"pronunciation": "x"}}),
            "name.pronunciation",
        ),
        (
            json!({"schemas": [USER, CONTOSO], "userName": "a", CONTOSO: {"costCenter": "1"}}),
            CONTOSO,
        ),
    ] {
        for r in [
            scim.post("/Users", body.clone()).await,
            scim.put(&path, body.clone()).await,
        ] {
            let r = r.expect_error(400, Some("invalidValue"));
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains(names), "{body}: {detail}");
        }
    }
    for (op, names) in [
        (
            json!({"op": "replace", "path": "extensionAttribute7", "value": "x"}),
            "extensionAttribute7",
        ),
        (
            json!({"op": "add", "path": "name.pronunciation", "value": "x"}),
            "name.pronunciation",
        ),
        (
            json!({"op": "add", "path": format!("{CONTOSO}:costCenter"), "value": "1"}),
            "costCenter",
        ),
        (
            json!({"op": "replace", "value": {"extensionAttribute7": "x"}}),
            "extensionAttribute7",
        ),
    ] {
        let r = scim
            .patch(&path, patch_op(json!([op.clone()])))
            .await
            .expect_error(400, Some("invalidPath"));
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains(names), "{op}: {detail}");
    }
}

#[tokio::test]
async fn a_urn_qualified_custom_attribute_posted_and_patched_is_one_value() {
    let scim = entra();
    let key = format!("{CONTOSO}:costCenter");
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER], "userName": "amelia", key.as_str(): "4711"}),
        )
        .await
        .expect(201);
    assert_eq!(r.body[CONTOSO], json!({"costCenter": "4711"}));
    assert!(r.body.get(&key).is_none());
    let path = format!("/Users/{}", r.body["id"].as_str().unwrap());
    let r = scim
        .patch(
            &path,
            patch_op(json!([{"op": "Replace", "path": key, "value": "4712"}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body[CONTOSO], json!({"costCenter": "4712"}));
    // A path key naming a defined attribute is refused: it belongs inside
    // its extension object.
    for (policy, scim) in super::both() {
        let r = scim
            .post(
                "/Users",
                json!({"schemas": [USER], "userName": "b",
                       "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Lobby"}),
            )
            .await
            .expect_error(400, Some("invalidValue"));
        assert!(
            r.body["detail"].as_str().unwrap().contains("department"),
            "{policy}"
        );
    }
}
