//! One error type for every SCIM failure, mapped in one place to its HTTP
//! status and `scimType` (RFC 7644 §3.12).

use std::fmt;

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::filter::ParseError;

/// Everything that can go wrong while serving a SCIM request.
///
/// Each variant maps to an HTTP status and an optional [`ScimType`] through
/// [`Error::status`] and [`Error::scim_type`]; [`ErrorResponse::from`] builds
/// the RFC 7644 §3.12 body. Messages name the attribute or parameter at
/// fault so that the person reading the provisioning log can act on them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A filter that does not parse, or that the RFC forbids (ordering a
    /// boolean). `400 invalidFilter`.
    #[error("invalid filter: {0}")]
    InvalidFilter(String),
    /// A PATCH path, `attributes`, `sortBy` or other attribute reference that
    /// is malformed or names no attribute. `400 invalidPath`.
    #[error("{0}")]
    InvalidPath(String),
    /// A value of the wrong type, a missing required attribute, a value
    /// outside the canonical values. `400 invalidValue`.
    #[error("{0}")]
    InvalidValue(String),
    /// A body that is not JSON or not the expected message. `400
    /// invalidSyntax`.
    #[error("{0}")]
    InvalidSyntax(String),
    /// A write to a read-only attribute, a changed immutable attribute, the
    /// removal of a required attribute. `400 mutability`.
    #[error("{0}")]
    Mutability(String),
    /// A value that must be unique is already taken. `409 uniqueness`.
    #[error("{0}")]
    Uniqueness(String),
    /// A PATCH filter that matches nothing where the RFC requires a match.
    /// `400 noTarget`.
    #[error("{0}")]
    NoTarget(String),
    /// A cursor the service did not issue or no longer honours. `400
    /// invalidCursor` (RFC 9865 §2.2).
    #[error("{0}")]
    InvalidCursor(String),
    /// More results than the service will return. `400 tooMany`.
    #[error("{0}")]
    TooMany(String),
    /// The request conflicts with the state of the service in a way no
    /// retry of the same request resolves (circular bulk references,
    /// persistent write contention). `409` without `scimType`.
    #[error("{0}")]
    Conflict(String),
    /// The resource or endpoint does not exist. `404`.
    #[error("{0}")]
    NotFound(String),
    /// The method is not allowed on the endpoint. `405`.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// `If-Match` did not match the current version, or a concurrent write
    /// won. `412`.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The body is larger than the service accepts. `413`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request took too long to arrive or to answer. `408`.
    #[error("{0}")]
    RequestTimeout(String),
    /// The request's media type is not JSON. `415`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No valid credentials. `401`.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials that may not do this. `403`.
    #[error("{0}")]
    Forbidden(String),
    /// The caller sent too many requests; retry after the given number of
    /// seconds. `429` with `Retry-After`.
    #[error("{detail}")]
    TooManyRequests {
        /// What to tell the client.
        detail: String,
        /// Seconds until the client may retry.
        retry_after: u64,
    },
    /// The service does not implement this (`/Me`, a disabled feature).
    /// `501`.
    #[error("{0}")]
    NotImplemented(String),
    /// The storage backend failed. `500`; the detail never reaches the
    /// client.
    #[error("storage failure")]
    Store(#[source] crate::store::StoreError),
}

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
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Store(e) => match e {
                crate::store::StoreError::NotFound => StatusCode::NOT_FOUND,
                crate::store::StoreError::Conflict(_) => StatusCode::CONFLICT,
                crate::store::StoreError::VersionMismatch => StatusCode::PRECONDITION_FAILED,
                crate::store::StoreError::InvalidReference(_) => StatusCode::BAD_REQUEST,
                crate::store::StoreError::InvalidQuery(inner) => inner.status(),
                _ => StatusCode::INTERNAL_SERVER_ERROR,
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
            Self::Store(crate::store::StoreError::Conflict(_)) => Some(ScimType::Uniqueness),
            Self::Store(crate::store::StoreError::InvalidReference(_)) => {
                Some(ScimType::InvalidValue)
            }
            Self::Store(crate::store::StoreError::InvalidQuery(inner)) => inner.scim_type(),
            _ => None,
        }
    }

    /// The `detail` sent to the client: the message for client errors, a
    /// fixed text for server errors so that backend details never leak.
    pub fn detail(&self) -> String {
        match self {
            Self::Store(e) => match e {
                crate::store::StoreError::NotFound => "resource not found".to_owned(),
                crate::store::StoreError::Conflict(what)
                | crate::store::StoreError::InvalidReference(what) => what.clone(),
                crate::store::StoreError::InvalidQuery(inner) => inner.detail(),
                crate::store::StoreError::VersionMismatch => {
                    "the resource was changed by another request; read it again and retry"
                        .to_owned()
                }
                _ => "the service could not complete the request; it has been logged".to_owned(),
            },
            other => other.to_string(),
        }
    }

    /// `true` for errors that are the server's fault (status 5xx).
    pub fn is_server_error(&self) -> bool {
        self.status().is_server_error()
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Self::InvalidFilter(e.to_string())
    }
}

impl From<crate::filter::eval::EvalError> for Error {
    fn from(e: crate::filter::eval::EvalError) -> Self {
        Self::InvalidFilter(e.to_string())
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Store(e)
    }
}

/// The `scimType` error keywords of RFC 7644 §3.12 Table 9, plus any other
/// keyword a peer sends.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax is invalid or the filter is not supported.
    InvalidFilter,
    /// More results than the service provider will return.
    TooMany,
    /// A unique attribute's value is already in use.
    Uniqueness,
    /// A write to an attribute that its mutability forbids.
    Mutability,
    /// The body is not valid JSON or not a valid SCIM message.
    InvalidSyntax,
    /// The path attribute was invalid or malformed.
    InvalidPath,
    /// A PATCH target or filter matched no attribute or value.
    NoTarget,
    /// A required value was missing or had the wrong type.
    InvalidValue,
    /// The protocol version is not supported.
    InvalidVers,
    /// The request would reveal sensitive data.
    Sensitive,
    /// A cursor that is malformed or unknown (RFC 9865 §2.2).
    InvalidCursor,
    #[doc(hidden)]
    _Custom(PrivOwnedStr),
}

/// A string only this crate can build, for the open enums' custom variants.
#[doc(hidden)]
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct PrivOwnedStr(Box<str>);

impl ScimType {
    /// The keyword as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
            Self::InvalidCursor => "invalidCursor",
            Self::_Custom(s) => &s.0,
        }
    }
}

impl From<&str> for ScimType {
    fn from(s: &str) -> Self {
        match s {
            "invalidFilter" => Self::InvalidFilter,
            "tooMany" => Self::TooMany,
            "uniqueness" => Self::Uniqueness,
            "mutability" => Self::Mutability,
            "invalidSyntax" => Self::InvalidSyntax,
            "invalidPath" => Self::InvalidPath,
            "noTarget" => Self::NoTarget,
            "invalidValue" => Self::InvalidValue,
            "invalidVers" => Self::InvalidVers,
            "sensitive" => Self::Sensitive,
            "invalidCursor" => Self::InvalidCursor,
            other => Self::_Custom(PrivOwnedStr(other.into())),
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ScimType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ScimType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Self::from(s.as_str()))
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
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn every_error_maps_to_a_status_and_keyword() {
        let cases: Vec<(Error, u16, Option<&str>)> = vec![
            (Error::InvalidFilter("x".into()), 400, Some("invalidFilter")),
            (Error::InvalidPath("x".into()), 400, Some("invalidPath")),
            (Error::InvalidValue("x".into()), 400, Some("invalidValue")),
            (Error::InvalidSyntax("x".into()), 400, Some("invalidSyntax")),
            (Error::Mutability("x".into()), 400, Some("mutability")),
            (Error::Uniqueness("x".into()), 409, Some("uniqueness")),
            (Error::NoTarget("x".into()), 400, Some("noTarget")),
            (Error::TooMany("x".into()), 400, Some("tooMany")),
            (Error::InvalidCursor("x".into()), 400, Some("invalidCursor")),
            (Error::NotFound("x".into()), 404, None),
            (Error::Conflict("x".into()), 409, None),
            (Error::MethodNotAllowed("x".into()), 405, None),
            (Error::PreconditionFailed("x".into()), 412, None),
            (Error::PayloadTooLarge("x".into()), 413, None),
            (Error::UnsupportedMediaType("x".into()), 415, None),
            (Error::RequestTimeout("x".into()), 408, None),
            (Error::Unauthorized("x".into()), 401, None),
            (Error::Forbidden("x".into()), 403, None),
            (Error::NotImplemented("x".into()), 501, None),
            (
                Error::TooManyRequests {
                    detail: "x".into(),
                    retry_after: 1,
                },
                429,
                None,
            ),
            (Error::Store(StoreError::VersionMismatch), 412, None),
            (Error::Store(StoreError::NotFound), 404, None),
            (
                Error::Store(StoreError::Conflict("userName taken".into())),
                409,
                Some("uniqueness"),
            ),
        ];
        for (error, status, scim_type) in cases {
            let body = ErrorResponse::from(&error);
            assert_eq!(body.status, status.to_string(), "{error:?}");
            assert_eq!(error.status().as_u16(), status);
            assert_eq!(body.scim_type.as_ref().map(ScimType::as_str), scim_type);
        }
    }

    #[test]
    fn backend_details_never_reach_the_client() {
        let backend = StoreError::backend(std::io::Error::other("password=hunter2 at 10.0.0.5"));
        let error = Error::Store(backend);
        let body = ErrorResponse::from(&error);
        assert_eq!(body.status, "500");
        assert!(!body.detail.unwrap_or_default().contains("hunter2"));
        // The cause stays in the source chain, for the embedder's log.
        let mut chain = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(e) = next {
            chain.push(e.to_string());
            next = e.source();
        }
        assert!(chain.iter().any(|m| m.contains("hunter2")), "{chain:?}");
    }

    #[test]
    fn unknown_scim_types_round_trip() {
        let t: ScimType = serde_json::from_str("\"somethingNew\"").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"somethingNew\"");
        assert_eq!(ScimType::from("noTarget"), ScimType::NoTarget);
    }
}
