//! The common attributes every resource has (RFC 7643 §3.1).

use super::attrs::{complex, date_time, reference, string};
use crate::schema::{Attribute, Mutability, Returned, Uniqueness};

/// The common attributes `id`, `externalId` and `meta` (RFC 7643 §3.1),
/// which every resource has and no schema lists.
pub(crate) fn common_attributes() -> Vec<Attribute> {
    let meta_sub = |attr: Attribute| attr.with_mutability(Mutability::ReadOnly);
    vec![
        // Not `required`: every representation the service returns has an
        // `id`, but clients never send one, so a required `id` would refuse
        // every creation.
        string(
            "id",
            "A unique identifier for a SCIM resource as defined by the service provider.",
        )
        .with_case_exact(true)
        .with_mutability(Mutability::ReadOnly)
        .with_returned(Returned::Always)
        .with_uniqueness(Uniqueness::Server),
        string(
            "externalId",
            "A String that is an identifier for the resource as defined by the provisioning \
             client.",
        )
        .with_case_exact(true),
        complex(
            "meta",
            "A complex attribute containing resource metadata.",
            vec![
                meta_sub(
                    string(
                        "resourceType",
                        "The name of the resource type of the resource.",
                    )
                    .with_case_exact(true),
                ),
                meta_sub(date_time(
                    "created",
                    "The DateTime that the resource was added to the service provider.",
                )),
                meta_sub(date_time(
                    "lastModified",
                    "The most recent DateTime that the details of this resource were updated at \
                     the service provider.",
                )),
                meta_sub(reference(
                    "location",
                    &["uri"],
                    "The URI of the resource being returned.",
                )),
                meta_sub(
                    string("version", "The version of the resource being returned.")
                        .with_case_exact(true),
                ),
            ],
        )
        .with_mutability(Mutability::ReadOnly),
    ]
}
