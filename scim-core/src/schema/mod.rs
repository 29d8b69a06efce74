//! Schemas and their attributes (RFC 7643 §2, §7), the built-in schemas,
//! and the registry of resource types an application serves.
//!
//! A [`Schema`] is data: the same value drives validation, PATCH path
//! resolution, projection, filter comparison rules and the `/Schemas`
//! discovery document, so they cannot drift apart.

mod builtin;
pub(crate) mod canonical;
mod registry;
mod resource_type;
mod settings;
pub(crate) mod tighten;
mod urn;

use serde::{Deserialize, Serialize};

pub use self::builtin::{
    enterprise_user_schema, group_schema, resource_type_schema, schema_schema,
    service_provider_config_schema, user_schema,
};
pub use self::canonical::JsonObject;
pub use self::registry::{Registry, RegistryBuilder, ResolvedPath, ResourceSchema};
pub use self::resource_type::{ResourceType, SchemaExtension};
pub use self::settings::AttributeSettings;
pub use self::urn::SchemaUrn;

/// A schema: a named set of attribute definitions (RFC 7643 §7).
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Schema {
    /// The schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`.
    pub id: SchemaUrn,
    /// A human-readable name, e.g. `User`.
    pub name: String,
    /// What the schema describes.
    #[serde(default)]
    pub description: String,
    /// The attribute definitions.
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// A schema with the given URN, name and attributes.
    pub fn new(id: SchemaUrn, name: impl Into<String>, attributes: Vec<Attribute>) -> Self {
        Self {
            id,
            name: name.into(),
            description: String::new(),
            attributes,
        }
    }

    /// The same schema with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The attribute called `name`, ignoring ASCII case (RFC 7643 §2.1).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        find_attribute(&self.attributes, name)
    }
}

pub(crate) fn find_attribute<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .or_else(|| attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name)))
}

/// An attribute definition with every characteristic of RFC 7643 §2.2 and
/// §7.
///
/// [`Attribute::new`] starts from the RFC's defaults (single-valued, not
/// required, not case-exact, `readWrite`, returned by `default`, no
/// uniqueness); the `with_*` methods change one characteristic each.
///
/// # Examples
///
/// ```
/// use scim_core::schema::{AttrType, Attribute, Uniqueness};
///
/// let badge = Attribute::new("badgeNumber", AttrType::String)
///     .with_description("The number printed on the host's badge.")
///     .with_uniqueness(Uniqueness::Server)
///     .with_case_exact(true);
/// assert!(!badge.multi_valued);
/// ```
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// The data type.
    #[serde(rename = "type")]
    pub kind: AttrType,
    /// Whether the attribute holds a list of values.
    #[serde(default)]
    pub multi_valued: bool,
    /// What the attribute means.
    #[serde(default)]
    pub description: String,
    /// Whether a resource must have a value.
    #[serde(default)]
    pub required: bool,
    /// Suggested (or, with [`Attribute::canonical_values_enforced`],
    /// required) values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// Whether values outside [`Attribute::canonical_values`] are refused
    /// with `invalidValue`. RFC 7643 makes canonical values suggestions, so
    /// this is off for every built-in attribute; an application's own
    /// extension can turn it on. Not part of the wire format.
    #[serde(skip)]
    pub canonical_values_enforced: bool,
    /// Whether string comparison is case-sensitive.
    #[serde(default)]
    pub case_exact: bool,
    /// Who may change the attribute, and when.
    #[serde(default)]
    pub mutability: Mutability,
    /// When the attribute is returned.
    #[serde(default)]
    pub returned: Returned,
    /// How the service enforces uniqueness.
    #[serde(default)]
    pub uniqueness: Uniqueness,
    /// For references, the resource types they may point to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    /// For complex attributes, the sub-attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<Attribute>,
}

impl Attribute {
    /// An attribute with the RFC 7643 §2.2 defaults.
    pub fn new(name: impl Into<String>, kind: AttrType) -> Self {
        Self {
            name: name.into(),
            kind,
            multi_valued: false,
            description: String::new(),
            required: false,
            canonical_values: Vec::new(),
            canonical_values_enforced: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// A complex attribute with the given sub-attributes.
    pub fn complex(name: impl Into<String>, sub_attributes: Vec<Attribute>) -> Self {
        Self {
            sub_attributes,
            ..Self::new(name, AttrType::Complex)
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Makes the attribute multi-valued.
    #[must_use]
    pub fn with_multi_valued(mut self, multi_valued: bool) -> Self {
        self.multi_valued = multi_valued;
        self
    }

    /// Makes the attribute required.
    #[must_use]
    pub fn with_required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Sets case-exactness.
    #[must_use]
    pub fn with_case_exact(mut self, case_exact: bool) -> Self {
        self.case_exact = case_exact;
        self
    }

    /// Sets the mutability.
    #[must_use]
    pub fn with_mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    /// Sets when the attribute is returned.
    #[must_use]
    pub fn with_returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    /// Sets the uniqueness.
    #[must_use]
    pub fn with_uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    /// Sets the suggested canonical values.
    #[must_use]
    pub fn with_canonical_values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.canonical_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// Refuses values outside the canonical values.
    #[must_use]
    pub fn with_canonical_values_enforced(mut self, enforced: bool) -> Self {
        self.canonical_values_enforced = enforced;
        self
    }

    /// Sets the reference types.
    #[must_use]
    pub fn with_reference_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.reference_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// The sub-attribute called `name`, ignoring ASCII case.
    pub fn sub_attribute(&self, name: &str) -> Option<&Attribute> {
        find_attribute(&self.sub_attributes, name)
    }

    /// `true` for complex attributes.
    pub fn is_complex(&self) -> bool {
        self.kind == AttrType::Complex
    }

    /// `true` for multi-valued complex attributes that identify their
    /// values by a `value` sub-attribute (`emails`, `members`).
    pub(crate) fn has_value_sub_attribute(&self) -> bool {
        self.is_complex() && self.sub_attribute("value").is_some()
    }
}

/// The attribute data types of RFC 7643 §2.3.
// Closed by RFC 7643 §2.3.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Copy, Debug, Deserialize, Eq, Hash, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    /// A sequence of Unicode characters.
    String,
    /// `true` or `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An `xsd:dateTime` instant.
    DateTime,
    /// Base64-encoded bytes.
    Binary,
    /// A URI of a resource.
    Reference,
    /// A set of sub-attributes.
    Complex,
}

impl AttrType {
    /// The filter evaluator's view of the type.
    pub fn value_kind(self) -> crate::filter::eval::ValueKind {
        use crate::filter::eval::ValueKind;
        match self {
            Self::String => ValueKind::String,
            Self::Boolean => ValueKind::Boolean,
            Self::Decimal => ValueKind::Decimal,
            Self::Integer => ValueKind::Integer,
            Self::DateTime => ValueKind::DateTime,
            Self::Binary => ValueKind::Binary,
            Self::Reference => ValueKind::Reference,
            Self::Complex => ValueKind::Complex,
        }
    }
}

/// Who may change an attribute (RFC 7643 §2.2 `mutability`).
// Closed by RFC 7643 §2.2.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Copy, Debug, Default, Deserialize, Eq, Hash, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the service only; ignored in create and replace input,
    /// refused in PATCH.
    ReadOnly,
    /// Freely writable (the default).
    #[default]
    ReadWrite,
    /// Writable once, then only to the same value.
    Immutable,
    /// Writable, never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §2.2 `returned`).
// Closed by RFC 7643 §2.2.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Copy, Debug, Default, Deserialize, Eq, Hash, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// In every response, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never.
    Never,
    /// Unless excluded, or unless `attributes` names others (the default).
    #[default]
    Default,
    /// Only when named in `attributes`.
    Request,
}

/// How a service enforces uniqueness (RFC 7643 §2.2 `uniqueness`).
// Closed by RFC 7643 §2.2.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Copy, Debug, Default, Deserialize, Eq, Hash, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness (the default).
    #[default]
    None,
    /// Unique within the service provider (per tenant here).
    Server,
    /// Globally unique.
    Global,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_schema_representations_load_into_the_model() {
        for (file, count) in [
            (
                include_str!("../../tests/data/rfc7643/schemas-8.7.1.json"),
                3,
            ),
            (
                include_str!("../../tests/data/rfc7643/schemas-8.7.2.json"),
                3,
            ),
        ] {
            let schemas: Vec<Schema> = serde_json::from_str(file).unwrap();
            assert_eq!(schemas.len(), count);
            assert!(schemas.iter().all(|s| !s.attributes.is_empty()));
        }
    }
}
