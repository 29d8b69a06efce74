//! Refusals: requests turned away for how they arrived (method, size, media
//! type, rate, time), before anything about their content was decided.

use std::fmt;
use std::time::Duration;

use http::Method;

/// A request the service turns away for how it arrived rather than for
/// what it asks: the wrong method, too big, the wrong media type, too many
/// at once, too slow. None has a `scimType`; each is answered with its own
/// status ([`crate::Error::status`]) and, for some, a header (`Allow`,
/// `Retry-After`).
///
/// # Examples
///
/// ```
/// use scim_core::Error;
/// use scim_core::error::Refusal;
///
/// let e = Error::from(Refusal::rate_limited(30, "too many requests for this tenant; retry later"));
/// assert_eq!(e.status(), http::StatusCode::TOO_MANY_REQUESTS);
/// assert_eq!(e.retry_after(), Some(30));
/// ```
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Refusal {
    /// The method is not allowed on the endpoint. `405` with `Allow`.
    #[non_exhaustive]
    MethodNotAllowed {
        /// The method the request used.
        method: Method,
        /// The methods the endpoint allows, sent in `Allow`.
        allowed: Vec<Method>,
    },
    /// The request is larger than the service accepts. `413`.
    #[non_exhaustive]
    PayloadTooLarge {
        /// What is too large, and by how much where that is known.
        payload: Payload,
        /// The most the service accepts, in the payload's unit (bytes or
        /// operations).
        limit: u64,
    },
    /// The caller sent too many requests. `429` with `Retry-After`.
    #[non_exhaustive]
    RateLimited {
        /// Seconds until the caller may retry.
        retry_after: u64,
        /// Which limit the caller reached, for the client.
        reason: String,
    },
    /// The request did not arrive in time. `408`.
    #[non_exhaustive]
    Timeout {
        /// How long the service waited.
        after: Duration,
    },
    /// The body's media type is not JSON. `415`.
    #[non_exhaustive]
    UnsupportedMediaType {
        /// The media type the request named (its essence, without
        /// parameters).
        media_type: String,
    },
}

impl Refusal {
    /// `method` on an endpoint that allows only `allowed`.
    pub fn method_not_allowed(method: Method, allowed: impl Into<Vec<Method>>) -> Self {
        Self::MethodNotAllowed {
            method,
            allowed: allowed.into(),
        }
    }

    /// A payload over `limit` (bytes or operations, as `payload` counts).
    pub fn payload_too_large(payload: Payload, limit: u64) -> Self {
        Self::PayloadTooLarge { payload, limit }
    }

    /// Too many requests; the caller may retry after `retry_after` seconds.
    /// `reason` names the limit for the client.
    pub fn rate_limited(retry_after: u64, reason: impl Into<String>) -> Self {
        Self::RateLimited {
            retry_after,
            reason: reason.into(),
        }
    }

    /// A request that did not arrive within `after`.
    pub fn timeout(after: Duration) -> Self {
        Self::Timeout { after }
    }

    /// A body sent as `media_type` rather than JSON.
    pub fn unsupported_media_type(media_type: impl Into<String>) -> Self {
        Self::UnsupportedMediaType {
            media_type: media_type.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MethodNotAllowed { method, allowed } => {
                write!(f, "{method} is not allowed here; allowed: ")?;
                write_methods(f, allowed)
            }
            Self::PayloadTooLarge { payload, limit } => match payload {
                Payload::Body { size: Some(size) } => {
                    write!(f, "the request body is {size} bytes; the limit is {limit}")
                }
                Payload::Body { size: None } => write!(
                    f,
                    "the request body is larger than {limit} bytes; send at most {limit}"
                ),
                Payload::DeclaredBody { size } => write!(
                    f,
                    "the request body is {size} bytes (Content-Length); the limit is {limit}"
                ),
                Payload::PatchOperations { count } => write!(
                    f,
                    "the PATCH request has {count} operations; the limit is {limit}: send the rest in another request"
                ),
                Payload::BulkOperations { count } => write!(
                    f,
                    "the bulk request has {count} operations; the limit is {limit}"
                ),
            },
            Self::RateLimited { reason, .. } => f.write_str(reason),
            Self::Timeout { after } => write!(
                f,
                "the request was not received within {} s; nothing was changed",
                after.as_secs()
            ),
            Self::UnsupportedMediaType { media_type } => {
                write!(
                    f,
                    "send the body as application/scim+json, not {media_type:?}"
                )
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// Writes methods as an `Allow` header lists them (`GET, POST`).
pub(super) fn write_methods(f: &mut impl fmt::Write, methods: &[Method]) -> fmt::Result {
    for (i, m) in methods.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(m.as_str())?;
    }
    Ok(())
}

/// What part of a request is over its limit ([`Refusal::PayloadTooLarge`]).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// The body as read, in bytes; `size` is `None` when reading stopped at
    /// the limit.
    Body {
        /// The body's size, if it was read to the end.
        size: Option<u64>,
    },
    /// The body as its `Content-Length` announced it, before reading.
    DeclaredBody {
        /// The announced size in bytes.
        size: u64,
    },
    /// A PATCH request's `Operations`.
    PatchOperations {
        /// How many operations it has.
        count: u64,
    },
    /// A `/Bulk` request's `Operations`.
    BulkOperations {
        /// How many operations it has.
        count: u64,
    },
}
