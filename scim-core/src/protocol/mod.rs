//! The SCIM protocol service (RFC 7644 §3), independent of any web
//! framework: it takes an `http::Request` and returns an `http::Response`.
//! [`Service::handle`] takes a request whose body has been read; an
//! embedder that reads the body itself calls [`Service::authenticate`] on
//! the head first, so that it reads no body for an unauthenticated caller.
//! With feature `tower`, `Service::into_tower` does both for any tower
//! stack, axum included.
//!
//! ```
//! # #[cfg(feature = "memory-store")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::sync::Arc;
//!
//! use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
//! use scim_core::schema::Registry;
//! use scim_core::store::memory::MemoryStore;
//!
//! let service = Service::new(
//!     Arc::new(MemoryStore::new()),
//!     Registry::standard(),
//!     Arc::new(SingleTenant::new("secret-token")),
//!     ServiceConfig::new("/scim/v2"),
//! );
//! let request = http::Request::post("/scim/v2/Users")
//!     .header("authorization", "Bearer secret-token")
//!     .header("content-type", "application/scim+json")
//!     .body(br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}"#.to_vec())
//!     .expect("valid request");
//! let response = service.handle(request).await;
//! assert_eq!(response.status(), 201);
//! assert!(response.headers().contains_key("location"));
//! # }
//! # #[cfg(not(feature = "memory-store"))]
//! # fn main() {}
//! ```
//!
//! Mounting it in hyper or axum takes a few lines; see the guide
//! [Mounting the service in your framework](crate::guide::mounting).

mod auth;
mod bulk;
mod call;
mod discovery;
mod dispatch;
mod endpoints;
mod head;
mod json;
mod limits;
mod operations;
mod query;
mod response;
mod route;
mod search;
#[cfg(feature = "tower")]
mod tower;

use std::sync::Arc;

pub use self::auth::{AuthenticationScheme, Authenticator, Principal, SingleTenant, bearer_token};
pub use self::head::Authenticated;
pub use self::response::{ErrorInfo, RequestInfo, SCIM_JSON};
#[cfg(feature = "tower")]
pub use self::tower::{ResponseBody, ResponseFuture, TowerService};
use crate::schema::Registry;
use crate::store::ResourceStore;
use crate::tolerance::{Counters, Policy};

/// The SCIM error response for `error` (RFC 7644 §3.12), for embedding
/// servers that fail before the service sees a request (a body over the
/// limit, a timeout).
pub fn error_response(error: &crate::Error) -> http::Response<Vec<u8>> {
    response::error(error, None)
}

/// How the service answers a successful PATCH (RFC 7644 §3.5.2 allows `200`
/// with the resource or `204`).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub enum PatchResponse {
    /// `200` with the resource for resource types without members, `204`
    /// for groups and other types with members
    /// ([`ResourceSchema::membership`](crate::schema::ResourceSchema::membership)):
    /// what Entra ID asks for, and cheap for large groups.
    #[default]
    NoContentForGroups,
    /// Always `200` with the resource.
    Resource,
    /// Always `204`.
    NoContent,
}

/// The service's settings.
///
/// # Limits
///
/// A service on the internet serves clients it does not control, and in a
/// multi-tenant deployment one tenant's requests share threads with every
/// other tenant's. These caps bound the work one request may ask for, and
/// how many requests of one tenant run at once. Every default is far
/// above what Entra ID sends, so that provisioning never meets them.
///
/// | field | default | past it | why this default |
/// |---|---|---|---|
/// | [`max_payload_size`](Self::max_payload_size) | 1 MiB | `413` | Entra ID's bodies are one resource or one PATCH, a few KiB |
/// | [`bulk_max_operations`](Self::bulk_max_operations) | 1,000 | `413` | Entra ID does not use `/Bulk` |
/// | [`max_results`](Self::max_results) | 1,000 | the page is capped | Entra ID queries single resources; Microsoft's validator pages by 5 |
/// | [`max_patch_operations`](Self::max_patch_operations) | 1,000 | `413` | Entra ID sends one operation per changed attribute, a few dozen at most |
/// | [`max_filter_operands`](Self::max_filter_operands) | 100 | `400 tooMany` | Entra ID's filters have one or two comparisons (`eq`, `and`) |
/// | [`max_values_per_attribute`](Self::max_values_per_attribute) | 1,000 | `400 invalidValue` | Entra ID sends a handful of emails, phone numbers or roles |
/// | [`max_resource_size`](Self::max_resource_size) | 256 KiB | `400 invalidValue` | an Entra ID user or group (without members) is a few KiB |
/// | [`max_concurrent_requests_per_tenant`](Self::max_concurrent_requests_per_tenant) | 32 | `429` + `Retry-After` | Entra ID runs one job per tenant at about 25 requests a second, with few connections |
///
/// Each error's `detail` names the limit and how to stay under it. Filter
/// comparisons are the `attr op value` and `attr pr` nodes, also inside
/// value paths (`emails[type eq "work"]`); they are counted per filter in
/// lists, `.search` and PATCH paths, and for a PATCH that rewrites the
/// resource also summed over all its paths, since each path filter runs
/// over every value of its attribute. A resource's size is its stored JSON
/// after create, replace or PATCH.
///
/// Group `members` count for neither the values cap nor the size cap:
/// stores keep members in their own rows, a members-only PATCH changes
/// them by id (see [`ResourceStore::modify_members`]), and groups of
/// 50,000 members must keep working. The body size still bounds how many
/// members one request can name.
///
/// `/ServiceProviderConfig` advertises what RFC 7644 §5 has fields for:
/// `bulk.maxOperations`, `bulk.maxPayloadSize` and `filter.maxResults`.
///
/// With these caps the costliest PATCH (1,000 operations over a
/// multi-valued attribute of 1,000 values) takes about half a second of
/// CPU in a release build, below a millisecond per operation; the service
/// yields to the executor after each PATCH operation and each bulk
/// operation, so such a request cannot hold a thread while other
/// requests wait. Filters are evaluated by the store: a store that
/// evaluates them in process (as the `memory-store` feature's
/// `MemoryStore` does) costs up to 100 comparisons per resource of the tenant; the SQL
/// stores of the reference server use indexes for Entra ID's filters.
///
/// A request with more than one `Authorization` header is refused with
/// `400 invalidSyntax` before authentication: which header counts would
/// depend on who reads the request (a proxy may check one, the service
/// another). It is `400` rather than `401` because the request is
/// malformed (RFC 9110 §5.3: `Authorization` is a singleton field), and
/// a `401` would tell the client its credentials are wrong when a second
/// header, often added by a proxy, is the problem.
///
/// [`ResourceStore::modify_members`]: crate::store::ResourceStore::modify_members
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServiceConfig {
    /// The path prefix the service is mounted under, e.g. `/scim/v2`
    /// (empty for the root).
    pub base_path: String,
    /// The public URL of the base path, e.g. `https://scim.example.com/scim/v2`,
    /// for `Location` and `meta.location`. Without it the URL is built from
    /// the request's `Host` header and [`ServiceConfig::default_scheme`].
    pub public_url: Option<String>,
    /// The scheme assumed when building URLs from `Host` (`http`, or
    /// `https` behind TLS).
    pub default_scheme: String,
    /// Which client deviations are accepted.
    pub policy: Policy,
    /// The largest request body accepted, in bytes (also advertised as the
    /// bulk `maxPayloadSize`).
    pub max_payload_size: usize,
    /// The largest page (`filter.maxResults`); larger `count`s are capped.
    pub max_results: u64,
    /// The page size when a request gives no `count`.
    pub default_page_size: u64,
    /// The most operations a `/Bulk` request may carry; `0` disables bulk.
    pub bulk_max_operations: usize,
    /// How a successful PATCH is answered.
    pub patch_response: PatchResponse,
    /// Whether `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`
    /// answer without authentication (they reveal no tenant data).
    pub public_discovery: bool,
    /// `documentationUri` in the service provider configuration.
    pub documentation_uri: Option<String>,
    /// The most operations one PATCH request may carry (default 1,000).
    /// More is `413` before anything is applied. Entra ID sends one
    /// operation per changed attribute, a few dozen at most. Applies to
    /// PATCH operations inside `/Bulk` too.
    pub max_patch_operations: usize,
    /// The most comparisons (`eq`, `co`, `pr`, … nodes) one filter may
    /// have, in a list or `.search` query and in a PATCH `path`, and all
    /// path filters of one PATCH together unless it changes only members
    /// (default 100). More is `400 tooMany`. Entra ID sends one or two.
    pub max_filter_operands: usize,
    /// The most values one multi-valued attribute of a stored resource may
    /// have (default 1,000); `members` is exempt. More is `400
    /// invalidValue`. Entra ID sends a handful of emails or phone numbers.
    pub max_values_per_attribute: usize,
    /// The largest stored resource, in bytes of serialized JSON without
    /// `members` (default 256 KiB), checked after create, replace and
    /// PATCH. More is `400 invalidValue`. An Entra ID user is a few KiB.
    pub max_resource_size: usize,
    /// The most requests of one tenant the service works on at once
    /// (default 32; `0` for no limit). More is `429` with `Retry-After`.
    /// A request counts from authentication until its response is built
    /// or its future is dropped; a `/Bulk` request counts once.
    pub max_concurrent_requests_per_tenant: usize,
    /// The `Retry-After` seconds sent with that `429` (default 1).
    pub concurrency_retry_after: u64,
}

impl ServiceConfig {
    /// Defaults for a service mounted at `base_path`: the Entra ID policy,
    /// 1 MiB bodies, pages of 100 up to 1,000, bulk up to 1,000 operations,
    /// and the limits listed under [Limits](Self#limits).
    pub fn new(base_path: impl Into<String>) -> Self {
        let base_path = base_path.into().trim_end_matches('/').to_owned();
        Self {
            base_path,
            public_url: None,
            default_scheme: "http".to_owned(),
            policy: Policy::default(),
            max_payload_size: 1024 * 1024,
            max_results: 1000,
            default_page_size: 100,
            bulk_max_operations: 1000,
            patch_response: PatchResponse::default(),
            public_discovery: false,
            documentation_uri: None,
            max_patch_operations: 1000,
            max_filter_operands: 100,
            max_values_per_attribute: 1000,
            max_resource_size: 256 * 1024,
            max_concurrent_requests_per_tenant: 32,
            concurrency_retry_after: 1,
        }
    }
}

/// The SCIM service: routing, content negotiation, authentication, and
/// every endpoint of RFC 7644 over a [`ResourceStore`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Service {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn ResourceStore>,
    registry: Registry,
    auth: Arc<dyn Authenticator>,
    config: ServiceConfig,
    counters: Counters,
    gate: Arc<limits::TenantGate>,
}

impl Service {
    /// A service over `store` for the resource types in `registry`.
    pub fn new(
        store: Arc<dyn ResourceStore>,
        registry: Registry,
        auth: Arc<dyn Authenticator>,
        config: ServiceConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                registry,
                auth,
                config,
                counters: Counters::default(),
                gate: Arc::new(limits::TenantGate::new()),
            }),
        }
    }

    /// Answers one request whose body has been read. Never panics and
    /// never fails: every error is a SCIM error response (RFC 7644 §3.12).
    ///
    /// This is [`Service::authenticate`] followed by
    /// [`Authenticated::handle`]; an embedder that reads the body itself
    /// should call those two instead, so that it reads no body for a
    /// caller who is not authenticated.
    pub async fn handle<B: AsRef<[u8]>>(
        &self,
        request: http::Request<B>,
    ) -> http::Response<Vec<u8>> {
        let (parts, body) = request.into_parts();
        match self.authenticate(parts).await {
            Ok(authenticated) => authenticated.handle(body).await,
            Err(rejected) => rejected,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// How often each tolerance has been used since start.
    pub fn tolerance_counters(&self) -> &Counters {
        &self.inner.counters
    }
}
