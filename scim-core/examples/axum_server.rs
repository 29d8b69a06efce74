//! Mounting the SCIM service in an axum application, next to the
//! application's own routes.
//!
//! Run with `cargo run -p scim-core --features memory-store --example axum_server`,
//! then: `curl -H 'Authorization: Bearer secret' http://127.0.0.1:3000/scim/v2/Users`.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use scim_core::protocol::{Service, ServiceConfig, SingleTenant, error_response};
use scim_core::schema::Registry;
use scim_core::store::memory::MemoryStore;

/// Every request under /scim/v2 goes to the SCIM service.
async fn scim(State(scim): State<Service>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let response = match to_bytes(body, scim.config().max_payload_size).await {
        Ok(body) => scim.handle(http::Request::from_parts(parts, body)).await,
        Err(_) => error_response(&scim_core::Error::PayloadTooLarge(
            "the request body is too large".to_owned(),
        )),
    };
    response.map(|body| Body::from(Bytes::from(body)))
}

/// Builds the application: a router tests can call without a socket.
fn app(scim: Service) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "the application's own routes live here" }),
        )
        .route("/scim/v2", axum::routing::any(self::scim))
        .route("/scim/v2/{*rest}", axum::routing::any(self::scim))
        .with_state(scim)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scim = Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(SingleTenant::new("secret")),
        ServiceConfig::new("/scim/v2"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("SCIM service on http://{}/scim/v2", listener.local_addr()?);
    axum::serve(listener, app(scim)).await?;
    Ok(())
}
