//! Hostile input never panics, never hangs and never answers 5xx: deep
//! nesting, huge filters, NUL characters, SQL-looking strings, very long
//! ids, invalid UTF-8 and percent-encoded garbage
//! (pitfalls.md, "HTTP and hostile input").

use http::Method;
use scim_core::protocol::ServiceConfig;
use scim_tests::{BASE, Harness, USER_SCHEMA, patch_op, search_request};
use serde_json::{Value, json};

use crate::hostile::{assert_client_error, encode, user_body, user_count};

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
