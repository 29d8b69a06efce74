//! `compValue = false / null / true / number / string` (RFC 7644
//! §3.4.2.2), with JSON's own rules for numbers and strings (RFC 8259 §6,
//! §7).

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::{char, one_of};
use nom::combinator::{cut, eof, map_opt, opt, peek, recognize, value};
use nom::error::ErrorKind;
use nom::multi::fold_many0;
use nom::sequence::{preceded, terminated};
use serde_json::Number;

use super::{
    Expected, PError, PResult, bytes_while, bytes_while1, expect, keyword, refuse, word_boundary,
};
use crate::CompValue;

/// `compValue = false / null / true / number / string`.
///
/// Always committed: the caller has already seen an operator that needs a
/// value.
pub(crate) fn parse_comp_value(i: &str) -> PResult<'_, CompValue> {
    alt((
        parse_string.map(CompValue::String),
        parse_number.map(CompValue::Number),
        value(CompValue::Bool(false), keyword("false")),
        value(CompValue::Null, keyword("null")),
        value(CompValue::Bool(true), keyword("true")),
        refuse(Expected::CompValue),
    ))
    .parse(i)
}

/// `number = [ minus ] int [ frac ] [ exp ]` (RFC 8259 §6), where
/// `int = zero / ( digit1-9 *DIGIT )`, `frac = decimal-point 1*DIGIT` and
/// `exp = e [ minus / plus ] 1*DIGIT`, ending at a word boundary.
///
/// Fails recoverably unless the input starts with `-` or a digit; every
/// error after that is reported where the number starts.
fn parse_number(i: &str) -> PResult<'_, Number> {
    // Not `digit0`/`digit1`: in nom 8.0.0 those return an empty rest
    // detached from the input when they run to its end inside `recognize`,
    // which then measures the wrong length ("-12" as "-1").
    let digits0 = || bytes_while(|b| b.is_ascii_digit());
    let digits1 = || bytes_while1(|b| b.is_ascii_digit(), ErrorKind::TakeWhile1);
    let int = alt((tag("0"), recognize((one_of("123456789"), digits0()))));
    let frac = (char('.'), digits1());
    let exp = (one_of("eE"), opt(one_of("+-")), digits1());
    let number = recognize((opt(char('-')), int, opt(frac), opt(exp)));
    let (rest, text) = preceded(
        peek(one_of("-0123456789")),
        cut(expect(terminated(number, word_boundary), Expected::Number)),
    )
    .parse(i)?;
    match json_number(text) {
        Some(n) => Ok((rest, n)),
        None => PError::failure(i, Expected::NumberRange),
    }
}

/// The value of `text`, which matches the `number` rule: an integer if it
/// has neither fraction nor exponent and fits in 64 bits, otherwise the
/// nearest finite `f64` (`None` beyond `f64`'s range).
///
/// Floats go through std's parser, which rounds correctly; serde_json's
/// rounds correctly only with its `float_roundtrip` feature, and without it
/// a printed float could parse back one unit in the last place off.
fn json_number(text: &str) -> Option<Number> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(n) = text.parse::<u64>() {
            return Some(n.into());
        }
        if let Ok(n) = text.parse::<i64>() {
            return Some(n.into());
        }
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// A piece of a string literal's body.
enum Piece<'a> {
    /// A run of `unescaped` characters.
    Unescaped(&'a str),
    /// One decoded `escape` sequence.
    Escaped(char),
}

/// `string = quotation-mark *char quotation-mark` (RFC 8259 §7), decoding
/// every escape; fails recoverably unless the input starts with a quote,
/// and is committed after it.
fn parse_string(i: &str) -> PResult<'_, String> {
    let body = fold_many0(
        alt((
            parse_unescaped.map(Piece::Unescaped),
            (|j| parse_escape(i, j)).map(Piece::Escaped),
        )),
        String::new,
        |mut out, piece| {
            match piece {
                Piece::Unescaped(run) => out.push_str(run),
                Piece::Escaped(c) => out.push(c),
            }
            out
        },
    );
    // Most strings have no escape: one run up to the closing quote, copied
    // once, without the fold.
    let plain = terminated(bytes_while(is_unescaped_byte), char('"')).map(str::to_owned);
    preceded(
        char('"'),
        cut(alt((
            plain,
            terminated(body, |j| parse_quotation_mark(i, j)),
        ))),
    )
    .parse(i)
}

/// `unescaped = %x20-21 / %x23-5B / %x5D-10FFFF`, one or more.
fn parse_unescaped(i: &str) -> PResult<'_, &str> {
    bytes_while1(is_unescaped_byte, ErrorKind::TakeWhile1).parse(i)
}

/// `true` for the bytes of `unescaped` characters: every byte of a
/// non-ASCII character is one.
fn is_unescaped_byte(b: u8) -> bool {
    b != b'"' && b != b'\\' && b >= b' '
}

/// `escape ( %x22 / %x5C / %x2F / %x62 / %x66 / %x6E / %x72 / %x74 /
/// %x75 4HEXDIG )`, where `escape = %x5C`; `opening` is the string's
/// opening quote. Fails recoverably unless `i` starts with a backslash.
fn parse_escape<'a>(opening: &'a str, i: &'a str) -> PResult<'a, char> {
    let simple = preceded(
        char('\\'),
        alt((
            value('"', char('"')),
            value('\\', char('\\')),
            value('/', char('/')),
            value('\u{08}', char('b')),
            value('\u{0c}', char('f')),
            value('\n', char('n')),
            value('\r', char('r')),
            value('\t', char('t')),
        )),
    );
    preceded(
        peek(char('\\')),
        cut(alt((
            parse_unicode_escape,
            simple,
            // A backslash at the very end: the string never closes.
            preceded((char('\\'), eof), move |_| {
                PError::failure(opening, Expected::UnterminatedString)
            }),
            refuse(Expected::Escape),
        ))),
    )
    .parse(i)
}

/// The closing `quotation-mark`; `opening` is the opening one. What stops
/// a string's body short of it is a raw control character, or the end of
/// the input; a control character that no quote or backslash follows is
/// reported as the missing quote, since that is the first thing wrong.
fn parse_quotation_mark<'a>(opening: &'a str, i: &'a str) -> PResult<'a, char> {
    alt((char('"'), move |j: &'a str| {
        if j.contains(['"', '\\']) {
            PError::failure(j, Expected::ControlChar)
        } else {
            PError::failure(opening, Expected::UnterminatedString)
        }
    }))
    .parse(i)
}

/// `%x75 4HEXDIG` after the backslash, or a UTF-16 surrogate pair of two
/// (`\uD83D\uDE00`); `i` starts at the backslash. Fails recoverably unless
/// `i` starts with `\u`.
fn parse_unicode_escape(i: &str) -> PResult<'_, char> {
    let (_, _) = tag("\\u").parse(i)?;
    let (rest, high) = parse_hex4(i)?;
    match high {
        0xD800..=0xDBFF => {
            if !rest.starts_with("\\u") {
                return PError::failure(i, Expected::LoneSurrogate);
            }
            let (after, low) = parse_hex4(rest)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return PError::failure(i, Expected::LoneSurrogate);
            }
            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            match char::from_u32(code) {
                Some(c) => Ok((after, c)),
                None => PError::failure(i, Expected::LoneSurrogate),
            }
        }
        0xDC00..=0xDFFF => PError::failure(i, Expected::LoneSurrogate),
        code => match char::from_u32(code) {
            Some(c) => Ok((rest, c)),
            None => PError::failure(i, Expected::UnicodeEscape),
        },
    }
}

/// `\u` and `4HEXDIG`, committed, reported at the backslash.
fn parse_hex4(i: &str) -> PResult<'_, u32> {
    let hex4 = map_opt(
        take_while_m_n(4, 4, |c: char| c.is_ascii_hexdigit()),
        |digits| u32::from_str_radix(digits, 16).ok(),
    );
    cut(expect(preceded(tag("\\u"), hex4), Expected::UnicodeEscape)).parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(i: &str) -> CompValue {
        let (rest, v) = parse_comp_value(i).unwrap();
        assert_eq!(rest, "");
        v
    }

    fn fails(i: &str) -> Expected {
        match parse_comp_value(i) {
            Err(nom::Err::Failure(e)) => e.expected,
            other => panic!("{i:?} gave {other:?}"),
        }
    }

    #[test]
    fn every_json_escape_decodes() {
        assert_eq!(
            value(r#""\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00x""#),
            CompValue::from("\"\\/\u{8}\u{c}\n\r\té😀x")
        );
        assert_eq!(value(r#""caf\u00e9""#), CompValue::from("café"));
        assert_eq!(value("\"raw ünïcødé\""), CompValue::from("raw ünïcødé"));
        assert_eq!(value(r#""""#), CompValue::from(""));
    }

    #[test]
    fn malformed_strings_fail_where_they_break() {
        assert_eq!(fails(r#""abc"#), Expected::UnterminatedString);
        assert_eq!(fails(r#""a\qb""#), Expected::Escape);
        assert_eq!(fails(r#""a\u12""#), Expected::UnicodeEscape);
        assert_eq!(fails(r#""a\u12G4""#), Expected::UnicodeEscape);
        assert_eq!(fails(r#""\uD83D""#), Expected::LoneSurrogate);
        assert_eq!(fails(r#""\uDE00""#), Expected::LoneSurrogate);
        assert_eq!(fails(r#""\uD83D\u0041""#), Expected::LoneSurrogate);
        assert_eq!(fails("\"a\nb\""), Expected::ControlChar);
        assert_eq!(fails("\"a\\"), Expected::UnterminatedString);
        assert_eq!(fails("'a'"), Expected::CompValue);
    }

    #[test]
    fn numbers_follow_json() {
        assert_eq!(value("0"), CompValue::Number(0.into()));
        assert_eq!(value("-12"), CompValue::Number((-12).into()));
        assert_eq!(value("1.5e3").to_string(), "1500.0");
        assert_eq!(value("2E-2").to_string(), "0.02");
        assert_eq!(
            value("18446744073709551615").to_string(),
            "18446744073709551615"
        );
        for bad in ["01", "1.", "-", "1e", "1.e5", "1x", "--1", "0x10"] {
            assert_eq!(fails(bad), Expected::Number, "{bad}");
        }
        assert_eq!(fails("+1"), Expected::CompValue);
        assert_eq!(fails(".5"), Expected::CompValue);
        assert_eq!(fails("1e400"), Expected::NumberRange);
    }

    #[test]
    fn numbers_at_the_end_of_the_input_keep_every_digit() {
        assert_eq!(value("-12"), CompValue::Number((-12).into()));
        assert_eq!(value("120"), CompValue::Number(120.into()));
        assert_eq!(
            value("1.25"),
            CompValue::from(Number::from_f64(1.25).unwrap())
        );
        assert_eq!(value("1e10").to_string(), "10000000000.0");
    }

    #[test]
    fn literals_ignore_case_but_need_a_boundary() {
        assert_eq!(value("True"), CompValue::Bool(true));
        assert_eq!(value("FALSE"), CompValue::Bool(false));
        assert_eq!(value("nUlL"), CompValue::Null);
        assert_eq!(fails("trueish"), Expected::CompValue);
        assert_eq!(fails("bjensen"), Expected::CompValue);
    }
}
