//! The two steps of a request, and the table from route and method to
//! endpoint (RFC 7644 §3.3–§3.7, §4).

use http::{Method, Response};

use super::call::Call;
use super::limits::{self, Permit};
use super::query::Params;
use super::response::{self, RequestInfo};
use super::route::{Endpoint, Route, check_content_type, route};
use super::{Inner, Principal, bulk, discovery, endpoints, json::parse_body, search};
use crate::Error;
use crate::error::{Payload, Refusal};

/// The head step (see `head.rs`): routes the request, authenticates it
/// unless it is public discovery, and checks the media type of a body to
/// come, all before any body is read.
pub(super) async fn authenticate(
    inner: &Inner,
    parts: &http::request::Parts,
    info: &mut RequestInfo,
) -> Result<(Route, Option<Principal>, Option<Permit>), Error> {
    limits::check_single_authorization(parts)?;
    let route = route(inner, parts.uri.path());
    let public = inner.config.public_discovery && route.as_ref().is_ok_and(Route::is_discovery);
    let principal = if public {
        None
    } else {
        let p = inner.auth.authenticate(parts).await?;
        info.tenant = Some(p.tenant.as_str().to_owned());
        info.subject.clone_from(&p.subject);
        Some(p)
    };
    let route = route?;
    if matches!(parts.method, Method::POST | Method::PUT | Method::PATCH) {
        check_content_type(parts)?;
    }
    // Held until the response is built, or the request is cancelled,
    // including while the embedder reads the body.
    let permit = match &principal {
        Some(p) => inner.gate.enter(&p.tenant, &inner.config)?,
        None => None,
    };
    info.operations = 1;
    Ok((route, principal, permit))
}

/// The body step: runs an authenticated request with its body.
pub(super) async fn run(
    inner: &Inner,
    parts: &http::request::Parts,
    route: Route,
    principal: Option<Principal>,
    body: &[u8],
    info: &mut RequestInfo,
) -> Result<Response<Vec<u8>>, Error> {
    if body.len() > inner.config.max_payload_size {
        return Err(Refusal::payload_too_large(
            Payload::Body {
                size: Some(body.len() as u64),
            },
            inner.config.max_payload_size as u64,
        )
        .into());
    }
    let mut call = Call {
        inner,
        parts,
        principal,
        info,
    };
    dispatch(&mut call, route, body).await
}

/// Runs a routed request.
async fn dispatch(
    call: &mut Call<'_>,
    route: Route,
    body: &[u8],
) -> Result<Response<Vec<u8>>, Error> {
    let method = call.parts.method.clone();
    match route.endpoint(&method)? {
        Endpoint::ServiceProviderConfig => Ok(discovery::service_provider_config(call)),
        Endpoint::ResourceTypes(id) => discovery::resource_types(call, id.as_deref()),
        Endpoint::Schemas(id) => discovery::schemas(call, id.as_deref()),
        Endpoint::Bulk => bulk::handle(call, body).await,
        Endpoint::RootSearch => search::root_search(call, parse_body(body)?).await,
        Endpoint::Search(rt) => {
            let params = Params::from_search_request(parse_body(body)?)?;
            search::list(call, &rt, &params).await
        }
        Endpoint::List(rt) => {
            let params = Params::from_query(call.parts.uri.query())?;
            search::list(call, &rt, &params).await
        }
        Endpoint::Create(rt) => endpoints::create(call, &rt, body).await,
        Endpoint::Get(rt, id) => endpoints::get(call, &rt, &id).await,
        Endpoint::Replace(rt, id) => endpoints::replace(call, &rt, &id, body).await,
        Endpoint::Patch(rt, id) => endpoints::patch(call, &rt, &id, body).await,
        Endpoint::Delete(rt, id) => endpoints::delete(call, &rt, &id).await,
        Endpoint::NotAllowed(allowed) => Ok(response::method_not_allowed(allowed, &method)),
    }
}
