//! `compValue = false / null / true / number / string` (RFC 7644
//! §3.4.2.2), with JSON's own rules for numbers and strings (RFC 8259 §6,
//! §7).

use serde_json::Number;

use super::{Expected, PError, PResult, is_word_char, keyword};
use crate::CompValue;

/// `compValue = false / null / true / number / string`.
///
/// Always committed: the caller has already seen an operator that needs a
/// value.
pub(crate) fn parse_comp_value(i: &str) -> PResult<'_, CompValue> {
    match i.as_bytes().first() {
        Some(b'"') => {
            let (rest, s) = parse_string(i)?;
            Ok((rest, CompValue::String(s)))
        }
        Some(b'-' | b'0'..=b'9') => {
            let (rest, n) = parse_number(i)?;
            Ok((rest, CompValue::Number(n)))
        }
        _ => {
            if let Some(rest) = keyword(i, "true") {
                Ok((rest, CompValue::Bool(true)))
            } else if let Some(rest) = keyword(i, "false") {
                Ok((rest, CompValue::Bool(false)))
            } else if let Some(rest) = keyword(i, "null") {
                Ok((rest, CompValue::Null))
            } else {
                PError::failure(i, Expected::CompValue)
            }
        }
    }
}

/// `number = [ minus ] int [ frac ] [ exp ]` (RFC 8259 §6).
fn parse_number(i: &str) -> PResult<'_, Number> {
    let bytes = i.as_bytes();
    let digits = |from: usize| {
        bytes
            .get(from..)
            .map_or(0, |b| b.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    let mut end = usize::from(bytes.first() == Some(&b'-'));
    let int = digits(end);
    if int == 0 || (int > 1 && bytes.get(end) == Some(&b'0')) {
        return PError::failure(i, Expected::Number);
    }
    end += int;
    if bytes.get(end) == Some(&b'.') {
        let frac = digits(end + 1);
        if frac == 0 {
            return PError::failure(i, Expected::Number);
        }
        end += 1 + frac;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        end += 1;
        if matches!(bytes.get(end), Some(b'+' | b'-')) {
            end += 1;
        }
        let exp = digits(end);
        if exp == 0 {
            return PError::failure(i, Expected::Number);
        }
        end += exp;
    }
    let (text, rest) = i.split_at(end);
    if rest.chars().next().is_some_and(is_word_char) {
        return PError::failure(i, Expected::Number);
    }
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

/// `string = quotation-mark *char quotation-mark` (RFC 8259 §7), decoding
/// every escape; `i` starts at the opening quote.
fn parse_string(i: &str) -> PResult<'_, String> {
    let body = &i[1..];
    // Fast path: no escapes.
    let Some(stop) = body.find(['"', '\\']) else {
        return PError::failure(i, Expected::UnterminatedString);
    };
    if let Some(pos) = body[..stop].find(|c: char| c < ' ') {
        return PError::failure(&body[pos..], Expected::ControlChar);
    }
    if body.as_bytes()[stop] == b'"' {
        return Ok((&body[stop + 1..], body[..stop].to_owned()));
    }
    let mut out = String::with_capacity(stop + 16);
    let mut rest = body;
    loop {
        let Some(stop) = rest.find(['"', '\\']) else {
            return PError::failure(i, Expected::UnterminatedString);
        };
        let chunk = &rest[..stop];
        if let Some(pos) = chunk.find(|c: char| c < ' ') {
            return PError::failure(&rest[pos..], Expected::ControlChar);
        }
        out.push_str(chunk);
        rest = &rest[stop..];
        if let Some(after) = rest.strip_prefix('"') {
            return Ok((after, out));
        }
        // `rest` starts with a backslash.
        let escape = rest;
        let decoded = match rest.as_bytes().get(1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{08}',
            Some(b'f') => '\u{0c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let (after, c) = parse_unicode_escape(rest)?;
                out.push(c);
                rest = after;
                continue;
            }
            None => return PError::failure(i, Expected::UnterminatedString),
            Some(_) => return PError::failure(escape, Expected::Escape),
        };
        out.push(decoded);
        rest = &rest[2..];
    }
}

/// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`; `i` starts at the
/// backslash.
fn parse_unicode_escape(i: &str) -> PResult<'_, char> {
    let (rest, high) = hex4(i)?;
    match high {
        0xD800..=0xDBFF => {
            if !rest.starts_with("\\u") {
                return PError::failure(i, Expected::LoneSurrogate);
            }
            let (after, low) = hex4(rest)?;
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

/// `\u` followed by four hex digits; `i` starts at the backslash.
fn hex4(i: &str) -> PResult<'_, u32> {
    let digits = i
        .get(2..6)
        .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
    match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
        Some(code) => Ok((&i[6..], code)),
        None => PError::failure(i, Expected::UnicodeEscape),
    }
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
    fn literals_ignore_case_but_need_a_boundary() {
        assert_eq!(value("True"), CompValue::Bool(true));
        assert_eq!(value("FALSE"), CompValue::Bool(false));
        assert_eq!(value("nUlL"), CompValue::Null);
        assert_eq!(fails("trueish"), Expected::CompValue);
        assert_eq!(fails("bjensen"), Expected::CompValue);
    }
}
