//! The `RequestInfo` the service attaches to every response, which the
//! embedding server logs: the error's `scimType` and `detail`, and for a
//! server error the cause the client is not told.

use std::sync::Arc;

use async_trait::async_trait;
use http::{Request, Response, StatusCode};
use scim_core::Error;
use scim_core::error::ScimType;
use scim_core::protocol::{Authenticator, Principal, RequestInfo, Service, ServiceConfig};
use scim_core::schema::Registry;
use scim_core::store::StoreError;
use scim_core::store::memory::MemoryStore;
use scim_tests::{BASE, Harness, TOKEN};

/// An authenticator whose token database is down.
#[derive(Debug)]
struct BrokenAuth;

#[async_trait]
impl Authenticator for BrokenAuth {
    async fn authenticate(&self, _: &http::request::Parts) -> Result<Principal, Error> {
        Err(Error::Store(StoreError::backend(std::io::Error::other(
            "connection refused (token database at 10.0.0.5)",
        ))))
    }
}

fn info(response: &Response<Vec<u8>>) -> RequestInfo {
    response
        .extensions()
        .get::<RequestInfo>()
        .cloned()
        .expect("every response carries a RequestInfo")
}

fn get(path: &str) -> Request<Vec<u8>> {
    Request::get(format!("{BASE}{path}"))
        .header("host", "scim.example.com")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Vec::new())
        .unwrap()
}

#[tokio::test]
async fn a_server_error_hands_its_cause_to_the_embedder_but_not_the_client() {
    let service = Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(BrokenAuth),
        ServiceConfig::new(BASE),
    );
    let response = service.handle(get("/Users")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = String::from_utf8(response.body().clone()).unwrap();
    assert!(!body.contains("connection refused"), "{body}");
    let error = info(&response).error.expect("the error is recorded");
    assert_eq!(error.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(error.detail.contains("has been logged"), "{}", error.detail);
    let cause = error.cause.expect("a 500 has a cause");
    assert!(
        cause.contains("connection refused (token database at 10.0.0.5)"),
        "{cause}"
    );
}

#[tokio::test]
async fn a_client_error_records_its_scim_type_and_detail_without_a_cause() {
    let harness = Harness::new();
    let response = harness
        .service
        .handle(get("/Users?filter=userName%20eq"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = info(&response).error.expect("the error is recorded");
    assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["detail"], error.detail.as_str());
    assert_eq!(error.cause, None);
}

#[tokio::test]
async fn a_success_records_no_error() {
    let harness = Harness::new();
    let response = harness.service.handle(get("/Users")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(info(&response).error, None);
}
