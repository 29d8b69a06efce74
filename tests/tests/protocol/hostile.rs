//! Helpers shared by the hostile-input tests: `hostile_parsing.rs`
//! (nesting, sizes, NUL characters, SQL-looking strings, ids, encodings)
//! and `hostile_limits.rs` (paging, headers, bulk, the caps of
//! `ServiceConfig`, requests in flight, authorization).

use scim_tests::{ERROR_SCHEMA, Harness, Reply, USER_SCHEMA};
use serde_json::{Value, json};

pub(crate) fn user_body(user_name: &str) -> Value {
    json!({"schemas": [USER_SCHEMA], "userName": user_name})
}

pub(crate) async fn user_count(scim: &Harness) -> u64 {
    scim.get("/Users?count=0").await.expect(200).body["totalResults"]
        .as_u64()
        .unwrap()
}

/// Percent-encodes everything but unreserved characters.
pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asserts a client error with a SCIM body (never a 5xx, never plain text).
#[track_caller]
pub(crate) fn assert_client_error(r: &Reply, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["schemas"], json!([ERROR_SCHEMA]), "{}", r.body);
    assert_eq!(r.body["status"], status.to_string());
}
