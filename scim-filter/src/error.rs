//! The crate's two errors, one per concern: [`ParseError`] for text that is
//! not a filter or path (with the position in that text), and
//! [`PathError`] for AST values built from parts that do not fit together.

use std::fmt;

/// Why a filter or path could not be parsed, and where.
///
/// Displays as `at position N: message`, where `N` is the 0-based byte offset
/// into the input at which the problem was found.
///
/// # Examples
///
/// ```
/// let err = scim2_filter::parse(r#"userName equals "bjensen""#).unwrap_err();
/// assert_eq!(err.position(), 9);
/// assert_eq!(
///     err.to_string(),
///     r#"at position 9: expected a comparison operator, found "equals""#
/// );
/// ```
#[derive(Clone, Eq, PartialEq)]
pub struct ParseError {
    inner: Box<Inner>,
}

#[derive(Clone, Eq, PartialEq)]
struct Inner {
    position: usize,
    message: String,
}

impl ParseError {
    pub(crate) fn new(position: usize, message: String) -> Self {
        Self {
            inner: Box::new(Inner { position, message }),
        }
    }

    /// The 0-based byte offset in the input where the problem was found.
    pub fn position(&self) -> usize {
        self.inner.position
    }

    /// What went wrong, without the position.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseError")
            .field("position", &self.inner.position)
            .field("message", &self.inner.message)
            .finish()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at position {}: {}",
            self.inner.position, self.inner.message
        )
    }
}

impl std::error::Error for ParseError {}

/// Why an attribute path, value path or PATCH path could not be built from
/// its parts.
///
/// Returned by every checking constructor of the AST:
/// [`AttrPath::new`](crate::AttrPath::new),
/// [`AttrPath::with_schema`](crate::AttrPath::with_schema),
/// [`AttrPath::with_sub_attr`](crate::AttrPath::with_sub_attr),
/// [`ValuePath::new`](crate::ValuePath::new) and
/// [`PatchPath::value_path`](crate::PatchPath::value_path). Text to be
/// parsed fails with a [`ParseError`] instead.
///
/// # Examples
///
/// ```
/// use scim2_filter::{AttrPath, PathErrorKind};
///
/// let err = AttrPath::new("user$Name").unwrap_err();
/// assert_eq!(err.kind(), PathErrorKind::AttrName);
/// assert_eq!(err.position(), Some(4));
/// assert_eq!(err.to_string(), "unexpected '$' in attribute name");
/// ```
#[derive(Clone, Eq, PartialEq)]
pub struct PathError {
    inner: Box<PathInner>,
}

#[derive(Clone, Eq, PartialEq)]
struct PathInner {
    kind: PathErrorKind,
    position: Option<usize>,
    message: String,
}

/// Which rule a [`PathError`] is about.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum PathErrorKind {
    /// An attribute name is not an `ATTRNAME` (RFC 7644 §3.4.2.2).
    AttrName,
    /// A sub-attribute name is not an `ATTRNAME`.
    SubAttr,
    /// A schema URN prefix is not of the form `urn:NID:NSS`.
    SchemaUrn,
    /// A value path's attribute has a sub-attribute (`name.givenName[…]`).
    SubAttrBeforeBracket,
    /// A value filter contains another value path.
    NestedValuePath,
    /// A path inside a value filter carries a schema URN.
    UrnInValueFilter,
}

impl PathError {
    pub(crate) fn new(kind: PathErrorKind, position: Option<usize>, message: String) -> Self {
        Self {
            inner: Box::new(PathInner {
                kind,
                position,
                message,
            }),
        }
    }

    /// Which rule the parts broke.
    pub fn kind(&self) -> PathErrorKind {
        self.inner.kind
    }

    /// For a part checked as text (a name or a URN), the 0-based byte offset
    /// in that part where it goes wrong; `None` where the parts are each
    /// fine but do not fit together.
    pub fn position(&self) -> Option<usize> {
        self.inner.position
    }

    /// What went wrong; the same as the `Display` text.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Debug for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PathError")
            .field("kind", &self.inner.kind)
            .field("position", &self.inner.position)
            .field("message", &self.inner.message)
            .finish()
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl std::error::Error for PathError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_is_send_sync_static_and_small() {
        fn assert_bounds<T: Send + Sync + 'static + std::error::Error>() {}
        assert_bounds::<ParseError>();
        assert_eq!(size_of::<ParseError>(), size_of::<usize>());
    }

    #[test]
    fn path_error_is_send_sync_static_and_small() {
        fn assert_bounds<T: Send + Sync + 'static + std::error::Error>() {}
        assert_bounds::<PathError>();
        assert_eq!(size_of::<PathError>(), size_of::<usize>());
    }
}
