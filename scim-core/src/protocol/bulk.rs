//! `POST /Bulk` (RFC 7644 §3.7): several operations in one request, with
//! `bulkId` references between them, `failOnErrors`, and the advertised
//! `maxOperations` and `maxPayloadSize` enforced.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::sync::Arc;

use http::{HeaderValue, Method, Response, StatusCode, Uri};
use serde_json::{Map, Value, json};

use super::call::{Call, location_under};
use super::json::parse_body;
use super::operations::{self, PatchAnswer, Patched, Target};
use super::query::Params;
use super::response::{self, ErrorInfo, RequestInfo};
use super::route::{Endpoint, Route, route};
use super::search;
use crate::Error;
use crate::error::{ErrorResponse, Payload, Refusal};
use crate::id::Version;
use crate::resource::Resource;
use crate::schema::{ResourceSchema, SchemaUrn};

const BULK_ID_PREFIX: &str = "bulkId:";

/// One operation of the request.
struct Operation {
    method: Method,
    bulk_id: Option<String>,
    version: Option<String>,
    path: String,
    data: Option<Value>,
}

/// Runs a bulk request, each operation through the same endpoint table and
/// operations as a request of its own.
pub(super) async fn handle(call: &mut Call<'_>, body: &[u8]) -> Result<Response<Vec<u8>>, Error> {
    let max_operations = call.inner.config.bulk_max_operations;
    if max_operations == 0 {
        return Err(Error::not_implemented(
            "this service does not support /Bulk".to_owned(),
        ));
    }
    let Value::Object(body) = parse_body(body)? else {
        return Err(Error::invalid_syntax(
            "a bulk request must be a JSON object".to_owned(),
        ));
    };
    let mut schemas_ok = false;
    let mut fail_on_errors = None;
    let mut raw_ops = None;
    for (key, value) in body {
        match key.to_ascii_lowercase().as_str() {
            "schemas" => {
                schemas_ok = value.as_array().is_some_and(|a| {
                    a.iter().any(|s| {
                        s.as_str()
                            .is_some_and(|s| SchemaUrn::BULK_REQUEST.matches(s))
                    })
                });
            }
            "failonerrors" => {
                fail_on_errors = match value {
                    Value::Null => None,
                    Value::Number(n) => match n.as_u64() {
                        Some(n) if n >= 1 => Some(n),
                        _ => {
                            return Err(Error::invalid_value(
                                "\"failOnErrors\" must be an integer of at least 1".to_owned(),
                            ));
                        }
                    },
                    _ => {
                        return Err(Error::invalid_value(
                            "\"failOnErrors\" must be an integer of at least 1".to_owned(),
                        ));
                    }
                };
            }
            "operations" => raw_ops = Some(value),
            _ => {}
        }
    }
    if !schemas_ok {
        return Err(Error::invalid_syntax(format!(
            "a bulk request must list \"{}\" in \"schemas\"",
            SchemaUrn::BULK_REQUEST
        )));
    }
    let Some(Value::Array(raw_ops)) = raw_ops else {
        return Err(Error::invalid_syntax(
            "a bulk request needs an \"Operations\" array".to_owned(),
        ));
    };
    if raw_ops.len() > max_operations {
        return Err(Refusal::payload_too_large(
            Payload::BulkOperations {
                count: raw_ops.len() as u64,
            },
            max_operations as u64,
        )
        .into());
    }
    let ops = raw_ops
        .into_iter()
        .enumerate()
        .map(|(i, raw)| parse_operation(i, raw))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = BTreeSet::new();
    for op in &ops {
        if let Some(id) = &op.bulk_id {
            if !seen.insert(id.clone()) {
                return Err(Error::invalid_value(format!("bulkId {id:?} is used twice")));
            }
        }
    }

    let plan = Plan::new(&ops);
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut resolved: BTreeMap<String, String> = BTreeMap::new();
    let mut failed_ids: BTreeSet<&str> = BTreeSet::new();
    let mut errors = 0u64;
    let mut executed = 0;
    // Operations run in order; one that refers to a bulkId not created yet
    // waits until the operation defining it has run, so forward references
    // resolve too. Later operations on what a waiting one touches wait
    // with it, so that the outcome is the one of processing in order (RFC
    // 7644 §3.7). The waits form a graph built once: each operation and
    // each reference costs a constant number of steps (with a log factor),
    // not one pass over all operations per resolved reference.
    let mut pending = plan.pending.clone();
    let mut ready: BinaryHeap<Reverse<usize>> = (0..ops.len())
        .filter(|&i| pending[i] == 0)
        .map(Reverse)
        .collect();
    while let Some(Reverse(i)) = ready.pop() {
        if fail_on_errors.is_some_and(|max| errors >= max) {
            break;
        }
        let op = &ops[i];
        if let Some(bad) = plan.refs[i]
            .iter()
            .find(|r| failed_ids.contains(r.as_str()))
        {
            let error =
                Error::invalid_value(format!("bulkId {bad:?} refers to an operation that failed"));
            results[i] = Some(failure(op, &error, target_location(call, op, &resolved)));
            errors += 1;
        } else {
            let outcome = run_operation(call, op, &resolved).await;
            executed += 1;
            let failed = match outcome {
                Ok(done) => {
                    results[i] = Some(done.result(call, op, &resolved));
                    if let (Some(bulk_id), Some(id)) = (&op.bulk_id, done.created_id()) {
                        resolved.insert(bulk_id.clone(), id.to_owned());
                    }
                    false
                }
                Err(e) => {
                    note_server_error(&mut *call.info, &e);
                    results[i] = Some(failure(op, &e, target_location(call, op, &resolved)));
                    true
                }
            };
            if failed {
                errors += 1;
                if let Some(bulk_id) = &op.bulk_id {
                    failed_ids.insert(bulk_id);
                }
            }
        }
        // Each operation is a whole request's work; let other tasks run.
        crate::coop::yield_now().await;
        for &next in &plan.dependents[i] {
            pending[next] -= 1;
            if pending[next] == 0 {
                ready.push(Reverse(next));
            }
        }
    }
    call.info.operations = executed;
    let stopped = fail_on_errors.is_some_and(|max| errors >= max);
    let mut out = Vec::with_capacity(ops.len());
    for (i, (op, result)) in ops.iter().zip(results).enumerate() {
        match result {
            Some(r) => out.push(r),
            None if stopped => {}
            None => {
                let refs = &plan.refs[i];
                // RFC 7644 §3.7.1 lets a service refuse circular references
                // with 409 after trying; an unknown bulkId is the client's
                // mistake.
                let error = match refs.iter().find(|r| !plan.defined.contains_key(r.as_str())) {
                    Some(unknown) => Error::invalid_value(format!(
                        "bulkId {unknown:?} is not defined by any operation of this request"
                    )),
                    None if refs.is_empty() => Error::conflict(
                        "an earlier operation on the same resource could not run, so this one did not either".to_owned(),
                    ),
                    None => Error::conflict(format!(
                        "the bulkIds {} refer to each other in a cycle; create the resources first, then link them",
                        refs.join(", ")
                    )),
                };
                out.push(failure(op, &error, target_location(call, op, &resolved)));
            }
        }
    }
    Ok(response::json(
        StatusCode::OK,
        &json!({"schemas": [SchemaUrn::BULK_RESPONSE], "Operations": out}),
    ))
}

/// The order operations must run in: which operation waits for which.
struct Plan<'a> {
    /// The bulkIds each operation refers to.
    refs: Vec<Vec<String>>,
    /// The operation defining each bulkId.
    defined: BTreeMap<&'a str, usize>,
    /// How many operations each one waits for; one that refers to itself
    /// or to an undefined bulkId waits forever.
    pending: Vec<usize>,
    /// The operations waiting for each one.
    dependents: Vec<Vec<usize>>,
}

impl<'a> Plan<'a> {
    fn new(ops: &'a [Operation]) -> Self {
        let defined: BTreeMap<&str, usize> = ops
            .iter()
            .enumerate()
            .filter_map(|(i, op)| Some((op.bulk_id.as_deref()?, i)))
            .collect();
        let refs: Vec<Vec<String>> = ops.iter().map(references).collect();
        let mut pending = vec![0; ops.len()];
        let mut dependents = vec![Vec::new(); ops.len()];
        // Per resource: the last operation that changed it, and the ones
        // that referred to it since. A reference waits for the last change
        // before it; a change waits for those and for the references
        // before it. References alone do not order each other.
        let mut blocked = Vec::new();
        let mut last_write: BTreeMap<String, usize> = BTreeMap::new();
        let mut readers: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut wait = |i: usize, j: usize| {
            // An operation may name one resource twice (a bulkId in its
            // path and its data); it does not wait for itself.
            if i != j {
                pending[j] += 1;
                dependents[i].push(j);
            }
        };
        for (j, op) in ops.iter().enumerate() {
            for r in &refs[j] {
                match defined.get(r.as_str()) {
                    Some(&i) if i != j => wait(i, j),
                    // Never released: reported as a cycle or an unknown
                    // bulkId at the end.
                    _ => blocked.push(j),
                }
                let key = format!("{BULK_ID_PREFIX}{r}");
                if let Some(&i) = last_write.get(&key) {
                    wait(i, j);
                }
                readers.entry(key).or_default().push(j);
            }
            if let Some(key) = target(op) {
                if let Some(&i) = last_write.get(&key) {
                    wait(i, j);
                }
                for i in readers.remove(&key).unwrap_or_default() {
                    wait(i, j);
                }
                last_write.insert(key, j);
            }
        }
        for j in blocked {
            pending[j] += 1;
        }
        Self {
            refs,
            defined,
            pending,
            dependents,
        }
    }
}

fn parse_operation(index: usize, raw: Value) -> Result<Operation, Error> {
    let Value::Object(raw) = raw else {
        return Err(Error::invalid_syntax(format!(
            "bulk operation {index} must be an object"
        )));
    };
    let mut method = None;
    let mut bulk_id = None;
    let mut version = None;
    let mut path = None;
    let mut data = None;
    for (key, value) in raw {
        match key.to_ascii_lowercase().as_str() {
            "method" => method = value.as_str().map(str::to_ascii_uppercase),
            "bulkid" => bulk_id = value.as_str().map(str::to_owned),
            "version" => version = value.as_str().map(str::to_owned),
            "path" => path = value.as_str().map(str::to_owned),
            "data" => data = Some(value),
            _ => {}
        }
    }
    let method = match method.as_deref() {
        Some("POST") => Method::POST,
        Some("PUT") => Method::PUT,
        Some("PATCH") => Method::PATCH,
        Some("DELETE") => Method::DELETE,
        other => {
            return Err(Error::invalid_value(format!(
                "bulk operation {index} has method {other:?}; use POST, PUT, PATCH or DELETE"
            )));
        }
    };
    let Some(path) = path.filter(|p| p.starts_with('/')) else {
        return Err(Error::invalid_value(format!(
            "bulk operation {index} needs a \"path\" such as \"/Users\""
        )));
    };
    if method == Method::POST && bulk_id.is_none() {
        return Err(Error::invalid_value(format!(
            "bulk operation {index} is a POST and needs a \"bulkId\""
        )));
    }
    if method != Method::DELETE && data.is_none() {
        return Err(Error::invalid_value(format!(
            "bulk operation {index} needs \"data\""
        )));
    }
    Ok(Operation {
        method,
        bulk_id,
        version,
        path,
        data,
    })
}

/// The resource an operation changes, for ordering: none for a POST
/// (it creates a new one), else its path, or `bulkId:…` for a path naming
/// one.
fn target(op: &Operation) -> Option<String> {
    if op.method == Method::POST {
        return None;
    }
    Some(
        op.path
            .split('/')
            .find(|s| s.starts_with(BULK_ID_PREFIX))
            .map_or_else(|| op.path.clone(), str::to_owned),
    )
}

/// The bulkIds an operation refers to, in its path and its data.
fn references(op: &Operation) -> Vec<String> {
    let mut out = Vec::new();
    for segment in op.path.split('/') {
        if let Some(id) = segment.strip_prefix(BULK_ID_PREFIX) {
            out.push(id.to_owned());
        }
    }
    if let Some(data) = &op.data {
        collect_references(data, &mut out);
    }
    out
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                out.push(id.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        Value::Object(obj) => obj.values().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

fn substitute(value: &mut Value, resolved: &BTreeMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s
                .strip_prefix(BULK_ID_PREFIX)
                .and_then(|id| resolved.get(id))
            {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, resolved)),
        Value::Object(obj) => obj.values_mut().for_each(|v| substitute(v, resolved)),
        _ => {}
    }
}

/// What a successful operation did.
enum Done {
    /// A resource was created (`201`) or written and returned (`200`).
    Resource(StatusCode, Arc<ResourceSchema>, Resource),
    /// A PATCH answered `204`, with the resource's new version.
    Patched(Version),
    /// No resource to report: `204` for a DELETE, `200` for a search.
    Status(StatusCode),
}

impl Done {
    /// The id of the resource an operation created, which its `bulkId`
    /// stands for in later operations.
    fn created_id(&self) -> Option<&str> {
        match self {
            Self::Resource(StatusCode::CREATED, _, resource) => Some(resource.id().as_str()),
            _ => None,
        }
    }

    /// The operation's result (RFC 7644 §3.7.3), with what the response to
    /// the same request on its own would carry: `location` from its
    /// `Location` header or its resource's `meta.location`, else the URL
    /// the operation addressed; `version` from its `ETag`.
    fn result(
        &self,
        call: &Call<'_>,
        op: &Operation,
        resolved: &BTreeMap<String, String>,
    ) -> Value {
        let (status, location, version) = match self {
            Self::Resource(status, rt, resource) => {
                let url = location_under(call.operation_base_url(), rt, resource.id());
                // A `201` names it in `Location`, and every resource's
                // body in `meta.location` (unless `meta` is not an object).
                let named = (*status == StatusCode::CREATED && is_header_text(&url))
                    || matches!(resource.json().get("meta"), Some(Value::Object(_)));
                let location = if named {
                    Some(url)
                } else {
                    target_location(call, op, resolved)
                };
                (*status, location, Some(resource.version()))
            }
            Self::Patched(version) => (
                StatusCode::NO_CONTENT,
                target_location(call, op, resolved),
                Some(version),
            ),
            Self::Status(status) => (*status, target_location(call, op, resolved), None),
        };
        let mut result = Map::new();
        result.insert("method".to_owned(), Value::String(op.method.to_string()));
        if let Some(id) = &op.bulk_id {
            result.insert("bulkId".to_owned(), Value::String(id.clone()));
        }
        if let Some(location) = location {
            result.insert("location".to_owned(), Value::String(location));
        }
        if let Some(version) = version.filter(|v| is_header_text(v.as_str())) {
            result.insert(
                "version".to_owned(),
                Value::String(version.as_str().to_owned()),
            );
        }
        result.insert(
            "status".to_owned(),
            Value::String(status.as_u16().to_string()),
        );
        Value::Object(result)
    }
}

/// Runs one operation: its path is routed and its method looked up as a
/// direct request's would be, then the endpoint's operation runs on the
/// operation's `data` (its `bulkId`s replaced) and `version`.
async fn run_operation(
    call: &mut Call<'_>,
    op: &Operation,
    resolved: &BTreeMap<String, String>,
) -> Result<Done, Error> {
    let path = resolved_path(op, resolved);
    let full_path = format!("{}{}", call.inner.config.base_path, path);
    let route = route(call.inner, &full_path)?;
    if matches!(route, Route::Bulk) {
        return Err(nested_bulk());
    }
    // `version` is the operation's `If-Match` (RFC 7644 §3.7), read as
    // the header would be: refused if no header can carry it, ignored if
    // it is not text.
    let if_match = match &op.version {
        Some(version) => HeaderValue::from_str(version)
            .map_err(|_| Error::invalid_value(format!("{version:?} is not a version")))?
            .to_str()
            .is_ok()
            .then_some(version.as_str()),
        None => None,
    };
    let uri = Uri::try_from(full_path.as_str())
        .map_err(|e| Error::invalid_value(format!("invalid bulk operation path: {e}")))?;
    let query = uri.query();
    let data = || -> Result<Value, Error> {
        // Every method but DELETE has `data` (see `parse_operation`); a
        // request of its own without a body would be refused so.
        let mut data = op
            .data
            .clone()
            .ok_or_else(|| Error::invalid_syntax("the request body is empty".to_owned()))?;
        substitute(&mut data, resolved);
        Ok(data)
    };
    let done = match route.endpoint(&op.method)? {
        Endpoint::Create(rt) => {
            // Read as the endpoint reads it, though bulk returns no body.
            Params::from_query(query)?.projection(&rt)?;
            let resource = operations::create(call, &rt, data()?).await?;
            Done::Resource(StatusCode::CREATED, rt, resource)
        }
        Endpoint::Replace(rt, id) => {
            let projection = Params::from_query(query)?.projection(&rt)?;
            let target = Target {
                rt: &rt,
                id: &id,
                if_match,
            };
            let resource = operations::replace(call, &target, data()?, &projection).await?;
            Done::Resource(StatusCode::OK, rt.clone(), resource)
        }
        Endpoint::Patch(rt, id) => {
            let params = Params::from_query(query)?;
            let projection = params.projection(&rt)?;
            let answer = PatchAnswer::new(&call.inner.config, &rt, &params, &projection);
            let target = Target {
                rt: &rt,
                id: &id,
                if_match,
            };
            match operations::patch(call, &target, data()?, answer).await? {
                Patched::NoContent(version) => Done::Patched(version),
                Patched::Resource(resource) => Done::Resource(StatusCode::OK, rt.clone(), resource),
            }
        }
        Endpoint::Delete(rt, id) => {
            let target = Target {
                rt: &rt,
                id: &id,
                if_match,
            };
            operations::delete(call, &target).await?;
            Done::Status(StatusCode::NO_CONTENT)
        }
        Endpoint::Search(rt) => {
            let params = Params::from_search_request(data()?)?;
            search::list(call, &rt, &params).await?;
            Done::Status(StatusCode::OK)
        }
        Endpoint::RootSearch => {
            search::root_search(call, data()?).await?;
            Done::Status(StatusCode::OK)
        }
        // Refused above, before the operation's version and path are read.
        Endpoint::Bulk => return Err(nested_bulk()),
        Endpoint::NotAllowed(allowed) => {
            return Err(Refusal::method_not_allowed(op.method.clone(), allowed).into());
        }
        // Only for GET, which `parse_operation` refuses already.
        Endpoint::ServiceProviderConfig
        | Endpoint::ResourceTypes(_)
        | Endpoint::Schemas(_)
        | Endpoint::List(_)
        | Endpoint::Get(..) => {
            return Err(Error::invalid_value(format!(
                "a bulk operation cannot be a {}; use POST, PUT, PATCH or DELETE",
                op.method
            )));
        }
    };
    Ok(done)
}

fn nested_bulk() -> Error {
    Error::invalid_value("a bulk operation cannot be another bulk request".to_owned())
}

/// Whether a header could carry `s` and be read back as text, as a
/// response's `Location` and `ETag` are.
fn is_header_text(s: &str) -> bool {
    HeaderValue::from_str(s).is_ok_and(|v| v.to_str().is_ok())
}

/// Keeps the first server error of a `/Bulk` request for its log line: the
/// request itself is answered `200`, so nothing else would show the cause.
fn note_server_error(info: &mut RequestInfo, e: &Error) {
    if e.is_server_error() && info.error.is_none() {
        info.error = Some(ErrorInfo::new(e));
    }
}

fn failure(op: &Operation, e: &Error, location: Option<String>) -> Value {
    let mut result = Map::new();
    result.insert("method".to_owned(), Value::String(op.method.to_string()));
    if let Some(id) = &op.bulk_id {
        result.insert("bulkId".to_owned(), Value::String(id.clone()));
    }
    if let Some(location) = location {
        result.insert("location".to_owned(), Value::String(location));
    }
    result.insert(
        "status".to_owned(),
        Value::String(e.status().as_u16().to_string()),
    );
    result.insert(
        "response".to_owned(),
        serde_json::to_value(ErrorResponse::from(e)).unwrap_or(Value::Null),
    );
    Value::Object(result)
}

/// The URL an operation on an existing resource targets (RFC 7644 §3.7:
/// every result but a failed POST carries `location`).
fn target_location(
    call: &Call<'_>,
    op: &Operation,
    resolved: &BTreeMap<String, String>,
) -> Option<String> {
    if op.method == Method::POST {
        return None;
    }
    Some(format!(
        "{}{}",
        call.base_url(),
        resolved_path(op, resolved)
    ))
}

/// The operation's path with each `bulkId:` segment replaced by the id it
/// stands for, once that is known.
fn resolved_path(op: &Operation, resolved: &BTreeMap<String, String>) -> String {
    op.path
        .split('/')
        .map(|segment| match segment.strip_prefix(BULK_ID_PREFIX) {
            Some(id) => resolved.get(id).map_or(segment, String::as_str),
            None => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}
