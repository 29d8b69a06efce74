//! Building responses.

use http::header::{CONTENT_TYPE, ETAG, HeaderValue, LOCATION};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::error::{Error, ErrorResponse, Refusal, ScimType, error_chain};
use crate::tolerance::Fired;

/// The SCIM media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// What the service learned about a request, attached to its response's
/// extensions for the embedding server's logs.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct RequestInfo {
    /// The tenant, once authenticated.
    pub tenant: Option<String>,
    /// Who called, as the authenticator named them (never a secret).
    pub subject: Option<String>,
    /// The tolerances the request needed.
    pub fired: Fired,
    /// The error the request was answered with, for the log line. For a
    /// `/Bulk` request (answered `200`), the first operation that failed
    /// with a server error.
    pub error: Option<ErrorInfo>,
    /// How many operations the request carried out, for a rate limiter
    /// that counts work rather than requests: 1 for an ordinary request,
    /// the number of operations run for `/Bulk` (0 if none ran).
    pub operations: usize,
}

/// What a log line may say about an error: its `scimType` and the `detail`
/// the client was sent, and for a server error (5xx) the cause the client
/// was not sent. Never a request body or a credential: the service builds
/// no error message from either.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct ErrorInfo {
    /// The HTTP status the error is answered with.
    pub status: StatusCode,
    /// The `scimType` sent to the client, if any.
    pub scim_type: Option<ScimType>,
    /// The `detail` sent to the client.
    pub detail: String,
    /// For a server error, the error and its chain of sources (`storage
    /// failure: database error: disk I/O error`), which the client is told
    /// only "has been logged". `None` for client errors.
    pub cause: Option<String>,
}

impl ErrorInfo {
    /// What to log about `error`. Embedding servers use it for the errors
    /// they answer themselves with [`crate::protocol::error_response`].
    pub fn new(error: &Error) -> Self {
        Self {
            status: error.status(),
            scim_type: error.scim_type(),
            detail: error.detail(),
            cause: error.is_server_error().then(|| error_chain(error)),
        }
    }
}

/// A JSON response with the SCIM media type.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Vec<u8>> {
    // Most responses are a resource or a short list; start big enough that
    // the buffer rarely grows.
    let mut bytes = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => with_body(status, bytes),
        // Serializing a Value or a derive-serialized struct of ours cannot
        // fail; if it ever did, answer a plain 500.
        Err(_) => with_body(StatusCode::INTERNAL_SERVER_ERROR, Vec::new()),
    }
}

fn with_body(status: StatusCode, bytes: Vec<u8>) -> Response<Vec<u8>> {
    let mut response = Response::new(bytes);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

/// An empty response.
pub(crate) fn empty(status: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = status;
    response
}

/// The SCIM error body for `e`, with `WWW-Authenticate` for `401`.
pub(crate) fn error(e: &Error, challenge: Option<&str>) -> Response<Vec<u8>> {
    let mut response = json(e.status(), &ErrorResponse::from(e));
    if let Some(retry_after) = e.retry_after() {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
    if let Some(allow) = e.allow().and_then(|a| HeaderValue::from_str(&a).ok()) {
        response.headers_mut().insert(http::header::ALLOW, allow);
    }
    if e.status() == StatusCode::UNAUTHORIZED {
        let value = HeaderValue::from_str(challenge.unwrap_or("Bearer"))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `405` with `Allow`.
pub(crate) fn method_not_allowed(
    allowed: &[http::Method],
    method: &http::Method,
) -> Response<Vec<u8>> {
    error(
        &Refusal::method_not_allowed(method.clone(), allowed).into(),
        None,
    )
}

/// Sets `ETag` and, if given, `Location`.
pub(crate) fn with_resource_headers(
    mut response: Response<Vec<u8>>,
    etag: &str,
    location: Option<&str>,
) -> Response<Vec<u8>> {
    if let Ok(v) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(ETAG, v);
    }
    if let Some(location) = location {
        if let Ok(v) = HeaderValue::from_str(location) {
            response.headers_mut().insert(LOCATION, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn error_info_has_the_cause_only_for_server_errors() {
        let client = ErrorInfo::new(&Error::invalid_filter("bad filter at 3".to_owned()));
        assert_eq!(client.status, StatusCode::BAD_REQUEST);
        assert_eq!(client.scim_type, Some(ScimType::InvalidFilter));
        assert!(
            client.detail.contains("bad filter at 3"),
            "{}",
            client.detail
        );
        assert_eq!(client.cause, None);

        let server = ErrorInfo::new(&Error::Store(StoreError::backend(std::io::Error::other(
            "disk I/O error",
        ))));
        assert_eq!(server.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(server.scim_type, None);
        assert!(
            server.detail.contains("has been logged"),
            "{}",
            server.detail
        );
        let cause = server.cause.unwrap();
        assert!(cause.ends_with("disk I/O error"), "{cause}");
    }
}
