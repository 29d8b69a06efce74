//! Building responses.

use http::header::{CONTENT_TYPE, ETAG, HeaderValue, LOCATION};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::error::{Error, ErrorResponse};
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
    /// How many operations the request carried out, for a rate limiter
    /// that counts work rather than requests: 1 for an ordinary request,
    /// the number of operations run for `/Bulk` (0 if none ran).
    pub operations: usize,
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
    if let Error::TooManyRequests { retry_after, .. } = e {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(*retry_after));
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
pub(crate) fn method_not_allowed(allow: &'static str, method: &http::Method) -> Response<Vec<u8>> {
    let e = Error::MethodNotAllowed(format!("{method} is not allowed here; allowed: {allow}"));
    let mut response = error(&e, None);
    response
        .headers_mut()
        .insert(http::header::ALLOW, HeaderValue::from_static(allow));
    response
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
