//! Deployment safety: private data files, no plain HTTP or `Host`-derived
//! URLs beyond loopback, and operator-chosen tokens that are long and never
//! echoed.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use crate::support::{BIN, Server, Storage, TOKEN};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Runs `serve` with these arguments and environment, expecting it to
/// refuse to start; returns its stderr.
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let Storage::Sqlite(dir) = Storage::sqlite() else {
        unreachable!()
    };
    let output = Command::new(BIN)
        .arg("--data-dir")
        .arg(&dir)
        .arg("serve")
        .args(args)
        .env("SCIM_BOOTSTRAP_TOKEN", TOKEN)
        .env_remove("SCIM_DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        !output.status.success(),
        "serve {args:?} should refuse to start; it printed {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn the_data_directory_and_database_files_are_private() {
    let storage = Storage::sqlite();
    let Storage::Sqlite(dir) = &storage else {
        unreachable!()
    };
    // A directory someone created world-readable is tightened.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = Server::start(&storage, &[]);
    let scim = server.client(TOKEN);
    scim.get("/Users?count=1").await.expect(200);
    assert_eq!(mode(dir), 0o700, "the data directory");
    for name in ["scim.db", "scim.db-wal", "scim.db-shm"] {
        let path = dir.join(name);
        if path.exists() || name == "scim.db" {
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    drop(server);
    // A database file loosened while the server was down is tightened
    // at the next start, with a log line.
    let db = dir.join("scim.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let server = Server::start_with_env(&storage, &[], &[("SCIM_LOG", "warn")]);
    assert_eq!(mode(&db), 0o600);
    server.wait_for_log(&["restricted the permissions"]).await;
}

#[test]
fn beyond_loopback_the_server_needs_a_public_url() {
    let stderr = refused(&["--listen", "0.0.0.0:0"], &[]);
    assert!(stderr.contains("--public-url"), "{stderr}");
    assert!(stderr.contains("Host header"), "{stderr}");
}

#[test]
fn beyond_loopback_plain_http_needs_an_explicit_proxy_flag() {
    let stderr = refused(
        &[
            "--listen",
            "0.0.0.0:0",
            "--public-url",
            "https://scim.example.com/scim/v2",
        ],
        &[],
    );
    assert!(stderr.contains("--behind-tls-proxy"), "{stderr}");
}

#[test]
fn a_short_or_unsafe_bootstrap_token_is_refused() {
    for token in [
        "short-token",
        "a-bootstrap-token-one-too-short",
        "a bootstrap token with spaces in it, long",
    ] {
        let stderr = refused(
            &["--listen", "127.0.0.1:0"],
            &[("SCIM_BOOTSTRAP_TOKEN", token)],
        );
        assert!(stderr.contains("at least 32 characters"), "{stderr}");
        assert!(!stderr.contains(token), "the token is echoed: {stderr}");
    }
}

#[tokio::test]
async fn behind_a_declared_tls_proxy_it_listens_beyond_loopback_with_its_public_url() {
    let storage = Storage::sqlite();
    let server = Server::start_listening(
        &storage,
        "0.0.0.0:0",
        &[
            "--public-url",
            "https://scim.example.com/scim/v2",
            "--behind-tls-proxy",
        ],
        &[("SCIM_LOG", "warn")],
    );
    assert!(
        server
            .banner
            .contains("Public URL: https://scim.example.com/scim/v2"),
        "{}",
        server.banner
    );
    // The choice is logged (after the banner, so wait for the line).
    server.wait_for_log(&["--behind-tls-proxy"]).await;
    let scim = server.client(TOKEN);
    // A client's Host header never reaches Location or meta.location.
    let request = http::Request::post(format!("{}/Users", scim.base))
        .header("host", "evil.example.net")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/scim+json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            serde_json::to_vec(&serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "host.header@example.com",
                "name": {"givenName": "Host", "familyName": "Header"},
                "emails": [{"type": "work", "value": "host.header@example.com", "primary": true}]
            }))
            .unwrap(),
        )))
        .unwrap();
    let r = scim.request(request).await.expect(201);
    let location = r.header("location").unwrap_or_default().to_owned();
    assert!(
        location.starts_with("https://scim.example.com/scim/v2/Users/"),
        "{location}"
    );
    assert_eq!(r.body["meta"]["location"], location.as_str());
}
