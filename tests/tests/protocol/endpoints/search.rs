//! `.search` (RFC 7644 §3.4.3), on a resource type and at the root.

use scim_tests::{
    GROUP_SCHEMA as GROUP, Harness, LIST_RESPONSE as LIST, USER_SCHEMA as USER, search_request,
};
use serde_json::json;

use super::{id_of, location, seed_users};

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
