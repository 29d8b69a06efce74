//! The typed Enterprise User extension (RFC 7643 §4.3).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::extension::Extension;
use crate::schema::{JsonObject, SchemaUrn};

/// The Enterprise User extension (RFC 7643 §4.3), stored in a User under
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
///
/// Read and write it with [`User::extension`](super::User::extension) and
/// [`User::set_extension`](super::User::set_extension).
///
/// `manager` must be the complex value of RFC 7643 §4.3. Entra ID sends a
/// bare string instead (`"manager": "26118915-…"`); the engine's input
/// checking turns that into `{"value": …}` under
/// [`Tolerance::ScalarForComplex`](crate::tolerance::Tolerance::ScalarForComplex)
/// before anything is stored, so this typed view is strict and refuses the
/// bare string with an error rather than guessing (accepting it would make
/// the view write different JSON than it read).
///
/// # Examples
///
/// ```
/// use scim_core::User;
/// use scim_core::resource::{EnterpriseUser, Manager};
///
/// let mut enterprise = EnterpriseUser::new();
/// enterprise.employee_number = Some("701984".to_owned());
/// enterprise.manager = Some(Manager::new("26118915-6090-4610-87e4-49d8ca9f808d"));
///
/// let mut user = User::new("bjensen@example.com");
/// user.set_extension(Some(enterprise.clone()))?;
/// assert_eq!(user.extension::<EnterpriseUser>()?, Some(enterprise));
/// # Ok::<(), scim_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EnterpriseUser {
    /// `employeeNumber`: an identifier assigned by the organisation,
    /// typically based on order of hire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    /// `costCenter`: the name of a cost center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// `organization`: the name of an organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// `division`: the name of a division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// `department`: the name of a department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// `manager`: the User's manager.
    #[serde(
        default,
        deserialize_with = "complex_manager",
        skip_serializing_if = "Option::is_none"
    )]
    pub manager: Option<Manager>,
    /// Attributes of the extension object that RFC 7643 §4.3 does not
    /// define, kept unchanged.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl EnterpriseUser {
    /// An Enterprise User extension with no attribute set.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Extension for EnterpriseUser {
    const URN: SchemaUrn = SchemaUrn::ENTERPRISE_USER;
}

/// The Enterprise User's `manager` (RFC 7643 §4.3).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Manager {
    /// `value`: the `id` of the manager's User resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `$ref`: the URI of the manager's User resource.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub ref_: Option<String>,
    /// `displayName`: the manager's `displayName`; read-only, set by the
    /// service provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Sub-attributes RFC 7643 §4.3 does not define, kept unchanged.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl Manager {
    /// A manager reference with only `value` (the manager's `id`) set.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::default()
        }
    }
}

/// `manager` is a complex value; `null` means none. A bare string gets an
/// error that says what to send instead.
fn complex_manager<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Manager>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        Value::String(s) => Err(D::Error::custom(format!(
            "\"manager\" must be a complex value {{\"value\", \"$ref\", \"displayName\"}} \
             (RFC 7643 §4.3), not the bare string {s:?}"
        ))),
        value => serde_json::from_value(value)
            .map(Some)
            .map_err(|e| D::Error::custom(format!("\"manager\" has an invalid value: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Error;
    use crate::resource::User;
    use crate::resource::extension::assert_round_trips;

    #[test]
    fn rfc7643_8_3_enterprise_user_round_trips() {
        let user: User = assert_round_trips(include_str!(
            "../../tests/data/rfc7643/8.3-enterprise-user.json"
        ));
        assert_eq!(
            user.schemas(),
            [SchemaUrn::USER, SchemaUrn::ENTERPRISE_USER]
        );
        // §8.3 uses relative `$ref`s where §8.2 uses absolute ones; both are
        // kept as written.
        assert_eq!(
            user.groups[0].ref_.as_deref(),
            Some("../Groups/e9e30dba-f08f-4109-8486-d5c6a331660a")
        );

        let enterprise = user.extension::<EnterpriseUser>().unwrap().unwrap();
        assert_eq!(enterprise.employee_number.as_deref(), Some("701984"));
        assert_eq!(enterprise.cost_center.as_deref(), Some("4130"));
        assert_eq!(
            enterprise.organization.as_deref(),
            Some("Universal Studios")
        );
        assert_eq!(enterprise.division.as_deref(), Some("Theme Park"));
        assert_eq!(enterprise.department.as_deref(), Some("Tour Operations"));
        let manager = enterprise.manager.clone().unwrap();
        assert_eq!(
            manager.value.as_deref(),
            Some("26118915-6090-4610-87e4-49d8ca9f808d")
        );
        assert_eq!(
            manager.ref_.as_deref(),
            Some("../Users/26118915-6090-4610-87e4-49d8ca9f808d")
        );
        assert_eq!(manager.display_name.as_deref(), Some("John Smith"));
        assert!(enterprise.other.is_empty());

        // Writing the typed extension back gives the same JSON.
        let mut rewritten = user.clone();
        rewritten.set_extension(Some(enterprise)).unwrap();
        assert_eq!(rewritten, user);
    }

    #[test]
    fn unknown_enterprise_attributes_are_kept() {
        let enterprise: EnterpriseUser = assert_round_trips(
            r#"{"department": "Tour", "badge": {"n": 1}, "manager": {"value": "m", "level": 2}}"#,
        );
        assert_eq!(enterprise.other["badge"], json!({"n": 1}));
        assert_eq!(enterprise.manager.unwrap().other["level"], 2);
    }

    #[test]
    fn bare_string_manager_is_refused_with_a_clear_error() {
        let err =
            serde_json::from_value::<EnterpriseUser>(json!({"manager": "26118915"})).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("\"manager\" must be a complex value"),
            "{message}"
        );
        assert!(message.contains("\"26118915\""), "{message}");

        // The User itself reads fine (extensions stay JSON until asked for);
        // the typed view reports the extension and the attribute.
        let user: User = serde_json::from_value(json!({
            "userName": "bjensen",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "26118915"},
        }))
        .unwrap();
        let err = user.extension::<EnterpriseUser>().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue(m)
                if m.as_str().contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                    && m.as_str().contains("\"manager\" must be a complex value")),
            "{err}"
        );
    }

    #[test]
    fn null_manager_is_no_manager_and_wrong_shapes_are_refused() {
        let enterprise: EnterpriseUser = serde_json::from_value(json!({"manager": null})).unwrap();
        assert_eq!(enterprise, EnterpriseUser::new());
        let err = serde_json::from_value::<EnterpriseUser>(json!({"manager": [1]})).unwrap_err();
        assert!(
            err.to_string().contains("\"manager\" has an invalid value"),
            "{err}"
        );
    }
}
