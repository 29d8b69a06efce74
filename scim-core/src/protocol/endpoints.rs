//! The resource endpoints of a direct request (RFC 7644 §3.3, §3.4.1,
//! §3.5, §3.6): each reads the query, the body and the precondition
//! headers, runs the typed operation of `operations.rs`, and renders what
//! it returns.

use http::header::{IF_MATCH, IF_NONE_MATCH};
use http::{Response, StatusCode};

use super::call::Call;
use super::json::parse_body;
use super::operations::{self, PatchAnswer, Patched, Target};
use super::query::Params;
use super::response;
use crate::Error;
use crate::id::ResourceId;
use crate::project::{Projected, Projection};
use crate::resource::Resource;
use crate::schema::ResourceSchema;

pub(super) async fn create(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    body: &[u8],
) -> Result<Response<Vec<u8>>, Error> {
    let projection = Params::from_query(call.parts.uri.query())?.projection(rt)?;
    let value = parse_body(body)?;
    let stored = operations::create(call, rt, value).await?;
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
    let resource = operations::load(call, rt, id, &projection).await?;
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
    let target = target(call, rt, id);
    let stored = operations::replace(call, &target, value, &projection).await?;
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
    let value = parse_body(body)?;
    let answer = PatchAnswer::new(&call.inner.config, rt, &params, &projection);
    let target = target(call, rt, id);
    match operations::patch(call, &target, value, answer).await? {
        Patched::NoContent(version) => Ok(response::with_resource_headers(
            response::empty(StatusCode::NO_CONTENT),
            version.as_str(),
            None,
        )),
        Patched::Resource(resource) => Ok(resource_response(
            call,
            rt,
            resource,
            StatusCode::OK,
            &projection,
        )),
    }
}

pub(super) async fn delete(
    call: &mut Call<'_>,
    rt: &ResourceSchema,
    id: &ResourceId,
) -> Result<Response<Vec<u8>>, Error> {
    let target = target(call, rt, id);
    operations::delete(call, &target).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}

/// The resource a request addresses, with its `If-Match`.
fn target<'a>(call: &Call<'a>, rt: &'a ResourceSchema, id: &'a ResourceId) -> Target<'a> {
    Target {
        rt,
        id,
        if_match: call.header(IF_MATCH),
    }
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
