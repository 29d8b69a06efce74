//! Benchmarks of the in-process protocol service over the in-memory store
//! with 100,000 users: Entra ID's hot path `GET /Users?filter=userName eq
//! "…"`, a user PATCH, and a membership PATCH on a 100,000-member group.
//!
//! Run with `cargo bench --manifest-path benches/Cargo.toml --bench service`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::Request;
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::Registry;
use scim_core::store::memory::MemoryStore;
use serde_json::{Value, json};

const USERS: usize = 100_000;

fn request(method: &str, path: &str, body: Option<&Value>) -> Request<Vec<u8>> {
    Request::builder()
        .method(method)
        .uri(format!("/scim/v2{path}"))
        .header("host", "bench.example")
        .header("authorization", "Bearer bench")
        .header("content-type", "application/scim+json")
        .body(body.map(|b| serde_json::to_vec(b).unwrap()).unwrap_or_default())
        .unwrap()
}

async fn send(service: &Service, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let response = service.handle(request(method, path, body)).await;
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (status, body)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut config = ServiceConfig::new("/scim/v2");
    // Room for the POST of a 100,000-member group below.
    config.max_payload_size = 64 * 1024 * 1024;
    let service = Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(SingleTenant::new("bench")),
        config,
    );
    let ids: Vec<String> = runtime.block_on(async {
        let mut ids = Vec::with_capacity(USERS);
        for i in 0..USERS {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("user{i}@northwind.example"),
                "active": true,
                "name": {"givenName": "Given", "familyName": format!("Family{i}")},
                "emails": [{"type": "work", "value": format!("user{i}@northwind.example"), "primary": true}],
            });
            let (status, body) = send(&service, "POST", "/Users", Some(&body)).await;
            assert_eq!(status, 201);
            ids.push(body["id"].as_str().unwrap().to_owned());
        }
        ids
    });

    let mut g = c.benchmark_group("service_100k_users");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(5));
    let n = AtomicU64::new(0);
    g.bench_function("get_users_filter_userName_eq", |b| {
        b.iter(|| {
            let i = n.fetch_add(7919, Ordering::Relaxed) as usize % USERS;
            let path = format!("/Users?filter=userName+eq+%22USER{i}%40northwind.example%22");
            let response = runtime.block_on(service.handle(request("GET", &path, None)));
            assert_eq!(response.status(), 200);
            response
        });
    });
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"},
                       {"op": "Replace", "path": "name.familyName", "value": "Changed"}]});
    g.bench_function("patch_user", |b| {
        b.iter(|| {
            let i = n.fetch_add(7919, Ordering::Relaxed) as usize % USERS;
            let body = serde_json::to_vec(&patch).unwrap();
            let mut req = request("PATCH", &format!("/Users/{}", ids[i]), None);
            *req.body_mut() = body;
            let response = runtime.block_on(service.handle(req));
            assert_eq!(response.status(), 200);
            response
        });
    });
    g.finish();

    // A group with every user, then one member added and removed per
    // iteration through the membership path.
    let group = runtime.block_on(async {
        let (status, body) = send(
            &service,
            "POST",
            "/Groups",
            Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone",
                "members": ids[1..].iter().map(|id| json!({"value": id})).collect::<Vec<_>>()})),
        )
        .await;
        assert_eq!(status, 201);
        body["id"].as_str().unwrap().to_owned()
    });
    let mut g = c.benchmark_group("group_100k_members");
    g.sample_size(50);
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": "members", "value": [{"value": ids[0]}]}]});
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])}]});
    g.bench_function("patch_add_then_remove_one_member", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let (s, _) = send(&service, "PATCH", &format!("/Groups/{group}"), Some(&add)).await;
                assert_eq!(s, 204);
                let (s, _) = send(&service, "PATCH", &format!("/Groups/{group}"), Some(&remove)).await;
                assert_eq!(s, 204);
            });
        });
    });
    g.bench_function("get_group_excluding_members", |b| {
        b.iter(|| {
            let path = format!("/Groups/{group}?excludedAttributes=members");
            let response = runtime.block_on(service.handle(request("GET", &path, None)));
            assert_eq!(response.status(), 200);
            response
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
