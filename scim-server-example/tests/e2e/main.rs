//! End-to-end tests: the real binary on a free loopback port, driven over
//! HTTP, with the embedded SQLite store and (when `SCIM_TEST_POSTGRES_URL`
//! is set) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod connections;
mod deploy;
mod fairness;
mod head_first;
mod lifecycle;
mod names;
mod ops;
mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Server, Storage, TOKEN, cleanup, patch_op, token_in};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// The provisioning cycle of entra.md over HTTP, then the product's view.
async fn provisioning_cycle(storage: &Storage) {
    let server = Server::start(storage, &[]);
    assert!(
        !server.banner.contains(TOKEN) && server.banner.contains("SCIM_BOOTSTRAP_TOKEN"),
        "an operator-chosen token is never echoed: {}",
        server.banner
    );
    let scim = server.client(TOKEN);

    scim.get("/Users?filter=userName+eq+%22f3b1c9a2-6d4e-4b7a%22")
        .await
        .expect(200);
    let r = scim
        .post("/Users", json!({
            "schemas": [USER, ENTERPRISE],
            "userName": "amelia.hart@northwind.example",
            "active": "True",
            "emails": [{"primary": true, "type": "work", "value": "amelia.hart@northwind.example"}],
            "name": {"familyName": "Hart", "givenName": "Amelia"},
            "phoneNumbers": [{"type": "work", "value": "+1 206 555 0100"}, {"type": "mobile", "value": "+1 206 555 0142"}],
            ENTERPRISE: {"department": "Front Desk", "organization": "Northwind Traders"}
        }))
        .await
        .expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = scim
        .get("/Users?filter=userName+eq+%22AMELIA.HART%40northwind.example%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);
    scim.patch(&format!("/Users/{id}"), patch_op(json!([
        {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Visitor Services"},
        {"op": "Add", "path": "emails[type eq \"other\"].value", "value": "amelia@home.example"},
        {"op": "Replace", "path": "name.familyName", "value": "Hart-Lowe"}
    ]))).await.expect(200);
    // Soft delete: the host becomes invisible in the product but stays.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], false);
    let hosts = storage.command(&["hosts", "list", "--tenant", "default"]);
    assert!(
        !hosts.contains("amelia.hart@northwind.example"),
        "invisible hosts are hidden: {hosts}"
    );
    let all = storage.command(&["hosts", "list", "--tenant", "default", "--all"]);
    assert!(
        all.contains("amelia.hart@northwind.example") && all.contains("Hart-Lowe"),
        "{all}"
    );
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(json!([{"op": "replace", "path": "active", "value": true}])),
    )
    .await
    .expect(200);
    let hosts = storage.command(&["hosts", "list", "--tenant", "default"]);
    assert!(hosts.contains("Visitor Services"), "{hosts}");

    // A host group with members; 204 on membership PATCH.
    let other = scim.create_host("reza@northwind.example").await;
    let r = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Reception Hosts"}),
        )
        .await
        .expect(201);
    let group = r.body["id"].as_str().unwrap().to_owned();
    // The product profile: group names are unique per tenant, ignoring
    // case; a host needs its names and a work email.
    scim.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "RECEPTION hosts"}),
    )
    .await
    .expect_scim_error(409);
    scim.post(
        "/Users",
        json!({"schemas": [USER], "userName": "nameless@northwind.example"}),
    )
    .await
    .expect_scim_error(400);
    scim.patch(
        &format!("/Groups/{group}"),
        patch_op(json!([{"op": "Add", "path": "members",
        "value": [{"$ref": null, "value": id}, {"$ref": null, "value": other}]}])),
    )
    .await
    .expect(204);
    let groups = storage.command(&["groups", "list", "--tenant", "default"]);
    assert!(
        groups
            .lines()
            .any(|l| l.starts_with("Reception Hosts") && l.trim_end().ends_with('2')),
        "{groups}"
    );
    scim.patch(
        &format!("/Groups/{group}"),
        patch_op(json!([{"op": "Remove", "path": "members",
        "value": [{"value": id}]}])),
    )
    .await
    .expect(204);
    let r = scim.get(&format!("/Groups/{group}")).await.expect(200);
    assert_eq!(r.body["members"], json!([{"value": other}]));
    let r = scim
        .get("/Groups?excludedAttributes=members&filter=displayName+eq+%22reception+hosts%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);
    assert!(r.body["Resources"][0].get("members").is_none());
    // Unassigned host groups are deleted with their memberships.
    scim.delete(&format!("/Groups/{group}")).await.expect(204);
    let groups = storage.command(&["groups", "list", "--tenant", "default"]);
    assert!(!groups.contains("Reception Hosts"), "{groups}");
    // Hard delete.
    scim.delete(&format!("/Users/{id}")).await.expect(204);
    scim.get(&format!("/Users/{id}"))
        .await
        .expect_scim_error(404);
}

#[tokio::test]
async fn entra_cycle_over_http_with_sqlite() {
    let storage = Storage::sqlite();
    provisioning_cycle(&storage).await;
    cleanup(&storage);
}

#[tokio::test]
async fn entra_cycle_over_http_with_postgres() {
    let Some(storage) = Storage::postgres("entra_cycle_over_http_with_postgres") else {
        return;
    };
    provisioning_cycle(&storage).await;
}

/// An acknowledged write survives `kill -9` and a restart.
async fn restart_persistence(storage: &Storage) {
    let mut server = Server::start(storage, &[]);
    let scim = server.client(TOKEN);
    let id = scim.create_host("durable@northwind.example").await;
    server.kill();
    let server = Server::start(storage, &[]);
    assert!(
        !server.banner.contains("Created the first tenant"),
        "{}",
        server.banner
    );
    let scim = server.client(TOKEN);
    let r = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(r.body["userName"], "durable@northwind.example");
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_with_sqlite() {
    let storage = Storage::sqlite();
    restart_persistence(&storage).await;
    cleanup(&storage);
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_with_postgres() {
    let Some(storage) = Storage::postgres("acknowledged_writes_survive_kill_9_with_postgres")
    else {
        return;
    };
    restart_persistence(&storage).await;
}

#[tokio::test]
async fn tenants_are_isolated_and_tokens_rotate() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &[]);
    let other_token = storage.create_tenant("globex");
    let a = server.client(TOKEN);
    let b = server.client(&other_token);
    let id = a.create_host("same.name@example.com").await;
    // The same userName in another tenant is no conflict.
    let other_id = b.create_host("same.name@example.com").await;
    b.get(&format!("/Users/{id}")).await.expect_scim_error(404);
    a.get(&format!("/Users/{other_id}"))
        .await
        .expect_scim_error(404);
    let r = b.get("/Users").await.expect(200);
    assert_eq!(r.body["totalResults"], 1);
    b.delete(&format!("/Users/{id}"))
        .await
        .expect_scim_error(404);
    a.get(&format!("/Users/{id}")).await.expect(200);

    // Rotation without grace: the old token stops working (within the 2 s
    // cache), the new one works. (ops.rs tests the grace period.)
    let out = storage.command(&["tenant", "rotate-token", "globex", "--grace", "0"]);
    let new_token = token_in(&out, "New token for globex:");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if b.get("/Users").await.status == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "the old token still works");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server
        .client(&new_token)
        .get(&format!("/Users/{other_id}"))
        .await
        .expect(200);
    let list = storage.command(&["tenant", "list"]);
    assert!(
        list.contains("globex") && list.contains("default"),
        "{list}"
    );
    storage.command(&["tenant", "delete", "globex", "--yes"]);
    let deleted = server.client(&new_token);
    let deadline = Instant::now() + Duration::from_secs(10);
    while deleted.get("/Users").await.status != 401 {
        assert!(
            Instant::now() < deadline,
            "a deleted tenant's token still works"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    deleted.get("/Users").await.expect_scim_error(401);
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn unauthenticated_and_throttled_requests_get_scim_errors() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--rate-limit", "2"]);
    let r = server.client("").get("/Users").await.expect_scim_error(401);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer"))
    );
    server
        .client("wrong-token")
        .get("/Users")
        .await
        .expect_scim_error(401);
    // /healthz needs no token.
    let health = server
        .client("")
        .request(
            http::Request::get(format!("{}/healthz", server.origin))
                .body(Default::default())
                .unwrap(),
        )
        .await;
    assert_eq!(health.status, 200);
    let scim = server.client(TOKEN);
    let mut throttled = None;
    for _ in 0..10 {
        let r = scim.get("/Users").await;
        if r.status == 429 {
            throttled = Some(r);
            break;
        }
        assert_eq!(r.status, 200);
    }
    let r = throttled
        .expect("a burst beyond --rate-limit is throttled")
        .expect_scim_error(429);
    assert!(
        r.header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s >= 1)
    );
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn a_bulk_request_is_charged_one_token_per_operation() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--rate-limit", "5"]);
    let scim = server.client(TOKEN);
    let operations: Vec<serde_json::Value> = (0..20)
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                   "data": {"schemas": [USER], "userName": format!("bulk{i}")}})
        })
        .collect();
    let r = scim
        .post(
            "/Bulk",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                   "Operations": operations}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["Operations"].as_array().unwrap().len(), 20);
    // Twenty operations against a bucket of five: the next request waits.
    let r = scim.get("/Users").await.expect_scim_error(429);
    assert!(
        r.header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s >= 2),
        "{:?}",
        r.header("retry-after")
    );
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn oversized_bodies_and_headers_are_refused() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--max-body-bytes", "2048"]);
    let scim = server.client(TOKEN);
    let big = "x".repeat(4096);
    scim.post("/Users", json!({"schemas": [USER], "userName": big}))
        .await
        .expect_scim_error(413);
    let mut request = http::Request::get(format!("{}/Users", scim.base))
        .header("authorization", format!("Bearer {TOKEN}"));
    for i in 0..40 {
        request = request.header(format!("x-padding-{i}"), "y".repeat(1000));
    }
    let r = scim
        .request(request.body(Default::default()).unwrap())
        .await;
    assert_eq!(r.status, 431, "an oversized head is refused");
    drop(server);
    cleanup(&storage);
}

/// SIGTERM stops accepting, lets the request in flight finish, and exits
/// cleanly.
#[tokio::test]
async fn sigterm_finishes_requests_in_flight_then_exits() {
    use std::io::{Read, Write};

    let storage = Storage::sqlite();
    let mut server = Server::start(&storage, &[]);
    let addr = server.origin.trim_start_matches("http://").to_owned();
    let body = serde_json::to_vec(&json!({
        "schemas": [USER],
        "userName": "in.flight@example.com",
        "name": {"givenName": "In", "familyName": "Flight"},
        "emails": [{"type": "work", "value": "in.flight@example.com"}],
    }))
    .unwrap();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..10]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let pid_exit = std::thread::spawn(move || server.terminate());
    std::thread::sleep(Duration::from_millis(300));
    // New connections are refused once shutdown has begun.
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "still accepting after SIGTERM"
    );
    stream.write_all(&body[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let status = pid_exit.join().unwrap();
    assert!(status.success(), "{status:?}");
    cleanup(&storage);
}

/// Two server processes on one PostgreSQL database race to create the same
/// userName: exactly one wins.
#[tokio::test]
async fn two_servers_on_one_postgres_create_a_user_name_once() {
    let Some(storage) = Storage::postgres("two_servers_on_one_postgres_create_a_user_name_once")
    else {
        return;
    };
    let first = Server::start(&storage, &[]);
    let second = Server::start(&storage, &[]);
    for round in 0..5 {
        let name = format!("race{round}@northwind.example");
        let body = json!({
            "schemas": [USER],
            "userName": name,
            "name": {"givenName": "Race", "familyName": "Host"},
            "emails": [{"type": "work", "value": name}],
        });
        let (a, b) = (first.client(TOKEN), second.client(TOKEN));
        let mut tasks = Vec::new();
        for i in 0..8 {
            let client = if i % 2 == 0 { a.clone() } else { b.clone() };
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                client.post("/Users", body).await.status
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 409),
            "{statuses:?}"
        );
    }
}

/// One raw HTTP/1.1 exchange over any stream; returns the status line and
/// the rest of the response.
async fn raw_exchange<S>(stream: &mut S, request: &str) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn tls_serves_https_with_the_given_certificate() {
    use std::sync::Arc;

    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::pki_types::ServerName;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};

    let storage = Storage::sqlite();
    let Storage::Sqlite(dir) = &storage else {
        unreachable!()
    };
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let server = Server::start(
        &storage,
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    assert!(server.origin.starts_with("https://"), "{}", server.origin);
    let addr = server.origin.trim_start_matches("https://").to_owned();

    let mut roots = RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the TLS handshake succeeds with the configured certificate");
    let response = raw_exchange(
        &mut tls,
        &format!(
            "GET /scim/v2/Users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("urn:ietf:params:scim:api:messages:2.0:ListResponse"),
        "{response}"
    );
    // Location headers use https.
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn a_request_that_stalls_is_answered_408_after_the_timeout() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--request-timeout", "1"]);
    let addr = server.origin.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // The head arrives, the promised body never does.
    let response = raw_exchange(
        &mut stream,
        &format!(
            "POST /scim/v2/Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{{\"schemas\""
        ),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"status\":\"408\""), "{response}");
    drop(server);
    cleanup(&storage);
}
