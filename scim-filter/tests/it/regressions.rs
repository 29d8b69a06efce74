//! Regression tests: one test per fixed bug, named after the behaviour it
//! pins down, with the issue number above it (or, for a bug found before
//! an issue was filed, how it was found), as in serde_json's
//! `tests/regression` and matchit's tests:
//!
//! ```text
//! // #123: `name.givenName` and `NAME.GIVENNAME` compared unequal.
//! #[test]
//! fn attribute_names_compare_without_case() { … }
//! ```

use std::hash::{BuildHasher, RandomState};

use scim2_filter::{AttrPath, CompValue, CompareOp, Filter, PatchPath, ValuePath};
use serde_json::Number;

use crate::attr;

// No issue: found by `roundtrip::parsing_arbitrary_text_never_panics`.
// `split_attr_name` sliced `input[..4]` to look for `$ref`, which panics
// when byte 4 falls inside a multi-byte character.
#[test]
fn multi_byte_text_where_a_name_is_expected_is_an_error_not_a_panic() {
    for input in ["名前 eq \"x\"", "ab名 pr", "x.名前 pr", "é€ pr", "$re€ pr"] {
        assert!(scim2_filter::parse(input).is_err(), "{input}");
        assert!(scim2_filter::parse_path(input).is_err(), "{input}");
    }
    assert!(AttrPath::new("名前").is_err());
    assert!(
        AttrPath::new("name")
            .unwrap()
            .with_sub_attr("ab名")
            .is_err()
    );
    assert_eq!(
        scim2_filter::parse("名前 eq \"x\"").unwrap_err().position(),
        0
    );
}

// No issue: found by `roundtrip::any_filter_prints_as_text_that_parses_back_to_it`.
// Number literals were parsed by serde_json, which rounds floats correctly
// only with its `float_roundtrip` feature: the printed shortest form of
// -8.022602566364957e291 parsed back one unit in the last place off.
#[test]
fn float_literals_parse_to_the_nearest_f64_and_print_back_unchanged() {
    for x in [
        -8.022602566364957e291,
        1.2789279351400481e21,
        0.1,
        5e-324,
        f64::MAX,
    ] {
        let filter = Filter::compare(attr("a"), CompareOp::Eq, Number::from_f64(x).unwrap());
        let text = filter.to_string();
        assert_eq!(scim2_filter::parse(&text), Ok(filter), "{text}");
    }
    let Ok(Filter::Compare(cmp)) = scim2_filter::parse("a eq -8.022602566364957e291") else {
        panic!("not a comparison");
    };
    assert_eq!(
        cmp.value(),
        &CompValue::Number(Number::from_f64(-8.022602566364957e291).unwrap())
    );
}

// No issue: found while writing `errors.rs`. `PatchPath` derived its
// equality, so the sub-attribute after a value filter compared with case
// (`emails[type eq "work"].value` != `EMAILS[TYPE eq "work"].VALUE`) while
// every other attribute name compares without it.
#[test]
fn patch_path_sub_attribute_after_value_filter_compares_without_case() {
    let lower = scim2_filter::parse_path(r#"emails[type eq "work"].value"#).unwrap();
    let upper = scim2_filter::parse_path(r#"EMAILS[TYPE eq "work"].VALUE"#).unwrap();
    assert_eq!(lower, upper);
    let state = RandomState::new();
    assert_eq!(state.hash_one(&lower), state.hash_one(&upper));
    // Values still compare exactly.
    let other = scim2_filter::parse_path(r#"emails[type eq "WORK"].value"#).unwrap();
    assert_ne!(lower, other);
    let built = PatchPath::value_path(
        ValuePath::new(
            attr("Emails"),
            Filter::compare(attr("Type"), CompareOp::Eq, "work"),
        )
        .unwrap(),
        Some("Value"),
    )
    .unwrap();
    assert_eq!(built, lower);
}

// No issue: found while writing `errors.rs`. Trailing input after a PATCH
// path was checked on a slice with trailing whitespace trimmed off, which is
// not a suffix of the input, so the reported position drifted by the
// amount of trailing whitespace (`"name givenName   "` reported 7).
#[test]
fn trailing_input_after_a_patch_path_is_reported_where_it_starts() {
    for input in ["name givenName", "name givenName ", "name givenName   \t\n"] {
        let err = scim2_filter::parse_path(input).unwrap_err();
        assert_eq!(err.position(), 5, "{input:?}");
        assert_eq!(
            err.message(),
            r#"expected the end of the path, found "givenName""#
        );
    }
    assert!(scim2_filter::parse_path(" name.givenName \n").is_ok());
}
