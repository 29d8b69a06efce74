//! `FILTER`, `logExp`, `attrExp`, `valuePath` and `valFilter` (RFC 7644
//! §3.4.2.2), with the precedence `not` > `and` > `or` written as layered
//! functions: `or` chains of `and` chains of unary expressions.

use super::attr_path::{parse_attr_path, split_attr_name};
use super::value::parse_comp_value;
use super::{Expected, Limits, PError, PResult, keyword, ws0};
use crate::{AttrPath, CompareOp, Filter, Operands, ValuePath};

/// Where in the grammar a production is being parsed.
#[derive(Clone, Copy)]
pub(super) struct State {
    limits: Limits,
    /// Parentheses, `not (` and `[` currently open.
    depth: usize,
    /// Inside `[…]`: no further value path, no schema URNs.
    in_value_filter: bool,
}

impl State {
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            limits,
            depth: 0,
            in_value_filter: false,
        }
    }

    /// One level deeper, or a failure at `at` past the limit.
    fn nest<'a>(self, at: &'a str) -> Result<Self, nom::Err<PError<'a>>> {
        let depth = self.depth + 1;
        if depth > self.limits.max_depth {
            return Err(nom::Err::Failure(PError::new(
                at,
                Expected::TooDeep(self.limits.max_depth),
            )));
        }
        Ok(Self { depth, ..self })
    }
}

/// A whole filter: optional whitespace, `FILTER`, optional whitespace, end.
pub(super) fn parse_complete_filter(limits: Limits, i: &str) -> PResult<'_, Filter> {
    let (rest, filter) = parse_filter(State::new(limits), ws0(i))?;
    let rest = ws0(rest);
    if !rest.is_empty() {
        return PError::failure(rest, Expected::End);
    }
    Ok((rest, filter))
}

/// `FILTER = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"`, the
/// `or` level: `and`-chains joined by `or`.
pub(super) fn parse_filter(state: State, i: &str) -> PResult<'_, Filter> {
    parse_chain(state, i, "or", parse_and, Filter::Or)
}

/// The `and` level of `logExp`: unary expressions joined by `and`.
fn parse_and(state: State, i: &str) -> PResult<'_, Filter> {
    parse_chain(state, i, "and", parse_unary, Filter::And)
}

/// `operand *(SP keyword SP operand)` built into one n-ary node. Iterative,
/// so a chain of any length costs no stack.
fn parse_chain<'a>(
    state: State,
    i: &'a str,
    kw: &str,
    operand: fn(State, &'a str) -> PResult<'a, Filter>,
    build: fn(Operands) -> Filter,
) -> PResult<'a, Filter> {
    let (rest, first) = operand(state, i)?;
    let Some(after) = logical_keyword(i, rest, kw) else {
        return Ok((rest, first));
    };
    let (mut rest, second) = committed(operand(state, after))?;
    let mut operands = Operands::new(first, second);
    while let Some(after) = logical_keyword(i, rest, kw) {
        let (after_operand, next) = committed(operand(state, after))?;
        operands.push(next);
        rest = after_operand;
    }
    Ok((rest, build(operands)))
}

/// Turns a recoverable error into a committed one: used once a production
/// has seen the token that decides it.
pub(super) fn committed<'a, O>(result: PResult<'a, O>) -> PResult<'a, O> {
    match result {
        Err(nom::Err::Error(e)) => Err(nom::Err::Failure(e)),
        other => other,
    }
}

/// `SP ("and" / "or") SP` at `rest`, returning the input after it. The
/// space before the keyword may be left out only where a parenthesis,
/// bracket or quote already separates the tokens (`(a pr)or(b pr)`); the
/// keyword's word boundary separates it from what follows.
fn logical_keyword<'a>(whole: &str, rest: &'a str, kw: &str) -> Option<&'a str> {
    let trimmed = ws0(rest);
    let spaced_before = trimmed.len() < rest.len() || {
        let consumed = whole.len() - rest.len();
        whole[..consumed].ends_with([')', ']', '"'])
    };
    if !spaced_before {
        return None;
    }
    keyword(trimmed, kw).map(ws0)
}

/// `*1"not" "(" FILTER ")"`, or an `attrExp` / `valuePath`.
fn parse_unary(state: State, i: &str) -> PResult<'_, Filter> {
    if let Some(after_not) = keyword(i, "not") {
        let after_ws = ws0(after_not);
        if let Some(inner) = after_ws.strip_prefix('(') {
            let (rest, filter) = parse_group(state.nest(after_ws)?, inner)?;
            return Ok((rest, Filter::not(filter)));
        }
        // `not` without a parenthesis may still be an attribute named "not".
    }
    if let Some(inner) = i.strip_prefix('(') {
        return parse_group(state.nest(i)?, inner);
    }
    parse_attr_exp(state, i)
}

/// The inside of `( … )`, after the opening parenthesis.
fn parse_group(state: State, i: &str) -> PResult<'_, Filter> {
    let (rest, filter) = committed(parse_filter(state, ws0(i)))?;
    let rest = ws0(rest);
    match rest.strip_prefix(')') {
        Some(after) => Ok((after, filter)),
        None => PError::failure(rest, Expected::CloseParen),
    }
}

/// `attrExp = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)`,
/// or `valuePath = attrPath "[" valFilter "]"`, optionally followed by
/// Entra ID's `"." subAttr SP compareOp SP compValue`, which is read as the
/// equivalent value filter: `emails[type eq "work"].value eq "x"` is
/// `emails[type eq "work" and value eq "x"]`.
fn parse_attr_exp(state: State, i: &str) -> PResult<'_, Filter> {
    let (rest, path) = match parse_attr_path(i) {
        Err(nom::Err::Error(e)) => {
            return Err(nom::Err::Error(PError {
                expected: Expected::Filter,
                ..e
            }));
        }
        other => other?,
    };
    if state.in_value_filter && path.schema().is_some() {
        return PError::failure(i, Expected::UrnInValueFilter);
    }
    if rest.starts_with('[') {
        return parse_value_path(state, i, path, rest);
    }
    parse_attr_exp_tail(rest, path)
}

/// `SP "pr"` or `SP compareOp SP compValue` after an attribute path.
fn parse_attr_exp_tail(i: &str, path: AttrPath) -> PResult<'_, Filter> {
    let after_ws = ws0(i);
    if after_ws.len() == i.len() {
        return PError::failure(i, Expected::CompareOp);
    }
    if let Some(rest) = keyword(after_ws, "pr") {
        return Ok((rest, Filter::Present(path)));
    }
    let Some((op, after_op)) = CompareOp::ALL
        .iter()
        .find_map(|op| keyword(after_ws, op.as_str()).map(|rest| (*op, rest)))
    else {
        return PError::failure(after_ws, Expected::CompareOp);
    };
    let value_start = ws0(after_op);
    if value_start.len() == after_op.len() {
        return PError::failure(after_op, Expected::CompValue);
    }
    let (rest, value) = parse_comp_value(value_start)?;
    Ok((rest, Filter::compare(path, op, value)))
}

/// `valuePath = attrPath "[" valFilter "]"`; `start` is where the path
/// began and `bracket` where its `[` is.
fn parse_value_path<'a>(
    state: State,
    start: &'a str,
    attr: AttrPath,
    bracket: &'a str,
) -> PResult<'a, Filter> {
    let (rest, value_path) = parse_bracketed_filter(state, start, attr, bracket)?;
    // Entra's `…].subAttr op value` form.
    let Some(after_dot) = rest.strip_prefix('.') else {
        return Ok((rest, Filter::ValuePath(value_path)));
    };
    let Some((sub, after_sub)) = split_attr_name(after_dot) else {
        return PError::failure(after_dot, Expected::SubAttrName);
    };
    if after_sub.starts_with('.') {
        return PError::failure(after_sub, Expected::SecondSubAttr);
    }
    let sub_path = AttrPath::from_parts(None, sub, None);
    let (rest, condition) = parse_attr_exp_tail(after_sub, sub_path)?;
    let (attr, inner) = (value_path.attr().clone(), value_path.filter().clone());
    let combined = Filter::and(inner, condition);
    // Both halves are relative paths without value paths, as checked above.
    match ValuePath::new(attr, combined) {
        Ok(vp) => Ok((rest, Filter::ValuePath(vp))),
        Err(_) => PError::failure(start, Expected::NestedValuePath),
    }
}

/// `attrPath "[" valFilter "]"`, shared by filters and PATCH paths;
/// `bracket` starts at `[`.
pub(super) fn parse_bracketed_filter<'a>(
    state: State,
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
    let inner_state = State {
        in_value_filter: true,
        ..state.nest(bracket)?
    };
    let inner = ws0(&bracket[1..]);
    let (rest, filter) = committed(parse_filter(inner_state, inner))?;
    let rest = ws0(rest);
    let Some(after) = rest.strip_prefix(']') else {
        return PError::failure(rest, Expected::CloseBracket);
    };
    match ValuePath::new(attr, filter) {
        Ok(vp) => Ok((after, vp)),
        // Nested value paths and URNs were refused while parsing.
        Err(_) => PError::failure(start, Expected::NestedValuePath),
    }
}
