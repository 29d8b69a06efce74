//! The parse error.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_is_send_sync_static_and_small() {
        fn assert_bounds<T: Send + Sync + 'static + std::error::Error>() {}
        assert_bounds::<ParseError>();
        assert_eq!(size_of::<ParseError>(), size_of::<usize>());
    }
}
