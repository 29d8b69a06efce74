//! SCIM 2.0 resources and protocol, built on [`scim_filter`].
//!
//! This crate will hold the resource model and schemas of RFC 7643
//! (User, Group, EnterpriseUser and application extensions), validation,
//! attribute projection, PATCH semantics (RFC 7644 §3.5.2), list and search,
//! SCIM errors, discovery documents, the storage trait and a protocol
//! service over `http` types. It is being built issue by issue; today it
//! only re-exports the filter language.

pub use scim_filter as filter;
