use std::ops::Bound;

use serde_json::json;

use super::key::TAG_DATETIME;
use super::*;
use crate::Error;
use crate::filter::eval::SchemaFacts;
use crate::schema::{
    AttrType, AttributeSettings, Registry, RegistryBuilder, ResourceSchema, SchemaUrn,
};

fn users() -> Arc<ResourceSchema> {
    Registry::standard().resource_type("User").unwrap().clone()
}

fn position(schema: &ResourceSchema, name: &str) -> usize {
    schema
        .indexes()
        .iter()
        .position(|d| d.name() == name)
        .unwrap_or_else(|| panic!("no index {name}"))
}

fn planned(schema: &ResourceSchema, filter: &str) -> Plan {
    plan(schema, &crate::filter::parse(filter).unwrap()).unwrap()
}

fn text(s: &str) -> Vec<u8> {
    Key::Text(s.to_owned()).encoded()
}

use std::sync::Arc;

#[test]
fn the_standard_registry_indexes_what_clients_filter_on() {
    let users = users();
    let names: Vec<&str> = users.indexes().iter().map(IndexDef::name).collect();
    for name in [
        "userName",
        "externalId",
        "displayName",
        "id",
        "active",
        "emails.value",
        r#"emails[type eq "work"].value"#,
        r#"emails[type eq "other"].value"#,
        "name.givenName",
        "name.familyName",
        r#"phoneNumbers[type eq "work"].value"#,
        r#"phoneNumbers[type eq "mobile"].value"#,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "meta.created",
        "meta.lastModified",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let registry = Registry::standard();
    let groups = registry.resource_type("Group").unwrap();
    let names: Vec<&str> = groups.indexes().iter().map(IndexDef::name).collect();
    assert_eq!(
        names,
        [
            "id",
            "displayName",
            "externalId",
            "members.value",
            "meta.created",
            "meta.lastModified"
        ]
    );
    let user_name = &users.indexes()[position(&users, "userName")];
    assert_eq!(user_name.kind(), AttrType::String);
    assert!(!user_name.case_exact());
    assert!(!user_name.multi_valued());
    let work = &users.indexes()[position(&users, r#"emails[type eq "work"].value"#)];
    assert!(work.multi_valued());
    assert_eq!(
        work.value_filter().unwrap().to_string(),
        r#"type eq "work""#
    );
    let id = &users.indexes()[position(&users, "id")];
    assert!(id.case_exact());
    let created = &users.indexes()[position(&users, "meta.created")];
    assert_eq!(created.kind(), AttrType::DateTime);
}

#[test]
fn configured_paths_get_canonical_names() {
    let registry = RegistryBuilder::standard()
        .configure("user", "TITLE", AttributeSettings::new().indexed(true))
        .configure(
            "User",
            r#"urn:ietf:params:scim:schemas:core:2.0:User:ADDRESSES[TYPE eq "work" and Primary eq true].Locality"#,
            AttributeSettings::new().indexed(true),
        )
        .configure(
            "User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costcenter",
            AttributeSettings::new().indexed(true),
        )
        .build()
        .unwrap();
    let users = registry.resource_type("User").unwrap();
    let names: Vec<&str> = users.indexes().iter().map(IndexDef::name).collect();
    assert!(names.contains(&"title"));
    assert!(names.contains(&r#"addresses[type eq "work" and primary eq true].locality"#));
    assert!(
        names.contains(&"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter")
    );
}

#[test]
fn configuring_the_same_attribute_again_overrides_and_can_remove_a_default() {
    let registry = RegistryBuilder::standard()
        .configure(
            "User",
            "NAME.givenname",
            AttributeSettings::new().indexed(false),
        )
        .configure("User", "title", AttributeSettings::new().indexed(true))
        .configure("User", "title", AttributeSettings::new())
        .build()
        .unwrap();
    let users = registry.resource_type("User").unwrap();
    let names: Vec<&str> = users.indexes().iter().map(IndexDef::name).collect();
    assert!(!names.contains(&"name.givenName"));
    assert!(
        names.contains(&"title"),
        "unset settings keep the earlier ones"
    );
}

#[test]
fn build_refuses_paths_that_cannot_be_indexed() {
    let refused = |resource_type: &str, path: &str| {
        let err = RegistryBuilder::standard()
            .configure(resource_type, path, AttributeSettings::new().indexed(true))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidValue(_)), "{path}: {err:?}");
        err.to_string()
    };
    assert!(refused("Device", "userName").contains("Device"));
    assert!(refused("User", "nickname2").contains("no such attribute"));
    assert!(refused("User", "name.middle").contains("no such attribute"));
    assert!(refused("User", "emails").contains("complex"));
    assert!(refused("User", "name").contains("complex"));
    assert!(refused("User", r#"emails[type eq "work"]"#).contains("sub-attribute"));
    assert!(refused("User", r#"emails[kind eq "work"].value"#).contains("value filter"));
    assert!(refused("User", r#"name[type eq "work"].givenName"#).contains("multi-valued"));
    assert!(refused("User", r#"emails[primary gt true].value"#).contains("cannot order"));
    assert!(refused("User", "userName eq").contains("cannot index"));
    assert!(
        refused(
            "User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department"
        )
        .contains("colon")
    );
}

#[test]
fn defaults_for_attributes_a_replacement_schema_lacks_are_dropped() {
    let minimal = Schema::new(
        SchemaUrn::USER,
        "User",
        vec![Attribute::new("userName", AttrType::String)],
    );
    let registry = RegistryBuilder::standard().schema(minimal).build().unwrap();
    let users = registry.resource_type("User").unwrap();
    let names: Vec<&str> = users.indexes().iter().map(IndexDef::name).collect();
    assert!(names.contains(&"userName"));
    assert!(!names.contains(&"emails.value"));
}

use crate::schema::{Attribute, Schema};

#[test]
fn encoded_keys_sort_like_the_evaluator_orders_values() {
    let numbers = [-1e300, -3.5, -1.0, 0.0, 0.5, 1.0, 2.0, 1e20, f64::MAX];
    for w in numbers.windows(2) {
        assert!(
            Key::Number(w[0]).encoded() < Key::Number(w[1]).encoded(),
            "{w:?}"
        );
    }
    assert_eq!(Key::Number(-0.0).encoded(), Key::Number(0.0).encoded());
    let times = [i128::MIN, -1, 0, 1, 1_577_836_800_000_000_000, i128::MAX];
    for w in times.windows(2) {
        assert!(Key::DateTime(w[0]).encoded() < Key::DateTime(w[1]).encoded());
    }
    assert!(text("a") < text("ab"));
    assert!(text("ab") < text("b"));
    assert!(text("z") < text("é"));
    // Kinds never collide, each is one range.
    assert_ne!(Key::Boolean(true).encoded(), text("\u{1}"));
    assert!(Key::Boolean(true).encoded() < Key::Number(f64::MIN).encoded());
    assert_eq!(Key::Text(String::new()).encoded(), Key::EMPTY_TEXT_ENCODED);
    assert_eq!(Key::Text("x".into()).text(), Some("x"));
    assert_eq!(Key::Boolean(false).text(), None);
}

#[test]
fn entries_follow_the_evaluator_through_the_resource() {
    let users = users();
    let user = json!({
        "userName": "BJensen",
        "Active": true,
        "emails": [
            {"type": "home", "value": "B@Home.example"},
            {"type": "Work", "value": "B@Work.example"},
            {"type": "work"},
            {"value": null},
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {
            "employeeNumber": "E-1",
            "manager": {"value": "Boss"}
        },
        "id": "AbC",
        "meta": {"created": "2020-01-01T01:00:00+01:00", "lastModified": "yesterday"}
    });
    let rows = entries(&users, user.as_object().unwrap());
    let of = |name: &str| -> Vec<(u32, Key)> {
        let i = position(&users, name);
        rows.iter()
            .filter(|r| r.index == i)
            .map(|r| (r.element, r.key.clone()))
            .collect()
    };
    assert_eq!(of("userName"), [(0, Key::Text("bjensen".into()))]);
    assert_eq!(of("active"), [(0, Key::Boolean(true))]);
    assert_eq!(of("id"), [(0, Key::Text("AbC".into()))], "id is caseExact");
    assert_eq!(
        of("emails.value"),
        [
            (0, Key::Text("b@home.example".into())),
            (1, Key::Text("b@work.example".into()))
        ]
    );
    assert_eq!(
        of(r#"emails[type eq "work"].value"#),
        [(1, Key::Text("b@work.example".into()))],
        "type is not caseExact, so Work is work"
    );
    assert!(of(r#"emails[type eq "other"].value"#).is_empty());
    assert_eq!(
        of("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
        [(0, Key::Text("e-1".into()))]
    );
    assert_eq!(
        of("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
        [(0, Key::Text("Boss".into()))],
        "manager.value is caseExact"
    );
    assert_eq!(
        of("meta.created"),
        [(0, Key::DateTime(1_577_836_800_000_000_000))]
    );
    assert_eq!(
        of("meta.lastModified"),
        [(0, Key::Text("yesterday".into()))],
        "a dateTime that does not parse is compared as a string"
    );
}

#[test]
fn equality_plans_one_lookup_of_the_folded_value() {
    let users = users();
    let p = planned(&users, r#"userName eq "BJensen""#);
    assert!(p.is_exact());
    assert!(p.unindexed().is_empty());
    assert_eq!(
        p.root(),
        &Node::matching(position(&users, "userName"), KeyTest::Eq(text("bjensen")))
    );
    let p = planned(&users, r#"externalId eq "AbC""#);
    assert_eq!(
        p.root(),
        &Node::matching(position(&users, "externalId"), KeyTest::Eq(text("AbC")))
    );
    let p = planned(&users, r#"userName sw "É""#);
    assert_eq!(
        p.root(),
        &Node::matching(position(&users, "userName"), KeyTest::Prefix(text("é")))
    );
    let p = planned(&users, r#"emails co "EXAMPLE""#);
    assert_eq!(
        p.root(),
        &Node::matching(
            position(&users, "emails.value"),
            KeyTest::Contains("example".into())
        ),
        "a complex multi-valued attribute compares its value"
    );
}

#[test]
fn ne_and_null_follow_the_evaluator_on_absent_values() {
    let users = users();
    let i = position(&users, "userName");
    let p = planned(&users, r#"userName ne "x""#);
    assert!(p.is_exact());
    let range = |lower, upper| Node::matching(i, KeyTest::Range { lower, upper });
    assert_eq!(
        p.root(),
        &Node::or(vec![
            range(Bound::Unbounded, Bound::Excluded(text("x"))),
            range(Bound::Excluded(text("x")), Bound::Unbounded),
        ]),
        "ne is \"some value is not x\": the rows around x, never a resource without a value"
    );
    let p = planned(&users, "userName eq null");
    assert_eq!(p.root(), &Node::not(Node::matching(i, KeyTest::Present)));
    let p = planned(&users, "userName ne null");
    assert_eq!(p.root(), &Node::matching(i, KeyTest::Present));
    let p = planned(&users, "userName gt null");
    assert_eq!(p.root(), &Node::Nothing);
    assert!(p.is_exact());
    let p = planned(&users, "active co true");
    assert_eq!(p.root(), &Node::Nothing);
}

#[test]
fn unindexed_attributes_force_a_scan_and_are_named() {
    let users = users();
    let p = planned(&users, r#"title eq "x""#);
    assert_eq!(p.root(), &Node::All);
    assert!(!p.is_exact());
    assert_eq!(p.unindexed(), ["title"]);
    let p = planned(&users, r#"userName eq "a" and title eq "x""#);
    assert!(matches!(p.root(), Node::Match(_)));
    assert!(!p.is_exact());
    let p = planned(&users, r#"userName eq "a" or title eq "x""#);
    assert_eq!(p.root(), &Node::All);
    let p = planned(&users, r#"not (userName eq "a" and title eq "x")"#);
    assert_eq!(
        p.root(),
        &Node::All,
        "the complement of a superset is not a superset"
    );
    let p = planned(
        &users,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter pr",
    );
    assert_eq!(
        p.unindexed(),
        ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"]
    );
    let p = planned(&users, r#"emails[type eq "home"]"#);
    assert_eq!(p.unindexed(), ["emails.type"]);
}

#[test]
fn value_paths_use_the_filtered_index_when_one_is_declared() {
    let users = users();
    let work = position(&users, r#"emails[type eq "work"].value"#);
    for f in [
        r#"emails[type eq "work" and value eq "A@x"]"#,
        r#"emails[value eq "a@x" and type eq "work"]"#,
        r#"emails[type eq "work"].value eq "a@x""#,
    ] {
        let p = planned(&users, f);
        assert!(p.is_exact(), "{f}");
        assert_eq!(
            p.root(),
            &Node::matching(work, KeyTest::Eq(text("a@x"))),
            "{f}"
        );
    }
    let p = planned(
        &users,
        r#"emails[type eq "work" and (value sw "a" or value sw "b")]"#,
    );
    assert!(p.is_exact());
    let p = planned(
        &users,
        r#"emails[type eq "work" and value sw "a" and value ew "z"]"#,
    );
    assert!(!p.is_exact(), "two rows of one index may be two elements");
    let p = planned(&users, r#"emails[type eq "home" and value eq "a@x"]"#);
    assert!(!p.is_exact());
    assert_eq!(
        p.root(),
        &Node::matching(position(&users, "emails.value"), KeyTest::Eq(text("a@x")))
    );
    let p = planned(&users, r#"emails[type eq "work" and value ne "a@x"]"#);
    assert_eq!(
        p.root(),
        &Node::All,
        "an element without a value matches ne, and has no row"
    );
    let p = planned(&users, r#"emails[value pr]"#);
    assert!(p.is_exact());
}

#[test]
fn the_most_specific_filtered_index_wins() {
    let registry = RegistryBuilder::standard()
        .configure(
            "User",
            r#"emails[type eq "work" and primary eq true].value"#,
            AttributeSettings::new().indexed(true),
        )
        .build()
        .unwrap();
    let users = registry.resource_type("User").unwrap();
    let p = planned(
        users,
        r#"emails[primary eq true and type eq "work" and value eq "a"]"#,
    );
    assert!(p.is_exact());
    assert_eq!(
        p.root(),
        &Node::matching(
            position(users, r#"emails[type eq "work" and primary eq true].value"#),
            KeyTest::Eq(text("a"))
        )
    );
}

#[test]
fn date_times_compare_chronologically_and_strings_as_strings() {
    let users = users();
    let i = position(&users, "meta.created");
    let p = planned(&users, r#"meta.created gt "2020-01-01T01:00:00+01:00""#);
    assert!(p.is_exact());
    let Node::Or(branches) = p.root() else {
        panic!("{p:?}")
    };
    assert_eq!(
        branches[0],
        Node::matching(
            i,
            KeyTest::Range {
                lower: Bound::Excluded(Key::DateTime(1_577_836_800_000_000_000).encoded()),
                upper: Bound::Excluded(vec![TAG_DATETIME + 1]),
            }
        )
    );
    // A dateTime compared with text that is no dateTime is refused, as
    // the evaluator refuses it.
    let refused = plan(
        &users,
        &crate::filter::parse(r#"meta.created sw "2020""#).unwrap(),
    );
    assert!(
        matches!(refused, Err(Error::InvalidFilter(_))),
        "{refused:?}"
    );
}

#[test]
fn integers_beyond_f64_precision_widen_the_range() {
    let registry = RegistryBuilder::standard()
        .schema(Schema::new(
            SchemaUrn::from_static("urn:example:params:scim:schemas:extension:n:2.0:User"),
            "N",
            vec![Attribute::new("n", AttrType::Integer)],
        ))
        .extend(
            "User",
            SchemaUrn::from_static("urn:example:params:scim:schemas:extension:n:2.0:User"),
            false,
        )
        .configure(
            "User",
            "urn:example:params:scim:schemas:extension:n:2.0:User:n",
            AttributeSettings::new().indexed(true),
        )
        .build()
        .unwrap();
    let users = registry.resource_type("User").unwrap();
    let n = "urn:example:params:scim:schemas:extension:n:2.0:User:n";
    assert!(planned(users, &format!("{n} gt 5")).is_exact());
    assert!(planned(users, &format!("{n} eq 2.5")).is_exact());
    let p = planned(users, &format!("{n} gt 9007199254740993"));
    assert!(!p.is_exact());
    let Node::Match(Predicate {
        test: KeyTest::Range { lower, .. },
        ..
    }) = p.root()
    else {
        panic!("{p:?}")
    };
    assert!(matches!(lower, Bound::Included(_)));
    assert_eq!(planned(users, &format!("{n} sw 1")).root(), &Node::Nothing);
}

#[test]
fn plan_refuses_what_the_evaluator_refuses() {
    let users = users();
    for f in [
        "active gt true",
        "userName lt false",
        "emails ge \"a\"",
        "name le \"a\"",
    ] {
        let filter = crate::filter::parse(f).unwrap();
        let evaluator = filter.matcher(&*users as &dyn SchemaFacts).unwrap_err();
        let err = plan(&users, &filter).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidFilter(m) if m.message() == evaluator.to_string()),
            "{f}: {err:?}"
        );
    }
}

#[test]
fn key_tests_match_keys() {
    assert!(KeyTest::Present.matches(&Key::Boolean(false)));
    assert!(!KeyTest::Present.matches(&Key::Text(String::new())));
    assert!(KeyTest::Contains(String::new()).matches(&Key::Text(String::new())));
    assert!(!KeyTest::Contains("a".into()).matches(&Key::Number(1.0)));
    assert!(KeyTest::Suffix("b".into()).matches(&Key::Text("ab".into())));
    assert!(KeyTest::Prefix(text("a")).matches(&Key::Text("ab".into())));
    let all = KeyTest::Range {
        lower: Bound::Unbounded,
        upper: Bound::Unbounded,
    };
    assert!(all.matches(&Key::DateTime(0)));
    // The range form of a prefix selects the same keys.
    let prefix = text("ab");
    let range = KeyTest::Range {
        lower: Bound::Included(prefix.clone()),
        upper: Bound::Excluded(prefix_end(&prefix).unwrap()),
    };
    for k in ["a", "ab", "ab\u{10ffff}", "abz", "ac", "b", ""] {
        let key = Key::Text(k.to_owned());
        assert_eq!(
            range.matches(&key),
            KeyTest::Prefix(prefix.clone()).matches(&key),
            "{k}"
        );
    }
    assert_eq!(prefix_end(&[]), None);
}
