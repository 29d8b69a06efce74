//! SCIM 2.0 for Rust applications: the resource model and schemas of
//! RFC 7643, the protocol of RFC 7644, and everything between a client's
//! JSON and your database.
//!
//! The crate does no I/O: storage is behind a trait and the protocol
//! service takes and returns `http` types, so it mounts in hyper, axum or
//! any framework.
//!
//! # Quick start
//!
//! A [`protocol::Service`] over the in-memory store (feature
//! `memory-store`) creates a user and finds it with a filter, the way
//! Microsoft Entra ID does before every provisioning change:
//!
//! ```
//! # #[cfg(feature = "memory-store")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//!
//! use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
//! use scim_core::schema::Registry;
//! use scim_core::store::memory::MemoryStore;
//! use serde_json::{Value, json};
//!
//! let service = Service::new(
//!     Arc::new(MemoryStore::new()),          // or your ResourceStore
//!     Registry::standard(),                  // User (+ Enterprise User), Group
//!     Arc::new(SingleTenant::new("secret")), // or your Authenticator
//!     ServiceConfig::new("/scim/v2"),        // where it is mounted
//! );
//!
//! let user = json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "userName": "amelia@example.com",
//!     "active": true,
//! });
//! let request = http::Request::post("/scim/v2/Users")
//!     .header("authorization", "Bearer secret")
//!     .header("content-type", "application/scim+json")
//!     .body(serde_json::to_vec(&user)?)?;
//! let created = service.handle(request).await;
//! assert_eq!(created.status(), 201);
//!
//! let request = http::Request::get(
//!     "/scim/v2/Users?filter=userName%20eq%20%22amelia%40example.com%22",
//! )
//! .header("authorization", "Bearer secret")
//! .body(Vec::new())?;
//! let found = service.handle(request).await;
//! assert_eq!(found.status(), 200);
//! let list: Value = serde_json::from_slice(found.body())?;
//! assert_eq!(list["totalResults"], 1);
//! assert_eq!(list["Resources"][0]["userName"], "amelia@example.com");
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "memory-store"))]
//! # fn main() {}
//! ```
//!
//! # Modules
//!
//! * [`schema`]: schemas with every attribute characteristic, the built-in
//!   User, Group and Enterprise User schemas, and a [`schema::Registry`] to
//!   which applications add their own resource types and extensions.
//! * [`resource`]: the canonical JSON form of a resource that round-trips
//!   unknown attributes, typed [`User`] and [`Group`] views, and input
//!   checking for create and replace.
//! * [`patch`]: RFC 7644 §3.5.2 PATCH with Entra ID's deviations as named
//!   [`tolerance`]s.
//! * [`project`] and [`list`]: `attributes`/`excludedAttributes`, sorting,
//!   paging, `ListResponse`.
//! * [`store`]: the [`ResourceStore`] trait applications implement.
//! * [`index`]: the index rows of a resource and filters planned into
//!   index lookups, for stores too big to evaluate every resource.
//! * [`protocol`]: the [`Service`](protocol::Service) that answers every
//!   RFC 7644 endpoint.
//! * [`Error`]: every failure with its HTTP status and `scimType`.
//!
//! Filters and PATCH paths are parsed by [`scim2_filter`], re-exported as
//! [`filter`].
//!
//! # Guides
//!
//! * [How scim-core is built](guide::architecture): the modules and a
//!   resource's life through them.
//! * [Mounting the service in your framework](guide::mounting): hyper and
//!   axum.
//! * [Adding a custom schema extension](guide::custom_extension): your own
//!   attributes on User, validated, filterable and served in `/Schemas`.
//! * [Writing a storage backend](guide::writing_a_store): the
//!   [`ResourceStore`] contract, its conformance suite, and a store over
//!   an application's existing typed tables.
//! * [PATCH semantics and Entra ID's variants](guide::patch).
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `memory-store` | `store::memory::MemoryStore`, a thread-safe in-memory store |
//! | `conformance` | `store::conformance`, the test suite every store must pass, for your store's tests |
//! | `tower` | `protocol::TowerService`, the service as a `tower::Service` for axum and tower stacks (adds `tower`, `http-body`, `http-body-util`, `bytes`) |

#![cfg_attr(docsrs, feature(doc_cfg))]

mod coop;
pub mod error;
pub mod guide;
pub mod id;
pub mod index;
pub mod list;
pub mod patch;
pub mod project;
pub mod protocol;
pub mod resource;
pub mod schema;
pub mod store;
pub mod tolerance;

pub use scim2_filter as filter;

/// The `#[async_trait]` attribute that [`ResourceStore`] and
/// [`protocol::Authenticator`] implementations need, re-exported so that an
/// implementer's crate need not depend on `async-trait` itself.
pub use async_trait::async_trait;
/// The date-time crate of [`resource::Meta`] and of the store trait,
/// re-exported so that an implementer uses the same version.
pub use time;

pub use crate::error::Error;
pub use crate::resource::{Group, User};
pub use crate::store::ResourceStore;

// Compiles the README's example as a doctest, as http's lib.rs does; it
// uses the in-memory store.
#[cfg(all(doctest, feature = "memory-store"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
