//! Integration tests of scim-core: RFC and Entra ID vectors, end to end
//! through the public API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod fuzz_regressions;
mod index;
mod input;
mod patch;
#[cfg(all(feature = "memory-store", feature = "conformance"))]
mod planned_store;
