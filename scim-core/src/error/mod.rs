//! One error type for every SCIM failure, mapped in one place to its HTTP
//! status, `scimType` and `detail` (RFC 7644 §3.12).
//!
//! # Shape
//!
//! [`Error`] is grouped by who is at fault, and each variant carries a
//! typed payload rather than a bare string:
//!
//! * **The request's content**, answered `400` (`409` for uniqueness) with
//!   the `scimType` of the variant's name: [`Error::InvalidFilter`] keeps
//!   the parser's [`ParseError`] or the
//!   evaluator's error as its [`source`](std::error::Error::source); the
//!   others carry a [`Detail`], the client-facing text plus an optional
//!   typed cause (a path's `ParseError` or `PathError`, a body's
//!   `serde_json::Error`).
//! * **The resource's state**: [`Error::NotFound`], [`Error::Conflict`],
//!   [`Error::PreconditionFailed`].
//! * **The caller**: [`Error::Unauthorized`], [`Error::Forbidden`].
//! * **How the request arrived**: [`Error::Refused`] with a [`Refusal`]
//!   (method, size, media type, rate, time), with typed fields such as the
//!   limit or the seconds until a retry.
//! * **The service**: [`Error::NotImplemented`], and [`Error::Store`] with a
//!   [`StoreError`], whose backend details never reach the client.
//!
//! [`Error::status`], [`Error::scim_type`] and [`Error::detail`] are the only
//! mapping to the wire; [`ErrorResponse::from`] builds the body from them.
//!
//! # Layering
//!
//! This module imports no other module of the crate: [`StoreError`] and
//! its [`QueryError`] are defined here (re-exported from
//! [`crate::store`]), so `store`, `list` and `protocol` import `error` and
//! never the reverse.

mod detail;
mod refusal;
mod scim_type;
mod store;

use std::fmt;

use http::StatusCode;
use serde::{Deserialize, Serialize};

pub use self::detail::{Detail, FilterError};
pub use self::refusal::{Payload, Refusal};
#[doc(hidden)]
pub use self::scim_type::PrivOwnedStr;
pub use self::scim_type::ScimType;
pub use self::store::{Conflict, InvalidReference, QueryError, StoreError};
use crate::filter::ParseError;
use crate::filter::eval::EvalError;

/// Everything that can go wrong while serving a SCIM request.
///
/// Each variant maps to an HTTP status and an optional [`ScimType`] through
/// [`Error::status`] and [`Error::scim_type`]; [`ErrorResponse::from`] builds
/// the RFC 7644 §3.12 body. Messages name the attribute or parameter at
/// fault so that the person reading the provisioning log can act on them.
/// Build errors with the constructors ([`Error::invalid_value`], …) or from
/// their payloads ([`Error::from`] a [`ParseError`], a [`Refusal`], a
/// [`StoreError`]).
///
/// # Examples
///
/// ```
/// use scim_core::Error;
/// use scim_core::error::ScimType;
///
/// let e = Error::invalid_value("\"active\" must be a boolean");
/// assert_eq!(e.status(), http::StatusCode::BAD_REQUEST);
/// assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
/// assert_eq!(e.detail(), "\"active\" must be a boolean");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // The request's content: 400 (409 for uniqueness) with a scimType.
    /// A filter that does not parse, or that the RFC forbids (ordering a
    /// boolean). `400 invalidFilter`.
    #[error(transparent)]
    InvalidFilter(FilterError),
    /// A PATCH path, `attributes`, `sortBy` or other attribute reference that
    /// is malformed or names no attribute. `400 invalidPath`.
    #[error(transparent)]
    InvalidPath(Detail),
    /// A value of the wrong type, a missing required attribute, a value
    /// outside the canonical values. `400 invalidValue`.
    #[error(transparent)]
    InvalidValue(Detail),
    /// A body that is not JSON or not the expected message. `400
    /// invalidSyntax`.
    #[error(transparent)]
    InvalidSyntax(Detail),
    /// A write to a read-only attribute, a changed immutable attribute, the
    /// removal of a required attribute. `400 mutability`.
    #[error(transparent)]
    Mutability(Detail),
    /// A value that must be unique is already taken. `409 uniqueness`.
    #[error(transparent)]
    Uniqueness(Detail),
    /// A PATCH filter that matches nothing where the RFC requires a match.
    /// `400 noTarget`.
    #[error(transparent)]
    NoTarget(Detail),
    /// A cursor the service did not issue or no longer honours. `400
    /// invalidCursor` (RFC 9865 §2.2).
    #[error(transparent)]
    InvalidCursor(Detail),
    /// More results than the service will return. `400 tooMany`.
    #[error(transparent)]
    TooMany(Detail),

    // The resource's state.
    /// The request conflicts with the state of the service in a way no
    /// retry of the same request resolves (circular bulk references,
    /// persistent write contention). `409` without `scimType`.
    #[error(transparent)]
    Conflict(Detail),
    /// The resource or endpoint does not exist. `404`.
    #[error(transparent)]
    NotFound(Detail),
    /// `If-Match` did not match the current version, or a concurrent write
    /// won. `412`.
    #[error(transparent)]
    PreconditionFailed(Detail),

    // The caller.
    /// No valid credentials. `401` with `WWW-Authenticate`.
    #[error(transparent)]
    Unauthorized(Detail),
    /// Valid credentials that may not do this. `403`.
    #[error(transparent)]
    Forbidden(Detail),

    // How the request arrived.
    /// The request was turned away for how it arrived (method, size, media
    /// type, rate, time); the [`Refusal`] says which, with its status.
    #[error(transparent)]
    Refused(Refusal),

    // The service.
    /// The service does not implement this (`/Me`, a disabled feature).
    /// `501`.
    #[error(transparent)]
    NotImplemented(Detail),
    /// The storage backend failed or refused. The status follows the
    /// [`StoreError`]; for a backend failure it is `500` and the detail
    /// never reaches the client.
    #[error("storage failure")]
    Store(#[source] StoreError),
}

/// Constructors, one per variant that carries a [`Detail`], so that callers
/// need not build the payload.
impl Error {
    /// `400 invalidFilter`, for a filter the service refuses for its own
    /// reasons. A filter that does not parse comes from its
    /// [`ParseError`] instead ([`Error::from`]).
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::InvalidFilter(FilterError::new(detail))
    }

    /// `400 invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::InvalidPath(Detail::new(detail))
    }

    /// `400 invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::InvalidValue(Detail::new(detail))
    }

    /// `400 invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::InvalidSyntax(Detail::new(detail))
    }

    /// `400 mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::Mutability(Detail::new(detail))
    }

    /// `409 uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::Uniqueness(Detail::new(detail))
    }

    /// `400 noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::NoTarget(Detail::new(detail))
    }

    /// `400 invalidCursor`.
    pub fn invalid_cursor(detail: impl Into<String>) -> Self {
        Self::InvalidCursor(Detail::new(detail))
    }

    /// `400 tooMany`.
    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::TooMany(Detail::new(detail))
    }

    /// `409` without `scimType`.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(Detail::new(detail))
    }

    /// `404`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(Detail::new(detail))
    }

    /// `412`.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::PreconditionFailed(Detail::new(detail))
    }

    /// `401`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::Unauthorized(Detail::new(detail))
    }

    /// `403`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(Detail::new(detail))
    }

    /// `501`.
    pub fn not_implemented(detail: impl Into<String>) -> Self {
        Self::NotImplemented(Detail::new(detail))
    }

    /// Puts `context` in front of the detail of a client error about the
    /// request's content (`operation 2: …`), so that a client sending many
    /// operations learns which one failed. Other errors are returned as
    /// they are.
    #[must_use]
    pub fn in_context(self, context: impl fmt::Display) -> Self {
        match self {
            Self::InvalidFilter(f) => Self::InvalidFilter(f.in_context(context)),
            Self::InvalidPath(d) => Self::InvalidPath(d.in_context(context)),
            Self::InvalidValue(d) => Self::InvalidValue(d.in_context(context)),
            Self::NoTarget(d) => Self::NoTarget(d.in_context(context)),
            Self::Mutability(d) => Self::Mutability(d.in_context(context)),
            other => other,
        }
    }
}

/// The wire mapping: status, `scimType` and `detail`, for every error in
/// one place.
impl Error {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidFilter(_)
            | Self::InvalidPath(_)
            | Self::InvalidValue(_)
            | Self::InvalidSyntax(_)
            | Self::Mutability(_)
            | Self::NoTarget(_)
            | Self::InvalidCursor(_)
            | Self::TooMany(_) => StatusCode::BAD_REQUEST,
            Self::Uniqueness(_) | Self::Conflict(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Refused(r) => match r {
                Refusal::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
                Refusal::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                Refusal::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
                Refusal::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            },
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Self::Store(e) => match e {
                StoreError::NotFound => StatusCode::NOT_FOUND,
                StoreError::Conflict(_) => StatusCode::CONFLICT,
                StoreError::VersionMismatch => StatusCode::PRECONDITION_FAILED,
                StoreError::InvalidReference(_) | StoreError::InvalidQuery(_) => {
                    StatusCode::BAD_REQUEST
                }
                StoreError::Backend(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The `scimType` of RFC 7644 §3.12 Table 9, where one applies.
    pub fn scim_type(&self) -> Option<ScimType> {
        match self {
            Self::InvalidFilter(_) => Some(ScimType::InvalidFilter),
            Self::InvalidPath(_) => Some(ScimType::InvalidPath),
            Self::InvalidValue(_) => Some(ScimType::InvalidValue),
            Self::InvalidSyntax(_) => Some(ScimType::InvalidSyntax),
            Self::Mutability(_) => Some(ScimType::Mutability),
            Self::Uniqueness(_) => Some(ScimType::Uniqueness),
            Self::NoTarget(_) => Some(ScimType::NoTarget),
            Self::TooMany(_) => Some(ScimType::TooMany),
            Self::InvalidCursor(_) => Some(ScimType::InvalidCursor),
            Self::Store(StoreError::Conflict(_)) => Some(ScimType::Uniqueness),
            Self::Store(StoreError::InvalidReference(_)) => Some(ScimType::InvalidValue),
            Self::Store(StoreError::InvalidQuery(q)) => Some(q.scim_type()),
            Self::Conflict(_)
            | Self::NotFound(_)
            | Self::PreconditionFailed(_)
            | Self::Unauthorized(_)
            | Self::Forbidden(_)
            | Self::Refused(_)
            | Self::NotImplemented(_)
            | Self::Store(_) => None,
        }
    }

    /// The `detail` sent to the client: the message for client errors, a
    /// fixed text for server errors so that backend details never leak.
    pub fn detail(&self) -> String {
        match self {
            Self::Store(e) => match e {
                StoreError::NotFound => "resource not found".to_owned(),
                StoreError::Conflict(c) => c.detail().as_str().to_owned(),
                StoreError::InvalidReference(r) => r.detail().as_str().to_owned(),
                StoreError::InvalidQuery(q) => q.to_string(),
                StoreError::VersionMismatch => {
                    "the resource was changed by another request; read it again and retry"
                        .to_owned()
                }
                StoreError::Backend(_) => {
                    "the service could not complete the request; it has been logged".to_owned()
                }
            },
            other => other.to_string(),
        }
    }

    /// For [`Refusal::RateLimited`], the seconds to send in `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Refused(Refusal::RateLimited { retry_after, .. }) => Some(*retry_after),
            _ => None,
        }
    }

    /// For [`Refusal::MethodNotAllowed`], the value to send in `Allow`
    /// (`GET, POST`).
    pub fn allow(&self) -> Option<String> {
        match self {
            Self::Refused(Refusal::MethodNotAllowed { allowed, .. }) => {
                let mut out = String::new();
                // Writing to a String cannot fail.
                let _ = refusal::write_methods(&mut out, allowed);
                Some(out)
            }
            _ => None,
        }
    }

    /// `true` for errors that are the server's fault (status 5xx).
    pub fn is_server_error(&self) -> bool {
        self.status().is_server_error()
    }
}

impl QueryError {
    /// The `scimType` the refusal is answered with, always with `400`
    /// (see [`Error::scim_type`]).
    pub fn scim_type(&self) -> ScimType {
        match self {
            Self::InvalidFilter(_) => ScimType::InvalidFilter,
            Self::InvalidCursor(_) => ScimType::InvalidCursor,
            Self::InvalidValue(_) => ScimType::InvalidValue,
            Self::InvalidPath(_) => ScimType::InvalidPath,
            Self::TooMany(_) => ScimType::TooMany,
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Self::InvalidFilter(e.into())
    }
}

impl From<EvalError> for Error {
    fn from(e: EvalError) -> Self {
        Self::InvalidFilter(e.into())
    }
}

impl From<FilterError> for Error {
    fn from(e: FilterError) -> Self {
        Self::InvalidFilter(e)
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A store's query refusal, answered as the same client error the service
/// would give (an `invalidFilter` stays an [`Error::InvalidFilter`]).
impl From<QueryError> for Error {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::InvalidFilter(f) => Self::InvalidFilter(f),
            QueryError::InvalidCursor(d) => Self::InvalidCursor(d),
            QueryError::InvalidValue(d) => Self::InvalidValue(d),
            QueryError::InvalidPath(d) => Self::InvalidPath(d),
            QueryError::TooMany(d) => Self::TooMany(d),
        }
    }
}

/// The error body of RFC 7644 §3.12.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ErrorResponse {
    /// Always `["urn:ietf:params:scim:api:messages:2.0:Error"]`.
    pub schemas: Vec<String>,
    /// The HTTP status as a string, equal to the response's status.
    pub status: String,
    /// The SCIM error keyword, where one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<ScimType>,
    /// A human-readable explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ErrorResponse {
    /// The error message schema URN.
    pub const SCHEMA: &'static str = "urn:ietf:params:scim:api:messages:2.0:Error";

    /// An error body for `status` with an optional keyword and detail.
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: Option<String>) -> Self {
        Self {
            schemas: vec![Self::SCHEMA.to_owned()],
            status: status.as_u16().to_string(),
            scim_type,
            detail,
        }
    }
}

/// Formats an error with its whole source chain, for the embedder's log
/// of a 5xx ([`crate::protocol::ErrorInfo`]).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl From<&Error> for ErrorResponse {
    fn from(e: &Error) -> Self {
        Self::new(e.status(), e.scim_type(), Some(e.detail()))
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as StdError;
    use std::time::Duration;

    use http::Method;

    use super::*;

    #[test]
    fn every_error_maps_to_a_status_keyword_and_detail() {
        let cases: Vec<(Error, u16, Option<&str>, &str)> = vec![
            (
                Error::invalid_filter("x"),
                400,
                Some("invalidFilter"),
                "invalid filter: x",
            ),
            (Error::invalid_path("x"), 400, Some("invalidPath"), "x"),
            (Error::invalid_value("x"), 400, Some("invalidValue"), "x"),
            (Error::invalid_syntax("x"), 400, Some("invalidSyntax"), "x"),
            (Error::mutability("x"), 400, Some("mutability"), "x"),
            (Error::uniqueness("x"), 409, Some("uniqueness"), "x"),
            (Error::no_target("x"), 400, Some("noTarget"), "x"),
            (Error::too_many("x"), 400, Some("tooMany"), "x"),
            (Error::invalid_cursor("x"), 400, Some("invalidCursor"), "x"),
            (Error::not_found("x"), 404, None, "x"),
            (Error::conflict("x"), 409, None, "x"),
            (Error::precondition_failed("x"), 412, None, "x"),
            (Error::unauthorized("x"), 401, None, "x"),
            (Error::forbidden("x"), 403, None, "x"),
            (Error::not_implemented("x"), 501, None, "x"),
            (
                Refusal::method_not_allowed(Method::PUT, [Method::GET, Method::POST]).into(),
                405,
                None,
                "PUT is not allowed here; allowed: GET, POST",
            ),
            (
                Refusal::payload_too_large(Payload::Body { size: Some(10) }, 5).into(),
                413,
                None,
                "the request body is 10 bytes; the limit is 5",
            ),
            (
                Refusal::payload_too_large(Payload::Body { size: None }, 5).into(),
                413,
                None,
                "the request body is larger than 5 bytes; send at most 5",
            ),
            (
                Refusal::payload_too_large(Payload::DeclaredBody { size: 10 }, 5).into(),
                413,
                None,
                "the request body is 10 bytes (Content-Length); the limit is 5",
            ),
            (
                Refusal::payload_too_large(Payload::PatchOperations { count: 4 }, 3).into(),
                413,
                None,
                "the PATCH request has 4 operations; the limit is 3: send the rest in another request",
            ),
            (
                Refusal::payload_too_large(Payload::BulkOperations { count: 4 }, 3).into(),
                413,
                None,
                "the bulk request has 4 operations; the limit is 3",
            ),
            (
                Refusal::unsupported_media_type("text/plain").into(),
                415,
                None,
                "send the body as application/scim+json, not \"text/plain\"",
            ),
            (
                Refusal::timeout(Duration::from_secs(30)).into(),
                408,
                None,
                "the request was not received within 30 s; nothing was changed",
            ),
            (
                Refusal::rate_limited(7, "slow down").into(),
                429,
                None,
                "slow down",
            ),
            (
                Error::Store(StoreError::VersionMismatch),
                412,
                None,
                "the resource was changed by another request; read it again and retry",
            ),
            (
                Error::Store(StoreError::NotFound),
                404,
                None,
                "resource not found",
            ),
            (
                Error::Store(StoreError::conflict_on("userName", "userName taken")),
                409,
                Some("uniqueness"),
                "userName taken",
            ),
            (
                Error::Store(StoreError::invalid_reference_to("42", "no such member")),
                400,
                Some("invalidValue"),
                "no such member",
            ),
            (
                Error::Store(QueryError::too_many("narrow it").into()),
                400,
                Some("tooMany"),
                "narrow it",
            ),
            (
                Error::Store(QueryError::invalid_cursor("not ours").into()),
                400,
                Some("invalidCursor"),
                "not ours",
            ),
        ];
        for (error, status, scim_type, detail) in cases {
            let body = ErrorResponse::from(&error);
            assert_eq!(body.status, status.to_string(), "{error:?}");
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(
                body.scim_type.as_ref().map(ScimType::as_str),
                scim_type,
                "{error:?}"
            );
            assert_eq!(body.detail.as_deref(), Some(detail), "{error:?}");
        }
    }

    #[test]
    fn refusals_carry_their_headers() {
        let e = Error::from(Refusal::rate_limited(7, "slow down"));
        assert_eq!(e.retry_after(), Some(7));
        assert_eq!(e.allow(), None);
        let e = Error::from(Refusal::method_not_allowed(
            Method::DELETE,
            [Method::GET, Method::PUT, Method::PATCH],
        ));
        assert_eq!(e.allow().as_deref(), Some("GET, PUT, PATCH"));
        assert_eq!(e.retry_after(), None);
    }

    #[test]
    fn an_unparsable_filter_keeps_the_parse_error_as_its_source() {
        let parse = crate::filter::parse(r#"userName equals "bjensen""#).unwrap_err();
        let error = Error::from(parse.clone());
        assert_eq!(
            error.detail(),
            r#"invalid filter: at position 9: expected a comparison operator, found "equals""#
        );
        assert_eq!(error.scim_type(), Some(ScimType::InvalidFilter));
        let source = error.source().expect("the parser's error");
        let source = source.downcast_ref::<ParseError>().expect("a ParseError");
        assert_eq!(source, &parse);
        assert_eq!(source.position(), 9);
        let Error::InvalidFilter(filter) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(filter.position(), Some(9));
        assert_eq!(filter.parse_error(), Some(&parse));
        // Context goes in front of the detail; the source stays.
        let error = error.in_context("operation 2");
        assert_eq!(
            error.detail(),
            r#"invalid filter: operation 2: at position 9: expected a comparison operator, found "equals""#
        );
        assert!(error.source().is_some_and(|s| s.is::<ParseError>()));
    }

    #[test]
    fn a_refused_comparison_keeps_the_evaluator_error_as_its_source() {
        let filter = crate::filter::parse("active gt true").unwrap();
        let eval = filter
            .matcher(&crate::filter::eval::DefaultFacts)
            .unwrap_err();
        let error = Error::from(eval.clone());
        assert_eq!(error.detail(), format!("invalid filter: {eval}"));
        let source = error.source().and_then(|s| s.downcast_ref::<EvalError>());
        assert_eq!(source, Some(&eval));
        // The same refusal from inside a store answers the same.
        let stored = Error::Store(StoreError::from(eval));
        assert_eq!(stored.status(), error.status());
        assert_eq!(stored.scim_type(), error.scim_type());
        assert_eq!(stored.detail(), error.detail());
    }

    #[test]
    fn a_malformed_path_keeps_the_parser_error_as_its_source() {
        let parse = "name.".parse::<crate::filter::AttrPath>().unwrap_err();
        let error = Error::InvalidPath(Detail::new(format!("bad: {parse}")).with_source(parse));
        assert_eq!(error.scim_type(), Some(ScimType::InvalidPath));
        assert!(error.source().is_some_and(|s| s.is::<ParseError>()));
        let plain = Error::invalid_path("bad");
        assert!(plain.source().is_none());
    }

    #[test]
    fn query_helper_errors_become_store_errors_with_the_same_answer() {
        for e in [
            Error::invalid_filter("f"),
            Error::invalid_cursor("c"),
            Error::invalid_value("v"),
            Error::invalid_path("p"),
            Error::too_many("t"),
        ] {
            let (status, scim_type, detail) = (e.status(), e.scim_type(), e.detail());
            let store = StoreError::invalid_query(e);
            assert!(matches!(store, StoreError::InvalidQuery(_)), "{store:?}");
            let back = Error::from(store);
            assert_eq!((back.status(), back.scim_type()), (status, scim_type));
            assert_eq!(back.detail(), detail);
        }
        // What the helpers never return is the store's failure, not the
        // client's.
        let other = StoreError::from(Error::unauthorized("no"));
        assert!(matches!(other, StoreError::Backend(_)), "{other:?}");
        let inner = StoreError::from(Error::Store(StoreError::VersionMismatch));
        assert!(matches!(inner, StoreError::VersionMismatch), "{inner:?}");
    }

    #[test]
    fn backend_details_never_reach_the_client() {
        let backend = StoreError::backend(std::io::Error::other("password=hunter2 at 10.0.0.5"));
        let error = Error::Store(backend);
        let body = ErrorResponse::from(&error);
        assert_eq!(body.status, "500");
        assert!(!body.detail.unwrap_or_default().contains("hunter2"));
        // The cause stays in the source chain, for the embedder's log.
        assert!(error_chain(&error).contains("hunter2"));
    }

    #[test]
    fn store_refusals_keep_what_they_name_and_tell_the_client_their_detail() {
        let e = StoreError::conflict_on("userName", "userName \"bjensen\" is already taken");
        let StoreError::Conflict(c) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(c.attribute(), Some("userName"));
        let wire = Error::Store(e);
        assert_eq!(wire.status(), StatusCode::CONFLICT);
        assert_eq!(wire.scim_type(), Some(ScimType::Uniqueness));
        assert_eq!(wire.detail(), "userName \"bjensen\" is already taken");
        let StoreError::Conflict(c) = StoreError::conflict("taken") else {
            unreachable!()
        };
        assert_eq!(c.attribute(), None);

        let e = StoreError::invalid_reference_to("42", "member \"42\" does not exist");
        let StoreError::InvalidReference(r) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(r.reference(), Some("42"));
        let wire = Error::Store(e);
        assert_eq!(wire.status(), StatusCode::BAD_REQUEST);
        assert_eq!(wire.scim_type(), Some(ScimType::InvalidValue));
        assert_eq!(wire.detail(), "member \"42\" does not exist");
        assert_eq!(
            Error::Store(StoreError::invalid_reference("\"members\" must be a list")).detail(),
            "\"members\" must be a list"
        );
    }

    #[test]
    fn errors_are_send_sync_and_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
        check::<StoreError>();
        check::<Refusal>();
    }

    #[test]
    fn unknown_scim_types_round_trip() {
        let t: ScimType = serde_json::from_str("\"somethingNew\"").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"somethingNew\"");
        assert_eq!(ScimType::from("noTarget"), ScimType::NoTarget);
    }
}
