//! Applies a PATCH derived from the fuzz input to a realistic User or
//! Group stored in the memory store, the way the service's PATCH handler
//! does: parse, then either a member delta through `modify_members` or
//! `patch::apply` followed by `replace`.
//!
//! Invariants: nothing panics; every error is a client error (never a
//! server error); a successful PATCH keeps `id`, `meta.created` and
//! `meta.resourceType`, lists the core schema, serializes, parses back as a
//! `Resource`, and passes the replace (PUT) checks as its own body.
//!
//! Run with (see fuzz/README.md):
//! `cargo +nightly fuzz run patch_apply -- -dict=fuzz/patch.dict`

#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use scim_core::Error;
use scim_core::id::{ResourceId, Version};
use scim_core::patch::{PatchRequest, apply, member_delta};
use scim_core::project::Projection;
use scim_core::resource::{Meta, Resource, now, prepare_create, prepare_replace};
use scim_core::schema::{Registry, ResourceSchema};
use scim_core::store::memory::MemoryStore;
use scim_core::store::{ResourceStore, TenantId};
use scim_core::tolerance::{Context, Policy};
use serde_json::Value;

struct World {
    runtime: tokio::runtime::Runtime,
    registry: Registry,
}

thread_local! {
    static WORLD: World = World {
        runtime: tokio::runtime::Builder::new_current_thread().build().unwrap(),
        registry: Registry::standard(),
    };
}

/// Stores the two users and the group, as the service's create does.
async fn populate(store: &MemoryStore, registry: &Registry, tenant: &TenantId, policy: Policy) {
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    for (rt, id, body) in [
        (users, common::OTHER_USER_ID, common::other_user_body()),
        (users, common::USER_ID, common::user_body()),
        (groups, common::GROUP_ID, common::group_body()),
    ] {
        let mut cx = Context::new(policy);
        let body = prepare_create(rt, body, &mut cx).unwrap();
        let meta = Meta::new(rt.name(), now(), Version::from_revision(1));
        let resource = Resource::new(ResourceId::new(id).unwrap(), body, &meta);
        store.create(tenant, rt, resource).await.unwrap();
    }
}

#[track_caller]
fn client_error(e: &Error, what: &str) {
    assert!(
        !e.is_server_error(),
        "{what} failed with a server error: {e:?}"
    );
}

async fn run(registry: &Registry, data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(selector) = u.arbitrary::<u8>() else {
        return;
    };
    let policy = if selector & 1 == 0 {
        Policy::entra_id()
    } else {
        Policy::strict()
    };
    let (rt_name, id) = if selector & 2 == 0 {
        ("User", common::USER_ID)
    } else {
        ("Group", common::GROUP_ID)
    };
    // One input in eight is the rest of the bytes as the JSON body.
    let body = if selector & 0x1c == 0 {
        match serde_json::from_slice::<Value>(u.take_rest()) {
            Ok(body) => body,
            Err(_) => return,
        }
    } else {
        match common::patch_body(&mut u) {
            Ok(body) => body,
            Err(_) => return,
        }
    };

    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!("{rt_name} {policy:?}: {body}");
    }

    let store = MemoryStore::new();
    let tenant = TenantId::new("fuzz");
    populate(&store, registry, &tenant, policy).await;
    let rt: &ResourceSchema = registry.resource_type(rt_name).unwrap();
    let id = ResourceId::new(id).unwrap();

    let mut cx = Context::new(policy);
    let request = match PatchRequest::parse(body, &mut cx) {
        Ok(request) => request,
        Err(e) => return client_error(&e, "parse"),
    };

    let mut cx = Context::new(policy);
    match member_delta(rt, &request, &mut cx) {
        Err(e) => return client_error(&e, "member_delta"),
        Ok(Some(delta)) => {
            match store
                .modify_members(&tenant, rt, &id, &delta, None, now())
                .await
            {
                Ok(_) => check_stored(&store, &tenant, rt, &id).await,
                Err(e) => client_error(&Error::Store(e), "modify_members"),
            }
            return;
        }
        Ok(None) => {}
    }

    let existing = store
        .get(&tenant, rt, &id, &Projection::all())
        .await
        .unwrap()
        .unwrap();
    let mut cx = Context::new(policy);
    let outcome = match apply(rt, existing.json(), &request, &mut cx) {
        Ok(outcome) => outcome,
        Err(e) => return client_error(&e, "apply"),
    };
    let patched = outcome.resource;
    assert_eq!(patched.get("id"), existing.json().get("id"), "id changed");
    let meta_of = |json: &serde_json::Map<String, Value>, key: &str| {
        json.get("meta").and_then(|m| m.get(key)).cloned()
    };
    for key in ["created", "resourceType"] {
        assert_eq!(
            meta_of(&patched, key),
            meta_of(existing.json(), key),
            "meta.{key} changed"
        );
    }
    if !outcome.changed {
        assert_eq!(&patched, existing.json(), "unchanged, but different");
        return;
    }
    let schemas = patched.get("schemas").and_then(Value::as_array).unwrap();
    assert!(
        schemas
            .iter()
            .any(|s| s.as_str().is_some_and(|s| rt.core().id.matches(s))),
        "the core schema is gone: {schemas:?}"
    );
    serde_json::to_vec(&patched).unwrap();

    // What a PATCH stores must pass the checks of a PUT of the same body.
    let mut body = patched.clone();
    body.remove("id");
    body.remove("meta");
    let mut cx = Context::new(policy);
    if let Err(e) = prepare_replace(rt, Value::Object(body.clone()), &existing, &mut cx) {
        panic!("the patched resource fails the replace checks: {e:?}\n{body:#?}");
    }

    let updated = Resource::from_json(patched).expect("a patched resource is a resource");
    match store
        .replace(&tenant, rt, updated, existing.version())
        .await
    {
        Ok(stored) => {
            assert_eq!(stored.id(), &id);
            check_stored(&store, &tenant, rt, &id).await;
        }
        Err(e) => client_error(&Error::Store(e), "replace"),
    }
}

/// The stored resource reads back and serializes.
async fn check_stored(
    store: &MemoryStore,
    tenant: &TenantId,
    rt: &ResourceSchema,
    id: &ResourceId,
) {
    let stored = store
        .get(tenant, rt, id, &Projection::all())
        .await
        .unwrap()
        .expect("the patched resource is still stored");
    assert_eq!(stored.id(), id);
    serde_json::to_vec(stored.json()).unwrap();
}

fuzz_target!(|data: &[u8]| {
    WORLD.with(|world| world.runtime.block_on(run(&world.registry, data)));
});
