//! Per-attribute settings an application declares on a
//! [`RegistryBuilder`](super::RegistryBuilder) with
//! [`configure`](super::RegistryBuilder::configure): whether the attribute
//! is indexed (see [`crate::index`]), and characteristics one service
//! tightens beyond the schema's definition: `required` and `uniqueness`.
//!
//! Tightening is for a product's own rules on top of the standard schemas
//! (a provisioning profile that needs a work email, group names unique per
//! tenant). Settings never loosen what the schema defines: making
//! `userName` non-unique or optional is a build error, since clients rely
//! on the RFC's characteristics.

use super::Uniqueness;

/// Settings for one attribute path of one resource type.
///
/// Every setting is optional: a setting left unset keeps what an earlier
/// [`configure`](super::RegistryBuilder::configure) call (or
/// [`RegistryBuilder::standard`](super::RegistryBuilder::standard)'s
/// defaults) declared, so configuring the same path twice merges.
///
/// # Examples
///
/// ```
/// use scim_core::schema::{AttributeSettings, RegistryBuilder};
///
/// let registry = RegistryBuilder::standard()
///     .configure("User", "title", AttributeSettings::new().indexed(true))
///     .configure("User", "name.givenName", AttributeSettings::new().indexed(false))
///     .build()?;
/// let users = registry.resource_type("User").expect("registered");
/// assert!(users.indexes().iter().any(|i| i.name() == "title"));
/// assert!(!users.indexes().iter().any(|i| i.name() == "name.givenName"));
/// # Ok::<(), scim_core::Error>(())
/// ```
///
/// Tightening characteristics for one service:
///
/// ```
/// use scim_core::schema::{AttributeSettings, RegistryBuilder, Uniqueness};
///
/// let registry = RegistryBuilder::standard()
///     .configure("Group", "displayName", AttributeSettings::new().uniqueness(Uniqueness::Server))
///     .configure("User", "name.givenName", AttributeSettings::new().required(true))
///     .configure("User", r#"emails[type eq "work"].value"#, AttributeSettings::new().required(true))
///     .build()?;
/// let groups = registry.resource_type("Group").expect("registered");
/// assert_eq!(groups.attribute("displayName").expect("standard").uniqueness, Uniqueness::Server);
/// // `/Schemas` serves the tightened schema.
/// let user = registry.schema("urn:ietf:params:scim:schemas:core:2.0:User").expect("standard");
/// assert!(user.attribute("name").expect("standard").sub_attribute("givenName").expect("standard").required);
///
/// // Loosening what the RFC fixes is refused.
/// let loose = RegistryBuilder::standard()
///     .configure("User", "userName", AttributeSettings::new().uniqueness(Uniqueness::None))
///     .build();
/// assert!(loose.is_err());
/// # Ok::<(), scim_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct AttributeSettings {
    indexed: Option<bool>,
    required: Option<bool>,
    uniqueness: Option<Uniqueness>,
}

impl AttributeSettings {
    /// Settings that change nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares whether stores keep an index of the attribute's values
    /// ([`crate::index::entries`]) so that filters on it are planned into
    /// index lookups ([`crate::index::plan`]).
    #[must_use]
    pub fn indexed(mut self, indexed: bool) -> Self {
        self.indexed = Some(indexed);
        self
    }

    /// Declares whether a resource must have a value at the path
    /// (RFC 7643 §2.2 `required`), for this service only.
    ///
    /// * Create and replace refuse a resource without a value, or with an
    ///   empty string, with `400 invalidValue` naming the path.
    /// * PATCH refuses removing a value a resource has, or replacing it
    ///   with an empty one; a resource stored before the rule, which lacks
    ///   the value, stays patchable.
    /// * A path with a value filter (`emails[type eq "work"].value`)
    ///   requires an element that matches the filter with a non-empty
    ///   sub-attribute.
    /// * `/Schemas` shows `required: true` on the attribute, and on the
    ///   complex attribute holding it (for a multi-valued one only there:
    ///   RFC 7643 cannot express "the work email's value").
    ///
    /// `required(false)` on an attribute the schema requires is refused by
    /// [`RegistryBuilder::build`](super::RegistryBuilder::build).
    #[must_use]
    pub fn required(mut self, required: bool) -> Self {
        self.required = Some(required);
        self
    }

    /// Declares how the service enforces uniqueness of the attribute
    /// (RFC 7643 §2.2 `uniqueness`), for this service only. Only
    /// [`Uniqueness::Server`] can be added, on a single-valued string
    /// attribute at the top level of the core schema, an extension or the
    /// common attributes (`displayName`, `externalId`); stores enforce it
    /// per tenant, comparing as the filter evaluator does (ignoring case
    /// unless the attribute is `caseExact`), and answer `409 uniqueness`.
    /// [`Uniqueness::Global`] cannot be enforced by a store and is refused,
    /// as is lowering what the schema declares.
    #[must_use]
    pub fn uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = Some(uniqueness);
        self
    }

    /// Whether the attribute is indexed, if these settings say.
    pub fn is_indexed(&self) -> Option<bool> {
        self.indexed
    }

    /// Whether the attribute is required, if these settings say.
    pub fn is_required(&self) -> Option<bool> {
        self.required
    }

    /// The uniqueness these settings declare, if they do.
    pub fn configured_uniqueness(&self) -> Option<Uniqueness> {
        self.uniqueness
    }

    /// Whether these settings change a characteristic (`required` or
    /// `uniqueness`), as opposed to only indexing.
    pub(crate) fn tightens(&self) -> bool {
        self.required.is_some() || self.uniqueness.is_some()
    }

    /// These settings with `later`'s set values taking precedence.
    #[must_use]
    pub(crate) fn merge(self, later: &Self) -> Self {
        Self {
            indexed: later.indexed.or(self.indexed),
            required: later.required.or(self.required),
            uniqueness: later.uniqueness.or(self.uniqueness),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_settings_override_only_what_they_set() {
        let on = AttributeSettings::new().indexed(true);
        assert_eq!(on.clone().merge(&AttributeSettings::new()), on);
        let off = AttributeSettings::new().indexed(false);
        assert_eq!(on.merge(&off).is_indexed(), Some(false));
        assert_eq!(AttributeSettings::new().is_indexed(), None);
        let strict = AttributeSettings::new()
            .required(true)
            .uniqueness(Uniqueness::Server);
        let merged = strict.merge(&AttributeSettings::new().indexed(true));
        assert_eq!(merged.is_required(), Some(true));
        assert_eq!(merged.configured_uniqueness(), Some(Uniqueness::Server));
        assert_eq!(merged.is_indexed(), Some(true));
        assert!(merged.tightens());
        assert!(!AttributeSettings::new().indexed(true).tightens());
    }
}
