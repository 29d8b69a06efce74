//! Turning client JSON into a canonical, checked resource body for create
//! (RFC 7644 §3.3) and replace (§3.5.1), and re-checking a resource after
//! PATCH (§3.5.2).

use serde_json::Value;

use super::empty::drop_empty_strings;
use super::{Resource, SCHEMAS};
use crate::Error;
use crate::filter::AttrPath;
use crate::schema::canonical::{check_name, check_no_nul, duplicate_key, keep_unknown, normalize};
use crate::schema::tighten::Presence;
use crate::schema::{Attribute, JsonObject, Mutability, ResourceSchema, SchemaUrn};
use crate::tolerance::{Context, Tolerance};

/// Checks a create body and returns its canonical form, without `id` and
/// `meta` (the service sets those).
///
/// * `schemas` is required and checked (RFC 7643 §3): non-empty, listing
///   the core schema, never another resource type's core schema; a URI
///   that is no schema of the type needs [`Tolerance::ExtraSchemaUris`],
///   an extension object that `schemas` does not list needs
///   [`Tolerance::UnlistedExtension`];
/// * attribute names are matched without regard to case and written in the
///   schema's spelling; attributes no schema defines (top-level, in an
///   extension, sub-attributes) and objects under a URN that is no
///   extension of the type are refused unless
///   [`Tolerance::KeepUnknownAttributes`] keeps them verbatim, as PATCH
///   does;
/// * read-only attributes (`id`, `meta`, a User's `groups`) are ignored;
/// * values are checked against their types, `null` means absent, exact
///   duplicates in multi-valued attributes are dropped, at most one value
///   may be `primary`;
/// * required attributes and required extensions must be present, and a
///   required attribute's value must not be empty (`""`); this includes
///   the paths a service declared required
///   ([`AttributeSettings::required`](crate::schema::AttributeSettings::required));
/// * `schemas` is rebuilt from the core schema and the extensions present,
///   whatever order or case the client used;
/// * under a registry built with
///   [`RegistryBuilder::empty_strings_unassigned`](crate::schema::RegistryBuilder::empty_strings_unassigned),
///   empty strings of attributes that are not required are dropped, as
///   `null` is.
///
/// # Errors
///
/// [`Error::InvalidSyntax`] if `body` is not an object or names an
/// attribute twice, [`Error::InvalidValue`] for a wrong type, a missing
/// required attribute, or a `schemas` that breaks the rules above.
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
    let mut out = normalize_body(schema, body, cx)?;
    check_required(schema, &out, Error::invalid_value)?;
    if drop_empty_strings(schema, &mut out) {
        rebuild_schemas(schema, &mut out);
    }
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
                return Err(Error::mutability(format!(
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
    check_required(schema, &out, Error::invalid_value)?;
    if drop_empty_strings(schema, &mut out) {
        rebuild_schemas(schema, &mut out);
    }
    Ok(out)
}

/// Re-checks a resource after PATCH operations have been applied to a copy
/// of `original`: required paths keep their values (removing one is a
/// `mutability` error, RFC 7644 §3.5.2, and emptying one `invalidValue`),
/// immutable attributes kept their values, computed read-only attributes
/// are dropped (the store computes them), empty strings of optional
/// attributes are dropped where the registry makes them unassigned, and
/// `schemas` lists exactly the extensions present.
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
                    return Err(Error::mutability(format!(
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
                return Err(Error::mutability(format!(
                    "attribute {} is required and cannot be removed",
                    quoted(rule.display())
                )));
            }
            Presence::Empty if before != Presence::Empty => {
                return Err(Error::invalid_value(format!(
                    "attribute {} is required and cannot be empty",
                    quoted(rule.display())
                )));
            }
            // Missing before the PATCH too: a resource stored before the
            // rule stays patchable.
            Presence::Absent | Presence::Empty => {}
        }
    }
    check_required_extensions(schema, patched, Error::mutability)?;
    if drop_empty_strings(schema, patched) {
        rebuild_schemas(schema, patched);
    }
    Ok(())
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
        return Err(Error::invalid_syntax(format!(
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
    let mut listed: Option<Vec<String>> = None;
    let mut seen_schemas = false;
    for (key, value) in members {
        if key.eq_ignore_ascii_case(SCHEMAS) {
            if seen_schemas {
                return Err(duplicate_key(SCHEMAS));
            }
            seen_schemas = true;
            listed = schemas_list(value)?;
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
                    return Err(Error::invalid_value(format!(
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
                        let path = format!("{urn}:{k}");
                        check_name(&k, &path)?;
                        check_no_nul(&v, &path)?;
                        if !v.is_null() {
                            keep_unknown(&path, cx)?;
                            if ext_out.keys().any(|e| e.eq_ignore_ascii_case(&k)) {
                                return Err(duplicate_key(&path));
                            }
                            ext_out.insert(k, v);
                        }
                    }
                }
            }
            if !ext_out.is_empty() {
                out.insert(urn, Value::Object(ext_out));
            }
        } else if let Some(path) = qualified_path(&key, &value) {
            check_name(&key, &key)?;
            check_no_nul(&value, &key)?;
            put_qualified(schema, &mut out, &key, &path, value, cx)?;
        } else {
            check_name(&key, &key)?;
            check_no_nul(&value, &key)?;
            if value.is_null() {
                continue;
            }
            if value.is_object() && SchemaUrn::new(key.as_str()).is_ok() {
                check_unknown_extension(schema, &key, cx)?;
            } else {
                keep_unknown(&key, cx)?;
            }
            if out.keys().any(|k| k.eq_ignore_ascii_case(&key)) {
                return Err(duplicate_key(&key));
            }
            out.insert(key, value);
        }
    }
    check_schemas(schema, listed.as_deref(), &out, cx)?;
    rebuild_schemas(schema, &mut out);
    Ok(out)
}

/// A member whose name is a URN-qualified attribute path
/// (`"urn:…:extension:Contoso:2.0:User:costCenter": "4711"`) rather than an
/// attribute name; objects under a URN are extension objects instead.
fn qualified_path(key: &str, value: &Value) -> Option<AttrPath> {
    if value.is_object() || !key.contains(':') {
        return None;
    }
    key.parse::<AttrPath>()
        .ok()
        .filter(|p| p.schema().is_some())
}

/// A URN-qualified member of a create or replace body. One that names an
/// attribute the schemas define is refused: RFC 7643 puts it inside its
/// extension object, and a second copy beside it would go stale. One that
/// names no defined attribute is, like any unknown attribute, refused or
/// kept ([`Tolerance::KeepUnknownAttributes`]) — where PATCH keeps it, in
/// the object under its URN, so both methods change the same value.
fn put_qualified(
    schema: &ResourceSchema,
    out: &mut JsonObject,
    key: &str,
    path: &AttrPath,
    value: Value,
    cx: &mut Context,
) -> Result<(), Error> {
    let urn = path.schema().unwrap_or_default();
    if let Some(known) = schema.resolve(path) {
        return Err(Error::invalid_value(format!(
            "\"{key}\" is a path, not an attribute name; send {}",
            match known.extension {
                Some(ext) => format!("\"{}\" inside the \"{}\" object", known.attr.name, ext.id),
                None => format!("\"{}\"", known.attr.name),
            }
        )));
    }
    if schema.core().id.matches(urn) || schema.extension(urn).is_some() {
        // An attribute that schema does not define.
        keep_unknown(key, cx)?;
    } else {
        check_unknown_extension(schema, urn, cx)?;
    }
    if value.is_null() {
        return Ok(());
    }
    let container_key = match schema.extension(urn) {
        Some(ext) => ext.id.as_str().to_owned(),
        None if schema.core().id.matches(urn) => String::new(),
        None => out
            .keys()
            .find(|k| k.eq_ignore_ascii_case(urn))
            .cloned()
            .unwrap_or_else(|| urn.to_owned()),
    };
    let container = if container_key.is_empty() {
        out
    } else {
        match out
            .entry(container_key)
            .or_insert_with(|| Value::Object(JsonObject::new()))
        {
            Value::Object(obj) => obj,
            _ => return Err(duplicate_key(key)),
        }
    };
    let (name, value) = match path.sub_attr() {
        None => (path.name().to_owned(), value),
        Some(sub) => {
            let mut inner = JsonObject::new();
            inner.insert(sub.to_owned(), value);
            (path.name().to_owned(), Value::Object(inner))
        }
    };
    if container.keys().any(|k| k.eq_ignore_ascii_case(&name)) {
        return Err(duplicate_key(key));
    }
    container.insert(name, value);
    Ok(())
}

/// An object under a URN that is no extension of the resource type
/// (`"urn:example:custom:1.0:Thing": {…}`): refused unless
/// [`Tolerance::KeepUnknownAttributes`] keeps it verbatim.
fn check_unknown_extension(
    schema: &ResourceSchema,
    urn: &str,
    cx: &mut Context,
) -> Result<(), Error> {
    if cx.tolerate(Tolerance::KeepUnknownAttributes) {
        return Ok(());
    }
    Err(Error::invalid_value(format!(
        "\"{urn}\" is not a schema extension of {}; registered extensions: {}",
        schema.name(),
        list_or_none(schema.extensions().map(|(ext, _)| ext.id.as_str()))
    )))
}

fn list_or_none<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// `schemas` as the client sent it: an array of strings; `null` is absent.
fn schemas_list(value: Value) -> Result<Option<Vec<String>>, Error> {
    let bad = || Error::invalid_value("\"schemas\" must be an array of schema URNs".to_owned());
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Value::Null => Ok(None),
        _ => Err(bad()),
    }
}

/// RFC 7643 §3: `schemas` is REQUIRED, "a non-empty array with value(s) of
/// the URIs supported by that representation". It must list the resource
/// type's core schema and no other resource type's; a URN that is neither
/// the core schema nor an extension of the type is refused unless
/// [`Tolerance::ExtraSchemaUris`] ignores it (Entra ID's
/// `…/ADSCIM/2.0/Group`, typo URNs); an extension object the body carries
/// must be listed unless [`Tolerance::UnlistedExtension`] lists it
/// (Entra ID never lists the URNs of custom extensions). `schemas` is then rebuilt
/// from what the body holds.
fn check_schemas(
    schema: &ResourceSchema,
    listed: Option<&[String]>,
    out: &JsonObject,
    cx: &mut Context,
) -> Result<(), Error> {
    let core = &schema.core().id;
    let listed = match listed {
        None => {
            return Err(Error::invalid_value(format!(
                "\"schemas\" is required; a {} lists \"{core}\"",
                schema.name()
            )));
        }
        Some([]) => {
            return Err(Error::invalid_value(format!(
                "\"schemas\" must not be empty; a {} lists \"{core}\"",
                schema.name()
            )));
        }
        Some(listed) => listed,
    };
    if !listed.iter().any(|u| core.matches(u)) {
        return Err(Error::invalid_value(format!(
            "\"schemas\" must list \"{core}\", the core schema of {}",
            schema.name()
        )));
    }
    let is_object_key = |urn: &str| {
        out.iter()
            .any(|(k, v)| v.is_object() && k.eq_ignore_ascii_case(urn))
    };
    for urn in listed {
        if core.matches(urn) || schema.extension(urn).is_some() {
            continue;
        }
        if is_rfc_core_schema(urn) {
            return Err(Error::invalid_value(format!(
                "\"schemas\" lists \"{urn}\", the core schema of another resource type; a {} has the core schema \"{core}\"",
                schema.name()
            )));
        }
        if is_object_key(urn) {
            // An unknown extension object, kept or refused on its own.
            continue;
        }
        if !cx.tolerate(Tolerance::ExtraSchemaUris) {
            return Err(Error::invalid_value(format!(
                "\"schemas\" lists \"{urn}\", which is neither the core schema nor an extension of {}",
                schema.name()
            )));
        }
    }
    for (key, value) in out {
        if !value.is_object() || key.eq_ignore_ascii_case(core.as_str()) {
            continue;
        }
        let is_extension = schema.extension(key).is_some() || SchemaUrn::new(key.as_str()).is_ok();
        if is_extension
            && !listed.iter().any(|u| u.eq_ignore_ascii_case(key))
            && !cx.tolerate(Tolerance::UnlistedExtension)
        {
            return Err(Error::invalid_value(format!(
                "the body has the extension \"{key}\", but \"schemas\" does not list it"
            )));
        }
    }
    Ok(())
}

/// A core schema RFC 7643 defines (`urn:ietf:params:scim:schemas:core:2.0:…`:
/// User, Group, and the discovery resources).
pub(crate) fn is_rfc_core_schema(urn: &str) -> bool {
    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:";
    urn.get(..CORE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(CORE))
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
mod tests;
