//! HTTP: routing, methods, media types, body framing and limits, and
//! authentication (RFC 7644 §2).

use http::Method;
use scim_core::protocol::ServiceConfig;
use scim_tests::{BASE, Harness, TOKEN, search_request};
use serde_json::{Value, json};

use super::user_body;

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
