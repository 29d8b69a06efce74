//! SCIM resources to the application's rows and back.
//!
//! Each typed column holds one SCIM attribute:
//!
//! | SCIM attribute | column |
//! |---|---|
//! | `id` | `employees.id` |
//! | `userName` | `employees.email` (the employee logs in with it) |
//! | `externalId` | `employees.external_id` |
//! | `name.givenName`, `name.familyName` | `employees.given_name`, `employees.family_name` |
//! | `active` | `employees.active` |
//! | enterprise `department` | `employees.department` |
//! | `meta.version`, `meta.created`, `meta.lastModified` | `version`, `created`, `modified` |
//! | Group `displayName` | `teams.name` |
//! | Group `members` | rows of `team_members` |
//!
//! Everything else a client sends (`emails`, `title`, the rest of `name`,
//! other extensions, the unknown attributes Entra ID's policy keeps) goes
//! in the row's `scim_extra` column as a JSON object, and comes back from
//! it. Without that column the store would have to drop those attributes
//! or refuse the whole resource. The first is wrong and the second fails
//! Entra ID's provisioning.

use std::error::Error as StdError;
use std::fmt;

use scim_core::id::{ResourceId, Version};
use scim_core::resource::{Meta, Resource, format_date_time, parse_date_time};
use scim_core::schema::{JsonObject, ResourceSchema};
use scim_core::store::StoreError;
use serde_json::Value;

/// The Enterprise User extension, which holds `department`.
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One row of the application's `employees` table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Employee {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) external_id: Option<String>,
    pub(crate) given_name: Option<String>,
    pub(crate) family_name: Option<String>,
    pub(crate) active: Option<bool>,
    pub(crate) department: Option<String>,
    pub(crate) version: i64,
    pub(crate) created: String,
    pub(crate) modified: String,
    /// The attributes no column holds, as a JSON object.
    pub(crate) extra: JsonObject,
}

/// One row of the application's `teams` table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Team {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) external_id: Option<String>,
    pub(crate) version: i64,
    pub(crate) created: String,
    pub(crate) modified: String,
    pub(crate) extra: JsonObject,
}

/// One row of `team_members`, without its team and position.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TeamMember {
    pub(crate) member_id: String,
    pub(crate) display: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) reference: Option<String>,
}

/// The sub-attributes of a `members` element, each with its column.
const MEMBER_KEYS: [&str; 4] = ["value", "display", "type", "$ref"];

/// A resource the service validated does not fit the columns: the
/// registry and the store disagree, a bug of the server, not of the
/// client.
#[derive(Debug)]
pub(crate) struct Unmappable(String);

impl fmt::Display for Unmappable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the resource does not fit the tables: {}", self.0)
    }
}

impl StdError for Unmappable {}

fn unmappable(what: impl Into<String>) -> StoreError {
    StoreError::backend(Unmappable(what.into()))
}

impl Employee {
    /// The row for a User. `version` is the caller's to set.
    pub(crate) fn from_resource(resource: &Resource) -> Result<Self, StoreError> {
        let (created, modified) = times(resource)?;
        let mut extra = without_service_attributes(resource, &["groups"]);
        let email = take_string(&mut extra, "userName")?
            .ok_or_else(|| unmappable("a User without userName"))?;
        let external_id = take_string(&mut extra, "externalId")?;
        let (given_name, family_name) =
            match take_from(&mut extra, "name", &["givenName", "familyName"])? {
                Some([given, family]) => (given, family),
                None => (None, None),
            };
        let active = match extra.remove("active") {
            None => None,
            Some(Value::Bool(active)) => Some(active),
            Some(other) => return Err(unmappable(format!("active is {other}"))),
        };
        let department = take_from(&mut extra, ENTERPRISE, &["department"])?.and_then(|[d]| d);
        Ok(Self {
            id: resource.id().as_str().to_owned(),
            email,
            external_id,
            given_name,
            family_name,
            active,
            department,
            version: 0,
            created,
            modified,
            extra,
        })
    }

    /// The User this row holds, with its computed `groups`, if it is a
    /// member of any.
    pub(crate) fn into_resource(
        self,
        schema: &ResourceSchema,
        groups: Option<Value>,
    ) -> Result<Resource, StoreError> {
        let mut json = self.extra;
        json.insert("userName".to_owned(), Value::String(self.email));
        put_string(&mut json, "externalId", self.external_id);
        put_into(
            &mut json,
            "name",
            [
                ("givenName", self.given_name),
                ("familyName", self.family_name),
            ],
        )?;
        if let Some(active) = self.active {
            json.insert("active".to_owned(), Value::Bool(active));
        }
        put_into(&mut json, ENTERPRISE, [("department", self.department)])?;
        if let Some(groups) = groups {
            json.insert("groups".to_owned(), groups);
        }
        assemble(
            schema,
            &self.id,
            json,
            self.version,
            &self.created,
            &self.modified,
        )
    }
}

impl Team {
    /// The row for a Group and its `team_members` rows in order.
    pub(crate) fn from_resource(
        resource: &Resource,
    ) -> Result<(Self, Vec<TeamMember>), StoreError> {
        let (created, modified) = times(resource)?;
        let mut extra = without_service_attributes(resource, &[]);
        let name = take_string(&mut extra, "displayName")?
            .ok_or_else(|| unmappable("a Group without displayName"))?;
        let external_id = take_string(&mut extra, "externalId")?;
        let members = match extra.remove("members") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(TeamMember::from_json)
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(unmappable(format!("members is {other}"))),
        };
        let team = Self {
            id: resource.id().as_str().to_owned(),
            name,
            external_id,
            version: 0,
            created,
            modified,
            extra,
        };
        Ok((team, members))
    }

    /// The Group this row holds, with `members` if they were loaded.
    pub(crate) fn into_resource(
        self,
        schema: &ResourceSchema,
        members: Option<Vec<TeamMember>>,
    ) -> Result<Resource, StoreError> {
        let mut json = self.extra;
        json.insert("displayName".to_owned(), Value::String(self.name));
        put_string(&mut json, "externalId", self.external_id);
        if let Some(members) = members.filter(|m| !m.is_empty()) {
            let items = members.into_iter().map(TeamMember::into_json).collect();
            json.insert("members".to_owned(), Value::Array(items));
        }
        assemble(
            schema,
            &self.id,
            json,
            self.version,
            &self.created,
            &self.modified,
        )
    }
}

impl TeamMember {
    /// A `members` element (`{"value": id, "display": …, "type": …,
    /// "$ref": …}`) as a row.
    ///
    /// # Errors
    ///
    /// A sub-attribute with no column (which the Entra ID policy would
    /// otherwise keep) is refused with `400 invalidValue` rather than
    /// dropped.
    pub(crate) fn from_json(member: &Value) -> Result<Self, StoreError> {
        let Value::Object(fields) = member else {
            return Err(unmappable(format!("a member is {member}")));
        };
        if let Some(key) = fields.keys().find(|k| !MEMBER_KEYS.contains(&k.as_str())) {
            return Err(StoreError::invalid_reference(format!(
                "members.{key} cannot be stored: this service keeps only value, display, type and $ref of a member"
            )));
        }
        let text = |key: &str| match fields.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(unmappable(format!("members.{key} is {other}"))),
        };
        Ok(Self {
            member_id: text("value")?.ok_or_else(|| unmappable("a member without value"))?,
            display: text("display")?,
            kind: text("type")?,
            reference: text("$ref")?,
        })
    }

    fn into_json(self) -> Value {
        let mut fields = JsonObject::new();
        fields.insert("value".to_owned(), Value::String(self.member_id));
        put_string(&mut fields, "display", self.display);
        put_string(&mut fields, "type", self.kind);
        put_string(&mut fields, "$ref", self.reference);
        Value::Object(fields)
    }
}

/// `meta.created` and `meta.lastModified` as the columns keep them.
fn times(resource: &Resource) -> Result<(String, String), StoreError> {
    let meta = resource
        .meta()
        .ok_or_else(|| unmappable("a resource without meta.created and meta.lastModified"))?;
    Ok((
        format_date_time(meta.created),
        format_date_time(meta.last_modified),
    ))
}

/// The resource's JSON without what the store keeps elsewhere or
/// computes: `id`, `meta` and the named computed attributes.
fn without_service_attributes(resource: &Resource, computed: &[&str]) -> JsonObject {
    let mut json = resource.json().clone();
    for key in ["id", "meta"].iter().chain(computed) {
        json.remove(*key);
    }
    json
}

/// Removes the string attribute `key`.
fn take_string(json: &mut JsonObject, key: &str) -> Result<Option<String>, StoreError> {
    match json.remove(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(unmappable(format!("{key} is {other}"))),
    }
}

/// Removes the string sub-attributes `keys` of the object under `parent`,
/// and the object itself if nothing else is left in it; `None` if there
/// is no such object.
fn take_from<const N: usize>(
    json: &mut JsonObject,
    parent: &str,
    keys: &[&str; N],
) -> Result<Option<[Option<String>; N]>, StoreError> {
    let Some(Value::Object(object)) = json.get_mut(parent) else {
        return Ok(None);
    };
    let mut taken: [Option<String>; N] = std::array::from_fn(|_| None);
    for (slot, key) in taken.iter_mut().zip(keys) {
        *slot = take_string(object, key)?;
    }
    if object.is_empty() && taken.iter().any(Option::is_some) {
        json.remove(parent);
    }
    Ok(Some(taken))
}

fn put_string(json: &mut JsonObject, key: &str, value: Option<String>) {
    if let Some(value) = value {
        json.insert(key.to_owned(), Value::String(value));
    }
}

/// Puts the sub-attributes that have a value into the object under
/// `parent`, creating it if needed.
fn put_into<const N: usize>(
    json: &mut JsonObject,
    parent: &str,
    values: [(&str, Option<String>); N],
) -> Result<(), StoreError> {
    if values.iter().all(|(_, v)| v.is_none()) {
        return Ok(());
    }
    let entry = json
        .entry(parent.to_owned())
        .or_insert_with(|| Value::Object(JsonObject::new()));
    let Value::Object(object) = entry else {
        return Err(unmappable(format!(
            "scim_extra holds a {parent} that is not an object"
        )));
    };
    for (key, value) in values {
        put_string(object, key, value);
    }
    Ok(())
}

/// The resource with its `id` and `meta`.
fn assemble(
    schema: &ResourceSchema,
    id: &str,
    json: JsonObject,
    version: i64,
    created: &str,
    modified: &str,
) -> Result<Resource, StoreError> {
    let time = |text: &str| {
        parse_date_time(text).ok_or_else(|| unmappable(format!("a stored time {text:?}")))
    };
    let revision = u64::try_from(version).map_err(|_| unmappable(format!("version {version}")))?;
    let mut meta = Meta::new(
        schema.name(),
        time(created)?,
        Version::from_revision(revision),
    );
    meta.last_modified = time(modified)?;
    let id = ResourceId::new(id).map_err(StoreError::backend)?;
    Ok(Resource::new(id, json, &meta))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_member_sub_attribute_without_a_column_is_refused_not_dropped() {
        let member =
            TeamMember::from_json(&json!({"value": "a", "display": "Ann", "type": "User"}));
        assert!(member.is_ok());
        let refused = TeamMember::from_json(&json!({"value": "a", "weight": 3}));
        assert!(
            matches!(&refused, Err(StoreError::InvalidReference(r)) if r.detail().as_str().contains("members.weight")),
            "{refused:?}"
        );
    }
}
