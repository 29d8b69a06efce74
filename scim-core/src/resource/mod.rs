//! Resources: the stored JSON form that round-trips every attribute, the
//! library-maintained `meta`, and typed views for the common resource
//! types.
//!
//! A [`Resource`] is the canonical JSON object of one resource: attribute
//! names in the schema's spelling, values checked and normalised, extension
//! attributes under their schema URN, unknown attributes kept as they came.
//! It always carries `id` and `meta`; the service sets them, never the
//! client.

mod empty;
mod enterprise_user;
mod extension;
mod group;
mod input;
mod meta;
mod user;

use std::sync::Arc;

use serde_json::Value;

pub use self::enterprise_user::{EnterpriseUser, Manager};
pub use self::extension::{Extension, Extensions};
pub use self::group::{Group, Member};
pub(crate) use self::input::is_rfc_core_schema;
pub use self::input::{prepare_create, prepare_replace, validate_patched};
pub use self::meta::{Meta, format_date_time, now, parse_date_time};
pub use self::user::{Address, MultiValue, Name, User};
use crate::id::{ResourceId, Version};
use crate::schema::JsonObject;
use crate::{Error, schema::SchemaUrn};

/// One stored resource as canonical JSON, with its `id` and version.
///
/// # Examples
///
/// ```
/// use scim_core::resource::{Meta, Resource};
/// use scim_core::id::{ResourceId, Version};
/// use serde_json::json;
///
/// let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen"});
/// let serde_json::Value::Object(body) = body else { unreachable!() };
/// let created = scim_core::resource::parse_date_time("2011-08-01T18:29:49.793Z").unwrap();
/// let meta = Meta::new("User", created, Version::from_revision(1));
/// let resource = Resource::new(ResourceId::new("2819c223")?, body, &meta);
/// assert_eq!(resource.id().as_str(), "2819c223");
/// assert_eq!(resource.json()["meta"]["version"], "W/\"1\"");
/// # Ok::<(), scim_core::Error>(())
/// ```
///
/// Cloning is cheap: the JSON is shared until one of the clones changes it,
/// so a store can hand out resources without copying them.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    json: Arc<JsonObject>,
    id: ResourceId,
    version: Version,
}

/// The key of the `id` attribute.
pub(crate) const ID: &str = "id";
/// The key of the `meta` attribute.
pub(crate) const META: &str = "meta";
/// The key of the `schemas` attribute.
pub(crate) const SCHEMAS: &str = "schemas";

impl Resource {
    /// Assembles a resource from a prepared body (see [`prepare_create`]),
    /// its id and its metadata.
    pub fn new(id: ResourceId, mut body: JsonObject, meta: &Meta) -> Self {
        body.insert(ID.to_owned(), Value::String(id.as_str().to_owned()));
        body.insert(META.to_owned(), meta.to_json());
        Self {
            json: Arc::new(body),
            id,
            version: meta.version.clone(),
        }
    }

    /// Wraps stored JSON, which must carry a string `id` and a
    /// `meta.version`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] if `id` or `meta.version` is missing or
    /// malformed.
    pub fn from_json(json: JsonObject) -> Result<Self, Error> {
        let id = match json.get(ID) {
            Some(Value::String(id)) => ResourceId::new(id.clone())?,
            _ => return Err(Error::invalid_value("stored resource has no id".to_owned())),
        };
        let version = match json.get(META).and_then(|m| m.get("version")) {
            Some(Value::String(v)) => Version::parse(v)?,
            _ => {
                return Err(Error::invalid_value(
                    "stored resource has no meta.version".to_owned(),
                ));
            }
        };
        Ok(Self {
            json: Arc::new(json),
            id,
            version,
        })
    }

    /// The resource id.
    pub fn id(&self) -> &ResourceId {
        &self.id
    }

    /// The current version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The metadata, or `None` if the stored `meta` lacks its RFC 3339
    /// `created` and `lastModified` (a store that built the JSON by hand
    /// without them).
    pub fn meta(&self) -> Option<Meta> {
        Meta::from_json(self.json.get(META))
    }

    /// The whole resource as JSON.
    pub fn json(&self) -> &JsonObject {
        &self.json
    }

    /// The whole resource as JSON, by value.
    pub fn into_json(self) -> JsonObject {
        Arc::try_unwrap(self.json).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The schema URNs the resource lists.
    pub fn schemas(&self) -> Vec<SchemaUrn> {
        match self.json.get(SCHEMAS) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|s| SchemaUrn::new(s).ok())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The value of a top-level attribute (or extension object, by URN).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.json.get(key)
    }

    /// Sets or clears a top-level attribute that the store computes (such
    /// as a User's `groups`). `id` and `meta` cannot be set this way.
    ///
    /// # Errors
    ///
    /// [`Error::Mutability`] for `id` and `meta`.
    pub fn set_computed(&mut self, key: &str, value: Option<Value>) -> Result<(), Error> {
        if key == ID || key == META {
            return Err(Error::mutability(format!(
                "\"{key}\" is managed by the service"
            )));
        }
        match value {
            Some(v) => {
                Arc::make_mut(&mut self.json).insert(key.to_owned(), v);
            }
            // Only copy a shared resource when there is something to remove.
            None if self.json.contains_key(key) => {
                Arc::make_mut(&mut self.json).remove(key);
            }
            None => {}
        }
        Ok(())
    }

    /// The same resource with a new version, as a store writes it.
    #[must_use]
    pub fn with_version(mut self, version: Version) -> Self {
        if let Some(Value::Object(meta)) = Arc::make_mut(&mut self.json).get_mut(META) {
            meta.insert(
                "version".to_owned(),
                Value::String(version.as_str().to_owned()),
            );
        }
        self.version = version;
        self
    }

    /// Sets `meta.location`, which depends on the URL the resource was
    /// requested under and is therefore not stored.
    pub fn set_location(&mut self, location: &str) {
        if let Some(Value::Object(meta)) = Arc::make_mut(&mut self.json).get_mut(META) {
            meta.insert("location".to_owned(), Value::String(location.to_owned()));
        }
    }
}
