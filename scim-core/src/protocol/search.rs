//! Listing one resource type (RFC 7644 §3.4.2) and searching them all
//! (`POST /.search`, §3.4.3).

use std::sync::Arc;

use http::{Response, StatusCode};
use serde_json::Value;

use super::call::Call;
use super::operations::store_error;
use super::query::Params;
use super::response;
use crate::Error;
use crate::list::{ListBody, ListQuery, ListResponse, Page, QueryResult};
use crate::project::{Projected, Projection};
use crate::schema::{ResourceSchema, SchemaUrn};

/// `GET /{type}` and `POST /{type}/.search`.
pub(super) async fn list(
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
    let resources: Vec<Projected<'_>> = result
        .resources
        .iter()
        .zip(&locations)
        .map(|(resource, location)| Projected {
            schema: rt,
            projection: &query.projection,
            resource,
            location,
        })
        .collect();
    let body = ListBody {
        schemas: &[SchemaUrn::LIST_RESPONSE],
        total_results: result.total_results,
        items_per_page: result.resources.len() as u64,
        start_index: start,
        next_cursor: result.next_cursor.as_deref(),
        resources: &resources,
    };
    Ok(response::json(StatusCode::OK, &body))
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
pub(super) async fn root_search(
    call: &mut Call<'_>,
    body: Value,
) -> Result<Response<Vec<u8>>, Error> {
    let params = Params::from_search_request(body)?;
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
