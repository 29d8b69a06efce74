//! The Enterprise User extension (RFC 7643 §4.3, §8.7.1).

use super::attrs::{complex, id_value, reference, string};
use crate::schema::{Mutability, Schema, SchemaUrn};

/// The Enterprise User extension,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
/// (RFC 7643 §4.3, §8.7.1).
pub fn enterprise_user_schema() -> Schema {
    Schema::new(
        SchemaUrn::ENTERPRISE_USER,
        "EnterpriseUser",
        vec![
            string(
                "employeeNumber",
                "Numeric or alphanumeric identifier assigned to a person, typically based on \
                 order of hire or association with an organization.",
            ),
            string("costCenter", "Identifies the name of a cost center."),
            string("organization", "Identifies the name of an organization."),
            string("division", "Identifies the name of a division."),
            string("department", "Identifies the name of a department."),
            complex(
                "manager",
                "The User's manager.",
                vec![
                    // Not required: §4.3 calls `value` and `$ref`
                    // RECOMMENDED, and the §8.7.1 JSON says `required: false`
                    // (its descriptions' "REQUIRED." is not followed here).
                    id_value("The id of the SCIM resource representing the User's manager."),
                    reference(
                        "$ref",
                        &["User"],
                        "The URI of the SCIM resource representing the User's manager.",
                    ),
                    string("displayName", "The displayName of the User's manager.")
                        .with_mutability(Mutability::ReadOnly),
                ],
            ),
        ],
    )
    .with_description("Enterprise User")
}
