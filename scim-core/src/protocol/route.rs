//! Where a request goes: the route of a path, the endpoint of a route and
//! a method, and the media type of a body.

use std::sync::Arc;

use http::Method;
use http::header::CONTENT_TYPE;
use percent_encoding::percent_decode_str;

use super::Inner;
use crate::Error;
use crate::error::Refusal;
use crate::id::ResourceId;
use crate::schema::ResourceSchema;

/// Where a request goes.
pub(super) enum Route {
    ServiceProviderConfig,
    ResourceTypes(Option<String>),
    Schemas(Option<String>),
    Bulk,
    RootSearch,
    Me,
    Collection(Arc<ResourceSchema>),
    Search(Arc<ResourceSchema>),
    Resource(Arc<ResourceSchema>, String),
}

impl Route {
    pub(super) fn is_discovery(&self) -> bool {
        matches!(
            self,
            Self::ServiceProviderConfig | Self::ResourceTypes(_) | Self::Schemas(_)
        )
    }

    /// The endpoint `method` asks for on this route: one table for direct
    /// requests and `/Bulk` operations alike.
    ///
    /// # Errors
    ///
    /// `501` for `/Me`, and `404` for a resource id that cannot be one.
    pub(super) fn endpoint(self, method: &Method) -> Result<Endpoint, Error> {
        const GET: &[Method] = &[Method::GET];
        const POST: &[Method] = &[Method::POST];
        const COLLECTION: &[Method] = &[Method::GET, Method::POST];
        const RESOURCE: &[Method] = &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE];
        let get = *method == Method::GET;
        let post = *method == Method::POST;
        Ok(match self {
            Self::ServiceProviderConfig if get => Endpoint::ServiceProviderConfig,
            Self::ResourceTypes(id) if get => Endpoint::ResourceTypes(id),
            Self::Schemas(id) if get => Endpoint::Schemas(id),
            Self::ServiceProviderConfig | Self::ResourceTypes(_) | Self::Schemas(_) => {
                Endpoint::NotAllowed(GET)
            }
            Self::Me => {
                return Err(Error::not_implemented(
                    "this service does not support /Me; address users by id".to_owned(),
                ));
            }
            Self::Bulk if post => Endpoint::Bulk,
            Self::RootSearch if post => Endpoint::RootSearch,
            Self::Search(rt) if post => Endpoint::Search(rt),
            Self::Bulk | Self::RootSearch | Self::Search(_) => Endpoint::NotAllowed(POST),
            Self::Collection(rt) => match *method {
                Method::GET => Endpoint::List(rt),
                Method::POST => Endpoint::Create(rt),
                _ => Endpoint::NotAllowed(COLLECTION),
            },
            Self::Resource(rt, id) => {
                let id = ResourceId::new(id)
                    .map_err(|_| Error::not_found(format!("no {} with that id", rt.name())))?;
                match *method {
                    Method::GET => Endpoint::Get(rt, id),
                    Method::PUT => Endpoint::Replace(rt, id),
                    Method::PATCH => Endpoint::Patch(rt, id),
                    Method::DELETE => Endpoint::Delete(rt, id),
                    _ => Endpoint::NotAllowed(RESOURCE),
                }
            }
        })
    }
}

/// What a route and a method ask for.
pub(super) enum Endpoint {
    ServiceProviderConfig,
    ResourceTypes(Option<String>),
    Schemas(Option<String>),
    Bulk,
    RootSearch,
    /// `POST /{type}/.search`.
    Search(Arc<ResourceSchema>),
    /// `GET /{type}`.
    List(Arc<ResourceSchema>),
    Create(Arc<ResourceSchema>),
    Get(Arc<ResourceSchema>, ResourceId),
    Replace(Arc<ResourceSchema>, ResourceId),
    Patch(Arc<ResourceSchema>, ResourceId),
    Delete(Arc<ResourceSchema>, ResourceId),
    /// The route exists, but not for this method: `405`, allowing these.
    NotAllowed(&'static [Method]),
}

/// Maps the path (below the base path) to a route.
pub(super) fn route(inner: &Inner, path: &str) -> Result<Route, Error> {
    let base = inner.config.base_path.as_str();
    let rest = strip_prefix_ignore_case(path, base)
        .filter(|r| r.is_empty() || r.starts_with('/'))
        .ok_or_else(|| Error::not_found(format!("{path} is not below {base}")))?;
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let not_found = || Error::not_found(format!("no SCIM endpoint at {path}"));
    let seg = |i: usize| segments.get(i).map(String::as_str);
    let route = match (seg(0), seg(1), segments.len()) {
        (Some(s), None, 1) if s.eq_ignore_ascii_case("ServiceProviderConfig") => {
            Route::ServiceProviderConfig
        }
        (Some(s), id, 1 | 2) if s.eq_ignore_ascii_case("ResourceTypes") => {
            Route::ResourceTypes(id.map(str::to_owned))
        }
        (Some(s), id, 1 | 2) if s.eq_ignore_ascii_case("Schemas") => {
            Route::Schemas(id.map(str::to_owned))
        }
        (Some(s), None, 1) if s.eq_ignore_ascii_case("Bulk") => Route::Bulk,
        (Some(".search"), None, 1) => Route::RootSearch,
        (Some(s), _, _) if s.eq_ignore_ascii_case("Me") => Route::Me,
        (Some(s), rest, 1 | 2) => {
            let rt = inner.registry.by_endpoint(s).ok_or_else(not_found)?.clone();
            match rest {
                None => Route::Collection(rt),
                Some(".search") => Route::Search(rt),
                Some(id) => Route::Resource(rt, id.to_owned()),
            }
        }
        _ => return Err(not_found()),
    };
    Ok(route)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Bodies are JSON: `application/scim+json`, `application/json` or any
/// `+json` type, with any parameters. A missing type is accepted.
pub(super) fn check_content_type(parts: &http::request::Parts) -> Result<(), Error> {
    let Some(value) = parts.headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(Refusal::unsupported_media_type(essence).into())
    }
}
