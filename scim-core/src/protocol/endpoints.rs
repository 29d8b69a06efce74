//! The resource endpoints (RFC 7644 §3.3, §3.4.1, §3.5, §3.6), and the
//! compare-and-swap loop their writes share.

use http::header::{IF_MATCH, IF_NONE_MATCH};
use http::{Response, StatusCode};
use serde_json::Value;

use super::PatchResponse;
use super::call::Call;
use super::json::parse_body;
use super::limits;
use super::query::Params;
use super::response;
use crate::Error;
use crate::id::{ResourceId, Version};
use crate::patch::{PatchRequest, apply_cooperatively, member_delta};
use crate::project::{Projected, Projection};
use crate::resource::{self, Meta, Resource, prepare_create, prepare_replace};
use crate::schema::ResourceSchema;
use crate::store::{MemberDelta, StoreError};

/// How often a write that lost a race without `If-Match` is retried.
const WRITE_ATTEMPTS: usize = 16;

pub(super) async fn create(
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

pub(super) async fn get(
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

pub(super) async fn replace(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
    body: &[u8],
) -> Result<Response<Vec<u8>>, Error> {
    let projection = Params::from_query(call.parts.uri.query())?.projection(rt)?;
    let value = parse_body(body)?;
    check_no_foreign_core(&call.inner.registry, rt, &value)?;
    let written = write_with_retries(call, rt, id, &Write::Replace(&value)).await?;
    let stored = written.into_resource(call, rt, id, &projection).await?;
    Ok(resource_response(
        call,
        rt,
        stored,
        StatusCode::OK,
        &projection,
    ))
}

pub(super) async fn patch(
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
    let delta = delta?;
    let write = match &delta {
        Some(delta) => Write::Members(delta),
        None => {
            limits::check_patch_filters_total(&call.inner.config, &request)?;
            Write::Patch(&request)
        }
    };
    let written = write_with_retries(call, rt, id, &write).await?;
    if no_content {
        let response = response::empty(StatusCode::NO_CONTENT);
        return Ok(response::with_resource_headers(
            response,
            written.version().as_str(),
            None,
        ));
    }
    let resource = written.into_resource(call, rt, id, &projection).await?;
    Ok(resource_response(
        call,
        rt,
        resource,
        StatusCode::OK,
        &projection,
    ))
}

pub(super) async fn delete(
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

/// A write by compare-and-swap: what each attempt reads, changes and
/// writes.
enum Write<'a> {
    /// `PUT`: the new representation replaces the stored one.
    Replace(&'a Value),
    /// A `PATCH` that only adds or removes members, by id.
    Members(&'a MemberDelta),
    /// Any other `PATCH`, applied to the stored resource.
    Patch(&'a PatchRequest),
}

/// What a [`Write`] left in the store.
enum Written {
    /// The resource as stored.
    Resource(Resource),
    /// Only the new version: a members write returns no resource.
    Version(Version),
}

impl Written {
    fn version(&self) -> &Version {
        match self {
            Self::Resource(resource) => resource.version(),
            Self::Version(version) => version,
        }
    }

    /// The resource, read back with `projection` if the write did not
    /// return it.
    async fn into_resource(
        self,
        call: &Call<'_>,
        rt: &ResourceSchema,
        id: &ResourceId,
        projection: &Projection,
    ) -> Result<Resource, Error> {
        match self {
            Self::Resource(resource) => Ok(resource),
            Self::Version(_) => load(call, rt, id, projection).await,
        }
    }
}

/// The compare-and-swap write loop: each attempt reads the resource,
/// applies the change, and writes it expecting the version it read (or
/// answers without writing). A write that lost the race is tried again,
/// up to [`WRITE_ATTEMPTS`] times, unless `If-Match` named the version.
async fn write_with_retries(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
    write: &Write<'_>,
) -> Result<Written, Error> {
    let mut attempt = 0;
    loop {
        match write_once(call, rt, id, write).await? {
            Ok(written) => return Ok(written),
            Err(e) => retry_or_fail(call, attempt, e, rt)?,
        }
        attempt += 1;
    }
}

/// One attempt of [`write_with_retries`]: `Err` for a request that cannot
/// succeed, `Ok(Err)` for a write the store refused.
async fn write_once(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
    write: &Write<'_>,
) -> Result<Result<Written, StoreError>, Error> {
    let updated = match write {
        Write::Members(delta) => {
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
                    delta,
                    expected.as_ref(),
                    resource::now(),
                )
                .await;
            return Ok(result.map(Written::Version));
        }
        Write::Replace(value) => {
            let existing = load(call, rt, id, &Projection::all()).await?;
            check_if_match(call, existing.version())?;
            let mut cx = call.context();
            let prepared = prepare_replace(rt, (*value).clone(), &existing, &mut cx);
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
            (existing, resource)
        }
        Write::Patch(request) => {
            let existing = load(call, rt, id, &Projection::all()).await?;
            check_if_match(call, existing.version())?;
            let mut cx = call.context();
            let outcome = apply_cooperatively(rt, existing.json(), request, &mut cx).await;
            call.info.fired.merge(cx.fired);
            let outcome = outcome?;
            if !outcome.changed {
                return Ok(Ok(Written::Resource(existing)));
            }
            let mut json = outcome.resource;
            if let Some(Value::Object(meta)) = json.get_mut("meta") {
                meta.insert(
                    "lastModified".to_owned(),
                    Value::String(resource::format_date_time(resource::now())),
                );
            }
            limits::check_resource(&call.inner.config, rt, &json)?;
            (existing, Resource::from_json(json)?)
        }
    };
    let (existing, resource) = updated;
    Ok(call
        .inner
        .store
        .replace(call.tenant()?, rt, resource, existing.version())
        .await
        .map(Written::Resource))
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
pub(super) fn store_error(e: StoreError, rt: &ResourceSchema) -> Error {
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
