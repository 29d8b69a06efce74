//! The nom grammar: one function per ABNF production of RFC 7644 §3.4.2.2
//! (Figure 1) and §3.5.2, plus the error plumbing that turns nom's errors
//! into a [`ParseError`] with a position and a message a person can act on.
//!
//! Each production is a `parse_<production>` function built from nom 8
//! combinators (`alt`, `preceded`, `delimited`, `fold_many0`, `cut`, …)
//! whose doc comment quotes its ABNF rule. The grammar is LL(1) apart from
//! two places (`not` may also be an attribute name; a value path may be
//! followed by Entra's `.subAttr op value`), so every production commits
//! with `cut` as soon as it has seen its deciding token: errors are reported
//! where they are, and no input is parsed twice, which keeps parsing linear
//! in the input length. `and`/`or` chains are folded iteratively
//! (`fold_many0`), so their length costs no stack; nesting is bounded by
//! [`Limits::max_depth`].
//!
//! Two recoverable-error conventions hold throughout: a production fails
//! recoverably only where it starts (so `alt` can try the next one), and
//! [`expect`] renames such a failure to what the grammar wanted there.

mod attr_path;
mod expr;
mod patch_path;
mod value;

use std::fmt::Write as _;
use std::marker::PhantomData;

use nom::character::complete::char;
use nom::combinator::{cut, eof};
use nom::error::ErrorKind;
use nom::sequence::{preceded, terminated};
use nom::{Err, IResult, Parser};

pub(crate) use self::attr_path::{check_attr_name, check_schema_urn};
use crate::{AttrPath, Filter, ParseError, PatchPath};

/// The result of one production.
pub(crate) type PResult<'a, O> = IResult<&'a str, O, PError<'a>>;

/// The parser's error: where it happened and what was expected.
///
/// Kept to two words (the length of the input left where it happened, and
/// a one-byte [`Expected`]): every failed alternative returns one, and a
/// larger error made those returns the parser's most expensive moves.
#[derive(Debug)]
pub(crate) struct PError<'a> {
    /// The length of the input left where the problem is; the position is
    /// the whole input's length minus this.
    remaining: usize,
    expected: Expected,
    input: PhantomData<&'a str>,
}

/// What the parser wanted to see, or what it objects to.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Expected {
    /// The start of a filter expression.
    Filter,
    /// An `ATTRNAME`.
    AttrName,
    /// An `ATTRNAME` after `.`.
    SubAttrName,
    /// A path had two sub-attributes.
    SecondSubAttr,
    /// A schema URN prefix that is not `urn:NID:NSS`.
    SchemaUrn,
    /// A comparison operator after an attribute path.
    CompareOp,
    /// A `compValue`.
    CompValue,
    /// A number literal that is malformed.
    Number,
    /// A number literal beyond what JSON numbers can hold here.
    NumberRange,
    /// A string literal without its closing quote.
    UnterminatedString,
    /// An unknown escape in a string literal.
    Escape,
    /// A `\u` escape without four hex digits.
    UnicodeEscape,
    /// A `\u` escape of half a surrogate pair.
    LoneSurrogate,
    /// A raw control character in a string literal.
    ControlChar,
    /// `and`, `or` or the end of the input.
    End,
    /// `and`, `or` or `)`.
    CloseParen,
    /// `and`, `or` or `]`.
    CloseBracket,
    /// The end of a PATCH path.
    PathEnd,
    /// A sub-attribute on the attribute before `[`.
    SubAttrBeforeBracket,
    /// A value path inside a value filter.
    NestedValuePath,
    /// A schema URN on a path inside a value filter.
    UrnInValueFilter,
    /// Nesting beyond the configured limit.
    TooDeep,
    /// Anything nom itself reports.
    Nom(ErrorKind),
}

impl<'a> PError<'a> {
    pub(crate) fn new(input: &'a str, expected: Expected) -> Self {
        Self {
            remaining: input.len(),
            expected,
            input: PhantomData,
        }
    }

    /// A recoverable error: an alternative may still match.
    pub(crate) fn error<T>(input: &'a str, expected: Expected) -> PResult<'a, T> {
        Err(Err::Error(Self::new(input, expected)))
    }

    /// A committed error: the input is wrong here.
    pub(crate) fn failure<T>(input: &'a str, expected: Expected) -> PResult<'a, T> {
        Err(Err::Failure(Self::new(input, expected)))
    }

    fn into_parse_error(self, original: &str, limits: Limits) -> ParseError {
        let position = original.len().saturating_sub(self.remaining);
        // `remaining` is the length of a suffix of `original`, so
        // `position` is a character boundary.
        let rest = original.get(position..).unwrap_or_default();
        let nom_kind;
        let what = match self.expected {
            Expected::TooDeep => {
                return ParseError::new(
                    position,
                    format!(
                        "the filter nests deeper than the limit of {} levels",
                        limits.max_depth
                    ),
                );
            }
            Expected::Filter => r#"expected an attribute path, "not" or "(""#,
            Expected::AttrName => "expected an attribute name",
            Expected::SubAttrName => r#"expected a sub-attribute name after ".""#,
            Expected::SecondSubAttr => {
                "an attribute path has at most one sub-attribute, found another"
            }
            Expected::SchemaUrn => {
                "expected a schema URN of the form urn:NID:NSS before the attribute name"
            }
            Expected::CompareOp => "expected a comparison operator",
            Expected::CompValue => {
                "expected a value (a double-quoted string, a number, true, false or null)"
            }
            Expected::Number => "malformed number",
            Expected::NumberRange => "number out of range",
            Expected::UnterminatedString => "string has no closing double quote",
            Expected::Escape => {
                r#"invalid escape in string (valid: \" \\ \/ \b \f \n \r \t \uXXXX)"#
            }
            Expected::UnicodeEscape => r"expected four hex digits after \u",
            Expected::LoneSurrogate => r"\u escape is half of a surrogate pair",
            Expected::ControlChar => "control character in string must be escaped",
            Expected::End => r#"expected "and", "or" or the end of the filter"#,
            Expected::CloseParen => r#"expected "and", "or" or ")""#,
            Expected::CloseBracket => r#"expected "and", "or" or "]""#,
            Expected::PathEnd => "expected the end of the path",
            Expected::SubAttrBeforeBracket => {
                r#"the attribute before "[" cannot have a sub-attribute"#
            }
            Expected::NestedValuePath => "a value filter cannot contain another value path",
            Expected::UrnInValueFilter => {
                "paths inside a value filter are relative and cannot carry a schema URN"
            }
            Expected::Nom(kind) => {
                nom_kind = kind;
                nom_kind.description()
            }
        };
        let mut message = what.to_owned();
        if !matches!(
            self.expected,
            Expected::SecondSubAttr
                | Expected::UnterminatedString
                | Expected::LoneSurrogate
                | Expected::SubAttrBeforeBracket
                | Expected::NestedValuePath
                | Expected::UrnInValueFilter
        ) {
            message.push_str(", found ");
            describe_token(&mut message, rest);
        }
        ParseError::new(position, message)
    }
}

impl<'a> nom::error::ParseError<&'a str> for PError<'a> {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        Self::new(input, Expected::Nom(kind))
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two failed alternatives, report the one that got further.
    fn or(self, other: Self) -> Self {
        if other.remaining < self.remaining {
            other
        } else {
            self
        }
    }
}

/// Appends a short quotation of the token that starts `rest`.
fn describe_token(out: &mut String, rest: &str) {
    const MAX_CHARS: usize = 24;
    let Some(first) = rest.chars().next() else {
        out.push_str("the end of the input");
        return;
    };
    let token = if "()[]\"".contains(first) || first.is_whitespace() {
        &rest[..first.len_utf8()]
    } else {
        let end = rest
            .find(|c: char| c.is_whitespace() || "()[]\"".contains(c))
            .unwrap_or(rest.len());
        &rest[..end]
    };
    let mut chars = token.chars();
    let shown: String = chars.by_ref().take(MAX_CHARS).collect();
    let ellipsis = if chars.next().is_some() { "…" } else { "" };
    // Debug-escape so that control characters and quotes stay visible.
    let _ = write!(out, "{:?}", format!("{shown}{ellipsis}"));
}

/// Limits and entry points; see [`crate::Parser`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_depth: usize,
    pub(crate) max_len: usize,
}

impl Limits {
    fn check_len(self, input: &str) -> Result<(), ParseError> {
        if input.len() > self.max_len {
            return Err(ParseError::new(
                self.max_len,
                format!(
                    "the input is {} bytes long, more than the limit of {} bytes",
                    input.len(),
                    self.max_len
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn filter(self, input: &str) -> Result<Filter, ParseError> {
        self.check_len(input)?;
        finish(self, input, expr::parse_complete_filter(self, input))
    }

    pub(crate) fn patch_path(self, input: &str) -> Result<PatchPath, ParseError> {
        self.check_len(input)?;
        finish(self, input, patch_path::parse_complete_path(self, input))
    }

    pub(crate) fn attr_path(self, input: &str) -> Result<AttrPath, ParseError> {
        self.check_len(input)?;
        finish(self, input, attr_path::parse_complete_attr_path(input))
    }
}

fn finish<O>(limits: Limits, original: &str, result: PResult<'_, O>) -> Result<O, ParseError> {
    match result {
        Ok((_, out)) => Ok(out),
        Err(Err::Error(e) | Err::Failure(e)) => Err(e.into_parse_error(original, limits)),
        // Only complete-input parsers are used, which never ask for more.
        Err(Err::Incomplete(_)) => Err(ParseError::new(
            original.len(),
            "unexpected end of the input".to_owned(),
        )),
    }
}

/// `true` if `c` can continue a name or keyword, so that a keyword must not
/// be followed by it (`andrew` is not `and`).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$' | '.' | ':')
}

/// Matches `kw` without regard to ASCII case, at a word boundary.
pub(crate) fn keyword<'a>(
    kw: &'static str,
) -> impl Parser<&'a str, Output = &'a str, Error = PError<'a>> {
    terminated(ascii_no_case(kw), word_boundary)
}

/// `not(satisfy(is_word_char))`, looking at one byte: every word character
/// is ASCII, so the first byte decides, and the character need not be
/// decoded.
pub(crate) fn word_boundary(i: &str) -> PResult<'_, ()> {
    match i.as_bytes().first() {
        Some(&b) if is_word_char(char::from(b)) => PError::error(i, Expected::Nom(ErrorKind::Not)),
        _ => Ok((i, ())),
    }
}

/// `take` of `n` bytes, which must end on a character boundary; nom's
/// `&str` version counts characters, decoding them.
pub(crate) fn take_bytes<'a>(
    n: usize,
) -> impl Parser<&'a str, Output = &'a str, Error = PError<'a>> {
    move |i: &'a str| match (i.get(..n), i.get(n..)) {
        (Some(head), Some(rest)) => Ok((rest, head)),
        _ => PError::error(i, Expected::Nom(ErrorKind::Eof)),
    }
}

/// `tag_no_case` for an ASCII `tag`, comparing bytes: nom's `&str` version
/// lower-cases every character through Unicode's tables, which made it the
/// parser's hottest function, and also matches non-ASCII characters such
/// as the Kelvin sign to `k`. Its byte version still cost some forty
/// instructions a call, and it is called at every place a keyword may
/// stand, so this compares the slices directly. A match is all ASCII, so
/// the split after it falls on a character boundary.
pub(crate) fn ascii_no_case<'a>(
    tag: &'static str,
) -> impl Parser<&'a str, Output = &'a str, Error = PError<'a>> {
    debug_assert!(tag.is_ascii());
    move |i: &'a str| match i.as_bytes().get(..tag.len()) {
        Some(head) if head.eq_ignore_ascii_case(tag.as_bytes()) => {
            let (matched, rest) = i.split_at(tag.len());
            Ok((rest, matched))
        }
        _ => PError::error(i, Expected::Nom(ErrorKind::Tag)),
    }
}

/// `take_while` over bytes: the longest prefix whose bytes all satisfy
/// `pred`. nom's `&str` version decodes every character first, which made
/// scanning names, strings and whitespace the parser's largest cost.
///
/// `pred` must give one answer for every byte from 0x80 up (the bytes of
/// non-ASCII characters): then the prefix ends before an ASCII byte or
/// before a non-ASCII character's first byte, both character boundaries.
pub(crate) fn bytes_while<'a>(
    pred: impl Fn(u8) -> bool + Copy,
) -> impl Parser<&'a str, Output = &'a str, Error = PError<'a>> {
    debug_assert!((0x80..=0xFF).all(|b| pred(b) == pred(0x80)));
    move |i: &'a str| {
        let end = i.bytes().position(|b| !pred(b)).unwrap_or(i.len());
        // A character boundary, as argued above; `split_at` checks it.
        let (head, rest) = i.split_at(end);
        Ok((rest, head))
    }
}

/// [`bytes_while`] of at least one byte, or a recoverable `kind` error.
pub(crate) fn bytes_while1<'a>(
    pred: impl Fn(u8) -> bool + Copy,
    kind: ErrorKind,
) -> impl Parser<&'a str, Output = &'a str, Error = PError<'a>> {
    let mut many = bytes_while(pred);
    move |i: &'a str| match many.parse(i)? {
        (_, "") => PError::error(i, Expected::Nom(kind)),
        done => Ok(done),
    }
}

/// `true` for the whitespace nom's `multispace` accepts.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Optional whitespace (nom's `multispace0`, over bytes).
pub(crate) fn space0(i: &str) -> PResult<'_, &str> {
    bytes_while(is_space).parse(i)
}

/// Some whitespace (nom's `multispace1`, over bytes).
pub(crate) fn space1(i: &str) -> PResult<'_, &str> {
    bytes_while1(is_space, ErrorKind::MultiSpace).parse(i)
}

/// Runs `parser`; where it fails recoverably, reports `expected` at the
/// input it started on (still recoverably, so `cut` decides).
pub(crate) fn expect<'a, P>(
    mut parser: P,
    expected: Expected,
) -> impl Parser<&'a str, Output = P::Output, Error = PError<'a>>
where
    P: Parser<&'a str, Error = PError<'a>>,
{
    move |i: &'a str| match parser.parse(i) {
        Err(Err::Error(_)) => PError::error(i, expected),
        other => other,
    }
}

/// Always fails, committed, with `expected` at its input: the last
/// alternative of an `alt` that has seen its deciding token.
pub(crate) fn refuse<'a, O>(
    expected: Expected,
) -> impl Parser<&'a str, Output = O, Error = PError<'a>> {
    move |i: &'a str| PError::failure(i, expected)
}

/// Optional whitespace and then `close`, or a committed `expected` after
/// the whitespace.
pub(crate) fn closing<'a>(
    close: char,
    expected: Expected,
) -> impl Parser<&'a str, Output = char, Error = PError<'a>> {
    preceded(space0, cut(expect(char(close), expected)))
}

/// Optional whitespace and then the end of the input, or a committed
/// `expected` after the whitespace.
pub(crate) fn end_of_input<'a>(
    expected: Expected,
) -> impl Parser<&'a str, Output = &'a str, Error = PError<'a>> {
    preceded(space0, cut(expect(eof, expected)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_need_a_word_boundary() {
        let rest = |i| keyword("and").parse(i).ok().map(|(rest, _)| rest);
        assert_eq!(rest("and b"), Some(" b"));
        assert_eq!(rest("AND(b"), Some("(b"));
        assert_eq!(rest("andrew"), None);
        assert_eq!(rest("an"), None);
        assert_eq!(rest("añd"), None);
    }

    #[test]
    fn tokens_are_quoted_briefly() {
        let mut s = String::new();
        describe_token(&mut s, "equals \"x\"");
        assert_eq!(s, "\"equals\"");
        s.clear();
        describe_token(&mut s, "");
        assert_eq!(s, "the end of the input");
        s.clear();
        describe_token(&mut s, &"a".repeat(100));
        assert_eq!(s, format!("\"{}…\"", "a".repeat(24)));
    }
}
