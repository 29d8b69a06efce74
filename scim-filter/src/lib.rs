//! The SCIM 2.0 filter and attribute-path language: a parser for every
//! production of RFC 7644 §3.4.2.2 (Figure 1) and the PATCH `path` of
//! RFC 7644 §3.5.2, an AST that prints back as canonical filter text, and an
//! evaluator over `serde_json::Value` with the RFC's comparison rules.
//!
//! ```
//! use serde_json::json;
//!
//! let filter = scim2_filter::parse(
//!     r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
//! )?;
//! let user = json!({
//!     "userType": "Employee",
//!     "emails": [{"type": "work", "value": "bjensen@example.com"}],
//! });
//! assert!(filter.matches(&user)?);
//!
//! // Canonical text parses back to the same AST.
//! assert_eq!(scim2_filter::parse(&filter.to_string())?, filter);
//!
//! // PATCH paths.
//! let path = scim2_filter::parse_path(r#"emails[type eq "work"].value"#)?;
//! assert_eq!(path.sub_attr(), Some("value"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What the parser accepts:
//!
//! * all nine comparison operators and `pr`; `and`, `or`, `not (…)` (with or
//!   without a space before the parenthesis) and grouping parentheses, with
//!   the precedence `not` > `and` > `or`;
//! * operators, keywords and the literals `true`, `false` and `null` in any
//!   case; attribute names are kept as written and compared without regard
//!   to case;
//! * JSON strings with every escape and raw UTF-8, and JSON numbers;
//! * attribute paths with a schema URN prefix (`urn:…:2.0:User:userName`,
//!   custom extension URNs alike) and one sub-attribute;
//! * value paths (`emails[type eq "work"]`), and Entra ID's
//!   `emails[type eq "work"].value eq "x"`, read as the equivalent
//!   `emails[type eq "work" and value eq "x"]`.
//!
//! Hostile input is bounded: nesting deeper than
//! [`Parser::DEFAULT_MAX_DEPTH`] levels and input longer than
//! [`Parser::DEFAULT_MAX_LEN`] bytes are errors, and parsing is linear in the
//! input length. [`Parser`] changes both limits.
//!
//! The evaluation rules are listed in the [`eval`] module.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod ast;
mod error;
pub mod eval;
mod parser;

use std::str::FromStr;

pub use crate::ast::{
    AttrPath, CompValue, CompareOp, Comparison, Filter, Operands, PatchPath, ValuePath,
};
pub use crate::error::{ParseError, PathError, PathErrorKind};

// Compiles the README's examples as doctests, as http's lib.rs does.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Parses a filter with the default limits.
///
/// # Errors
///
/// [`ParseError`] with the position and nature of the first problem.
///
/// # Examples
///
/// ```
/// let filter = scim2_filter::parse(r#"title pr or userType eq "Intern""#)?;
/// assert!(matches!(filter, scim2_filter::Filter::Or(_)));
///
/// let err = scim2_filter::parse(r#"userName eq bjensen"#).unwrap_err();
/// assert_eq!(err.position(), 12);
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
pub fn parse(input: &str) -> Result<Filter, ParseError> {
    Parser::new().parse_filter(input)
}

/// Parses a PATCH operation's `path` with the default limits.
///
/// # Errors
///
/// [`ParseError`] with the position and nature of the first problem.
///
/// # Examples
///
/// ```
/// let path = scim2_filter::parse_path(r#"members[value eq "2819c223"]"#)?;
/// assert_eq!(path.attr().name(), "members");
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
pub fn parse_path(input: &str) -> Result<PatchPath, ParseError> {
    Parser::new().parse_path(input)
}

/// A parser with configurable limits on hostile input.
///
/// # Examples
///
/// ```
/// let parser = scim2_filter::Parser::new().max_depth(4).max_len(1024);
/// assert!(parser.parse_filter("((((a pr))))").is_ok());
/// assert!(parser.parse_filter("(((((a pr)))))").is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Parser {
    limits: parser::Limits,
}

impl Parser {
    /// The default limit on nesting: parentheses, `not (…)` and value paths.
    pub const DEFAULT_MAX_DEPTH: usize = 64;
    /// The default limit on input length in bytes.
    pub const DEFAULT_MAX_LEN: usize = 64 * 1024;

    /// A parser with the default limits.
    pub fn new() -> Self {
        Self {
            limits: parser::Limits {
                max_depth: Self::DEFAULT_MAX_DEPTH,
                max_len: Self::DEFAULT_MAX_LEN,
            },
        }
    }

    /// Sets the maximum nesting depth.
    #[must_use]
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.limits.max_depth = depth;
        self
    }

    /// Sets the maximum input length in bytes.
    #[must_use]
    pub fn max_len(mut self, len: usize) -> Self {
        self.limits.max_len = len;
        self
    }

    /// Parses a filter.
    ///
    /// # Errors
    ///
    /// [`ParseError`] with the position and nature of the first problem.
    pub fn parse_filter(&self, input: &str) -> Result<Filter, ParseError> {
        self.limits.filter(input)
    }

    /// Parses a PATCH `path`.
    ///
    /// # Errors
    ///
    /// [`ParseError`] with the position and nature of the first problem.
    pub fn parse_path(&self, input: &str) -> Result<PatchPath, ParseError> {
        self.limits.patch_path(input)
    }

    /// Parses an attribute path (`attributes=`, `sortBy=`).
    ///
    /// # Errors
    ///
    /// [`ParseError`] with the position and nature of the first problem.
    pub fn parse_attr_path(&self, input: &str) -> Result<AttrPath, ParseError> {
        self.limits.attr_path(input)
    }
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl FromStr for Filter {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl FromStr for PatchPath {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_path(s)
    }
}

impl FromStr for AttrPath {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Parser::new().parse_attr_path(s)
    }
}
