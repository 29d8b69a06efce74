//! The per-request context every endpoint gets, and the URLs it builds.

use super::response::RequestInfo;
use super::{Inner, Principal};
use crate::Error;
use crate::id::ResourceId;
use crate::schema::ResourceSchema;
use crate::tolerance::Context;

/// Everything an endpoint needs about the request.
pub(super) struct Call<'a> {
    pub(super) inner: &'a Inner,
    pub(super) parts: &'a http::request::Parts,
    pub(super) principal: Option<Principal>,
    pub(super) info: &'a mut RequestInfo,
}

impl<'a> Call<'a> {
    pub(super) fn tenant(&self) -> Result<&crate::store::TenantId, Error> {
        self.principal
            .as_ref()
            .map(|p| &p.tenant)
            .ok_or_else(|| Error::unauthorized("authentication required".to_owned()))
    }

    /// The public URL of the base path.
    pub(super) fn base_url(&self) -> String {
        let config = &self.inner.config;
        if let Some(url) = &config.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = self
            .parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| self.parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("localhost");
        let scheme = self
            .parts
            .uri
            .scheme_str()
            .unwrap_or(config.default_scheme.as_str());
        let mut url = String::with_capacity(scheme.len() + 3 + host.len() + config.base_path.len());
        url.push_str(scheme);
        url.push_str("://");
        url.push_str(host);
        url.push_str(&config.base_path);
        url
    }

    /// The public URL of the base path for the operations of a `/Bulk`
    /// request. An operation is addressed like a request of its own with
    /// an origin-form path and the bulk request's `Host`, so the scheme and
    /// authority of the bulk request's URI play no part.
    pub(super) fn operation_base_url(&self) -> String {
        let config = &self.inner.config;
        if let Some(url) = &config.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = self
            .parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("{}://{host}{}", config.default_scheme, config.base_path)
    }

    /// The URL of one resource.
    pub(super) fn location(&self, rt: &ResourceSchema, id: &ResourceId) -> String {
        location_under(self.base_url(), rt, id)
    }

    pub(super) fn context(&self) -> Context {
        Context::new(self.inner.config.policy)
    }

    /// A header's value, if it is text.
    pub(super) fn header(&self, name: http::header::HeaderName) -> Option<&'a str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The URL of one resource below the base URL `base`.
pub(super) fn location_under(base: String, rt: &ResourceSchema, id: &ResourceId) -> String {
    let mut url = base;
    url.push('/');
    url.push_str(rt.resource_type().endpoint_segment());
    url.push('/');
    url.extend(percent_encoding::utf8_percent_encode(id.as_str(), SEGMENT));
    url
}

/// Characters escaped in a path segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');
