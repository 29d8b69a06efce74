//! Every endpoint of RFC 7644 and every status it can answer, driven
//! in-process: resources (§3.3–§3.6), queries and projections (§3.4, §3.9),
//! `.search` (§3.4.3), cursors (RFC 9865), conditional requests (§3.14),
//! discovery (§4), errors (§3.12), authentication and tenant isolation.

use std::pin::Pin;
use std::sync::Arc;

use http::Method;
use scim_core::Error;
use scim_core::protocol::{
    Authenticator, PatchResponse, Principal, Service, ServiceConfig, bearer_token,
};
use scim_core::schema::{
    AttrType, Attribute, Mutability, Registry, RegistryBuilder, Schema, SchemaUrn,
};
use scim_core::store::TenantId;
use scim_core::store::memory::MemoryStore;
use scim_tests::{
    BASE, BASE_URL, ENTERPRISE_SCHEMA as ENTERPRISE, GROUP_SCHEMA as GROUP, Harness,
    LIST_RESPONSE as LIST, Reply, TOKEN, USER_SCHEMA as USER, is_rfc3339_utc, patch_op,
    search_request,
};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn user_body(user_name: &str) -> Value {
    json!({"schemas": [USER], "userName": user_name})
}

fn location(kind: &str, id: &str) -> String {
    format!("{BASE_URL}/{kind}/{id}")
}

fn id_of(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap().to_owned()
}

fn etag_of(reply: &Reply) -> String {
    reply.header("etag").unwrap().to_owned()
}

/// The `userName`s of a ListResponse's resources, in order.
fn user_names(reply: &Reply) -> Vec<String> {
    reply.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect()
}

/// Five users: alice, bob and dave are Engineers, carol a Manager, eve has
/// no title. Returns their ids in that order.
async fn seed_users(scim: &Harness) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, title) in [
        ("alice", Some("Engineer")),
        ("bob", Some("Engineer")),
        ("carol", Some("Manager")),
        ("dave", Some("Engineer")),
        ("eve", None),
    ] {
        let mut body = user_body(name);
        if let Some(title) = title {
            body["title"] = json!(title);
        }
        ids.push(id_of(&scim.post("/Users", body).await.expect(201)));
    }
    ids
}

/// Barbara Jensen with core, multi-valued, write-only and extension
/// attributes.
fn babs() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "bjensen",
        "externalId": "bj-ext",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "title": "Tour Guide",
        "password": "t1meMa$heen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        ENTERPRISE: {"department": "Tour Operations", "employeeNumber": "701984"}
    })
}

/// `babs()` as the service returns it: without the password, with `id`
/// and this `meta`.
fn babs_returned(id: &str, meta: &Value) -> Value {
    let mut expected = babs();
    expected.as_object_mut().unwrap().remove("password");
    expected["id"] = json!(id);
    expected["meta"] = meta.clone();
    expected
}

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
// Listing: filter, sort, paging (RFC 7644 §3.4.2)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn list_filters_sorts_descending_and_pages() {
    let scim = Harness::new();
    let ids = seed_users(&scim).await;
    let r = scim
        .get("/Users?filter=title+eq+%22Engineer%22&sortBy=userName&sortOrder=descending&startIndex=2&count=1&attributes=userName")
        .await
        .expect(200);
    assert_eq!(
        r.body,
        json!({
            "schemas": [LIST],
            "totalResults": 3,
            "itemsPerPage": 1,
            "startIndex": 2,
            "Resources": [{"schemas": [USER], "id": ids[1], "userName": "bob"}]
        })
    );
}

#[tokio::test]
async fn list_sorts_ascending_by_default_order_and_puts_missing_values_last() {
    let scim = Harness::new();
    seed_users(&scim).await;
    let r = scim.get("/Users?sortBy=userName").await.expect(200);
    assert_eq!(user_names(&r), ["alice", "bob", "carol", "dave", "eve"]);
    let r = scim
        .get("/Users?sortBy=title&sortOrder=ascending")
        .await
        .expect(200);
    let titles: Vec<&Value> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["title"])
        .collect();
    assert_eq!(
        titles,
        [
            &json!("Engineer"),
            &json!("Engineer"),
            &json!("Engineer"),
            &json!("Manager"),
            &Value::Null
        ],
        "ordered by title, the user without one last"
    );
    let r = scim
        .get("/Users?sortBy=title&sortOrder=descending")
        .await
        .expect(200);
    let titles: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["title"].as_str())
        .collect();
    assert_eq!(titles, ["Manager", "Engineer", "Engineer", "Engineer"]);
}

#[tokio::test]
async fn list_without_a_filter_returns_every_resource_with_the_list_response_shape() {
    let scim = Harness::new();
    let empty = scim.get("/Users").await.expect(200);
    assert_eq!(
        empty.body,
        json!({"schemas": [LIST], "totalResults": 0, "itemsPerPage": 0, "startIndex": 1, "Resources": []})
    );
    seed_users(&scim).await;
    let r = scim.get("/Users").await.expect(200);
    assert_eq!(r.body["totalResults"], 5);
    assert_eq!(r.body["itemsPerPage"], 5);
    assert_eq!(r.body["startIndex"], 1);
    for resource in r.body["Resources"].as_array().unwrap() {
        let id = resource["id"].as_str().unwrap();
        assert_eq!(resource["meta"]["location"], location("Users", id).as_str());
        assert_eq!(resource["meta"]["resourceType"], "User");
    }
}

#[tokio::test]
async fn a_filter_that_matches_nothing_is_200_with_an_empty_list() {
    let scim = Harness::new();
    seed_users(&scim).await;
    let r = scim
        .get("/Users?filter=userName+eq+%22nobody%22")
        .await
        .expect(200);
    assert_eq!(
        r.body,
        json!({"schemas": [LIST], "totalResults": 0, "itemsPerPage": 0, "startIndex": 1, "Resources": []})
    );
}

#[tokio::test]
async fn count_minus_one_returns_no_resources_but_the_total() {
    // RFC 7644 §3.4.2.4: "A negative value SHALL be interpreted as 0."
    let scim = Harness::new();
    seed_users(&scim).await;
    for query in ["count=-1", "count=0", "count=-1000"] {
        let r = scim.get(&format!("/Users?{query}")).await.expect(200);
        assert_eq!(
            r.body,
            json!({"schemas": [LIST], "totalResults": 5, "itemsPerPage": 0, "startIndex": 1, "Resources": []}),
            "{query}"
        );
    }
}

#[tokio::test]
async fn start_index_below_one_is_read_as_one() {
    // RFC 7644 §3.4.2.4: "A value less than 1 SHALL be interpreted as 1."
    let scim = Harness::new();
    seed_users(&scim).await;
    for start in ["0", "-7"] {
        let r = scim
            .get(&format!(
                "/Users?startIndex={start}&count=2&sortBy=userName"
            ))
            .await
            .expect(200);
        assert_eq!(r.body["startIndex"], 1, "startIndex={start}");
        assert_eq!(r.body["totalResults"], 5);
        assert_eq!(user_names(&r), ["alice", "bob"]);
    }
}

#[tokio::test]
async fn start_index_past_the_end_is_an_empty_page() {
    let scim = Harness::new();
    seed_users(&scim).await;
    let r = scim.get("/Users?startIndex=10").await.expect(200);
    assert_eq!(
        r.body,
        json!({"schemas": [LIST], "totalResults": 5, "itemsPerPage": 0, "startIndex": 10, "Resources": []})
    );
}

#[tokio::test]
async fn count_above_max_results_is_capped_and_the_default_page_size_applies() {
    let mut config = ServiceConfig::new(BASE);
    config.max_results = 2;
    config.default_page_size = 1;
    let scim = Harness::with_config(config);
    seed_users(&scim).await;
    let r = scim
        .get("/Users?count=1000&sortBy=userName")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 5);
    assert_eq!(r.body["itemsPerPage"], 2);
    assert_eq!(user_names(&r), ["alice", "bob"]);
    let r = scim.get("/Users?sortBy=userName").await.expect(200);
    assert_eq!(user_names(&r), ["alice"]);
    let spc = scim.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(spc.body["filter"]["maxResults"], 2);
}

#[tokio::test]
async fn paging_with_start_index_walks_every_resource_once() {
    let scim = Harness::new();
    let mut ids = seed_users(&scim).await;
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let r = scim
            .get(&format!("/Users?startIndex={start}&count=2"))
            .await
            .expect(200);
        assert_eq!(r.body["totalResults"], 5);
        let page = r.body["Resources"].as_array().unwrap();
        if page.is_empty() {
            break;
        }
        seen.extend(page.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        start += 2;
    }
    ids.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, ids);
    assert_eq!(seen.len(), 5, "no resource twice");
}

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
    assert!(last_modified >= created.body["meta"]["created"].as_str().unwrap());
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

const BADGE: &str = "urn:example:params:scim:schemas:extension:badge:2.0:User";

/// The standard registry plus a User extension with an immutable
/// `badgeNumber`.
fn badge_registry() -> Registry {
    let urn = SchemaUrn::new(BADGE).unwrap();
    RegistryBuilder::standard()
        .schema(Schema::new(
            urn.clone(),
            "Badge",
            vec![
                Attribute::new("badgeNumber", AttrType::String)
                    .with_mutability(Mutability::Immutable),
            ],
        ))
        .extend("User", urn, false)
        .build()
        .unwrap()
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
// Routing, methods, media types, body framing
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_wrong_method_is_405_with_allow_and_a_scim_error_body() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let cases: Vec<(Method, String, &[&str])> = vec![
        (Method::DELETE, "/Users".to_owned(), &["GET", "POST"]),
        (Method::PUT, "/Groups".to_owned(), &["GET", "POST"]),
        (
            Method::POST,
            format!("/Users/{id}"),
            &["GET", "PUT", "PATCH", "DELETE"],
        ),
        (Method::PUT, "/ServiceProviderConfig".to_owned(), &["GET"]),
        (Method::DELETE, "/Schemas".to_owned(), &["GET"]),
        (Method::POST, "/ResourceTypes".to_owned(), &["GET"]),
        (Method::GET, "/Bulk".to_owned(), &["POST"]),
        (Method::GET, "/.search".to_owned(), &["POST"]),
        (Method::GET, "/Users/.search".to_owned(), &["POST"]),
        (
            Method::from_bytes(b"PURGE").unwrap(),
            "/Users".to_owned(),
            &["GET", "POST"],
        ),
    ];
    for (method, path, allowed) in cases {
        let body = matches!(method, Method::POST | Method::PUT).then(|| json!({}));
        let r = scim
            .send(method.clone(), &path, body)
            .await
            .expect_error(405, None);
        let mut allow: Vec<&str> = r
            .header("allow")
            .unwrap()
            .split(',')
            .map(str::trim)
            .collect();
        allow.sort_unstable();
        let mut expected = allowed.to_vec();
        expected.sort_unstable();
        assert_eq!(allow, expected, "{method} {path}");
    }
    // Nothing was deleted or created.
    scim.get(&format!("/Users/{id}")).await.expect(200);
}

#[tokio::test]
async fn unknown_paths_are_404_scim_errors() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    for path in [
        "/Foo".to_owned(),
        "/Foo/bar".to_owned(),
        format!("/Users/{id}/extra"),
        "/Groups/a/b/c".to_owned(),
        "/ServiceProviderConfig/extra".to_owned(),
        "/Schemas/urn:nope:nope".to_owned(),
        "/ResourceTypes/Nope".to_owned(),
        String::new(),
        "/".to_owned(),
    ] {
        scim.get(&path).await.expect_error(404, None);
    }
    // Outside the base path.
    let request = http::Request::get("/other/v2/Users")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Vec::new())
        .unwrap();
    let response = scim.service.handle(request).await;
    assert_eq!(response.status(), 404);
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["status"], "404");
}

#[tokio::test]
async fn an_empty_path_segment_or_a_trailing_slash_is_tolerated() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    for path in ["//Users", "/Users/", "//Users//", "///Users"] {
        let r = scim.get(path).await.expect(200);
        assert_eq!(r.body["totalResults"], 1, "{path}");
    }
    for path in [format!("/Users/{id}/"), format!("//Users//{id}")] {
        let r = scim.get(&path).await.expect(200);
        assert_eq!(r.body["id"], id.as_str(), "{path}");
    }
    scim.post("//Users", user_body("second")).await.expect(201);
}

#[tokio::test]
async fn malformed_json_is_400_invalid_syntax() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let bodies: [&[u8]; 7] = [
        b"{\"userName\":",
        b"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"a\",}",
        b"not json",
        b"",
        b"   ",
        b"{} {}",
        b"[]",
    ];
    for body in bodies {
        scim.send_bytes(Method::POST, "/Users", Some(body.to_vec()), &[])
            .await
            .expect_error(400, Some("invalidSyntax"));
        scim.send_bytes(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(body.to_vec()),
            &[],
        )
        .await
        .expect_error(400, Some("invalidSyntax"));
        scim.send_bytes(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(body.to_vec()),
            &[],
        )
        .await
        .expect_error(400, Some("invalidSyntax"));
        scim.send_bytes(Method::POST, "/Users/.search", Some(body.to_vec()), &[])
            .await
            .expect_error(400, Some("invalidSyntax"));
    }
}

#[tokio::test]
async fn duplicate_json_keys_are_400_invalid_syntax() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let cases: [(Method, String, &str); 5] = [
        (
            Method::POST,
            "/Users".to_owned(),
            r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a", "userName": "b"}"#,
        ),
        (
            Method::POST,
            "/Users".to_owned(),
            r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a", "name": {"givenName": "x", "givenName": "y"}}"#,
        ),
        (
            Method::POST,
            "/Users".to_owned(),
            r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a", "USERNAME": "b"}"#,
        ),
        (
            Method::PATCH,
            format!("/Users/{id}"),
            r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "title", "value": "x", "value": "y"}]}"#,
        ),
        (
            Method::POST,
            "/Users/.search".to_owned(),
            r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName pr", "filter": "title pr"}"#,
        ),
    ];
    for (method, path, body) in cases {
        scim.send_bytes(method, &path, Some(body.as_bytes().to_vec()), &[])
            .await
            .expect_error(400, Some("invalidSyntax"));
    }
    assert_eq!(scim.get("/Users").await.expect(200).body["totalResults"], 1);
}

#[tokio::test]
async fn a_body_over_the_configured_limit_is_413_and_one_at_the_limit_is_accepted() {
    let mut config = ServiceConfig::new(BASE);
    config.max_payload_size = 1024;
    let scim = Harness::with_config(config);
    let body_of_len = |len: usize| {
        let head = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u"#;
        let tail = r#""}"#;
        let mut s = head.to_owned();
        s.push_str(&"x".repeat(len - head.len() - tail.len()));
        s.push_str(tail);
        assert_eq!(s.len(), len);
        s.into_bytes()
    };
    scim.send_bytes(Method::POST, "/Users", Some(body_of_len(1025)), &[])
        .await
        .expect_error(413, None);
    scim.send_bytes(Method::POST, "/Users", Some(body_of_len(1024)), &[])
        .await
        .expect(201);
    let big = search_request(json!({"filter": format!("userName eq \"{}\"", "x".repeat(2000))}));
    scim.post("/.search", big).await.expect_error(413, None);
}

#[tokio::test]
async fn a_non_json_content_type_is_415_and_json_types_are_accepted() {
    let scim = Harness::new();
    for content_type in [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        scim.send_bytes(
            Method::POST,
            "/Users",
            Some(serde_json::to_vec(&user_body("bjensen")).unwrap()),
            &[("content-type", content_type)],
        )
        .await
        .expect_error(415, None);
    }
    assert_eq!(scim.get("/Users").await.expect(200).body["totalResults"], 0);
    for (i, content_type) in [
        "application/json",
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "Application/SCIM+JSON",
        "application/json;charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        scim.send_bytes(
            Method::POST,
            "/Users",
            Some(serde_json::to_vec(&user_body(&format!("user{i}"))).unwrap()),
            &[("content-type", content_type)],
        )
        .await
        .expect(201);
    }
}

// ---------------------------------------------------------------------------
// Authentication (RFC 7644 §2)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_request_without_a_token_is_401_with_www_authenticate() {
    let scim = Harness::new();
    let r = scim
        .send_raw(Method::GET, "/Users", None, &[])
        .await
        .expect_error(401, None);
    let challenge = r.header("www-authenticate").unwrap();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    // Discovery is authenticated too unless configured otherwise.
    scim.send_raw(Method::GET, "/ServiceProviderConfig", None, &[])
        .await
        .expect_error(401, None);
    // An unknown path does not reveal itself to anonymous callers.
    scim.send_raw(Method::GET, "/Nope", None, &[])
        .await
        .expect_error(401, None);
}

#[tokio::test]
async fn a_wrong_token_or_scheme_is_401() {
    let scim = Harness::new();
    for auth in [
        "Bearer wrong-token",
        "Bearer test-token-extra",
        "Basic dGVzdC10b2tlbg==",
        "test-token",
        "Bearer",
    ] {
        let r = scim
            .send_raw(
                Method::POST,
                "/Users",
                Some(serde_json::to_vec(&user_body("bjensen")).unwrap()),
                &[("authorization", auth)],
            )
            .await
            .expect_error(401, None);
        assert!(r.header("www-authenticate").is_some(), "{auth}");
    }
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    scim.send_raw(
        Method::GET,
        "/Users",
        None,
        &[("authorization", "bearer test-token")],
    )
    .await
    .expect(200);
    assert_eq!(scim.get("/Users").await.expect(200).body["totalResults"], 0);
}

#[tokio::test]
async fn public_discovery_opens_only_the_discovery_endpoints() {
    let mut config = ServiceConfig::new(BASE);
    config.public_discovery = true;
    let scim = Harness::with_config(config);
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/User",
        "/Schemas",
    ] {
        scim.send_raw(Method::GET, path, None, &[])
            .await
            .expect(200);
    }
    scim.send_raw(Method::GET, "/Users", None, &[])
        .await
        .expect_error(401, None);
    scim.send_raw(Method::POST, "/.search", Some(b"{}".to_vec()), &[])
        .await
        .expect_error(401, None);
}

// ---------------------------------------------------------------------------
// .search (RFC 7644 §3.4.3)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn post_search_on_a_type_filters_sorts_pages_and_projects() {
    let scim = Harness::new();
    let ids = seed_users(&scim).await;
    let r = scim
        .post(
            "/Users/.search",
            search_request(json!({
                "filter": "title eq \"Engineer\"",
                "sortBy": "userName",
                "sortOrder": "descending",
                "attributes": ["userName"],
                "startIndex": 1,
                "count": 2
            })),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body,
        json!({
            "schemas": [LIST],
            "totalResults": 3,
            "itemsPerPage": 2,
            "startIndex": 1,
            "Resources": [
                {"schemas": [USER], "id": ids[3], "userName": "dave"},
                {"schemas": [USER], "id": ids[1], "userName": "bob"}
            ]
        })
    );
    assert_eq!(r.header("location"), None);
}

#[tokio::test]
async fn post_search_without_the_search_request_schema_is_400_invalid_syntax() {
    let scim = Harness::new();
    scim.post("/Users/.search", json!({"filter": "userName pr"}))
        .await
        .expect_error(400, Some("invalidSyntax"));
    scim.post(
        "/.search",
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}),
    )
    .await
    .expect_error(400, Some("invalidSyntax"));
}

#[tokio::test]
async fn root_search_spans_every_resource_type_with_paging() {
    let scim = Harness::new();
    let users = seed_users(&scim).await;
    let g1 = scim.create_group("Tour Guides", &[&users[0]]).await;
    let g2 = scim.create_group("Managers", &[]).await;
    let mut expected: Vec<String> = users
        .iter()
        .cloned()
        .chain([g1.clone(), g2.clone()])
        .collect();
    expected.sort();

    let mut seen = Vec::new();
    for start in [1, 4, 7] {
        let r = scim
            .post(
                "/.search",
                search_request(json!({"startIndex": start, "count": 3})),
            )
            .await
            .expect(200);
        assert_eq!(r.body["schemas"], json!([LIST]));
        assert_eq!(r.body["totalResults"], 7);
        assert_eq!(r.body["startIndex"], start);
        let page = r.body["Resources"].as_array().unwrap();
        assert_eq!(r.body["itemsPerPage"], page.len());
        for resource in page {
            let id = resource["id"].as_str().unwrap().to_owned();
            let kind = if users.contains(&id) {
                "Users"
            } else {
                "Groups"
            };
            assert_eq!(resource["meta"]["location"], location(kind, &id).as_str());
            assert_eq!(
                resource["meta"]["resourceType"],
                if kind == "Users" { "User" } else { "Group" }
            );
            seen.push(id);
        }
    }
    assert_eq!(seen.len(), 7, "every resource exactly once: {seen:?}");
    seen.sort();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn root_search_filters_and_projects_across_types() {
    let scim = Harness::new();
    let amy = id_of(
        &scim
            .post(
                "/Users",
                json!({"schemas": [USER], "userName": "amy", "displayName": "Tour Guide Amy"}),
            )
            .await
            .expect(201),
    );
    scim.create_user("bob").await;
    let guides = scim.create_group("Tour Guides", &[]).await;
    scim.create_group("Managers", &[]).await;
    let r = scim
        .post(
            "/.search",
            search_request(json!({
                "filter": "displayName sw \"tour\"",
                "attributes": ["displayName"]
            })),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body,
        json!({
            "schemas": [LIST],
            "totalResults": 2,
            "itemsPerPage": 2,
            "startIndex": 1,
            "Resources": [
                {"schemas": [USER], "id": amy, "displayName": "Tour Guide Amy"},
                {"schemas": [GROUP], "id": guides, "displayName": "Tour Guides"}
            ]
        })
    );
}

// ---------------------------------------------------------------------------
// Cursor pagination (RFC 9865)
// ---------------------------------------------------------------------------

async fn walk_cursor(scim: &Harness, first: &str, next: impl Fn(&str) -> String) -> Vec<String> {
    let mut seen = Vec::new();
    let mut r = scim.get(first).await.expect(200);
    for _ in 0..20 {
        assert_eq!(r.body["totalResults"], 7);
        assert!(
            r.body.get("startIndex").is_none(),
            "cursor pages have no startIndex: {}",
            r.body
        );
        let page = r.body["Resources"].as_array().unwrap();
        assert!(page.len() <= 3);
        assert_eq!(r.body["itemsPerPage"], page.len());
        seen.extend(page.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        match r.body.get("nextCursor").and_then(Value::as_str) {
            Some(cursor) => {
                assert!(
                    cursor
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
                    "RFC 9865: cursors use unreserved characters only: {cursor}"
                );
                r = scim.get(&next(cursor)).await.expect(200);
            }
            None => return seen,
        }
    }
    panic!("the cursor never ended");
}

#[tokio::test]
async fn a_cursor_walks_every_resource_exactly_once() {
    let scim = Harness::new();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(scim.create_user(&format!("user{i}")).await);
    }
    ids.sort();
    for first in ["/Users?cursor&count=3", "/Users?cursor=&count=3"] {
        let seen = walk_cursor(&scim, first, |c| format!("/Users?cursor={c}&count=3")).await;
        assert_eq!(seen.len(), 7, "{seen:?}");
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, ids);
    }
    // With a sort, the cursor follows it.
    let seen = walk_cursor(
        &scim,
        "/Users?cursor&count=3&sortBy=userName&sortOrder=descending",
        |c| format!("/Users?cursor={c}&count=3&sortBy=userName&sortOrder=descending"),
    )
    .await;
    let names: Vec<String> = {
        let mut out = Vec::new();
        for id in &seen {
            out.push(
                scim.get(&format!("/Users/{id}")).await.expect(200).body["userName"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        out
    };
    assert_eq!(
        names,
        [
            "user6", "user5", "user4", "user3", "user2", "user1", "user0"
        ]
    );
}

#[tokio::test]
async fn a_cursor_works_through_post_search_and_keeps_the_filter() {
    let scim = Harness::new();
    for i in 0..7 {
        scim.post(
            "/Users",
            json!({"schemas": [USER], "userName": format!("user{i}"), "title": "x"}),
        )
        .await
        .expect(201);
    }
    scim.create_user("untitled").await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    for _ in 0..10 {
        let r = scim
            .post(
                "/Users/.search",
                search_request(json!({"filter": "title eq \"x\"", "cursor": cursor, "count": 3})),
            )
            .await
            .expect(200);
        assert_eq!(r.body["totalResults"], 7);
        seen.extend(
            r.body["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["userName"].as_str().unwrap().to_owned()),
        );
        match r.body.get("nextCursor").and_then(Value::as_str) {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, (0..7).map(|i| format!("user{i}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_invalid_cursor_is_400_invalid_cursor() {
    // RFC 9865 §2.1: invalid cursor values are answered 400 with the
    // scimType "invalidCursor".
    let scim = Harness::new();
    for i in 0..3 {
        scim.create_user(&format!("user{i}")).await;
    }
    for cursor in ["not-a-cursor", "o-1", "zzz", "o99999999999999999999999"] {
        scim.get(&format!("/Users?cursor={cursor}&count=1"))
            .await
            .expect_error(400, Some("invalidCursor"));
    }
    scim.post(
        "/Users/.search",
        search_request(json!({"cursor": "not-a-cursor"})),
    )
    .await
    .expect_error(400, Some("invalidCursor"));
}

#[tokio::test]
async fn a_cursor_together_with_start_index_is_400() {
    let scim = Harness::new();
    scim.get("/Users?cursor=&startIndex=2")
        .await
        .expect_scim_error(400);
}

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

// ---------------------------------------------------------------------------
// Query-string encoding (entra.md §2.0)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn filter_values_with_ampersand_plus_quotes_and_non_ascii_are_decoded() {
    let scim = Harness::new();
    let amp = scim.create_user("a&b+c").await;
    let cafe = scim.create_user("café").await;
    scim.create_user("a b c").await;
    for (query, id) in [
        ("filter=userName+eq+%22a%26b%2Bc%22", &amp),
        ("filter=userName%20eq%20%22a%26b%2Bc%22", &amp),
        ("filter=userName+eq+%22caf%C3%A9%22", &cafe),
        // Unicode case folding: É matches é.
        ("filter=userName+eq+%22CAF%C3%89%22", &cafe),
        ("filter=userName+eq+%22caf%5Cu00e9%22", &cafe),
    ] {
        let r = scim.get(&format!("/Users?{query}")).await.expect(200);
        assert_eq!(r.body["totalResults"], 1, "{query}: {}", r.body);
        assert_eq!(r.body["Resources"][0]["id"], id.as_str(), "{query}");
    }
    // `+` is a space in a query string.
    let r = scim
        .get("/Users?filter=userName+eq+%22a+b+c%22")
        .await
        .expect(200);
    assert_eq!(r.body["Resources"][0]["userName"], "a b c");
}

#[tokio::test]
async fn unknown_query_parameters_are_ignored() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let r = scim
        .get("/Users?aadOptscim062020&foo=bar&filter=userName+eq+%22bjensen%22&x=%22")
        .await
        .expect(200);
    assert_eq!(r.body["Resources"][0]["id"], id.as_str());
    scim.get(&format!("/Users/{id}?foo=bar&aadOptscim062020"))
        .await
        .expect(200);
    scim.patch(
        &format!("/Users/{id}?aadOptscim062020"),
        patch_op(json!([{"op": "add", "path": "title", "value": "x"}])),
    )
    .await
    .expect(200);
}

// ---------------------------------------------------------------------------
// Filter and sort errors (RFC 7644 §3.4.2.2, §3.4.2.3, §3.12)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn malformed_filters_are_400_invalid_filter() {
    let scim = Harness::new();
    seed_users(&scim).await;
    for filter in [
        "userName eq",
        "userName xx \"a\"",
        "userName eq \"a",
        "(userName eq \"a\"",
        "\"1\" eq \"1\"",
        "user$Name eq \"x\"",
        "emails[]",
        "emails[type eq \"work\"",
        "userName eq \"a\" and",
        "and",
    ] {
        let encoded: String = form_encode(filter);
        scim.get(&format!("/Users?filter={encoded}"))
            .await
            .expect_error(400, Some("invalidFilter"));
        scim.post("/Users/.search", search_request(json!({"filter": filter})))
            .await
            .expect_error(400, Some("invalidFilter"));
    }
}

#[tokio::test]
async fn ordering_a_boolean_or_complex_attribute_is_400_invalid_filter() {
    // RFC 7644 §3.4.2.2: "gt" etc. on a Boolean or complex attribute is
    // invalidFilter ("Boolean and Binary attributes SHALL cause a failed
    // response (HTTP status code 400) with "scimType" of "invalidFilter"").
    let scim = Harness::new();
    seed_users(&scim).await;
    for filter in [
        "active gt true",
        "active lt false",
        "active ge true",
        "name gt \"a\"",
    ] {
        scim.get(&format!("/Users?filter={}", form_encode(filter)))
            .await
            .expect_error(400, Some("invalidFilter"));
        scim.post("/Users/.search", search_request(json!({"filter": filter})))
            .await
            .expect_error(400, Some("invalidFilter"));
    }
}

#[tokio::test]
async fn a_forbidden_filter_is_400_even_when_nothing_is_stored() {
    let scim = Harness::new();
    scim.get(&format!("/Users?filter={}", form_encode("active gt true")))
        .await
        .expect_error(400, Some("invalidFilter"));
    scim.get(&format!(
        "/Groups?filter={}",
        form_encode("displayName gt true")
    ))
    .await
    .expect_error(400, Some("invalidFilter"));
}

#[tokio::test]
async fn an_unknown_or_complex_sort_by_is_400() {
    let scim = Harness::new();
    seed_users(&scim).await;
    for sort_by in ["nonExistent", "name", "userName..x", "!"] {
        let r = scim
            .get(&format!("/Users?sortBy={}", form_encode(sort_by)))
            .await
            .expect_scim_error(400);
        assert!(
            matches!(r.scim_type(), Some("invalidPath" | "invalidValue")),
            "{sort_by}: {}",
            r.body
        );
    }
    scim.get("/Users?sortBy=userName&sortOrder=sideways")
        .await
        .expect_error(400, Some("invalidValue"));
}

/// Form-encodes a query-string value.
fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
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

// ---------------------------------------------------------------------------
// Tenant isolation: two tokens, two tenants, one store
// ---------------------------------------------------------------------------

/// Maps the token `alpha-token` to tenant `alpha` and `beta-token` to
/// tenant `beta`.
#[derive(Debug)]
struct TwoTenants;

type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Principal, Error>> + Send + 'a>>;

impl Authenticator for TwoTenants {
    // The desugared form of `#[async_trait] async fn authenticate`.
    fn authenticate<'life0, 'life1, 'async_trait>(
        &'life0 self,
        request: &'life1 http::request::Parts,
    ) -> AuthFuture<'async_trait>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            match bearer_token(request) {
                Some("alpha-token") => Ok(Principal::new(TenantId::new("alpha"))),
                Some("beta-token") => Ok(Principal::new(TenantId::new("beta"))),
                _ => Err(Error::Unauthorized("unknown token".to_owned())),
            }
        })
    }
}

#[tokio::test]
async fn tenants_sharing_one_store_never_see_each_others_data() {
    let service = Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(TwoTenants),
        ServiceConfig::new(BASE),
    );
    let scim = Harness::from_service(service);
    let alpha = |m: Method, p: &str, b: Option<Value>| {
        let scim = scim.clone();
        let p = p.to_owned();
        async move { scim.send_as("alpha-token", m, &p, b).await }
    };
    let beta = |m: Method, p: &str, b: Option<Value>| {
        let scim = scim.clone();
        let p = p.to_owned();
        async move { scim.send_as("beta-token", m, &p, b).await }
    };

    let a_user = id_of(
        &alpha(Method::POST, "/Users", Some(user_body("shared-name")))
            .await
            .expect(201),
    );
    let a_group = id_of(
        &alpha(
            Method::POST,
            "/Groups",
            Some(json!({"schemas": [GROUP], "displayName": "Alpha Group", "members": [{"value": a_user}]})),
        )
        .await
        .expect(201),
    );

    // Beta sees nothing of alpha's.
    beta(Method::GET, &format!("/Users/{a_user}"), None)
        .await
        .expect_error(404, None);
    beta(Method::GET, &format!("/Groups/{a_group}"), None)
        .await
        .expect_error(404, None);
    let list = beta(Method::GET, "/Users", None).await.expect(200);
    assert_eq!(list.body["totalResults"], 0);
    let list = beta(
        Method::GET,
        "/Users?filter=userName+eq+%22shared-name%22",
        None,
    )
    .await
    .expect(200);
    assert_eq!(list.body["totalResults"], 0);
    let all = beta(Method::POST, "/.search", Some(search_request(json!({}))))
        .await
        .expect(200);
    assert_eq!(all.body["totalResults"], 0);

    // Beta cannot change or delete alpha's resources, nor use them as
    // members.
    beta(
        Method::PUT,
        &format!("/Users/{a_user}"),
        Some(user_body("hijacked")),
    )
    .await
    .expect_error(404, None);
    beta(
        Method::PATCH,
        &format!("/Users/{a_user}"),
        Some(patch_op(
            json!([{"op": "add", "path": "title", "value": "x"}]),
        )),
    )
    .await
    .expect_error(404, None);
    beta(
        Method::PATCH,
        &format!("/Groups/{a_group}"),
        Some(patch_op(json!([{"op": "remove", "path": "members"}]))),
    )
    .await
    .expect_error(404, None);
    beta(Method::DELETE, &format!("/Users/{a_user}"), None)
        .await
        .expect_error(404, None);
    beta(
        Method::POST,
        "/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Beta Group", "members": [{"value": a_user}]})),
    )
    .await
    .expect_error(400, Some("invalidValue"));

    // Uniqueness is per tenant.
    let b_user = id_of(
        &beta(Method::POST, "/Users", Some(user_body("shared-name")))
            .await
            .expect(201),
    );
    assert_ne!(a_user, b_user);
    alpha(Method::GET, &format!("/Users/{b_user}"), None)
        .await
        .expect_error(404, None);

    // Alpha's data is untouched.
    let u = alpha(Method::GET, &format!("/Users/{a_user}"), None)
        .await
        .expect(200);
    assert_eq!(u.body["userName"], "shared-name");
    assert!(u.body.get("title").is_none());
    assert_eq!(u.body["groups"][0]["value"], a_group.as_str());
    let g = alpha(Method::GET, &format!("/Groups/{a_group}"), None)
        .await
        .expect(200);
    assert_eq!(g.body["members"], json!([{"value": a_user}]));
    let list = alpha(Method::GET, "/Users", None).await.expect(200);
    assert_eq!(list.body["totalResults"], 1);

    // An unknown token is nobody's.
    scim.send_as("gamma-token", Method::GET, "/Users", None)
        .await
        .expect_error(401, None);
}
