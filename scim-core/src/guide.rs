//! Guides to building a SCIM server with this crate: how it is put
//! together, mounting the service in a web framework, writing a storage
//! backend, and the PATCH rules with the client deviations they tolerate.
//!
//! The guides are the Markdown files in the package's `docs/` directory,
//! readable on their own; their code blocks are doctests.
//!
//! Each guide's links point, for readers of the Markdown file, at the
//! other guides and at docs.rs. The link definitions below come first, and
//! the first definition of a label wins in Markdown, so in rustdoc the same
//! labels resolve to items of this crate and are checked by
//! `cargo doc -D warnings`.

#[doc = "[mounting]: crate::guide::mounting"]
#[doc = "[writing-a-store]: crate::guide::writing_a_store"]
#[doc = "[patch]: crate::guide::patch"]
#[doc = "[scim2-filter]: scim2_filter"]
#[doc = "[filter]: crate::filter"]
#[doc = ""]
#[doc = include_str!("../docs/architecture.md")]
pub mod architecture {}

#[doc = "[writing-a-store]: crate::guide::writing_a_store"]
#[doc = "[`Service`]: crate::protocol::Service"]
#[doc = "[`ServiceConfig`]: crate::protocol::ServiceConfig"]
#[doc = "[`ResourceStore`]: crate::ResourceStore"]
#[cfg_attr(
    feature = "memory-store",
    doc = "[`MemoryStore`]: crate::store::memory::MemoryStore"
)]
#[doc = "[`Authenticator`]: crate::protocol::Authenticator"]
#[doc = "[`SingleTenant`]: crate::protocol::SingleTenant"]
#[doc = "[`error_response`]: crate::protocol::error_response"]
#[doc = "[`RequestInfo`]: crate::protocol::RequestInfo"]
#[doc = "[`ErrorInfo`]: crate::protocol::ErrorInfo"]
#[doc = ""]
#[doc = include_str!("../docs/mounting.md")]
pub mod mounting {}

#[doc = "[`ResourceStore`]: crate::ResourceStore"]
#[cfg_attr(
    feature = "memory-store",
    doc = "[`MemoryStore`]: crate::store::memory::MemoryStore"
)]
#[cfg_attr(
    feature = "conformance",
    doc = "[`Suite`]: crate::store::conformance::Suite"
)]
#[doc = "[`evaluate`]: crate::list::evaluate"]
#[doc = "[`index`]: crate::index"]
#[doc = ""]
#[doc = include_str!("../docs/writing-a-store.md")]
pub mod writing_a_store {}

#[doc = "[`scim_core::patch`]: crate::patch"]
#[doc = "[`member_delta`]: crate::patch::member_delta"]
#[doc = ""]
#[doc = include_str!("../docs/patch.md")]
pub mod patch {}
