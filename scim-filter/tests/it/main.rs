//! Integration tests of `scim2-filter`, in one binary so that they link once:
//!
//! * `rfc_examples`: the RFC 7644 §3.4.2.2 example filters and §3.5.2
//!   PATCH paths from `tests/data`, evaluated against the RFC 7643 §8 users,
//!   and the parse-level requirements of the grammar;
//! * `errors`: a table of invalid filters and paths with the position and
//!   message each one must report;
//! * `eval`: one test per evaluation rule of `scim2_filter::eval`;
//! * `roundtrip`: property tests of `parse(display(ast)) == ast` and of
//!   parsing arbitrary text without panicking;
//! * `regressions`: one test per fixed bug.
//!
//! The helpers below build attribute paths through the public constructors
//! (never through the parser under test) and load the data files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod eval;
mod regressions;
mod rfc_examples;
mod roundtrip;

use std::path::Path;

use scim2_filter::AttrPath;
use serde_json::Value;

/// Builds `[schema ":"] name ["." sub]` with `AttrPath::new`,
/// `with_schema` and `with_sub_attr`; the schema is everything before the
/// last colon.
fn attr(text: &str) -> AttrPath {
    let (schema, rest) = match text.rfind(':') {
        Some(colon) => (Some(&text[..colon]), &text[colon + 1..]),
        None => (None, text),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    let mut path = AttrPath::new(name).expect("a valid attribute name");
    if let Some(schema) = schema {
        path = path.with_schema(schema).expect("a valid schema URN");
    }
    if let Some(sub) = sub {
        path = path.with_sub_attr(sub).expect("a valid sub-attribute name");
    }
    path
}

/// A JSON file from `tests/data`.
fn data(name: &str) -> Value {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&file).expect("the data file exists");
    serde_json::from_str(&text).expect("the data file is JSON")
}

/// The example users of RFC 7643 §8.1, §8.2 and §8.3, by the names the
/// data files use for them.
fn rfc_users() -> [(&'static str, Value); 3] {
    let user = |file: &str| data(file)["resource"].clone();
    [
        ("minimal", user("rfc7643_user_minimal.json")),
        ("full", user("rfc7643_user_full.json")),
        ("enterprise", user("rfc7643_user_enterprise.json")),
    ]
}
