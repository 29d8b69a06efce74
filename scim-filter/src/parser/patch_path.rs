//! `PATH = attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2).

use super::attr_path::{parse_attr_path, split_attr_name};
use super::expr::{State, committed, parse_bracketed_filter};
use super::{Expected, Limits, PError, PResult, ws0};
use crate::PatchPath;

/// `PATH = attrPath / valuePath [subAttr]`, spanning the whole input
/// (surrounding whitespace is ignored). Trailing input is reported where
/// its first token starts, as for filters.
pub(crate) fn parse_complete_path(limits: Limits, i: &str) -> PResult<'_, PatchPath> {
    let (rest, path) = committed(parse_path(State::new(limits), ws0(i)))?;
    let rest = ws0(rest);
    if !rest.is_empty() {
        return PError::failure(rest, Expected::PathEnd);
    }
    Ok((rest, path))
}

/// `PATH = attrPath / valuePath [subAttr]`.
fn parse_path(state: State, i: &str) -> PResult<'_, PatchPath> {
    let (rest, attr) = parse_attr_path(i)?;
    if !rest.starts_with('[') {
        return Ok((rest, PatchPath::attr_path(attr)));
    }
    let (rest, value_path) = parse_bracketed_filter(state, i, attr, rest)?;
    let Some(after_dot) = rest.strip_prefix('.') else {
        return Ok((rest, PatchPath::from_value_path(value_path, None)));
    };
    let Some((sub, rest)) = split_attr_name(after_dot) else {
        return PError::failure(after_dot, Expected::SubAttrName);
    };
    if rest.starts_with('.') {
        return PError::failure(rest, Expected::SecondSubAttr);
    }
    Ok((rest, PatchPath::from_value_path(value_path, Some(sub))))
}

#[cfg(test)]
mod tests {
    use crate::PatchPath;

    fn path(s: &str) -> PatchPath {
        crate::parse_path(s).unwrap()
    }

    #[test]
    fn rfc_patch_paths_parse() {
        let p = path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#);
        assert_eq!(p.attr().name(), "members");
        assert!(p.filter().is_some());
        assert_eq!(p.sub_attr(), None);

        let p = path(r#"emails[type eq "work"].value"#);
        assert_eq!(p.sub_attr(), Some("value"));

        let p = path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department");
        assert_eq!(p.attr().name(), "department");
        assert_eq!(
            p.attr().schema(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );

        let p = path("name.givenName");
        assert_eq!(p.sub_attr(), Some("givenName"));
        assert!(p.filter().is_none());
    }

    #[test]
    fn paths_print_back_canonically() {
        for text in [
            r#"members[value eq "2819c223"]"#,
            r#"emails[type eq "work"].value"#,
            r#"addresses[type eq "work" and primary eq true].streetAddress"#,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "name.givenName",
        ] {
            assert_eq!(path(text).to_string(), text);
            assert_eq!(path(&path(text).to_string()), path(text));
        }
    }

    #[test]
    fn malformed_paths_are_refused() {
        for bad in [
            "",
            "name..givenName",
            "emails[type eq \"work\"",
            "emails[]",
            "emails[type eq \"work\"]value",
            "emails[type eq \"work\"].value.x",
            "name.givenName[type eq \"x\"]",
            "emails[type eq \"work\"] extra",
            "1abc",
            "members[value[x eq 1]]",
        ] {
            assert!(crate::parse_path(bad).is_err(), "{bad:?} parsed");
        }
    }
}
