//! Shape tolerances apply only where entra.md documents them: a bare or
//! one-element-array `manager`. Everything else is `400 invalidValue`
//! naming the attribute, under both policies.

use scim_core::tolerance::Tolerance;
use scim_tests::{ENTERPRISE_SCHEMA as ENTERPRISE, USER_SCHEMA as USER, patch_op};
use serde_json::json;

use super::{both, entra, strict};

#[tokio::test]
async fn arrays_for_single_values_and_scalars_for_multi_values_are_invalid_value() {
    for (policy, scim) in both() {
        for (body, named) in [
            (json!({"schemas": [USER], "userName": ["x"]}), "userName"),
            (
                json!({"schemas": [USER], "userName": "a", "active": [true]}),
                "active",
            ),
            (
                json!({"schemas": [USER], "userName": "b", "emails": "a@example.org"}),
                "emails",
            ),
            (
                json!({"schemas": [USER], "userName": "c", "emails": {"value": "a@example.org"}}),
                "emails",
            ),
        ] {
            let r = scim
                .post("/Users", body.clone())
                .await
                .expect_error(400, Some("invalidValue"));
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains(named), "{policy} {body}: {detail}");
        }
        let id = scim.create_user("dana").await;
        for (op, named) in [
            (
                json!({"op": "replace", "path": "userName", "value": ["x"]}),
                "userName",
            ),
            (
                json!({"op": "replace", "path": "active", "value": [false]}),
                "active",
            ),
            (
                json!({"op": "add", "path": "emails", "value": "a@example.org"}),
                "emails",
            ),
        ] {
            let r = scim
                .patch(&format!("/Users/{id}"), patch_op(json!([op])))
                .await
                .expect_error(400, Some("invalidValue"));
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains(named), "{policy} {op}: {detail}");
        }
    }
}

#[tokio::test]
async fn a_bare_or_one_element_array_manager_is_accepted_only_under_the_entra_policy() {
    let scim = entra();
    let boss = scim.create_user("boss").await;
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER, ENTERPRISE], "userName": "amelia", ENTERPRISE: {"manager": boss}}),
        )
        .await
        .expect(201);
    assert_eq!(r.body[ENTERPRISE]["manager"]["value"], boss.as_str());
    let path = format!("/Users/{}", r.body["id"].as_str().unwrap());
    let r = scim
        .patch(
            &path,
            patch_op(
                json!([{"op": "Add", "path": "manager", "value": [{"$ref": null, "value": "m2"}]}]),
            ),
        )
        .await
        .expect(200);
    assert_eq!(r.body[ENTERPRISE]["manager"], json!({"value": "m2"}));
    let r = scim
        .patch(
            &path,
            patch_op(
                json!([{"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": ""}]),
            ),
        )
        .await
        .expect(200);
    assert!(r.body.get(ENTERPRISE).is_none(), "{}", r.body);
    let counters = scim.service.tolerance_counters();
    assert!(counters.count(Tolerance::ScalarForComplex) >= 1);
    assert!(counters.count(Tolerance::SingleValueArray) >= 1);
    assert!(counters.count(Tolerance::UnqualifiedExtensionPath) >= 1);

    let scim = strict();
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER, ENTERPRISE], "userName": "amelia", ENTERPRISE: {"manager": "m1"}}),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(r.body["detail"].as_str().unwrap().contains("manager"));
}
