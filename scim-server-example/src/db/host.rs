//! Mapping between SCIM resources and the product's rows, shared by both
//! backends.
//!
//! A host (SCIM User) is stored as typed columns the product reads
//! (`user_name`, `given_name`, `work_email`, `visible`, …) plus `doc`, the
//! whole resource JSON without the computed `groups`, so every attribute a
//! client sent round-trips. A host group (SCIM Group) is stored as
//! `display_name` and `doc` without `members`; each member is a row of
//! `memberships`.
//!
//! The typed columns are derived here, in Rust, from the JSON the library
//! validated; the database never parses `doc`. Case-insensitive keys
//! (`user_name_key`, `display_name_key`, `member_key`) are folded with
//! [`fold`], which is the Unicode lower-casing the library's filter
//! evaluator uses. SQL's own `lower()`, `NOCASE` and `LIKE` fold only ASCII
//! and would disagree with it.

use std::collections::HashSet;
use std::fmt;

use scim_core::id::Version;
use scim_core::resource::Resource;
use scim_core::schema::{JsonObject, ResourceSchema, SchemaUrn, Uniqueness};
use scim_core::store::StoreError;
use serde_json::{Map, Value};

/// The keys of the attributes the store reads or writes.
pub(crate) mod key {
    /// `userName`.
    pub(crate) const USER_NAME: &str = "userName";
    /// `externalId`.
    pub(crate) const EXTERNAL_ID: &str = "externalId";
    /// `name`.
    pub(crate) const NAME: &str = "name";
    /// `name.givenName`.
    pub(crate) const GIVEN_NAME: &str = "givenName";
    /// `name.familyName`.
    pub(crate) const FAMILY_NAME: &str = "familyName";
    /// `emails`.
    pub(crate) const EMAILS: &str = "emails";
    /// `phoneNumbers`.
    pub(crate) const PHONE_NUMBERS: &str = "phoneNumbers";
    /// `active`.
    pub(crate) const ACTIVE: &str = "active";
    /// `groups`, computed for Users.
    pub(crate) const GROUPS: &str = "groups";
    /// `displayName`.
    pub(crate) const DISPLAY_NAME: &str = "displayName";
    /// `members`, kept in `memberships`.
    pub(crate) const MEMBERS: &str = "members";
    /// The `value` sub-attribute.
    pub(crate) const VALUE: &str = "value";
    /// The `type` sub-attribute.
    pub(crate) const TYPE: &str = "type";
    /// The `display` sub-attribute.
    pub(crate) const DISPLAY: &str = "display";
    /// The `primary` sub-attribute.
    pub(crate) const PRIMARY: &str = "primary";
    /// `meta`.
    pub(crate) const META: &str = "meta";
    /// `meta.version`.
    pub(crate) const VERSION: &str = "version";
    /// `meta.lastModified`.
    pub(crate) const LAST_MODIFIED: &str = "lastModified";
    /// `meta.created`.
    pub(crate) const CREATED: &str = "created";
    /// Enterprise User `organization`.
    pub(crate) const ORGANIZATION: &str = "organization";
    /// Enterprise User `department`.
    pub(crate) const DEPARTMENT: &str = "department";
}

/// Which table a resource type lives in.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Kind {
    /// SCIM Users, the `hosts` table.
    Host,
    /// SCIM Groups, the `host_groups` table.
    HostGroup,
}

impl Kind {
    /// The table for a resource type; only `User` and `Group` are stored,
    /// a group being the type whose schema declares members
    /// ([`ResourceSchema::membership`]).
    pub(crate) fn of(schema: &ResourceSchema) -> Result<Self, StoreError> {
        if schema.name().eq_ignore_ascii_case("User") {
            Ok(Self::Host)
        } else if schema.name().eq_ignore_ascii_case("Group") && schema.membership().is_some() {
            Ok(Self::HostGroup)
        } else {
            Err(StoreError::backend(UnsupportedType(
                schema.name().to_owned(),
            )))
        }
    }
}

/// A resource type this database has no table for.
#[derive(Debug)]
pub(crate) struct UnsupportedType(String);

impl fmt::Display for UnsupportedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the host database stores only User resources and Group resources with members, not {:?}",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedType {}

/// A failure described by a message: a stored document that cannot be
/// read back, a resource that cannot be written, a pool or thread failure.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// The case-insensitive comparison key: Unicode lower-casing, exactly what
/// the filter evaluator compares for `caseExact: false` attributes.
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// The typed columns of a `hosts` row.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub(crate) struct HostColumns {
    pub(crate) user_name: String,
    pub(crate) user_name_key: String,
    pub(crate) external_id: Option<String>,
    pub(crate) given_name: Option<String>,
    pub(crate) family_name: Option<String>,
    pub(crate) work_email: Option<String>,
    pub(crate) other_email: Option<String>,
    pub(crate) work_phone: Option<String>,
    pub(crate) mobile_phone: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) department: Option<String>,
    pub(crate) visible: bool,
}

impl HostColumns {
    /// Derives the columns from a User.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if the User has no string `userName` (the
    /// library's input checks make that impossible for client data).
    pub(crate) fn of(json: &JsonObject) -> Result<Self, StoreError> {
        let Some(user_name) = text(json.get(key::USER_NAME)) else {
            return Err(StoreError::backend(Failure(
                "a User needs a string userName to be stored".to_owned(),
            )));
        };
        let name = json.get(key::NAME);
        let emails = json.get(key::EMAILS);
        let phones = json.get(key::PHONE_NUMBERS);
        let enterprise = json.get(SchemaUrn::ENTERPRISE_USER.as_str());
        Ok(Self {
            user_name_key: fold(&user_name),
            user_name,
            external_id: text(json.get(key::EXTERNAL_ID)),
            given_name: text(name.and_then(|n| n.get(key::GIVEN_NAME))),
            family_name: text(name.and_then(|n| n.get(key::FAMILY_NAME))),
            work_email: typed_value(emails, "work").or_else(|| primary_value(emails)),
            other_email: typed_value(emails, "other"),
            work_phone: typed_value(phones, "work"),
            mobile_phone: typed_value(phones, "mobile"),
            organization: text(enterprise.and_then(|e| e.get(key::ORGANIZATION))),
            department: text(enterprise.and_then(|e| e.get(key::DEPARTMENT))),
            visible: visible(json.get(key::ACTIVE)),
        })
    }
}

/// The typed columns of a `host_groups` row.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub(crate) struct GroupColumns {
    pub(crate) display_name: String,
    pub(crate) display_name_key: String,
    /// `display_name_key` when the registry makes `displayName` unique
    /// (`uniqueness: server`), under a unique index per tenant; `NULL`
    /// otherwise, and for the later duplicates the migration found.
    pub(crate) display_name_unique: Option<String>,
    pub(crate) external_id: Option<String>,
}

impl GroupColumns {
    /// Derives the columns from a Group of `schema`. A Group without
    /// `displayName` (only possible when the library's input checks are
    /// bypassed) is stored with an empty one.
    pub(crate) fn of(schema: &ResourceSchema, json: &JsonObject) -> Self {
        let display_name = text(json.get(key::DISPLAY_NAME)).unwrap_or_default();
        let display_name_key = fold(&display_name);
        Self {
            display_name_unique: group_names_unique(schema).then(|| display_name_key.clone()),
            display_name_key,
            display_name,
            external_id: text(json.get(key::EXTERNAL_ID)),
        }
    }
}

/// Whether the registry makes Group `displayName` unique per tenant (the
/// Sign In Enterprise profile does, with
/// `AttributeSettings::uniqueness`).
pub(crate) fn group_names_unique(schema: &ResourceSchema) -> bool {
    schema
        .attribute(key::DISPLAY_NAME)
        .is_some_and(|a| a.uniqueness != Uniqueness::None)
}

/// A string attribute's value; anything else counts as absent.
fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

/// `attr[type eq "<wanted>"].value`: the first element whose `type` equals
/// `wanted` ignoring case (the `type` sub-attribute is not case-exact).
fn typed_value(values: Option<&Value>, wanted: &str) -> Option<String> {
    values?.as_array()?.iter().find_map(|v| {
        let t = v.get(key::TYPE)?.as_str()?;
        if fold(t) == wanted {
            text(v.get(key::VALUE))
        } else {
            None
        }
    })
}

/// The `value` of the element with `"primary": true`.
fn primary_value(values: Option<&Value>) -> Option<String> {
    values?
        .as_array()?
        .iter()
        .find(|v| v.get(key::PRIMARY) == Some(&Value::Bool(true)))
        .and_then(|v| text(v.get(key::VALUE)))
}

/// Whether the product shows the host: `active`, absent meaning true. The
/// library stores booleans; the strings Entra sends (`"False"`) are read
/// too, in case a document bypassed its input checks.
fn visible(active: Option<&Value>) -> bool {
    match active {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.eq_ignore_ascii_case("false"),
        _ => true,
    }
}

/// Splits a resource for writing: the document text (without the computed
/// or separately stored attribute `omit`, with the version set) and the
/// resource as stored.
pub(crate) fn split_for_write(
    resource: Resource,
    version: Version,
    omit: &str,
) -> Result<(String, Option<Value>, JsonObject), StoreError> {
    let mut json = resource.with_version(version).into_json();
    let omitted = json.remove(omit);
    let doc = serde_json::to_string(&json).map_err(StoreError::backend)?;
    Ok((doc, omitted, json))
}

/// `meta.created` and `meta.lastModified` of a resource about to be
/// written, defaulting to `now`.
pub(crate) fn timestamps(json: &JsonObject, now: &str) -> (String, String) {
    let meta = json.get(key::META);
    let created = text(meta.and_then(|m| m.get(key::CREATED))).unwrap_or_else(|| now.to_owned());
    let last_modified =
        text(meta.and_then(|m| m.get(key::LAST_MODIFIED))).unwrap_or_else(|| now.to_owned());
    (created, last_modified)
}

/// A stored group document with a new `displayName` (the repair command
/// `groups rename` on a database not yet migrated to unique names).
pub(crate) fn renamed_doc(doc: &str, display_name: &str) -> Result<String, StoreError> {
    let mut json: JsonObject = serde_json::from_str(doc).map_err(StoreError::backend)?;
    json.insert(
        key::DISPLAY_NAME.to_owned(),
        Value::String(display_name.to_owned()),
    );
    serde_json::to_string(&json).map_err(StoreError::backend)
}

/// Rebuilds a resource from its stored document: the revision and
/// `lastModified` columns are authoritative (membership changes update
/// them without rewriting the document).
pub(crate) fn assemble(
    doc: &str,
    revision: i64,
    last_modified: &str,
) -> Result<Resource, StoreError> {
    let mut json: JsonObject = serde_json::from_str(doc).map_err(StoreError::backend)?;
    let version = Version::from_revision(revision_u64(revision));
    if let Some(Value::Object(meta)) = json.get_mut(key::META) {
        meta.insert(
            key::VERSION.to_owned(),
            Value::String(version.as_str().to_owned()),
        );
        meta.insert(
            key::LAST_MODIFIED.to_owned(),
            Value::String(last_modified.to_owned()),
        );
    }
    Resource::from_json(json).map_err(StoreError::backend)
}

/// A revision column as the library's counter (revisions start at 1 and
/// only grow, so a negative value cannot occur).
pub(crate) fn revision_u64(revision: i64) -> u64 {
    u64::try_from(revision).unwrap_or(0)
}

/// The revision a caller expects, or `None` for a version this store never
/// issued (which then matches nothing).
pub(crate) fn expected_revision(expected: &Version) -> Option<i64> {
    expected.revision().and_then(|r| i64::try_from(r).ok())
}

/// One row of `memberships`, as written.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct MemberRow {
    /// The member's id (`value`).
    pub(crate) member_id: String,
    /// [`fold`] of the id, for `members eq "…"`, which compares ignoring
    /// case.
    pub(crate) member_key: String,
    /// The `type` the client sent.
    pub(crate) member_type: Option<String>,
    /// The `display` the client sent.
    pub(crate) display: Option<String>,
    /// Every other sub-attribute (`$ref`, unknown ones) as a JSON object,
    /// `None` when there are none.
    pub(crate) extra: Option<String>,
}

impl MemberRow {
    /// Reads one `members` element.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidReference`] if it has no string `value`.
    pub(crate) fn of(member: &Value) -> Result<Self, StoreError> {
        let Some(obj) = member.as_object() else {
            return Err(StoreError::InvalidReference(
                "every member must be an object with a \"value\"".to_owned(),
            ));
        };
        let Some(member_id) = text(obj.get(key::VALUE)) else {
            return Err(StoreError::InvalidReference(
                "every member needs a string \"value\"".to_owned(),
            ));
        };
        let mut rest = Map::new();
        let mut member_type = None;
        let mut display = None;
        for (k, v) in obj {
            match (k.as_str(), v) {
                (key::VALUE, _) => {}
                (key::TYPE, Value::String(s)) => member_type = Some(s.clone()),
                (key::DISPLAY, Value::String(s)) => display = Some(s.clone()),
                _ => {
                    rest.insert(k.clone(), v.clone());
                }
            }
        }
        let extra = if rest.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&rest).map_err(StoreError::backend)?)
        };
        Ok(Self {
            member_key: fold(&member_id),
            member_id,
            member_type,
            display,
            extra,
        })
    }

    /// Reads a `members` array (or nothing), dropping repeated ids (the
    /// first occurrence wins, as in the library's member delta).
    pub(crate) fn list(members: Option<&Value>) -> Result<Vec<Self>, StoreError> {
        let items: &[Value] = match members {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => &[],
            Some(_) => {
                return Err(StoreError::InvalidReference(
                    "\"members\" must be a list".to_owned(),
                ));
            }
        };
        let mut seen = HashSet::with_capacity(items.len());
        let mut rows = Vec::with_capacity(items.len());
        for item in items {
            let row = Self::of(item)?;
            if seen.insert(row.member_id.clone()) {
                rows.push(row);
            }
        }
        Ok(rows)
    }
}

/// A `members` element rebuilt from its row.
pub(crate) fn member_json(
    member_id: String,
    member_type: Option<String>,
    display: Option<String>,
    extra: Option<&str>,
) -> Result<Value, StoreError> {
    let mut obj: JsonObject = match extra {
        Some(extra) => serde_json::from_str(extra).map_err(StoreError::backend)?,
        None => Map::new(),
    };
    obj.insert(key::VALUE.to_owned(), Value::String(member_id));
    if let Some(t) = member_type {
        obj.insert(key::TYPE.to_owned(), Value::String(t));
    }
    if let Some(d) = display {
        obj.insert(key::DISPLAY.to_owned(), Value::String(d));
    }
    Ok(Value::Object(obj))
}

/// One element of a User's computed `groups` (RFC 7643 §4.1.2): a direct
/// membership.
pub(crate) fn group_ref(group_id: String, display_name: String) -> Value {
    let mut obj = Map::new();
    obj.insert(key::VALUE.to_owned(), Value::String(group_id));
    obj.insert(key::DISPLAY.to_owned(), Value::String(display_name));
    obj.insert(key::TYPE.to_owned(), Value::String("direct".to_owned()));
    Value::Object(obj)
}

/// Sets a User's computed `groups` (omitted when there are none).
pub(crate) fn set_groups(resource: &mut Resource, groups: Vec<Value>) -> Result<(), StoreError> {
    let value = (!groups.is_empty()).then_some(Value::Array(groups));
    resource
        .set_computed(key::GROUPS, value)
        .map_err(StoreError::backend)
}

/// Sets or clears a Group's `members`.
pub(crate) fn set_members(
    resource: &mut Resource,
    members: Option<Vec<Value>>,
) -> Result<(), StoreError> {
    let value = members.filter(|m| !m.is_empty()).map(Value::Array);
    resource
        .set_computed(key::MEMBERS, value)
        .map_err(StoreError::backend)
}

/// The conflict message for a taken `userName`.
pub(crate) fn user_name_taken(user_name: &str) -> StoreError {
    StoreError::Conflict(format!("userName {user_name:?} is already taken"))
}

/// The conflict for a taken group `displayName` (compared ignoring case).
pub(crate) fn display_name_taken(display_name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "displayName {display_name:?} is already taken by another group (names are compared ignoring case)"
    ))
}

/// The conflict for a taken `id` (ids are unique across the resource
/// types of a tenant, RFC 7643 §3.1).
pub(crate) fn id_taken(id: &str) -> StoreError {
    StoreError::Conflict(format!("a resource with id {id:?} already exists"))
}

/// The answer to a membership change on a type without members.
pub(crate) fn no_members(schema: &ResourceSchema) -> StoreError {
    StoreError::InvalidReference(format!("{} resources have no members", schema.name()))
}

/// The message for a member that is neither a host nor a host group.
pub(crate) fn unknown_member(id: &str) -> StoreError {
    StoreError::InvalidReference(format!(
        "member {id:?} is not a User or Group of this tenant"
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> JsonObject {
        match v {
            Value::Object(o) => o,
            _ => unreachable!("test data is an object"),
        }
    }

    #[test]
    fn entra_user_fills_every_typed_column() {
        let user = obj(json!({
            "userName": "Amelia.Hart@Northwind.example",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "amelia.hart@northwind.example"},
                       {"type": "other", "value": "amelia@hart.example"}],
            "name": {"familyName": "Hart", "givenName": "Amelia"},
            "phoneNumbers": [{"type": "work", "value": "+1 206 555 0100"},
                             {"type": "mobile", "value": "+1 206 555 0142"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                {"department": "Front Desk", "organization": "Northwind Traders"},
            "externalId": "ext-1",
        }));
        let c = HostColumns::of(&user).unwrap();
        assert_eq!(
            c,
            HostColumns {
                user_name: "Amelia.Hart@Northwind.example".into(),
                user_name_key: "amelia.hart@northwind.example".into(),
                external_id: Some("ext-1".into()),
                given_name: Some("Amelia".into()),
                family_name: Some("Hart".into()),
                work_email: Some("amelia.hart@northwind.example".into()),
                other_email: Some("amelia@hart.example".into()),
                work_phone: Some("+1 206 555 0100".into()),
                mobile_phone: Some("+1 206 555 0142".into()),
                organization: Some("Northwind Traders".into()),
                department: Some("Front Desk".into()),
                visible: true,
            }
        );
    }

    #[test]
    fn work_email_falls_back_to_primary_and_active_defaults_to_visible() {
        let user = obj(json!({
            "userName": "x",
            "emails": [{"type": "home", "value": "h@example.com"},
                       {"type": "home", "primary": true, "value": "p@example.com"}],
        }));
        let c = HostColumns::of(&user).unwrap();
        assert_eq!(c.work_email.as_deref(), Some("p@example.com"));
        assert!(c.visible);
        let c = HostColumns::of(&obj(json!({"userName": "x", "active": false}))).unwrap();
        assert!(!c.visible);
        let c = HostColumns::of(&obj(
            json!({"userName": "x", "emails": [{"type": "WORK", "value": "w"}]}),
        ))
        .unwrap();
        assert_eq!(c.work_email.as_deref(), Some("w"));
    }

    #[test]
    fn user_name_key_folds_unicode_not_just_ascii() {
        let c = HostColumns::of(&obj(json!({"userName": "ÉMILE@Example.com"}))).unwrap();
        assert_eq!(c.user_name_key, "émile@example.com");
        assert!(HostColumns::of(&obj(json!({"userName": 5}))).is_err());
    }

    #[test]
    fn members_round_trip_through_rows() {
        let m = json!({"value": "u1", "type": "User", "display": "Amelia", "$ref": "https://x/Users/u1", "custom": 1});
        let row = MemberRow::of(&m).unwrap();
        assert_eq!(row.member_id, "u1");
        let back = member_json(
            row.member_id,
            row.member_type,
            row.display,
            row.extra.as_deref(),
        )
        .unwrap();
        assert_eq!(back, m);
        let rows = MemberRow::list(Some(
            &json!([{"value": "a"}, {"value": "b"}, {"value": "a", "display": "x"}]),
        ))
        .unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| r.member_id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(matches!(
            MemberRow::of(&json!({"display": "no value"})),
            Err(StoreError::InvalidReference(_))
        ));
    }
}
