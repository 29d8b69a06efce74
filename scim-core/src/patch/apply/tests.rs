use serde_json::{Value, json};

use super::mutate::same_value;
use super::{PatchOutcome, apply};
use crate::Error;
use crate::filter::PatchPath;
use crate::patch::{PatchOperation, PatchRequest};
use crate::schema::{AttrType, Attribute, JsonObject, Registry};
use crate::tolerance::{Context, Policy};

#[test]
fn same_value_follows_case_exactness() {
    let plain = Attribute::new("value", AttrType::String);
    let exact = Attribute::new("value", AttrType::String).with_case_exact(true);
    assert!(same_value(
        &plain,
        &json!("A@Example.org"),
        &json!("a@example.org")
    ));
    assert!(!same_value(
        &exact,
        &json!("A@Example.org"),
        &json!("a@example.org")
    ));
    assert!(same_value(&exact, &json!("a"), &json!("a")));
    assert!(!same_value(&plain, &json!(1), &json!("1")));
}

fn user() -> JsonObject {
    let Value::Object(user) = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223", "userName": "amelia", "title": "Tour Guide",
        "emails": [
            {"type": "work", "value": "amelia@example.com", "primary": true},
            {"type": "home", "value": "amelia@home.example"},
        ],
    }) else {
        unreachable!()
    };
    user
}

fn run(request: PatchRequest, policy: Policy) -> Result<PatchOutcome, Error> {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    apply(users, &user(), &request, &mut Context::new(policy))
}

fn path(s: &str) -> PatchPath {
    s.parse().unwrap()
}

#[test]
fn operations_built_with_the_constructors_apply() {
    let request = PatchRequest::new(vec![
        PatchOperation::replace(Some(path("title")), json!("Curator")),
        PatchOperation::add(None, json!({"nickName": "Amy"})),
        PatchOperation::remove(path("emails[type eq \"home\"]")),
    ]);
    let patched = run(request, Policy::strict()).unwrap();
    assert!(patched.changed);
    assert_eq!(patched.resource["title"], "Curator");
    assert_eq!(patched.resource["nickName"], "Amy");
    assert_eq!(
        patched.resource["emails"],
        json!([{"type": "work", "value": "amelia@example.com", "primary": true}])
    );
}

#[test]
fn a_remove_with_a_value_needs_the_tolerance_and_one_without_a_path_has_no_target() {
    let by_value = || {
        PatchRequest::new(vec![PatchOperation::remove_value(
            path("emails"),
            json!([{"value": "amelia@home.example"}]),
        )])
    };
    let err = run(by_value(), Policy::strict()).unwrap_err();
    assert!(matches!(err, Error::InvalidValue(_)), "{err}");
    let patched = run(by_value(), Policy::entra_id()).unwrap();
    assert_eq!(patched.resource["emails"].as_array().unwrap().len(), 1);

    let pathless = PatchRequest::new(vec![PatchOperation::Remove {
        path: None,
        value: None,
    }]);
    let err = run(pathless, Policy::entra_id()).unwrap_err();
    assert_eq!(err.scim_type().unwrap().as_str(), "noTarget");
    assert_eq!(err.detail(), "operation 0: remove needs a \"path\"");
}

#[test]
fn emptied_values_attributes_and_extensions_are_dropped_once() {
    // Removing the last sub-attribute of each value drops the emptied
    // values and then the attribute.
    let request = PatchRequest::new(vec![
        PatchOperation::remove(path("emails.type")),
        PatchOperation::remove(path("emails.value")),
        PatchOperation::remove(path("emails.primary")),
    ]);
    let patched = run(request, Policy::strict()).unwrap();
    assert!(!patched.resource.contains_key("emails"));
    // Setting and then removing the only extension attribute leaves no
    // empty extension object behind.
    let department = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
    let request = PatchRequest::new(vec![
        PatchOperation::add(Some(path(department)), json!("Visitor Services")),
        PatchOperation::remove(path(department)),
    ]);
    let patched = run(request, Policy::strict()).unwrap();
    assert!(
        !patched
            .resource
            .contains_key("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
        "{:?}",
        patched.resource
    );
    // So does a whole-extension `add` that sets nothing, which once left
    // `{}` under the URN.
    let request = PatchRequest::new(vec![PatchOperation::add(
        Some(path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        )),
        json!({"department": null}),
    )]);
    let patched = run(request, Policy::strict()).unwrap();
    assert!(!patched.changed);
    assert!(
        !patched
            .resource
            .contains_key("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
        "{:?}",
        patched.resource
    );
}
