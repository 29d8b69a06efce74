//! A resource type (RFC 7643 §6) as an application declares it.

use serde::{Deserialize, Serialize};

use super::SchemaUrn;

/// A resource type (RFC 7643 §6): a name, an endpoint, a core schema and
/// its extensions.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceType {
    /// The resource type's id and name, e.g. `User`.
    pub name: String,
    /// The endpoint relative to the base URL, e.g. `/Users`.
    pub endpoint: String,
    /// What the resource type is.
    #[serde(default)]
    pub description: String,
    /// The core schema.
    pub schema: SchemaUrn,
    /// The extension schemas.
    #[serde(default)]
    pub schema_extensions: Vec<SchemaExtension>,
    /// The core schema's attribute that lists the resource's members, for
    /// group-like types (see [`ResourceType::with_membership`]). Not part
    /// of the RFC 7643 §6 representation.
    #[serde(skip)]
    membership: Option<Membership>,
}

/// A membership attribute, and whether the application declared it (the
/// built-in `Group`'s is a default, dropped if an application's
/// replacement Group schema has no such attribute).
#[derive(Clone, Debug, PartialEq)]
struct Membership {
    attribute: String,
    declared: bool,
}

impl ResourceType {
    /// A resource type without extensions.
    pub fn new(name: impl Into<String>, endpoint: impl Into<String>, schema: SchemaUrn) -> Self {
        Self {
            name: name.into(),
            endpoint: endpoint.into(),
            description: String::new(),
            schema,
            schema_extensions: Vec::new(),
            membership: None,
        }
    }

    /// The same resource type with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The same resource type with members: `attribute` of the core schema
    /// (a multi-valued complex attribute with a `value` sub-attribute, as
    /// Group `members`) lists the ids of the resources that belong to it.
    /// The built-in `Group` type declares `members`; a type of an
    /// application's own that has members declares them here.
    ///
    /// A type with members gets what groups get: a PATCH that changes only
    /// members reaches the store as a [`MemberDelta`] (see
    /// [`ResourceStore::modify_members`]), the attribute is exempt from the
    /// values and size caps, and [`PatchResponse::NoContentForGroups`]
    /// answers its PATCHes `204`. [`RegistryBuilder::build`] checks the
    /// attribute.
    ///
    /// # Examples
    ///
    /// ```
    /// use scim_core::schema::{RegistryBuilder, ResourceType, SchemaUrn};
    ///
    /// let registry = RegistryBuilder::standard()
    ///     .resource_type(ResourceType::new("Team", "/Teams", SchemaUrn::GROUP).with_membership("members"))
    ///     .build()?;
    /// let teams = registry.resource_type("Team").expect("registered");
    /// assert_eq!(teams.membership().map(|a| a.name.as_str()), Some("members"));
    /// assert!(registry.resource_type("User").expect("registered").membership().is_none());
    /// # Ok::<(), scim_core::Error>(())
    /// ```
    ///
    /// [`MemberDelta`]: crate::store::MemberDelta
    /// [`ResourceStore::modify_members`]: crate::store::ResourceStore::modify_members
    /// [`PatchResponse::NoContentForGroups`]: crate::protocol::PatchResponse::NoContentForGroups
    /// [`RegistryBuilder::build`]: super::RegistryBuilder::build
    #[must_use]
    pub fn with_membership(mut self, attribute: impl Into<String>) -> Self {
        self.membership = Some(Membership {
            attribute: attribute.into(),
            declared: true,
        });
        self
    }

    /// The attribute named by [`ResourceType::with_membership`], if any.
    pub fn membership(&self) -> Option<&str> {
        self.membership.as_ref().map(|m| m.attribute.as_str())
    }

    /// The built-in Group's `members`: as [`ResourceType::with_membership`],
    /// but dropped rather than refused if the core schema lacks it.
    pub(super) fn with_default_membership(mut self, attribute: &str) -> Self {
        self.membership = Some(Membership {
            attribute: attribute.to_owned(),
            declared: false,
        });
        self
    }

    /// Whether the membership was declared by the application rather than
    /// given by default.
    pub(super) fn membership_declared(&self) -> bool {
        self.membership.as_ref().is_some_and(|m| m.declared)
    }

    /// Drops the membership (a default the core schema cannot hold).
    pub(super) fn without_membership(mut self) -> Self {
        self.membership = None;
        self
    }

    /// The endpoint's path segment without the leading slash (`Users`).
    pub fn endpoint_segment(&self) -> &str {
        self.endpoint.trim_start_matches('/')
    }
}

/// An extension schema of a resource type (RFC 7643 §6
/// `schemaExtensions`).
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SchemaExtension {
    /// The extension's schema URN.
    pub schema: SchemaUrn,
    /// Whether every resource of the type must carry the extension.
    pub required: bool,
}

impl SchemaExtension {
    /// An extension reference.
    pub fn new(schema: SchemaUrn, required: bool) -> Self {
        Self { schema, required }
    }
}
