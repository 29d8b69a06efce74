//! Operations: request logs, readiness, token rotation with a grace
//! period, token usage, and the command line's answers.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Proxy, Server, Storage, TOKEN, cleanup};

/// The JSON log line (`--log-format json`) that contains every needle.
async fn log_line(server: &Server, needles: &[&str]) -> Value {
    let line = server.wait_for_log(needles).await;
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[tokio::test]
async fn failure_log_lines_carry_scim_type_and_detail_but_no_body_or_token() {
    let storage = Storage::sqlite();
    let server =
        Server::start_with_env(&storage, &["--log-format", "json"], &[("SCIM_LOG", "info")]);
    let scim = server.client(TOKEN);
    scim.get("/Users?filter=userName%20eq")
        .await
        .expect_scim_error(400);
    let line = log_line(&server, &["\"status\":400", "invalidFilter"]).await;
    let fields = &line["fields"];
    assert_eq!(fields["scim_type"], "invalidFilter", "{line}");
    assert!(
        fields["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{line}"
    );
    assert_eq!(fields["path"], "/scim/v2/Users", "the query is not logged");
    assert!(fields.get("cause").is_none(), "{line}");

    // A body the service cannot parse: the detail says where, not what.
    let marker = "body-marker-4711";
    let request = http::Request::post(format!("{}/Users", scim.base))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/scim+json")
        .body(http_body_util::Full::new(bytes::Bytes::from(format!(
            "{{\"userName\": \"{marker}\", "
        ))))
        .unwrap();
    scim.request(request).await.expect_scim_error(400);
    let line = log_line(&server, &["\"status\":400", "invalidSyntax"]).await;
    assert_eq!(line["fields"]["method"], "POST", "{line}");

    // A request the server answers itself (no token at all).
    server.client("").get("/Users").await.expect_scim_error(401);
    log_line(&server, &["\"status\":401", "detail"]).await;

    let logs = server.logs();
    assert!(!logs.contains(marker), "a body was logged:\n{logs}");
    assert!(!logs.contains(TOKEN), "a token was logged:\n{logs}");
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn healthz_is_liveness_and_readyz_touches_the_database() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &[]);
    let root = server.client("");
    for path in ["/healthz", "/readyz"] {
        let request = http::Request::get(format!("{}{path}", server.origin))
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        let reply = root.request(request).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(
            reply
                .header("content-type")
                .is_some_and(|c| c.starts_with("text/plain")),
            "{path}"
        );
    }
    drop(server);
    cleanup(&storage);
}

/// `GET` of a path outside the SCIM base, without a token.
async fn get_root(server: &Server, path: &str) -> u16 {
    let request = http::Request::get(format!("{}{path}", server.origin))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    server.client("").request(request).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_readyz_and_logs_the_cause_of_500s() {
    let Some(direct) =
        Storage::postgres("a_database_outage_fails_readyz_and_logs_the_cause_of_500s")
    else {
        return;
    };
    let proxy = Proxy::start(&direct).await;
    let storage = direct.through(&proxy);
    let server =
        Server::start_with_env(&storage, &["--log-format", "json"], &[("SCIM_LOG", "info")]);
    let scim = server.client(TOKEN);
    scim.get("/Users").await.expect(200);
    assert_eq!(get_root(&server, "/readyz").await, 200);

    proxy.cut().await;
    // The token cache may answer for 2 s more; then the lookup fails too.
    let deadline = Instant::now() + Duration::from_secs(20);
    while get_root(&server, "/readyz").await != 503 {
        assert!(Instant::now() < deadline, "/readyz still says ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(get_root(&server, "/healthz").await, 200, "still alive");
    let reply = scim.get("/Users").await.expect_scim_error(500);
    let detail = reply.body["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("has been logged"), "{detail}");
    let line = log_line(&server, &["\"status\":500", "cause"]).await;
    assert_eq!(line["level"], "ERROR", "{line}");
    let cause = line["fields"]["cause"].as_str().unwrap_or_default();
    assert!(cause.contains("PostgreSQL connection"), "{line}");
    assert!(!detail.contains(cause), "the client is not told the cause");
    server.wait_for_log(&["not ready"]).await;
    drop(server);
}

#[tokio::test]
async fn provisioning_with_a_body_is_never_logged() {
    let storage = Storage::sqlite();
    let server = Server::start_with_env(&storage, &[], &[("SCIM_LOG", "info")]);
    let scim = server.client(TOKEN);
    let id = scim.create_host("logged.never@example.com").await;
    scim.post(
        "/Users",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "logged.never@example.com",
        }),
    )
    .await
    .expect_scim_error(409);
    server.wait_for_log(&["status=409", "uniqueness"]).await;
    scim.get(&format!("/Users/{id}")).await.expect(200);
    drop(server);
    cleanup(&storage);
}
