//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9), honouring
//! each attribute's `returned` characteristic (RFC 7643 §2.2).

use std::collections::BTreeSet;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::Error;
use crate::error::Detail;
use crate::filter::AttrPath;
use crate::resource::Resource;
use crate::schema::{Attribute, JsonObject, ResourceSchema, Returned};

/// Which attributes a response carries.
///
/// Built from the `attributes` and `excludedAttributes` query parameters
/// (or search-request members) with [`Projection::parse`]; applied to a
/// resource with [`Projection::apply`]. A store receives it too, so that it
/// can skip loading what will not be returned ([`Projection::includes`]):
/// `GET /Groups?excludedAttributes=members` need not read a 50,000-member
/// list.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Projection {
    mode: Mode,
}

#[derive(Clone, Debug, Default, Eq, PartialEq)]
enum Mode {
    /// Every attribute returned by default.
    #[default]
    Default,
    /// Only these (plus `returned: always`).
    Only(Vec<Selected>),
    /// All default attributes except these.
    Except(Vec<Selected>),
}

/// One resolved entry of `attributes`/`excludedAttributes`.
#[derive(Clone, Debug, Eq, PartialEq)]
struct Selected {
    /// The top-level key: the attribute name, or an extension URN.
    top: String,
    /// For extension attributes, the attribute inside the extension.
    inner: Option<String>,
    /// The sub-attribute, if named.
    sub: Option<String>,
}

impl Projection {
    /// Every attribute that is returned by default.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `id` and the other `returned: always` attributes.
    pub fn id_only() -> Self {
        Self {
            mode: Mode::Only(Vec::new()),
        }
    }

    /// Parses comma-separated attribute paths. Giving both lists is not
    /// allowed (RFC 7644 §3.4.2.5 makes them alternatives); names that no
    /// schema defines are ignored, as RFC 7644 asks of unknown attributes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPath`] for a malformed path, or
    /// [`Error::InvalidValue`] when both lists are given.
    ///
    /// # Examples
    ///
    /// ```
    /// use scim_core::project::Projection;
    /// use scim_core::schema::Registry;
    /// use serde_json::json;
    ///
    /// let registry = Registry::standard();
    /// let users = registry.resource_type("User").expect("standard");
    /// let p = Projection::parse(users, Some("userName,name.givenName"), None)?;
    /// let serde_json::Value::Object(mut user) = json!({
    ///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    ///     "id": "1", "userName": "bjensen", "title": "Tour Guide",
    ///     "name": {"givenName": "Barbara", "familyName": "Jensen"},
    /// }) else { unreachable!() };
    /// p.apply(users, &mut user);
    /// assert_eq!(serde_json::Value::Object(user), json!({
    ///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    ///     "id": "1", "userName": "bjensen", "name": {"givenName": "Barbara"},
    /// }));
    /// # Ok::<(), scim_core::Error>(())
    /// ```
    pub fn parse(
        schema: &ResourceSchema,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self, Error> {
        let attributes = attributes.filter(|s| !s.trim().is_empty());
        let excluded = excluded.filter(|s| !s.trim().is_empty());
        match (attributes, excluded) {
            (Some(_), Some(_)) => Err(Error::invalid_value(
                "give either \"attributes\" or \"excludedAttributes\", not both".to_owned(),
            )),
            (Some(list), None) => Ok(Self {
                mode: Mode::Only(parse_list(schema, list)?),
            }),
            (None, Some(list)) => Ok(Self {
                mode: Mode::Except(parse_list(schema, list)?),
            }),
            (None, None) => Ok(Self::all()),
        }
    }

    /// Whether the response may contain the top-level attribute (or
    /// extension URN) `key`. A store may skip loading attributes for which
    /// this is `false`.
    pub fn includes(&self, key: &str) -> bool {
        match &self.mode {
            Mode::Default => true,
            Mode::Only(list) => list.iter().any(|s| s.top.eq_ignore_ascii_case(key)),
            Mode::Except(list) => !list
                .iter()
                .any(|s| s.top.eq_ignore_ascii_case(key) && s.inner.is_none() && s.sub.is_none()),
        }
    }

    /// Removes from `resource` everything the response must not carry:
    /// `returned: never` attributes always, `returned: request` attributes
    /// unless named, and whatever the lists exclude; `returned: always`
    /// attributes and `schemas` always stay.
    pub fn apply(&self, schema: &ResourceSchema, resource: &mut JsonObject) {
        if self.mode == Mode::Default {
            // The common case, on every response: remove only what the
            // schema hides by default.
            for hidden in schema.hidden_by_default() {
                let container = match &hidden.extension {
                    Some(urn) => match resource.get_mut(urn) {
                        Some(Value::Object(ext)) => ext,
                        _ => continue,
                    },
                    None => &mut *resource,
                };
                match &hidden.sub {
                    None => {
                        container.remove(&hidden.attr);
                    }
                    Some(sub) => match container.get_mut(&hidden.attr) {
                        Some(Value::Object(obj)) => {
                            obj.remove(sub);
                        }
                        Some(Value::Array(items)) => {
                            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                                item.remove(sub);
                            }
                        }
                        _ => {}
                    },
                }
            }
            return;
        }
        let keys: Vec<String> = resource.keys().cloned().collect();
        for key in keys {
            if key == "schemas" {
                continue;
            }
            if let Some(ext) = schema.extension(&key) {
                let Some(Value::Object(obj)) = resource.get_mut(&key) else {
                    continue;
                };
                let inner_keys: Vec<String> = obj.keys().cloned().collect();
                for inner in inner_keys {
                    let attr = ext.attribute(&inner);
                    let keep = self.keep(&key, Some(&inner), attr);
                    match keep {
                        Keep::No => {
                            obj.remove(&inner);
                        }
                        Keep::Subs(subs) => {
                            if let (Some(v), Some(attr)) = (obj.get_mut(&inner), attr) {
                                retain_subs(v, attr, &subs, false);
                            }
                        }
                        Keep::Yes => {
                            if let (Some(v), Some(attr)) = (obj.get_mut(&inner), attr) {
                                strip_never(v, attr);
                            }
                        }
                    }
                }
                if obj.is_empty() {
                    resource.remove(&key);
                }
                continue;
            }
            let attr = schema.attribute(&key);
            match self.keep(&key, None, attr) {
                Keep::No => {
                    resource.remove(&key);
                }
                Keep::Subs(subs) => {
                    if let (Some(v), Some(attr)) = (resource.get_mut(&key), attr) {
                        retain_subs(v, attr, &subs, false);
                    }
                }
                Keep::Yes => {
                    if let (Some(v), Some(attr)) = (resource.get_mut(&key), attr) {
                        strip_never(v, attr);
                    }
                }
            }
        }
        // Excluded sub-attributes.
        if let Mode::Except(list) = &self.mode {
            for sel in list.iter().filter(|s| s.sub.is_some()) {
                let (container, attr) = match &sel.inner {
                    Some(inner) => (
                        resource
                            .get_mut(&sel.top)
                            .and_then(Value::as_object_mut)
                            .and_then(|o| o.get_mut(inner)),
                        schema.extension(&sel.top).and_then(|e| e.attribute(inner)),
                    ),
                    None => (resource.get_mut(&sel.top), schema.attribute(&sel.top)),
                };
                if let (Some(v), Some(attr), Some(sub)) = (container, attr, &sel.sub) {
                    let subs: BTreeSet<String> = [sub.clone()].into();
                    retain_subs(v, attr, &subs, true);
                }
            }
        }
    }

    fn keep(&self, top: &str, inner: Option<&str>, attr: Option<&Attribute>) -> Keep {
        let returned = attr.map_or(Returned::Default, |a| a.returned);
        match returned {
            Returned::Never => return Keep::No,
            Returned::Always => return Keep::Yes,
            Returned::Default | Returned::Request => {}
        }
        let matches = |s: &&Selected| {
            s.top.eq_ignore_ascii_case(top)
                && match (inner, &s.inner) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    // The whole extension is named.
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                }
        };
        match &self.mode {
            Mode::Default => {
                if returned == Returned::Request {
                    Keep::No
                } else {
                    Keep::Yes
                }
            }
            Mode::Only(list) => {
                let named: Vec<&Selected> = list.iter().filter(matches).collect();
                if named.is_empty() {
                    Keep::No
                } else if named.iter().any(|s| s.sub.is_none()) {
                    Keep::Yes
                } else {
                    Keep::Subs(named.iter().filter_map(|s| s.sub.clone()).collect())
                }
            }
            Mode::Except(list) => {
                let whole = list.iter().filter(matches).any(|s| s.sub.is_none());
                if whole || returned == Returned::Request {
                    Keep::No
                } else {
                    Keep::Yes
                }
            }
        }
    }
}

enum Keep {
    Yes,
    No,
    Subs(BTreeSet<String>),
}

/// A resource as a response carries it: projected, with `meta.location`.
///
/// With the default projection (every response to Entra ID's queries) it
/// is serialized straight from the stored JSON, without copying it; other
/// projections copy and trim it first.
#[derive(Debug)]
pub(crate) struct Projected<'a> {
    pub(crate) schema: &'a ResourceSchema,
    pub(crate) projection: &'a Projection,
    pub(crate) resource: &'a Resource,
    pub(crate) location: &'a str,
}

impl Serialize for Projected<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let hidden = self.schema.hidden_by_default();
        let streamable = self.projection.mode == Mode::Default
            && hidden
                .iter()
                .all(|h| h.extension.is_none() && h.sub.is_none());
        if !streamable {
            let mut resource = self.resource.clone();
            resource.set_location(self.location);
            let mut json = resource.into_json();
            self.projection.apply(self.schema, &mut json);
            return json.serialize(s);
        }
        let json = self.resource.json();
        let is_hidden = |k: &str| hidden.iter().any(|h| h.attr == k);
        let count = json.keys().filter(|k| !is_hidden(k)).count();
        let mut map = s.serialize_map(Some(count))?;
        for (key, value) in json {
            if is_hidden(key) {
                continue;
            }
            if key == "meta" {
                map.serialize_entry(key, &WithLocation(value, self.location))?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// `meta` with `location` set, in the same (sorted) key order that
/// inserting it into the map would give.
struct WithLocation<'a>(&'a Value, &'a str);

impl Serialize for WithLocation<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const LOCATION: &str = "location";
        let Value::Object(meta) = self.0 else {
            return self.0.serialize(s);
        };
        let count = meta.len() + usize::from(!meta.contains_key(LOCATION));
        let mut map = s.serialize_map(Some(count))?;
        let mut written = false;
        for (key, value) in meta {
            if !written && key.as_str() >= LOCATION {
                map.serialize_entry(LOCATION, self.1)?;
                written = true;
            }
            if key != LOCATION {
                map.serialize_entry(key, value)?;
            }
        }
        if !written {
            map.serialize_entry(LOCATION, self.1)?;
        }
        map.end()
    }
}

/// Keeps (or, with `remove`, drops) the named sub-attributes of a complex
/// value or of each element of a multi-valued one; `returned: always`
/// sub-attributes stay, `never` ones go.
fn retain_subs(value: &mut Value, attr: &Attribute, subs: &BTreeSet<String>, remove: bool) {
    let named = |k: &str| subs.iter().any(|s| s.eq_ignore_ascii_case(k));
    let fix = |obj: &mut JsonObject| {
        obj.retain(|k, _| {
            let returned = attr
                .sub_attribute(k)
                .map_or(Returned::Default, |a| a.returned);
            match returned {
                Returned::Always => true,
                Returned::Never => false,
                _ => named(k) != remove,
            }
        });
    };
    match value {
        Value::Object(obj) => fix(obj),
        Value::Array(items) => {
            for item in items.iter_mut() {
                if let Value::Object(obj) = item {
                    fix(obj);
                }
            }
            items.retain(|v| !matches!(v, Value::Object(o) if o.is_empty()));
        }
        _ => {}
    }
}

/// Drops `returned: never` sub-attributes.
fn strip_never(value: &mut Value, attr: &Attribute) {
    if !attr
        .sub_attributes
        .iter()
        .any(|s| s.returned == Returned::Never)
    {
        return;
    }
    let never = BTreeSet::new();
    retain_subs(value, attr, &never, true);
}

fn parse_list(schema: &ResourceSchema, list: &str) -> Result<Vec<Selected>, Error> {
    let mut out = Vec::new();
    for raw in list.split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let path: AttrPath = raw.parse().map_err(|e| {
            Error::InvalidPath(
                Detail::new(format!("invalid attribute path {raw:?}: {e}")).with_source(e),
            )
        })?;
        if let Some(ext) = schema.extension_of_path(&path) {
            out.push(Selected {
                top: ext.id.as_str().to_owned(),
                inner: None,
                sub: None,
            });
            continue;
        }
        let Some(resolved) = schema.resolve(&path) else {
            // RFC 7644 §3.4.2.5 asks nothing of unknown names; ignoring them
            // lets clients ask for attributes an extension may add later.
            continue;
        };
        out.push(match resolved.extension {
            Some(ext) => Selected {
                top: ext.id.as_str().to_owned(),
                inner: Some(resolved.attr.name.clone()),
                sub: resolved.sub.map(|s| s.name.clone()),
            },
            None => Selected {
                top: resolved.attr.name.clone(),
                inner: None,
                sub: resolved.sub.map(|s| s.name.clone()),
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::Registry;

    fn user() -> JsonObject {
        let Value::Object(o) = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "1",
            "meta": {"resourceType": "User", "version": "W/\"1\""},
            "userName": "bjensen",
            "password": "secret",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "a@example.com", "type": "work"}, {"value": "b@example.com", "type": "home"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour", "organization": "Example"},
        }) else {
            unreachable!()
        };
        o
    }

    fn project(attrs: Option<&str>, excluded: Option<&str>) -> Value {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let mut u = user();
        Projection::parse(users, attrs, excluded)
            .unwrap()
            .apply(users, &mut u);
        Value::Object(u)
    }

    #[test]
    fn never_returned_attributes_are_always_dropped() {
        assert!(project(None, None).get("password").is_none());
        assert!(project(Some("password"), None).get("password").is_none());
    }

    #[test]
    fn attributes_keep_only_named_and_always_returned() {
        let v = project(Some("userName,emails.value"), None);
        assert_eq!(
            v,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "1",
                "userName": "bjensen",
                "emails": [{"value": "a@example.com"}, {"value": "b@example.com"}],
            })
        );
    }

    #[test]
    fn urn_qualified_attributes_select_inside_extensions() {
        let v = project(
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            None,
        );
        assert_eq!(
            v["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            json!({"department": "Tour"})
        );
        let v = project(
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
            None,
        );
        assert_eq!(
            v["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            json!({"department": "Tour", "organization": "Example"})
        );
    }

    #[test]
    fn excluded_attributes_drop_attributes_sub_attributes_but_never_id() {
        let v = project(None, Some("emails,id,name.familyName,meta"));
        assert!(v.get("emails").is_none());
        assert!(v.get("meta").is_none());
        assert_eq!(v["id"], "1");
        assert_eq!(v["name"], json!({"givenName": "Barbara"}));
    }

    #[test]
    fn both_lists_or_a_bad_path_are_errors() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        assert!(Projection::parse(users, Some("a"), Some("b")).is_err());
        assert!(matches!(
            Projection::parse(users, Some("name..x"), None),
            Err(Error::InvalidPath(_))
        ));
    }

    #[test]
    fn streamed_default_projection_equals_the_copying_one() {
        use crate::id::{ResourceId, Version};
        use crate::resource::Meta;

        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let mut body = user();
        body.remove("id");
        body.remove("meta");
        let resource = Resource::new(
            ResourceId::new("1").unwrap(),
            body,
            &Meta::new(
                "User",
                crate::resource::parse_date_time("2020-01-01T00:00:00Z").unwrap(),
                Version::from_revision(3),
            ),
        );
        for projection in [
            Projection::all(),
            Projection::parse(users, Some("userName"), None).unwrap(),
            Projection::parse(users, None, Some("emails")).unwrap(),
        ] {
            let streamed = serde_json::to_string(&Projected {
                schema: users,
                projection: &projection,
                resource: &resource,
                location: "https://example.com/Users/1",
            })
            .unwrap();
            let mut copy = resource.clone();
            copy.set_location("https://example.com/Users/1");
            let mut json = copy.into_json();
            projection.apply(users, &mut json);
            assert_eq!(streamed, serde_json::to_string(&json).unwrap());
            assert!(!streamed.contains("secret"));
        }
    }

    #[test]
    fn stores_learn_what_they_may_skip() {
        let registry = Registry::standard();
        let groups = registry.resource_type("Group").unwrap();
        let p = Projection::parse(groups, None, Some("members")).unwrap();
        assert!(!p.includes("members"));
        assert!(p.includes("displayName"));
        let p = Projection::parse(groups, Some("displayName"), None).unwrap();
        assert!(!p.includes("members"));
        assert!(Projection::all().includes("members"));
    }
}
