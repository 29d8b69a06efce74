//! Benchmarks of `scim-core`'s pure operations: parsing and validating the
//! RFC 7643 §8.3 enterprise user, applying Entra ID's five-operation user
//! PATCH, projecting a user to `attributes=userName,emails`, and adding one
//! member to a group of 100,000.
//!
//! Run with `cargo bench --manifest-path benches/Cargo.toml --bench core`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use scim_core::patch::{PatchRequest, apply};
use scim_core::project::Projection;
use scim_core::resource::prepare_create;
use scim_core::schema::Registry;
use scim_core::tolerance::{Context, Policy};
use serde_json::{Map, Value, json};

const ENTERPRISE_USER: &str = include_str!("../../scim-core/tests/data/rfc7643/8.3-enterprise-user.json");

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(o) => o,
        _ => unreachable!(),
    }
}

fn entra_patch() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Visitor Services"},
        {"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 206 555 0199"},
        {"op": "Add", "path": "emails[type eq \"other\"].value", "value": "amelia.hart@hartfamily.example"},
        {"op": "Replace", "path": "name.familyName", "value": "Hart-Lowe"},
        {"op": "Replace", "path": "userName", "value": "amelia.hart-lowe@northwind.example"}
    ]})
}

fn bench(c: &mut Criterion) {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();

    c.bench_function("validate/rfc_enterprise_user", |b| {
        b.iter(|| {
            let body: Value = serde_json::from_str(black_box(ENTERPRISE_USER)).unwrap();
            prepare_create(users, body, &mut Context::new(Policy::entra_id())).unwrap()
        });
    });

    let user: Value = serde_json::from_str(ENTERPRISE_USER).unwrap();
    let mut stored = prepare_create(users, user, &mut Context::new(Policy::entra_id())).unwrap();
    stored.insert("id".into(), json!("2819c223-7f76-453a-919d-413861904646"));
    stored.insert("meta".into(), json!({"resourceType": "User", "version": "W/\"1\""}));
    c.bench_function("patch/entra_5_operations", |b| {
        b.iter(|| {
            let mut cx = Context::new(Policy::entra_id());
            let request = PatchRequest::parse(entra_patch(), &mut cx).unwrap();
            apply(users, black_box(&stored), &request, &mut cx).unwrap()
        });
    });

    let projection = Projection::parse(users, Some("userName,emails"), None).unwrap();
    c.bench_function("project/user_attributes_userName_emails", |b| {
        b.iter_batched(
            || stored.clone(),
            |mut u| {
                projection.apply(users, &mut u);
                u
            },
            BatchSize::SmallInput,
        );
    });

    let members: Vec<Value> = (0..100_000).map(|i| json!({"value": format!("user-{i}")})).collect();
    let group = object(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "g1", "displayName": "Everyone", "members": members,
        "meta": {"resourceType": "Group", "version": "W/\"1\""},
    }));
    let add_one = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "new-member"}]}]});
    let mut g = c.benchmark_group("group_100k");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("patch_apply_add_one_member", |b| {
        b.iter(|| {
            let mut cx = Context::new(Policy::entra_id());
            let request = PatchRequest::parse(add_one.clone(), &mut cx).unwrap();
            apply(groups, black_box(&group), &request, &mut cx).unwrap()
        });
    });
    // The membership path a store's `modify_members` takes: the delta from
    // the request, applied to the stored group (the copy made for each
    // iteration is not measured).
    let mut cx = Context::new(Policy::entra_id());
    let request = PatchRequest::parse(add_one.clone(), &mut cx).unwrap();
    let delta = scim_core::patch::member_delta(groups, &request, &mut cx).unwrap().unwrap();
    g.bench_function("member_delta_add_one_member", |b| {
        b.iter_batched(
            || group.clone(),
            |mut target| {
                scim_core::store::apply_member_delta(groups, &mut target, black_box(&delta));
                target
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
