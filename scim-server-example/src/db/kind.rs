//! Which table a resource type lives in: hosts for SCIM Users, host
//! groups for SCIM Groups, and no other types.

use std::fmt;

use scim_core::schema::ResourceSchema;
use scim_core::store::StoreError;

/// Which table a resource type lives in.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Kind {
    /// SCIM Users, the `hosts` table.
    Host,
    /// SCIM Groups, the `host_groups` table.
    HostGroup,
}

impl Kind {
    /// The table for a resource type; only `User` and `Group` are stored,
    /// a group being the type whose schema declares members
    /// ([`ResourceSchema::membership`]).
    pub(crate) fn of(schema: &ResourceSchema) -> Result<Self, StoreError> {
        if schema.name().eq_ignore_ascii_case("User") {
            Ok(Self::Host)
        } else if schema.name().eq_ignore_ascii_case("Group") && schema.membership().is_some() {
            Ok(Self::HostGroup)
        } else {
            Err(StoreError::backend(UnsupportedType(
                schema.name().to_owned(),
            )))
        }
    }
}

/// A resource type this database has no table for.
#[derive(Debug)]
pub(crate) struct UnsupportedType(String);

impl fmt::Display for UnsupportedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the host database stores only User resources and Group resources with members, not {:?}",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedType {}
