//! `PATH = attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2).

use nom::Parser;
use nom::combinator::cut;
use nom::sequence::delimited;

use super::attr_path::{parse_attr_path, parse_opt_sub_attr};
use super::expr::{State, parse_bracketed_filter};
use super::{Expected, Limits, PResult, end_of_input, space0};
use crate::PatchPath;

/// `PATH = attrPath / valuePath [subAttr]`, spanning the whole input
/// (surrounding whitespace is ignored). Trailing input is reported where
/// its first token starts, as for filters.
pub(crate) fn parse_complete_path(limits: Limits, i: &str) -> PResult<'_, PatchPath> {
    let state = State::new(limits, i);
    delimited(
        space0,
        cut(|i| parse_path(state, i)),
        end_of_input(Expected::PathEnd),
    )
    .parse(i)
}

/// `PATH = attrPath / valuePath [subAttr]`.
fn parse_path<'a>(state: State<'a>, i: &'a str) -> PResult<'a, PatchPath> {
    let (rest, attr) = parse_attr_path(i)?;
    if !rest.starts_with('[') {
        return Ok((rest, PatchPath::attr_path(attr)));
    }
    let (rest, value_path) = parse_bracketed_filter(state, i, attr, rest)?;
    let (rest, sub) = parse_opt_sub_attr(rest)?;
    Ok((rest, PatchPath::from_value_path(value_path, sub)))
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
