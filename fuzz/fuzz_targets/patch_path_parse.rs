//! Parses arbitrary UTF-8 as a PATCH path (and as an attribute path).
//! Whatever parses must print as canonical text that parses back to the
//! same AST; a value filter in the path must evaluate without panicking.
//!
//! Run with (see fuzz/README.md):
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run patch_path_parse -- -dict=fuzz/filter.dict`

#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scim2_filter::{AttrPath, Parser};
use serde_json::{Value, json};

/// Elements a value filter may be matched against.
static ELEMENTS: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "value": "bjensen@example.com", "type": "work", "primary": true,
        "display": null, "n": 3, "sub": {"value": "x"}, "list": [1, "a", null],
    })
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = scim2_filter::parse_path(text) {
        let canonical = path.to_string();
        let reparsed = scim2_filter::parse_path(&canonical)
            .unwrap_or_else(|e| panic!("canonical text {canonical:?} of {text:?} fails: {e}"));
        assert_eq!(reparsed, path, "{text:?} printed as {canonical:?}");
        assert_eq!(reparsed.to_string(), canonical);
        if let Some(filter) = path.filter() {
            let _ = filter.matches(&ELEMENTS);
        }
    }
    if let Ok(path) = Parser::new().parse_attr_path(text) {
        let canonical = path.to_string();
        assert_eq!(canonical.parse::<AttrPath>(), Ok(path), "{text:?}");
    }
});
