//! Routing and the resource endpoints (RFC 7644 §3.3–§3.6, §3.4.3).

use std::future::Future;
use std::sync::Arc;

use http::header::{CONTENT_TYPE, IF_MATCH, IF_NONE_MATCH};
use http::{Method, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::Value;

use super::limits::{self, Permit};
use super::query::Params;
use super::response::{self, RequestInfo};
use super::{Inner, PatchResponse, Principal, bulk, discovery, json::parse_body};
use crate::Error;
use crate::error::{Payload, Refusal};
use crate::id::{ResourceId, Version};
use crate::list::{ListQuery, ListResponse, Page, QueryResult};
use crate::patch::{PatchRequest, apply_cooperatively, member_delta};
use crate::project::{Projected, Projection};
use crate::resource::{self, Meta, Resource, prepare_create, prepare_replace};
use crate::schema::{ResourceSchema, SchemaUrn};
use crate::store::StoreError;
use crate::tolerance::Context;

/// How often a write that lost a race without `If-Match` is retried.
const WRITE_ATTEMPTS: usize = 16;

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
    fn is_discovery(&self) -> bool {
        matches!(
            self,
            Self::ServiceProviderConfig | Self::ResourceTypes(_) | Self::Schemas(_)
        )
    }
}

/// Everything an endpoint needs about the request.
pub(super) struct Call<'a> {
    pub(super) inner: &'a Inner,
    pub(super) parts: &'a http::request::Parts,
    pub(super) principal: Option<Principal>,
    pub(super) info: &'a mut RequestInfo,
}

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

/// Runs a routed request; also used by `/Bulk` for its operations.
///
/// Boxed so that `/Bulk`, which dispatches its operations through here, does
/// not make the future type recursive.
pub(super) fn dispatch<'a, 'b: 'a>(
    call: &'a mut Call<'b>,
    route: Route,
    body: &'a [u8],
) -> BoxedResponse<'a> {
    Box::pin(dispatch_inner(call, route, body))
}

/// A boxed, sendable response future.
pub(super) type BoxedResponse<'a> =
    std::pin::Pin<Box<dyn Future<Output = Result<Response<Vec<u8>>, Error>> + Send + 'a>>;

async fn dispatch_inner(
    call: &mut Call<'_>,
    route: Route,
    body: &[u8],
) -> Result<Response<Vec<u8>>, Error> {
    let method = call.parts.method.clone();
    let get_only = || response::method_not_allowed(&[Method::GET], &method);
    let post_only = || response::method_not_allowed(&[Method::POST], &method);
    match route {
        Route::ServiceProviderConfig if method == Method::GET => {
            Ok(discovery::service_provider_config(call))
        }
        Route::ResourceTypes(id) if method == Method::GET => {
            discovery::resource_types(call, id.as_deref())
        }
        Route::Schemas(id) if method == Method::GET => discovery::schemas(call, id.as_deref()),
        Route::ServiceProviderConfig | Route::ResourceTypes(_) | Route::Schemas(_) => {
            Ok(get_only())
        }
        Route::Me => Err(Error::not_implemented(
            "this service does not support /Me; address users by id".to_owned(),
        )),
        Route::Bulk if method == Method::POST => bulk::handle(call, body).await,
        Route::RootSearch if method == Method::POST => root_search(call, body).await,
        Route::Search(rt) if method == Method::POST => {
            let params = Params::from_search_request(parse_body(body)?)?;
            list(call, &rt, &params).await
        }
        Route::Bulk | Route::RootSearch | Route::Search(_) => Ok(post_only()),
        Route::Collection(rt) => match method {
            Method::GET => {
                let params = Params::from_query(call.parts.uri.query())?;
                list(call, &rt, &params).await
            }
            Method::POST => create(call, &rt, body).await,
            _ => Ok(response::method_not_allowed(
                &[Method::GET, Method::POST],
                &method,
            )),
        },
        Route::Resource(rt, id) => {
            let id = ResourceId::new(id)
                .map_err(|_| Error::not_found(format!("no {} with that id", rt.name())))?;
            match method {
                Method::GET => get(call, &rt, &id).await,
                Method::PUT => replace(call, &rt, &id, body).await,
                Method::PATCH => patch(call, &rt, &id, body).await,
                Method::DELETE => delete(call, &rt, &id).await,
                _ => Ok(response::method_not_allowed(
                    &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
                    &method,
                )),
            }
        }
    }
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
fn check_content_type(parts: &http::request::Parts) -> Result<(), Error> {
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
    fn location(&self, rt: &ResourceSchema, id: &ResourceId) -> String {
        let mut url = self.base_url();
        url.push('/');
        url.push_str(rt.resource_type().endpoint_segment());
        url.push('/');
        url.extend(percent_encoding::utf8_percent_encode(id.as_str(), SEGMENT));
        url
    }

    fn context(&self) -> Context {
        Context::new(self.inner.config.policy)
    }

    fn header(&self, name: http::header::HeaderName) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// RFC 7643 §3: a resource's `schemas` lists the schemas of *its*
/// representation, so another registered resource type's core schema (a
/// Group URN on a User, or a custom type's) is `invalidValue`.
/// `prepare_create` catches the RFC's own core schemas without a registry;
/// this covers every registered type.
fn check_no_foreign_core(
    registry: &crate::schema::Registry,
    rt: &ResourceSchema,
    body: &Value,
) -> Result<(), Error> {
    let Some(obj) = body.as_object() else {
        return Ok(());
    };
    let listed = obj
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .filter_map(|(_, v)| v.as_array())
        .flatten()
        .filter_map(Value::as_str);
    for urn in listed {
        if rt.core().id.matches(urn) {
            continue;
        }
        if let Some(other) = registry
            .resource_types()
            .find(|other| other.core().id.matches(urn))
        {
            return Err(Error::invalid_value(format!(
                "\"schemas\" lists \"{urn}\", the core schema of {}; a {} has the core schema \"{}\"",
                other.name(),
                rt.name(),
                rt.core().id
            )));
        }
    }
    Ok(())
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

/// The response for one resource: `location` set, projected, with `ETag`.
fn resource_response(
    call: &Call<'_>,
    rt: &ResourceSchema,
    resource: Resource,
    status: StatusCode,
    projection: &Projection,
) -> Response<Vec<u8>> {
    let location = call.location(rt, resource.id());
    let body = Projected {
        schema: rt,
        projection,
        resource: &resource,
        location: &location,
    };
    let response = response::json(status, &body);
    let location = (status == StatusCode::CREATED).then_some(location.as_str());
    response::with_resource_headers(response, resource.version().as_str(), location)
}

async fn create(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    body: &[u8],
) -> Result<Response<Vec<u8>>, Error> {
    let projection = Params::from_query(call.parts.uri.query())?.projection(rt)?;
    let value = parse_body(body)?;
    check_no_foreign_core(&call.inner.registry, rt, &value)?;
    let mut cx = call.context();
    let prepared = prepare_create(rt, value, &mut cx);
    call.info.fired.merge(cx.fired);
    let prepared = prepared?;
    let meta = Meta::new(rt.name(), resource::now(), Version::from_revision(1));
    let resource = Resource::new(ResourceId::generate(), prepared, &meta);
    limits::check_resource(&call.inner.config, rt, resource.json())?;
    let stored = call
        .inner
        .store
        .create(call.tenant()?, rt, resource)
        .await
        .map_err(|e| store_error(e, rt))?;
    Ok(resource_response(
        call,
        rt,
        stored,
        StatusCode::CREATED,
        &projection,
    ))
}

async fn get(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
) -> Result<Response<Vec<u8>>, Error> {
    let projection = Params::from_query(call.parts.uri.query())?.projection(rt)?;
    let resource = load(call, rt, id, &projection).await?;
    if let Some(inm) = call.header(IF_NONE_MATCH) {
        if resource.version().matches_header(inm) {
            let response = response::empty(StatusCode::NOT_MODIFIED);
            return Ok(response::with_resource_headers(
                response,
                resource.version().as_str(),
                None,
            ));
        }
    }
    Ok(resource_response(
        call,
        rt,
        resource,
        StatusCode::OK,
        &projection,
    ))
}

/// Reads one resource or answers 404.
async fn load(
    call: &Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
    projection: &Projection,
) -> Result<Resource, Error> {
    call.inner
        .store
        .get(call.tenant()?, rt, id, projection)
        .await
        .map_err(|e| store_error(e, rt))?
        .ok_or_else(|| not_found(rt, id))
}

fn not_found(rt: &ResourceSchema, id: &ResourceId) -> Error {
    Error::not_found(format!("{} {id} not found", rt.name()))
}

/// Maps a store error, naming the resource type in `404`s.
fn store_error(e: StoreError, rt: &ResourceSchema) -> Error {
    match e {
        StoreError::NotFound => Error::not_found(format!("{} not found", rt.name())),
        other => Error::Store(other),
    }
}

/// Checks `If-Match` against the current version.
fn check_if_match(call: &Call<'_>, current: &Version) -> Result<(), Error> {
    match call.header(IF_MATCH) {
        Some(tags) if !current.matches_header(tags) => Err(Error::precondition_failed(format!(
            "If-Match {tags} does not match the current version {current}"
        ))),
        _ => Ok(()),
    }
}

/// Decides what to do after a write lost a compare-and-swap race.
fn retry_or_fail(
    call: &Call<'_>,
    attempt: usize,
    e: StoreError,
    rt: &ResourceSchema,
) -> Result<(), Error> {
    match e {
        StoreError::VersionMismatch if call.header(IF_MATCH).is_some() => {
            Err(Error::precondition_failed(
                "the resource changed since the version given in If-Match".to_owned(),
            ))
        }
        StoreError::VersionMismatch if attempt + 1 < WRITE_ATTEMPTS => Ok(()),
        StoreError::VersionMismatch => Err(Error::conflict(format!(
            "the {} kept changing while this request was applied; retry it",
            rt.name()
        ))),
        other => Err(store_error(other, rt)),
    }
}

async fn replace(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
    body: &[u8],
) -> Result<Response<Vec<u8>>, Error> {
    let projection = Params::from_query(call.parts.uri.query())?.projection(rt)?;
    let value = parse_body(body)?;
    check_no_foreign_core(&call.inner.registry, rt, &value)?;
    let mut attempt = 0;
    loop {
        let existing = load(call, rt, id, &Projection::all()).await?;
        check_if_match(call, existing.version())?;
        let mut cx = call.context();
        let prepared = prepare_replace(rt, value.clone(), &existing, &mut cx);
        call.info.fired.merge(cx.fired);
        let prepared = prepared?;
        let now = resource::now();
        // A store that lost `meta.created` gets it back as now, rather
        // than failing the client's replace.
        let created = existing.meta().map_or(now, |old| old.created);
        let mut meta = Meta::new(rt.name(), created, existing.version().clone());
        meta.last_modified = now;
        let resource = Resource::new(id.clone(), prepared, &meta);
        limits::check_resource(&call.inner.config, rt, resource.json())?;
        match call
            .inner
            .store
            .replace(call.tenant()?, rt, resource, existing.version())
            .await
        {
            Ok(stored) => {
                return Ok(resource_response(
                    call,
                    rt,
                    stored,
                    StatusCode::OK,
                    &projection,
                ));
            }
            Err(e) => retry_or_fail(call, attempt, e, rt)?,
        }
        attempt += 1;
    }
}

async fn patch(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
    body: &[u8],
) -> Result<Response<Vec<u8>>, Error> {
    let params = Params::from_query(call.parts.uri.query())?;
    let projection = params.projection(rt)?;
    let mut cx = call.context();
    let request = PatchRequest::parse(parse_body(body)?, &mut cx);
    call.info.fired.merge(cx.fired);
    let request = request?;
    limits::check_patch(&call.inner.config, &request)?;
    let wants_body = params.attributes.is_some() || params.excluded_attributes.is_some();
    let no_content = !wants_body
        && match call.inner.config.patch_response {
            PatchResponse::NoContent => true,
            PatchResponse::Resource => false,
            PatchResponse::NoContentForGroups => rt.core().attribute("members").is_some(),
        };

    let mut cx = call.context();
    let delta = member_delta(rt, &request, &mut cx);
    call.info.fired.merge(cx.fired);
    if let Some(delta) = delta? {
        let mut attempt = 0;
        let version = loop {
            let expected = match call.header(IF_MATCH) {
                Some(_) => {
                    let current = load(call, rt, id, &Projection::id_only()).await?;
                    check_if_match(call, current.version())?;
                    Some(current.version().clone())
                }
                None => None,
            };
            let result = call
                .inner
                .store
                .modify_members(
                    call.tenant()?,
                    rt,
                    id,
                    &delta,
                    expected.as_ref(),
                    resource::now(),
                )
                .await;
            match result {
                Ok(v) => break v,
                Err(e) => retry_or_fail(call, attempt, e, rt)?,
            }
            attempt += 1;
        };
        if no_content {
            let response = response::empty(StatusCode::NO_CONTENT);
            return Ok(response::with_resource_headers(
                response,
                version.as_str(),
                None,
            ));
        }
        let resource = load(call, rt, id, &projection).await?;
        return Ok(resource_response(
            call,
            rt,
            resource,
            StatusCode::OK,
            &projection,
        ));
    }

    limits::check_patch_filters_total(&call.inner.config, &request)?;
    let mut attempt = 0;
    loop {
        let existing = load(call, rt, id, &Projection::all()).await?;
        check_if_match(call, existing.version())?;
        let mut cx = call.context();
        let outcome = apply_cooperatively(rt, existing.json(), &request, &mut cx).await;
        call.info.fired.merge(cx.fired);
        let outcome = outcome?;
        let stored = if outcome.changed {
            let mut json = outcome.resource;
            if let Some(Value::Object(meta)) = json.get_mut("meta") {
                meta.insert(
                    "lastModified".to_owned(),
                    Value::String(resource::format_date_time(resource::now())),
                );
            }
            limits::check_resource(&call.inner.config, rt, &json)?;
            let updated = Resource::from_json(json)?;
            match call
                .inner
                .store
                .replace(call.tenant()?, rt, updated, existing.version())
                .await
            {
                Ok(stored) => stored,
                Err(e) => {
                    retry_or_fail(call, attempt, e, rt)?;
                    attempt += 1;
                    continue;
                }
            }
        } else {
            existing
        };
        if no_content {
            let response = response::empty(StatusCode::NO_CONTENT);
            return Ok(response::with_resource_headers(
                response,
                stored.version().as_str(),
                None,
            ));
        }
        return Ok(resource_response(
            call,
            rt,
            stored,
            StatusCode::OK,
            &projection,
        ));
    }
}

async fn delete(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
) -> Result<Response<Vec<u8>>, Error> {
    let expected = match call.header(IF_MATCH) {
        Some(_) => {
            let current = load(call, rt, id, &Projection::id_only()).await?;
            check_if_match(call, current.version())?;
            Some(current.version().clone())
        }
        None => None,
    };
    match call
        .inner
        .store
        .delete(call.tenant()?, rt, id, expected.as_ref())
        .await
    {
        Ok(()) => Ok(response::empty(StatusCode::NO_CONTENT)),
        Err(StoreError::NotFound) => Err(not_found(rt, id)),
        Err(StoreError::VersionMismatch) => Err(Error::precondition_failed(
            "the resource changed since the version given in If-Match".to_owned(),
        )),
        Err(e) => Err(store_error(e, rt)),
    }
}

/// `GET /{type}` and `POST /{type}/.search`.
async fn list(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    params: &Params,
) -> Result<Response<Vec<u8>>, Error> {
    let mut query = params.list_query(rt, &call.inner.config)?;
    query.bind_cursors(call.tenant()?, rt);
    let result = call
        .inner
        .store
        .query(call.tenant()?, rt, &query)
        .await
        .map_err(|e| store_error(e, rt))?;
    let start = match query.page {
        Page::Index { start_index, .. } => Some(start_index),
        Page::Cursor { .. } => None,
    };
    let locations: Vec<String> = result
        .resources
        .iter()
        .map(|r| call.location(rt, r.id()))
        .collect();
    let body = ListBody {
        schemas: [SchemaUrn::LIST_RESPONSE],
        total_results: result.total_results,
        items_per_page: result.resources.len() as u64,
        start_index: start,
        next_cursor: result.next_cursor.as_deref(),
        resources: result
            .resources
            .iter()
            .zip(&locations)
            .map(|(resource, location)| Projected {
                schema: rt,
                projection: &query.projection,
                resource,
                location,
            })
            .collect(),
    };
    Ok(response::json(StatusCode::OK, &body))
}

/// A `ListResponse` (RFC 7644 §3.4.2) of projected resources, serialized
/// without copying them; the same shape as [`ListResponse`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListBody<'a> {
    schemas: [SchemaUrn; 1],
    total_results: u64,
    items_per_page: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<&'a str>,
    #[serde(rename = "Resources")]
    resources: Vec<Projected<'a>>,
}

fn project_all(
    call: &Call<'_>,
    rt: &ResourceSchema,
    query: &ListQuery,
    result: QueryResult,
) -> Vec<Value> {
    result
        .resources
        .into_iter()
        .map(|mut r| {
            let location = call.location(rt, r.id());
            r.set_location(&location);
            let mut json = r.into_json();
            query.projection.apply(rt, &mut json);
            Value::Object(json)
        })
        .collect()
}

/// `POST /.search`: every resource type, in registry order.
async fn root_search(call: &mut Call<'_>, body: &[u8]) -> Result<Response<Vec<u8>>, Error> {
    let params = Params::from_search_request(parse_body(body)?)?;
    if params.cursor.is_some() {
        return Err(Error::invalid_value(
            "cursor paging is not available across resource types; search one type".to_owned(),
        ));
    }
    if params.sort_by.is_some() {
        return Err(Error::invalid_value(
            "sortBy is not available across resource types; search one type".to_owned(),
        ));
    }
    let types: Vec<Arc<ResourceSchema>> = call.inner.registry.resource_types().cloned().collect();
    // First the totals, then the slice of the combined sequence.
    let mut totals = Vec::with_capacity(types.len());
    let mut page = None;
    for rt in &types {
        let mut q = params.list_query(rt, &call.inner.config)?;
        page.get_or_insert_with(|| q.page.clone());
        q.page = Page::Index {
            start_index: 1,
            count: 0,
        };
        q.projection = Projection::id_only();
        let r = call
            .inner
            .store
            .query(call.tenant()?, rt, &q)
            .await
            .map_err(|e| store_error(e, rt))?;
        totals.push(r.total_results);
    }
    let (start_index, count) = match page {
        Some(Page::Index { start_index, count }) => (start_index, count),
        _ => (1, call.inner.config.default_page_size),
    };
    let total: u64 = totals.iter().sum();
    let mut skip = start_index - 1;
    let mut remaining = count;
    let mut resources = Vec::new();
    for (rt, type_total) in types.iter().zip(&totals) {
        if remaining == 0 {
            break;
        }
        if skip >= *type_total {
            skip -= type_total;
            continue;
        }
        let mut q = params.list_query(rt, &call.inner.config)?;
        q.page = Page::Index {
            start_index: skip + 1,
            count: remaining,
        };
        skip = 0;
        let r = call
            .inner
            .store
            .query(call.tenant()?, rt, &q)
            .await
            .map_err(|e| store_error(e, rt))?;
        remaining = remaining.saturating_sub(r.resources.len() as u64);
        resources.extend(project_all(call, rt, &q, r));
    }
    Ok(response::json(
        StatusCode::OK,
        &ListResponse::new(total, Some(start_index), resources),
    ))
}
