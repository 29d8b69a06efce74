//! The schemas RFC 7643 defines: the User, Group and Enterprise User
//! resource schemas (§4, §8.7.1), the service provider schemas (§5, §6, §7,
//! §8.7.2) and the common attributes every resource has (§3.1).
//!
//! The definitions follow the JSON of RFC 7643 §8.7, with the RFC Editor's
//! verified errata applied and a few places where the JSON contradicts the
//! RFC's own normative text. Every such place has a comment in this module,
//! and the tests (`tests.rs`) compare each schema with the RFC's JSON
//! (`tests/data/rfc7643/`) and list each difference with its reason:
//!
//! - Reference and binary attributes are `caseExact` (§2.3.6, §2.3.7), as
//!   are the sub-attributes that hold a resource `id` (§3.1, erratum 8472).
//! - User `groups.$ref` refers to `Group` only (§4.1.2, erratum 8471).
//! - User `addresses` has a `primary` sub-attribute (§2.4, §8.2).
//! - Group `displayName` is required (§4.2, erratum 5368), and `members` has
//!   a `display` sub-attribute (§2.4, §8.4, erratum 6011).
//! - ServiceProviderConfig has `etag` (§5, §8.5), and
//!   `authenticationSchemes` has `type` and `primary` (§5, §8.5, erratum
//!   8011).
//! - ResourceType `schemaExtensions` is an optional list (§6, erratum 7522).
//! - The Schema schema knows the `binary` type, refuses `complex`
//!   sub-attributes, and lets sub-attributes have several reference types
//!   (§2.3.8, §7, errata 8415, 8435, 5607).

mod attrs;
mod common;
mod enterprise;
mod group;
mod provider;
mod user;

pub(crate) use self::common::common_attributes;
pub use self::enterprise::enterprise_user_schema;
pub use self::group::group_schema;
pub use self::provider::{resource_type_schema, schema_schema, service_provider_config_schema};
pub use self::user::user_schema;

#[cfg(test)]
mod tests;
