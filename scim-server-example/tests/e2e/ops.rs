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
            "name": {"givenName": "Logged", "familyName": "Never"},
            "emails": [{"type": "work", "value": "logged.never@example.com"}],
        }),
    )
    .await
    .expect_scim_error(409);
    server.wait_for_log(&["status=409", "uniqueness"]).await;
    scim.get(&format!("/Users/{id}")).await.expect(200);
    drop(server);
    cleanup(&storage);
}

/// Waits until `scim` gets `status` for `GET /Users` (the token cache
/// answers for up to 2 s after a change).
async fn wait_for_status(scim: &crate::support::Scim, status: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while scim.get("/Users").await.status != status {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The `tenant list` line of `name`.
fn list_line(storage: &Storage, name: &str) -> String {
    let list = storage.command(&["tenant", "list"]);
    list.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {list}"))
        .to_owned()
}

/// Rotation keeps the old token working for the grace period across the
/// token cache, a second rotation ends the first old token, revocation
/// ends the grace on the running server, and `tenant list` shows when each
/// token was created and last used.
async fn rotation_grace_and_revocation(storage: &Storage) {
    let mut server = Server::start(storage, &[]);
    let t1 = storage.create_tenant("initech");
    let scim = |token: &str| server.client(token);
    scim(&t1).get("/Users").await.expect(200);

    let out = storage.command(&["tenant", "rotate-token", "initech", "--grace", "1h"]);
    assert!(out.contains("keeps working until"), "{out}");
    let t2 = crate::support::token_in(&out, "New token for initech:");
    // Past the 2 s cache, both work.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    scim(&t1).get("/Users").await.expect(200);
    scim(&t2).get("/Users").await.expect(200);
    let line = list_line(storage, "initech");
    assert!(line.contains("works until"), "{line}");

    // A second rotation ends t1's grace; t2 is now the previous token.
    let out = storage.command(&["tenant", "rotate-token", "initech"]);
    let t3 = crate::support::token_in(&out, "New token for initech:");
    wait_for_status(
        &scim(&t1),
        401,
        "the first token outlived a second rotation",
    )
    .await;
    scim(&t2).get("/Users").await.expect(200);
    scim(&t3).get("/Users").await.expect(200);

    // Revocation ends t2 on the running server; t3 keeps working.
    let out = storage.command(&["tenant", "revoke-token", "initech"]);
    assert!(out.contains("stops working within 2 s"), "{out}");
    wait_for_status(&scim(&t2), 401, "a revoked token still works").await;
    scim(&t3).get("/Users").await.expect(200);
    let out = storage.command(&["tenant", "revoke-token", "initech"]);
    assert!(out.contains("no previous token"), "{out}");

    // Uses are written off the request path; shutdown writes the rest.
    let line = list_line(storage, "initech");
    assert!(line.ends_with(" -"), "no previous token: {line}");
    assert!(server.terminate().success());
    let line = list_line(storage, "initech");
    let fields: Vec<&str> = line.split_whitespace().collect();
    // NAME ID CREATED TOKEN-CREATED LAST-USED PREVIOUS
    assert_eq!(fields.len(), 6, "{line}");
    assert!(fields[3].ends_with('Z'), "token created: {line}");
    assert!(fields[4].ends_with('Z'), "token last used: {line}");
    assert!(fields[4] >= fields[3], "{line}");
    let default = list_line(storage, "default");
    assert!(
        default
            .split_whitespace()
            .nth(4)
            .is_some_and(|u| u == "never"),
        "{default}"
    );
}

#[tokio::test]
async fn rotated_tokens_keep_working_for_the_grace_period_with_sqlite() {
    let storage = Storage::sqlite();
    rotation_grace_and_revocation(&storage).await;
    cleanup(&storage);
}

#[tokio::test]
async fn rotated_tokens_keep_working_for_the_grace_period_with_postgres() {
    let Some(storage) =
        Storage::postgres("rotated_tokens_keep_working_for_the_grace_period_with_postgres")
    else {
        return;
    };
    rotation_grace_and_revocation(&storage).await;
}

#[test]
fn commands_against_a_missing_database_fail_without_creating_one() {
    let cwd = std::env::temp_dir().join(format!("scim-e2e-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&cwd).unwrap();
    let missing = Storage::Sqlite(cwd.join("no-such-dir"));
    for args in [
        &["tenant", "list"][..],
        &["hosts", "list", "--tenant", "default"],
        &["groups", "list", "--tenant", "default"],
        &["tenant", "rotate-token", "default"],
        &["tenant", "revoke-token", "default"],
        &["tenant", "delete", "default", "--yes"],
    ] {
        let out = missing.output_in(&cwd, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("no database at"), "{args:?}: {stderr}");
    }
    assert!(
        !cwd.join("no-such-dir").exists(),
        "a data directory was created"
    );

    // The default data directory, from the current directory, likewise.
    let out = std::process::Command::new(crate::support::BIN)
        .current_dir(&cwd)
        .args(["tenant", "list"])
        .env_remove("SCIM_DATA_DIR")
        .env_remove("SCIM_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!cwd.join("scim-data").exists(), "scim-data was created");
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn tenant_create_prints_the_public_url_or_warns_and_delete_needs_yes() {
    let storage = Storage::sqlite();
    let Storage::Sqlite(dir) = &storage else {
        unreachable!()
    };
    let out = storage.output_in(dir, &["tenant", "create", "acme"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("127.0.0.1"), "a loopback URL: {stdout}");
    assert!(stdout.contains("Tenant URL: (not configured"), "{stdout}");
    assert!(stderr.contains("no public URL is configured"), "{stderr}");

    let out = storage.command(&[
        "tenant",
        "create",
        "globex",
        "--url",
        "https://scim.example.com/scim/v2",
    ]);
    assert!(
        out.contains("Tenant URL: https://scim.example.com/scim/v2"),
        "{out}"
    );

    let refused = storage.output_in(dir, &["tenant", "delete", "acme"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("0 hosts and 0 host groups") && stderr.contains("--yes"),
        "{stderr}"
    );
    assert!(storage.command(&["tenant", "list"]).contains("acme"));
    storage.command(&["tenant", "delete", "acme", "--yes"]);
    assert!(!storage.command(&["tenant", "list"]).contains("acme "));
    cleanup(&storage);
}

#[tokio::test]
async fn groups_list_counts_visible_hosts_apart_from_members() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &[]);
    let scim = server.client(TOKEN);
    let shown = scim.create_host("shown@example.com").await;
    let hidden = scim.create_host("hidden@example.com").await;
    scim.patch(
        &format!("/Users/{hidden}"),
        crate::support::patch_op(json!([{"op": "Replace", "path": "active", "value": false}])),
    )
    .await
    .expect(200);
    scim.post(
        "/Groups",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Lobby",
            "members": [{"value": shown}, {"value": hidden}],
        }),
    )
    .await
    .expect(201);
    let list = storage.command(&["groups", "list", "--tenant", "default"]);
    let header = list.lines().next().unwrap_or_default();
    assert!(
        header.contains("VISIBLE HOSTS") && header.contains("MEMBERS"),
        "{list}"
    );
    let row: Vec<&str> = list
        .lines()
        .find(|l| l.starts_with("Lobby"))
        .unwrap_or_else(|| panic!("{list}"))
        .split_whitespace()
        .collect();
    assert_eq!(row, ["Lobby", "1", "2"], "{list}");
    drop(server);
    cleanup(&storage);
}
