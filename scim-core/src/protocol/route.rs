//! Where a request goes: the route of a path, and the media type of a body.

use std::future::Future;
use std::sync::Arc;

use http::Response;
use http::header::CONTENT_TYPE;
use percent_encoding::percent_decode_str;

use super::Inner;
use super::call::Call;
use crate::Error;
use crate::error::Refusal;
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
}

/// A boxed, sendable response future.
pub(super) type BoxedResponse<'a> =
    std::pin::Pin<Box<dyn Future<Output = Result<Response<Vec<u8>>, Error>> + Send + 'a>>;

/// Runs a routed request: what `/Bulk` is given to run its operations
/// through, so that it needs not know the endpoints.
pub(super) type Dispatch = for<'a, 'b> fn(&'a mut Call<'b>, Route, &'a [u8]) -> BoxedResponse<'a>;

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
