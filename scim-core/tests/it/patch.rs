//! RFC 7644 §3.5.2 PATCH examples and Entra ID's PATCH bodies
//! (`tests/data/*-patch.json`), applied through the public API.

use scim_core::patch::{PatchRequest, apply};
use scim_core::schema::Registry;
use scim_core::tolerance::{Context, Policy};
use serde_json::Value;

#[derive(Debug)]
struct Case {
    section: String,
    name: String,
    resource_type: String,
    policy: Policy,
    resource: Value,
    request: Value,
    expected: Option<Value>,
    error: Option<String>,
    fired: Option<Vec<String>>,
    unchanged: bool,
}

fn cases(data: &str) -> Vec<Case> {
    let all: Vec<Value> = serde_json::from_str(data).unwrap();
    all.into_iter()
        .map(|c| Case {
            section: c["section"].as_str().unwrap().to_owned(),
            name: c["name"].as_str().unwrap().to_owned(),
            resource_type: c["type"].as_str().unwrap().to_owned(),
            policy: match c.get("policy").and_then(Value::as_str) {
                Some("strict") => Policy::strict(),
                _ => Policy::entra_id(),
            },
            resource: c["resource"].clone(),
            request: c["request"].clone(),
            expected: c.get("expected").cloned(),
            error: c.get("error").and_then(Value::as_str).map(str::to_owned),
            fired: c.get("fired").map(|f| {
                f.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect()
            }),
            unchanged: c.get("unchanged") == Some(&Value::Bool(true)),
        })
        .collect()
}

impl Case {
    fn run(&self) {
        let registry = Registry::standard();
        let schema = registry.resource_type(&self.resource_type).unwrap();
        let Value::Object(resource) = &self.resource else {
            panic!("{}: resource is not an object", self.name)
        };
        let mut cx = Context::new(self.policy);
        let result = PatchRequest::parse(self.request.clone(), &mut cx)
            .and_then(|request| apply(schema, resource, &request, &mut cx));
        let label = format!("{} ({})", self.name, self.section);
        match (&self.expected, &self.error, result) {
            (Some(expected), None, Ok(outcome)) => {
                assert_eq!(&Value::Object(outcome.resource), expected, "{label}");
                assert_eq!(outcome.changed, !self.unchanged, "{label}: changed flag");
            }
            (None, Some(scim_type), Err(e)) => {
                assert_eq!(
                    e.scim_type().map(|t| t.as_str().to_owned()).as_deref(),
                    Some(scim_type.as_str()),
                    "{label}: {e}"
                );
            }
            (_, _, other) => panic!("{label}: unexpected outcome {other:?}"),
        }
        if let Some(fired) = &self.fired {
            let mut got: Vec<String> = cx.fired.iter().map(|t| t.name().to_owned()).collect();
            let mut want = fired.clone();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{label}: tolerances fired");
        }
    }
}

#[test]
fn rfc7644_patch_examples_produce_the_documented_result() {
    for case in cases(include_str!("../data/rfc7644-patch.json")) {
        case.run();
    }
}

#[test]
fn entra_id_patch_bodies_have_the_documented_effect() {
    for case in cases(include_str!("../data/entra-patch.json")) {
        case.run();
    }
}

/// A value filter that compares a boolean or dateTime sub-attribute with a
/// string is `invalidFilter`, even when there are no values to test (a miss
/// must not create a value from it), under both policies.
#[test]
fn an_ill_typed_value_filter_is_invalid_filter_with_or_without_values() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let empty = serde_json::json!({"userName": "a"});
    let with_email = serde_json::json!({"userName": "a", "emails": [{"value": "a@example.org", "primary": true}]});
    for policy in [Policy::strict(), Policy::entra_id()] {
        for resource in [&empty, &with_email] {
            for op in [
                serde_json::json!({"op": "add", "path": "emails[primary eq \"yes\"].value", "value": "b@example.org"}),
                serde_json::json!({"op": "remove", "path": "emails[primary eq \"True\"]"}),
            ] {
                let mut cx = Context::new(policy);
                let request = PatchRequest::parse(
                    serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op]}),
                    &mut cx,
                )
                .unwrap();
                let err =
                    apply(users, resource.as_object().unwrap(), &request, &mut cx).unwrap_err();
                assert_eq!(
                    err.scim_type().map(|t| t.as_str().to_owned()).as_deref(),
                    Some("invalidFilter"),
                    "{err}"
                );
            }
        }
    }
}
