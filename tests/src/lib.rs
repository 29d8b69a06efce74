//! Test support for the cross-crate integration tests: an in-process SCIM
//! service over the in-memory store, and a small client that speaks to it
//! the way Entra ID does, without a socket.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::exhaustive_structs
)]

use std::sync::Arc;

use http::{Method, Request, StatusCode};
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::Registry;
use scim_core::store::memory::MemoryStore;
use serde_json::Value;

/// The bearer token the test service accepts.
pub const TOKEN: &str = "test-token";

/// The base path the test service is mounted at.
pub const BASE: &str = "/scim/v2";

/// The public URL of the base path, as built from the `Host` header the
/// harness sends.
pub const BASE_URL: &str = "http://scim.example.com/scim/v2";

/// The core User schema URN.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema URN.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The Enterprise User extension URN.
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The `ListResponse` message URN.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The `SearchRequest` message URN.
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// The `BulkRequest` message URN.
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// The `BulkResponse` message URN.
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// The `Error` message URN.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// An in-process service and a client for it.
#[derive(Clone, Debug)]
pub struct Harness {
    /// The service under test.
    pub service: Service,
}

/// A response, with its body parsed as JSON when it has one.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body as JSON (`Null` when empty).
    pub body: Value,
}

impl Reply {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self
    }

    /// Asserts a SCIM error body (RFC 7644 §3.12) with this status, whatever
    /// its `scimType`.
    #[track_caller]
    pub fn expect_scim_error(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.body["schemas"],
            serde_json::json!([ERROR_SCHEMA]),
            "not a SCIM error: {}",
            self.body
        );
        assert_eq!(self.body["status"], status.to_string(), "{}", self.body);
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            self.body
        );
        self
    }

    /// The `scimType` of an error body, if any.
    pub fn scim_type(&self) -> Option<&str> {
        self.body.get("scimType").and_then(Value::as_str)
    }

    /// Asserts a SCIM error with this status and `scimType`.
    #[track_caller]
    pub fn expect_error(self, status: u16, scim_type: Option<&str>) -> Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.body["schemas"],
            serde_json::json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "not a SCIM error: {}",
            self.body
        );
        assert_eq!(self.body["status"], status.to_string(), "{}", self.body);
        assert_eq!(
            self.body.get("scimType").and_then(Value::as_str),
            scim_type,
            "{}",
            self.body
        );
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            self.body
        );
        self
    }
}

impl Harness {
    /// A service over a fresh memory store with the standard registry.
    pub fn new() -> Self {
        Self::with_config(ServiceConfig::new(BASE))
    }

    /// The same with another configuration.
    pub fn with_config(config: ServiceConfig) -> Self {
        Self::with_parts(Registry::standard(), config)
    }

    /// The same with another registry and configuration.
    pub fn with_parts(registry: Registry, config: ServiceConfig) -> Self {
        let service = Service::new(
            Arc::new(MemoryStore::new()),
            registry,
            Arc::new(SingleTenant::new(TOKEN)),
            config,
        );
        Self { service }
    }

    /// Sends a request with the bearer token; `path` is below the base path
    /// and may carry a query string.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.send_raw(
            method,
            path,
            body,
            &[("authorization", &format!("Bearer {TOKEN}"))],
        )
        .await
    }

    /// A harness over a service built elsewhere (another store, registry or
    /// authenticator); [`Harness::send_as`] picks the token.
    pub fn from_service(service: Service) -> Self {
        Self { service }
    }

    /// Sends a request with this bearer token.
    pub async fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.send_raw(
            method,
            path,
            body,
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await
    }

    /// Sends a request with the bearer token and these extra headers.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.send_bytes(method, path, body, headers).await
    }

    /// Sends raw body bytes with the bearer token and these extra headers.
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let auth = format!("Bearer {TOKEN}");
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        self.send_raw(method, path, body, &all).await
    }

    /// Sends a request with exactly these headers (plus a JSON content type
    /// when there is a body).
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{BASE}{path}"))
            .header("host", "scim.example.com");
        if body.is_some()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            builder = builder.header("content-type", "application/scim+json; charset=utf-8");
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = self
            .service
            .handle(builder.body(body.unwrap_or_default()).unwrap())
            .await;
        let (parts, body) = response.into_parts();
        if !body.is_empty() {
            assert_eq!(
                parts
                    .headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("application/scim+json"),
                "every body is SCIM JSON"
            );
        }
        let body = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).expect("response bodies are JSON")
        };
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// `GET`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    /// `POST`.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    /// `PUT`.
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    /// `PATCH`.
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// `DELETE`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a user with this userName and returns its id.
    pub async fn create_user(&self, user_name: &str) -> String {
        let reply = self
            .post(
                "/Users",
                serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user_name,
                }),
            )
            .await
            .expect(201);
        reply.body["id"].as_str().unwrap().to_owned()
    }
}

impl Harness {
    /// Creates a group with this displayName and these member ids, and
    /// returns its id.
    pub async fn create_group(&self, display_name: &str, members: &[&str]) -> String {
        let members: Vec<Value> = members
            .iter()
            .map(|m| serde_json::json!({"value": m}))
            .collect();
        let mut body = serde_json::json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": display_name,
        });
        if !members.is_empty() {
            body["members"] = Value::Array(members);
        }
        let reply = self.post("/Groups", body).await.expect(201);
        reply.body["id"].as_str().unwrap().to_owned()
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `s` looks like an RFC 3339 date-time in UTC
/// (`2011-08-01T21:32:44.882Z`).
pub fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':')
        && s.ends_with('Z')
        && s.bytes().filter(u8::is_ascii_digit).count() >= 14
}

/// A `SearchRequest` body: the schema plus these members.
pub fn search_request(members: Value) -> Value {
    let mut body = serde_json::json!({"schemas": [SEARCH_REQUEST]});
    if let (Value::Object(body), Value::Object(members)) = (&mut body, members) {
        body.extend(members);
    }
    body
}

/// A `BulkRequest` body with these operations.
pub fn bulk_request(operations: Value) -> Value {
    serde_json::json!({
        "schemas": [BULK_REQUEST],
        "Operations": operations,
    })
}

/// A `PatchOp` body with these operations.
pub fn patch_op(operations: Value) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    })
}
