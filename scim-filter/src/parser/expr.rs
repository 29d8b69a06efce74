//! `FILTER`, `logExp`, `attrExp`, `valuePath` and `valFilter` (RFC 7644
//! §3.4.2.2), with the precedence `not` > `and` > `or` written as layered
//! functions: `or` chains of `and` chains of unary expressions, each chain
//! folded iteratively so that its length costs no stack.

use nom::Parser;
use nom::branch::alt;
use nom::character::complete::char;
use nom::combinator::{cut, map_opt, value};
use nom::error::ErrorKind;
use nom::multi::fold_many0;
use nom::sequence::{delimited, preceded, terminated};

use super::attr_path::{parse_attr_path, parse_opt_sub_attr};
use super::value::parse_comp_value;
use super::{
    Expected, Limits, PError, PResult, closing, end_of_input, expect, keyword, refuse, space0,
    space1, take_bytes, word_boundary,
};
use crate::{AttrPath, CompValue, CompareOp, Filter, Operands, ValuePath};

/// Where in the grammar a production is being parsed.
#[derive(Clone, Copy)]
pub(super) struct State<'a> {
    /// The whole input, which every input a production sees is a suffix of.
    whole: &'a str,
    limits: Limits,
    /// Parentheses, `not (` and `[` currently open.
    depth: usize,
    /// Inside `[…]`: no further value path, no schema URNs.
    in_value_filter: bool,
}

impl<'a> State<'a> {
    pub(super) fn new(limits: Limits, whole: &'a str) -> Self {
        Self {
            whole,
            limits,
            depth: 0,
            in_value_filter: false,
        }
    }

    /// `open`, and the state one level inside it; past the depth limit, a
    /// failure at the opening character.
    fn open(self, open: char) -> impl Parser<&'a str, Output = Self, Error = PError<'a>> {
        move |i: &'a str| {
            let (rest, _) = char(open).parse(i)?;
            let depth = self.depth + 1;
            if depth > self.limits.max_depth {
                return PError::failure(i, Expected::TooDeep);
            }
            Ok((rest, Self { depth, ..self }))
        }
    }

    /// `true` if the character before `i` is `)`, `]` or `"`, which end a
    /// token on their own.
    fn follows_delimiter(self, i: &str) -> bool {
        let consumed = self.whole.len().saturating_sub(i.len());
        matches!(
            self.whole.as_bytes().get(consumed.wrapping_sub(1)),
            Some(b')' | b']' | b'"')
        )
    }
}

/// A whole filter: optional whitespace, `FILTER`, optional whitespace, end.
pub(super) fn parse_complete_filter(limits: Limits, i: &str) -> PResult<'_, Filter> {
    let state = State::new(limits, i);
    delimited(
        space0,
        |i| parse_filter(state, i),
        end_of_input(Expected::End),
    )
    .parse(i)
}

/// `FILTER = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"` and
/// `logExp = FILTER SP ("and" / "or") SP FILTER`, the `or` level:
/// `and`-chains joined by `or`.
pub(super) fn parse_filter<'a>(state: State<'a>, i: &'a str) -> PResult<'a, Filter> {
    parse_chain(state, i, "or", parse_and, Filter::Or)
}

/// The `and` level of `logExp`: unary expressions joined by `and`.
fn parse_and<'a>(state: State<'a>, i: &'a str) -> PResult<'a, Filter> {
    parse_chain(state, i, "and", parse_unary, Filter::And)
}

/// `operand *(SP keyword SP operand)`, folded into one n-ary node; each
/// operand after a keyword is committed.
fn parse_chain<'a>(
    state: State<'a>,
    i: &'a str,
    kw: &'static str,
    operand: fn(State<'a>, &'a str) -> PResult<'a, Filter>,
    build: fn(Operands) -> Filter,
) -> PResult<'a, Filter> {
    let (rest, first) = operand(state, i)?;
    let (rest, more) = fold_many0(
        preceded(parse_logical_keyword(state, kw), cut(|i| operand(state, i))),
        Vec::new,
        |mut more, next| {
            more.push(next);
            more
        },
    )
    .parse(rest)?;
    if more.is_empty() {
        return Ok((rest, first));
    }
    Ok((rest, build(Operands::from_first_and_rest(first, more))))
}

/// `SP ("and" / "or") SP`. The space before the keyword may be left out
/// only where a parenthesis, bracket or quote already separates the tokens
/// (`(a pr)or(b pr)`); the keyword's word boundary separates it from what
/// follows.
fn parse_logical_keyword<'a>(
    state: State<'a>,
    kw: &'static str,
) -> impl Parser<&'a str, Output = (), Error = PError<'a>> {
    let after_delimiter = move |i: &'a str| {
        if state.follows_delimiter(i) {
            Ok((i, i))
        } else {
            Err(nom::Err::Error(PError::new(
                i,
                Expected::Nom(ErrorKind::Space),
            )))
        }
    };
    value((), (alt((space1, after_delimiter)), keyword(kw), space0))
}

/// `*1"not" "(" FILTER ")"` (`valFilter`'s `*1"not" "(" valFilter ")"`
/// inside brackets), a parenthesised `FILTER`, or else an `attrExp` /
/// `valuePath`. `not` without a parenthesis may still be an attribute
/// named "not".
fn parse_unary<'a>(state: State<'a>, i: &'a str) -> PResult<'a, Filter> {
    let group = |i| parse_group(state, i);
    let not_group = preceded((keyword("not"), space0), group).map(Filter::not);
    // Only `not` and `(` start these: one byte decides, before two
    // alternatives are tried.
    if matches!(i.as_bytes().first(), Some(b'n' | b'N' | b'(')) {
        match alt((not_group, group)).parse(i) {
            Err(nom::Err::Error(_)) => {}
            parenthesised => return parenthesised,
        }
    }
    // The last alternative, called directly: most operands are one, and
    // their result is the largest value a production returns.
    match parse_attr_exp(state, i) {
        Err(nom::Err::Error(_)) => PError::error(i, Expected::Filter),
        other => other,
    }
}

/// `"(" FILTER ")"`, committed after the parenthesis.
fn parse_group<'a>(state: State<'a>, i: &'a str) -> PResult<'a, Filter> {
    let (inner, state) = state.open('(').parse(i)?;
    cut(delimited(
        space0,
        |i| parse_filter(state, i),
        closing(')', Expected::CloseParen),
    ))
    .parse(inner)
}

/// `attrExp = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)`,
/// or `valuePath = attrPath "[" valFilter "]"`, which share their
/// `attrPath`.
fn parse_attr_exp<'a>(state: State<'a>, i: &'a str) -> PResult<'a, Filter> {
    let (rest, path) = parse_attr_path(i)?;
    if state.in_value_filter && path.schema().is_some() {
        return PError::failure(i, Expected::UrnInValueFilter);
    }
    if rest.starts_with('[') {
        return parse_value_path(state, i, path, rest);
    }
    let (rest, test) = parse_attr_test(rest)?;
    Ok((rest, test.apply(path)))
}

/// What an `attrExp` asks of its `attrPath`.
enum AttrTest {
    /// `SP "pr"`.
    Present,
    /// `SP compareOp SP compValue`.
    Compare(CompareOp, CompValue),
}

impl AttrTest {
    fn apply(self, path: AttrPath) -> Filter {
        match self {
            Self::Present => Filter::Present(path),
            Self::Compare(op, value) => Filter::compare(path, op, value),
        }
    }
}

/// The rest of an `attrExp` after its `attrPath`:
/// `SP "pr" / SP compareOp SP compValue`. Always committed: an attribute
/// path must be followed by one of them.
fn parse_attr_test(i: &str) -> PResult<'_, AttrTest> {
    preceded(
        cut(expect(space1, Expected::CompareOp)),
        alt((
            keyword("pr").map(|_| AttrTest::Present),
            (
                parse_compare_op,
                preceded(cut(expect(space1, Expected::CompValue)), parse_comp_value),
            )
                .map(|(op, value)| AttrTest::Compare(op, value)),
            refuse(Expected::CompareOp),
        )),
    )
    .parse(i)
}

/// `compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" /
/// "le"`, in any case and at a word boundary.
fn parse_compare_op(i: &str) -> PResult<'_, CompareOp> {
    // Every operator is two letters: take two and look them up, rather
    // than trying nine tags in turn.
    terminated(
        map_opt(take_bytes(2), CompareOp::from_keyword),
        word_boundary,
    )
    .parse(i)
}

/// `valuePath = attrPath "[" valFilter "]"`, optionally followed by
/// Entra ID's `"." subAttr SP compareOp SP compValue`, which is read as the
/// equivalent value filter: `emails[type eq "work"].value eq "x"` is
/// `emails[type eq "work" and value eq "x"]`. `start` is where the path
/// began and `bracket` where its `[` is.
fn parse_value_path<'a>(
    state: State<'a>,
    start: &'a str,
    attr: AttrPath,
    bracket: &'a str,
) -> PResult<'a, Filter> {
    let (rest, value_path) = parse_bracketed_filter(state, start, attr, bracket)?;
    let (rest, sub) = parse_opt_sub_attr(rest)?;
    let Some(sub) = sub else {
        return Ok((rest, Filter::ValuePath(value_path)));
    };
    let (rest, test) = parse_attr_test(rest)?;
    let condition = test.apply(AttrPath::from_parts(None, sub, None));
    let (attr, inner) = (value_path.attr().clone(), value_path.filter().clone());
    // Both halves are relative paths without value paths: the bracket's
    // filter was parsed as a `valFilter`, and `sub` is a bare name.
    let value_path = ValuePath::from_checked_parts(attr, Filter::and(inner, condition));
    Ok((rest, Filter::ValuePath(value_path)))
}

/// `"[" valFilter "]"` after `attr`, shared by filters and PATCH paths;
/// `start` is where the path began and `bracket` where its `[` is.
pub(super) fn parse_bracketed_filter<'a>(
    state: State<'a>,
    start: &'a str,
    attr: AttrPath,
    bracket: &'a str,
) -> PResult<'a, ValuePath> {
    if state.in_value_filter {
        return PError::failure(start, Expected::NestedValuePath);
    }
    if attr.sub_attr().is_some() {
        return PError::failure(bracket, Expected::SubAttrBeforeBracket);
    }
    let (inner, state) = state.open('[').parse(bracket)?;
    let (rest, filter) = cut(terminated(
        preceded(space0, |i| parse_val_filter(state, i)),
        closing(']', Expected::CloseBracket),
    ))
    .parse(inner)?;
    // Nested value paths and URNs were refused while parsing the
    // `valFilter`, and a sub-attribute before `[` above.
    Ok((rest, ValuePath::from_checked_parts(attr, filter)))
}

/// `valFilter = attrExp / logExp / *1"not" "(" valFilter ")"`: a `FILTER`
/// without value paths and without schema URNs, whose paths are relative
/// to the bracket's attribute.
fn parse_val_filter<'a>(state: State<'a>, i: &'a str) -> PResult<'a, Filter> {
    let state = State {
        in_value_filter: true,
        ..state
    };
    parse_filter(state, i)
}
