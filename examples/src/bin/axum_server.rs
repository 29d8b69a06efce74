//! Mounting the SCIM service in an axum application, next to the
//! application's own routes.
//!
//! Run with `cargo run -p scim-examples --bin axum_server`,
//! then: `curl -H 'Authorization: Bearer secret' http://127.0.0.1:3000/scim/v2/Users`.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::Registry;
use scim_core::store::memory::MemoryStore;

/// Builds the application: a router tests can call without a socket.
///
/// Every request under /scim/v2 goes to the SCIM service, which
/// authenticates it before reading its body, caps the body at
/// `max_payload_size` and answers SCIM errors. `nested()` because
/// `nest_service` strips the prefix the service needs for its routes and
/// `Location` headers.
fn app(scim: Service) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "the application's own routes live here" }),
        )
        .nest_service("/scim/v2", scim.into_tower().nested())
}

/// The SCIM service over an in-memory store, accepting one bearer token.
fn service(config: ServiceConfig) -> Service {
    Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(SingleTenant::new("secret")),
        config,
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scim = service(ServiceConfig::new("/scim/v2"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("SCIM service on http://{}/scim/v2", listener.local_addr()?);
    axum::serve(listener, app(scim)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http::{Request, StatusCode, header};
    use tower::ServiceExt as _;

    use super::*;

    const USER: &str =
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}"#;

    fn post_user(body: &'static str) -> Request<Body> {
        Request::post("/scim/v2/Users")
            .header(header::AUTHORIZATION, "Bearer secret")
            .header(header::CONTENT_TYPE, "application/scim+json")
            .body(Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn scim_requests_reach_the_service_next_to_the_applications_routes() {
        let app = app(service(ServiceConfig::new("/scim/v2")));

        let created = app.clone().oneshot(post_user(USER)).await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let location = created.headers()[header::LOCATION].to_str().unwrap();
        let path = location.split_once("/scim/v2/").unwrap().1;

        let read = app
            .clone()
            .oneshot(
                Request::get(format!("/scim/v2/{path}"))
                    .header(header::AUTHORIZATION, "Bearer secret")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(read.status(), StatusCode::OK);

        let home = app
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(home.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_bad_token_is_answered_with_a_scim_401() {
        let request = Request::post("/scim/v2/Users")
            .header(header::AUTHORIZATION, "Bearer wrong")
            .body(Body::from(USER))
            .unwrap();
        let response = app(service(ServiceConfig::new("/scim/v2")))
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }

    #[tokio::test]
    async fn a_body_over_the_payload_limit_is_answered_with_a_scim_413() {
        let mut config = ServiceConfig::new("/scim/v2");
        config.max_payload_size = USER.len() - 1;
        let response = app(service(config)).oneshot(post_user(USER)).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            scim_core::protocol::SCIM_JSON
        );
    }
}
