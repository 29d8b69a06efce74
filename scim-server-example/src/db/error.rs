//! The store's own errors: failures described by a message, and the
//! [`StoreError`]s both backends answer for taken names and ids and for
//! members that are not there.

use std::fmt;

use scim_core::schema::ResourceSchema;
use scim_core::store::StoreError;

/// A failure described by a message: a stored document that cannot be
/// read back, a resource that cannot be written, a pool or thread failure.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// The conflict message for a taken `userName`.
pub(crate) fn user_name_taken(user_name: &str) -> StoreError {
    StoreError::conflict_on(
        "userName",
        format!("userName {user_name:?} is already taken"),
    )
}

/// The conflict for a taken group `displayName` (compared ignoring case).
pub(crate) fn display_name_taken(display_name: &str) -> StoreError {
    StoreError::conflict_on(
        "displayName",
        format!(
            "displayName {display_name:?} is already taken by another group (names are compared ignoring case)"
        ),
    )
}

/// The conflict for a taken `id` (ids are unique across the resource
/// types of a tenant, RFC 7643 §3.1).
pub(crate) fn id_taken(id: &str) -> StoreError {
    StoreError::conflict_on("id", format!("a resource with id {id:?} already exists"))
}

/// The answer to a membership change on a type without members.
pub(crate) fn no_members(schema: &ResourceSchema) -> StoreError {
    StoreError::invalid_reference(format!("{} resources have no members", schema.name()))
}

/// The message for a member that is neither a host nor a host group.
pub(crate) fn unknown_member(id: &str) -> StoreError {
    StoreError::invalid_reference_to(
        id,
        format!("member {id:?} is not a User or Group of this tenant"),
    )
}
