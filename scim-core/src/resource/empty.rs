//! "Empty strings are not values": under a registry built with
//! [`RegistryBuilder::empty_strings_unassigned`](crate::schema::RegistryBuilder::empty_strings_unassigned),
//! an empty string given for an attribute that is not required means
//! "unassigned" and is dropped, as RFC 7643 §2.5 drops `null` and empty
//! arrays. An empty required value is refused before this runs (the
//! required checks of create, replace and PATCH).

use serde_json::Value;

use crate::schema::{Attribute, JsonObject, Mutability, ResourceSchema};

/// Drops the empty strings of optional attributes from a checked
/// resource body, when `schema` says empty strings are unassigned:
///
/// * an empty string value of a simple attribute or sub-attribute that is
///   not `required`;
/// * an element of a multi-valued attribute whose `value` was such an
///   empty string (`{"type": "work", "value": ""}` is no email), or that is
///   an empty string itself;
/// * a complex value or list left with nothing in it.
///
/// Required attributes keep their values (a resource stored before a rule
/// may hold an empty one and stays patchable); read-only attributes and
/// attributes no schema defines (kept verbatim by a tolerance) are left
/// alone. An optional extension left empty is removed: the return value
/// says so, and `schemas` must then be rebuilt.
pub(crate) fn drop_empty_strings(schema: &ResourceSchema, body: &mut JsonObject) -> bool {
    if !schema.empty_strings_unassigned() {
        return false;
    }
    let mut removed_extension = false;
    let keys: Vec<String> = body.keys().cloned().collect();
    for key in keys {
        if let Some((ext, required)) = schema.extensions().find(|(e, _)| e.id.matches(&key)) {
            if let Some(Value::Object(inner)) = body.get_mut(&key) {
                drop_in_object(&ext.attributes, inner);
                if inner.is_empty() && !required {
                    body.remove(&key);
                    removed_extension = true;
                }
            }
        } else if let Some(attr) = schema.attribute(&key) {
            drop_in_entry(attr, body, &key);
        }
    }
    removed_extension
}

/// [`drop_in_entry`] for every key of `obj` that one of `attrs` defines.
fn drop_in_object(attrs: &[Attribute], obj: &mut JsonObject) {
    let keys: Vec<String> = obj.keys().cloned().collect();
    for key in keys {
        if let Some(attr) = attrs.iter().find(|a| a.name.eq_ignore_ascii_case(&key)) {
            drop_in_entry(attr, obj, &key);
        }
    }
}

/// Cleans one element of the multi-valued `attr`; `false` when it is
/// unassigned.
fn keep_element(attr: &Attribute, item: &mut Value) -> bool {
    match item {
        Value::String(s) => !s.is_empty(),
        Value::Object(element) => {
            let had_value = element.keys().any(|k| k.eq_ignore_ascii_case("value"));
            drop_in_object(&attr.sub_attributes, element);
            let lost_value = had_value && !element.keys().any(|k| k.eq_ignore_ascii_case("value"));
            !lost_value && !element.is_empty()
        }
        _ => true,
    }
}

/// Cleans the value of `attr` under `key` in `obj`, removing it when it is
/// unassigned.
fn drop_in_entry(attr: &Attribute, obj: &mut JsonObject, key: &str) {
    if attr.mutability == Mutability::ReadOnly {
        return;
    }
    let Some(value) = obj.get_mut(key) else {
        return;
    };
    // Sub-attributes and elements are cleaned under a required attribute
    // too (`name` is required when `name.givenName` is); only a required
    // attribute's own value stays, even when it ends up empty.
    let unassigned = match value {
        Value::String(s) => s.is_empty(),
        Value::Array(items) => {
            items.retain_mut(|item| keep_element(attr, item));
            items.is_empty()
        }
        Value::Object(inner) => {
            drop_in_object(&attr.sub_attributes, inner);
            inner.is_empty()
        }
        _ => false,
    };
    if unassigned && !attr.required {
        obj.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::{AttributeSettings, Registry, RegistryBuilder};

    fn obj(v: Value) -> JsonObject {
        match v {
            Value::Object(o) => o,
            _ => unreachable!("test data is an object"),
        }
    }

    fn users(unassigned: bool) -> std::sync::Arc<ResourceSchema> {
        RegistryBuilder::standard()
            .configure(
                "User",
                "name.givenName",
                AttributeSettings::new().required(true),
            )
            .empty_strings_unassigned(unassigned)
            .build()
            .unwrap()
            .resource_type("User")
            .unwrap()
            .clone()
    }

    #[test]
    fn empty_optional_strings_are_dropped_at_every_level() {
        let mut body = obj(json!({
            "userName": "bjensen",
            "title": "",
            "displayName": "Babs",
            "name": {"givenName": "Barbara", "middleName": "", "honorificPrefix": ""},
            "emails": [
                {"type": "work", "value": "bjensen@example.com"},
                {"type": "other", "value": ""},
            ],
            "phoneNumbers": [{"type": "mobile", "value": ""}],
            "addresses": [{"type": "work", "locality": "", "country": "US"}],
            "x509Certificates": [{"value": ""}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                {"department": "", "costCenter": ""},
        }));
        assert!(
            drop_empty_strings(&users(true), &mut body),
            "the extension went"
        );
        assert_eq!(
            Value::Object(body),
            json!({
                "userName": "bjensen",
                "displayName": "Babs",
                "name": {"givenName": "Barbara"},
                "emails": [{"type": "work", "value": "bjensen@example.com"}],
                "addresses": [{"type": "work", "country": "US"}],
            })
        );
    }

    #[test]
    fn required_values_and_unknown_attributes_are_left_alone() {
        let mut body = obj(json!({
            "userName": "",
            "name": {"givenName": "", "familyName": ""},
            "badge": "",
        }));
        drop_empty_strings(&users(true), &mut body);
        assert_eq!(
            Value::Object(body),
            json!({"userName": "", "name": {"givenName": ""}, "badge": ""})
        );
    }

    #[test]
    fn without_the_setting_empty_strings_are_values() {
        let body = obj(json!({"userName": "b", "title": "", "name": {"middleName": ""}}));
        let mut kept = body.clone();
        drop_empty_strings(&users(false), &mut kept);
        assert_eq!(kept, body);
        let standard = Registry::standard();
        let mut kept = body.clone();
        drop_empty_strings(standard.resource_type("User").unwrap(), &mut kept);
        assert_eq!(kept, body);
    }
}
