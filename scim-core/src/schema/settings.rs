//! Per-attribute settings an application declares on a
//! [`RegistryBuilder`](super::RegistryBuilder) with
//! [`configure`](super::RegistryBuilder::configure): today whether the
//! attribute is indexed (see [`crate::index`]).

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
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct AttributeSettings {
    indexed: Option<bool>,
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

    /// Whether the attribute is indexed, if these settings say.
    pub fn is_indexed(&self) -> Option<bool> {
        self.indexed
    }

    /// These settings with `later`'s set values taking precedence.
    #[must_use]
    pub(crate) fn merge(self, later: &Self) -> Self {
        Self {
            indexed: later.indexed.or(self.indexed),
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
    }
}
