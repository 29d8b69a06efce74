//! Strict input: every deviation from RFC 7643/7644 is refused under
//! `Policy::strict()`, and accepted under the Entra ID policy only where a
//! named tolerance covers it (the shapes `../shared/entra.md` documents).
//! Each test runs both policies.

mod filters;
mod patch_remove;
mod schemas;
mod shapes;
mod unknown;

use scim_core::protocol::ServiceConfig;
use scim_core::tolerance::Policy;
use scim_tests::{BASE, Harness};

/// A service with `Policy::strict()`.
fn strict() -> Harness {
    let mut config = ServiceConfig::new(BASE);
    config.policy = Policy::strict();
    Harness::with_config(config)
}

/// A service with the Entra ID policy (the default).
fn entra() -> Harness {
    Harness::new()
}

/// Both policies, named for assertion messages.
fn both() -> [(&'static str, Harness); 2] {
    [("strict", strict()), ("entra", entra())]
}

/// `s` percent-encoded for a query string.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
