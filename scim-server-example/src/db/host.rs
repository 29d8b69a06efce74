//! A host (SCIM User) is stored as typed columns the product reads
//! (`user_name`, `given_name`, `work_email`, `visible`, …) plus `doc`, the
//! whole resource JSON without the computed `groups`, so every attribute a
//! client sent round-trips.
//!
//! The typed columns are derived here, in Rust, from the JSON the library
//! validated; the database never parses `doc`. `user_name_key` is folded
//! with [`fold`], as the filter evaluator compares `userName`.

use scim_core::schema::{JsonObject, SchemaUrn};
use scim_core::store::StoreError;
use serde_json::Value;

use super::document::{fold, text};
use super::error::Failure;
use super::key;

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
}
