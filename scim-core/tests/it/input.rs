//! Create and replace input: RFC 7643 §8 examples through the engine, and
//! a table of malformed bodies with their errors.

use scim_core::Error;
use scim_core::resource::prepare_create;
use scim_core::schema::Registry;
use scim_core::tolerance::{Context, Policy};
use serde_json::{Value, json};

fn create(
    resource_type: &str,
    body: Value,
    policy: Policy,
) -> Result<serde_json::Map<String, Value>, Error> {
    let registry = Registry::standard();
    let schema = registry.resource_type(resource_type).unwrap();
    prepare_create(
        schema,
        with_schemas(schema, body),
        &mut Context::new(policy),
    )
}

/// `body` with the `schemas` a client sends (the core schema and each
/// extension present), unless it has `schemas`; the cases below are about
/// other members.
fn with_schemas(schema: &scim_core::schema::ResourceSchema, mut body: Value) -> Value {
    if let Value::Object(obj) = &mut body {
        if !obj.contains_key("schemas") {
            let mut urns = vec![json!(schema.core().id.as_str())];
            for (ext, _) in schema.extensions() {
                if obj.contains_key(ext.id.as_str()) {
                    urns.push(json!(ext.id.as_str()));
                }
            }
            obj.insert("schemas".to_owned(), Value::Array(urns));
        }
    }
    body
}

/// Every RFC 7643 §8 example resource is accepted as it is under the strict
/// policy, and comes back unchanged apart from what the service owns (`id`,
/// `meta`) and read-only input that clients may not set (a User's
/// `groups`).
#[test]
fn rfc7643_examples_round_trip_through_create() {
    for (resource_type, file) in [
        (
            "User",
            include_str!("../data/rfc7643/8.1-minimal-user.json"),
        ),
        ("User", include_str!("../data/rfc7643/8.2-full-user.json")),
        (
            "User",
            include_str!("../data/rfc7643/8.3-enterprise-user.json"),
        ),
        ("Group", include_str!("../data/rfc7643/8.4-group.json")),
    ] {
        let example: Value = serde_json::from_str(file).unwrap();
        let out = create(resource_type, example.clone(), Policy::strict()).unwrap();
        let mut expected = example.as_object().unwrap().clone();
        for service_owned in ["id", "meta", "groups"] {
            expected.remove(service_owned);
        }
        // Read-only sub-attributes are ignored on input too.
        if let Some(Value::Object(ext)) =
            expected.get_mut("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        {
            if let Some(Value::Object(manager)) = ext.get_mut("manager") {
                manager.remove("displayName");
            }
        }
        assert_eq!(
            Value::Object(out),
            Value::Object(expected),
            "{resource_type}: {file}"
        );
    }
}

struct Malformed {
    name: &'static str,
    resource_type: &'static str,
    body: Value,
    scim_type: &'static str,
    detail_names: &'static str,
}

impl Malformed {
    fn run(&self) {
        let err =
            create(self.resource_type, self.body.clone(), Policy::entra_id()).expect_err(self.name);
        assert_eq!(
            err.scim_type().unwrap().as_str(),
            self.scim_type,
            "{}: {err}",
            self.name
        );
        assert_eq!(err.status().as_u16(), 400, "{}", self.name);
        assert!(
            err.to_string().contains(self.detail_names),
            "{}: detail {err:?} should name {:?}",
            self.name,
            self.detail_names
        );
    }
}

#[test]
fn malformed_bodies_get_the_right_error() {
    let cases = [
        Malformed {
            name: "not an object",
            resource_type: "User",
            body: json!([1]),
            scim_type: "invalidSyntax",
            detail_names: "object",
        },
        Malformed {
            name: "a string body",
            resource_type: "User",
            body: json!("x"),
            scim_type: "invalidSyntax",
            detail_names: "object",
        },
        Malformed {
            name: "missing userName",
            resource_type: "User",
            body: json!({"name": {"givenName": "a"}}),
            scim_type: "invalidValue",
            detail_names: "userName",
        },
        Malformed {
            name: "null userName",
            resource_type: "User",
            body: json!({"userName": null}),
            scim_type: "invalidValue",
            detail_names: "userName",
        },
        Malformed {
            name: "missing displayName",
            resource_type: "Group",
            body: json!({"members": []}),
            scim_type: "invalidValue",
            detail_names: "displayName",
        },
        Malformed {
            name: "userName a number",
            resource_type: "User",
            body: json!({"userName": 5}),
            scim_type: "invalidValue",
            detail_names: "userName",
        },
        Malformed {
            name: "active yes",
            resource_type: "User",
            body: json!({"userName": "a", "active": "yes"}),
            scim_type: "invalidValue",
            detail_names: "active",
        },
        Malformed {
            name: "active 1",
            resource_type: "User",
            body: json!({"userName": "a", "active": 1}),
            scim_type: "invalidValue",
            detail_names: "active",
        },
        Malformed {
            name: "name a string",
            resource_type: "User",
            body: json!({"userName": "a", "name": "Babs"}),
            scim_type: "invalidValue",
            detail_names: "name",
        },
        Malformed {
            name: "givenName an object",
            resource_type: "User",
            body: json!({"userName": "a", "name": {"givenName": {}}}),
            scim_type: "invalidValue",
            detail_names: "name.givenName",
        },
        Malformed {
            name: "emails a number",
            resource_type: "User",
            body: json!({"userName": "a", "emails": 5}),
            scim_type: "invalidValue",
            detail_names: "emails",
        },
        Malformed {
            name: "email value a number",
            resource_type: "User",
            body: json!({"userName": "a", "emails": [{"value": 1}]}),
            scim_type: "invalidValue",
            detail_names: "emails.value",
        },
        Malformed {
            name: "two primary emails",
            resource_type: "User",
            body: json!({"userName": "a", "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}),
            scim_type: "invalidValue",
            detail_names: "primary",
        },
        Malformed {
            name: "nested arrays",
            resource_type: "User",
            body: json!({"userName": "a", "emails": [[{"value": "a"}]]}),
            scim_type: "invalidValue",
            detail_names: "emails",
        },
        Malformed {
            name: "NUL in userName",
            resource_type: "User",
            body: json!({"userName": "a\u{0}b"}),
            scim_type: "invalidValue",
            detail_names: "userName",
        },
        Malformed {
            name: "NUL in an unknown attribute",
            resource_type: "User",
            body: json!({"userName": "a", "x": ["\u{0}"]}),
            scim_type: "invalidValue",
            detail_names: "x",
        },
        Malformed {
            name: "userName twice in different case",
            resource_type: "User",
            body: json!({"userName": "a", "USERNAME": "b"}),
            scim_type: "invalidSyntax",
            detail_names: "userName",
        },
        Malformed {
            name: "schemas not an array",
            resource_type: "User",
            body: json!({"userName": "a", "schemas": "urn:ietf:params:scim:schemas:core:2.0:User"}),
            scim_type: "invalidValue",
            detail_names: "schemas",
        },
        Malformed {
            name: "extension not an object",
            resource_type: "User",
            body: json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}),
            scim_type: "invalidValue",
            detail_names: "enterprise",
        },
        Malformed {
            name: "extension attribute wrong type",
            resource_type: "User",
            body: json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": 7}}),
            scim_type: "invalidValue",
            detail_names: "department",
        },
        Malformed {
            name: "manager a number",
            resource_type: "User",
            body: json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": 7}}),
            scim_type: "invalidValue",
            detail_names: "manager",
        },
        Malformed {
            name: "members not an array of objects",
            resource_type: "Group",
            body: json!({"displayName": "g", "members": [5]}),
            scim_type: "invalidValue",
            detail_names: "members",
        },
        Malformed {
            name: "single-valued given two values",
            resource_type: "User",
            body: json!({"userName": ["a", "b"]}),
            scim_type: "invalidValue",
            detail_names: "userName",
        },
        Malformed {
            name: "x509 value not a string",
            resource_type: "User",
            body: json!({"userName": "a", "x509Certificates": [{"value": true}]}),
            scim_type: "invalidValue",
            detail_names: "x509Certificates.value",
        },
    ];
    for case in &cases {
        case.run();
    }
}

#[test]
fn shapes_only_tolerances_accept_are_refused_by_the_strict_policy() {
    for body in [
        json!({"userName": "a", "active": "True"}),
        json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "m1"}}),
        json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": [{"value": "m1"}]}}),
    ] {
        let err = create("User", body.clone(), Policy::strict()).expect_err("strict");
        assert!(matches!(err, Error::InvalidValue(_)), "{body}: {err}");
        assert!(create("User", body, Policy::entra_id()).is_ok());
    }
}

/// The shape tolerances cover only what Entra ID is documented to send
/// (a bare or one-element-array `manager`); the same shapes elsewhere are
/// refused under the Entra policy too, naming the attribute.
#[test]
fn shapes_no_client_is_documented_to_send_are_refused_by_every_policy() {
    for (body, named) in [
        (json!({"userName": ["x"]}), "userName"),
        (json!({"userName": "a", "active": [true]}), "active"),
        (
            json!({"userName": "a", "emails": "a@example.org"}),
            "emails",
        ),
        (
            json!({"userName": "a", "emails": {"value": "a@example.org"}}),
            "emails",
        ),
        (
            json!({"userName": "a", "name": [{"givenName": "A"}]}),
            "name",
        ),
        (
            json!({"userName": "a", "name": {"givenName": ["A"]}}),
            "name.givenName",
        ),
        (
            json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": ["Lobby"]}}),
            "department",
        ),
        (
            json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": ["m1"]}}}),
            "manager.value",
        ),
    ] {
        for policy in [Policy::strict(), Policy::entra_id()] {
            let err = create("User", body.clone(), policy).expect_err("refused");
            assert!(
                matches!(&err, Error::InvalidValue(m) if m.as_str().contains(named)),
                "{body}: {err}"
            );
        }
    }
}

#[test]
fn lenient_input_is_normalised() {
    let out = create(
        "User",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],
            "userName": "a",
            "active": "TRUE",
            "emails": [{"value": "a@example.com", "type": "work"}, {"value": "a@example.com", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "m1", "department": "Lobby"},
            "phoneNumbers": null,
            "roles": [],
        }),
        Policy::entra_id(),
    )
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "a",
            "active": true,
            "emails": [{"value": "a@example.com", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m1"}, "department": "Lobby"},
        })
    );
}
