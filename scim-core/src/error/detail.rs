//! The payloads of the client errors: the `detail` a client is shown, and
//! the typed cause behind it.

use std::error::Error as StdError;
use std::fmt;

use crate::filter::ParseError;
use crate::filter::eval::EvalError;

/// What a client is told about an error it caused, and, where there is one,
/// the typed error behind it ([`std::error::Error::source`]).
///
/// The text is the `detail` of the RFC 7644 §3.12 error body: it names the
/// attribute or parameter at fault so that the person reading the
/// provisioning log can act on it. The source is kept for the embedder: a
/// malformed path keeps the parser's [`ParseError`] with its position, a
/// body that is not JSON keeps the [`serde_json::Error`].
///
/// # Examples
///
/// ```
/// use scim_core::Error;
/// use scim_core::error::Detail;
///
/// let parse = "name.".parse::<scim_core::filter::AttrPath>().unwrap_err();
/// let error = Error::InvalidPath(
///     Detail::new(format!("invalid sortBy \"name.\": {parse}")).with_source(parse),
/// );
/// let source = std::error::Error::source(&error).unwrap();
/// assert!(source.is::<scim_core::filter::ParseError>());
/// ```
#[derive(Debug)]
pub struct Detail {
    text: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl Detail {
    /// A detail with no typed cause.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            source: None,
        }
    }

    /// Keeps `source` as the cause behind the text.
    #[must_use]
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Puts `context` in front of the text (`operation 2: …`), keeping the
    /// source.
    #[must_use]
    pub fn in_context(mut self, context: impl fmt::Display) -> Self {
        self.text = format!("{context}: {}", self.text);
        self
    }

    /// The text the client is shown.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl StdError for Detail {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

impl AsRef<str> for Detail {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl From<String> for Detail {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for Detail {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl PartialEq<str> for Detail {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Detail {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// A filter the service refuses (`400 invalidFilter`): text that does not
/// parse, a comparison the evaluator cannot make (ordering a boolean), or
/// one the service does not allow (on a never-returned attribute).
///
/// Displays as `invalid filter: …`. For text that does not parse, the
/// [`source`](std::error::Error::source) is the parser's [`ParseError`],
/// with the position in the filter; for a comparison the evaluator refuses,
/// its [`EvalError`].
///
/// # Examples
///
/// ```
/// use scim_core::Error;
///
/// let parse = scim_core::filter::parse(r#"userName equals "bjensen""#).unwrap_err();
/// let error = Error::from(parse);
/// let Error::InvalidFilter(filter) = &error else { unreachable!() };
/// assert_eq!(filter.position(), Some(9));
/// assert_eq!(
///     error.detail(),
///     r#"invalid filter: at position 9: expected a comparison operator, found "equals""#
/// );
/// ```
#[derive(Debug)]
pub struct FilterError {
    detail: String,
    cause: Option<FilterCause>,
}

/// Why a filter was refused, when a lower layer said so.
#[derive(Debug)]
enum FilterCause {
    Eval(EvalError),
    Parse(ParseError),
}

impl FilterError {
    /// A filter the service refuses for its own reasons, said in `detail`.
    pub fn new(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            cause: None,
        }
    }

    /// Puts `context` in front of the detail (`operation 2: …`), keeping
    /// the cause.
    #[must_use]
    pub fn in_context(mut self, context: impl fmt::Display) -> Self {
        self.detail = format!("{context}: {}", self.detail);
        self
    }

    /// The parser's error, if the filter text does not parse.
    pub fn parse_error(&self) -> Option<&ParseError> {
        match &self.cause {
            Some(FilterCause::Parse(e)) => Some(e),
            _ => None,
        }
    }

    /// The evaluator's error, if it refused a comparison.
    pub fn eval_error(&self) -> Option<&EvalError> {
        match &self.cause {
            Some(FilterCause::Eval(e)) => Some(e),
            _ => None,
        }
    }

    /// The 0-based byte offset in the filter text where parsing failed.
    pub fn position(&self) -> Option<usize> {
        self.parse_error().map(ParseError::position)
    }

    /// What is wrong with the filter, without the `invalid filter: `
    /// prefix.
    pub fn message(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid filter: {}", self.detail)
    }
}

impl StdError for FilterError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.cause {
            Some(FilterCause::Parse(e)) => Some(e),
            Some(FilterCause::Eval(e)) => Some(e),
            None => None,
        }
    }
}

impl From<ParseError> for FilterError {
    fn from(e: ParseError) -> Self {
        Self {
            detail: e.to_string(),
            cause: Some(FilterCause::Parse(e)),
        }
    }
}

impl From<EvalError> for FilterError {
    fn from(e: EvalError) -> Self {
        Self {
            detail: e.to_string(),
            cause: Some(FilterCause::Eval(e)),
        }
    }
}
