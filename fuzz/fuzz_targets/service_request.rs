//! Sends one request derived from the fuzz input through
//! `scim_core::protocol::Service::handle`, over a memory store that holds
//! two users and a group, on a current-thread runtime.
//!
//! Invariants: nothing panics; no status is `500` (nor any 5xx but `501`);
//! every error response is a SCIM Error (`schemas` is the Error URN,
//! `status` is the status code as a string); every body is JSON; no bulk
//! operation answers `500`.
//!
//! Run with (see fuzz/README.md):
//! `cargo +nightly fuzz run service_request -- -dict=fuzz/patch.dict`

#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fmt::Write as _;
use std::sync::Arc;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use scim_core::id::{ResourceId, Version};
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::resource::{Meta, Resource, now, prepare_create};
use scim_core::schema::Registry;
use scim_core::store::memory::MemoryStore;
use scim_core::store::{ResourceStore, TenantId};
use scim_core::tolerance::{Context, Policy};
use serde_json::{Value, json};

const TOKEN: &str = "fuzz-token";
const BASE: &str = "/scim/v2";
const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

struct World {
    runtime: tokio::runtime::Runtime,
    registry: Registry,
}

thread_local! {
    static WORLD: World = World {
        runtime: tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap(),
        registry: Registry::standard(),
    };
}

/// A service over a fresh store holding the two users and the group.
async fn service(registry: &Registry, strict: bool) -> Service {
    let store = MemoryStore::new();
    let tenant = TenantId::new("default");
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    for (rt, id, body) in [
        (users, common::OTHER_USER_ID, common::other_user_body()),
        (users, common::USER_ID, common::user_body()),
        (groups, common::GROUP_ID, common::group_body()),
    ] {
        let mut cx = Context::new(Policy::entra_id());
        let body = prepare_create(rt, body, &mut cx).unwrap();
        let meta = Meta::new(rt.name(), now(), Version::from_revision(1));
        let resource = Resource::new(ResourceId::new(id).unwrap(), body, &meta);
        store.create(&tenant, rt, resource).await.unwrap();
    }
    let mut config = ServiceConfig::new(BASE);
    if strict {
        config.policy = Policy::strict();
    }
    // Small caps, so that the fuzzer reaches them.
    config.max_patch_operations = 8;
    config.bulk_max_operations = 8;
    config.max_filter_operands = 8;
    config.max_values_per_attribute = 16;
    config.max_results = 10;
    Service::new(
        Arc::new(store),
        registry.clone(),
        Arc::new(SingleTenant::new(TOKEN)),
        config,
    )
}

const PATHS: &[&str] = &[
    "/Users",
    "/Groups",
    "/Users/2819c223-7f76-453a-919d-413861904646",
    "/Users/902c246b-6245-4190-8e05-00816be7344a",
    "/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a",
    "/Users/e9e30dba-f08f-4109-8486-d5c6a331660a",
    "/Users/missing",
    "/Users/",
    "/users",
    "/Users/.search",
    "/Groups/.search",
    "/.search",
    "/Bulk",
    "/ServiceProviderConfig",
    "/Schemas",
    "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
    "/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "/ResourceTypes",
    "/ResourceTypes/User",
    "/ResourceTypes/Group",
    "/Me",
    "/Users/2819c223-7f76-453a-919d-413861904646/extra",
    "/Users/%32819c223-7f76-453a-919d-413861904646",
    "",
    "/",
];

const FILTERS: &[&str] = &[
    "userName eq \"bjensen@example.com\"",
    "userName Eq \"BJENSEN@example.com\"",
    "externalId eq \"bjensen\"",
    "emails[type eq \"work\" and value co \"@\"]",
    "emails.value sw \"bjensen\"",
    "active eq true",
    "displayName eq \"Tour Guides\"",
    "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
    "id eq \"2819c223-7f76-453a-919d-413861904646\"",
    "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
    "name.familyName pr",
    "not (active eq false) or title pr",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"701984\"",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"902c246b-6245-4190-8e05-00816be7344a\"",
    "unknown eq 1",
    "userName eq",
];

const PARAMS: &[&str] = &[
    "filter",
    "sortBy",
    "sortOrder",
    "attributes",
    "excludedAttributes",
    "startIndex",
    "count",
    "cursor",
];

const PARAM_VALUES: &[&str] = &[
    "userName",
    "emails.value",
    "name.familyName",
    "meta.lastModified",
    "members",
    "displayName,members",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "ascending",
    "descending",
    "0",
    "1",
    "-1",
    "2",
    "10",
    "1001",
    "18446744073709551616",
    "",
];

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            write!(out, "%{byte:02X}").unwrap();
        }
    }
    out
}

fn method(u: &mut Unstructured<'_>) -> Result<http::Method> {
    const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    let name = if u.ratio(31, 32)? {
        (*u.choose(METHODS)?).to_owned()
    } else {
        u.arbitrary::<String>()?
    };
    Ok(http::Method::from_bytes(name.as_bytes()).unwrap_or(http::Method::GET))
}

fn uri(u: &mut Unstructured<'_>) -> Result<String> {
    let mut uri = if u.ratio(15, 16)? {
        BASE.to_owned()
    } else {
        String::new()
    };
    if u.ratio(15, 16)? {
        uri.push_str(u.choose(PATHS)?);
    } else {
        let raw: String = u.arbitrary()?;
        uri.push('/');
        uri.push_str(&encode(&raw));
    }
    let params = u.int_in_range(0..=4)?;
    for i in 0..params {
        uri.push(if i == 0 { '?' } else { '&' });
        let name = if u.ratio(15, 16)? {
            (*u.choose(PARAMS)?).to_owned()
        } else {
            u.arbitrary()?
        };
        let value = match u.int_in_range(0..=3)? {
            0 => (*u.choose(FILTERS)?).to_owned(),
            1 => u.arbitrary()?,
            _ => (*u.choose(PARAM_VALUES)?).to_owned(),
        };
        write!(uri, "{}={}", encode(&name), encode(&value)).unwrap();
    }
    Ok(uri)
}

/// A resource body: a stored one with changes, or a generated one.
fn resource_body(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut body = match u.int_in_range(0..=3)? {
        0 => common::user_body(),
        1 => common::group_body(),
        2 => common::other_user_body(),
        _ => return common::value(u, 3),
    };
    let changes = u.int_in_range(0..=3)?;
    for _ in 0..changes {
        let key = (*u.choose(common::KEYS)?).to_owned();
        if u.ratio(1, 4)? {
            body.as_object_mut().unwrap().remove(&key);
        } else {
            body[key] = common::value(u, 2)?;
        }
    }
    Ok(body)
}

fn bulk_body(u: &mut Unstructured<'_>) -> Result<Value> {
    let count = u.int_in_range(0..=5)?;
    let mut ops = Vec::with_capacity(count);
    for i in 0..count {
        const METHODS: &[&str] = &["POST", "PUT", "PATCH", "DELETE", "GET", "post"];
        let method = *u.choose(METHODS)?;
        let path = match u.int_in_range(0..=3)? {
            0 => "/Users".to_owned(),
            1 => "/Groups".to_owned(),
            2 => format!("/Users/bulkId:{}", u.int_in_range(0..=2)?),
            _ => (*u.choose(PATHS)?).to_owned(),
        };
        let mut op = json!({"method": method, "path": path, "bulkId": i.to_string()});
        let data = match method {
            "PATCH" => Some(common::patch_body(u)?),
            "DELETE" | "GET" => None,
            _ => Some(resource_body(u)?),
        };
        if let Some(data) = data {
            op["data"] = data;
        }
        if u.ratio(1, 8)? {
            op["version"] = common::value(u, 0)?;
        }
        ops.push(op);
    }
    Ok(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": common::value(u, 0)?,
        "Operations": ops,
    }))
}

fn search_body(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
    let fields = u.int_in_range(0..=4)?;
    for _ in 0..fields {
        let key = *u.choose(PARAMS)?;
        body[key] = match u.int_in_range(0..=3)? {
            0 => Value::String((*u.choose(FILTERS)?).to_owned()),
            1 => Value::String((*u.choose(PARAM_VALUES)?).to_owned()),
            2 => json!([*u.choose(PARAM_VALUES)?]),
            _ => common::value(u, 1)?,
        };
    }
    Ok(body)
}

struct Input {
    strict: bool,
    request: http::Request<Vec<u8>>,
}

fn input(u: &mut Unstructured<'_>) -> Result<Option<Input>> {
    let strict = u.ratio(1, 4)?;
    let method = method(u)?;
    let uri = uri(u)?;
    let mut builder = http::Request::builder()
        .method(method.clone())
        .uri(&uri)
        .header("host", "scim.example.com");
    match u.int_in_range(0..=15)? {
        0 => {}
        1 => builder = builder.header("authorization", "Bearer wrong"),
        2 => {
            builder = builder
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("authorization", format!("Bearer {TOKEN}"));
        }
        3 => builder = builder.header("authorization", format!("bearer  {TOKEN}")),
        _ => builder = builder.header("authorization", format!("Bearer {TOKEN}")),
    }
    const CONTENT_TYPES: &[&str] = &[
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "application/json",
        "text/plain",
        "application/scim+json; charset=latin1",
    ];
    if u.ratio(7, 8)? {
        builder = builder.header("content-type", *u.choose(CONTENT_TYPES)?);
    }
    const TAGS: &[&str] = &[
        "W/\"1\"",
        "W/\"2\"",
        "*",
        "\"1\"",
        "W/\"1\", W/\"3\"",
        "garbage",
    ];
    if u.ratio(1, 8)? {
        builder = builder.header("if-match", *u.choose(TAGS)?);
    }
    if u.ratio(1, 8)? {
        builder = builder.header("if-none-match", *u.choose(TAGS)?);
    }
    if u.ratio(1, 16)? {
        builder = builder.header("accept", "text/html");
    }
    let body = match u.int_in_range(0..=7)? {
        0 => u.arbitrary::<Vec<u8>>()?,
        1 => Vec::new(),
        _ => {
            let value = if uri.contains("/Bulk") {
                bulk_body(u)?
            } else if uri.contains(".search") {
                search_body(u)?
            } else if method == http::Method::PATCH {
                common::patch_body(u)?
            } else {
                resource_body(u)?
            };
            serde_json::to_vec(&value).unwrap()
        }
    };
    Ok(builder
        .body(body)
        .ok()
        .map(|request| Input { strict, request }))
}

fn check(status: u16, body: &[u8]) {
    assert!(
        status < 500 || status == 501,
        "status {status}: {}",
        String::from_utf8_lossy(body)
    );
    if body.is_empty() {
        assert!(status < 400, "error {status} without a body");
        return;
    }
    let json: Value = serde_json::from_slice(body).expect("every body is JSON");
    if status >= 400 {
        assert_eq!(
            json["schemas"],
            json!([ERROR_URN]),
            "not a SCIM error: {json}"
        );
        assert_eq!(json["status"], status.to_string(), "{json}");
    }
    if let Some(ops) = json.get("Operations").and_then(Value::as_array) {
        for op in ops {
            let status = op.get("status").and_then(Value::as_str).unwrap_or("");
            assert!(
                !status.starts_with('5') || status == "501",
                "bulk operation: {op}"
            );
            if let Some(response) = op.get("response") {
                if status.starts_with('4') {
                    assert_eq!(response["schemas"], json!([ERROR_URN]), "{op}");
                    assert_eq!(response["status"], status, "{op}");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(Some(Input { strict, request })) = input(&mut u) else {
        return;
    };
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!("{request:?} {}", String::from_utf8_lossy(request.body()));
    }
    WORLD.with(|world| {
        world.runtime.block_on(async {
            let service = service(&world.registry, strict).await;
            let response = service.handle(request).await;
            check(response.status().as_u16(), response.body());
        });
    });
});
