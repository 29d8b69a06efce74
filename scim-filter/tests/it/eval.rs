//! One test per evaluation rule listed in the documentation of
//! `scim2_filter::eval`.

use scim2_filter::Filter;
use scim2_filter::eval::{AttrFacts, AttrRef, DefaultFacts, EvalError, SchemaFacts, ValueKind};
use serde_json::{Value, json};

use crate::rfc_users;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Evaluates `filter` against `resource` without schema facts.
fn eval(filter: &str, resource: &Value) -> Result<bool, EvalError> {
    parse(filter).matches(resource)
}

/// Evaluates `filter` against `resource` with `facts`.
fn eval_with(facts: &dyn SchemaFacts, filter: &str, resource: &Value) -> Result<bool, EvalError> {
    parse(filter).matcher(facts)?.matches(resource)
}

fn parse(filter: &str) -> Filter {
    let parsed = scim2_filter::parse(filter);
    assert!(parsed.is_ok(), "{filter:?} does not parse: {parsed:?}");
    parsed.unwrap()
}

fn full_user() -> Value {
    rfc_users()[1].1.clone()
}

fn enterprise_user() -> Value {
    rfc_users()[2].1.clone()
}

/// Schema facts for the tests: `id` and `emails.value` are caseExact
/// strings, `active` is a boolean, `meta.created` a dateTime, `title` a
/// plain string, `name` complex, `x509Certificates.value` binary; and
/// `urn:example:…:core:2.0:Host` is a core schema.
struct TestFacts;

impl SchemaFacts for TestFacts {
    fn attribute(&self, attr: AttrRef<'_>) -> AttrFacts {
        let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let sub = attr.sub_attr.unwrap_or("");
        match (attr.name, sub) {
            (n, "") if is(n, "id") => AttrFacts::new(true, Some(ValueKind::String)),
            (n, s) if is(n, "emails") && is(s, "value") => {
                AttrFacts::new(true, Some(ValueKind::String))
            }
            (n, "") if is(n, "active") => AttrFacts::new(false, Some(ValueKind::Boolean)),
            (n, "") if is(n, "title") => AttrFacts::new(false, Some(ValueKind::String)),
            (n, "") if is(n, "name") => AttrFacts::new(false, Some(ValueKind::Complex)),
            (n, s) if is(n, "meta") && is(s, "created") => {
                AttrFacts::new(false, Some(ValueKind::DateTime))
            }
            (n, s) if is(n, "x509Certificates") && is(s, "value") => {
                AttrFacts::new(true, Some(ValueKind::Binary))
            }
            _ => AttrFacts::default(),
        }
    }

    fn is_core_schema(&self, urn: &str) -> bool {
        urn.eq_ignore_ascii_case("urn:example:params:scim:schemas:core:2.0:Host")
            || DefaultFacts.is_core_schema(urn)
    }
}

#[test]
fn attribute_names_urns_and_sub_attributes_are_looked_up_without_case() {
    let user = enterprise_user();
    assert_eq!(
        eval(r#"USERNAME eq "bjensen@example.com""#, &user),
        Ok(true)
    );
    assert_eq!(eval(r#"NAME.FAMILYNAME eq "Jensen""#, &user), Ok(true));
    assert_eq!(eval(r#"Emails[TYPE eq "work"]"#, &user), Ok(true));
    assert_eq!(
        eval(
            r#"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Department eq "Tour Operations""#,
            &user
        ),
        Ok(true)
    );
    // The data's keys may be in any case too.
    let shouting = json!({"USERNAME": "bjensen", "Name": {"GivenName": "Barbara"}});
    assert_eq!(eval(r#"userName eq "bjensen""#, &shouting), Ok(true));
    assert_eq!(eval(r#"name.givenName eq "Barbara""#, &shouting), Ok(true));
}

#[test]
fn exact_key_spelling_is_preferred_over_a_case_insensitive_match() {
    let both = json!({"a": 1, "A": 2});
    assert_eq!(eval("a eq 1", &both), Ok(true));
    assert_eq!(eval("A eq 2", &both), Ok(true));
}

#[test]
fn missing_attribute_never_matches_and_never_fails() {
    let user = full_user();
    for op in ["eq", "co", "sw", "ew", "gt", "ge", "lt", "le"] {
        for path in [
            "nickname2",
            "name.nickName",
            "emails.display",
            "urn:example:params:scim:schemas:extension:signin:2.0:Host:badgeNumber",
        ] {
            let filter = format!(r#"{path} {op} "x""#);
            assert_eq!(eval(&filter, &user), Ok(false), "{filter}");
        }
    }
    assert_eq!(eval("nickname2 pr", &user), Ok(false));
    assert_eq!(eval("entitlements[type pr]", &user), Ok(false));
}

#[test]
fn multi_valued_attribute_matches_if_any_value_matches() {
    let user = enterprise_user();
    assert_eq!(
        eval(&format!(r#"schemas eq "{ENTERPRISE}""#), &user),
        Ok(true)
    );
    assert_eq!(eval(r#"emails.type eq "home""#, &user), Ok(true));
    assert_eq!(eval(r#"emails.type eq "work""#, &user), Ok(true));
    assert_eq!(eval(r#"emails.type eq "other""#, &user), Ok(false));
    assert_eq!(eval(r#"groups.display sw "US""#, &user), Ok(true));
    let scores = json!({"scores": [3, 7, 11]});
    assert_eq!(eval("scores gt 10", &scores), Ok(true));
    assert_eq!(eval("scores gt 11", &scores), Ok(false));
}

#[test]
fn complex_multi_valued_attribute_without_sub_attribute_compares_value() {
    let user = full_user();
    assert_eq!(eval(r#"emails co "example.com""#, &user), Ok(true));
    assert_eq!(eval(r#"emails eq "babs@jensen.org""#, &user), Ok(true));
    assert_eq!(eval(r#"emails eq "work""#, &user), Ok(false));
    assert_eq!(eval(r#"phoneNumbers ew "4444""#, &user), Ok(true));
    // A single-valued complex attribute has no `value` to compare.
    assert_eq!(eval(r#"name eq "Jensen""#, &user), Ok(false));
    let no_value = json!({"emails": [{"type": "work"}], "x": [{"value": {"nested": "a"}}]});
    assert_eq!(eval(r#"emails eq "work""#, &no_value), Ok(false));
    assert_eq!(eval(r#"x eq "a""#, &no_value), Ok(false));
}

#[test]
fn pr_is_false_for_missing_null_empty_string_empty_array_and_empty_object() {
    for absent in [json!(null), json!(""), json!([]), json!({})] {
        let resource = json!({ "a": absent });
        assert_eq!(eval("a pr", &resource), Ok(false), "{resource}");
    }
    assert_eq!(eval("a pr", &json!({})), Ok(false));
    // Containers of only absent values are absent too.
    assert_eq!(eval("a pr", &json!({"a": [null, ""]})), Ok(false));
    assert_eq!(eval("a pr", &json!({"a": {"b": null}})), Ok(false));
    for present in [
        json!("x"),
        json!(0),
        json!(false),
        json!([1]),
        json!({"b": 1}),
    ] {
        let resource = json!({ "a": present });
        assert_eq!(eval("a pr", &resource), Ok(true), "{resource}");
    }
}

#[test]
fn strings_compare_without_case_by_default() {
    let user = full_user();
    for filter in [
        r#"userName eq "BJENSEN@EXAMPLE.COM""#,
        r#"title co "TOUR""#,
        r#"title sw "tour""#,
        r#"title ew "GUIDE""#,
        r#"title gt "TOUR GUIDA""#,
        r#"title le "tour guide""#,
        r#"id eq "2819C223-7F76-453A-919D-413861904646""#,
        r#"emails[value eq "BJENSEN@example.com"]"#,
    ] {
        assert_eq!(eval(filter, &user), Ok(true), "{filter}");
    }
}

#[test]
fn case_exact_attributes_compare_strings_exactly_through_schema_facts() {
    let user = full_user();
    for (filter, default, exact) in [
        (
            r#"id eq "2819C223-7F76-453A-919D-413861904646""#,
            true,
            false,
        ),
        (
            r#"id eq "2819c223-7f76-453a-919d-413861904646""#,
            true,
            true,
        ),
        (r#"id sw "2819C""#, true, false),
        (r#"id co "7F76""#, true, false),
        (r#"id ew "904646""#, true, true),
        (r#"emails.value eq "BJENSEN@example.com""#, true, false),
        (r#"emails[value eq "BJENSEN@example.com"]"#, true, false),
        (r#"emails[value eq "bjensen@example.com"]"#, true, true),
        // title is not caseExact, even with facts.
        (r#"title eq "TOUR GUIDE""#, true, true),
    ] {
        assert_eq!(eval(filter, &user), Ok(default), "default: {filter}");
        assert_eq!(
            eval_with(&TestFacts, filter, &user),
            Ok(exact),
            "caseExact: {filter}"
        );
    }
}

#[test]
fn case_insensitive_comparison_folds_unicode() {
    let resource = json!({"name": "Émile", "city": "ΣΠΑΡΤΗ"});
    assert_eq!(eval(r#"name eq "émile""#, &resource), Ok(true));
    assert_eq!(eval(r#"name eq "ÉMILE""#, &resource), Ok(true));
    assert_eq!(eval(r#"name sw "éM""#, &resource), Ok(true));
    assert_eq!(eval(r#"city co "παρ""#, &resource), Ok(true));
}

#[test]
fn date_times_compare_chronologically() {
    let at = |t: &str| json!({ "meta": { "lastModified": t, "created": t } });
    let utc = at("2011-05-13T04:42:34Z");
    let plus_one = "2011-05-13T04:42:34.5+01:00"; // 03:42:34.5 UTC
    assert_eq!(
        eval(&format!(r#"meta.lastModified gt "{plus_one}""#), &utc),
        Ok(true)
    );
    assert_eq!(
        eval(&format!(r#"meta.lastModified lt "{plus_one}""#), &utc),
        Ok(false)
    );
    let later_offset = at(plus_one);
    let z = "2011-05-13T04:42:34Z";
    assert_eq!(
        eval(&format!(r#"meta.lastModified lt "{z}""#), &later_offset),
        Ok(true)
    );
    assert_eq!(
        eval(&format!(r#"meta.lastModified ge "{z}""#), &later_offset),
        Ok(false)
    );
    // The same instant written with another offset is equal, and orders
    // by time even where the text orders the other way.
    assert_eq!(
        eval(r#"meta.lastModified eq "2011-05-13T05:42:34+01:00""#, &utc),
        Ok(true)
    );
    assert_eq!(
        eval(r#"meta.lastModified gt "2011-05-13T05:00:00+01:00""#, &utc),
        Ok(true)
    );
    // With schema facts saying dateTime, too.
    assert_eq!(
        eval_with(
            &TestFacts,
            r#"meta.created eq "2011-05-13T05:42:34+01:00""#,
            &utc
        ),
        Ok(true)
    );
}

#[test]
fn strings_the_schema_calls_strings_compare_as_text_even_if_they_look_like_dates() {
    let resource = json!({"title": "2011-05-13T04:42:34Z"});
    let filter = r#"title eq "2011-05-13T05:42:34+01:00""#;
    assert_eq!(eval(filter, &resource), Ok(true));
    assert_eq!(eval_with(&TestFacts, filter, &resource), Ok(false));
}

#[test]
fn numbers_compare_numerically() {
    let resource = json!({"n": 10, "f": 2.5, "neg": -3, "big": u64::MAX});
    for filter in [
        "n gt 9",
        "n lt 10.5",
        "n eq 10.0",
        "n eq 1e1",
        "n ge 10",
        "n le 10",
        "n gt 9.99",
        "f ge 2.5",
        "f lt 3",
        "neg lt -2",
        "neg gt -3.5",
        "big gt 18446744073709551614",
        "big gt -1",
    ] {
        assert_eq!(eval(filter, &resource), Ok(true), "{filter}");
    }
    for filter in ["n gt 10", "n lt 9", "n eq 11", "n ne 10", "f eq 2"] {
        assert_eq!(eval(filter, &resource), Ok(false), "{filter}");
    }
    // "10" is a string, so it is not numerically equal or ordered.
    assert_eq!(eval("s gt 9", &json!({"s": "10"})), Ok(false));
}

#[test]
fn ne_matches_when_some_value_is_not_equal_to_the_operand() {
    let user = full_user();
    assert_eq!(eval(r#"userType ne "Employee""#, &user), Ok(false));
    assert_eq!(eval(r#"userType ne "employee""#, &user), Ok(false));
    assert_eq!(eval(r#"userType ne "Intern""#, &user), Ok(true));
    // No value, so no value is unequal: like every operator.
    assert_eq!(eval(r#"nickname2 ne "x""#, &user), Ok(false));
    // Multi-valued: any value that is not the operand matches (the full
    // user has a work and a home email).
    assert_eq!(eval(r#"emails.type ne "work""#, &user), Ok(true));
    assert_eq!(eval(r#"emails.type ne "other""#, &user), Ok(true));
    let one = json!({"emails": [{"value": "x"}]});
    let two = json!({"emails": [{"value": "x"}, {"value": "y"}]});
    let none = json!({"emails": []});
    let nulls = json!({"emails": [{"value": null}], "title": null});
    assert_eq!(eval(r#"emails.value ne "x""#, &one), Ok(false));
    assert_eq!(eval(r#"emails.value ne "x""#, &two), Ok(true));
    assert_eq!(eval(r#"emails.value ne "x""#, &none), Ok(false));
    assert_eq!(eval(r#"emails.value ne "x""#, &json!({})), Ok(false));
    assert_eq!(eval(r#"emails.value ne "x""#, &nulls), Ok(false));
    assert_eq!(eval(r#"title ne "x""#, &nulls), Ok(false));
    assert_eq!(eval(r#"emails ne "x""#, &two), Ok(true));
    // "No value equals" is `not eq`.
    assert_eq!(eval(r#"not (emails.value eq "x")"#, &two), Ok(false));
    assert_eq!(eval(r#"not (emails.value eq "x")"#, &none), Ok(true));
    // A value of another type is never equal, so `ne` matches.
    assert_eq!(eval(r#"active ne "true""#, &user), Ok(true));
}

#[test]
fn comparing_a_date_time_or_boolean_attribute_with_another_type_is_an_error() {
    for filter in [
        r#"meta.created gt "yesterday""#,
        r#"meta.created eq "2011-08-01""#,
        r#"meta.created sw "2011""#,
        r#"meta.created ne 5"#,
        r#"meta.created eq true"#,
        r#"active eq "True""#,
        r#"active ne "false""#,
        r#"active eq 1"#,
        r#"active co "t""#,
    ] {
        let err = parse(filter).matcher(&TestFacts).unwrap_err();
        assert!(
            err.message().contains("cannot be compared with"),
            "{filter}: {err}"
        );
    }
    for filter in [
        r#"meta.created gt "2011-08-01T18:29:49.793Z""#,
        r#"meta.created eq null"#,
        r#"active eq true"#,
        r#"active ne false"#,
        r#"active eq null"#,
    ] {
        assert!(parse(filter).matcher(&TestFacts).is_ok(), "{filter}");
    }
    // Without schema facts, the data decides and a mismatch does not match.
    assert_eq!(
        eval(r#"active eq "True""#, &json!({"active": true})),
        Ok(false)
    );
}

#[test]
fn eq_null_matches_absent_and_ne_null_matches_present() {
    let resource = json!({"a": "x", "b": null, "c": "", "d": []});
    for (filter, expected) in [
        ("a eq null", false),
        ("b eq null", true),
        ("c eq null", true),
        ("d eq null", true),
        ("missing eq null", true),
        ("a ne null", true),
        ("b ne null", false),
        ("missing ne null", false),
        ("a gt null", false),
        ("a co null", false),
    ] {
        assert_eq!(eval(filter, &resource), Ok(expected), "{filter}");
    }
}

#[test]
fn value_of_another_type_than_the_operand_does_not_match() {
    let resource = json!({"n": 1, "s": "1", "b": true, "o": {"value": 1}});
    for filter in [
        r#"n eq "1""#,
        "s eq 1",
        r#"b eq "true""#,
        "s eq true",
        "n eq true",
        "b eq 1",
        r#"n co "1""#,
        "s lt 2",
        r#"o eq "1""#,
    ] {
        assert_eq!(eval(filter, &resource), Ok(false), "{filter}");
    }
    assert_eq!(eval("b eq true", &resource), Ok(true));
    assert_eq!(eval("b co true", &resource), Ok(false));
}

#[test]
fn ordering_by_a_boolean_operand_is_an_error() {
    for op in ["gt", "ge", "lt", "le"] {
        let filter = scim2_filter::parse(&format!("active {op} true")).unwrap();
        let err = filter.matcher(&DefaultFacts).unwrap_err();
        assert!(err.message().contains("cannot order the boolean"), "{err}");
        // Even against a resource without the attribute.
        assert!(filter.matches(&json!({})).is_err());
    }
}

#[test]
fn ordering_an_attribute_the_schema_calls_boolean_is_an_error() {
    let filter = scim2_filter::parse(r#"active gt "x""#).unwrap();
    let err = filter.matcher(&TestFacts).unwrap_err();
    assert_eq!(err.message(), r#""gt" cannot order the boolean "active""#);
    // Without facts, nothing is known until a value is seen.
    assert_eq!(filter.matches(&json!({})), Ok(false));
}

#[test]
fn ordering_a_boolean_value_in_the_data_is_an_error() {
    let user = full_user();
    for filter in ["active gt 1", r#"active lt "x""#, "emails.primary ge 0"] {
        let err = eval(filter, &user).unwrap_err();
        assert!(err.message().contains("cannot order the boolean"), "{err}");
    }
    // The same filter is fine against data without a boolean there.
    assert_eq!(eval("active gt 1", &json!({"active": 2})), Ok(true));
    assert_eq!(eval("active gt 1", &json!({})), Ok(false));
}

#[test]
fn ordering_a_complex_attribute_is_an_error() {
    let user = full_user();
    let err = eval(r#"name gt "a""#, &user).unwrap_err();
    assert_eq!(
        err.message(),
        r#""gt" cannot order the complex attribute "name""#
    );
    assert!(eval(r#"emails lt "z""#, &user).is_err());
    // Known from the schema before any data is seen.
    let filter = scim2_filter::parse(r#"name le "x""#).unwrap();
    assert!(filter.matcher(&TestFacts).is_err());
    // A sub-attribute of a complex attribute orders as usual.
    assert_eq!(
        eval_with(&TestFacts, r#"name.givenName gt "A""#, &user),
        Ok(true)
    );
}

#[test]
fn ordering_a_binary_attribute_is_an_error() {
    let filter = scim2_filter::parse(r#"x509Certificates.value gt "M""#).unwrap();
    let err = filter.matcher(&TestFacts).unwrap_err();
    assert!(err.message().contains("binary"), "{err}");
}

#[test]
fn not_negates_the_whole_group() {
    let resource = json!({"a": 1, "b": 2});
    assert_eq!(eval("not (a eq 1 or b eq 3)", &resource), Ok(false));
    assert_eq!(eval("not (a eq 3 or b eq 3)", &resource), Ok(true));
    assert_eq!(eval("not (a eq 1 and b eq 3)", &resource), Ok(true));
    // Unlike negating only the first operand.
    assert_eq!(eval("not (a eq 1) or b eq 2", &resource), Ok(true));
    assert_eq!(eval("not (not (a eq 1))", &resource), Ok(true));
}

#[test]
fn urn_qualified_paths_resolve_into_extension_objects() {
    let user = enterprise_user();
    for filter in [
        format!(r#"{ENTERPRISE}:department eq "Tour Operations""#),
        format!(r#"{ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#),
        format!(r#"{ENTERPRISE}:manager.displayName sw "John""#),
        format!(r#"{ENTERPRISE}:employeeNumber pr"#),
    ] {
        assert_eq!(eval(&filter, &user), Ok(true), "{filter}");
    }
    // The extension attribute is not looked for at the top level, nor a
    // top-level one in the extension.
    let flat = json!({"department": "Tour Operations"});
    assert_eq!(
        eval(
            &format!(r#"{ENTERPRISE}:department eq "Tour Operations""#),
            &flat
        ),
        Ok(false)
    );
    assert_eq!(eval(r#"department eq "Tour Operations""#, &user), Ok(false));
    // Custom extensions work the same way.
    let host = json!({
        "urn:example:params:scim:schemas:extension:signin:2.0:Host": {"badgeNumber": "42"}
    });
    assert_eq!(
        eval(
            r#"urn:example:params:scim:schemas:extension:signin:2.0:Host:badgeNumber eq "42""#,
            &host
        ),
        Ok(true)
    );
}

#[test]
fn core_urn_paths_resolve_at_the_top_level() {
    let user = full_user();
    assert_eq!(
        eval(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com""#,
            &user
        ),
        Ok(true)
    );
    assert_eq!(
        eval(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Barbara""#,
            &user
        ),
        Ok(true)
    );
    assert_eq!(
        eval(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#,
            &user
        ),
        Ok(true)
    );
    // A custom core schema is core because the schema facts say so.
    let host = json!({"hostName": "build-01"});
    let filter = r#"urn:example:params:scim:schemas:core:2.0:Host:hostName eq "build-01""#;
    assert_eq!(eval(filter, &host), Ok(false));
    assert_eq!(eval_with(&TestFacts, filter, &host), Ok(true));
}

#[test]
fn value_path_filter_selects_work_email() {
    let user = full_user();
    assert_eq!(
        eval(
            r#"emails[type eq "work" and value co "@example.com"]"#,
            &user
        ),
        Ok(true)
    );
    assert_eq!(
        eval(
            r#"emails[type eq "home" and value co "@example.com"]"#,
            &user
        ),
        Ok(false)
    );
}

#[test]
fn value_path_filter_needs_one_element_to_satisfy_every_clause() {
    let resource = json!({"emails": [
        {"type": "work", "value": "babs@jensen.org"},
        {"type": "home", "value": "bjensen@example.com"},
    ]});
    // No single email is both work and @example.com ...
    assert_eq!(
        eval(
            r#"emails[type eq "work" and value co "@example.com"]"#,
            &resource
        ),
        Ok(false)
    );
    // ... although some email is work and some email is @example.com.
    assert_eq!(
        eval(
            r#"emails.type eq "work" and emails.value co "@example.com""#,
            &resource
        ),
        Ok(true)
    );
    // Entra's form reads the same way.
    assert_eq!(
        eval(
            r#"emails[type eq "work"].value co "@example.com""#,
            &resource
        ),
        Ok(false)
    );
    assert_eq!(
        eval(
            r#"emails[type eq "home"].value co "@example.com""#,
            &resource
        ),
        Ok(true)
    );
}

#[test]
fn prepared_matcher_agrees_with_matches_and_refuses_non_objects() {
    let filter =
        scim2_filter::parse(r#"userType eq "Employee" and emails[type eq "work"]"#).unwrap();
    let matcher = filter.matcher(&DefaultFacts).unwrap();
    for (_, user) in rfc_users() {
        assert_eq!(matcher.matches(&user), filter.matches(&user));
    }
    for not_an_object in [json!(null), json!([]), json!("userType"), json!(1)] {
        assert_eq!(matcher.matches(&not_an_object), Ok(false));
    }
}
