//! Attribute paths, value paths and PATCH paths (RFC 7644 §3.4.2.2,
//! §3.5.2), with equality and hashing that ignore ASCII case.

use std::hash::{Hash, Hasher};

use super::Filter;
use crate::error::{PathError, PathErrorKind};
use crate::parser;

/// An attribute path: `[URI ":"] ATTRNAME ["." subAttr]` (RFC 7644
/// §3.4.2.2, RFC 7643 §3.10).
///
/// Equality and hashing ignore ASCII case in every part, so
/// `Name.GivenName` equals `name.givenName`; the spelling that was written is
/// kept for display.
///
/// # Examples
///
/// ```
/// use scim2_filter::AttrPath;
///
/// let path: AttrPath =
///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".parse()?;
/// assert_eq!(
///     path.schema(),
///     Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
/// );
/// assert_eq!(path.name(), "manager");
/// assert_eq!(path.sub_attr(), Some("value"));
/// assert_eq!(path, "URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:Manager.Value".parse()?);
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
#[derive(Clone, Debug)]
pub struct AttrPath {
    schema: Option<Box<str>>,
    name: Box<str>,
    sub_attr: Option<Box<str>>,
}

impl AttrPath {
    /// A path to a top-level attribute.
    ///
    /// # Errors
    ///
    /// [`PathError`] ([`PathErrorKind::AttrName`]) if `name` is not an
    /// `ATTRNAME` (a letter followed by letters, digits, `-` or `_`; or
    /// `$ref`).
    pub fn new(name: &str) -> Result<Self, PathError> {
        parser::check_attr_name(name, PathErrorKind::AttrName)?;
        Ok(Self {
            schema: None,
            name: name.into(),
            sub_attr: None,
        })
    }

    /// The same path with a schema URN prefix.
    ///
    /// # Errors
    ///
    /// [`PathError`] ([`PathErrorKind::SchemaUrn`]) if `schema` is not a
    /// URN of the form `urn:NID:NSS`.
    pub fn with_schema(mut self, schema: &str) -> Result<Self, PathError> {
        parser::check_schema_urn(schema)?;
        self.schema = Some(schema.into());
        Ok(self)
    }

    /// The same path with a sub-attribute.
    ///
    /// # Errors
    ///
    /// [`PathError`] ([`PathErrorKind::SubAttr`]) if `sub_attr` is not an
    /// `ATTRNAME`.
    pub fn with_sub_attr(mut self, sub_attr: &str) -> Result<Self, PathError> {
        parser::check_attr_name(sub_attr, PathErrorKind::SubAttr)?;
        self.sub_attr = Some(sub_attr.into());
        Ok(self)
    }

    /// Builds a path from parts the parser has already checked.
    pub(crate) fn from_parts(schema: Option<&str>, name: &str, sub_attr: Option<&str>) -> Self {
        Self {
            schema: schema.map(Into::into),
            name: name.into(),
            sub_attr: sub_attr.map(Into::into),
        }
    }

    /// The same path without its sub-attribute.
    #[must_use]
    pub fn without_sub_attr(mut self) -> Self {
        self.sub_attr = None;
        self
    }

    /// The schema URN prefix, if one was written.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The attribute name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sub-attribute name, if any.
    pub fn sub_attr(&self) -> Option<&str> {
        self.sub_attr.as_deref()
    }

    /// The full path `schema:name`, for a path written as a bare schema URN
    /// (`urn:…:enterprise:2.0:User` parses as schema `urn:…:enterprise:2.0`
    /// and name `User`; a schema registry can recognise it with this).
    pub fn to_urn(&self) -> Option<String> {
        match (&self.schema, &self.sub_attr) {
            (Some(schema), None) => Some(format!("{schema}:{}", self.name)),
            _ => None,
        }
    }
}

fn eq_opt(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

impl PartialEq for AttrPath {
    fn eq(&self, other: &Self) -> bool {
        self.name.eq_ignore_ascii_case(&other.name)
            && eq_opt(self.sub_attr(), other.sub_attr())
            && eq_opt(self.schema(), other.schema())
    }
}

impl Eq for AttrPath {}

/// Hashes `s` consistently with [`eq_opt`].
fn hash_folded<H: Hasher>(s: Option<&str>, state: &mut H) {
    match s {
        Some(s) => {
            state.write_u8(1);
            for b in s.bytes() {
                state.write_u8(b.to_ascii_lowercase());
            }
            state.write_u8(0xff);
        }
        None => state.write_u8(0),
    }
}

impl Hash for AttrPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_folded(self.schema(), state);
        hash_folded(Some(self.name()), state);
        hash_folded(self.sub_attr(), state);
    }
}

/// `attrPath "[" valFilter "]"` (RFC 7644 §3.4.2.2): a multi-valued
/// attribute and a filter that its values are matched against.
///
/// The inner filter's paths are relative to the attribute (`type`, `value`),
/// carry no schema URN and contain no further value path.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct ValuePath {
    attr: AttrPath,
    filter: Box<Filter>,
}

impl ValuePath {
    /// Checks and builds a value path.
    ///
    /// # Errors
    ///
    /// [`PathError`] if `attr` has a sub-attribute
    /// ([`PathErrorKind::SubAttrBeforeBracket`]), or `filter` contains a
    /// value path ([`PathErrorKind::NestedValuePath`]) or a schema URN
    /// ([`PathErrorKind::UrnInValueFilter`]).
    pub fn new(attr: AttrPath, filter: Filter) -> Result<Self, PathError> {
        let refuse = |kind, message: &str| Err(PathError::new(kind, None, message.to_owned()));
        if attr.sub_attr.is_some() {
            return refuse(
                PathErrorKind::SubAttrBeforeBracket,
                "the attribute before \"[\" cannot have a sub-attribute",
            );
        }
        if filter.contains_value_path() {
            return refuse(
                PathErrorKind::NestedValuePath,
                "a value filter cannot contain a value path",
            );
        }
        if filter.contains_schema_urn() {
            return refuse(
                PathErrorKind::UrnInValueFilter,
                "attribute paths inside a value filter are relative and cannot carry a schema URN",
            );
        }
        Ok(Self {
            attr,
            filter: Box::new(filter),
        })
    }

    /// Builds a value path from parts the parser has already checked: `attr`
    /// has no sub-attribute and `filter` neither a value path nor a schema
    /// URN, because the grammar refuses them inside brackets.
    pub(crate) fn from_checked_parts(attr: AttrPath, filter: Filter) -> Self {
        debug_assert!(attr.sub_attr.is_none());
        debug_assert!(!filter.contains_value_path() && !filter.contains_schema_urn());
        Self {
            attr,
            filter: Box::new(filter),
        }
    }

    /// The multi-valued attribute.
    pub fn attr(&self) -> &AttrPath {
        &self.attr
    }

    /// The filter each value is matched against.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2):
/// `attrPath / valuePath [subAttr]`.
///
/// # Examples
///
/// ```
/// use scim2_filter::PatchPath;
///
/// let path: PatchPath = r#"emails[type eq "work"].value"#.parse()?;
/// assert_eq!(path.attr().name(), "emails");
/// assert_eq!(path.filter().map(ToString::to_string).as_deref(), Some(r#"type eq "work""#));
/// assert_eq!(path.sub_attr(), Some("value"));
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
///
/// Equality and hashing ignore ASCII case in attribute names, as for
/// [`AttrPath`]: `emails[type eq "work"].value` equals
/// `EMAILS[TYPE eq "work"].VALUE`.
#[derive(Clone, Debug)]
pub struct PatchPath {
    /// With a filter, the multi-valued attribute (no sub-attribute); without
    /// one, the whole path.
    attr: AttrPath,
    filter: Option<Box<Filter>>,
    /// The sub-attribute after `]`, only with a filter.
    sub_attr: Option<Box<str>>,
}

impl PatchPath {
    /// A path without a value filter.
    pub fn attr_path(attr: AttrPath) -> Self {
        Self {
            attr,
            filter: None,
            sub_attr: None,
        }
    }

    /// A path with a value filter and an optional sub-attribute after it.
    ///
    /// # Errors
    ///
    /// [`PathError`] ([`PathErrorKind::SubAttr`]) if `sub_attr` is not an
    /// `ATTRNAME`.
    pub fn value_path(value_path: ValuePath, sub_attr: Option<&str>) -> Result<Self, PathError> {
        if let Some(sub) = sub_attr {
            parser::check_attr_name(sub, PathErrorKind::SubAttr)?;
        }
        Ok(Self {
            attr: value_path.attr,
            filter: Some(value_path.filter),
            sub_attr: sub_attr.map(Into::into),
        })
    }

    /// Builds a filtered path from parts the parser has already checked.
    pub(crate) fn from_value_path(value_path: ValuePath, sub_attr: Option<&str>) -> Self {
        Self {
            attr: value_path.attr,
            filter: Some(value_path.filter),
            sub_attr: sub_attr.map(Into::into),
        }
    }

    /// The attribute: with a filter, the multi-valued attribute the filter
    /// applies to; without one, the whole path (including any
    /// sub-attribute).
    pub fn attr(&self) -> &AttrPath {
        &self.attr
    }

    /// The value filter, if the path has one.
    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_deref()
    }

    /// The sub-attribute the path ends in: after `]` for a filtered path,
    /// or the attribute path's own sub-attribute.
    pub fn sub_attr(&self) -> Option<&str> {
        match &self.filter {
            Some(_) => self.sub_attr.as_deref(),
            None => self.attr.sub_attr(),
        }
    }
}

impl PartialEq for PatchPath {
    fn eq(&self, other: &Self) -> bool {
        self.attr == other.attr
            && self.filter == other.filter
            && eq_opt(self.sub_attr.as_deref(), other.sub_attr.as_deref())
    }
}

impl Eq for PatchPath {}

impl Hash for PatchPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.attr.hash(state);
        self.filter.hash(state);
        hash_folded(self.sub_attr.as_deref(), state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_paths_compare_without_case() {
        let a = AttrPath::new("name")
            .unwrap()
            .with_sub_attr("givenName")
            .unwrap();
        let b = AttrPath::new("NAME")
            .unwrap()
            .with_sub_attr("GIVENNAME")
            .unwrap();
        assert_eq!(a, b);
        let hash = |p: &AttrPath| {
            use std::collections::hash_map::DefaultHasher;
            let mut h = DefaultHasher::new();
            p.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(a, AttrPath::new("name").unwrap());
    }

    #[test]
    fn value_path_rejects_nesting_and_sub_attributes() {
        let path = |s: &str| s.parse::<AttrPath>().unwrap();
        let inner = Filter::present(path("type"));
        let nested = ValuePath::new(path("b"), inner.clone()).unwrap();
        assert!(ValuePath::new(path("a"), Filter::ValuePath(nested)).is_err());
        assert!(ValuePath::new(path("a.b"), inner.clone()).is_err());
        let urn = Filter::present(path("urn:a:b:type"));
        assert!(ValuePath::new(path("a"), urn).is_err());
    }
}
