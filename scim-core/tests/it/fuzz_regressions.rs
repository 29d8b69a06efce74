//! Inputs the `patch_apply` fuzz target (fuzz/README.md) found, each as
//! the PATCH body it decoded to, applied to the target's stored user.

use scim_core::patch::{PatchRequest, apply};
use scim_core::resource::prepare_replace;
use scim_core::resource::{Meta, Resource, now};
use scim_core::schema::{JsonObject, Registry};
use scim_core::tolerance::{Context, Policy};
use serde_json::{Value, json};

/// The user the fuzz target stores, after create.
fn stored_user(registry: &Registry) -> Resource {
    let users = registry.resource_type("User").unwrap();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "bjensen@example.com",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984"},
    });
    let mut cx = Context::new(Policy::entra_id());
    let body = scim_core::resource::prepare_create(users, body, &mut cx).unwrap();
    let meta = Meta::new("User", now(), scim_core::id::Version::from_revision(1));
    Resource::new(
        scim_core::id::ResourceId::new("2819c223-7f76-453a-919d-413861904646").unwrap(),
        body,
        &meta,
    )
}

fn patch(policy: Policy, existing: &Resource, ops: Value) -> Result<JsonObject, scim_core::Error> {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let mut cx = Context::new(policy);
    let request = PatchRequest::parse(
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
        &mut cx,
    )?;
    apply(users, existing.json(), &request, &mut cx).map(|o| o.resource)
}

/// crash-f45f1b54410f01d55ee4b8184dde2ce2140dcdff: a path qualified by
/// another resource type's core schema was kept as an unknown extension
/// under Entra ID's policy, so a User stored an object under the Group
/// schema and listed it in `schemas`, which no create or replace accepts.
/// It is `invalidPath` under both policies.
#[test]
fn a_path_under_another_core_schema_is_invalid_path() {
    let registry = Registry::standard();
    let user = stored_user(&registry);
    for policy in [Policy::entra_id(), Policy::strict()] {
        let err = patch(
            policy,
            &user,
            json!([
                {"op": "replace", "path": "home", "value": "home"},
                {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members", "value": "other"},
            ]),
        )
        .unwrap_err();
        assert_eq!(err.scim_type().map(|t| t.as_str().to_owned()).as_deref(), Some("invalidPath"), "{err}");
    }
}

/// The same through a pathless `add`: whatever is stored must pass the
/// checks a replace (PUT) of it would meet.
#[test]
fn a_pathless_add_under_another_core_schema_stores_nothing_a_put_refuses() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let user = stored_user(&registry);
    for policy in [Policy::entra_id(), Policy::strict()] {
        let Ok(mut patched) = patch(
            policy,
            &user,
            json!([{"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:Group": {"members": "other"}}}]),
        ) else {
            continue;
        };
        patched.remove("id");
        patched.remove("meta");
        let mut cx = Context::new(policy);
        prepare_replace(users, Value::Object(patched), &user, &mut cx).unwrap();
    }
}
