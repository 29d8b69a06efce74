use serde_json::json;

use super::*;
use crate::id::{ResourceId, Version};
use crate::resource::Meta;
use crate::schema::Registry;
use crate::tolerance::Policy;

fn users() -> std::sync::Arc<ResourceSchema> {
    Registry::standard().resource_type("User").unwrap().clone()
}

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// `body`, with `"schemas": [User]` unless it has `schemas`.
fn with_user_schema(mut body: Value) -> Value {
    if let Value::Object(obj) = &mut body {
        if !obj.keys().any(|k| k.eq_ignore_ascii_case("schemas")) {
            obj.insert("schemas".to_owned(), json!([USER]));
        }
    }
    body
}

fn create(body: Value) -> Result<JsonObject, Error> {
    create_with(body, Policy::entra_id())
}

fn create_with(body: Value, policy: Policy) -> Result<JsonObject, Error> {
    prepare_create(&users(), with_user_schema(body), &mut Context::new(policy))
}

#[test]
fn names_are_canonicalised_and_unknown_attributes_kept() {
    let out = create(json!({
        "UserName": "bjensen",
        "Name": {"GivenName": "Barbara"},
        "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user": {"Department": "Tour"},
        "urn:example:custom:1.0:Thing": {"a": 1},
        "favouriteColour": "blue",
        "schemas": [USER, "urn:foo:bar:baz"],
    }))
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({
            "userName": "bjensen",
            "name": {"givenName": "Barbara"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour"},
            "urn:example:custom:1.0:Thing": {"a": 1},
            "favouriteColour": "blue",
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "urn:example:custom:1.0:Thing",
            ],
        })
    );
}

#[test]
fn unknown_attributes_need_keep_unknown_attributes() {
    for (body, names) in [
        (
            json!({"userName": "a", "favouriteColour": "blue"}),
            "favouriteColour",
        ),
        (
            json!({"userName": "a", "name": {"nickname": "b"}}),
            "name.nickname",
        ),
        (
            json!({"userName": "a", "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"floor": 3}}),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:floor",
        ),
    ] {
        let err = create_with(body.clone(), Policy::strict()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue(m) if m.as_str().contains(names)),
            "{err}"
        );
        let mut cx = Context::new(Policy::entra_id());
        assert!(prepare_create(&users(), with_user_schema(body), &mut cx).is_ok());
        assert!(cx.fired.contains(Tolerance::KeepUnknownAttributes));
    }
}

#[test]
fn urn_qualified_members_go_where_patch_puts_them() {
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const CONTOSO: &str = "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User";
    let mut cx = Context::new(Policy::entra_id());
    let out = prepare_create(
        &users(),
        json!({"schemas": [USER], "userName": "a", format!("{CONTOSO}:costCenter"): "4711"}),
        &mut cx,
    )
    .unwrap();
    assert_eq!(out[CONTOSO], json!({"costCenter": "4711"}));
    assert_eq!(out["schemas"], json!([USER, CONTOSO]));
    for policy in [Policy::strict(), Policy::entra_id()] {
        let err = create_with(
            json!({"userName": "a", format!("{ENTERPRISE}:department"): "Lobby"}),
            policy,
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue(m) if m.as_str().contains("is a path") && m.as_str().contains("department")),
            "{err}"
        );
    }
    assert!(
        create_with(
            json!({"userName": "a", format!("{CONTOSO}:costCenter"): "4711"}),
            Policy::strict()
        )
        .is_err()
    );
}

#[test]
fn read_only_input_is_ignored_and_nulls_are_absent() {
    let out = create(json!({
        "userName": "a", "id": "x", "meta": {"version": "W/\"9\""}, "groups": [{"value": "g"}],
        "title": null, "emails": [],
    }))
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({"userName": "a", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
    );
}

#[test]
fn core_attributes_under_the_core_urn_are_top_level_attributes() {
    let out = create(json!({
        "urn:ietf:params:scim:schemas:core:2.0:User": {"userName": "a", "title": "Host"},
    }))
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({"userName": "a", "title": "Host", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
    );
    assert!(create(json!({"userName": "a", "urn:ietf:params:scim:schemas:core:2.0:User": {"userName": "b"}})).is_err());
}

#[test]
fn missing_required_and_duplicate_keys_are_refused() {
    assert!(
        matches!(create(json!({"displayName": "x"})), Err(Error::InvalidValue(m)) if m.as_str().contains("userName"))
    );
    assert!(matches!(
        create(json!({"userName": "a", "USERNAME": "b"})),
        Err(Error::InvalidSyntax(_))
    ));
    assert!(matches!(
        create(json!(["userName"])),
        Err(Error::InvalidSyntax(_))
    ));
    assert!(matches!(
        create(json!({"userName": "a", "schemas": "x"})),
        Err(Error::InvalidValue(_))
    ));
    assert!(matches!(
        create(json!({"userName": "a", "schemas": [USER], "SCHEMAS": [USER]})),
        Err(Error::InvalidSyntax(_))
    ));
}

#[test]
fn schemas_must_be_present_non_empty_and_list_the_core_schema() {
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    for policy in [Policy::strict(), Policy::entra_id()] {
        for (body, says) in [
            (json!({"userName": "a"}), "is required"),
            (json!({"userName": "a", "schemas": null}), "is required"),
            (json!({"userName": "a", "schemas": []}), "must not be empty"),
            (
                json!({"userName": "a", "schemas": ["urn:foo:bar:baz"]}),
                USER,
            ),
            (json!({"userName": "a", "schemas": [ENTERPRISE]}), USER),
            (json!({"userName": "a", "schemas": [GROUP]}), USER),
            (json!({"userName": "a", "schemas": [USER, GROUP]}), GROUP),
        ] {
            let err =
                prepare_create(&users(), body.clone(), &mut Context::new(policy)).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidValue(m) if m.as_str().contains("schemas") && m.as_str().contains(says)),
                "{policy:?} {body}: {err}"
            );
        }
        // The core schema in any case, and a registered extension
        // listed without its object, are fine.
        let out = create_with(
            json!({"userName": "a", "schemas": [USER.to_uppercase(), ENTERPRISE]}),
            policy,
        )
        .unwrap();
        assert_eq!(out["schemas"], json!([USER]));
    }
}

#[test]
fn unknown_schema_uris_and_unlisted_extensions_need_their_tolerances() {
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let extra = json!({"userName": "a", "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"]});
    let unlisted = json!({"userName": "a", "schemas": [USER], ENTERPRISE: {"department": "Lobby"}});
    let unknown = json!({"userName": "a", "schemas": [USER, "urn:example:custom:1.0:Thing"], "urn:example:custom:1.0:Thing": {"a": 1}});
    for (body, tolerance, names) in [
        (extra, Tolerance::ExtraSchemaUris, "2.0User"),
        (unlisted, Tolerance::UnlistedExtension, ENTERPRISE),
        (
            unknown,
            Tolerance::KeepUnknownAttributes,
            "urn:example:custom:1.0:Thing",
        ),
    ] {
        let err = create_with(body.clone(), Policy::strict()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue(m) if m.as_str().contains(names)),
            "{body}: {err}"
        );
        let mut cx = Context::new(Policy::strict().with(tolerance));
        let out = prepare_create(&users(), body.clone(), &mut cx).unwrap();
        assert_eq!(cx.fired.iter().collect::<Vec<_>>(), [tolerance], "{body}");
        assert_eq!(out["schemas"][0], USER);
        assert!(create_with(body, Policy::entra_id()).is_ok());
    }
    // An unlisted extension gets its URN added.
    let mut cx = Context::new(Policy::entra_id());
    let out = prepare_create(
        &users(),
        json!({"userName": "a", "schemas": [USER], "urn:example:custom:1.0:Thing": {"a": 1}}),
        &mut cx,
    )
    .unwrap();
    assert_eq!(
        out["schemas"],
        json!([USER, "urn:example:custom:1.0:Thing"])
    );
    assert!(cx.fired.contains(Tolerance::UnlistedExtension));
}

/// Users of a registry where empty strings are unassigned, with the
/// product's kind of tightening (`name.givenName` required).
fn unassigning_users() -> std::sync::Arc<ResourceSchema> {
    crate::schema::RegistryBuilder::standard()
        .configure(
            "User",
            "name.givenName",
            crate::schema::AttributeSettings::new().required(true),
        )
        .empty_strings_unassigned(true)
        .build()
        .unwrap()
        .resource_type("User")
        .unwrap()
        .clone()
}

fn stored(body: JsonObject) -> Resource {
    Resource::new(
        ResourceId::new("1").unwrap(),
        body,
        &Meta::new(
            "User",
            crate::resource::parse_date_time("2020-01-01T00:00:00Z").unwrap(),
            Version::from_revision(1),
        ),
    )
}

#[test]
fn empty_optional_strings_are_unassigned_on_create_and_replace() {
    let users = unassigning_users();
    let mut cx = Context::new(Policy::strict());
    let body = json!({
        "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "bjensen",
        "title": "",
        "name": {"givenName": "Barbara", "middleName": ""},
        "emails": [{"type": "other", "value": ""}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": ""},
    });
    let out = prepare_create(&users, body.clone(), &mut cx).unwrap();
    assert_eq!(
        Value::Object(out.clone()),
        json!({"schemas": [USER], "userName": "bjensen", "name": {"givenName": "Barbara"}})
    );
    let out = prepare_replace(&users, body, &stored(out), &mut cx).unwrap();
    assert_eq!(out.get("title"), None);
    assert_eq!(out["schemas"], json!([USER]));
    // Without the setting, "" is a value (RFC 7643).
    let kept = prepare_create(
        &self::users(),
        json!({"schemas": [USER], "userName": "b", "title": ""}),
        &mut cx,
    )
    .unwrap();
    assert_eq!(kept["title"], "");
}

#[test]
fn empty_required_strings_are_refused_with_or_without_the_setting() {
    for users in [unassigning_users(), users()] {
        let mut cx = Context::new(Policy::strict());
        let err = prepare_create(
            &users,
            json!({"schemas": [USER], "userName": "", "name": {"givenName": "B"}}),
            &mut cx,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("\"userName\" is required and cannot be empty"),
            "{err}"
        );
    }
    let err = prepare_create(
        &unassigning_users(),
        json!({"schemas": [USER], "userName": "b", "name": {"givenName": ""}}),
        &mut Context::new(Policy::strict()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("name.givenName"), "{err}");
}

#[test]
fn patch_cannot_empty_a_required_string_and_unassigns_optional_ones() {
    use crate::patch::{PatchRequest, apply};
    let users = unassigning_users();
    let mut cx = Context::new(Policy::entra_id());
    let original = prepare_create(
        &users,
        json!({"schemas": [USER], "userName": "b", "title": "Boss",
               "name": {"givenName": "B", "middleName": "M"}}),
        &mut cx,
    )
    .unwrap();
    let patch = |ops: Value| {
        let request = PatchRequest::parse(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
            &mut Context::new(Policy::entra_id()),
        )
        .unwrap();
        apply(
            &users,
            &original,
            &request,
            &mut Context::new(Policy::entra_id()),
        )
    };
    for ops in [
        json!([{"op": "replace", "path": "userName", "value": ""}]),
        json!([{"op": "replace", "value": {"userName": ""}}]),
        json!([{"op": "replace", "path": "name.givenName", "value": ""}]),
        json!([{"op": "replace", "value": {"name": {"givenName": ""}}}]),
    ] {
        let err = patch(ops.clone()).unwrap_err();
        assert!(
            matches!(err, Error::InvalidValue(ref m) if m.as_str().contains("cannot be empty")),
            "{ops}: {err}"
        );
    }
    // A partial complex value is merged: the required givenName stays.
    let out =
        patch(json!([{"op": "replace", "path": "name", "value": {"middleName": "Q"}}])).unwrap();
    assert_eq!(
        out.resource["name"],
        json!({"givenName": "B", "middleName": "Q"})
    );
    for ops in [
        json!([{"op": "replace", "path": "title", "value": ""},
               {"op": "replace", "path": "name.middleName", "value": ""}]),
        json!([{"op": "replace", "value": {"title": "", "name": {"givenName": "B", "middleName": ""}}}]),
        json!([{"op": "add", "value": {"title": "", "nickName": ""}},
               {"op": "replace", "path": "name", "value": {"givenName": "B", "middleName": ""}}]),
    ] {
        let out = patch(ops.clone()).unwrap();
        assert_eq!(out.resource.get("title"), None, "{ops}");
        assert_eq!(out.resource.get("nickName"), None, "{ops}");
        assert_eq!(out.resource["name"], json!({"givenName": "B"}), "{ops}");
    }
}

#[test]
fn replace_keeps_immutable_and_write_only_values_and_refuses_changes() {
    let users = users();
    let mut cx = Context::new(Policy::entra_id());
    let mut body = create(json!({"userName": "a", "password": "s3cret"})).unwrap();
    body.remove("schemas");
    let stored = Resource::new(
        ResourceId::new("1").unwrap(),
        body,
        &Meta::new(
            "User",
            crate::resource::parse_date_time("2020-01-01T00:00:00Z").unwrap(),
            Version::from_revision(1),
        ),
    );
    let out = prepare_replace(
        &users,
        json!({"schemas": [USER], "userName": "b"}),
        &stored,
        &mut cx,
    )
    .unwrap();
    assert_eq!(out["password"], "s3cret");
    assert_eq!(out["userName"], "b");
}

#[test]
fn immutable_attributes_are_set_once() {
    use crate::schema::{AttrType, Attribute, RegistryBuilder, ResourceType, Schema};
    let urn = SchemaUrn::new("urn:example:params:scim:schemas:core:1.0:Badge").unwrap();
    let registry = RegistryBuilder::new()
        .schema(Schema::new(
            urn.clone(),
            "Badge",
            vec![
                Attribute::new("number", AttrType::String).with_required(true),
                Attribute::new("issuedTo", AttrType::String).with_mutability(Mutability::Immutable),
            ],
        ))
        .resource_type(ResourceType::new("Badge", "/Badges", urn))
        .build()
        .unwrap();
    let badges = registry.resource_type("Badge").unwrap();
    let mut cx = Context::new(Policy::strict());
    let badge = |mut body: Value| {
        body["schemas"] = json!(["urn:example:params:scim:schemas:core:1.0:Badge"]);
        body
    };
    let mut body = prepare_create(badges, badge(json!({"number": "1"})), &mut cx).unwrap();
    body.remove("schemas");
    let stored = Resource::new(
        ResourceId::new("b1").unwrap(),
        body,
        &Meta::new(
            "Badge",
            crate::resource::parse_date_time("2020-01-01T00:00:00Z").unwrap(),
            Version::from_revision(1),
        ),
    );
    // No previous value: it may be set.
    let set = prepare_replace(
        badges,
        badge(json!({"number": "1", "issuedTo": "ann"})),
        &stored,
        &mut cx,
    )
    .unwrap();
    let mut set_body = set.clone();
    set_body.remove("schemas");
    let stored = Resource::new(
        ResourceId::new("b1").unwrap(),
        set_body,
        &Meta::new(
            "Badge",
            crate::resource::parse_date_time("2020-01-01T00:00:00Z").unwrap(),
            Version::from_revision(2),
        ),
    );
    // The same value again, or leaving it out, keeps it.
    assert_eq!(
        prepare_replace(badges, badge(json!({"number": "2"})), &stored, &mut cx).unwrap()["issuedTo"],
        "ann"
    );
    assert!(
        prepare_replace(
            badges,
            badge(json!({"number": "2", "issuedTo": "ann"})),
            &stored,
            &mut cx
        )
        .is_ok()
    );
    // Another value is refused.
    let err = prepare_replace(
        badges,
        badge(json!({"number": "2", "issuedTo": "bob"})),
        &stored,
        &mut cx,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Mutability(m) if m.as_str().contains("issuedTo")));
}
