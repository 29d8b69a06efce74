//! Discovery documents (RFC 7644 §4, RFC 7643 §5–§7), generated from the
//! registry and the configuration, so they always say what the service
//! really does.

use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::call::Call;
use super::query::Params;
use super::response;
use crate::Error;
use crate::list::ListResponse;
use crate::schema::{ResourceSchema, Schema, SchemaUrn};

/// `GET /ServiceProviderConfig`.
pub(super) fn service_provider_config(call: &Call<'_>) -> Response<Vec<u8>> {
    let config = &call.inner.config;
    let base = call.base_url();
    let mut doc = json!({
        "schemas": [SchemaUrn::SERVICE_PROVIDER_CONFIG],
        "patch": {"supported": true},
        "bulk": {
            "supported": config.bulk_max_operations > 0,
            "maxOperations": config.bulk_max_operations,
            "maxPayloadSize": config.max_payload_size,
        },
        "filter": {"supported": true, "maxResults": config.max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        // RFC 9865 §3.
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": config.default_page_size,
            "maxPageSize": config.max_results,
        },
        "authenticationSchemes": call.inner.auth.schemes(),
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    });
    if let (Some(uri), Value::Object(obj)) = (&config.documentation_uri, &mut doc) {
        obj.insert("documentationUri".to_owned(), Value::String(uri.clone()));
    }
    response::json(StatusCode::OK, &doc)
}

/// RFC 7644 §4: "If a "filter" is provided, the service provider SHOULD
/// respond with HTTP status code 403 (Forbidden)".
fn refuse_filter(call: &Call<'_>) -> Result<(), Error> {
    if Params::from_query(call.parts.uri.query())?.filter.is_some() {
        return Err(Error::forbidden(
            "discovery endpoints do not support filtering".to_owned(),
        ));
    }
    Ok(())
}

fn resource_type_doc(rt: &ResourceSchema, base: &str) -> Value {
    let t = rt.resource_type();
    json!({
        "schemas": [SchemaUrn::RESOURCE_TYPE],
        "id": t.name,
        "name": t.name,
        "endpoint": t.endpoint,
        "description": t.description,
        "schema": t.schema,
        "schemaExtensions": t.schema_extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/{}", t.name),
        },
    })
}

/// `GET /ResourceTypes` and `GET /ResourceTypes/{name}`.
pub(super) fn resource_types(
    call: &Call<'_>,
    id: Option<&str>,
) -> Result<Response<Vec<u8>>, Error> {
    refuse_filter(call)?;
    let base = call.base_url();
    let registry = &call.inner.registry;
    match id {
        Some(id) => {
            let rt = registry
                .resource_type(id)
                .ok_or_else(|| Error::not_found(format!("no resource type {id:?}")))?;
            Ok(response::json(
                StatusCode::OK,
                &resource_type_doc(rt, &base),
            ))
        }
        None => {
            let docs: Vec<Value> = registry
                .resource_types()
                .map(|rt| resource_type_doc(rt, &base))
                .collect();
            let total = docs.len() as u64;
            Ok(response::json(
                StatusCode::OK,
                &ListResponse::new(total, Some(1), docs),
            ))
        }
    }
}

fn schema_doc(schema: &Schema, base: &str) -> Value {
    json!({
        "schemas": [SchemaUrn::SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{}", schema.id),
        },
    })
}

/// The schemas the resource types use: core schemas and extensions, each
/// once, in registry order.
fn served_schemas<'a>(call: &'a Call<'_>) -> Vec<&'a Schema> {
    let mut out: Vec<&Schema> = Vec::new();
    for rt in call.inner.registry.resource_types() {
        for schema in std::iter::once(rt.core()).chain(rt.extensions().map(|(s, _)| s)) {
            if !out.iter().any(|s| s.id == schema.id) {
                if let Some(s) = call.inner.registry.schema(schema.id.as_str()) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// `GET /Schemas` and `GET /Schemas/{urn}`.
pub(super) fn schemas(call: &Call<'_>, id: Option<&str>) -> Result<Response<Vec<u8>>, Error> {
    refuse_filter(call)?;
    let base = call.base_url();
    let served = served_schemas(call);
    match id {
        Some(id) => {
            let schema = served
                .into_iter()
                .find(|s| s.id.matches(id))
                .ok_or_else(|| Error::not_found(format!("no schema {id:?}")))?;
            Ok(response::json(StatusCode::OK, &schema_doc(schema, &base)))
        }
        None => {
            let docs: Vec<Value> = served.into_iter().map(|s| schema_doc(s, &base)).collect();
            let total = docs.len() as u64;
            Ok(response::json(
                StatusCode::OK,
                &ListResponse::new(total, Some(1), docs),
            ))
        }
    }
}
