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

impl Call<'_> {
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

    /// The URL of one resource.
    pub(super) fn location(&self, rt: &ResourceSchema, id: &ResourceId) -> String {
        let mut url = self.base_url();
        url.push('/');
        url.push_str(rt.resource_type().endpoint_segment());
        url.push('/');
        url.extend(percent_encoding::utf8_percent_encode(id.as_str(), SEGMENT));
        url
    }

    pub(super) fn context(&self) -> Context {
        Context::new(self.inner.config.policy)
    }

    pub(super) fn header(&self, name: http::header::HeaderName) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
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
