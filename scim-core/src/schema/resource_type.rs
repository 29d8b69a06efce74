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
        }
    }

    /// The same resource type with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
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
