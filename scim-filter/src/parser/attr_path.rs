//! `attrPath = [URI ":"] ATTRNAME *1subAttr` (RFC 7644 §3.4.2.2).

use nom::Parser;
use nom::branch::alt;
use nom::character::complete::{char, satisfy};
use nom::combinator::{cut, eof, not, opt, recognize};
use nom::sequence::{preceded, terminated};

use super::{Expected, PError, PResult, ascii_no_case, bytes_while, expect};
use crate::AttrPath;
use crate::error::{PathError, PathErrorKind};

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`.
///
/// Fails recoverably (so a caller can try something else) only when the
/// input does not start like a path at all, with [`Expected::AttrName`].
pub(crate) fn parse_attr_path(i: &str) -> PResult<'_, AttrPath> {
    // Both alternatives fail recoverably only where they start, with
    // `Expected::AttrName`, so `alt` reports that.
    alt((
        parse_urn_attr_path,
        (parse_attr_name, parse_opt_sub_attr)
            .map(|(name, sub)| AttrPath::from_parts(None, name, sub)),
    ))
    .parse(i)
}

/// `URI ":" ATTRNAME *1subAttr`, where the URI is a schema URN.
///
/// A URI prefix is recognised by its `urn:` scheme, and commits the path.
/// Schema URNs contain dots (`…:core:2.0:User`), so the prefix is the whole
/// `urn:` token up to its last colon: `ATTRNAME` and `subAttr` never
/// contain a colon, while the URN may contain dots.
fn parse_urn_attr_path(i: &str) -> PResult<'_, AttrPath> {
    let urn_scheme = expect(ascii_no_case("urn:"), Expected::AttrName);
    let (rest, token) = recognize((urn_scheme, bytes_while(is_urn_byte))).parse(i)?;
    // The token starts with "urn:", so it has a colon; a colon is one byte,
    // so both slices below start and end on character boundaries.
    let split = token.rfind(':').unwrap_or(0);
    let (schema, attr) = (&token[..split], &token[split + 1..]);
    if check_schema_urn(schema).is_err() {
        return PError::failure(i, Expected::SchemaUrn);
    }
    let attr_start = &i[split + 1..];
    let (after, (name, sub)) = cut((parse_attr_name, parse_opt_sub_attr)).parse(attr_start)?;
    if after.len() != attr_start.len() - attr.len() {
        // Something that is valid in a URN but not in a name, such as
        // `urn:a:b:na+me`, follows the name.
        return PError::failure(after, Expected::CompareOp);
    }
    Ok((rest, AttrPath::from_parts(Some(schema), name, sub)))
}

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`,
/// plus `$ref`, which RFC 7643 uses as a sub-attribute name although the
/// ABNF omits `$`.
pub(crate) fn parse_attr_name(i: &str) -> PResult<'_, &str> {
    expect(
        alt((
            recognize((
                satisfy(|c| c.is_ascii_alphabetic()),
                bytes_while(is_name_byte),
            )),
            terminated(ascii_no_case("$ref"), not(satisfy(is_name_char))),
        )),
        Expected::AttrName,
    )
    .parse(i)
}

/// `subAttr = "." ATTRNAME`, committed by the dot.
fn parse_sub_attr(i: &str) -> PResult<'_, &str> {
    preceded(
        char('.'),
        cut(expect(parse_attr_name, Expected::SubAttrName)),
    )
    .parse(i)
}

/// `*1subAttr`: at most one `subAttr`, and a second one is an error where
/// its dot is.
pub(crate) fn parse_opt_sub_attr(i: &str) -> PResult<'_, Option<&str>> {
    // Most paths have no sub-attribute: without a dot, both halves below
    // would only fail and succeed where they start.
    if !i.starts_with('.') {
        return Ok((i, None));
    }
    terminated(
        opt(parse_sub_attr),
        cut(expect(not(char('.')), Expected::SecondSubAttr)),
    )
    .parse(i)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// [`is_name_char`] for one byte of the input.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// [`is_urn_char`] for one byte of the input.
fn is_urn_byte(b: u8) -> bool {
    is_urn_char(char::from(b))
}

fn has_urn_scheme(i: &str) -> bool {
    i.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("urn:"))
}

/// Characters allowed in a schema URN prefix: the unreserved and sub-delim
/// characters of RFC 3986 that cannot be confused with filter syntax.
fn is_urn_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.'
                | '_'
                | '~'
                | ':'
                | '%'
                | '!'
                | '$'
                | '&'
                | '\''
                | '*'
                | '+'
                | ','
                | ';'
                | '='
                | '@'
                | '/'
        )
}

/// Checks that `s` is an attribute name; `kind` says which part of a path
/// it is.
pub(crate) fn check_attr_name(s: &str, kind: PathErrorKind) -> Result<(), PathError> {
    match parse_attr_name(s) {
        Ok(("", _)) => Ok(()),
        Ok((rest, name)) => Err(PathError::new(
            kind,
            Some(name.len()),
            format!(
                "unexpected {:?} in attribute name",
                rest.chars().next().unwrap_or_default()
            ),
        )),
        Err(_) => Err(PathError::new(
            kind,
            Some(0),
            format!("{s:?} is not an attribute name (it must start with a letter)"),
        )),
    }
}

/// Checks that `s` is a schema URN: `urn:NID:NSS`, where every
/// colon-separated part is non-empty.
pub(crate) fn check_schema_urn(s: &str) -> Result<(), PathError> {
    let error = |position, message| {
        Err(PathError::new(
            PathErrorKind::SchemaUrn,
            Some(position),
            message,
        ))
    };
    if !has_urn_scheme(s) {
        return error(0, format!("{s:?} is not a URN"));
    }
    if let Some(pos) = s.find(|c: char| !is_urn_char(c)) {
        return error(pos, format!("invalid character in URN {s:?}"));
    }
    let mut parts = 0;
    let mut offset = 0;
    for part in s.split(':') {
        if part.is_empty() {
            return error(offset, format!("empty part in URN {s:?}"));
        }
        offset += part.len() + 1;
        parts += 1;
    }
    if parts < 3 {
        return error(s.len(), format!("URN {s:?} must have the form urn:NID:NSS"));
    }
    Ok(())
}

/// An `attrPath` spanning the whole input.
pub(crate) fn parse_complete_attr_path(i: &str) -> PResult<'_, AttrPath> {
    terminated(cut(parse_attr_path), cut(expect(eof, Expected::PathEnd))).parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(i: &str) -> (Option<String>, String, Option<String>, &str) {
        let (rest, p) = parse_attr_path(i).unwrap();
        (
            p.schema().map(str::to_owned),
            p.name().to_owned(),
            p.sub_attr().map(str::to_owned),
            rest,
        )
    }

    #[test]
    fn urn_prefix_splits_at_the_last_colon_of_the_token() {
        let (schema, name, sub, rest) = parts(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"x:y\"",
        );
        assert_eq!(
            schema.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(name, "manager");
        assert_eq!(sub.as_deref(), Some("value"));
        assert_eq!(rest, " eq \"x:y\"");
    }

    #[test]
    fn custom_extension_urns_work_like_the_standard_ones() {
        let (schema, name, sub, _) =
            parts("urn:example:params:scim:schemas:extension:signin:2.0:Host:badgeNumber");
        assert_eq!(
            schema.as_deref(),
            Some("urn:example:params:scim:schemas:extension:signin:2.0:Host")
        );
        assert_eq!(name, "badgeNumber");
        assert_eq!(sub, None);
    }

    #[test]
    fn value_path_bracket_ends_the_urn_token() {
        let (schema, name, _, rest) =
            parts("urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"]");
        assert_eq!(
            schema.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(name, "emails");
        assert!(rest.starts_with('['));
    }

    #[test]
    fn names_follow_the_abnf() {
        let check = |s| check_attr_name(s, PathErrorKind::AttrName);
        assert!(check("userName").is_ok());
        assert!(check("x-1_a").is_ok());
        assert!(check("$ref").is_ok());
        assert!(check("$REF").is_ok());
        assert!(check("1abc").is_err());
        assert!(check("user$Name").is_err());
        assert!(check("").is_err());
        assert!(check("$refs").is_err());
    }

    #[test]
    fn urns_need_three_non_empty_parts() {
        assert!(check_schema_urn("urn:a:b").is_ok());
        assert!(check_schema_urn("urn:a").is_err());
        assert!(check_schema_urn("urn::b").is_err());
        assert!(check_schema_urn("urn:a:b:").is_err());
        assert!(check_schema_urn("http://x").is_err());
    }

    #[test]
    fn double_dot_is_an_error() {
        assert!(parse_attr_path("name..givenName").is_err());
        assert!(parse_attr_path("name.givenName.x").is_err());
    }
}
