//! The resource operations (RFC 7644 §3.3, §3.5.1, §3.5.2, §3.6) on typed
//! input, and the compare-and-swap loop their writes share: what a direct
//! request's endpoint and a `/Bulk` operation both run. Nothing here reads
//! a request or builds a response; the caller parses the body and the
//! query, and renders what comes back.

use serde_json::Value;

use super::call::Call;
use super::limits;
use super::query::Params;
use super::{PatchResponse, ServiceConfig};
use crate::Error;
use crate::id::{ResourceId, Version};
use crate::patch::{PatchRequest, apply_cooperatively, member_delta};
use crate::project::Projection;
use crate::resource::{self, Meta, Resource, prepare_create, prepare_replace};
use crate::schema::{Registry, ResourceSchema};
use crate::store::{MemberDelta, StoreError};

/// How often a write that lost a race without `If-Match` is tried at
/// most. Each of n writes racing on one resource can lose to each of the
/// others once, so this is more than the concurrent writes one resource
/// sees (Entra ID sends a few); [`write_with_retries`] also backs off.
const WRITE_ATTEMPTS: usize = 32;

/// The existing resource an operation addresses.
pub(super) struct Target<'a> {
    pub(super) rt: &'a ResourceSchema,
    pub(super) id: &'a ResourceId,
    /// The `If-Match` value the client sent (a bulk operation's
    /// `version`), if any.
    pub(super) if_match: Option<&'a str>,
}

/// How a successful PATCH is answered (see [`PatchResponse`]).
#[derive(Clone, Copy)]
pub(super) enum PatchAnswer<'a> {
    /// `204`: only the new version.
    NoContent,
    /// `200` with the resource, read with this projection.
    Resource(&'a Projection),
}

impl<'a> PatchAnswer<'a> {
    /// The answer `config` asks for, unless the query names attributes to
    /// return (then the resource, projected).
    pub(super) fn new(
        config: &ServiceConfig,
        rt: &ResourceSchema,
        params: &Params,
        projection: &'a Projection,
    ) -> Self {
        let wants_body = params.attributes.is_some() || params.excluded_attributes.is_some();
        let no_content = !wants_body
            && match config.patch_response {
                PatchResponse::NoContent => true,
                PatchResponse::Resource => false,
                PatchResponse::NoContentForGroups => rt.membership().is_some(),
            };
        if no_content {
            Self::NoContent
        } else {
            Self::Resource(projection)
        }
    }
}

/// What a successful PATCH left.
pub(super) enum Patched {
    /// The resource's new version, for [`PatchAnswer::NoContent`].
    NoContent(Version),
    /// The resource as stored, for [`PatchAnswer::Resource`].
    Resource(Resource),
}

/// Creates a resource of type `rt` from the client's representation
/// (RFC 7644 §3.3).
pub(super) async fn create(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    value: Value,
) -> Result<Resource, Error> {
    check_no_foreign_core(&call.inner.registry, rt, &value)?;
    let mut cx = call.context();
    let prepared = prepare_create(rt, value, &mut cx);
    call.info.fired.merge(cx.fired);
    let prepared = prepared?;
    let meta = Meta::new(rt.name(), resource::now(), Version::from_revision(1));
    let resource = Resource::new(ResourceId::generate(), prepared, &meta);
    limits::check_resource(&call.inner.config, rt, resource.json())?;
    call.inner
        .store
        .create(call.tenant()?, rt, resource)
        .await
        .map_err(|e| store_error(e, rt))
}

/// Replaces a resource with the client's representation (RFC 7644
/// §3.5.1), and returns it as stored.
pub(super) async fn replace(
    call: &mut Call<'_>,
    target: &Target<'_>,
    value: Value,
    projection: &Projection,
) -> Result<Resource, Error> {
    check_no_foreign_core(&call.inner.registry, target.rt, &value)?;
    let written = write_with_retries(call, target, &Write::Replace(&value)).await?;
    written.into_resource(call, target, projection).await
}

/// Applies a `PatchOp` body to a resource (RFC 7644 §3.5.2).
pub(super) async fn patch(
    call: &mut Call<'_>,
    target: &Target<'_>,
    value: Value,
    answer: PatchAnswer<'_>,
) -> Result<Patched, Error> {
    let rt = target.rt;
    let mut cx = call.context();
    let request = PatchRequest::parse(value, &mut cx);
    call.info.fired.merge(cx.fired);
    let request = request?;
    limits::check_patch(&call.inner.config, rt, &request)?;
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
    let written = write_with_retries(call, target, &write).await?;
    match answer {
        PatchAnswer::NoContent => Ok(Patched::NoContent(written.version().clone())),
        PatchAnswer::Resource(projection) => Ok(Patched::Resource(
            written.into_resource(call, target, projection).await?,
        )),
    }
}

/// Deletes a resource (RFC 7644 §3.6).
pub(super) async fn delete(call: &mut Call<'_>, target: &Target<'_>) -> Result<(), Error> {
    let (rt, id) = (target.rt, target.id);
    let expected = match target.if_match {
        Some(_) => {
            let current = load(call, rt, id, &Projection::id_only()).await?;
            check_if_match(target, current.version())?;
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
        Ok(()) => Ok(()),
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
        target: &Target<'_>,
        projection: &Projection,
    ) -> Result<Resource, Error> {
        match self {
            Self::Resource(resource) => Ok(resource),
            Self::Version(_) => load(call, target.rt, target.id, projection).await,
        }
    }
}

/// The compare-and-swap write loop: each attempt reads the resource,
/// applies the change, and writes it expecting the version it read (or
/// answers without writing). A write that lost the race is tried again,
/// up to [`WRITE_ATTEMPTS`] times, unless `If-Match` named the version.
/// After each lost race it yields to the executor once more than the last
/// time, so that the writes it raced with (which read before it) can
/// finish instead of all of them reading and losing again together.
async fn write_with_retries(
    call: &mut Call<'_>,
    target: &Target<'_>,
    write: &Write<'_>,
) -> Result<Written, Error> {
    let mut attempt = 0;
    loop {
        match write_once(call, target, write).await? {
            Ok(written) => return Ok(written),
            Err(e) => retry_or_fail(target, attempt, e)?,
        }
        attempt += 1;
        for _ in 0..attempt {
            crate::coop::yield_now().await;
        }
    }
}

/// One attempt of [`write_with_retries`]: `Err` for a request that cannot
/// succeed, `Ok(Err)` for a write the store refused.
async fn write_once(
    call: &mut Call<'_>,
    target: &Target<'_>,
    write: &Write<'_>,
) -> Result<Result<Written, StoreError>, Error> {
    let (rt, id) = (target.rt, target.id);
    let updated = match write {
        Write::Members(delta) => {
            let expected = match target.if_match {
                Some(_) => {
                    let current = load(call, rt, id, &Projection::id_only()).await?;
                    check_if_match(target, current.version())?;
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
            check_if_match(target, existing.version())?;
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
            check_if_match(target, existing.version())?;
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
fn retry_or_fail(target: &Target<'_>, attempt: usize, e: StoreError) -> Result<(), Error> {
    let rt = target.rt;
    match e {
        StoreError::VersionMismatch if target.if_match.is_some() => {
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
pub(super) async fn load(
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
fn check_if_match(target: &Target<'_>, current: &Version) -> Result<(), Error> {
    match target.if_match {
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
    registry: &Registry,
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
