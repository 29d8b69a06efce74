//! Characteristics a service tightens with
//! [`AttributeSettings::required`] and [`AttributeSettings::uniqueness`],
//! applied to a resource type's copy of its schemas when the registry is
//! built, and the required-path rules validation checks.

use serde_json::Value;

use super::registry::{Configured, ResourceSchema};
use super::settings::AttributeSettings;
use super::{AttrType, Attribute, JsonObject, Mutability, Uniqueness};
use crate::Error;
use crate::filter::eval::Matcher;

/// A path a resource must have a non-empty value at: a top-level attribute
/// the schema requires, or a path a service declared required (possibly
/// through a sub-attribute and a value filter).
#[derive(Clone, Debug)]
pub(crate) struct RequiredRule {
    display: String,
    extension: Option<String>,
    attr: String,
    sub: Option<String>,
    matcher: Option<Matcher>,
}

/// Whether a resource has a value at a required path.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Presence {
    /// No value (or `null`).
    Absent,
    /// Only empty values: `""`, `[]`, `{}`.
    Empty,
    /// A non-empty value.
    Present,
}

impl RequiredRule {
    /// A top-level attribute of the core schema.
    pub(super) fn top_level(name: &str) -> Self {
        Self {
            display: name.to_owned(),
            extension: None,
            attr: name.to_owned(),
            sub: None,
            matcher: None,
        }
    }

    /// The canonical path, for messages (`name.givenName`,
    /// `emails[type eq "work"].value`).
    pub(crate) fn display(&self) -> &str {
        &self.display
    }

    /// Whether `resource` has a value at the path: for a value filter, any
    /// matching element whose sub-attribute (or, without one, the element
    /// itself) is non-empty; for a multi-valued attribute, any element.
    pub(crate) fn presence(&self, resource: &JsonObject) -> Presence {
        let base = match &self.extension {
            Some(urn) => match lookup(resource, urn) {
                Some(Value::Object(ext)) => ext,
                _ => return Presence::Absent,
            },
            None => resource,
        };
        let Some(value) = lookup(base, &self.attr) else {
            return Presence::Absent;
        };
        if self.sub.is_none() && self.matcher.is_none() {
            return classify(value);
        }
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut best = Presence::Absent;
        for item in items {
            let Value::Object(obj) = item else { continue };
            if let Some(m) = &self.matcher {
                if !m.matches_object(obj).unwrap_or(false) {
                    continue;
                }
            }
            let found = match &self.sub {
                Some(sub) => lookup(obj, sub).map_or(Presence::Absent, classify),
                None => classify(item),
            };
            match found {
                Presence::Present => return Presence::Present,
                Presence::Empty => best = Presence::Empty,
                Presence::Absent => {}
            }
        }
        best
    }
}

fn classify(value: &Value) -> Presence {
    match value {
        Value::Null => Presence::Absent,
        Value::String(s) if s.is_empty() => Presence::Empty,
        Value::Array(items) if items.is_empty() => Presence::Empty,
        Value::Array(items) => {
            let mut best = Presence::Empty;
            for item in items {
                match classify(item) {
                    Presence::Present => return Presence::Present,
                    Presence::Empty | Presence::Absent => best = Presence::Empty,
                }
            }
            best
        }
        // `{}` or `{"givenName": ""}`: something was written, nothing usable.
        Value::Object(obj) if obj.values().all(|v| classify(v) != Presence::Present) => {
            Presence::Empty
        }
        _ => Presence::Present,
    }
}

/// The member called `key`, ignoring ASCII case; exact spelling first.
fn lookup<'v>(obj: &'v JsonObject, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Where a configured attribute's definition sits in a [`ResourceSchema`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Place {
    Common,
    Core,
    Extension(usize),
}

/// A configured path resolved against a resource type.
struct Target {
    display: String,
    place: Place,
    extension: Option<String>,
    attr: String,
    sub: Option<String>,
    matcher: Option<Matcher>,
}

impl Target {
    fn resolve(schema: &ResourceSchema, path: &str) -> Result<Self, Error> {
        let refuse = |why: String| {
            Error::invalid_value(format!(
                "cannot configure {path:?} of {}: {why}",
                schema.name()
            ))
        };
        let parsed = crate::filter::parse_path(path).map_err(|e| refuse(e.to_string()))?;
        let resolved = schema
            .resolve(parsed.attr())
            .ok_or_else(|| refuse(format!("{} has no such attribute", schema.name())))?;
        if resolved.legacy_dotted_urn {
            return Err(refuse(
                "write the extension URN, a colon and the attribute name".to_owned(),
            ));
        }
        let container = resolved.attr;
        let extension = resolved.extension.map(|s| s.id.clone());
        let place = match &extension {
            Some(urn) => Place::Extension(
                schema
                    .extensions()
                    .position(|(s, _)| &s.id == urn)
                    .ok_or_else(|| refuse("unknown extension".to_owned()))?,
            ),
            None if schema.core().attribute(&container.name).is_some() => Place::Core,
            None => Place::Common,
        };
        let (sub, filter) = match parsed.filter() {
            None => (resolved.sub, None),
            Some(filter) => {
                if !container.is_complex() || !container.multi_valued {
                    return Err(refuse(format!(
                        "a value filter needs a multi-valued complex attribute, and {} is not one",
                        container.name
                    )));
                }
                let sub = match parsed.sub_attr() {
                    Some(name) => Some(container.sub_attribute(name).ok_or_else(|| {
                        refuse(format!("{} has no sub-attribute {name}", container.name))
                    })?),
                    None => None,
                };
                let compiled = crate::index::compile_value_filter(
                    schema,
                    extension.as_ref(),
                    container,
                    filter,
                )
                .map_err(refuse)?;
                (sub, Some(compiled))
            }
        };
        let mut display = String::new();
        if let Some(ext) = &extension {
            display.push_str(ext.as_str());
            display.push(':');
        }
        display.push_str(&container.name);
        if let Some((f, _)) = &filter {
            display.push_str(&format!("[{f}]"));
        }
        if let Some(sub) = sub {
            display.push('.');
            display.push_str(&sub.name);
        }
        Ok(Self {
            display,
            place,
            extension: extension.map(|u| u.as_str().to_owned()),
            attr: container.name.clone(),
            sub: sub.map(|s| s.name.clone()),
            matcher: filter.map(|(_, m)| m),
        })
    }

    fn rule(&self) -> RequiredRule {
        RequiredRule {
            display: self.display.clone(),
            extension: self.extension.clone(),
            attr: self.attr.clone(),
            sub: self.sub.clone(),
            matcher: self.matcher.clone(),
        }
    }
}

/// Applies the `required` and `uniqueness` settings configured for
/// `schema`'s resource type to its copy of the schemas, and records the
/// required-path rules validation checks.
///
/// # Errors
///
/// [`Error::InvalidValue`] for a path that does not resolve, and for a
/// setting that loosens what the schema defines or cannot be enforced.
pub(super) fn apply(schema: &mut ResourceSchema, settings: &[Configured]) -> Result<(), Error> {
    let mut rules: Vec<RequiredRule> = schema
        .core()
        .attributes
        .iter()
        .filter(|a| a.required && a.mutability != Mutability::ReadOnly)
        .map(|a| RequiredRule::top_level(&a.name))
        .collect();
    let mut merged: Vec<(Target, AttributeSettings)> = Vec::new();
    for c in settings
        .iter()
        .filter(|c| c.resource_type.eq_ignore_ascii_case(schema.name()) && c.settings.tightens())
    {
        let target = Target::resolve(schema, &c.path)?;
        match merged.iter_mut().find(|(t, _)| t.display == target.display) {
            Some((_, s)) => *s = s.clone().merge(&c.settings),
            None => merged.push((target, c.settings.clone())),
        }
    }
    let type_name = schema.name().to_owned();
    for (target, settings) in &merged {
        let refuse = |why: String| {
            Error::invalid_value(format!(
                "cannot configure {} of {type_name}: {why}",
                target.display
            ))
        };
        let Some((container, sub)) = definition(schema, target) else {
            return Err(refuse("no such attribute".to_owned()));
        };
        let container_multi = container.multi_valued;
        let leaf = sub.unwrap_or(container);
        let filtered = target.matcher.is_some();
        // RFC 7643 §3.1 makes `id` required; the model does not say so
        // only because clients never send it.
        let is_id = target.place == Place::Common && target.attr == "id" && sub.is_none();
        let (leaf_required, leaf_uniqueness, leaf_mutability) =
            (leaf.required || is_id, leaf.uniqueness, leaf.mutability);
        let scalar_string = leaf.kind == AttrType::String && !container_multi && sub.is_none();
        match settings.is_required() {
            Some(false) if !filtered && leaf_required => {
                return Err(refuse(
                    "the schema defines it as required, and settings can tighten a characteristic, not loosen it"
                        .to_owned(),
                ));
            }
            // The service assigns it: always present.
            Some(true) if is_id => {}
            Some(true) => {
                if leaf_mutability == Mutability::ReadOnly && !leaf_required {
                    return Err(refuse(
                        "it is read-only, so clients cannot supply it".to_owned(),
                    ));
                }
                if let Some(c) = definition_mut(schema, target.place, &target.attr) {
                    c.required = true;
                    let mark_sub = !filtered && !c.multi_valued;
                    if let (Some(name), true) = (&target.sub, mark_sub) {
                        if let Some(s) = c.sub_attributes.iter_mut().find(|s| &s.name == name) {
                            s.required = true;
                        }
                    }
                }
                if !rules.iter().any(|r| r.display == target.display) {
                    rules.push(target.rule());
                }
            }
            Some(false) | None => {}
        }
        match settings.configured_uniqueness() {
            Some(u) if rank(u) < rank(leaf_uniqueness) => {
                return Err(refuse(format!(
                    "the schema defines its uniqueness as {}, and settings can tighten a characteristic, not loosen it",
                    name(leaf_uniqueness)
                )));
            }
            Some(u) if u == leaf_uniqueness => {}
            Some(Uniqueness::Global) => {
                return Err(refuse(
                    "global uniqueness cannot be enforced by a store; declare server (unique per tenant)"
                        .to_owned(),
                ));
            }
            Some(u) => {
                if filtered || !scalar_string {
                    return Err(refuse(
                        "uniqueness can be added only to a single-valued string attribute at the top level"
                            .to_owned(),
                    ));
                }
                if let Some(c) = definition_mut(schema, target.place, &target.attr) {
                    c.uniqueness = u;
                }
            }
            None => {}
        }
    }
    schema.required = rules;
    Ok(())
}

fn rank(u: Uniqueness) -> u8 {
    match u {
        Uniqueness::None => 0,
        Uniqueness::Server => 1,
        Uniqueness::Global => 2,
    }
}

fn name(u: Uniqueness) -> &'static str {
    match u {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    }
}

/// The container attribute and sub-attribute a target names.
fn definition<'s>(
    schema: &'s ResourceSchema,
    target: &Target,
) -> Option<(&'s Attribute, Option<&'s Attribute>)> {
    let attrs: &[Attribute] = match target.place {
        Place::Common => schema.common_attributes(),
        Place::Core => &schema.core().attributes,
        Place::Extension(i) => &schema.extensions().nth(i)?.0.attributes,
    };
    let container = attrs.iter().find(|a| a.name == target.attr)?;
    let sub = match &target.sub {
        Some(name) => Some(container.sub_attributes.iter().find(|s| &s.name == name)?),
        None => None,
    };
    Some((container, sub))
}

fn definition_mut<'s>(
    schema: &'s mut ResourceSchema,
    place: Place,
    attr: &str,
) -> Option<&'s mut Attribute> {
    let attrs = match place {
        Place::Common => &mut schema.common,
        Place::Core => &mut schema.core.attributes,
        Place::Extension(i) => &mut schema.extensions.get_mut(i)?.0.attributes,
    };
    attrs.iter_mut().find(|a| a.name == attr)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::{AttributeSettings, RegistryBuilder};

    fn object(v: Value) -> JsonObject {
        match v {
            Value::Object(o) => o,
            _ => unreachable!("test data is an object"),
        }
    }

    fn profile() -> crate::schema::Registry {
        RegistryBuilder::standard()
            .configure(
                "User",
                "name.givenName",
                AttributeSettings::new().required(true),
            )
            .configure(
                "User",
                r#"EMAILS[TYPE eq "work"].Value"#,
                AttributeSettings::new().required(true),
            )
            .configure(
                "Group",
                "displayName",
                AttributeSettings::new().uniqueness(Uniqueness::Server),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn tightened_characteristics_show_in_the_resource_type_and_the_schemas() {
        let registry = profile();
        let users = registry.resource_type("User").unwrap();
        let name = users.attribute("name").unwrap();
        assert!(name.required);
        assert!(name.sub_attribute("givenName").unwrap().required);
        assert!(!name.sub_attribute("familyName").unwrap().required);
        let emails = users.attribute("emails").unwrap();
        assert!(emails.required);
        // The RFC's model cannot say "the work email's value".
        assert!(!emails.sub_attribute("value").unwrap().required);
        let served = registry
            .schema("urn:ietf:params:scim:schemas:core:2.0:Group")
            .unwrap();
        assert_eq!(
            served.attribute("displayName").unwrap().uniqueness,
            Uniqueness::Server
        );
        let rules: Vec<&str> = users.required_rules().iter().map(|r| r.display()).collect();
        assert_eq!(
            rules,
            [
                "userName",
                "name.givenName",
                r#"emails[type eq "work"].value"#
            ]
        );
        // The standard registry is unchanged.
        let standard = crate::schema::Registry::standard();
        assert_eq!(
            standard
                .resource_type("Group")
                .unwrap()
                .attribute("displayName")
                .unwrap()
                .uniqueness,
            Uniqueness::None
        );
    }

    #[test]
    fn filtered_required_paths_need_a_matching_element_with_a_value() {
        let registry = profile();
        let users = registry.resource_type("User").unwrap();
        let rule = &users.required_rules()[2];
        let p = |v: Value| rule.presence(&object(v));
        assert_eq!(
            p(json!({"emails": [{"type": "WORK", "value": "a@x"}]})),
            Presence::Present
        );
        assert_eq!(
            p(json!({"emails": [{"type": "other", "value": "a@x"}]})),
            Presence::Absent
        );
        assert_eq!(
            p(json!({"emails": [{"type": "work", "value": ""}]})),
            Presence::Empty
        );
        assert_eq!(p(json!({"userName": "a"})), Presence::Absent);
        let given = &users.required_rules()[1];
        assert_eq!(
            given.presence(&object(json!({"name": {"givenName": ""}}))),
            Presence::Empty
        );
        assert_eq!(
            given.presence(&object(json!({"NAME": {"GIVENNAME": "Ann"}}))),
            Presence::Present
        );
    }

    #[test]
    fn loosening_or_unenforceable_settings_are_refused() {
        let refused = |rt: &str, path: &str, s: AttributeSettings| match RegistryBuilder::standard()
            .configure(rt, path, s)
            .build()
        {
            Err(Error::InvalidValue(m)) => m,
            other => panic!("{path}: expected a build error, got {other:?}"),
        };
        let m = refused(
            "User",
            "userName",
            AttributeSettings::new().uniqueness(Uniqueness::None),
        );
        assert!(
            m.as_str().contains("userName") && m.as_str().contains("loosen"),
            "{m}"
        );
        let m = refused("User", "userName", AttributeSettings::new().required(false));
        assert!(m.as_str().contains("loosen"), "{m}");
        let m = refused("Group", "id", AttributeSettings::new().required(false));
        assert!(m.as_str().contains("loosen"), "{m}");
        let m = refused(
            "User",
            "displayName",
            AttributeSettings::new().uniqueness(Uniqueness::Global),
        );
        assert!(m.as_str().contains("global"), "{m}");
        let m = refused(
            "User",
            "emails.value",
            AttributeSettings::new().uniqueness(Uniqueness::Server),
        );
        assert!(m.as_str().contains("single-valued"), "{m}");
        let m = refused("User", "nope", AttributeSettings::new().required(true));
        assert!(m.as_str().contains("no such attribute"), "{m}");
        let m = refused(
            "User",
            "meta.created",
            AttributeSettings::new().required(true),
        );
        assert!(m.as_str().contains("read-only"), "{m}");
        let m = refused(
            "User",
            r#"emails[nope eq "x"].value"#,
            AttributeSettings::new().required(true),
        );
        assert!(m.as_str().contains("value filter"), "{m}");
        // Restating what the schema says, or setting false where it is
        // false, is fine.
        assert!(
            RegistryBuilder::standard()
                .configure(
                    "User",
                    "userName",
                    AttributeSettings::new()
                        .required(true)
                        .uniqueness(Uniqueness::Server)
                )
                .configure("User", "title", AttributeSettings::new().required(false))
                .configure("User", "id", AttributeSettings::new().required(true))
                .build()
                .is_ok()
        );
    }

    #[test]
    fn a_schema_shared_by_two_types_must_be_tightened_alike() {
        use crate::schema::{ResourceType, SchemaUrn};
        let shared = || {
            RegistryBuilder::standard().resource_type(ResourceType::new(
                "Visitor",
                "/Visitors",
                SchemaUrn::USER,
            ))
        };
        let one = shared()
            .configure(
                "User",
                "name.givenName",
                AttributeSettings::new().required(true),
            )
            .build();
        assert!(
            matches!(&one, Err(Error::InvalidValue(m)) if m.as_str().contains("Visitor") && m.as_str().contains("shared")),
            "{one:?}"
        );
        let both = shared()
            .configure(
                "User",
                "name.givenName",
                AttributeSettings::new().required(true),
            )
            .configure(
                "Visitor",
                "name.givenName",
                AttributeSettings::new().required(true),
            )
            .build();
        assert!(both.is_ok(), "{both:?}");
    }
}
