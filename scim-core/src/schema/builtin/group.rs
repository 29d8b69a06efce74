//! The core Group schema (RFC 7643 §4.2, §8.7.1).

use super::attrs::{id_value, label, multi, reference, string};
use crate::schema::{Mutability, Schema, SchemaUrn};

/// The core Group schema, `urn:ietf:params:scim:schemas:core:2.0:Group`
/// (RFC 7643 §4.2, §8.7.1).
///
/// `displayName` is required and `members` has the sub-attributes `value`,
/// `$ref`, `display` and `type`, all `immutable`: members may be added and
/// removed, but a member's sub-attributes are not changed in place (§4.2).
pub fn group_schema() -> Schema {
    Schema::new(
        SchemaUrn::GROUP,
        "Group",
        vec![
            // RFC 7643 §8.7.1 says `required: false` while its description
            // says "REQUIRED." and §4.2 makes `displayName` REQUIRED. The
            // verified erratum 5368 corrects the JSON to `required: true`.
            string("displayName", "A human-readable name for the Group.").with_required(true),
            multi(
                "members",
                "A list of members of the Group.",
                vec![
                    id_value("Identifier of the member of this Group.")
                        .with_mutability(Mutability::Immutable),
                    reference(
                        "$ref",
                        &["User", "Group"],
                        "The URI corresponding to a SCIM resource that is a member of this Group.",
                    )
                    .with_mutability(Mutability::Immutable),
                    // Not in RFC 7643 §8.7.1. Kept because the RFC's own Group
                    // example (§8.4) and the PATCH examples of RFC 7644
                    // §3.5.2.1 send `members[].display`, §2.4 makes `display`
                    // a default sub-attribute of multi-valued attributes with
                    // mutability "immutable", and erratum 6011 (reported)
                    // asks for it.
                    string(
                        "display",
                        "A human-readable name for the member, primarily used for display \
                         purposes.",
                    )
                    .with_mutability(Mutability::Immutable),
                    label(
                        "A label indicating the type of resource, e.g., 'User' or 'Group'.",
                        &["User", "Group"],
                    )
                    .with_mutability(Mutability::Immutable),
                ],
            ),
        ],
    )
    .with_description("Group")
}
