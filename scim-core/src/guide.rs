//! Guides to building a SCIM server with this crate: how it is put
//! together, mounting the service in a web framework, adding a custom
//! schema extension, writing a storage backend (over JSON documents or
//! over an application's typed tables), and the PATCH rules with the
//! client deviations they tolerate.
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

#[doc = "[writing-a-store]: crate::guide::writing_a_store"]
#[doc = "[`Schema`]: crate::schema::Schema"]
#[doc = "[`Attribute`]: crate::schema::Attribute"]
#[doc = "[`Attribute::new`]: crate::schema::Attribute::new"]
#[doc = "[`Attribute::with_canonical_values_enforced`]: crate::schema::Attribute::with_canonical_values_enforced"]
#[doc = "[`SchemaUrn::from_static`]: crate::schema::SchemaUrn::from_static"]
#[doc = "[`SchemaUrn::new`]: crate::schema::SchemaUrn::new"]
#[doc = "[`RegistryBuilder`]: crate::schema::RegistryBuilder"]
#[doc = "[`RegistryBuilder::schema`]: crate::schema::RegistryBuilder::schema"]
#[doc = "[`RegistryBuilder::extend`]: crate::schema::RegistryBuilder::extend"]
#[doc = "[`RegistryBuilder::configure`]: crate::schema::RegistryBuilder::configure"]
#[doc = "[`RegistryBuilder::build`]: crate::schema::RegistryBuilder::build"]
#[doc = "[`AttributeSettings`]: crate::schema::AttributeSettings"]
#[doc = "[`Service`]: crate::protocol::Service"]
#[doc = "[`Policy`]: crate::tolerance::Policy"]
#[doc = "[`ServiceConfig::policy`]: crate::protocol::ServiceConfig::policy"]
#[doc = "[`Extension`]: crate::resource::Extension"]
#[cfg_attr(
    feature = "memory-store",
    doc = "[`MemoryStore`]: crate::store::memory::MemoryStore"
)]
#[doc = "[`index`]: crate::index"]
#[doc = ""]
#[doc = include_str!("../docs/custom-extension.md")]
pub mod custom_extension {}

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
#[doc = "[`RegistryBuilder::schema`]: crate::schema::RegistryBuilder::schema"]
#[doc = ""]
#[doc = include_str!("../docs/writing-a-store.md")]
pub mod writing_a_store {}

#[doc = "[`scim_core::patch`]: crate::patch"]
#[doc = "[`member_delta`]: crate::patch::member_delta"]
#[doc = ""]
#[doc = include_str!("../docs/patch.md")]
pub mod patch {}
