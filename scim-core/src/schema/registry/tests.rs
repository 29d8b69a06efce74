use super::*;
use crate::filter::eval::ValueKind;

fn users() -> Arc<ResourceSchema> {
    Registry::standard().resource_type("user").unwrap().clone()
}

fn path(s: &str) -> AttrPath {
    s.parse().unwrap()
}

#[test]
fn paths_resolve_through_core_common_and_extension_schemas() {
    let users = users();
    let r = users.resolve(&path("NAME.GIVENNAME")).unwrap();
    assert_eq!(r.display(), "name.givenName");
    assert_eq!(users.resolve(&path("id")).unwrap().attr.name, "id");
    assert_eq!(
        users.resolve(&path("meta.lastModified")).unwrap().display(),
        "meta.lastModified"
    );
    let r = users
        .resolve(&path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ))
        .unwrap();
    assert_eq!(r.top_key(), SchemaUrn::ENTERPRISE_USER.as_str());
    assert_eq!(r.leaf().name, "value");
    let r = users
        .resolve(&path("urn:ietf:params:scim:schemas:core:2.0:User:userName"))
        .unwrap();
    assert!(r.extension.is_none());
    assert!(users.resolve(&path("nope")).is_none());
    assert!(users.resolve(&path("name.nope")).is_none());
    assert!(users.resolve(&path("urn:example:x:userName")).is_none());
}

#[test]
fn legacy_dotted_extension_paths_resolve_and_say_so() {
    let users = users();
    let r = users
        .resolve(&path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department",
        ))
        .unwrap();
    assert!(r.legacy_dotted_urn);
    assert_eq!(r.attr.name, "department");
}

#[test]
fn a_bare_extension_urn_names_the_extension() {
    let users = users();
    let p = path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    assert!(users.resolve(&p).is_none());
    assert_eq!(
        users.extension_of_path(&p).unwrap().id,
        SchemaUrn::ENTERPRISE_USER
    );
}

#[test]
fn facts_come_from_the_schema() {
    let users = users();
    let facts = SchemaFacts::attribute(&*users, AttrRef::new(&path("emails.value")));
    assert!(!facts.case_exact);
    assert_eq!(facts.kind, Some(ValueKind::String));
    let facts = SchemaFacts::attribute(&*users, AttrRef::new(&path("id")));
    assert!(facts.case_exact);
    let facts = SchemaFacts::attribute(&*users, AttrRef::new(&path("active")));
    assert_eq!(facts.kind, Some(ValueKind::Boolean));
    assert!(users.is_core_schema("urn:ietf:params:scim:schemas:core:2.0:user"));
    assert!(!users.is_core_schema(SchemaUrn::ENTERPRISE_USER.as_str()));
}

#[test]
fn build_refuses_inconsistent_registrations() {
    let unknown = RegistryBuilder::standard()
        .extend("User", SchemaUrn::from_static("urn:example:a:b"), false)
        .build();
    assert!(matches!(unknown, Err(Error::InvalidValue(_))));
    let no_type = RegistryBuilder::standard()
        .extend("Device", SchemaUrn::ENTERPRISE_USER, false)
        .build();
    assert!(no_type.is_err());
    let clash = RegistryBuilder::standard()
        .resource_type(ResourceType::new("People", "/users", SchemaUrn::USER))
        .build();
    assert!(clash.is_err());
}

#[test]
fn membership_is_declared_by_the_resource_type() {
    let registry = Registry::standard();
    let groups = registry.resource_type("Group").unwrap();
    assert_eq!(
        groups.membership().map(|a| a.name.as_str()),
        Some("members")
    );
    assert!(users().membership().is_none());

    // A type of an application's own has members only if it says so.
    let team = |rt: ResourceType| RegistryBuilder::standard().resource_type(rt).build();
    let plain = team(ResourceType::new("Team", "/Teams", SchemaUrn::GROUP)).unwrap();
    assert!(plain.resource_type("Team").unwrap().membership().is_none());
    let declared =
        team(ResourceType::new("Team", "/Teams", SchemaUrn::GROUP).with_membership("MEMBERS"))
            .unwrap();
    let teams = declared.resource_type("Team").unwrap();
    assert_eq!(teams.membership().map(|a| a.name.as_str()), Some("members"));

    // The attribute must be a multi-valued complex one with a `value`.
    for attribute in ["displayName", "nothing"] {
        let bad =
            team(ResourceType::new("Team", "/Teams", SchemaUrn::GROUP).with_membership(attribute));
        assert!(matches!(bad, Err(Error::InvalidValue(_))), "{attribute}");
    }

    // A replacement Group schema without `members` drops the default.
    let bare = Schema::new(SchemaUrn::GROUP, "Group", vec![]);
    let registry = RegistryBuilder::standard().schema(bare).build().unwrap();
    assert!(
        registry
            .resource_type("Group")
            .unwrap()
            .membership()
            .is_none()
    );
}
