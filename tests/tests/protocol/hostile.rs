//! Hostile input never panics, never hangs and never answers 5xx: deep
//! nesting, huge filters, NUL characters, SQL-looking strings, invalid
//! UTF-8, percent-encoded garbage and absurd paging values
//! (pitfalls.md, "HTTP and hostile input").

use http::Method;
use scim_core::protocol::ServiceConfig;
use scim_tests::{
    BASE, ERROR_SCHEMA, Harness, Reply, SEARCH_REQUEST, USER_SCHEMA, bulk_request, patch_op,
    search_request,
};
use serde_json::{Value, json};

fn user_body(user_name: &str) -> Value {
    json!({"schemas": [USER_SCHEMA], "userName": user_name})
}

async fn user_count(scim: &Harness) -> u64 {
    scim.get("/Users?count=0").await.expect(200).body["totalResults"]
        .as_u64()
        .unwrap()
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asserts a client error with a SCIM body (never a 5xx, never plain text).
#[track_caller]
fn assert_client_error(r: &Reply, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["schemas"], json!([ERROR_SCHEMA]), "{}", r.body);
    assert_eq!(r.body["status"], status.to_string());
}

// ---------------------------------------------------------------------------
// Nesting and size
// ---------------------------------------------------------------------------

#[tokio::test]
async fn deeply_nested_json_is_400_invalid_syntax_not_a_stack_overflow() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let arrays = "[".repeat(100_000) + &"]".repeat(100_000);
    let objects = "{\"a\":".repeat(100_000) + "1" + &"}".repeat(100_000);
    let inside = format!(
        "{{\"schemas\":[\"{USER_SCHEMA}\"],\"userName\":\"x\",\"deep\":{}}}",
        "[".repeat(100_000) + &"]".repeat(100_000)
    );
    for body in [arrays, objects, inside] {
        for (method, path) in [
            (Method::POST, "/Users".to_owned()),
            (Method::PUT, format!("/Users/{id}")),
            (Method::PATCH, format!("/Users/{id}")),
            (Method::POST, "/Users/.search".to_owned()),
            (Method::POST, "/.search".to_owned()),
            (Method::POST, "/Bulk".to_owned()),
        ] {
            scim.send_bytes(method.clone(), &path, Some(body.clone().into_bytes()), &[])
                .await
                .expect_error(400, Some("invalidSyntax"));
        }
    }
    assert_eq!(user_count(&scim).await, 1);
}

#[tokio::test]
async fn a_filter_with_100k_nested_parentheses_is_400_invalid_filter() {
    let scim = Harness::new();
    scim.create_user("bjensen").await;
    let deep = "(".repeat(100_000) + "userName eq \"bjensen\"" + &")".repeat(100_000);
    scim.post("/Users/.search", search_request(json!({"filter": deep})))
        .await
        .expect_error(400, Some("invalidFilter"));
    let nots = "not (".repeat(20_000) + "userName eq \"bjensen\"" + &")".repeat(20_000);
    scim.post("/Users/.search", search_request(json!({"filter": nots})))
        .await
        .expect_error(400, Some("invalidFilter"));
    // Short enough for a URL, still deeper than any real filter.
    let deep = "(".repeat(1_000) + "userName eq \"bjensen\"" + &")".repeat(1_000);
    scim.get(&format!("/Users?filter={}", encode(&deep)))
        .await
        .expect_error(400, Some("invalidFilter"));
    let deep_value_path = "emails[".repeat(1_000) + "value eq \"x\"" + &"]".repeat(1_000);
    scim.get(&format!("/Users?filter={}", encode(&deep_value_path)))
        .await
        .expect_error(400, Some("invalidFilter"));
    // Moderate nesting is fine.
    let moderate = "(".repeat(30) + "userName eq \"bjensen\"" + &")".repeat(30);
    let r = scim
        .get(&format!("/Users?filter={}", encode(&moderate)))
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);
}

#[tokio::test]
async fn a_megabyte_or_chain_filter_is_400_invalid_filter() {
    let mut config = ServiceConfig::new(BASE);
    config.max_payload_size = 4 * 1024 * 1024;
    let scim = Harness::with_config(config);
    scim.create_user("bjensen").await;
    let mut chain = String::from("userName eq \"u0\"");
    let mut i = 1;
    while chain.len() < 1_000_000 {
        chain.push_str(&format!(" or userName eq \"u{i}\""));
        i += 1;
    }
    let body = search_request(json!({"filter": chain}));
    scim.post("/Users/.search", body)
        .await
        .expect_error(400, Some("invalidFilter"));
    scim.post("/.search", search_request(json!({"filter": chain})))
        .await
        .expect_error(400, Some("invalidFilter"));
}

#[tokio::test]
async fn a_long_but_reasonable_or_chain_is_evaluated() {
    // Above the default cap of comparisons, which an embedder may raise.
    let mut config = ServiceConfig::new(BASE);
    config.max_filter_operands = 2_000;
    let scim = Harness::with_config(config);
    for name in ["u7", "u1999", "outsider"] {
        scim.create_user(name).await;
    }
    let chain: Vec<String> = (0..2_000)
        .map(|i| format!("userName eq \"u{i}\""))
        .collect();
    let chain = chain.join(" or ");
    let r = scim
        .post(
            "/Users/.search",
            search_request(json!({"filter": chain, "sortBy": "userName"})),
        )
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 2);
    assert_eq!(r.body["Resources"][0]["userName"], "u1999");
    assert_eq!(r.body["Resources"][1]["userName"], "u7");
}

#[tokio::test]
async fn a_patch_path_of_100k_brackets_is_400_invalid_path() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    for path in [
        "emails[".repeat(100_000),
        "[".repeat(100_000),
        "a.".repeat(100_000) + "b",
        "emails[value eq \"".to_owned() + &"x".repeat(500_000) + "\"]",
    ] {
        scim.patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "add", "path": path, "value": "x"}])),
        )
        .await
        .expect_error(400, Some("invalidPath"));
    }
}

#[tokio::test]
async fn thousands_of_patch_operations_in_one_request_are_applied() {
    // Above the default cap of operations, which an embedder may raise.
    let mut config = ServiceConfig::new(BASE);
    config.max_patch_operations = 5_000;
    let scim = Harness::with_config(config);
    let id = scim.create_user("bjensen").await;
    let ops: Vec<Value> = (0..5_000)
        .map(|i| json!({"op": "replace", "path": "title", "value": format!("t{i}")}))
        .collect();
    let r = scim
        .patch(&format!("/Users/{id}"), patch_op(Value::Array(ops)))
        .await
        .expect(200);
    assert_eq!(r.body["title"], "t4999");
}

// ---------------------------------------------------------------------------
// NUL characters
// ---------------------------------------------------------------------------

#[tokio::test]
async fn nul_characters_in_body_values_are_400() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    for body in [
        json!({"schemas": [USER_SCHEMA], "userName": "a\u{0}b"}),
        json!({"schemas": [USER_SCHEMA], "userName": "nul1", "title": "\u{0}"}),
        json!({"schemas": [USER_SCHEMA], "userName": "nul2", "emails": [{"value": "a\u{0}@example.com"}]}),
        json!({"schemas": [USER_SCHEMA], "userName": "nul3", "name": {"givenName": "B\u{0}"}}),
        json!({"schemas": [USER_SCHEMA], "userName": "nul4", "favouriteColour": "blue\u{0}"}),
        json!({"schemas": [USER_SCHEMA], "userName": "nul5", "custom": {"nested": ["\u{0}"]}}),
        json!({"schemas": [USER_SCHEMA, enterprise], "userName": "nul6", enterprise: {"department": "\u{0}"}}),
    ] {
        let r = scim
            .post("/Users", body.clone())
            .await
            .expect_scim_error(400);
        assert_eq!(r.scim_type(), Some("invalidValue"), "{body}");
        let mut put = body;
        put["userName"] = json!(if put["userName"] == "a\u{0}b" {
            json!("a\u{0}b")
        } else {
            json!("bjensen")
        });
        scim.put(&format!("/Users/{id}"), put)
            .await
            .expect_scim_error(400);
    }
    for (path, value) in [
        (json!("title"), json!("x\u{0}y")),
        (json!("userName"), json!("\u{0}")),
        (json!("emails"), json!([{"value": "\u{0}"}])),
        (Value::Null, json!({"nickName": "\u{0}"})),
    ] {
        let mut op = json!({"op": "add", "value": value});
        if !path.is_null() {
            op["path"] = path;
        }
        scim.patch(&format!("/Users/{id}"), patch_op(json!([op])))
            .await
            .expect_scim_error(400);
    }
    // An operation on an attribute no schema defines is kept under the
    // Entra ID policy (Tolerance::KeepUnknownAttributes) or refused; either
    // way its NUL is never stored.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "add", "path": "favouriteColour", "value": "\u{0}"}])),
        )
        .await;
    assert!(r.status == 200 || r.status == 400, "{}", r.body);
    let r = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert!(!r.body.to_string().contains("\\u0000"), "{}", r.body);
    assert_eq!(user_count(&scim).await, 1);
}

#[tokio::test]
async fn nul_characters_in_attribute_names_are_400() {
    let scim = Harness::new();
    let mut statuses = Vec::new();
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    for body in [
        json!({"schemas": [USER_SCHEMA], "userName": "k1", "fav\u{0}Colour": "blue"}),
        json!({"schemas": [USER_SCHEMA], "userName": "k2", "custom": {"ke\u{0}y": 1}}),
        json!({"schemas": [USER_SCHEMA, enterprise], "userName": "k3", enterprise: {"cost\u{0}Center": "x"}}),
    ] {
        let r = scim.post("/Users", body.clone()).await;
        statuses.push((body.to_string(), r.status.as_u16()));
    }
    assert!(statuses.iter().all(|(_, s)| *s == 400), "{statuses:#?}");
    assert_eq!(user_count(&scim).await, 0);
}

#[tokio::test]
async fn nul_characters_in_url_paths_and_attributes_are_client_errors() {
    let scim = Harness::new();
    scim.create_user("bjensen").await;
    scim.get("/Users/a%00b").await.expect_error(404, None);
    scim.delete("/Users/%00").await.expect_error(404, None);
    scim.get("/Users?attributes=user%00Name")
        .await
        .expect_error(400, Some("invalidPath"));
}

#[tokio::test]
async fn a_nul_character_in_a_filter_value_is_400() {
    // pitfalls.md: "A NUL character in a string must become a 400, not a
    // database driver error". Refusing it in the protocol layer keeps it
    // from every store (PostgreSQL text cannot hold NUL at all).
    let scim = Harness::new();
    scim.create_user("bjensen").await;
    let r = scim.get("/Users?filter=userName+eq+%22bjen%00sen%22").await;
    assert_client_error(&r, 400);
    let r = scim
        .post(
            "/Users/.search",
            search_request(json!({"filter": "userName eq \"a\\u0000b\""})),
        )
        .await;
    assert_client_error(&r, 400);
}

// ---------------------------------------------------------------------------
// SQL-looking strings
// ---------------------------------------------------------------------------

#[tokio::test]
async fn sql_looking_values_are_stored_and_matched_literally() {
    let scim = Harness::new();
    let bobby = "Robert'); DROP TABLE Students;--";
    let id = scim.create_user(bobby).await;
    scim.create_user("alice").await;
    scim.create_user("a_b").await;
    scim.create_user("100%").await;
    let r = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(r.body["userName"], bobby);
    let r = scim
        .get(&format!(
            "/Users?filter={}",
            encode(&format!("userName eq \"{bobby}\""))
        ))
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);

    for (filter, expected) in [
        ("userName eq \"x' OR '1'='1\"", 0),
        ("userName eq \"' OR 1=1 --\"", 0),
        ("userName co \"'\"", 1),
        // LIKE wildcards are literal characters.
        ("userName co \"_\"", 1),
        ("userName sw \"%\"", 0),
        ("userName co \"%\"", 1),
        ("userName ew \"\\\\\"", 0),
        ("userName eq \"%\"", 0),
        ("userName co \"*\"", 0),
    ] {
        let r = scim
            .get(&format!("/Users?filter={}", encode(filter)))
            .await
            .expect(200);
        assert_eq!(r.body["totalResults"], expected, "{filter}");
    }
    assert_eq!(user_count(&scim).await, 4);
}

#[tokio::test]
async fn sql_fragments_in_filters_are_invalid_filters() {
    let scim = Harness::new();
    scim.create_user("alice").await;
    for filter in [
        "userName eq \"x\" OR 1=1",
        "userName eq \"x\"; DROP TABLE users",
        "userName eq \"x\" -- comment",
        "1=1",
        "userName eq 'x'",
        "userName = \"x\"",
        "userName eq \"x\" UNION SELECT * FROM users",
    ] {
        scim.get(&format!("/Users?filter={}", encode(filter)))
            .await
            .expect_error(400, Some("invalidFilter"));
    }
    assert_eq!(user_count(&scim).await, 1);
}

#[tokio::test]
async fn sql_fragments_in_ids_attributes_and_sort_by_are_harmless() {
    let scim = Harness::new();
    let id = scim.create_user("alice").await;
    for path in [
        "/Users/1'%20OR%20'1'='1",
        "/Users/1;DROP%20TABLE%20users",
        "/Users/*",
        "/Users/%25",
        "/Users/'",
        "/Groups/1%20OR%201=1",
    ] {
        scim.get(path).await.expect_error(404, None);
        scim.delete(path).await.expect_error(404, None);
        scim.patch(
            path,
            patch_op(json!([{"op": "add", "path": "title", "value": "x"}])),
        )
        .await
        .expect_error(404, None);
    }
    for query in [
        "attributes=userName%3BDROP%20TABLE%20users",
        "attributes=*",
        "attributes=userName)%20OR%20(1=1",
        "excludedAttributes=%27%20OR%20%271%27=%271",
    ] {
        let r = scim.get(&format!("/Users?{query}")).await;
        if r.status == 200 {
            // Ignored as unknown attributes: nothing but what is always
            // returned.
            assert_eq!(r.body["totalResults"], 1, "{query}");
        } else {
            assert_client_error(&r, 400);
        }
    }
    for sort_by in [
        "userName;DROP TABLE users",
        "userName DESC",
        "1",
        "userName--",
    ] {
        let r = scim
            .get(&format!("/Users?sortBy={}", encode(sort_by)))
            .await;
        assert_client_error(&r, 400);
    }
    assert_eq!(
        scim.get(&format!("/Users/{id}")).await.expect(200).body["userName"],
        "alice"
    );
    assert_eq!(user_count(&scim).await, 1);
}

// ---------------------------------------------------------------------------
// Ids, paths, encodings
// ---------------------------------------------------------------------------

#[tokio::test]
async fn very_long_ids_are_404() {
    let scim = Harness::new();
    scim.create_user("alice").await;
    for len in [1_024, 1_025, 10_000, 60_000] {
        let path = format!("/Users/{}", "a".repeat(len));
        scim.get(&path).await.expect_error(404, None);
        scim.put(&path, user_body("alice"))
            .await
            .expect_error(404, None);
        scim.patch(
            &path,
            patch_op(json!([{"op": "add", "path": "title", "value": "x"}])),
        )
        .await
        .expect_error(404, None);
        scim.delete(&path).await.expect_error(404, None);
    }
    let long = "é".repeat(5_000);
    scim.get(&format!("/Users/{}", encode(&long)))
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn a_very_long_filter_value_is_just_a_value() {
    let scim = Harness::new();
    scim.create_user("alice").await;
    let filter = format!("userName eq \"{}\"", "x".repeat(30_000));
    let r = scim
        .get(&format!("/Users?filter={}", encode(&filter)))
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
}

#[tokio::test]
async fn invalid_utf8_bodies_are_400_invalid_syntax() {
    let scim = Harness::new();
    let id = scim.create_user("alice").await;
    let bodies: Vec<Vec<u8>> = vec![
        b"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"\xff\xfe\"}".to_vec(),
        b"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"\xc0\xaf\"}".to_vec(),
        b"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"\xed\xa0\x80\"}".to_vec(),
        br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\ud800"}"#.to_vec(),
        b"\xff\xfe{\x00}\x00".to_vec(),
        b"{\"\xff\":1}".to_vec(),
    ];
    for body in bodies {
        for (method, path) in [
            (Method::POST, "/Users".to_owned()),
            (Method::PUT, format!("/Users/{id}")),
            (Method::PATCH, format!("/Users/{id}")),
            (Method::POST, "/Users/.search".to_owned()),
            (Method::POST, "/Bulk".to_owned()),
        ] {
            scim.send_bytes(method.clone(), &path, Some(body.clone()), &[])
                .await
                .expect_error(400, Some("invalidSyntax"));
        }
    }
    assert_eq!(user_count(&scim).await, 1);
}

#[tokio::test]
async fn non_ascii_and_astral_values_round_trip() {
    let scim = Harness::new();
    let name = "Zoë 😀 Ωμέγα";
    let r = scim.post("/Users", user_body(name)).await.expect(201);
    let id = r.body["id"].as_str().unwrap();
    assert_eq!(
        scim.get(&format!("/Users/{id}")).await.expect(200).body["userName"],
        name
    );
    let r = scim
        .get(&format!(
            "/Users?filter={}",
            encode(&format!("userName eq \"{name}\""))
        ))
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);
}

#[tokio::test]
async fn percent_encoded_garbage_in_paths_is_404_never_500() {
    let scim = Harness::new();
    scim.create_user("alice").await;
    for path in [
        "/Users/%FF%FE%FD",
        "/Users/%C0%AF",
        "/Users/%",
        "/Users/%zz",
        "/Users/%2",
        "/Users/%2F",
        "/Users/..%2F..%2Fetc%2Fpasswd",
        "/Users/%2e%2e",
        "/%2e%2e/Users",
        "/Users/%0A%0D",
        "/%FF",
        "/Users/.search%00",
        "/Schemas/%FF",
        "/ResourceTypes/%00",
    ] {
        scim.get(path).await.expect_error(404, None);
    }
    // Percent-encoded unreserved characters are the characters themselves
    // (RFC 3986 §6.2.2.2).
    let r = scim.get("/Us%65rs").await.expect(200);
    assert_eq!(r.body["totalResults"], 1);
}

// ---------------------------------------------------------------------------
// Paging values
// ---------------------------------------------------------------------------

#[tokio::test]
async fn huge_and_negative_paging_values_are_clamped() {
    let scim = Harness::new();
    for name in ["alice", "bob", "carol"] {
        scim.create_user(name).await;
    }
    for (query, items) in [
        ("startIndex=99999999999999999999999", 0),
        ("startIndex=9223372036854775807", 0),
        (
            "startIndex=9223372036854775807&count=9223372036854775807",
            0,
        ),
        ("count=99999999999999999999", 3),
        ("count=9223372036854775807", 3),
        ("startIndex=-99999999999999999999&count=2", 2),
        ("startIndex=-9223372036854775808", 3),
        ("count=-99999999999999999999", 0),
        ("count=-9223372036854775808", 0),
        ("startIndex=&count=", 3),
        ("startIndex=%20&count=%20", 3),
    ] {
        let r = scim.get(&format!("/Users?{query}")).await.expect(200);
        assert_eq!(r.body["totalResults"], 3, "{query}");
        assert_eq!(r.body["itemsPerPage"], items, "{query}");
        assert_eq!(
            r.body["Resources"].as_array().unwrap().len(),
            items,
            "{query}"
        );
        assert!(
            r.body["startIndex"].as_u64().is_some_and(|s| s >= 1),
            "{query}"
        );
    }
    for body in [
        json!({"startIndex": 18_446_744_073_709_551_615_u64, "count": -1}),
        json!({"startIndex": -5, "count": 18_446_744_073_709_551_615_u64}),
    ] {
        let mut request = body.clone();
        request["schemas"] = json!([SEARCH_REQUEST]);
        scim.post("/Users/.search", request.clone())
            .await
            .expect(200);
        scim.post("/.search", request).await.expect(200);
    }
}

#[tokio::test]
async fn non_integer_paging_values_are_400_invalid_value() {
    let scim = Harness::new();
    scim.create_user("alice").await;
    for query in [
        "count=abc",
        "count=1.5",
        "startIndex=x",
        "count=0x10",
        "count=1e3",
        "startIndex=1-2",
        "count=--1",
    ] {
        scim.get(&format!("/Users?{query}"))
            .await
            .expect_error(400, Some("invalidValue"));
    }
    for value in [
        json!("abc"),
        json!(true),
        json!([1]),
        json!({"n": 1}),
        json!(2.5),
    ] {
        scim.post(
            "/Users/.search",
            search_request(json!({"count": value.clone()})),
        )
        .await
        .expect_error(400, Some("invalidValue"));
        scim.post("/.search", search_request(json!({"startIndex": value})))
            .await
            .expect_error(400, Some("invalidValue"));
    }
}

// ---------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------

#[tokio::test]
async fn garbage_conditional_headers_never_cause_a_5xx() {
    let scim = Harness::new();
    let id = scim.create_user("alice").await;
    let path = format!("/Users/{id}");
    let long = "W/\"".to_owned() + &"x".repeat(10_000) + "\"";
    for tag in [
        "\"unterminated",
        "W/",
        "",
        ",,,",
        "W/\"a\"\"b\"",
        long.as_str(),
        "*x",
    ] {
        scim.send_with(
            Method::PATCH,
            &path,
            Some(patch_op(
                json!([{"op": "add", "path": "title", "value": "x"}]),
            )),
            &[("if-match", tag)],
        )
        .await
        .expect_error(412, None);
        scim.send_with(Method::DELETE, &path, None, &[("if-match", tag)])
            .await
            .expect_error(412, None);
        scim.send_with(Method::GET, &path, None, &[("if-none-match", tag)])
            .await
            .expect(200);
    }
    assert!(
        scim.get(&path)
            .await
            .expect(200)
            .body
            .get("title")
            .is_none()
    );
}

#[tokio::test]
async fn garbage_authorization_and_content_type_headers_are_client_errors() {
    let scim = Harness::new();
    let huge = format!("Bearer {}", "t".repeat(16_000));
    for auth in [
        huge.as_str(),
        "Bearer  ",
        "Bearer test-token test-token",
        "Negotiate xyz",
    ] {
        let r = scim
            .send_raw(Method::GET, "/Users", None, &[("authorization", auth)])
            .await;
        assert_client_error(&r, 401);
    }
    for content_type in [
        "",
        "garbage",
        "application/",
        "/json",
        "application/json+xml;;;",
        "text/json",
    ] {
        let r = scim
            .send_bytes(
                Method::POST,
                "/Users",
                Some(serde_json::to_vec(&user_body("alice")).unwrap()),
                &[("content-type", content_type)],
            )
            .await;
        assert_client_error(&r, 415);
    }
    assert_eq!(user_count(&scim).await, 0);
}

// ---------------------------------------------------------------------------
// Bulk
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_maximal_bulk_request_of_unresolvable_references_ends() {
    let scim = Harness::new();
    // 1,000 operations (the default maximum) in one reference cycle.
    let ops: Vec<Value> = (0..1_000)
        .map(|i| {
            json!({
                "method": "POST",
                "path": "/Groups",
                "bulkId": format!("g{i}"),
                "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                         "displayName": format!("G{i}"),
                         "members": [{"value": format!("bulkId:g{}", (i + 1) % 1_000)}]}
            })
        })
        .collect();
    let r = scim
        .post("/Bulk", bulk_request(Value::Array(ops)))
        .await
        .expect(200);
    let results = r.body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), 1_000);
    assert!(results.iter().all(|op| {
        op["status"]
            .as_str()
            .is_some_and(|s| s.starts_with('4') || s == "201")
    }));
}

// ---------------------------------------------------------------------------
// Caps on the work one request may ask for (ServiceConfig)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_patch_over_max_patch_operations_is_413_and_changes_nothing() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let ops = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"op": "replace", "path": "title", "value": format!("t{i}")}))
            .collect()
    };
    let r = scim
        .patch(&format!("/Users/{id}"), patch_op(ops(1_001)))
        .await
        .expect_error(413, None);
    assert!(
        r.body["detail"].as_str().unwrap().contains("limit is 1000"),
        "{}",
        r.body
    );
    let user = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert!(user.body.get("title").is_none());
    let r = scim
        .patch(&format!("/Users/{id}"), patch_op(ops(1_000)))
        .await
        .expect(200);
    assert_eq!(r.body["title"], "t999");
}

/// `userName co "x0" or userName co "x1" or …` with `n` comparisons.
fn co_chain(n: usize) -> String {
    (0..n)
        .map(|i| format!("userName co \"x{i}\""))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[tokio::test]
async fn a_filter_over_max_filter_operands_is_400_too_many_everywhere() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let over = co_chain(101);
    let r = scim
        .get(&format!("/Users?filter={}", encode(&over)))
        .await
        .expect_error(400, Some("tooMany"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("limit is 100"),
        "{}",
        r.body
    );
    scim.post("/Users/.search", search_request(json!({"filter": over})))
        .await
        .expect_error(400, Some("tooMany"));
    scim.post("/.search", search_request(json!({"filter": over})))
        .await
        .expect_error(400, Some("tooMany"));
    // Comparisons inside a value path count too, and so do PATCH paths.
    let inside = format!("emails[{}]", co_chain(101).replace("userName", "value"));
    scim.get(&format!("/Users?filter={}", encode(&inside)))
        .await
        .expect_error(400, Some("tooMany"));
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(json!([{"op": "remove", "path": inside}])),
    )
    .await
    .expect_error(400, Some("tooMany"));
    // At the limit the filter is evaluated.
    let r = scim
        .post(
            "/Users/.search",
            search_request(json!({"filter": co_chain(100)})),
        )
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
}

fn emails(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"value": format!("u{i}@example.com")}))
        .collect()
}

#[tokio::test]
async fn more_values_than_max_values_per_attribute_is_400_invalid_value() {
    let scim = Harness::new();
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "many", "emails": emails(1_001)}),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("1000 values"),
        "{}",
        r.body
    );
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "full", "emails": emails(1_000)}),
        )
        .await
        .expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    // One more by PATCH, or by PUT, is refused; the user keeps its 1,000.
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(
            json!([{"op": "add", "path": "emails", "value": [{"value": "one@more.example"}]}]),
        ),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    scim.put(
        &format!("/Users/{id}"),
        json!({"schemas": [USER_SCHEMA], "userName": "full", "emails": emails(1_001)}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let user = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(user.body["emails"].as_array().unwrap().len(), 1_000);
    assert_eq!(user_count(&scim).await, 1);
}

#[tokio::test]
async fn a_resource_over_max_resource_size_is_400_invalid_value() {
    let scim = Harness::new();
    let big = "x".repeat(300 * 1024);
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "big", "title": big}),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("limit is 262144"),
        "{}",
        r.body
    );
    // Growing a resource step by step stops at the limit too.
    let id = scim.create_user("grower").await;
    let half = "y".repeat(150 * 1024);
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(json!([{"op": "add", "path": "title", "value": half}])),
    )
    .await
    .expect(200);
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(json!([{"op": "add", "path": "displayName", "value": half}])),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let user = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert!(user.body.get("displayName").is_none());
}

#[tokio::test]
async fn group_members_are_exempt_from_the_value_and_size_caps() {
    let mut config = ServiceConfig::new(BASE);
    config.max_values_per_attribute = 10;
    config.max_resource_size = 2048;
    let scim = Harness::with_config(config);
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(scim.create_user(&format!("member{i}")).await);
    }
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let r = scim
        .post(
            "/Groups",
            json!({"schemas": [scim_tests::GROUP_SCHEMA], "displayName": "big", "members": members[..100]}),
        )
        .await
        .expect(201);
    let gid = r.body["id"].as_str().unwrap().to_owned();
    // A member-only PATCH, and one that also renames (the whole-group path).
    scim.patch(
        &format!("/Groups/{gid}"),
        patch_op(json!([{"op": "add", "path": "members", "value": members[100..150]}])),
    )
    .await
    .expect(204);
    scim.patch(
        &format!("/Groups/{gid}"),
        patch_op(json!([
            {"op": "replace", "path": "displayName", "value": "bigger"},
            {"op": "add", "path": "members", "value": members[150..]},
        ])),
    )
    .await
    .expect(204);
    let group = scim.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(group.body["displayName"], "bigger");
    assert_eq!(group.body["members"].as_array().unwrap().len(), 200);
    // Other attributes of a group are still capped.
    scim.patch(
        &format!("/Groups/{gid}"),
        patch_op(json!([{"op": "replace", "path": "displayName", "value": "z".repeat(4096)}])),
    )
    .await
    .expect_error(400, Some("invalidValue"));
}

// ---------------------------------------------------------------------------
// Requests in flight per tenant
// ---------------------------------------------------------------------------

mod held {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use scim_core::Error;
    use scim_core::id::{ResourceId, Version};
    use scim_core::list::{ListQuery, QueryResult};
    use scim_core::project::Projection;
    use scim_core::protocol::{Authenticator, Principal};
    use scim_core::resource::Resource;
    use scim_core::schema::ResourceSchema;
    use scim_core::store::memory::MemoryStore;
    use scim_core::store::{MemberDelta, ResourceStore, StoreError, TenantId};
    use scim_core::time::OffsetDateTime;
    use tokio::sync::Semaphore;

    /// A memory store whose queries wait until the test lets them go.
    #[derive(Debug)]
    pub(super) struct HeldStore {
        inner: MemoryStore,
        gate: Semaphore,
        pub(super) waiting: AtomicUsize,
    }

    impl HeldStore {
        pub(super) fn new() -> Self {
            Self {
                inner: MemoryStore::new(),
                gate: Semaphore::new(0),
                waiting: AtomicUsize::new(0),
            }
        }

        pub(super) fn release(&self) {
            self.gate.add_permits(1);
        }
    }

    #[scim_core::async_trait]
    impl ResourceStore for HeldStore {
        async fn create(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            r: Resource,
        ) -> Result<Resource, StoreError> {
            self.inner.create(t, s, r).await
        }

        async fn get(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            id: &ResourceId,
            p: &Projection,
        ) -> Result<Option<Resource>, StoreError> {
            self.inner.get(t, s, id, p).await
        }

        async fn replace(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            r: Resource,
            v: &Version,
        ) -> Result<Resource, StoreError> {
            self.inner.replace(t, s, r, v).await
        }

        async fn delete(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            id: &ResourceId,
            v: Option<&Version>,
        ) -> Result<(), StoreError> {
            self.inner.delete(t, s, id, v).await
        }

        async fn query(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            q: &ListQuery,
        ) -> Result<QueryResult, StoreError> {
            self.waiting.fetch_add(1, Ordering::SeqCst);
            // The permit goes back at once, so one release lets all go.
            drop(self.gate.acquire().await);
            self.inner.query(t, s, q).await
        }

        async fn modify_members(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            id: &ResourceId,
            d: &MemberDelta,
            v: Option<&Version>,
            at: OffsetDateTime,
        ) -> Result<Version, StoreError> {
            self.inner.modify_members(t, s, id, d, v, at).await
        }
    }

    /// The token is the tenant's name.
    #[derive(Debug)]
    pub(super) struct TokenIsTenant;

    #[scim_core::async_trait]
    impl Authenticator for TokenIsTenant {
        async fn authenticate(&self, request: &http::request::Parts) -> Result<Principal, Error> {
            scim_core::protocol::bearer_token(request)
                .map(|t| Principal::new(TenantId::new(t)))
                .ok_or_else(|| Error::unauthorized("no token".to_owned()))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_max_concurrent_requests_per_tenant_are_429_with_retry_after() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    let store = Arc::new(held::HeldStore::new());
    let mut config = ServiceConfig::new(BASE);
    config.max_concurrent_requests_per_tenant = 2;
    config.concurrency_retry_after = 3;
    let service = scim_core::protocol::Service::new(
        store.clone(),
        scim_core::schema::Registry::standard(),
        Arc::new(held::TokenIsTenant),
        config,
    );
    let scim = Arc::new(Harness::from_service(service));
    let held: Vec<_> = (0..2)
        .map(|_| {
            let scim = scim.clone();
            tokio::spawn(async move { scim.send_as("a", Method::GET, "/Users", None).await })
        })
        .collect();
    while store.waiting.load(Ordering::SeqCst) < 2 {
        tokio::task::yield_now().await;
    }
    let r = scim.send_as("a", Method::GET, "/Users/some-id", None).await;
    assert_client_error(&r, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("2 requests"),
        "{}",
        r.body
    );
    // Another tenant is not held up.
    scim.send_as("b", Method::GET, "/Users/some-id", None)
        .await
        .expect(404);
    store.release();
    for h in held {
        h.await.unwrap().expect(200);
    }
    // Finished requests give their places back.
    scim.send_as("a", Method::GET, "/Users/some-id", None)
        .await
        .expect(404);
}

// ---------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_request_with_two_authorization_headers_is_400() {
    let scim = Harness::new();
    let auth = format!("Bearer {}", scim_tests::TOKEN);
    for second in [auth.as_str(), "Bearer wrong", "Basic Zm9vOmJhcg=="] {
        let r = scim
            .send_raw(
                Method::GET,
                "/Users",
                None,
                &[("authorization", &auth), ("authorization", second)],
            )
            .await
            .expect_error(400, Some("invalidSyntax"));
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("one Authorization"),
            "{}",
            r.body
        );
    }
    // Also when the wrong one comes first.
    scim.send_raw(
        Method::POST,
        "/Users",
        Some(serde_json::to_vec(&user_body("x")).unwrap()),
        &[("authorization", "Bearer wrong"), ("authorization", &auth)],
    )
    .await
    .expect_error(400, Some("invalidSyntax"));
    assert_eq!(user_count(&scim).await, 0);
}

/// `n` group creations, each naming the next 30 groups of the request
/// as members: every reference points forward, so in-order processing
/// has to wait for almost every operation.
fn forward_chain(n: usize) -> Value {
    (0..n)
        .map(|i| {
            let members: Vec<Value> = (i + 1..(i + 31).min(n))
                .map(|j| json!({"value": format!("bulkId:g{j}")}))
                .collect();
            json!({
                "method": "POST",
                "path": "/Groups",
                "bulkId": format!("g{i}"),
                "data": {"schemas": [scim_tests::GROUP_SCHEMA],
                         "displayName": format!("G{i}"),
                         "members": members}
            })
        })
        .collect()
}

/// Runs the chain of `n` and returns how long it took and the number of
/// operations the service reported for the rate limiter.
async fn run_chain(n: usize) -> (std::time::Duration, usize) {
    let scim = Harness::new();
    let body = serde_json::to_vec(&bulk_request(forward_chain(n))).unwrap();
    let request = http::Request::post(format!("{BASE}/Bulk"))
        .header("authorization", format!("Bearer {}", scim_tests::TOKEN))
        .header("content-type", "application/scim+json")
        .body(body)
        .unwrap();
    let started = std::time::Instant::now();
    let response = scim.service.handle(request).await;
    let took = started.elapsed();
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    let results = body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), n);
    assert!(results.iter().all(|op| op["status"] == "201"), "{body}");
    let info = response
        .extensions()
        .get::<scim_core::protocol::RequestInfo>()
        .unwrap();
    (took, info.operations)
}

#[tokio::test]
async fn resolving_forward_bulk_ids_grows_linearly_and_counts_each_operation() {
    // Once one pass over every operation per resolved reference: 1,000
    // operations with 30 references each took 13.6 s. Four times the
    // operations must cost far less than sixteen times the time; the
    // generous bound leaves room for a busy machine.
    let (small, small_ops) = run_chain(250).await;
    let (large, large_ops) = run_chain(1_000).await;
    assert_eq!((small_ops, large_ops), (250, 1_000));
    assert!(
        large < small * 10,
        "250 operations took {small:?}, 1,000 took {large:?}"
    );
}

#[tokio::test]
async fn the_path_filters_of_one_patch_are_capped_together_except_for_members() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let ops = |n: usize, attr: &str| -> Value {
        (0..n)
            .map(|i| json!({"op": "remove", "path": format!("{attr}[value eq \"x{i}\"]")}))
            .collect()
    };
    let r = scim
        .patch(&format!("/Users/{id}"), patch_op(ops(101, "emails")))
        .await
        .expect_error(400, Some("tooMany"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("101 filter comparisons"),
        "{}",
        r.body
    );
    scim.patch(&format!("/Users/{id}"), patch_op(ops(100, "emails")))
        .await
        .expect(200);
    // A members-only PATCH is applied by id, so its filters are not summed.
    let member = scim.create_user("member").await;
    let gid = scim.create_group("G", &[&member]).await;
    scim.patch(&format!("/Groups/{gid}"), patch_op(ops(500, "members")))
        .await
        .expect(204);
}

#[tokio::test(flavor = "current_thread")]
async fn a_long_patch_lets_other_requests_run_between_its_operations() {
    // One executor thread: without yields the PATCH would run to the end
    // before the GET was even polled.
    let scim = std::sync::Arc::new(Harness::new());
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "w", "emails": emails(1_000)}),
        )
        .await
        .expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let ops: Value = (0..1_000)
        .map(|i| json!({"op": "add", "path": "emails", "value": [{"value": format!("u{i}@example.com")}]}))
        .collect();
    let patch = {
        let scim = scim.clone();
        tokio::spawn(async move { scim.patch(&format!("/Users/{id}"), patch_op(ops)).await })
    };
    let get = {
        let scim = scim.clone();
        tokio::spawn(async move { scim.get("/Users?count=1").await })
    };
    get.await.unwrap().expect(200);
    assert!(!patch.is_finished(), "the GET waited for the whole PATCH");
    patch.await.unwrap().expect(200);
}
