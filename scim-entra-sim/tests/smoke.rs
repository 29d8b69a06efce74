//! Smoke test: the real `scim-entra-sim` binary against scim-core's
//! memory-store service mounted on hyper in this process, on a loopback
//! port. Asserts zero errors and that the hosts, groups and memberships the
//! simulator reports exist on the server afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::{AttributeSettings, Registry, RegistryBuilder, Uniqueness};
use scim_core::store::memory::MemoryStore;
use serde_json::Value;
use tokio::net::TcpListener;

const BIN: &str = env!("CARGO_BIN_EXE_scim-entra-sim");
const TOKEN: &str = "smoke-test-token";

async fn handle(
    scim: Service,
    request: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let response = scim.handle(http::Request::from_parts(parts, body)).await;
    Ok(response.map(|b| Full::new(Bytes::from(b))))
}

/// The reference server's Sign In Enterprise profile (its `--profile`
/// default): the simulated hosts must carry every required attribute, and
/// its group names must be unique ignoring case.
fn profile() -> Registry {
    [
        "userName",
        "name.givenName",
        "name.familyName",
        r#"emails[type eq "work"].value"#,
    ]
    .iter()
    .fold(RegistryBuilder::standard(), |b, path| {
        b.configure("User", path, AttributeSettings::new().required(true))
    })
    .configure(
        "Group",
        "displayName",
        AttributeSettings::new().uniqueness(Uniqueness::Server),
    )
    .build()
    .unwrap()
}

fn service() -> Service {
    Service::new(
        Arc::new(MemoryStore::new()),
        profile(),
        Arc::new(SingleTenant::new(TOKEN)),
        ServiceConfig::new("/scim/v2"),
    )
}

/// Serves the memory store on a free loopback port; returns the base URL.
async fn serve() -> String {
    let scim = service();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let scim = scim.clone();
            tokio::spawn(async move {
                let service = service_fn(move |r| handle(scim.clone(), r));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}/scim/v2")
}

/// The same over TLS with a fresh self-signed certificate for
/// `localhost`; returns the base URL and the certificate's PEM.
async fn serve_tls() -> (String, String) {
    use tokio_rustls::TlsAcceptor;
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let scim = service();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (scim, acceptor) = (scim.clone(), acceptor.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(move |r| handle(scim.clone(), r));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (format!("https://localhost:{port}/scim/v2"), cert.cert.pem())
}

async fn get(base: &str, path: &str) -> Value {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::get(format!("{base}{path}"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}

async fn sim_raw(args: &[&str]) -> (std::process::ExitStatus, String, String) {
    let out = tokio::process::Command::new(BIN)
        .args(args)
        .env_remove("SCIM_URL")
        .env_remove("SCIM_TOKEN")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status, stdout, stderr)
}

async fn sim(args: &[&str]) -> (std::process::ExitStatus, Value, String) {
    let (status, stdout, stderr) = sim_raw(args).await;
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (status, json, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_entra_workload_runs_clean_and_lands() {
    let base = serve().await;
    let started = Instant::now();
    let (status, report, stderr) = sim(&[
        "all",
        "--url",
        &base,
        "--token",
        TOKEN,
        "--hosts",
        "50",
        "--groups",
        "3",
        "--members-per-group",
        "20",
        "--largest-group",
        "30",
        "--update-fraction",
        "0.3",
        "--duration",
        "2s",
        "--concurrency",
        "4",
        "--seed",
        "7",
        "--json",
    ])
    .await;
    assert!(status.success(), "{status}: {report:#}\n{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report["errors"], 0, "{report:#}");
    let phases: Vec<&str> = report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["initial", "update", "steady"]);
    for phase in report["phases"].as_array().unwrap() {
        assert!(phase["requests"].as_u64().unwrap() > 0, "{phase:#}");
        assert_eq!(phase["errors"], 0, "{phase:#}");
        assert!(
            phase["latency"]["p99_ms"].as_f64().unwrap() > 0.0,
            "{phase:#}"
        );
    }
    let initial = &report["phases"][0];
    assert_eq!(initial["operations"]["create-user"]["requests"], 50);
    assert_eq!(initial["operations"]["lookup-user"]["requests"], 50);
    assert_eq!(initial["operations"]["create-group"]["requests"], 3);
    assert_eq!(initial["operations"]["get-group"]["requests"], 3);
    let steady = &report["phases"][2];
    assert!(steady["elapsed_s"].as_f64().unwrap() >= 2.0, "{steady:#}");

    // The server holds what the simulator says it provisioned.
    let expected = &report["expected"];
    assert_eq!(expected["hosts"], 50);
    assert_eq!(expected["groups"], 3);
    assert_eq!(expected["memberships"], 60);
    let users = get(&base, "/Users?count=1").await;
    assert_eq!(users["totalResults"], 50);
    let inactive = get(&base, "/Users?filter=active+eq+false&count=0").await;
    assert_eq!(
        inactive["totalResults"], expected["inactive_hosts"],
        "{report:#}"
    );
    assert!(
        expected["inactive_hosts"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    let groups = get(&base, "/Groups?count=100").await;
    assert_eq!(groups["totalResults"], 3);
    let members: usize = groups["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["members"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(members, 60, "{groups:#}");
    // Every host carries the whole Sign In Enterprise mapping.
    let all = get(&base, "/Users?count=100").await;
    for user in all["Resources"].as_array().unwrap() {
        assert!(user["name"]["givenName"].is_string(), "{user:#}");
        assert!(user["name"]["familyName"].is_string(), "{user:#}");
        assert_eq!(user["emails"].as_array().unwrap().len(), 2, "{user:#}");
        assert_eq!(
            user["phoneNumbers"].as_array().unwrap().len(),
            2,
            "{user:#}"
        );
        let ext = &user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
        assert!(
            ext["organization"].is_string() && ext["department"].is_string(),
            "{user:#}"
        );
    }

    // Run `initial` again with the same seed: Entra matches every host and
    // group by name instead of creating duplicates, and re-adding members
    // is a no-op.
    let (status, again, stderr) = sim(&[
        "initial",
        "--url",
        &base,
        "--token",
        TOKEN,
        "--hosts",
        "50",
        "--groups",
        "3",
        "--members-per-group",
        "20",
        "--largest-group",
        "30",
        "--seed",
        "7",
        "--json",
        "-q",
    ])
    .await;
    assert!(status.success(), "{again:#}\n{stderr}");
    let initial = &again["phases"][0];
    assert_eq!(initial["notes"]["hosts-matched"], 50, "{initial:#}");
    assert_eq!(initial["notes"]["groups-matched"], 3, "{initial:#}");
    assert!(
        initial["operations"].get("create-user").is_none(),
        "{initial:#}"
    );
    assert_eq!(get(&base, "/Users?count=0").await["totalResults"], 50);
}

#[tokio::test]
async fn a_wrong_token_is_reported_as_401_errors() {
    let base = serve().await;
    let (status, report, _) = sim(&[
        "initial",
        "--url",
        &base,
        "--token",
        "wrong",
        "--hosts",
        "3",
        "--groups",
        "1",
        "--members-per-group",
        "2",
        "--json",
        "-q",
    ])
    .await;
    assert_eq!(status.code(), Some(1), "{report:#}");
    let initial = &report["phases"][0];
    // Two probes, three host lookups, one group lookup; nothing else is
    // attempted once the lookups fail.
    assert_eq!(initial["errors_by_status"]["401"], 6, "{initial:#}");
    assert_eq!(initial["requests"], 6, "{initial:#}");
}

#[tokio::test]
async fn https_endpoints_work_with_an_extra_ca_certificate() {
    let (base, pem) = serve_tls().await;
    let dir = std::env::temp_dir().join(format!("scim-entra-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let args = [
        "initial",
        "--url",
        &base,
        "--token",
        TOKEN,
        "--hosts",
        "5",
        "--groups",
        "1",
        "--members-per-group",
        "3",
        "--json",
        "-q",
    ];
    // Without the certificate the handshake fails: every request is a
    // transport error (or, on a machine without a system CA store, the run
    // does not start).
    let (status, stdout, stderr) = sim_raw(&args).await;
    assert!(!status.success(), "{stdout}\n{stderr}");
    if status.code() == Some(1) {
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let initial = &report["phases"][0];
        assert_eq!(
            initial["errors"], initial["errors_by_status"]["transport"],
            "{report:#}"
        );
    } else {
        assert!(stderr.contains("--ca-cert"), "{stderr}");
    }
    let mut with_ca = args.to_vec();
    with_ca.extend(["--ca-cert", ca.to_str().unwrap()]);
    let (status, report, stderr) = sim(&with_ca).await;
    assert!(status.success(), "{report:#}\n{stderr}");
    assert_eq!(
        report["phases"][0]["operations"]["create-user"]["requests"],
        5
    );
    let _ = std::fs::remove_dir_all(&dir);
}
