//! Discovery (RFC 7644 §4, RFC 7643 §5–§7) and `/Me`.

use scim_core::protocol::ServiceConfig;
use scim_tests::{
    BASE, BASE_URL, ENTERPRISE_SCHEMA as ENTERPRISE, GROUP_SCHEMA as GROUP, Harness,
    LIST_RESPONSE as LIST, USER_SCHEMA as USER,
};
use serde_json::{Value, json};

use super::{BADGE, badge_registry, user_body};

// ---------------------------------------------------------------------------
// Discovery (RFC 7644 §4, RFC 7643 §5–§7)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn service_provider_config_describes_the_configuration() {
    let scim = Harness::new();
    let r = scim.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(
        r.body,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 1_048_576},
            "filter": {"supported": true, "maxResults": 1000},
            "changePassword": {"supported": false},
            "sort": {"supported": true},
            "etag": {"supported": true},
            "pagination": {
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": "index",
                "defaultPageSize": 100,
                "maxPageSize": 1000
            },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with a bearer token in the Authorization header",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": true
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{BASE_URL}/ServiceProviderConfig")
            }
        })
    );
}

#[tokio::test]
async fn service_provider_config_follows_the_settings() {
    let mut config = ServiceConfig::new(BASE);
    config.bulk_max_operations = 0;
    config.max_payload_size = 4096;
    config.max_results = 50;
    config.default_page_size = 10;
    config.documentation_uri = Some("https://docs.example.com/scim".to_owned());
    let scim = Harness::with_config(config);
    let r = scim.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(
        r.body["bulk"],
        json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 4096})
    );
    assert_eq!(
        r.body["filter"],
        json!({"supported": true, "maxResults": 50})
    );
    assert_eq!(r.body["pagination"]["defaultPageSize"], 10);
    assert_eq!(r.body["documentationUri"], "https://docs.example.com/scim");
}

fn resource_type_doc(
    name: &str,
    endpoint: &str,
    description: &str,
    schema: &str,
    extensions: Value,
) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{BASE_URL}/ResourceTypes/{name}")}
    })
}

#[tokio::test]
async fn resource_types_list_and_single_documents() {
    let scim = Harness::new();
    let user = resource_type_doc(
        "User",
        "/Users",
        "User Account",
        USER,
        json!([{"schema": ENTERPRISE, "required": false}]),
    );
    let group = resource_type_doc("Group", "/Groups", "Group", GROUP, json!([]));
    let r = scim.get("/ResourceTypes").await.expect(200);
    assert_eq!(
        r.body,
        json!({
            "schemas": [LIST],
            "totalResults": 2,
            "itemsPerPage": 2,
            "startIndex": 1,
            "Resources": [user.clone(), group.clone()]
        })
    );
    assert_eq!(scim.get("/ResourceTypes/User").await.expect(200).body, user);
    assert_eq!(
        scim.get("/ResourceTypes/Group").await.expect(200).body,
        group
    );
    scim.get("/ResourceTypes/Device")
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn schemas_are_generated_from_the_registry() {
    let scim = Harness::new();
    let r = scim.get("/Schemas").await.expect(200);
    assert_eq!(r.body["schemas"], json!([LIST]));
    assert_eq!(r.body["totalResults"], 3);
    let docs = r.body["Resources"].as_array().unwrap();
    let ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [USER, ENTERPRISE, GROUP]);
    for doc in docs {
        let id = doc["id"].as_str().unwrap();
        assert_eq!(
            doc["schemas"],
            json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
        );
        assert_eq!(
            doc["meta"],
            json!({"resourceType": "Schema", "location": format!("{BASE_URL}/Schemas/{id}")})
        );
        // Each single document is the list's entry.
        assert_eq!(
            &scim.get(&format!("/Schemas/{id}")).await.expect(200).body,
            doc
        );
    }

    let user = &docs[0];
    assert_eq!(user["name"], "User");
    let attribute = |name: &str| {
        user["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {user}"))
    };
    let mut user_name = attribute("userName");
    assert!(
        user_name["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    user_name.as_object_mut().unwrap().remove("description");
    assert_eq!(
        user_name,
        json!({
            "name": "userName",
            "type": "string",
            "multiValued": false,
            "required": true,
            "caseExact": false,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "server"
        })
    );
    let password = attribute("password");
    assert_eq!(password["mutability"], "writeOnly");
    assert_eq!(password["returned"], "never");
    let emails = attribute("emails");
    assert_eq!(emails["multiValued"], true);
    assert_eq!(emails["type"], "complex");
    assert!(
        emails["subAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "value")
    );
    let groups = attribute("groups");
    assert_eq!(groups["mutability"], "readOnly");
}

#[tokio::test]
async fn discovery_reflects_a_custom_registry() {
    let scim = Harness::with_parts(badge_registry(), ServiceConfig::new(BASE));
    let r = scim.get("/ResourceTypes/User").await.expect(200);
    assert_eq!(
        r.body["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}, {"schema": BADGE, "required": false}])
    );
    let r = scim.get(&format!("/Schemas/{BADGE}")).await.expect(200);
    assert_eq!(r.body["id"], BADGE);
    assert_eq!(r.body["name"], "Badge");
    assert_eq!(r.body["attributes"][0]["name"], "badgeNumber");
    assert_eq!(r.body["attributes"][0]["mutability"], "immutable");
    let list = scim.get("/Schemas").await.expect(200);
    assert_eq!(list.body["totalResults"], 4);
}

#[tokio::test]
async fn a_filter_on_discovery_endpoints_is_403() {
    // RFC 7644 §4: "If a "filter" is provided, the service provider SHOULD
    // respond with HTTP status code 403 (Forbidden)".
    let scim = Harness::new();
    for path in [
        "/Schemas?filter=name+eq+%22User%22",
        "/ResourceTypes?filter=name+eq+%22User%22",
    ] {
        scim.get(path).await.expect_error(403, None);
    }
}

#[tokio::test]
async fn me_is_501_not_implemented() {
    let scim = Harness::new();
    scim.get("/Me").await.expect_error(501, None);
    scim.post("/Me", user_body("me"))
        .await
        .expect_error(501, None);
    scim.delete("/Me").await.expect_error(501, None);
}
