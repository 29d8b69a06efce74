//! The typed User view (RFC 7643 §4.1).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::extension::{
    self, Common, Extension, Extensions, attribute, multi_valued, put, put_multi_valued, required,
    write_common,
};
use super::{Meta, Resource};
use crate::Error;
use crate::id::ResourceId;
use crate::schema::{JsonObject, SchemaUrn};

/// A User (RFC 7643 §4.1) as a typed view of its JSON.
///
/// Every attribute of the core User schema is a field; extension objects
/// are kept as JSON in [`User::extensions`] and read through
/// [`User::extension`]; attributes no schema of the view knows are kept in
/// [`User::other`]. `User` → JSON → `User` therefore loses nothing, except
/// that `null` and empty arrays read as "no value" (RFC 7643 §2.5) and are
/// not written back, and that `schemas` is computed on output from the core
/// schema and the extensions present.
///
/// The JSON form ([`Resource`], request bodies) stays the engine's source of
/// truth; this view is for applications that embed the library. Attribute
/// names are expected in the schema's spelling (`userName`), as
/// [`prepare_create`](super::prepare_create) writes them; other spellings
/// land in [`User::other`].
///
/// # Examples
///
/// ```
/// use scim_core::User;
/// use scim_core::resource::{EnterpriseUser, MultiValue, Name};
///
/// let mut user = User::new("bjensen@example.com");
/// let mut name = Name::new();
/// name.given_name = Some("Barbara".to_owned());
/// user.name = Some(name);
/// let mut email = MultiValue::new("bjensen@example.com");
/// email.r#type = Some("work".to_owned());
/// user.emails.push(email);
/// let mut enterprise = EnterpriseUser::new();
/// enterprise.department = Some("Tour Operations".to_owned());
/// user.set_extension(Some(enterprise))?;
///
/// let json = user.to_json();
/// assert_eq!(json["name"]["givenName"], "Barbara");
/// assert_eq!(json["schemas"][1], "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
///
/// let back: User = serde_json::from_value(serde_json::Value::Object(json))
///     .map_err(|e| scim_core::Error::invalid_syntax(e.to_string()))?;
/// assert_eq!(back, user);
/// # Ok::<(), scim_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct User {
    /// `id` (RFC 7643 §3.1): assigned by the service provider; `None` for a
    /// User not yet created.
    pub id: Option<ResourceId>,
    /// `externalId` (RFC 7643 §3.1): the client's identifier.
    pub external_id: Option<String>,
    /// `userName` (RFC 7643 §4.1.1): the unique identifier the User signs in
    /// with. Required.
    pub user_name: String,
    /// `name` (RFC 7643 §4.1.1): the components of the User's real name.
    pub name: Option<Name>,
    /// `displayName` (RFC 7643 §4.1.1): the name to show to end users.
    pub display_name: Option<String>,
    /// `nickName` (RFC 7643 §4.1.1): the casual way to address the User.
    pub nick_name: Option<String>,
    /// `profileUrl` (RFC 7643 §4.1.1): a URI of the User's online profile.
    pub profile_url: Option<String>,
    /// `title` (RFC 7643 §4.1.1): the User's title, e.g. "Vice President".
    pub title: Option<String>,
    /// `userType` (RFC 7643 §4.1.1): the organisation-to-user relationship,
    /// e.g. "Employee" or "Contractor".
    pub user_type: Option<String>,
    /// `preferredLanguage` (RFC 7643 §4.1.2): a language tag such as
    /// `en-US`.
    pub preferred_language: Option<String>,
    /// `locale` (RFC 7643 §4.1.2): the User's default location for
    /// localisation, e.g. `en-US`.
    pub locale: Option<String>,
    /// `timezone` (RFC 7643 §4.1.2): an IANA time zone name such as
    /// `America/Los_Angeles`.
    pub timezone: Option<String>,
    /// `active` (RFC 7643 §4.1.2): the User's administrative status.
    pub active: Option<bool>,
    /// `password` (RFC 7643 §4.1.2): write-only, never returned by the
    /// service; written only when set.
    pub password: Option<String>,
    /// `emails` (RFC 7643 §4.1.2).
    pub emails: Vec<MultiValue>,
    /// `phoneNumbers` (RFC 7643 §4.1.2).
    pub phone_numbers: Vec<MultiValue>,
    /// `ims` (RFC 7643 §4.1.2): instant messaging addresses.
    pub ims: Vec<MultiValue>,
    /// `photos` (RFC 7643 §4.1.2): URLs of images of the User.
    pub photos: Vec<MultiValue>,
    /// `addresses` (RFC 7643 §4.1.2).
    pub addresses: Vec<Address>,
    /// `groups` (RFC 7643 §4.1.2): the groups the User belongs to, with
    /// `value`, `$ref`, `display` and `type` (`direct` or `indirect`).
    /// Read-only: the service provider computes it and ignores it in input.
    pub groups: Vec<MultiValue>,
    /// `entitlements` (RFC 7643 §4.1.2).
    pub entitlements: Vec<MultiValue>,
    /// `roles` (RFC 7643 §4.1.2).
    pub roles: Vec<MultiValue>,
    /// `x509Certificates` (RFC 7643 §4.1.2): DER certificates, base64
    /// encoded, in `value`.
    pub x509_certificates: Vec<MultiValue>,
    /// `meta` (RFC 7643 §3.1): set by the service provider and ignored in
    /// input. Read through [`Meta::from_json`], which keeps the
    /// sub-attributes it models.
    pub meta: Option<Meta>,
    /// Every extension object (RFC 7643 §3.3), by schema URN, as JSON. Use
    /// [`User::extension`] and [`User::set_extension`] for typed access.
    pub extensions: Extensions,
    /// Top-level attributes that are neither core User attributes nor
    /// extension objects, kept unchanged.
    pub other: JsonObject,
}

impl User {
    /// A User with the given `userName` and no other attribute.
    pub fn new(user_name: impl Into<String>) -> Self {
        Self {
            id: None,
            external_id: None,
            user_name: user_name.into(),
            name: None,
            display_name: None,
            nick_name: None,
            profile_url: None,
            title: None,
            user_type: None,
            preferred_language: None,
            locale: None,
            timezone: None,
            active: None,
            password: None,
            emails: Vec::new(),
            phone_numbers: Vec::new(),
            ims: Vec::new(),
            photos: Vec::new(),
            addresses: Vec::new(),
            groups: Vec::new(),
            entitlements: Vec::new(),
            roles: Vec::new(),
            x509_certificates: Vec::new(),
            meta: None,
            extensions: Extensions::new(),
            other: JsonObject::new(),
        }
    }

    /// Reads a User from its JSON object (a stored resource or a request
    /// body in the schema's spelling).
    ///
    /// `schemas`, if present, must list the core User schema; its content
    /// is otherwise not kept, since [`User::to_json`] recomputes it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] naming the attribute when `userName` is
    /// missing, a core attribute has the wrong type, `id` or `meta` is
    /// malformed, or `schemas` does not list the User schema.
    pub fn from_json(json: JsonObject) -> Result<Self, Error> {
        let mut user = Self::new(String::new());
        let mut user_name = None;
        let mut common = Common::default();
        for (key, value) in json {
            match key.as_str() {
                USER_NAME => user_name = attribute(USER_NAME, value)?,
                "name" => user.name = attribute("name", value)?,
                "displayName" => user.display_name = attribute("displayName", value)?,
                "nickName" => user.nick_name = attribute("nickName", value)?,
                "profileUrl" => user.profile_url = attribute("profileUrl", value)?,
                "title" => user.title = attribute("title", value)?,
                "userType" => user.user_type = attribute("userType", value)?,
                "preferredLanguage" => {
                    user.preferred_language = attribute("preferredLanguage", value)?;
                }
                "locale" => user.locale = attribute("locale", value)?,
                "timezone" => user.timezone = attribute("timezone", value)?,
                "active" => user.active = attribute("active", value)?,
                "password" => user.password = attribute("password", value)?,
                "emails" => user.emails = multi_valued("emails", value)?,
                "phoneNumbers" => user.phone_numbers = multi_valued("phoneNumbers", value)?,
                "ims" => user.ims = multi_valued("ims", value)?,
                "photos" => user.photos = multi_valued("photos", value)?,
                "addresses" => user.addresses = multi_valued("addresses", value)?,
                "groups" => user.groups = multi_valued("groups", value)?,
                "entitlements" => user.entitlements = multi_valued("entitlements", value)?,
                "roles" => user.roles = multi_valued("roles", value)?,
                "x509Certificates" => {
                    user.x509_certificates = multi_valued("x509Certificates", value)?;
                }
                _ => common.take(&SchemaUrn::USER, key, value)?,
            }
        }
        user.user_name = required(USER_NAME, user_name)?;
        user.id = common.id;
        user.external_id = common.external_id;
        user.meta = common.meta;
        user.extensions = common.extensions;
        user.other = common.other;
        Ok(user)
    }

    /// The User as a JSON object: every attribute that has a value, the
    /// extension objects, the unknown attributes, and `schemas` listing the
    /// core User schema and each extension present.
    ///
    /// The result is a body [`prepare_create`](super::prepare_create) and
    /// [`prepare_replace`](super::prepare_replace) accept; they ignore the
    /// read-only `id`, `meta` and `groups`. A typed attribute wins over an
    /// entry of the same name in [`User::other`].
    pub fn to_json(&self) -> JsonObject {
        let mut out = self.other.clone();
        out.insert(USER_NAME.to_owned(), Value::String(self.user_name.clone()));
        put(&mut out, "name", self.name.as_ref());
        put(&mut out, "displayName", self.display_name.as_ref());
        put(&mut out, "nickName", self.nick_name.as_ref());
        put(&mut out, "profileUrl", self.profile_url.as_ref());
        put(&mut out, "title", self.title.as_ref());
        put(&mut out, "userType", self.user_type.as_ref());
        put(
            &mut out,
            "preferredLanguage",
            self.preferred_language.as_ref(),
        );
        put(&mut out, "locale", self.locale.as_ref());
        put(&mut out, "timezone", self.timezone.as_ref());
        put(&mut out, "active", self.active.as_ref());
        put(&mut out, "password", self.password.as_ref());
        put_multi_valued(&mut out, "emails", &self.emails);
        put_multi_valued(&mut out, "phoneNumbers", &self.phone_numbers);
        put_multi_valued(&mut out, "ims", &self.ims);
        put_multi_valued(&mut out, "photos", &self.photos);
        put_multi_valued(&mut out, "addresses", &self.addresses);
        put_multi_valued(&mut out, "groups", &self.groups);
        put_multi_valued(&mut out, "entitlements", &self.entitlements);
        put_multi_valued(&mut out, "roles", &self.roles);
        put_multi_valued(&mut out, "x509Certificates", &self.x509_certificates);
        write_common(
            &mut out,
            &SchemaUrn::USER,
            self.id.as_ref(),
            self.external_id.as_ref(),
            self.meta.as_ref(),
            &self.extensions,
        );
        out
    }

    /// The `schemas` the User's JSON lists: the core User schema, then each
    /// extension present.
    pub fn schemas(&self) -> Vec<SchemaUrn> {
        extension::schemas(&SchemaUrn::USER, &self.extensions)
    }

    /// Extension `E`, decoded from its object, or `None` if the User has
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
    /// the User is then unchanged.
    pub fn set_extension<E: Extension>(&mut self, ext: Option<E>) -> Result<(), Error> {
        extension::set_extension(&mut self.extensions, ext)
    }
}

/// The key of `userName`.
const USER_NAME: &str = "userName";

impl TryFrom<&Resource> for User {
    type Error = Error;

    /// Reads a stored User resource; see [`User::from_json`].
    fn try_from(resource: &Resource) -> Result<Self, Error> {
        Self::from_json(resource.json().clone())
    }
}

impl Serialize for User {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = JsonObject::deserialize(deserializer)?;
        Self::from_json(json).map_err(D::Error::custom)
    }
}

/// A User's `name` (RFC 7643 §4.1.1): the components of their real name.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Name {
    /// `formatted`: the full name, as displayed, e.g. "Ms. Barbara J
    /// Jensen, III".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// `familyName`: the last name in most Western languages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// `givenName`: the first name in most Western languages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// `middleName`: the middle name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// `honorificPrefix`: e.g. "Ms.".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    /// `honorificSuffix`: e.g. "III".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
    /// Sub-attributes the schema does not define, kept unchanged.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl Name {
    /// A name with no component set.
    pub fn new() -> Self {
        Self::default()
    }
}

/// One value of a multi-valued attribute (RFC 7643 §2.4): `emails`,
/// `phoneNumbers`, `ims`, `photos`, `groups`, `entitlements`, `roles`,
/// `x509Certificates` (RFC 7643 §4.1.2).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MultiValue {
    /// `value`: the attribute's significant value, e.g. an email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `display`: a human-readable name for the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `type`: a label for the value's function, e.g. `work` or `home`.
    /// Canonical values are suggestions, so any string is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `primary`: whether this is the preferred value; at most one value of
    /// an attribute is primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// `$ref`: the URI of the referenced resource, for `groups`.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub ref_: Option<String>,
    /// Sub-attributes the schema does not define, kept unchanged.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl MultiValue {
    /// A value with only `value` set.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::default()
        }
    }
}

/// One value of a User's `addresses` (RFC 7643 §4.1.2): a physical mailing
/// address.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Address {
    /// `formatted`: the full address, as displayed on a mailing label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// `streetAddress`: house number, street name, P.O. box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// `locality`: city or locality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// `region`: state or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `postalCode`: zip code or postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// `country`: ISO 3166-1 alpha-2 country code, e.g. `US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `type`: e.g. `work` or `home`; any string is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `primary`: whether this is the preferred address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// Sub-attributes the schema does not define, kept unchanged.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl Address {
    /// An address with no component set.
    pub fn new() -> Self {
        Self::default()
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

    #[test]
    fn rfc7643_8_1_minimal_user_round_trips() {
        let user: User = assert_round_trips(include_str!(
            "../../tests/data/rfc7643/8.1-minimal-user.json"
        ));
        assert_eq!(user.user_name, "bjensen@example.com");
        assert_eq!(
            user.id.as_ref().map(ResourceId::as_str),
            Some("2819c223-7f76-453a-919d-413861904646")
        );
        let meta = user.meta.as_ref().unwrap();
        assert_eq!(meta.resource_type, "User");
        assert_eq!(meta.version.as_str(), "W/\"3694e05e9dff590\"");
        assert!(user.extensions.is_empty() && user.other.is_empty());
    }

    #[test]
    fn rfc7643_8_2_full_user_round_trips() {
        let user: User =
            assert_round_trips(include_str!("../../tests/data/rfc7643/8.2-full-user.json"));
        assert_eq!(
            user.name.as_ref().and_then(|n| n.given_name.as_deref()),
            Some("Barbara")
        );
        assert_eq!(user.emails.len(), 2);
        assert_eq!(user.emails[0].primary, Some(true));
        assert_eq!(user.emails[1].r#type.as_deref(), Some("home"));
        assert_eq!(
            user.addresses[0].street_address.as_deref(),
            Some("100 Universal City Plaza")
        );
        assert_eq!(user.password.as_deref(), Some("t1meMa$heen"));
        assert_eq!(user.active, Some(true));
        assert_eq!(user.groups.len(), 3);
        assert_eq!(
            user.groups[2].ref_.as_deref(),
            Some("https://example.com/v2/Groups/71ddacd2-a8e7-49b8-a5db-ae50d0a5bfd7")
        );
        let cert = user.x509_certificates[0].value.as_deref().unwrap();
        assert!(cert.starts_with("MIIDQzCCAqygAwIBAgICEAAw") && cert.ends_with("i97ZkJMo="));
        assert_eq!(
            user.meta.as_ref().unwrap().version.as_str(),
            "W/\"a330bc54f0671c9\""
        );
        assert!(user.extensions.is_empty() && user.other.is_empty());
        assert_eq!(user.schemas(), [SchemaUrn::USER]);
    }

    #[test]
    fn unknown_extension_and_unknown_attribute_survive_a_round_trip() {
        let json = json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:example:params:scim:schemas:extension:signin:2.0:Host",
            ],
            "userName": "bjensen",
            "favouriteColour": {"primary": "blue", "shades": [1, 2]},
            "urn:example:params:scim:schemas:extension:signin:2.0:Host": {"tenant": "t1", "seats": 3},
            "name": {"givenName": "Barbara", "nameSuffix": "the first"},
            "emails": [{"value": "b@example.com", "verified": true}],
        });
        let user: User = assert_round_trips(&json.to_string());
        assert_eq!(user.other["favouriteColour"]["primary"], "blue");
        let host =
            SchemaUrn::new("urn:example:params:scim:schemas:extension:signin:2.0:Host").unwrap();
        assert_eq!(user.extensions[&host]["seats"], 3);
        assert_eq!(user.name.as_ref().unwrap().other["nameSuffix"], "the first");
        assert_eq!(user.emails[0].other["verified"], true);

        let again = User::from_json(user.to_json()).unwrap();
        assert_eq!(again, user);
    }

    #[test]
    fn schemas_follow_the_extensions_present() {
        let mut user = User::new("bjensen");
        let mut enterprise = crate::resource::EnterpriseUser::new();
        enterprise.department = Some("Tour Operations".to_owned());
        user.set_extension(Some(enterprise.clone())).unwrap();
        assert_eq!(
            user.schemas(),
            [SchemaUrn::USER, SchemaUrn::ENTERPRISE_USER]
        );
        assert_eq!(
            Value::Object(user.to_json()),
            json!({
                "schemas": [
                    "urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                ],
                "userName": "bjensen",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations"},
            })
        );
        assert_eq!(
            user.extension::<crate::resource::EnterpriseUser>().unwrap(),
            Some(enterprise)
        );

        user.set_extension::<crate::resource::EnterpriseUser>(None)
            .unwrap();
        assert_eq!(
            Value::Object(user.to_json()),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen"})
        );
    }

    #[test]
    fn password_is_written_only_when_set_and_empty_lists_are_omitted() {
        let mut user = User::new("a");
        assert_eq!(
            Value::Object(user.to_json()),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a"})
        );
        user.password = Some("s3cret".to_owned());
        assert_eq!(user.to_json()["password"], "s3cret");
    }

    #[test]
    fn nulls_and_empty_arrays_read_as_no_value() {
        let user = User::from_json(object(json!({
            "userName": "a", "title": null, "emails": [], "phoneNumbers": null, "name": null,
        })))
        .unwrap();
        assert_eq!(user, User::new("a"));
    }

    #[test]
    fn typed_attributes_win_over_other_on_output() {
        let mut user = User::new("typed");
        user.other.insert("userName".to_owned(), json!("stale"));
        user.other.insert("schemas".to_owned(), json!(["urn:x:y"]));
        let json = user.to_json();
        assert_eq!(json["userName"], "typed");
        assert_eq!(
            json["schemas"],
            json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
        );
    }

    #[test]
    fn errors_name_the_attribute() {
        let cases = [
            (json!({"displayName": "x"}), "userName"),
            (json!({"userName": 5}), "userName"),
            (
                json!({"userName": "a", "emails": "a@example.com"}),
                "emails",
            ),
            (json!({"userName": "a", "active": "yes"}), "active"),
            (json!({"userName": "a", "name": {"givenName": 1}}), "name"),
            (json!({"userName": "a", "id": "a/b"}), "id"),
            (
                json!({"userName": "a", "meta": {"created": "2020-01-01T00:00:00Z"}}),
                "meta",
            ),
            (
                json!({"userName": "a", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}),
                "schemas",
            ),
        ];
        for (json, attribute) in cases {
            let err = User::from_json(object(json.clone())).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidValue(m) if m.as_str().contains(attribute)),
                "{json}: {err}"
            );
        }
    }

    #[test]
    fn deserialize_reports_the_same_error() {
        let err = serde_json::from_value::<User>(json!({"userName": "a", "roles": 1})).unwrap_err();
        assert!(err.to_string().contains("\"roles\""), "{err}");
        assert!(serde_json::from_value::<User>(json!(["userName"])).is_err());
    }

    #[test]
    fn a_stored_resource_converts_with_id_and_meta() {
        let body = object(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "bjensen",
            "active": true,
        }));
        let meta = Meta::new(
            "User",
            crate::resource::parse_date_time("2011-08-01T18:29:49.793Z").unwrap(),
            Version::from_revision(3),
        );
        let resource = Resource::new(ResourceId::new("2819c223").unwrap(), body, &meta);
        let user = User::try_from(&resource).unwrap();
        assert_eq!(user.id, Some(ResourceId::new("2819c223").unwrap()));
        assert_eq!(user.meta, Some(meta));
        assert_eq!(user.active, Some(true));
        assert_eq!(user.to_json(), *resource.json());
    }

    #[test]
    fn to_json_is_a_body_prepare_create_accepts_unchanged() {
        use crate::schema::Registry;
        use crate::tolerance::{Context, Policy};

        let user: User =
            serde_json::from_str(include_str!("../../tests/data/rfc7643/8.2-full-user.json"))
                .unwrap();
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let body = crate::resource::prepare_create(
            users,
            Value::Object(user.to_json()),
            &mut Context::new(Policy::strict()),
        )
        .unwrap();
        let mut expected = user.clone();
        // Read-only attributes are ignored on create (RFC 7644 §3.3).
        expected.id = None;
        expected.meta = None;
        expected.groups.clear();
        assert_eq!(User::from_json(body).unwrap(), expected);
    }
}
