//! `attrPath = [URI ":"] ATTRNAME *1subAttr` (RFC 7644 §3.4.2.2).

use super::{Expected, PError, PResult};
use crate::AttrPath;
use crate::error::{PathError, PathErrorKind};

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`.
///
/// A URI prefix is recognised by its `urn:` scheme. Schema URNs contain dots
/// (`…:core:2.0:User`), so the prefix is the whole `urn:` token up to its
/// last colon: `ATTRNAME` and `subAttr` never contain a colon, while the URN
/// may contain dots. Fails recoverably (so a caller can try something else)
/// only when the input does not start like a path at all.
pub(crate) fn parse_attr_path(i: &str) -> PResult<'_, AttrPath> {
    if has_urn_scheme(i) {
        let len = i.find(|c: char| !is_urn_char(c)).unwrap_or(i.len());
        let token = &i[..len];
        let rest = &i[len..];
        // `has_urn_scheme` saw "urn:", so the token has a colon.
        let split = token.rfind(':').unwrap_or(0);
        let (schema, attr) = (&token[..split], &token[split + 1..]);
        if check_schema_urn(schema).is_err() {
            return PError::failure(i, Expected::SchemaUrn);
        }
        let attr_start = &i[split + 1..];
        let (after, (name, sub)) = match parse_name_and_sub(attr_start) {
            // Committed by the URN: a missing name is an error here.
            Err(nom::Err::Error(e)) => return Err(nom::Err::Failure(e)),
            other => other?,
        };
        if after.len() != attr_start.len() - attr.len() {
            // Something that is valid in a URN but not in a name, such as
            // `urn:a:b:na+me`, follows the name.
            return PError::failure(after, Expected::CompareOp);
        }
        debug_assert_eq!(after, rest);
        Ok((rest, AttrPath::from_parts(Some(schema), name, sub)))
    } else {
        let (rest, (name, sub)) = parse_name_and_sub(i)?;
        Ok((rest, AttrPath::from_parts(None, name, sub)))
    }
}

/// `ATTRNAME *1subAttr` where `subAttr = "." ATTRNAME`.
fn parse_name_and_sub(i: &str) -> PResult<'_, (&str, Option<&str>)> {
    let Some((name, rest)) = split_attr_name(i) else {
        return PError::error(i, Expected::AttrName);
    };
    let Some(after_dot) = rest.strip_prefix('.') else {
        return Ok((rest, (name, None)));
    };
    let Some((sub, rest)) = split_attr_name(after_dot) else {
        return PError::failure(after_dot, Expected::SubAttrName);
    };
    if rest.starts_with('.') {
        return PError::failure(rest, Expected::SecondSubAttr);
    }
    Ok((rest, (name, Some(sub))))
}

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`,
/// plus `$ref`, which RFC 7643 uses as a sub-attribute name although the
/// ABNF omits `$`.
pub(crate) fn split_attr_name(i: &str) -> Option<(&str, &str)> {
    let bytes = i.as_bytes();
    // `get`, not `[..4]`: byte 4 may fall inside a multi-byte character.
    if i.get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("$ref"))
    {
        let rest = &i[4..];
        return match rest.chars().next() {
            Some(c) if is_name_char(c) => None,
            _ => Some((&i[..4], rest)),
        };
    }
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let len = i.find(|c: char| !is_name_char(c)).unwrap_or(i.len());
    Some((&i[..len], &i[len..]))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
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
    match split_attr_name(s) {
        Some((_, "")) => Ok(()),
        Some((name, rest)) => Err(PathError::new(
            kind,
            Some(name.len()),
            format!(
                "unexpected {:?} in attribute name",
                rest.chars().next().unwrap_or_default()
            ),
        )),
        None => Err(PathError::new(
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
    let (rest, path) = match parse_attr_path(i) {
        Err(nom::Err::Error(e)) => return Err(nom::Err::Failure(e)),
        other => other?,
    };
    if !rest.is_empty() {
        return PError::failure(rest, Expected::PathEnd);
    }
    Ok((rest, path))
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
