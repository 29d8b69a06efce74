//! Invalid filters and PATCH paths, table-driven (matchit style): each case
//! names the byte offset the error must point at and a fragment of its
//! message.

use std::fmt::Debug;

use scim2_filter::{
    AttrPath, Filter, ParseError, Parser, PatchPath, PathError, PathErrorKind, ValuePath,
};

/// One input that must fail to parse.
struct Case<'a> {
    input: &'a str,
    /// The 0-based byte offset `ParseError::position` must report.
    position: usize,
    /// A fragment `ParseError::message` must contain.
    message: &'a str,
}

impl Case<'_> {
    fn run<T: Debug>(&self, parse: impl Fn(&str) -> Result<T, ParseError>) {
        let err = parse(self.input).expect_err(&format!("{:?} parsed", self.input));
        assert_eq!(
            err.position(),
            self.position,
            "position for {:?}: {err}",
            self.input
        );
        assert!(
            err.message().contains(self.message),
            "message for {:?}: {:?} does not contain {:?}",
            self.input,
            err.message(),
            self.message
        );
        assert_eq!(
            err.to_string(),
            format!("at position {}: {}", err.position(), err.message())
        );
    }
}

const fn case<'a>(input: &'a str, position: usize, message: &'a str) -> Case<'a> {
    Case {
        input,
        position,
        message,
    }
}

const EXPECTED_FILTER: &str = r#"expected an attribute path, "not" or "(""#;
const EXPECTED_OP: &str = "expected a comparison operator";
const EXPECTED_VALUE: &str =
    "expected a value (a double-quoted string, a number, true, false or null)";
const EXPECTED_END: &str = r#"expected "and", "or" or the end of the filter"#;
const EXPECTED_PAREN: &str = r#"expected "and", "or" or ")""#;
const EXPECTED_BRACKET: &str = r#"expected "and", "or" or "]""#;
const EXPECTED_SUB_ATTR: &str = r#"expected a sub-attribute name after ".""#;
const SECOND_SUB_ATTR: &str = "an attribute path has at most one sub-attribute";
const UNTERMINATED: &str = "string has no closing double quote";
const LONE_SURROGATE: &str = r"\u escape is half of a surrogate pair";
const HEX_DIGITS: &str = r"expected four hex digits after \u";
const BAD_ESCAPE: &str = r#"invalid escape in string (valid: \" \\ \/ \b \f \n \r \t \uXXXX)"#;
const CONTROL: &str = "control character in string must be escaped";
const NUMBER: &str = "malformed number";
const NESTED: &str = "a value filter cannot contain another value path";
const URN_INSIDE: &str = "paths inside a value filter are relative and cannot carry a schema URN";
const SUB_BEFORE_BRACKET: &str = r#"the attribute before "[" cannot have a sub-attribute"#;
const SCHEMA_URN: &str = "expected a schema URN of the form urn:NID:NSS";
const ATTR_NAME: &str = "expected an attribute name";
const PATH_END: &str = "expected the end of the path";

/// Invalid filters with the default limits.
const FILTERS: &[Case<'static>] = &[
    // Empty input.
    case(
        "",
        0,
        "expected an attribute path, \"not\" or \"(\", found the end of the input",
    ),
    case("   ", 3, "found the end of the input"),
    // Values that are not JSON literals.
    case(r#"userName eq 'bjensen'"#, 12, EXPECTED_VALUE),
    case(r#"userName eq bjensen"#, 12, r#"found "bjensen""#),
    case(r#"active eq trueish"#, 10, r#"found "trueish""#),
    case(r#"active eq nul"#, 10, EXPECTED_VALUE),
    case(r#"userName eq "bjensen"#, 12, UNTERMINATED),
    case(r#"userName eq "a\"#, 12, UNTERMINATED),
    // Malformed escapes, reported at the backslash.
    case(r#"userName eq "a\qb""#, 14, BAD_ESCAPE),
    case(r#"userName eq "a\x41""#, 14, BAD_ESCAPE),
    case(r#"userName eq "a\'b""#, 14, BAD_ESCAPE),
    case(r#"userName eq "\u12""#, 13, HEX_DIGITS),
    case(r#"userName eq "\u12G4""#, 13, HEX_DIGITS),
    case(r#"userName eq "\u""#, 13, HEX_DIGITS),
    // Lone surrogates.
    case(r#"userName eq "\uD83D""#, 13, LONE_SURROGATE),
    case(r#"userName eq "\uDE00""#, 13, LONE_SURROGATE),
    case(r#"userName eq "\uD83D\u0041""#, 13, LONE_SURROGATE),
    case(r#"userName eq "\uD83Dx""#, 13, LONE_SURROGATE),
    case(r#"userName eq "x\udbff\udbff""#, 14, LONE_SURROGATE),
    // Raw control characters inside strings.
    case("userName eq \"a\nb\"", 14, CONTROL),
    case("userName eq \"a\tb\"", 14, CONTROL),
    case("userName eq \"\u{0}\"", 13, CONTROL),
    // Numbers outside JSON's grammar.
    case("a eq 01", 5, NUMBER),
    case("a eq 1.", 5, NUMBER),
    case("a eq -", 5, NUMBER),
    case("a eq 1e", 5, NUMBER),
    case("a eq 1.5.5", 5, NUMBER),
    case("a eq 0x10", 5, NUMBER),
    case("a eq 1and b pr", 5, NUMBER),
    case("a eq 1e400", 5, "number out of range"),
    case("a eq +1", 5, EXPECTED_VALUE),
    case("a eq .5", 5, EXPECTED_VALUE),
    // Things that are not attribute paths.
    case(r#""1" eq "1""#, 0, EXPECTED_FILTER),
    case(r#"1userName eq "x""#, 0, EXPECTED_FILTER),
    case(
        r#"user$Name eq "x""#,
        4,
        r#"expected a comparison operator, found "$Name""#,
    ),
    case(r#"名前 eq "x""#, 0, r#"found "名前""#),
    case(r#"name..givenName eq "x""#, 5, EXPECTED_SUB_ATTR),
    case(r#"name. eq "x""#, 5, EXPECTED_SUB_ATTR),
    case(r#"name.givenName.x eq "x""#, 14, SECOND_SUB_ATTR),
    case(")", 0, EXPECTED_FILTER),
    // Schema URN prefixes.
    case(
        r#"urn:ietf:params:scim:schemas:core:2.0:User: eq "x""#,
        43,
        ATTR_NAME,
    ),
    case(r#"urn:a:userName eq "x""#, 0, SCHEMA_URN),
    case(r#"urn::b:userName eq "x""#, 0, SCHEMA_URN),
    case(r#"urn:a:b:user+Name eq "x""#, 12, r#"found "+Name""#),
    case("urn:a:b:2x eq 1", 8, ATTR_NAME),
    // Missing or unknown operators.
    case(
        "userName",
        8,
        "expected a comparison operator, found the end of the input",
    ),
    case(r#"userName "x""#, 9, EXPECTED_OP),
    case(r#"userName equals "x""#, 9, r#"found "equals""#),
    case(r#"userName eqq "x""#, 9, EXPECTED_OP),
    case("title prx", 6, EXPECTED_OP),
    case(
        "and title pr",
        4,
        r#"expected a comparison operator, found "title""#,
    ),
    case(
        "not title pr",
        4,
        r#"expected a comparison operator, found "title""#,
    ),
    // Missing values.
    case("userName eq", 11, EXPECTED_VALUE),
    case("userName eq ", 12, "found the end of the input"),
    case(r#"userName eq"x""#, 11, EXPECTED_VALUE),
    // Keywords need a word boundary.
    case("title pr andrew pr", 9, r#"found "andrew""#),
    case("title pr oregon pr", 9, r#"found "oregon""#),
    case("title pr and", 12, EXPECTED_FILTER),
    case("title pr or", 11, EXPECTED_FILTER),
    case("a pr or or b pr", 11, EXPECTED_OP),
    // Unbalanced parentheses and brackets.
    case(r#"(userName eq "x""#, 16, EXPECTED_PAREN),
    case(r#"((userName eq "x")"#, 18, EXPECTED_PAREN),
    case(
        r#"userName eq "x")"#,
        15,
        r#"expected "and", "or" or the end of the filter, found ")""#,
    ),
    case("not (title pr", 13, EXPECTED_PAREN),
    case("not ()", 5, r#"found ")""#),
    case("()", 1, EXPECTED_FILTER),
    case("(", 1, EXPECTED_FILTER),
    case(
        "emails[]",
        7,
        r#"expected an attribute path, "not" or "(", found "]""#,
    ),
    case("emails[ ]", 8, EXPECTED_FILTER),
    case(r#"emails[type eq "work""#, 21, EXPECTED_BRACKET),
    case(r#"emails[type eq "work")"#, 21, EXPECTED_BRACKET),
    case(r#"(emails[type eq "work")]"#, 22, EXPECTED_BRACKET),
    case(r#"emails[type eq "work"]]"#, 22, EXPECTED_END),
    case(r#"emails[type eq "work" and]"#, 25, EXPECTED_FILTER),
    // Trailing garbage.
    case(r#"userName eq "x" garbage"#, 16, r#"found "garbage""#),
    case("title pr title pr", 9, EXPECTED_END),
    case(r#"userName eq "é" 名"#, 17, r#"found "名""#),
    case(r#"userName eq "é" and"#, 20, EXPECTED_FILTER),
    // Value paths: no nesting, no URNs inside, no sub-attribute before `[`.
    case(r#"emails[type[value eq "x"] pr]"#, 7, NESTED),
    case(r#"emails[type eq "work" and phones[type pr]]"#, 26, NESTED),
    case(
        r#"emails[urn:ietf:params:scim:schemas:core:2.0:User:type eq "work"]"#,
        7,
        URN_INSIDE,
    ),
    case(r#"name.givenName[value eq "x"]"#, 14, SUB_BEFORE_BRACKET),
    // Entra's `…].subAttr op value` form needs the operator and value.
    case(r#"emails[type eq "work"].value"#, 28, EXPECTED_OP),
    case(r#"emails[type eq "work"]."#, 23, EXPECTED_SUB_ATTR),
    case(r#"emails[type eq "work"].1x eq "x""#, 23, EXPECTED_SUB_ATTR),
    case(
        r#"emails[type eq "work"].value.display eq "x""#,
        28,
        SECOND_SUB_ATTR,
    ),
];

/// Invalid PATCH paths with the default limits.
const PATHS: &[Case<'static>] = &[
    case(
        "",
        0,
        "expected an attribute name, found the end of the input",
    ),
    case("   ", 3, ATTR_NAME),
    case("1abc", 0, ATTR_NAME),
    case("$refs", 0, ATTR_NAME),
    case("name..givenName", 5, EXPECTED_SUB_ATTR),
    case("name.givenName.x", 14, SECOND_SUB_ATTR),
    case(
        "name givenName",
        5,
        r#"expected the end of the path, found "givenName""#,
    ),
    case("name givenName  \n", 5, r#"found "givenName""#),
    case("emails[]", 7, EXPECTED_FILTER),
    case(r#"emails[type eq "work""#, 21, EXPECTED_BRACKET),
    case(r#"emails[type eq 'work']"#, 15, EXPECTED_VALUE),
    case(r#"emails[type eq "work"]value"#, 22, PATH_END),
    case(r#"emails[type eq "work"] extra"#, 23, r#"found "extra""#),
    case(r#"emails[type eq "work"] extra   "#, 23, r#"found "extra""#),
    case(r#"emails[type eq "work"]."#, 23, EXPECTED_SUB_ATTR),
    case(r#"emails[type eq "work"]..value"#, 23, EXPECTED_SUB_ATTR),
    case(r#"emails[type eq "work"].value.x"#, 28, SECOND_SUB_ATTR),
    case(
        r#"emails[type eq "work"].value eq "x""#,
        29,
        r#"expected the end of the path, found "eq""#,
    ),
    case(r#"name.givenName[type eq "x"]"#, 14, SUB_BEFORE_BRACKET),
    case("members[value[x eq 1]]", 8, NESTED),
    case(r#"members[urn:a:b:value eq "x"]"#, 8, URN_INSIDE),
    case("urn:a:department", 0, SCHEMA_URN),
    case(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
        59,
        ATTR_NAME,
    ),
];

#[test]
fn invalid_filters_report_position_and_message() {
    assert!(FILTERS.len() >= 60, "{} filter cases", FILTERS.len());
    for case in FILTERS {
        case.run(scim2_filter::parse);
    }
}

#[test]
fn invalid_patch_paths_report_position_and_message() {
    for case in PATHS {
        case.run(scim2_filter::parse_path);
    }
}

#[test]
fn nesting_beyond_a_small_limit_fails_where_it_happens() {
    let parser = Parser::new().max_depth(2);
    let deeper = "the filter nests deeper than the limit of 2 levels";
    for case in [
        case("(((a pr)))", 2, deeper),
        case("not (not (not (a pr)))", 14, deeper),
        case("((emails[type pr]))", 8, deeper),
        case("(not (emails[type pr]))", 12, deeper),
    ] {
        case.run(|s| parser.parse_filter(s));
    }
    assert!(parser.parse_filter("((a pr))").is_ok());
    assert!(parser.parse_filter("not (emails[type pr])").is_ok());

    let flat = Parser::new().max_depth(0);
    let deeper = "the filter nests deeper than the limit of 0 levels";
    case("emails[type pr]", 6, deeper).run(|s| flat.parse_filter(s));
    case("(a pr)", 0, deeper).run(|s| flat.parse_filter(s));
    case(r#"emails[type eq "work"].value"#, 6, deeper).run(|s| flat.parse_path(s));
    assert!(flat.parse_filter("a pr and b pr or c pr").is_ok());
}

#[test]
fn nesting_beyond_the_default_limit_fails_at_the_sixty_fifth_level() {
    let input = format!("{}a pr{}", "(".repeat(65), ")".repeat(65));
    case(&input, 64, "deeper than the limit of 64 levels").run(scim2_filter::parse);
    let input = format!("{}a pr{}", "(".repeat(64), ")".repeat(64));
    assert!(scim2_filter::parse(&input).is_ok());
}

#[test]
fn hundred_thousand_nested_parentheses_fail_without_overflowing_the_stack() {
    let input = format!("{}a pr{}", "(".repeat(100_000), ")".repeat(100_000));
    let parser = Parser::new().max_len(1 << 20);
    case(&input, 64, "deeper than the limit of 64 levels").run(|s| parser.parse_filter(s));
    let input = "not (".repeat(100_000);
    case(&input, 324, "deeper than the limit of 64 levels").run(|s| parser.parse_filter(s));
    // With the default length limit, the input is refused before parsing.
    case(
        &input,
        Parser::DEFAULT_MAX_LEN,
        "more than the limit of 65536 bytes",
    )
    .run(scim2_filter::parse);
}

#[test]
fn over_long_input_is_refused_at_the_limit() {
    let parser = Parser::new().max_len(10);
    let filter = r#"userName eq "bjensen""#;
    case(
        filter,
        10,
        "the input is 21 bytes long, more than the limit of 10 bytes",
    )
    .run(|s| parser.parse_filter(s));
    case("name.givenName", 10, "more than the limit of 10 bytes").run(|s| parser.parse_path(s));
    case("name.givenName", 10, "more than the limit of 10 bytes")
        .run(|s| parser.parse_attr_path(s));
    assert!(parser.parse_filter("title pr").is_ok());

    let long = format!("a eq \"{}\"", "x".repeat(Parser::DEFAULT_MAX_LEN));
    case(&long, Parser::DEFAULT_MAX_LEN, "more than the limit").run(scim2_filter::parse);
}

#[test]
fn attribute_path_constructors_refuse_invalid_parts() {
    let name_error = |name: &str| {
        let err = AttrPath::new(name).unwrap_err();
        assert_eq!(err.kind(), PathErrorKind::AttrName, "{name:?}");
        err.position()
    };
    assert_eq!(name_error("user$Name"), Some(4));
    assert_eq!(name_error(""), Some(0));
    assert_eq!(name_error("1abc"), Some(0));
    let name = AttrPath::new("name").unwrap();
    let err = name.clone().with_sub_attr("given.Name").unwrap_err();
    assert_eq!(
        (err.kind(), err.position()),
        (PathErrorKind::SubAttr, Some(5))
    );
    for urn in ["urn:a", "urn:a::b", "http://example.com"] {
        let err = name.clone().with_schema(urn).unwrap_err();
        assert_eq!(err.kind(), PathErrorKind::SchemaUrn, "{urn:?}");
    }
}

#[test]
fn value_and_patch_path_constructors_refuse_with_the_same_error_type() {
    let attr = |s: &str| s.parse::<AttrPath>().unwrap();
    let inner = Filter::present(attr("type"));
    let kind = |result: Result<ValuePath, PathError>| result.unwrap_err().kind();
    assert_eq!(
        kind(ValuePath::new(attr("name.givenName"), inner.clone())),
        PathErrorKind::SubAttrBeforeBracket
    );
    let nested = Filter::ValuePath(ValuePath::new(attr("b"), inner.clone()).unwrap());
    assert_eq!(
        kind(ValuePath::new(attr("emails"), nested)),
        PathErrorKind::NestedValuePath
    );
    assert_eq!(
        kind(ValuePath::new(
            attr("emails"),
            Filter::present(attr("urn:a:b:type"))
        )),
        PathErrorKind::UrnInValueFilter
    );
    let err = ValuePath::new(attr("emails"), Filter::present(attr("urn:a:b:type"))).unwrap_err();
    assert_eq!(err.position(), None);
    assert_eq!(
        err.to_string(),
        "attribute paths inside a value filter are relative and cannot carry a schema URN"
    );

    let value_path = ValuePath::new(attr("emails"), inner).unwrap();
    let err = PatchPath::value_path(value_path.clone(), Some("1x")).unwrap_err();
    assert_eq!(
        (err.kind(), err.position()),
        (PathErrorKind::SubAttr, Some(0))
    );
    let path = PatchPath::value_path(value_path, Some("value")).unwrap();
    assert_eq!(path.to_string(), "emails[type pr].value");
}

#[test]
fn parse_error_is_send_sync_static() {
    fn assert_bounds<T: Send + Sync + 'static + std::error::Error>() {}
    assert_bounds::<ParseError>();
}

#[test]
fn parse_error_displays_position_then_message() {
    let err = scim2_filter::parse(r#"userName eq bjensen"#).unwrap_err();
    assert_eq!(err.position(), 12);
    assert_eq!(
        err.message(),
        r#"expected a value (a double-quoted string, a number, true, false or null), found "bjensen""#
    );
    assert_eq!(
        err.to_string(),
        r#"at position 12: expected a value (a double-quoted string, a number, true, false or null), found "bjensen""#
    );
}
