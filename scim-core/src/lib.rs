//! SCIM 2.0 for Rust applications: the resource model and schemas of
//! RFC 7643, the protocol of RFC 7644, and everything between a client's
//! JSON and your database.
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
//! * [`Error`]: every failure with its HTTP status and `scimType`.
//!
//! Filters and PATCH paths are parsed by [`scim2_filter`], re-exported as
//! [`filter`].
//!
//! The crate does no I/O: storage is behind a trait and the protocol service
//! takes and returns `http` types.
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `memory-store` | [`store::memory::MemoryStore`], a thread-safe in-memory store, and [`store::conformance`], the test suite every store must pass |

pub mod error;
pub mod id;
pub mod list;
pub mod patch;
pub mod project;
pub mod protocol;
pub mod resource;
pub mod schema;
pub mod store;
pub mod tolerance;

pub use scim2_filter as filter;

pub use crate::error::Error;
pub use crate::resource::{Group, User};
pub use crate::store::ResourceStore;
