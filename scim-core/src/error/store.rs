//! The storage layer's errors, defined beside [`Error`] so that the
//! `error` module depends on no other module of the crate: `store` (and
//! every other layer) imports `error`, never the reverse.

use std::error::Error as StdError;

use super::{Detail, Error, FilterError};
use crate::filter::eval::EvalError;

/// Why a store operation failed. Re-exported as
/// [`crate::store::StoreError`], where implementers of
/// [`crate::store::ResourceStore`] find it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No resource with that id (in that tenant and type).
    #[error("resource not found")]
    NotFound,
    /// A uniqueness constraint would be violated: which attribute, and the
    /// detail shown to the client. `409 uniqueness`.
    #[error("{0}")]
    Conflict(Conflict),
    /// The resource changed since the caller read it.
    #[error("version mismatch")]
    VersionMismatch,
    /// A reference names no resource (a member that does not exist), or a
    /// resource cannot hold it: which reference, and the detail shown to
    /// the client. `400 invalidValue`.
    #[error("{0}")]
    InvalidReference(InvalidReference),
    /// The query cannot be answered as asked: a filter that orders a boolean
    /// or complex value, a cursor the store did not issue, a query too
    /// costly to answer. Answered with the [`QueryError`]'s status and
    /// `scimType` (`400`).
    #[error("invalid query: {0}")]
    InvalidQuery(#[source] QueryError),
    /// The backend failed; the source is logged, never shown.
    #[error("storage backend failure")]
    Backend(#[source] Box<dyn StdError + Send + Sync>),
}

impl StoreError {
    /// A uniqueness conflict, with the `detail` shown to the client; see
    /// [`StoreError::conflict_on`] when the store knows the attribute.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(Conflict {
            attribute: None,
            detail: Detail::new(detail),
        })
    }

    /// A uniqueness conflict on `attribute` (as the client names it:
    /// `userName`, `displayName`, `id`), with the `detail` shown to the
    /// client.
    pub fn conflict_on(attribute: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Conflict(Conflict {
            attribute: Some(attribute.into()),
            detail: Detail::new(detail),
        })
    }

    /// A reference the store refuses, with the `detail` shown to the
    /// client; see [`StoreError::invalid_reference_to`] when one value is
    /// to blame.
    pub fn invalid_reference(detail: impl Into<String>) -> Self {
        Self::InvalidReference(InvalidReference {
            reference: None,
            detail: Detail::new(detail),
        })
    }

    /// A reference the store refuses: `reference` is the value as the
    /// client sent it (a member's `value`), `detail` what the client is
    /// told.
    pub fn invalid_reference_to(reference: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::InvalidReference(InvalidReference {
            reference: Some(reference.into()),
            detail: Detail::new(detail),
        })
    }

    /// A query the store refuses, from the [`Error`] that
    /// [`crate::list::evaluate`], [`crate::index::plan`] or the filter
    /// matcher (through [`Error::from`]) returned: the same as
    /// [`StoreError::from`]. A [`QueryError`] or an [`EvalError`] converts
    /// with `StoreError::from` or `?` directly.
    pub fn invalid_query(e: Error) -> Self {
        e.into()
    }

    /// Wraps a backend error.
    pub fn backend(e: impl StdError + Send + Sync + 'static) -> Self {
        Self::Backend(Box::new(e))
    }
}

impl From<QueryError> for StoreError {
    fn from(e: QueryError) -> Self {
        Self::InvalidQuery(e)
    }
}

impl From<EvalError> for StoreError {
    fn from(e: EvalError) -> Self {
        Self::InvalidQuery(QueryError::InvalidFilter(e.into()))
    }
}

/// An error of scim-core's query helpers ([`crate::list::evaluate`],
/// [`crate::index::plan`]) inside a store, so that `?` works there: the
/// query refusals they return (`invalidFilter`, `invalidCursor`,
/// `invalidValue`, `invalidPath`, `tooMany`) become
/// [`StoreError::InvalidQuery`], an [`Error::Store`] gives back its
/// [`StoreError`], and any other error (which those helpers do not return)
/// becomes [`StoreError::Backend`]: a `500`, logged with the error.
impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidFilter(f) => QueryError::InvalidFilter(f).into(),
            Error::InvalidCursor(d) => QueryError::InvalidCursor(d).into(),
            Error::InvalidValue(d) => QueryError::InvalidValue(d).into(),
            Error::InvalidPath(d) => QueryError::InvalidPath(d).into(),
            Error::TooMany(d) => QueryError::TooMany(d).into(),
            Error::Store(s) => s,
            other => Self::backend(other),
        }
    }
}

/// A uniqueness conflict ([`StoreError::Conflict`]); made with
/// [`StoreError::conflict_on`] or [`StoreError::conflict`].
#[derive(Debug)]
pub struct Conflict {
    attribute: Option<String>,
    detail: Detail,
}

impl Conflict {
    /// The attribute whose value is taken, as the client names it, when
    /// the store knows it.
    pub fn attribute(&self) -> Option<&str> {
        self.attribute.as_deref()
    }

    /// What the client is told.
    pub fn detail(&self) -> &Detail {
        &self.detail
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.detail.fmt(f)
    }
}

/// A reference a store refuses ([`StoreError::InvalidReference`]); made
/// with [`StoreError::invalid_reference_to`] or
/// [`StoreError::invalid_reference`].
#[derive(Debug)]
pub struct InvalidReference {
    reference: Option<String>,
    detail: Detail,
}

impl InvalidReference {
    /// The reference as the client sent it (a member's `value`), when one
    /// value is to blame.
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }

    /// What the client is told.
    pub fn detail(&self) -> &Detail {
        &self.detail
    }
}

impl std::fmt::Display for InvalidReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.detail.fmt(f)
    }
}

/// A query a store refuses as the client's mistake ([`StoreError::InvalidQuery`]).
/// Each variant is answered `400` with the `scimType` of its name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The filter cannot be evaluated (it orders a boolean). `invalidFilter`.
    #[error(transparent)]
    InvalidFilter(FilterError),
    /// A cursor the store did not issue or no longer honours. `invalidCursor`.
    #[error(transparent)]
    InvalidCursor(Detail),
    /// A malformed query parameter. `invalidValue`.
    #[error(transparent)]
    InvalidValue(Detail),
    /// An attribute the query names does not exist. `invalidPath`.
    #[error(transparent)]
    InvalidPath(Detail),
    /// The query would read or return more than the store will. `tooMany`.
    #[error(transparent)]
    TooMany(Detail),
}

impl QueryError {
    /// A cursor the store did not issue; `detail` says which.
    pub fn invalid_cursor(detail: impl Into<String>) -> Self {
        Self::InvalidCursor(Detail::new(detail))
    }

    /// A query too costly to answer; `detail` says how to narrow it.
    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::TooMany(Detail::new(detail))
    }
}

impl From<EvalError> for QueryError {
    fn from(e: EvalError) -> Self {
        Self::InvalidFilter(e.into())
    }
}
