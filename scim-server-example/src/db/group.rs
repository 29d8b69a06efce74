//! A host group (SCIM Group) is stored as `display_name` and `doc`
//! without `members`; each member is a row of `memberships`
//! (`members.rs`).

use scim_core::schema::{JsonObject, ResourceSchema, Uniqueness};
use scim_core::store::StoreError;
use serde_json::Value;

use super::document::{fold, text};
use super::key;

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
