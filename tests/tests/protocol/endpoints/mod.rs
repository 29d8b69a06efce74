//! Every endpoint of RFC 7644 and every status it can answer, driven
//! in-process: resources (§3.3–§3.6), queries and projections (§3.4, §3.9),
//! `.search` (§3.4.3), cursors (RFC 9865), conditional requests (§3.14),
//! discovery (§4), errors (§3.12), authentication and tenant isolation.

mod crud;
mod discovery;
mod http;
mod list;
mod patch;
mod projection;
mod search;
mod tenants;

use scim_core::schema::{
    AttrType, Attribute, Mutability, Registry, RegistryBuilder, Schema, SchemaUrn,
};
use scim_tests::{BASE_URL, ENTERPRISE_SCHEMA as ENTERPRISE, Harness, Reply, USER_SCHEMA as USER};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn user_body(user_name: &str) -> Value {
    json!({"schemas": [USER], "userName": user_name})
}

fn location(kind: &str, id: &str) -> String {
    format!("{BASE_URL}/{kind}/{id}")
}

fn id_of(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap().to_owned()
}

fn etag_of(reply: &Reply) -> String {
    reply.header("etag").unwrap().to_owned()
}

/// Five users: alice, bob and dave are Engineers, carol a Manager, eve has
/// no title. Returns their ids in that order.
async fn seed_users(scim: &Harness) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, title) in [
        ("alice", Some("Engineer")),
        ("bob", Some("Engineer")),
        ("carol", Some("Manager")),
        ("dave", Some("Engineer")),
        ("eve", None),
    ] {
        let mut body = user_body(name);
        if let Some(title) = title {
            body["title"] = json!(title);
        }
        ids.push(id_of(&scim.post("/Users", body).await.expect(201)));
    }
    ids
}

/// Barbara Jensen with core, multi-valued, write-only and extension
/// attributes.
fn babs() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "bjensen",
        "externalId": "bj-ext",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "title": "Tour Guide",
        "password": "t1meMa$heen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        ENTERPRISE: {"department": "Tour Operations", "employeeNumber": "701984"}
    })
}

/// `babs()` as the service returns it: without the password, with `id`
/// and this `meta`.
fn babs_returned(id: &str, meta: &Value) -> Value {
    let mut expected = babs();
    expected.as_object_mut().unwrap().remove("password");
    expected["id"] = json!(id);
    expected["meta"] = meta.clone();
    expected
}

const BADGE: &str = "urn:example:params:scim:schemas:extension:badge:2.0:User";

/// The standard registry plus a User extension with an immutable
/// `badgeNumber`.
fn badge_registry() -> Registry {
    let urn = SchemaUrn::new(BADGE).unwrap();
    RegistryBuilder::standard()
        .schema(Schema::new(
            urn.clone(),
            "Badge",
            vec![
                Attribute::new("badgeNumber", AttrType::String)
                    .with_mutability(Mutability::Immutable),
            ],
        ))
        .extend("User", urn, false)
        .build()
        .unwrap()
}
