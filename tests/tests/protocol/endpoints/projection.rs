//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9;
//! RFC 7643 §2.2).

use scim_tests::{
    ENTERPRISE_SCHEMA as ENTERPRISE, Harness, USER_SCHEMA as USER, patch_op, search_request,
};
use serde_json::{Value, json};

use super::{babs, babs_returned, id_of, location};

// ---------------------------------------------------------------------------
// attributes / excludedAttributes (RFC 7644 §3.4.2.5, §3.9; RFC 7643 §2.2)
// ---------------------------------------------------------------------------

/// Each query string with the resource it must produce (without `meta`
/// unless the expectation names it).
fn projection_cases(id: &str, meta: &Value) -> Vec<(&'static str, Value)> {
    let full = babs_returned(id, meta);
    let mut without_family_name = full.clone();
    without_family_name["name"] = json!({"givenName": "Barbara"});
    let mut without_department = full.clone();
    without_department[ENTERPRISE] = json!({"employeeNumber": "701984"});
    let mut without_email_types = full.clone();
    without_email_types["emails"] = json!([
        {"value": "bjensen@example.com", "primary": true},
        {"value": "babs@jensen.org"}
    ]);
    let only = |extra: Value| {
        let mut v = json!({"schemas": [USER, ENTERPRISE], "id": id});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    vec![
        ("attributes=userName", only(json!({"userName": "bjensen"}))),
        ("attributes=USERNAME", only(json!({"userName": "bjensen"}))),
        (
            "attributes=urn:ietf:params:scim:schemas:core:2.0:User:userName",
            only(json!({"userName": "bjensen"})),
        ),
        (
            "attributes=userName,nonExistentAttribute",
            only(json!({"userName": "bjensen"})),
        ),
        (
            "attributes=name.givenName,emails.value",
            only(json!({
                "name": {"givenName": "Barbara"},
                "emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]
            })),
        ),
        (
            "attributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            only(json!({ENTERPRISE: {"department": "Tour Operations"}})),
        ),
        (
            "attributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            only(
                json!({ENTERPRISE: {"department": "Tour Operations", "employeeNumber": "701984"}}),
            ),
        ),
        ("attributes=id", only(json!({}))),
        ("attributes=password", only(json!({}))),
        (
            "attributes=meta.version",
            only(json!({"meta": {"version": meta["version"]}})),
        ),
        (
            "excludedAttributes=name,emails,title,externalId,meta,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            only(json!({"userName": "bjensen"})),
        ),
        ("excludedAttributes=id", full.clone()),
        ("excludedAttributes=password", full.clone()),
        ("excludedAttributes=name.familyName", without_family_name),
        (
            "excludedAttributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            without_department,
        ),
        ("excludedAttributes=emails.type", without_email_types),
    ]
}

#[tokio::test]
async fn attributes_and_excluded_attributes_project_get_by_id() {
    let scim = Harness::new();
    let created = scim.post("/Users", babs()).await.expect(201);
    let id = id_of(&created);
    for (query, expected) in projection_cases(&id, &created.body["meta"]) {
        let r = scim.get(&format!("/Users/{id}?{query}")).await.expect(200);
        assert_eq!(r.body, expected, "GET /Users/{{id}}?{query}");
    }
}

#[tokio::test]
async fn attributes_and_excluded_attributes_project_list_results() {
    let scim = Harness::new();
    let created = scim.post("/Users", babs()).await.expect(201);
    scim.create_user("someone-else").await;
    let id = id_of(&created);
    for (query, expected) in projection_cases(&id, &created.body["meta"]) {
        let r = scim
            .get(&format!("/Users?filter=userName+eq+%22bjensen%22&{query}"))
            .await
            .expect(200);
        assert_eq!(r.body["totalResults"], 1, "{query}");
        assert_eq!(r.body["Resources"], json!([expected]), "GET /Users?{query}");
    }
}

#[tokio::test]
async fn attributes_in_a_search_request_project_like_the_query_parameter() {
    let scim = Harness::new();
    let created = scim.post("/Users", babs()).await.expect(201);
    let id = id_of(&created);
    let r = scim
        .post(
            "/Users/.search",
            search_request(json!({
                "attributes": ["userName", "name.givenName", format!("{ENTERPRISE}:department")],
                "filter": "userName eq \"bjensen\""
            })),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["Resources"],
        json!([{
            "schemas": [USER, ENTERPRISE],
            "id": id,
            "userName": "bjensen",
            "name": {"givenName": "Barbara"},
            ENTERPRISE: {"department": "Tour Operations"}
        }])
    );
}

#[tokio::test]
async fn post_honours_attributes_in_its_response() {
    let scim = Harness::new();
    let r = scim
        .post("/Users?attributes=userName", babs())
        .await
        .expect(201);
    let id = id_of(&r);
    assert_eq!(
        r.body,
        json!({"schemas": [USER, ENTERPRISE], "id": id, "userName": "bjensen"})
    );
    assert_eq!(r.header("location"), Some(location("Users", &id).as_str()));
}

#[tokio::test]
async fn a_returned_never_password_never_appears_in_any_response() {
    let scim = Harness::new();
    let created = scim.post("/Users", babs()).await.expect(201);
    let id = id_of(&created);
    let path = format!("/Users/{id}");
    let mut responses = vec![
        created.body,
        scim.get(&path).await.expect(200).body,
        scim.get(&format!("{path}?attributes=password"))
            .await
            .expect(200)
            .body,
        scim.get("/Users").await.expect(200).body,
        scim.get("/Users?attributes=password,userName")
            .await
            .expect(200)
            .body,
        scim.post(
            "/Users/.search",
            search_request(json!({"attributes": ["password"]})),
        )
        .await
        .expect(200)
        .body,
        scim.post("/.search", search_request(json!({})))
            .await
            .expect(200)
            .body,
    ];
    let mut put = babs();
    put["title"] = json!("Senior Tour Guide");
    responses.push(scim.put(&path, put).await.expect(200).body);
    responses.push(
        scim.patch(
            &path,
            patch_op(json!([{"op": "replace", "path": "password", "value": "n3wPa$$"}])),
        )
        .await
        .expect(200)
        .body,
    );
    for body in responses {
        let text = body.to_string();
        assert!(!text.contains("password"), "{text}");
        assert!(
            !text.contains("t1meMa$heen") && !text.contains("n3wPa$$"),
            "{text}"
        );
    }
}
