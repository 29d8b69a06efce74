//! Turning client JSON into a canonical, checked resource body for create
//! (RFC 7644 §3.3) and replace (§3.5.1), and re-checking a resource after
//! PATCH (§3.5.2).

use serde_json::Value;

use super::{Resource, SCHEMAS};
use crate::Error;
use crate::schema::canonical::{check_name, check_no_nul, duplicate_key, normalize};
use crate::schema::tighten::Presence;
use crate::schema::{Attribute, JsonObject, Mutability, ResourceSchema, SchemaUrn};
use crate::tolerance::Context;

/// Checks a create body and returns its canonical form, without `id` and
/// `meta` (the service sets those).
///
/// * attribute names are matched without regard to case and written in the
///   schema's spelling; unknown attributes and unknown extension objects are
///   kept unchanged;
/// * read-only attributes (`id`, `meta`, a User's `groups`) are ignored;
/// * values are checked against their types, `null` means absent, exact
///   duplicates in multi-valued attributes are dropped, at most one value
///   may be `primary`;
/// * required attributes and required extensions must be present, and a
///   required attribute's value must not be empty (`""`); this includes
///   the paths a service declared required
///   ([`AttributeSettings::required`](crate::schema::AttributeSettings::required));
/// * `schemas` is rebuilt from the core schema and the extensions present,
///   whatever order or case the client used.
///
/// # Errors
///
/// [`Error::InvalidSyntax`] if `body` is not an object or names an
/// attribute twice, [`Error::InvalidValue`] for a wrong type or a missing
/// required attribute.
///
/// # Examples
///
/// ```
/// use scim_core::resource::prepare_create;
/// use scim_core::schema::Registry;
/// use scim_core::tolerance::{Context, Policy};
/// use serde_json::json;
///
/// let registry = Registry::standard();
/// let users = registry.resource_type("User").expect("standard");
/// let mut cx = Context::new(Policy::entra_id());
/// let body = prepare_create(users, json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///     "USERNAME": "bjensen",
///     "active": "True",
///     "id": "ignored",
/// }), &mut cx)?;
/// assert_eq!(body["userName"], "bjensen");
/// assert_eq!(body["active"], true);
/// assert!(body.get("id").is_none());
/// # Ok::<(), scim_core::Error>(())
/// ```
pub fn prepare_create(
    schema: &ResourceSchema,
    body: Value,
    cx: &mut Context,
) -> Result<JsonObject, Error> {
    let out = normalize_body(schema, body, cx)?;
    check_required(schema, &out, Error::InvalidValue)?;
    Ok(out)
}

/// Checks a replace (PUT) body against the stored resource and returns its
/// canonical form, without `id` and `meta`.
///
/// As [`prepare_create`], and further (RFC 7644 §3.5.1): an immutable
/// attribute that already has a value must keep it; immutable and
/// write-only attributes that the body omits keep their stored values
/// (write-only values are never returned, so a client cannot echo them).
///
/// # Errors
///
/// As [`prepare_create`], plus [`Error::Mutability`] for a changed
/// immutable attribute.
pub fn prepare_replace(
    schema: &ResourceSchema,
    body: Value,
    existing: &Resource,
    cx: &mut Context,
) -> Result<JsonObject, Error> {
    let mut out = normalize_body(schema, body, cx)?;
    let old = existing.json();
    for (attr, key, ext) in top_level(schema) {
        let old_value = lookup(old, ext, key);
        let Some(old_value) = old_value else { continue };
        match attr.mutability {
            Mutability::Immutable | Mutability::WriteOnly if lookup(&out, ext, key).is_none() => {
                insert(&mut out, ext, key, old_value.clone());
            }
            Mutability::Immutable if lookup(&out, ext, key) != Some(old_value) => {
                return Err(Error::Mutability(format!(
                    "attribute \"{}\" is immutable and already set",
                    attr.name
                )));
            }
            _ => {}
        }
    }
    if out.keys().any(|k| schema.extension(k).is_some()) {
        rebuild_schemas(schema, &mut out);
    }
    check_required(schema, &out, Error::InvalidValue)?;
    Ok(out)
}

/// Re-checks a resource after PATCH operations have been applied to a copy
/// of `original`: required paths keep their values (removing one is a
/// `mutability` error, RFC 7644 §3.5.2, and emptying one `invalidValue`),
/// immutable attributes kept their values, computed read-only attributes
/// are dropped (the store computes them), and `schemas` lists exactly the
/// extensions present.
///
/// A required path the original already lacks (a resource stored before
/// a service declared the path required, see
/// [`AttributeSettings::required`](crate::schema::AttributeSettings::required))
/// may stay missing: such a resource stays patchable.
///
/// # Errors
///
/// [`Error::Mutability`] and [`Error::InvalidValue`] as described.
pub fn validate_patched(
    schema: &ResourceSchema,
    patched: &mut JsonObject,
    original: &JsonObject,
) -> Result<(), Error> {
    for (attr, key, ext) in top_level(schema) {
        if attr.mutability == Mutability::Immutable {
            // Once set, an immutable attribute keeps its value: neither
            // changed nor removed.
            if let Some(old) = lookup(original, ext, key) {
                if lookup(patched, ext, key) != Some(old) {
                    return Err(Error::Mutability(format!(
                        "attribute \"{}\" is immutable and already set",
                        attr.name
                    )));
                }
            }
        }
    }
    let computed: Vec<String> = schema
        .core()
        .attributes
        .iter()
        .filter(|a| a.mutability == Mutability::ReadOnly)
        .map(|a| a.name.clone())
        .collect();
    for key in computed {
        patched.remove(&key);
    }
    rebuild_schemas(schema, patched);
    for rule in schema.required_rules() {
        let before = rule.presence(original);
        match rule.presence(patched) {
            Presence::Present => {}
            Presence::Absent if before == Presence::Present => {
                return Err(Error::Mutability(format!(
                    "attribute {} is required and cannot be removed",
                    quoted(rule.display())
                )));
            }
            Presence::Empty if before != Presence::Empty => {
                return Err(Error::InvalidValue(format!(
                    "attribute {} is required and cannot be empty",
                    quoted(rule.display())
                )));
            }
            // Missing before the PATCH too: a resource stored before the
            // rule stays patchable.
            Presence::Absent | Presence::Empty => {}
        }
    }
    check_required_extensions(schema, patched, Error::Mutability)
}

/// A path in quotes for messages; filtered paths carry quotes of their own.
fn quoted(path: &str) -> String {
    if path.contains('"') {
        path.to_owned()
    } else {
        format!("\"{path}\"")
    }
}

/// Every top-level attribute of the resource type with its key and, for
/// extension attributes, the extension URN.
fn top_level(schema: &ResourceSchema) -> impl Iterator<Item = (&Attribute, &str, Option<&str>)> {
    schema
        .top_level_attributes()
        .map(|a| (a, a.name.as_str(), None))
        .chain(schema.extensions().flat_map(|(ext, _)| {
            ext.attributes
                .iter()
                .map(move |a| (a, a.name.as_str(), Some(ext.id.as_str())))
        }))
}

fn lookup<'a>(obj: &'a JsonObject, ext: Option<&str>, key: &str) -> Option<&'a Value> {
    match ext {
        Some(urn) => obj.get(urn)?.get(key),
        None => obj.get(key),
    }
}

fn insert(obj: &mut JsonObject, ext: Option<&str>, key: &str, value: Value) {
    match ext {
        Some(urn) => {
            let entry = obj
                .entry(urn.to_owned())
                .or_insert_with(|| Value::Object(JsonObject::new()));
            if let Value::Object(ext_obj) = entry {
                ext_obj.insert(key.to_owned(), value);
            }
        }
        None => {
            obj.insert(key.to_owned(), value);
        }
    }
}

/// The shared part of create and replace.
fn normalize_body(
    schema: &ResourceSchema,
    body: Value,
    cx: &mut Context,
) -> Result<JsonObject, Error> {
    let Value::Object(body) = body else {
        return Err(Error::InvalidSyntax(format!(
            "a {} must be a JSON object",
            schema.name()
        )));
    };
    let mut out = JsonObject::new();
    // Core attributes may also come grouped under the core schema's URN
    // (`"urn:ietf:params:scim:schemas:core:2.0:User": {"userName": …}`).
    let mut members: Vec<(String, Value)> = Vec::with_capacity(body.len());
    for (key, value) in body {
        match value {
            Value::Object(inner) if schema.core().id.matches(&key) => members.extend(inner),
            value => members.push((key, value)),
        }
    }
    for (key, value) in members {
        if key.eq_ignore_ascii_case(SCHEMAS) {
            check_schemas_shape(&value)?;
            continue;
        }
        if let Some(attr) = schema.attribute(&key) {
            if attr.mutability == Mutability::ReadOnly {
                continue;
            }
            if out.contains_key(&attr.name) {
                return Err(duplicate_key(&attr.name));
            }
            if let Some(v) = normalize(attr, value, &attr.name, cx)? {
                out.insert(attr.name.clone(), v);
            }
        } else if let Some(ext) = schema.extension(&key) {
            let urn = ext.id.as_str().to_owned();
            if out.contains_key(&urn) {
                return Err(duplicate_key(&urn));
            }
            let obj = match value {
                Value::Null => continue,
                Value::Object(obj) => obj,
                _ => {
                    return Err(Error::InvalidValue(format!(
                        "extension \"{urn}\" must be an object"
                    )));
                }
            };
            let mut ext_out = JsonObject::new();
            for (k, v) in obj {
                match ext.attribute(&k) {
                    Some(attr) => {
                        if attr.mutability == Mutability::ReadOnly {
                            continue;
                        }
                        let path = format!("{urn}:{}", attr.name);
                        if ext_out.contains_key(&attr.name) {
                            return Err(duplicate_key(&path));
                        }
                        if let Some(v) = normalize(attr, v, &path, cx)? {
                            ext_out.insert(attr.name.clone(), v);
                        }
                    }
                    None => {
                        check_name(&k, &format!("{urn}:{k}"))?;
                        check_no_nul(&v, &format!("{urn}:{k}"))?;
                        if !v.is_null() {
                            ext_out.insert(k, v);
                        }
                    }
                }
            }
            if !ext_out.is_empty() {
                out.insert(urn, Value::Object(ext_out));
            }
        } else {
            check_name(&key, &key)?;
            check_no_nul(&value, &key)?;
            if value.is_null() {
                continue;
            }
            if out.contains_key(&key) {
                return Err(duplicate_key(&key));
            }
            out.insert(key, value);
        }
    }
    rebuild_schemas(schema, &mut out);
    Ok(out)
}

/// `schemas`, if given, is an array of strings; its content is rebuilt.
fn check_schemas_shape(value: &Value) -> Result<(), Error> {
    match value {
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
        Value::Null => Ok(()),
        _ => Err(Error::InvalidValue(
            "\"schemas\" must be an array of schema URNs".to_owned(),
        )),
    }
}

/// `schemas`: the core schema, then each registered extension present, then
/// each unknown extension object (a top-level `urn:` key holding an object).
fn rebuild_schemas(schema: &ResourceSchema, out: &mut JsonObject) {
    let mut urns = vec![Value::String(schema.core().id.as_str().to_owned())];
    for (ext, _) in schema.extensions() {
        if out.contains_key(ext.id.as_str()) {
            urns.push(Value::String(ext.id.as_str().to_owned()));
        }
    }
    for (key, value) in out.iter() {
        if value.is_object()
            && schema.extension(key).is_none()
            && SchemaUrn::new(key.as_str()).is_ok()
        {
            urns.push(Value::String(key.clone()));
        }
    }
    out.insert(SCHEMAS.to_owned(), Value::Array(urns));
}

/// Required paths (the core schema's required attributes and those a
/// service configured) have non-empty values, and required extensions are
/// present.
fn check_required(
    schema: &ResourceSchema,
    out: &JsonObject,
    error: fn(String) -> Error,
) -> Result<(), Error> {
    for rule in schema.required_rules() {
        match rule.presence(out) {
            Presence::Present => {}
            Presence::Absent => {
                return Err(error(format!(
                    "attribute {} is required",
                    quoted(rule.display())
                )));
            }
            Presence::Empty => {
                return Err(error(format!(
                    "attribute {} is required and cannot be empty",
                    quoted(rule.display())
                )));
            }
        }
    }
    check_required_extensions(schema, out, error)
}

/// Required extensions are present, and the required attributes of each
/// extension present.
fn check_required_extensions(
    schema: &ResourceSchema,
    out: &JsonObject,
    error: fn(String) -> Error,
) -> Result<(), Error> {
    for (ext, required) in schema.extensions() {
        let present = out.get(ext.id.as_str());
        if required && present.is_none() {
            return Err(error(format!("extension \"{}\" is required", ext.id)));
        }
        if let Some(present) = present {
            for attr in &ext.attributes {
                if attr.required && present.get(&attr.name).is_none() {
                    return Err(error(format!(
                        "attribute \"{}:{}\" is required",
                        ext.id, attr.name
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::id::{ResourceId, Version};
    use crate::resource::Meta;
    use crate::schema::Registry;
    use crate::tolerance::Policy;

    fn users() -> std::sync::Arc<ResourceSchema> {
        Registry::standard().resource_type("User").unwrap().clone()
    }

    fn create(body: Value) -> Result<JsonObject, Error> {
        prepare_create(&users(), body, &mut Context::new(Policy::entra_id()))
    }

    #[test]
    fn names_are_canonicalised_and_unknown_attributes_kept() {
        let out = create(json!({
            "UserName": "bjensen",
            "Name": {"GivenName": "Barbara"},
            "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user": {"Department": "Tour"},
            "urn:example:custom:1.0:Thing": {"a": 1},
            "favouriteColour": "blue",
            "schemas": ["urn:foo:bar:baz"],
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
            matches!(create(json!({"displayName": "x"})), Err(Error::InvalidValue(m)) if m.contains("userName"))
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
        let out = prepare_replace(&users, json!({"userName": "b"}), &stored, &mut cx).unwrap();
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
                    Attribute::new("issuedTo", AttrType::String)
                        .with_mutability(Mutability::Immutable),
                ],
            ))
            .resource_type(ResourceType::new("Badge", "/Badges", urn))
            .build()
            .unwrap();
        let badges = registry.resource_type("Badge").unwrap();
        let mut cx = Context::new(Policy::strict());
        let mut body = prepare_create(badges, json!({"number": "1"}), &mut cx).unwrap();
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
            json!({"number": "1", "issuedTo": "ann"}),
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
            prepare_replace(badges, json!({"number": "2"}), &stored, &mut cx).unwrap()["issuedTo"],
            "ann"
        );
        assert!(
            prepare_replace(
                badges,
                json!({"number": "2", "issuedTo": "ann"}),
                &stored,
                &mut cx
            )
            .is_ok()
        );
        // Another value is refused.
        let err = prepare_replace(
            badges,
            json!({"number": "2", "issuedTo": "bob"}),
            &stored,
            &mut cx,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Mutability(m) if m.contains("issuedTo")));
    }
}
