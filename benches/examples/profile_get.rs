//! A fixed workload for instruction-level profiling of Entra ID's hot path
//! (`valgrind --tool=callgrind`): 1,000 users, then 20,000
//! `GET /Users?filter=userName eq "…"`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use http::Request;
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::Registry;
use scim_core::store::memory::MemoryStore;
use serde_json::json;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let service = Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(SingleTenant::new("bench")),
        ServiceConfig::new("/scim/v2"),
    );
    let request = |method: &str, path: &str, body: Vec<u8>| {
        Request::builder()
            .method(method)
            .uri(format!("/scim/v2{path}"))
            .header("host", "bench.example")
            .header("authorization", "Bearer bench")
            .header("content-type", "application/scim+json")
            .body(body)
            .unwrap()
    };
    runtime.block_on(async {
        for i in 0..1000 {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("user{i}@northwind.example"),
                "active": true,
                "name": {"givenName": "Given", "familyName": format!("Family{i}")},
                "emails": [{"type": "work", "value": format!("user{i}@northwind.example"), "primary": true}],
            });
            let r = service.handle(request("POST", "/Users", serde_json::to_vec(&body).unwrap())).await;
            assert_eq!(r.status(), 201);
        }
        for i in 0..20_000 {
            let path = format!("/Users?filter=userName+eq+%22USER{}%40northwind.example%22", i % 1000);
            let r = service.handle(request("GET", &path, Vec::new())).await;
            assert_eq!(r.status(), 200);
        }
    });
}
