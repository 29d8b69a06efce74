//! Property tests of the printer and the parsers: every AST built through
//! the public constructors prints as text that parses back to an equal AST,
//! and no input, however malformed, makes a parser panic.

use proptest::prelude::*;
use proptest::sample::select;
use scim2_filter::{
    AttrPath, CompValue, CompareOp, Filter, Operands, Parser, PatchPath, ValuePath,
};
use serde_json::Number;

use crate::rfc_users;

/// A modest case count keeps the whole test binary fast in debug builds.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // Failures are kept as tests in `regressions.rs`, not as files.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Names that are also keywords or literals of the grammar, in several
/// cases, plus the names with special handling.
const TRICKY_NAMES: &[&str] = &[
    "and", "or", "not", "pr", "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "true",
    "false", "null", "AND", "Or", "NOT", "Pr", "EQ", "True", "NULL", "urn", "URN", "$ref", "$Ref",
    "value", "type",
];

const SCHEMAS: &[&str] = &[
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:example:params:scim:schemas:extension:signin:2.0:Host",
];

fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z][a-zA-Z0-9_-]{0,7}",
        2 => select(TRICKY_NAMES).prop_map(str::to_owned),
    ]
}

/// `urn:NID:NSS` with every character a schema URN may hold.
fn schema_urn() -> impl Strategy<Value = String> {
    prop_oneof![
        select(SCHEMAS).prop_map(str::to_owned),
        (
            "[uU][rR][nN]",
            prop::collection::vec("[a-zA-Z0-9._~%!$&'*+,;=@/-]{1,5}", 2..6),
        )
            .prop_map(|(urn, parts)| format!("{urn}:{}", parts.join(":"))),
    ]
}

/// A path without a schema URN, as inside a value filter.
fn relative_path() -> BoxedStrategy<AttrPath> {
    (attr_name(), prop::option::of(attr_name()))
        .prop_map(|(name, sub)| {
            let path = AttrPath::new(&name).unwrap();
            match sub {
                Some(sub) => path.with_sub_attr(&sub).unwrap(),
                None => path,
            }
        })
        .boxed()
}

/// A path with an optional schema URN.
fn absolute_path() -> BoxedStrategy<AttrPath> {
    (prop::option::of(schema_urn()), relative_path())
        .prop_map(|(schema, path)| match schema {
            Some(schema) => path.with_schema(&schema).unwrap(),
            None => path,
        })
        .boxed()
}

/// The attribute before `[`: optional schema URN, no sub-attribute.
fn container_path() -> impl Strategy<Value = AttrPath> {
    (prop::option::of(schema_urn()), attr_name()).prop_map(|(schema, name)| {
        let path = AttrPath::new(&name).unwrap();
        match schema {
            Some(schema) => path.with_schema(&schema).unwrap(),
            None => path,
        }
    })
}

fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // Quotes, backslashes, control characters and non-ASCII.
        r#"["\\/a-zA-Z0-9éÉ名😀\x00-\x1f\x7f\u{2028}\u{fffd} ]{0,12}"#,
    ]
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(CompValue::from),
        any::<u64>().prop_map(|n| CompValue::Number(Number::from(n))),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(CompValue::Number),
        string_value().prop_map(CompValue::String),
    ]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    select(CompareOp::ALL.to_vec())
}

/// `attrExp` over paths from `path`.
fn attr_exp(path: BoxedStrategy<AttrPath>) -> impl Strategy<Value = Filter> {
    prop_oneof![
        3 => (path.clone(), compare_op(), comp_value())
            .prop_map(|(path, op, value)| Filter::compare(path, op, value)),
        1 => path.prop_map(Filter::present),
    ]
}

fn operands(filters: Vec<Filter>) -> Operands {
    let mut filters = filters.into_iter();
    let (Some(first), Some(second)) = (filters.next(), filters.next()) else {
        unreachable!("the strategies make at least two operands")
    };
    let mut operands = Operands::new(first, second);
    for filter in filters {
        operands.push(filter);
    }
    operands
}

/// `not`, `and` and `or` over `leaf`, nested a few levels.
fn junctions(leaf: BoxedStrategy<Filter>) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Filter::not),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|ops| Filter::And(operands(ops))),
            prop::collection::vec(inner, 2..4).prop_map(|ops| Filter::Or(operands(ops))),
        ]
    })
    .boxed()
}

/// A `valFilter`: relative paths, no value paths.
fn value_filter() -> BoxedStrategy<Filter> {
    junctions(attr_exp(relative_path()).boxed())
}

fn value_path() -> impl Strategy<Value = ValuePath> {
    (container_path(), value_filter())
        .prop_map(|(attr, filter)| ValuePath::new(attr, filter).unwrap())
}

fn filter() -> BoxedStrategy<Filter> {
    let leaf = prop_oneof![
        3 => attr_exp(absolute_path()),
        1 => value_path().prop_map(Filter::ValuePath),
    ];
    junctions(leaf.boxed())
}

fn patch_path() -> impl Strategy<Value = PatchPath> {
    prop_oneof![
        absolute_path().prop_map(PatchPath::attr_path),
        (value_path(), prop::option::of(attr_name())).prop_map(|(vp, sub)| PatchPath::value_path(
            vp,
            sub.as_deref()
        )
        .unwrap()),
    ]
}

/// Pieces of filter syntax, valid and not, to glue together.
const TOKENS: &[&str] = &[
    " ",
    " ",
    " ",
    "(",
    ")",
    "[",
    "]",
    ".",
    ":",
    "not",
    "not(",
    "and",
    "or",
    "pr",
    "eq",
    "ne",
    "co",
    "gt",
    "le",
    "\"x\"",
    "\"",
    "\\",
    "\\u",
    "D83D",
    "\\uDE00",
    "\"\\n\"",
    "1",
    "-",
    "1e5",
    "0.5",
    "true",
    "null",
    "userName",
    "emails",
    "type",
    "value",
    "$ref",
    "urn:a:b:",
    "urn:ietf:params:scim:schemas:core:2.0:User:",
    "é",
    "😀",
    "\u{0}",
    "\t",
    "'",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(select(TOKENS), 0..24).prop_map(|tokens| tokens.concat())
}

/// Parsing never panics; whatever parses prints as text that parses back to
/// the same AST, and evaluating it does not panic either.
fn check_any_input(text: &str) -> Result<(), TestCaseError> {
    if let Ok(filter) = scim2_filter::parse(text) {
        prop_assert_eq!(scim2_filter::parse(&filter.to_string()), Ok(filter.clone()));
        for (_, user) in rfc_users() {
            let _ = filter.matches(&user);
        }
    }
    if let Ok(path) = scim2_filter::parse_path(text) {
        prop_assert_eq!(scim2_filter::parse_path(&path.to_string()), Ok(path));
    }
    if let Ok(path) = Parser::new().parse_attr_path(text) {
        prop_assert_eq!(path.to_string().parse::<AttrPath>(), Ok(path));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_filter_prints_as_text_that_parses_back_to_it(filter in filter()) {
        let text = filter.to_string();
        prop_assert_eq!(scim2_filter::parse(&text), Ok(filter), "{}", text);
    }

    #[test]
    fn any_patch_path_prints_as_text_that_parses_back_to_it(path in patch_path()) {
        let text = path.to_string();
        prop_assert_eq!(scim2_filter::parse_path(&text), Ok(path), "{}", text);
    }

    #[test]
    fn any_attr_path_prints_as_text_that_parses_back_to_it(path in absolute_path()) {
        let text = path.to_string();
        prop_assert_eq!(text.parse::<AttrPath>(), Ok(path), "{}", text);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        check_any_input(&text)?;
    }

    #[test]
    fn parsing_filter_like_token_soup_never_panics(text in token_soup()) {
        check_any_input(&text)?;
    }

    #[test]
    fn parsing_mutated_valid_filters_never_panics(
        filter in filter(),
        cut in any::<prop::sample::Index>(),
        insert in select(TOKENS),
    ) {
        let mut text = filter.to_string();
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, insert);
        check_any_input(&text)?;
        check_any_input(&text[..at])?;
    }
}
