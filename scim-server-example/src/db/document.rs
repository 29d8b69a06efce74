//! The stored JSON documents, shared by both backends: what is written
//! (the document without its separately stored or computed attribute, and
//! its timestamps), how a resource is rebuilt from it, revisions, and the
//! folded comparison keys.
//!
//! Case-insensitive keys (`user_name_key`, `display_name_key`,
//! `member_key`) are folded with [`fold`], which is the Unicode
//! lower-casing the library's filter evaluator uses. SQL's own `lower()`,
//! `NOCASE` and `LIKE` fold only ASCII and would disagree with it.

use scim_core::id::Version;
use scim_core::resource::Resource;
use scim_core::schema::JsonObject;
use scim_core::store::StoreError;
use serde_json::Value;

use super::key;

/// The case-insensitive comparison key: Unicode lower-casing, exactly what
/// the filter evaluator compares for `caseExact: false` attributes.
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// A string attribute's value; anything else counts as absent.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
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
