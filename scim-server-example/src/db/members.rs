//! Group members: each is a row of `memberships`, rebuilt into a Group's
//! `members` and a User's computed `groups` when read.

use std::collections::HashSet;

use scim_core::resource::Resource;
use scim_core::schema::JsonObject;
use scim_core::store::StoreError;
use serde_json::{Map, Value};

use super::document::{fold, text};
use super::key;

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
            return Err(StoreError::invalid_reference(
                "every member must be an object with a \"value\"",
            ));
        };
        let Some(member_id) = text(obj.get(key::VALUE)) else {
            return Err(StoreError::invalid_reference(
                "every member needs a string \"value\"",
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
                return Err(StoreError::invalid_reference("\"members\" must be a list"));
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
