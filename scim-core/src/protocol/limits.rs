//! Caps on the work one request may ask for, and on how many requests of
//! one tenant run at once: what keeps one tenant of a multi-tenant service
//! from starving the others. The caps are [`ServiceConfig`] fields; the
//! service-level documentation lists them with their defaults.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use http::header::AUTHORIZATION;
use serde_json::Value;

use super::ServiceConfig;
use crate::Error;
use crate::error::{Payload, Refusal};
use crate::filter::Filter;
use crate::patch::PatchRequest;
use crate::schema::{JsonObject, ResourceSchema};
use crate::store::TenantId;

/// Refuses a request with more than one `Authorization` header: which one
/// counts would depend on who reads the request (a proxy may check the
/// last, the service the first), so neither may.
pub(super) fn check_single_authorization(parts: &http::request::Parts) -> Result<(), Error> {
    if parts.headers.get_all(AUTHORIZATION).iter().nth(1).is_some() {
        return Err(Error::invalid_syntax(
            "the request has more than one Authorization header; send exactly one".to_owned(),
        ));
    }
    Ok(())
}

/// The number of comparisons (`attr op value` and `attr pr`) in `filter`,
/// including those inside value paths.
pub(super) fn filter_operands(filter: &Filter) -> usize {
    match filter {
        Filter::Compare(_) | Filter::Present(_) => 1,
        Filter::ValuePath(vp) => filter_operands(vp.filter()),
        Filter::Not(inner) => filter_operands(inner),
        Filter::And(ops) | Filter::Or(ops) => ops.iter().map(filter_operands).sum(),
    }
}

/// `400 tooMany` if `filter` has more comparisons than the service
/// evaluates; `what` names where it came from.
pub(super) fn check_filter(
    config: &ServiceConfig,
    filter: &Filter,
    what: &str,
) -> Result<(), Error> {
    let operands = filter_operands(filter);
    let max = config.max_filter_operands;
    if operands > max {
        return Err(Error::too_many(format!(
            "{what} has {operands} comparisons; the limit is {max}: split it into several requests"
        )));
    }
    Ok(())
}

/// Checks a parsed PATCH request before it touches the resource: at most
/// [`ServiceConfig::max_patch_operations`] operations (`413`), path filters
/// within [`ServiceConfig::max_filter_operands`] (`400 tooMany`), and no
/// value list longer than [`ServiceConfig::max_values_per_attribute`]
/// (`400 invalidValue`), except for the members of a type with members
/// ([`ResourceSchema::membership`]): stores keep them in their own rows,
/// and groups of 50,000 must work.
pub(super) fn check_patch(
    config: &ServiceConfig,
    schema: &ResourceSchema,
    request: &PatchRequest,
) -> Result<(), Error> {
    let members = schema.membership().map(|a| a.name.as_str());
    let count = request.operations.len();
    let max = config.max_patch_operations;
    if count > max {
        return Err(Refusal::payload_too_large(
            Payload::PatchOperations {
                count: count as u64,
            },
            max as u64,
        )
        .into());
    }
    for (index, op) in request.operations.iter().enumerate() {
        let mut exempt = false;
        if let Some(path) = op.path() {
            exempt = members.is_some_and(|m| path.attr().name().eq_ignore_ascii_case(m));
            if let Some(filter) = path.filter() {
                check_filter(config, filter, &format!("the path of operation {index}"))?;
            }
        }
        if let (Some(value), false) = (op.value(), exempt) {
            let top = if op.path().is_none() { members } else { None };
            if let Some(len) = longest_array(value, top) {
                check_values(config, len, &format!("operation {index}"))?;
            }
        }
    }
    Ok(())
}

/// `400 tooMany` if the path filters of a PATCH that rewrites the whole
/// resource have more comparisons together than
/// [`ServiceConfig::max_filter_operands`]: each is evaluated against every
/// value of its attribute, so the cost is their sum times the values. A
/// members-only PATCH, which a store applies by id, is not counted.
pub(super) fn check_patch_filters_total(
    config: &ServiceConfig,
    request: &PatchRequest,
) -> Result<(), Error> {
    let total: usize = request
        .operations
        .iter()
        .filter_map(|op| op.path()?.filter())
        .map(filter_operands)
        .sum();
    let max = config.max_filter_operands;
    if total > max {
        return Err(Error::too_many(format!(
            "the PATCH paths have {total} filter comparisons together; the limit is {max}: split the operations over several requests"
        )));
    }
    Ok(())
}

/// Checks a resource about to be stored: each multi-valued attribute has
/// at most [`ServiceConfig::max_values_per_attribute`] values, and the
/// serialized JSON is at most [`ServiceConfig::max_resource_size`] bytes;
/// the members of a type with members count for neither. `400
/// invalidValue` otherwise.
pub(super) fn check_resource(
    config: &ServiceConfig,
    schema: &ResourceSchema,
    json: &JsonObject,
) -> Result<(), Error> {
    let exempt = schema.membership().map(|a| a.name.as_str());
    let mut size = 2; // The braces.
    for (i, (key, value)) in json.iter().enumerate() {
        if exempt.is_some_and(|m| key.eq_ignore_ascii_case(m)) {
            continue;
        }
        if let Some(len) = longest_array(value, None) {
            check_values(config, len, &format!("\"{key}\""))?;
        }
        size += usize::from(i > 0) + json_len(&Value::String(key.clone())) + 1 + json_len(value);
    }
    let max = config.max_resource_size;
    if size > max {
        return Err(Error::invalid_value(format!(
            "the {} would be {size} bytes of JSON; the limit is {max}: store less data in it",
            schema.name()
        )));
    }
    Ok(())
}

fn check_values(config: &ServiceConfig, len: usize, what: &str) -> Result<(), Error> {
    let max = config.max_values_per_attribute;
    if len > max {
        return Err(Error::invalid_value(format!(
            "{what} has an attribute with {len} values; the limit is {max} values per attribute"
        )));
    }
    Ok(())
}

/// The length of the longest array in `value`, skipping the member `skip`
/// of a top-level object.
fn longest_array(value: &Value, skip: Option<&str>) -> Option<usize> {
    match value {
        Value::Array(items) => {
            let inner = items.iter().filter_map(|v| longest_array(v, None)).max();
            Some(inner.map_or(items.len(), |i| i.max(items.len())))
        }
        Value::Object(obj) => obj
            .iter()
            .filter(|(k, _)| !skip.is_some_and(|s| k.eq_ignore_ascii_case(s)))
            .filter_map(|(_, v)| longest_array(v, None))
            .max(),
        _ => None,
    }
}

/// The length of `value` serialized as compact JSON, without building it.
fn json_len(value: &Value) -> usize {
    let mut counter = Counter(0);
    // Writing to a counter cannot fail, and serializing a `Value` neither.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

struct Counter(usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How many requests of each tenant are in flight, in shards so that
/// tenants rarely contend for one lock.
#[derive(Debug)]
pub(super) struct TenantGate {
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<String, usize>>>,
}

const SHARDS: usize = 16;

impl TenantGate {
    pub(super) fn new() -> Self {
        Self {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Admits one more request of `tenant`, or answers `429` when it
    /// already has [`ServiceConfig::max_concurrent_requests_per_tenant`]
    /// in flight. The permit counts the request until it is dropped.
    pub(super) fn enter(
        self: &Arc<Self>,
        tenant: &TenantId,
        config: &ServiceConfig,
    ) -> Result<Option<Permit>, Error> {
        let max = config.max_concurrent_requests_per_tenant;
        if max == 0 {
            return Ok(None);
        }
        let key = tenant.as_str();
        let shard = self.shard(key);
        // A poisoned shard holds plain counts, still valid.
        let mut counts = self.shards[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(key.to_owned()).or_insert(0);
        if *count >= max {
            return Err(Refusal::rate_limited(
                config.concurrency_retry_after,
                format!(
                    "this tenant already has {max} requests in progress; wait for them to finish, then retry"
                ),
            )
            .into());
        }
        *count += 1;
        Ok(Some(Permit {
            gate: Arc::clone(self),
            shard,
            tenant: key.to_owned(),
        }))
    }

    fn shard(&self, key: &str) -> usize {
        // `hash_one` is uniformly spread; the cast keeps the low bits.
        #[allow(clippy::cast_possible_truncation)]
        let i = (self.hasher.hash_one(key) as usize) % self.shards.len();
        i
    }
}

/// One admitted request; dropping it (the request finished or was
/// cancelled) lets another in. It owns its gate, so that it can travel
/// with an [`Authenticated`](super::Authenticated) request while the
/// embedder reads the body.
#[derive(Debug)]
pub(super) struct Permit {
    gate: Arc<TenantGate>,
    shard: usize,
    tenant: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.gate.shards[self.shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.tenant) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.tenant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::Registry;
    use crate::tolerance::{Context as Tolerances, Policy};

    fn config() -> ServiceConfig {
        let mut c = ServiceConfig::new("");
        c.max_patch_operations = 2;
        c.max_filter_operands = 3;
        c.max_values_per_attribute = 2;
        c.max_resource_size = 200;
        c.max_concurrent_requests_per_tenant = 2;
        c
    }

    fn patch(ops: Value) -> PatchRequest {
        PatchRequest::parse(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
            &mut Tolerances::new(Policy::strict()),
        )
        .unwrap()
    }

    fn object(v: Value) -> JsonObject {
        match v {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn operands_are_comparisons_anywhere_in_the_filter() {
        let f: Filter =
            "a eq 1 and (b pr or not (c co \"x\")) and emails[type eq \"w\" and value sw \"q\"]"
                .parse()
                .unwrap();
        assert_eq!(filter_operands(&f), 5);
        let e = check_filter(&config(), &f, "the filter").unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(e.scim_type().unwrap().as_str(), "tooMany");
        assert!(e.to_string().contains("the limit is 3"), "{e}");
        let ok: Filter = "a eq 1 or b eq 2 or c eq 3".parse().unwrap();
        assert!(check_filter(&config(), &ok, "the filter").is_ok());
    }

    #[test]
    fn patch_requests_are_capped_before_they_run() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let groups = registry.resource_type("Group").unwrap();
        let c = config();
        let three = patch(json!([
            {"op": "remove", "path": "title"},
            {"op": "remove", "path": "title"},
            {"op": "remove", "path": "title"},
        ]));
        assert_eq!(check_patch(&c, users, &three).unwrap_err().status(), 413);
        let filtered = patch(json!([
            {"op": "remove", "path": "emails[value eq \"a\" or value eq \"b\" or value eq \"c\" or value eq \"d\"]"},
        ]));
        let e = check_patch(&c, users, &filtered).unwrap_err();
        assert_eq!(e.scim_type().unwrap().as_str(), "tooMany");
        let values = patch(
            json!([{"op": "add", "path": "emails", "value": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}]),
        );
        let e = check_patch(&c, users, &values).unwrap_err();
        assert_eq!(e.scim_type().unwrap().as_str(), "invalidValue");
        let nested = patch(json!([{"op": "add", "value": {"emails": [1, 2, 3]}}]));
        // Filters are capped one by one here, and together below.
        let spread = patch(json!([
            {"op": "remove", "path": "emails[value eq \"a\" or value eq \"b\"]"},
            {"op": "remove", "path": "emails[value eq \"c\" or value eq \"d\"]"},
        ]));
        assert!(check_patch(&c, users, &spread).is_ok());
        let e = check_patch_filters_total(&c, &spread).unwrap_err();
        assert!(e.to_string().contains("4 filter comparisons"), "{e}");
        assert!(check_patch_filters_total(&c, &filtered).is_err());
        assert!(check_patch_filters_total(&c, &three).is_ok());
        assert!(check_patch(&c, users, &nested).is_err());
        // Members are exempt, with and without a path.
        let members = patch(json!([
            {"op": "add", "path": "members", "value": [{"value": "1"}, {"value": "2"}, {"value": "3"}]},
            {"op": "add", "value": {"members": [{"value": "4"}, {"value": "5"}, {"value": "6"}]}},
        ]));
        assert!(check_patch(&c, groups, &members).is_ok());
        // Only for a type with members: a User has no `members` to exempt.
        assert!(check_patch(&c, users, &members).is_err());
    }

    #[test]
    fn stored_resources_are_capped_but_members_are_not() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let groups = registry.resource_type("Group").unwrap();
        let c = config();
        let ok = object(json!({"userName": "a", "emails": [{"value": "a"}, {"value": "b"}]}));
        assert!(check_resource(&c, users, &ok).is_ok());
        let many = object(
            json!({"userName": "a", "emails": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}),
        );
        let e = check_resource(&c, users, &many).unwrap_err();
        assert_eq!(e.scim_type().unwrap().as_str(), "invalidValue");
        assert!(e.to_string().contains("\"emails\""), "{e}");
        let big = object(json!({"userName": "x".repeat(300)}));
        let e = check_resource(&c, users, &big).unwrap_err();
        assert!(e.to_string().contains("the limit is 200"), "{e}");
        let members: Vec<Value> = (0..1000).map(|i| json!({"value": i.to_string()})).collect();
        let group = object(json!({"displayName": "g", "members": members}));
        assert!(check_resource(&c, groups, &group).is_ok());
    }

    #[test]
    fn the_size_is_the_serialized_length() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let doc = object(json!({"userName": "a\"b", "emails": [{"value": "é"}], "active": true}));
        let exact = serde_json::to_vec(&doc).unwrap().len();
        let mut c = config();
        c.max_resource_size = exact;
        assert!(check_resource(&c, users, &doc).is_ok());
        c.max_resource_size = exact - 1;
        assert!(check_resource(&c, users, &doc).is_err());
    }

    #[test]
    fn the_gate_admits_up_to_the_limit_per_tenant_and_releases_on_drop() {
        let gate = Arc::new(TenantGate::new());
        let c = config();
        let a = TenantId::new("a");
        let first = gate.enter(&a, &c).unwrap();
        let second = gate.enter(&a, &c).unwrap();
        let e = gate.enter(&a, &c).unwrap_err();
        assert_eq!(e.status(), 429);
        // Another tenant is not affected.
        assert!(gate.enter(&TenantId::new("b"), &c).is_ok());
        drop(first);
        let third = gate.enter(&a, &c).unwrap();
        drop((second, third));
        assert!(gate.shards.iter().all(|s| s.lock().unwrap().is_empty()));
        let mut unlimited = c;
        unlimited.max_concurrent_requests_per_tenant = 0;
        assert!(gate.enter(&a, &unlimited).unwrap().is_none());
    }

    #[test]
    fn more_than_one_authorization_header_is_refused() {
        let one = http::Request::get("/")
            .header(AUTHORIZATION, "Bearer a")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert!(check_single_authorization(&one).is_ok());
        let two = http::Request::get("/")
            .header(AUTHORIZATION, "Bearer a")
            .header(AUTHORIZATION, "Bearer b")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert_eq!(check_single_authorization(&two).unwrap_err().status(), 400);
    }
}
