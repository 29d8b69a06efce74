//! The RFC's examples as data (`tests/data/rfc7644_*.json`, evaluated
//! against `tests/data/rfc7643_user_*.json`), and the parse-level
//! requirements of RFC 7644 §3.4.2.2 and §3.5.2, each compared as a whole
//! AST.

use scim2_filter::{CompValue, CompareOp, Filter, Operands, PatchPath, ValuePath};
use serde_json::Number;

use crate::{attr, data, rfc_users};

fn cmp(path: &str, op: CompareOp, value: impl Into<CompValue>) -> Filter {
    Filter::compare(attr(path), op, value)
}

fn pr(path: &str) -> Filter {
    Filter::present(attr(path))
}

fn and(left: Filter, right: Filter) -> Filter {
    Filter::And(Operands::new(left, right))
}

fn or(left: Filter, right: Filter) -> Filter {
    Filter::Or(Operands::new(left, right))
}

fn value_path(path: &str, filter: Filter) -> Filter {
    Filter::ValuePath(ValuePath::new(attr(path), filter).unwrap())
}

fn parse(text: &str) -> Filter {
    let parsed = scim2_filter::parse(text);
    assert!(parsed.is_ok(), "{text:?} does not parse: {parsed:?}");
    parsed.unwrap()
}

/// The 17 example filters of RFC 7644 §3.4.2.2, in the order of
/// `rfc7644_filters.json`.
fn rfc_example_asts() -> Vec<Filter> {
    use CompareOp::{Co, Eq, Ge, Gt, Le, Lt, Ne, Sw};
    const LAST_MODIFIED: &str = "2011-05-13T04:42:34Z";
    let emails_group = || {
        or(
            cmp("emails", Co, "example.com"),
            cmp("emails.value", Co, "example.org"),
        )
    };
    let work_email = || {
        value_path(
            "emails",
            and(cmp("type", Eq, "work"), cmp("value", Co, "@example.com")),
        )
    };
    vec![
        cmp("userName", Eq, "bjensen"),
        cmp("name.familyName", Co, "O'Malley"),
        cmp("userName", Sw, "J"),
        cmp(
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
            Sw,
            "J",
        ),
        pr("title"),
        cmp("meta.lastModified", Gt, LAST_MODIFIED),
        cmp("meta.lastModified", Ge, LAST_MODIFIED),
        cmp("meta.lastModified", Lt, LAST_MODIFIED),
        cmp("meta.lastModified", Le, LAST_MODIFIED),
        and(pr("title"), cmp("userType", Eq, "Employee")),
        or(pr("title"), cmp("userType", Eq, "Intern")),
        cmp(
            "schemas",
            Eq,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ),
        and(cmp("userType", Eq, "Employee"), emails_group()),
        and(cmp("userType", Ne, "Employee"), Filter::not(emails_group())),
        and(
            cmp("userType", Eq, "Employee"),
            cmp("emails.type", Eq, "work"),
        ),
        and(cmp("userType", Eq, "Employee"), work_email()),
        or(
            work_email(),
            value_path(
                "ims",
                and(cmp("type", Eq, "xmpp"), cmp("value", Co, "@foo.com")),
            ),
        ),
    ]
}

#[test]
fn rfc_example_filters_parse_to_the_expected_ast() {
    let vectors = data("rfc7644_filters.json");
    let cases = vectors["cases"].as_array().unwrap();
    let expected = rfc_example_asts();
    assert_eq!(cases.len(), expected.len());
    for (case, expected) in cases.iter().zip(expected) {
        let text = case["filter"].as_str().unwrap();
        assert_eq!(scim2_filter::parse(text), Ok(expected), "{text}");
    }
}

#[test]
fn rfc_example_filters_print_canonically_and_parse_back() {
    let vectors = data("rfc7644_filters.json");
    for case in vectors["cases"].as_array().unwrap() {
        let filter = parse(case["filter"].as_str().unwrap());
        let canonical = case["canonical"].as_str().unwrap();
        assert_eq!(filter.to_string(), canonical);
        assert_eq!(parse(canonical), filter, "{canonical}");
    }
}

#[test]
fn rfc_example_filters_match_the_rfc_7643_users_as_expected() {
    let vectors = data("rfc7644_filters.json");
    let users = rfc_users();
    for case in vectors["cases"].as_array().unwrap() {
        let text = case["filter"].as_str().unwrap();
        let filter = parse(text);
        for (name, user) in &users {
            let expected = case["matches"][name].as_bool().unwrap();
            assert_eq!(
                filter.matches(user),
                Ok(expected),
                "{text} against the {name} user"
            );
        }
    }
}

#[test]
fn rfc_example_patch_paths_parse_to_the_expected_ast() {
    let vectors = data("rfc7644_patch_paths.json");
    for case in vectors["cases"].as_array().unwrap() {
        let text = case["path"].as_str().unwrap();
        let attr_path = attr(case["attr"].as_str().unwrap());
        let expected = match case["filter"].as_str() {
            None => PatchPath::attr_path(attr_path),
            Some(filter) => {
                let vp = ValuePath::new(attr_path, parse(filter)).unwrap();
                PatchPath::value_path(vp, case["subAttr"].as_str()).unwrap()
            }
        };
        let path = scim2_filter::parse_path(text);
        assert_eq!(path, Ok(expected), "{text}");
        assert_eq!(path.unwrap().to_string(), text);
    }
}

#[test]
fn all_nine_operators_and_pr_parse() {
    assert_eq!(CompareOp::ALL.len(), 9);
    for op in CompareOp::ALL {
        let text = format!("userName {op} \"x\"");
        assert_eq!(parse(&text), cmp("userName", op, "x"), "{text}");
    }
    assert_eq!(parse("title pr"), pr("title"));
}

#[test]
fn operators_keywords_and_literals_ignore_case() {
    use CompareOp::{Eq, Ne};
    assert_eq!(
        parse(r#"userName EQ "x" And active Eq True OR NOT (title Pr)"#),
        or(
            and(cmp("userName", Eq, "x"), cmp("active", Eq, true)),
            Filter::not(pr("title")),
        )
    );
    assert_eq!(parse("a eq FALSE"), cmp("a", Eq, false));
    assert_eq!(parse("a Ne NuLl"), cmp("a", Ne, CompValue::Null));
    for op in CompareOp::ALL {
        let upper = op.as_str().to_ascii_uppercase();
        assert_eq!(parse(&format!("a {upper} 1")), cmp("a", op, 1i64));
    }
}

#[test]
fn and_binds_tighter_than_or() {
    let expected = or(pr("a"), and(pr("b"), pr("c")));
    assert_eq!(parse("a pr or b pr and c pr"), expected);
    assert_eq!(parse("a pr or (b pr and c pr)"), expected);
    assert_eq!(
        parse("a pr and b pr or c pr"),
        or(and(pr("a"), pr("b")), pr("c"))
    );
    assert_eq!(
        parse("a pr and (b pr or c pr)"),
        and(pr("a"), or(pr("b"), pr("c")))
    );
}

#[test]
fn not_binds_tighter_than_and() {
    assert_eq!(
        parse("not (a pr) and b pr"),
        and(Filter::not(pr("a")), pr("b"))
    );
}

#[test]
fn chains_are_n_ary_and_keep_explicit_grouping() {
    let mut flat = Operands::new(pr("a"), pr("b"));
    flat.push(pr("c"));
    assert_eq!(parse("a pr or b pr or c pr"), Filter::Or(flat));
    assert_eq!(
        parse("a pr or (b pr or c pr)"),
        or(pr("a"), or(pr("b"), pr("c")))
    );
}

#[test]
fn not_works_with_and_without_a_space() {
    let expected = Filter::not(cmp("userName", CompareOp::Eq, "a"));
    for text in [
        r#"not (userName eq "a")"#,
        r#"not(userName eq "a")"#,
        r#"NOT  (userName eq "a")"#,
        r#"Not( userName eq "a" )"#,
    ] {
        assert_eq!(parse(text), expected, "{text}");
    }
}

#[test]
fn redundant_parentheses_leave_no_trace() {
    let expected = parse(r#"userName eq "a""#);
    assert_eq!(expected, cmp("userName", CompareOp::Eq, "a"));
    assert_eq!(parse(r#"((userName eq "a"))"#), expected);
    assert_eq!(parse(r#"( ( userName eq "a" ) )"#), expected);
}

#[test]
fn surrounding_whitespace_is_ignored() {
    assert_eq!(parse(" \t\r\n title pr \n"), pr("title"));
}

#[test]
fn every_json_escape_decodes() {
    let text = r#"a eq "q\" b\\ s\/ \b\f\n\r\t \u00e9\u00C9 \uD83D\uDE00 \u0000""#;
    assert_eq!(
        parse(text),
        cmp(
            "a",
            CompareOp::Eq,
            "q\" b\\ s/ \u{8}\u{c}\n\r\t éÉ 😀 \u{0}"
        )
    );
    // Raw UTF-8 needs no escape.
    assert_eq!(
        parse("a eq \"ünïcødé 名前 😀\""),
        cmp("a", CompareOp::Eq, "ünïcødé 名前 😀")
    );
    assert_eq!(parse(r#"a eq """#), cmp("a", CompareOp::Eq, ""));
}

#[test]
fn numbers_are_json_numbers() {
    let float = |f: f64| Number::from_f64(f).unwrap();
    let cases: [(&str, Number); 12] = [
        ("0", 0u64.into()),
        ("42", 42u64.into()),
        ("-7", (-7i64).into()),
        ("18446744073709551615", u64::MAX.into()),
        ("-9223372036854775808", i64::MIN.into()),
        ("1.5", float(1.5)),
        ("-0.25", float(-0.25)),
        ("1e3", float(1000.0)),
        ("1E+2", float(100.0)),
        ("2.5E-2", float(0.025)),
        ("-1.25e-3", float(-0.00125)),
        ("0.1", float(0.1)),
    ];
    for (literal, number) in cases {
        let text = format!("a gt {literal}");
        assert_eq!(
            parse(&text),
            cmp("a", CompareOp::Gt, number),
            "{literal} parses as the JSON number"
        );
    }
}

#[test]
fn urn_qualified_paths_split_into_schema_name_and_sub_attribute() {
    let badge = "urn:example:params:scim:schemas:extension:signin:2.0:Host:badgeNumber";
    assert_eq!(
        parse(&format!(r#"{badge} eq "42""#)),
        cmp(badge, CompareOp::Eq, "42")
    );
    let path = attr(badge);
    assert_eq!(
        path.schema(),
        Some("urn:example:params:scim:schemas:extension:signin:2.0:Host")
    );
    assert_eq!(path.name(), "badgeNumber");

    let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value";
    assert_eq!(
        parse(&format!(r#"{manager} eq "26118915""#)),
        cmp(manager, CompareOp::Eq, "26118915")
    );
    let path = attr(manager);
    assert_eq!(
        path.schema(),
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    assert_eq!((path.name(), path.sub_attr()), ("manager", Some("value")));

    // A URN-qualified container of a value path.
    assert_eq!(
        parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#),
        value_path(
            "urn:ietf:params:scim:schemas:core:2.0:User:emails",
            cmp("type", CompareOp::Eq, "work"),
        )
    );
}

#[test]
fn attribute_names_that_are_keywords_parse_as_names() {
    for name in ["and", "or", "not", "pr", "eq", "true", "null", "urn"] {
        assert_eq!(parse(&format!("{name} pr")), pr(name), "{name}");
        assert_eq!(
            parse(&format!("{name} eq 1 and {name} pr")),
            and(cmp(name, CompareOp::Eq, 1i64), pr(name)),
            "{name}"
        );
    }
    assert_eq!(
        parse("not[type pr]"),
        value_path("not", pr("type")),
        "an attribute named not may hold a value path"
    );
    assert_eq!(parse("x.$ref pr"), pr("x.$ref"));
}

#[test]
fn patch_paths_of_every_shape_parse() {
    let work = || ValuePath::new(attr("emails"), cmp("type", CompareOp::Eq, "work")).unwrap();
    let cases = [
        (
            r#"members[value eq "2819c223"]"#,
            PatchPath::value_path(
                ValuePath::new(attr("members"), cmp("value", CompareOp::Eq, "2819c223")).unwrap(),
                None,
            )
            .unwrap(),
        ),
        (
            r#"emails[type eq "work"].value"#,
            PatchPath::value_path(work(), Some("value")).unwrap(),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            PatchPath::attr_path(attr(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            )),
        ),
        (
            "name.givenName",
            PatchPath::attr_path(attr("name.givenName")),
        ),
    ];
    for (text, expected) in cases {
        let path = scim2_filter::parse_path(text);
        assert_eq!(path, Ok(expected), "{text}");
        assert_eq!(path.unwrap().to_string(), text);
    }
}

#[test]
fn entra_sub_attribute_after_value_path_reads_as_value_filter() {
    let expected = value_path(
        "emails",
        and(
            cmp("type", CompareOp::Eq, "work"),
            cmp("value", CompareOp::Eq, "x"),
        ),
    );
    assert_eq!(parse(r#"emails[type eq "work"].value eq "x""#), expected);
    assert_eq!(
        parse(r#"emails[type eq "work" and value eq "x"]"#),
        expected
    );
    // An `or` inside the brackets stays grouped under the added condition.
    assert_eq!(
        parse(r#"emails[type eq "a" or type eq "b"].value pr"#),
        value_path(
            "emails",
            and(
                or(
                    cmp("type", CompareOp::Eq, "a"),
                    cmp("type", CompareOp::Eq, "b"),
                ),
                pr("value"),
            ),
        )
    );
}
