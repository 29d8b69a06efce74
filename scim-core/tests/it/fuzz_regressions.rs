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
        assert_eq!(
            err.scim_type().map(|t| t.as_str().to_owned()).as_deref(),
            Some("invalidPath"),
            "{err}"
        );
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

/// The group the fuzz target stores, after create.
fn stored_group(registry: &Registry) -> Resource {
    let groups = registry.resource_type("Group").unwrap();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Tour Guides",
        "members": [{"value": "2819c223-7f76-453a-919d-413861904646", "type": "User"}],
    });
    let mut cx = Context::new(Policy::entra_id());
    let body = scim_core::resource::prepare_create(groups, body, &mut cx).unwrap();
    let meta = Meta::new("Group", now(), scim_core::id::Version::from_revision(1));
    Resource::new(
        scim_core::id::ResourceId::new("e9e30dba-f08f-4109-8486-d5c6a331660a").unwrap(),
        body,
        &meta,
    )
}

/// crash-13c1840c6700deaac7ee0f5b9a9e16bbd55da932: a filtered `add` that
/// matched no member created one from the filter (create-on-filtered-miss),
/// but the value's `"value": null` unset the id the filter seeded, so the
/// group stored a member without `value`, which a PUT refuses. It is
/// `invalidValue` now; a value that keeps the id still creates the member.
#[test]
fn a_member_created_on_a_filtered_miss_keeps_its_value() {
    let registry = Registry::standard();
    let groups = registry.resource_type("Group").unwrap();
    let group = stored_group(&registry);
    let request = |value: Value| {
        let mut cx = Context::new(Policy::entra_id());
        let request = PatchRequest::parse(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                {"op": "add", "path": "groups", "value": 3_257_002_147_513_446_712_u64},
                {"op": "add", "path": "members[value eq \"missing\"]", "value": value},
            ]}),
            &mut cx,
        )
        .unwrap();
        apply(groups, group.json(), &request, &mut cx)
    };
    let err = request(json!({"value": null, "display": "x"})).unwrap_err();
    assert_eq!(
        err.scim_type().map(|t| t.as_str().to_owned()).as_deref(),
        Some("invalidValue"),
        "{err}"
    );

    let patched = request(json!({"display": "x"})).unwrap().resource;
    assert_eq!(
        patched["members"][1],
        json!({"value": "missing", "display": "x"})
    );
    let mut body = patched;
    body.remove("id");
    body.remove("meta");
    let mut cx = Context::new(Policy::entra_id());
    prepare_replace(groups, Value::Object(body), &group, &mut cx).unwrap();
}
