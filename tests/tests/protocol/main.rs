//! Protocol tests: the SCIM service driven in-process over the in-memory
//! store, as Entra ID and RFC 7644 clients drive it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bulk;
mod bulk_wire;
mod concurrency;
mod endpoints;
mod entra;
mod hostile;
mod hostile_limits;
mod hostile_parsing;
mod profile;
mod regressions;
mod request_info;
mod rfc_examples;
mod strict;
