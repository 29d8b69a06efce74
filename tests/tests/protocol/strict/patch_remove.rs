//! A PATCH `remove` carrying a `value` at a filtered path removes only
//! what holds that value (Entra ID's "remove the old value"), and is
//! refused under the strict policy (RFC 7644 §3.5.2.2 gives remove no
//! value).

use scim_tests::{USER_SCHEMA as USER, patch_op};
use serde_json::json;

use super::{entra, strict};

fn amelia() -> serde_json::Value {
    json!({"schemas": [USER], "userName": "amelia", "emails": [
        {"type": "work", "value": "amelia@northwind.example", "primary": true},
        {"type": "other", "value": "amelia@home.example"}
    ]})
}

#[tokio::test]
async fn remove_with_someone_elses_value_removes_nothing_and_the_stored_value_removes_it() {
    let scim = entra();
    let created = scim.post("/Users", amelia()).await.expect(201);
    let path = format!("/Users/{}", created.body["id"].as_str().unwrap());
    let r = scim
        .patch(
            &path,
            patch_op(
                json!([{"op": "Remove", "path": "emails[type eq \"work\"].value",
                             "value": "someone-else@northwind.example"}]),
            ),
        )
        .await
        .expect(200);
    assert_eq!(r.body["emails"], created.body["emails"]);
    assert_eq!(r.body["meta"]["version"], created.body["meta"]["version"]);
    let r = scim
        .patch(
            &path,
            patch_op(
                json!([{"op": "Remove", "path": "emails[type eq \"work\"].value",
                             "value": "amelia@northwind.example"}]),
            ),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["emails"],
        json!([{"type": "work", "primary": true}, {"type": "other", "value": "amelia@home.example"}])
    );
}

#[tokio::test]
async fn strict_refuses_a_filtered_remove_with_a_value() {
    let scim = strict();
    let created = scim.post("/Users", amelia()).await.expect(201);
    let path = format!("/Users/{}", created.body["id"].as_str().unwrap());
    let r = scim
        .patch(
            &path,
            patch_op(
                json!([{"op": "remove", "path": "emails[type eq \"work\"].value",
                             "value": "someone-else@northwind.example"}]),
            ),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("emails[type eq \"work\"].value")
    );
    let r = scim.get(&path).await.expect(200);
    assert_eq!(r.body["emails"], created.body["emails"]);
}
