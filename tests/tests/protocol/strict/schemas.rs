//! `schemas` on create and replace (RFC 7643 §3): present, non-empty, with
//! the resource type's core schema and no other type's; extension objects
//! registered (strict) or kept and listed (Entra ID, entra.md Q10).

use scim_core::protocol::ServiceConfig;
use scim_core::schema::{AttrType, Attribute, RegistryBuilder, ResourceType, Schema, SchemaUrn};
use scim_core::tolerance::Tolerance;
use scim_tests::{
    BASE, ENTERPRISE_SCHEMA as ENTERPRISE, GROUP_SCHEMA as GROUP, Harness, USER_SCHEMA as USER,
};
use serde_json::{Value, json};

use super::{both, entra, strict};

const CUSTOM: &str = "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User";

async fn refused(scim: &Harness, policy: &str, body: Value, names: &str) {
    let r = scim
        .post("/Users", body.clone())
        .await
        .expect_error(400, Some("invalidValue"));
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains(names), "{policy} POST {body}: {detail}");
    let id = scim.create_user("put-target").await;
    let r = scim
        .put(&format!("/Users/{id}"), body.clone())
        .await
        .expect_error(400, Some("invalidValue"));
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains(names), "{policy} PUT {body}: {detail}");
    scim.delete(&format!("/Users/{id}")).await.expect(204);
}

#[tokio::test]
async fn schemas_missing_empty_without_the_core_schema_or_with_another_types_core_is_refused() {
    for (policy, scim) in both() {
        for body in [
            json!({"userName": "a"}),
            json!({"userName": "a", "schemas": []}),
            json!({"userName": "a", "schemas": ["urn:example:unknown:1.0:Thing"]}),
            json!({"userName": "a", "schemas": [GROUP]}),
            json!({"userName": "a", "schemas": [USER, GROUP]}),
        ] {
            refused(&scim, policy, body, "schemas").await;
        }
        let r = scim
            .post("/Groups", json!({"schemas": [USER], "displayName": "g"}))
            .await
            .expect_error(400, Some("invalidValue"));
        assert!(
            r.body["detail"].as_str().unwrap().contains(GROUP),
            "{policy}"
        );
    }
}

#[tokio::test]
async fn a_custom_resource_types_core_schema_is_refused_on_a_user() {
    let badge = "urn:example:params:scim:schemas:core:1.0:Badge";
    let urn = SchemaUrn::new(badge).unwrap();
    let registry = RegistryBuilder::standard()
        .schema(Schema::new(
            urn.clone(),
            "Badge",
            vec![Attribute::new("number", AttrType::String)],
        ))
        .resource_type(ResourceType::new("Badge", "/Badges", urn))
        .build()
        .unwrap();
    let scim = Harness::with_parts(registry, ServiceConfig::new(BASE));
    let r = scim
        .post("/Users", json!({"schemas": [USER, badge], "userName": "a"}))
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(r.body["detail"].as_str().unwrap().contains("Badge"));
}

#[tokio::test]
async fn strict_refuses_unknown_uris_unknown_extensions_and_unlisted_extensions() {
    let scim = strict();
    for (body, names) in [
        (
            json!({"schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"], "userName": "a"}),
            "2.0User",
        ),
        (
            json!({"schemas": [USER, CUSTOM], "userName": "a", CUSTOM: {"costCenter": "42"}}),
            CUSTOM,
        ),
        (
            json!({"schemas": [USER], "userName": "a", ENTERPRISE: {"department": "Lobby"}}),
            ENTERPRISE,
        ),
    ] {
        refused(&scim, "strict", body, names).await;
    }
    scim.post(
        "/Groups",
        json!({"schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
               "displayName": "Reception Hosts"}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn entra_drops_extra_uris_and_lists_unlisted_extensions() {
    let scim = entra();
    // R15: Microsoft's own URI next to the Group core schema.
    let r = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                   "displayName": "Reception Hosts", "meta": {"resourceType": "Group"}}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["schemas"], json!([GROUP]));
    // Q10: extension objects whose URNs schemas does not list.
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
                   "userName": "amelia", ENTERPRISE: {"department": "Lobby"}, CUSTOM: {"costCenter": "42"}}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["schemas"], json!([USER, ENTERPRISE, CUSTOM]));
    assert_eq!(r.body[CUSTOM], json!({"costCenter": "42"}));
    let stored = scim
        .get(&format!("/Users/{}", r.body["id"].as_str().unwrap()))
        .await
        .expect(200);
    assert_eq!(stored.body[CUSTOM], json!({"costCenter": "42"}));
    let counters = scim.service.tolerance_counters();
    for t in [
        Tolerance::ExtraSchemaUris,
        Tolerance::UnlistedExtension,
        Tolerance::KeepUnknownAttributes,
    ] {
        assert!(counters.count(t) >= 1, "{t}");
    }
}
