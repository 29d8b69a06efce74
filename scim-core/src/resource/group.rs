//! The typed Group view (RFC 7643 §4.2).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::extension::{
    self, Common, Extension, Extensions, attribute, multi_valued, put_multi_valued, required,
    write_common,
};
use super::{Meta, Resource};
use crate::Error;
use crate::id::ResourceId;
use crate::schema::{JsonObject, SchemaUrn};

/// A Group (RFC 7643 §4.2) as a typed view of its JSON.
///
/// As with [`User`](super::User), extension objects stay JSON in
/// [`Group::extensions`] and unknown attributes in [`Group::other`], so
/// `Group` → JSON → `Group` loses nothing but `null`s and empty arrays, and
/// `schemas` is computed on output.
///
/// # Examples
///
/// ```
/// use scim_core::Group;
/// use scim_core::resource::Member;
///
/// let mut group = Group::new("Tour Guides");
/// group.members.push(Member::new("2819c223-7f76-453a-919d-413861904646"));
/// let json = group.to_json();
/// assert_eq!(json["members"][0]["value"], "2819c223-7f76-453a-919d-413861904646");
/// assert_eq!(json["schemas"][0], "urn:ietf:params:scim:schemas:core:2.0:Group");
/// assert_eq!(Group::from_json(json)?, group);
/// # Ok::<(), scim_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Group {
    /// `id` (RFC 7643 §3.1): assigned by the service provider; `None` for a
    /// Group not yet created.
    pub id: Option<ResourceId>,
    /// `externalId` (RFC 7643 §3.1): the client's identifier.
    pub external_id: Option<String>,
    /// `displayName` (RFC 7643 §4.2): the Group's human-readable name.
    /// Required.
    pub display_name: String,
    /// `members` (RFC 7643 §4.2): the Users and Groups in the Group.
    pub members: Vec<Member>,
    /// `meta` (RFC 7643 §3.1): set by the service provider and ignored in
    /// input.
    pub meta: Option<Meta>,
    /// Every extension object (RFC 7643 §3.3), by schema URN, as JSON. Use
    /// [`Group::extension`] and [`Group::set_extension`] for typed access.
    pub extensions: Extensions,
    /// Top-level attributes that are neither core Group attributes nor
    /// extension objects, kept unchanged.
    pub other: JsonObject,
}

/// The key of `displayName`.
const DISPLAY_NAME: &str = "displayName";

impl Group {
    /// A Group with the given `displayName` and no members.
    pub fn new(display_name: impl Into<String>) -> Self {
        Self {
            id: None,
            external_id: None,
            display_name: display_name.into(),
            members: Vec::new(),
            meta: None,
            extensions: Extensions::new(),
            other: JsonObject::new(),
        }
    }

    /// Reads a Group from its JSON object (a stored resource or a request
    /// body in the schema's spelling).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] naming the attribute when `displayName` is
    /// missing, a core attribute has the wrong type, `id` or `meta` is
    /// malformed, or `schemas` does not list the Group schema.
    pub fn from_json(json: JsonObject) -> Result<Self, Error> {
        let mut display_name = None;
        let mut members = Vec::new();
        let mut common = Common::default();
        for (key, value) in json {
            match key.as_str() {
                DISPLAY_NAME => display_name = attribute(DISPLAY_NAME, value)?,
                "members" => members = multi_valued("members", value)?,
                _ => common.take(&SchemaUrn::GROUP, key, value)?,
            }
        }
        Ok(Self {
            id: common.id,
            external_id: common.external_id,
            display_name: required(DISPLAY_NAME, display_name)?,
            members,
            meta: common.meta,
            extensions: common.extensions,
            other: common.other,
        })
    }

    /// The Group as a JSON object, with `schemas` listing the core Group
    /// schema and each extension present: a body
    /// [`prepare_create`](super::prepare_create) accepts (it ignores `id`
    /// and `meta`). A typed attribute wins over an entry of the same name in
    /// [`Group::other`].
    pub fn to_json(&self) -> JsonObject {
        let mut out = self.other.clone();
        out.insert(
            DISPLAY_NAME.to_owned(),
            Value::String(self.display_name.clone()),
        );
        put_multi_valued(&mut out, "members", &self.members);
        write_common(
            &mut out,
            &SchemaUrn::GROUP,
            self.id.as_ref(),
            self.external_id.as_ref(),
            self.meta.as_ref(),
            &self.extensions,
        );
        out
    }

    /// The `schemas` the Group's JSON lists: the core Group schema, then
    /// each extension present.
    pub fn schemas(&self) -> Vec<SchemaUrn> {
        extension::schemas(&SchemaUrn::GROUP, &self.extensions)
    }

    /// Extension `E`, decoded from its object, or `None` if the Group has
    /// none (RFC 7643 §3.3).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] if the object does not fit `E`.
    pub fn extension<E: Extension>(&self) -> Result<Option<E>, Error> {
        extension::extension(&self.extensions)
    }

    /// Sets extension `E`, or removes it with `None`; `schemas` follows on
    /// output.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] if `E` does not serialize to a JSON object;
    /// the Group is then unchanged.
    pub fn set_extension<E: Extension>(&mut self, ext: Option<E>) -> Result<(), Error> {
        extension::set_extension(&mut self.extensions, ext)
    }
}

impl TryFrom<&Resource> for Group {
    type Error = Error;

    /// Reads a stored Group resource; see [`Group::from_json`].
    fn try_from(resource: &Resource) -> Result<Self, Error> {
        Self::from_json(resource.json().clone())
    }
}

impl Serialize for Group {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Group {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = JsonObject::deserialize(deserializer)?;
        Self::from_json(json).map_err(D::Error::custom)
    }
}

/// One value of a Group's `members` (RFC 7643 §4.2): a User or Group in the
/// Group.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Member {
    /// `value`: the member's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `$ref`: the URI of the member's resource.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub ref_: Option<String>,
    /// `type`: the member's resource type, `User` or `Group`; any string is
    /// kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `display`: the member's human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Sub-attributes RFC 7643 §4.2 does not define, kept unchanged.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl Member {
    /// A member with only `value` (the member's `id`) set.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::id::Version;
    use crate::resource::extension::assert_round_trips;

    fn object(value: Value) -> JsonObject {
        match value {
            Value::Object(o) => o,
            other => panic!("not an object: {other}"),
        }
    }

    #[derive(Debug, Deserialize, PartialEq, Serialize)]
    struct Owner {
        owner: String,
    }

    impl Extension for Owner {
        const URN: SchemaUrn =
            SchemaUrn::from_static("urn:example:params:scim:schemas:extension:owner:2.0:Group");
    }

    #[test]
    fn rfc7643_8_4_group_round_trips() {
        let group: Group =
            assert_round_trips(include_str!("../../tests/data/rfc7643/8.4-group.json"));
        assert_eq!(group.display_name, "Tour Guides");
        assert_eq!(
            group.id.as_ref().map(ResourceId::as_str),
            Some("e9e30dba-f08f-4109-8486-d5c6a331660a")
        );
        assert_eq!(group.members.len(), 2);
        assert_eq!(
            group.members[1].display.as_deref(),
            Some("Mandy Pepperidge")
        );
        assert_eq!(
            group.members[0].ref_.as_deref(),
            Some("https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646")
        );
        // The example's members carry no `type`.
        assert!(group.members.iter().all(|m| m.r#type.is_none()));
        assert_eq!(
            group.meta.as_ref().unwrap().version.as_str(),
            "W/\"3694e05e9dff592\""
        );
        assert!(group.extensions.is_empty() && group.other.is_empty());
    }

    #[test]
    fn unknown_extension_and_attribute_survive_and_typed_extensions_work() {
        let json = json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:Group",
                "urn:example:params:scim:schemas:extension:owner:2.0:Group",
            ],
            "displayName": "Ops",
            "members": [{"value": "1", "type": "User", "since": "2020"}],
            "urn:example:params:scim:schemas:extension:owner:2.0:Group": {"owner": "bjensen"},
            "mailEnabled": false,
        });
        let mut group: Group = assert_round_trips(&json.to_string());
        assert_eq!(group.other["mailEnabled"], false);
        assert_eq!(group.members[0].r#type.as_deref(), Some("User"));
        assert_eq!(group.members[0].other["since"], "2020");
        assert_eq!(
            group.extension::<Owner>().unwrap(),
            Some(Owner {
                owner: "bjensen".to_owned()
            })
        );

        group.set_extension::<Owner>(None).unwrap();
        assert_eq!(group.schemas(), [SchemaUrn::GROUP]);
        assert!(
            group
                .to_json()
                .get("urn:example:params:scim:schemas:extension:owner:2.0:Group")
                .is_none()
        );
    }

    #[test]
    fn a_stored_resource_converts_and_a_user_resource_does_not() {
        let meta = Meta::new(
            "Group",
            crate::resource::parse_date_time("2011-08-01T18:29:49.793Z").unwrap(),
            Version::from_revision(1),
        );
        let body = object(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"}),
        );
        let resource = Resource::new(ResourceId::new("g1").unwrap(), body, &meta);
        let group = Group::try_from(&resource).unwrap();
        assert_eq!(group.id, Some(ResourceId::new("g1").unwrap()));
        assert_eq!(group.to_json(), *resource.json());

        let body = object(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a"}),
        );
        let resource = Resource::new(ResourceId::new("u1").unwrap(), body, &meta);
        let err = Group::try_from(&resource).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue(m) if m.as_str().contains("schemas")),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_attribute() {
        for (json, attribute) in [
            (json!({"members": []}), "displayName"),
            (
                json!({"displayName": "x", "members": {"value": "1"}}),
                "members",
            ),
            (
                json!({"displayName": "x", "members": [{"value": 1}]}),
                "members",
            ),
            (json!({"displayName": "x", "externalId": 7}), "externalId"),
        ] {
            let err = Group::from_json(object(json.clone())).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidValue(m) if m.as_str().contains(attribute)),
                "{json}: {err}"
            );
        }
    }

    #[test]
    fn new_group_serializes_minimally() {
        assert_eq!(
            serde_json::to_value(Group::new("Ops")).unwrap(),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"})
        );
    }
}
