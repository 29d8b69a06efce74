//! Tests of the built-in schemas against RFC 7643 §8.7.
use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::schema::{AttrType, Attribute, Mutability, Returned, Schema, Uniqueness};

/// RFC 7643 §8.7.1: User, Group, EnterpriseUser.
const RFC_8_7_1: &str = include_str!("../../../tests/data/rfc7643/schemas-8.7.1.json");
/// RFC 7643 §8.7.2: ServiceProviderConfig, ResourceType, Schema.
const RFC_8_7_2: &str = include_str!("../../../tests/data/rfc7643/schemas-8.7.2.json");

/// The characteristics compared with the RFC. Where the RFC's JSON leaves
/// one out, its RFC 7643 §2.2 default applies.
const CHARACTERISTICS: [&str; 9] = [
    "type",
    "multiValued",
    "required",
    "caseExact",
    "mutability",
    "returned",
    "uniqueness",
    "canonicalValues",
    "referenceTypes",
];

fn builtin() -> Vec<Schema> {
    vec![
        user_schema(),
        group_schema(),
        enterprise_user_schema(),
        service_provider_config_schema(),
        resource_type_schema(),
        schema_schema(),
    ]
}

fn default_of(characteristic: &str) -> Value {
    match characteristic {
        "type" => json!("string"),
        "multiValued" | "required" | "caseExact" => json!(false),
        "mutability" => json!("readWrite"),
        "returned" => json!("default"),
        "uniqueness" => json!("none"),
        "canonicalValues" | "referenceTypes" => json!([]),
        other => panic!("no default for {other}"),
    }
}

fn changed(path: &str, characteristic: &str, rfc: Value, ours: Value) -> String {
    format!("{path} {characteristic}: RFC {rfc}, ours {ours}")
}

fn added(path: &str) -> String {
    format!("{path}: not in the RFC")
}

fn name_of(attr: &Value) -> &str {
    attr["name"].as_str().unwrap()
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v.get(key)
        .map(|l| l.as_array().unwrap().clone())
        .unwrap_or_default()
}

/// Every difference between two attribute lists, one line each.
fn diff(path: &str, ours: &[Value], rfc: &[Value], out: &mut BTreeSet<String>) {
    let ours_in_rfc: Vec<&str> = ours
        .iter()
        .map(name_of)
        .filter(|n| rfc.iter().any(|r| name_of(r) == *n))
        .collect();
    let rfc_in_ours: Vec<&str> = rfc
        .iter()
        .map(name_of)
        .filter(|n| ours.iter().any(|o| name_of(o) == *n))
        .collect();
    if ours_in_rfc != rfc_in_ours {
        out.insert(format!(
            "{path}: order {ours_in_rfc:?}, RFC {rfc_in_ours:?}"
        ));
    }
    for o in ours {
        let p = format!("{path}{}", name_of(o));
        let Some(r) = rfc.iter().find(|r| name_of(r) == name_of(o)) else {
            out.insert(added(&p));
            continue;
        };
        for c in CHARACTERISTICS {
            let theirs = r.get(c).cloned().unwrap_or_else(|| default_of(c));
            let mine = o.get(c).cloned().unwrap_or_else(|| default_of(c));
            if theirs != mine {
                out.insert(changed(&p, c, theirs, mine));
            }
        }
        let (o_subs, r_subs) = (list(o, "subAttributes"), list(r, "subAttributes"));
        diff(&format!("{p}."), &o_subs, &r_subs, out);
    }
    for r in rfc {
        if !ours.iter().any(|o| name_of(o) == name_of(r)) {
            out.insert(format!("{path}{}: missing", name_of(r)));
        }
    }
}

/// Every deliberate difference from RFC 7643 §8.7, with its reason.
fn deviations() -> BTreeSet<String> {
    let ce = |path: &str| changed(path, "caseExact", json!(false), json!(true));
    let words = |s: &str| json!(s.split(' ').collect::<Vec<_>>());
    [
        // §2.3.7 "A reference is case exact."
        ce("User:profileUrl"),
        ce("User:photos.value"),
        ce("User:groups.$ref"),
        ce("Group:members.$ref"),
        ce("EnterpriseUser:manager.$ref"),
        ce("Service Provider Configuration:documentationUri"),
        ce("Service Provider Configuration:authenticationSchemes.specUri"),
        ce("Service Provider Configuration:authenticationSchemes.documentationUri"),
        ce("ResourceType:endpoint"),
        // §2.3.6 "A binary is case exact."
        ce("User:x509Certificates.value"),
        // A resource `id` is case exact (§3.1); verified erratum 8472
        // for `manager.value`, the same reasoning for the other two.
        ce("EnterpriseUser:manager.value"),
        ce("User:groups.value"),
        ce("Group:members.value"),
        // §4.1.2; verified erratum 8471.
        changed(
            "User:groups.$ref",
            "referenceTypes",
            json!(["User", "Group"]),
            json!(["Group"]),
        ),
        // §2.4 default sub-attribute, used by the §8.2 example.
        added("User:addresses.primary"),
        // §4.2 "REQUIRED"; verified erratum 5368.
        changed("Group:displayName", "required", json!(false), json!(true)),
        // §2.4, used by the §8.4 example and RFC 7644 §3.5.2.1;
        // erratum 6011 (reported).
        added("Group:members.display"),
        // §5 defines `etag`, and `type` for authentication schemes;
        // the §8.5 example sends `primary`; erratum 8011 (reported).
        added("Service Provider Configuration:etag"),
        added("Service Provider Configuration:authenticationSchemes.type"),
        added("Service Provider Configuration:authenticationSchemes.primary"),
        // §6 "A list ... OPTIONAL."; verified erratum 7522.
        changed(
            "ResourceType:schemaExtensions",
            "multiValued",
            json!(false),
            json!(true),
        ),
        changed(
            "ResourceType:schemaExtensions",
            "required",
            json!(true),
            json!(false),
        ),
        // `binary` is a type (§2.3.6); verified errata 8435 and 8415.
        changed(
            "Schema:attributes.type",
            "canonicalValues",
            words("string complex boolean decimal integer dateTime reference"),
            words("string complex boolean decimal integer dateTime reference binary"),
        ),
        // Sub-attributes are never complex (§2.3.8); verified erratum
        // 8415.
        changed(
            "Schema:attributes.subAttributes.type",
            "canonicalValues",
            words("string complex boolean decimal integer dateTime reference"),
            words("string boolean decimal integer dateTime reference binary"),
        ),
        // Verified erratum 5607.
        changed(
            "Schema:attributes.subAttributes.referenceTypes",
            "multiValued",
            json!(false),
            json!(true),
        ),
    ]
    .into_iter()
    .collect()
}

#[test]
fn builtin_schemas_match_rfc_7643_section_8_7_but_for_the_listed_deviations() {
    let rfc: Vec<Value> = [RFC_8_7_1, RFC_8_7_2]
        .iter()
        .flat_map(|text| serde_json::from_str::<Vec<Value>>(text).unwrap())
        .collect();
    assert_eq!(rfc.len(), 6);
    let mut found = BTreeSet::new();
    for schema in builtin() {
        let ours = serde_json::to_value(&schema).unwrap();
        let theirs = rfc
            .iter()
            .find(|r| r["id"] == ours["id"])
            .unwrap_or_else(|| panic!("{} is not in RFC 7643 §8.7", schema.id));
        for key in ["name", "description"] {
            assert_eq!(ours[key], theirs[key], "{} {key}", schema.id);
        }
        diff(
            &format!("{}:", schema.name),
            &list(&ours, "attributes"),
            &list(theirs, "attributes"),
            &mut found,
        );
    }
    let expected = deviations();
    let unexpected: Vec<_> = found.difference(&expected).collect();
    let stale: Vec<_> = expected.difference(&found).collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "differences from RFC 7643 §8.7 not listed as deviations: {unexpected:#?}\n\
         listed deviations that no longer occur: {stale:#?}"
    );
}

/// Walks an attribute list, checking the rules of RFC 7643 §2 that the
/// built-in definitions must keep.
fn check_well_formed(owner: &str, attrs: &[Attribute], depth: usize) {
    for (i, a) in attrs.iter().enumerate() {
        let path = format!("{owner}.{}", a.name);
        // §2.1: attribute names are case-insensitive.
        assert!(
            !attrs[..i]
                .iter()
                .any(|b| b.name.eq_ignore_ascii_case(&a.name)),
            "{path} is defined twice"
        );
        assert_eq!(
            a.is_complex(),
            !a.sub_attributes.is_empty(),
            "{path}: sub-attributes belong to complex attributes, and every complex \
             attribute has some"
        );
        assert_eq!(
            a.kind == AttrType::Reference,
            !a.reference_types.is_empty(),
            "{path}: referenceTypes belong to references, and every reference has some"
        );
        if matches!(a.kind, AttrType::Reference | AttrType::Binary) {
            assert!(a.case_exact, "{path}: RFC 7643 §2.3.6, §2.3.7");
        }
        // §2.3.8; the RFC's own schema of schemas is the one exception.
        if depth > 0 && path != "Schema.attributes.subAttributes" {
            assert!(!a.is_complex(), "{path}: a sub-attribute is not complex");
        }
        // §2.3.2, §2.3.8.
        if matches!(a.kind, AttrType::Boolean | AttrType::Complex) {
            assert!(!a.case_exact, "{path} cannot be case exact");
            assert_eq!(a.uniqueness, Uniqueness::None, "{path} cannot be unique");
        }
        // RFC 7643 canonical values are suggestions.
        assert!(!a.canonical_values_enforced, "{path} enforces its values");
        check_well_formed(&path, &a.sub_attributes, depth + 1);
    }
}

#[test]
fn attribute_names_are_unique_and_characteristics_fit_the_type() {
    for schema in builtin() {
        check_well_formed(&schema.name, &schema.attributes, 0);
    }
    check_well_formed("common", &common_attributes(), 0);
}

#[test]
fn common_attributes_are_those_of_rfc_7643_section_3_1() {
    let common = common_attributes();
    let names: Vec<&str> = common.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["id", "externalId", "meta"]);

    let id = &common[0];
    assert_eq!(id.kind, AttrType::String);
    assert!(id.case_exact);
    assert_eq!(id.mutability, Mutability::ReadOnly);
    assert_eq!(id.returned, Returned::Always);
    assert_eq!(id.uniqueness, Uniqueness::Server);

    let external_id = &common[1];
    assert!(external_id.case_exact);
    assert_eq!(external_id.mutability, Mutability::ReadWrite);
    assert_eq!(external_id.returned, Returned::Default);

    let meta = &common[2];
    assert_eq!(meta.mutability, Mutability::ReadOnly);
    let subs: Vec<(&str, AttrType)> = meta
        .sub_attributes
        .iter()
        .map(|a| (a.name.as_str(), a.kind))
        .collect();
    assert_eq!(
        subs,
        [
            ("resourceType", AttrType::String),
            ("created", AttrType::DateTime),
            ("lastModified", AttrType::DateTime),
            ("location", AttrType::Reference),
            ("version", AttrType::String),
        ]
    );
    for sub in &meta.sub_attributes {
        assert_eq!(sub.mutability, Mutability::ReadOnly, "meta.{}", sub.name);
        assert_eq!(sub.returned, Returned::Default, "meta.{}", sub.name);
        let case_exact = sub.kind != AttrType::DateTime;
        assert_eq!(sub.case_exact, case_exact, "meta.{}", sub.name);
    }
    assert_eq!(
        meta.sub_attribute("location").unwrap().reference_types,
        ["uri"]
    );
}

#[test]
fn common_attribute_names_are_free_in_every_resource_schema() {
    for schema in [user_schema(), group_schema(), enterprise_user_schema()] {
        for common in common_attributes() {
            assert!(
                schema.attribute(&common.name).is_none(),
                "{} defines {}",
                schema.id,
                common.name
            );
        }
    }
}

#[test]
fn builtin_schemas_round_trip_through_json() {
    for schema in builtin() {
        let json = serde_json::to_value(&schema).unwrap();
        let back: Schema = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, schema);
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
    }
}
