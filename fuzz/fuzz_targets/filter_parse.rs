//! Parses arbitrary UTF-8 as a filter. Whatever parses must print as
//! canonical text that parses back to the same AST, and evaluating it
//! against fixed resources must not panic (an `EvalError` is fine).
//!
//! Run with (see fuzz/README.md):
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run filter_parse -- -dict=fuzz/filter.dict`

#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scim2_filter::eval::DefaultFacts;
use serde_json::{Value, json};

/// The RFC 7643 §8.3 enterprise user, and a resource with every JSON type
/// in the places a filter can reach.
static RESOURCES: LazyLock<[Value; 2]> = LazyLock::new(|| {
    let file: Value = serde_json::from_str(include_str!(
        "../../scim-filter/tests/data/rfc7643_user_enterprise.json"
    ))
    .unwrap();
    let odd = json!({
        "a": null, "b": true, "c": 1, "d": -2.5, "e": "", "f": "É", "g": [], "h": {},
        "i": [null, true, 3, "x", [1], {"value": "v", "type": "t"}],
        "j": {"k": [{"value": 1}, {"value": {"nested": true}}], "l": "2011-05-13T04:42:34Z"},
        "urn:a:b": {"c": [1, "2"], "d": {"e": false}},
        "emails": [{"value": 7, "type": null, "primary": "yes"}],
    });
    [file["resource"].clone(), odd]
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = scim2_filter::parse(text) else {
        return;
    };
    let canonical = filter.to_string();
    let reparsed = scim2_filter::parse(&canonical)
        .unwrap_or_else(|e| panic!("canonical text {canonical:?} of {text:?} fails: {e}"));
    assert_eq!(reparsed, filter, "{text:?} printed as {canonical:?}");
    assert_eq!(reparsed.to_string(), canonical);
    if let Ok(matcher) = filter.matcher(&DefaultFacts) {
        for resource in RESOURCES.iter() {
            let _ = matcher.matches(resource);
        }
    }
});
