//! Listing (RFC 7644 §3.4.2): filter, sort and paging, cursors
//! (RFC 9865), query-string encoding, and filter and sort errors.

use scim_core::protocol::ServiceConfig;
use scim_tests::{
    BASE, Harness, LIST_RESPONSE as LIST, Reply, USER_SCHEMA as USER, patch_op, search_request,
};
use serde_json::{Value, json};

use super::{location, seed_users};

// ---------------------------------------------------------------------------
// Listing: filter, sort, paging (RFC 7644 §3.4.2)
// ---------------------------------------------------------------------------

/// The `userName`s of a ListResponse's resources, in order.
fn user_names(reply: &Reply) -> Vec<String> {
    reply.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect()
}

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

#[tokio::test]
async fn never_returned_attributes_cannot_be_filtered_or_sorted_on() {
    // Matching `password` would let a caller test guesses one by one.
    let scim = Harness::new();
    scim.post(
        "/Users",
        json!({"schemas": [USER], "userName": "pw", "password": "t1meMa$heen"}),
    )
    .await
    .expect(201);
    for query in [
        "filter=password+eq+%22t1meMa%24heen%22",
        "filter=userName+pr+and+password+pr",
        "sortBy=password",
    ] {
        scim.get(&format!("/Users?{query}"))
            .await
            .expect_error(400, Some("invalidFilter"));
    }
}
