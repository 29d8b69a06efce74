//! The service provider schemas: ServiceProviderConfig, ResourceType and
//! Schema (RFC 7643 §5, §6, §7, §8.7.2).

use super::attrs::{boolean, complex, integer, multi, reference, string};
use crate::schema::{Attribute, Mutability, Schema, SchemaUrn};

/// The service provider configuration schema,
/// `urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig`
/// (RFC 7643 §5, §8.7.2).
///
/// Every attribute is `readOnly`: the configuration is published by the
/// service provider.
pub fn service_provider_config_schema() -> Schema {
    let supported = || {
        boolean(
            "supported",
            "A Boolean value specifying whether or not the operation is supported.",
        )
        .with_required(true)
    };
    let feature = |name: &str, description: &str, extra: Vec<Attribute>| {
        let mut subs = vec![supported()];
        subs.extend(extra);
        complex(name, description, subs).with_required(true)
    };
    let attributes = vec![
        reference(
            "documentationUri",
            &["external"],
            "An HTTP-addressable URL pointing to the service provider's human-consumable help \
             documentation.",
        ),
        feature(
            "patch",
            "A complex type that specifies PATCH configuration options.",
            Vec::new(),
        ),
        feature(
            "bulk",
            "A complex type that specifies bulk configuration options.",
            vec![
                integer(
                    "maxOperations",
                    "An integer value specifying the maximum number of operations.",
                )
                .with_required(true),
                integer(
                    "maxPayloadSize",
                    "An integer value specifying the maximum payload size in bytes.",
                )
                .with_required(true),
            ],
        ),
        feature(
            "filter",
            "A complex type that specifies FILTER options.",
            vec![
                integer(
                    "maxResults",
                    "An integer value specifying the maximum number of resources returned in a \
                     response.",
                )
                .with_required(true),
            ],
        ),
        feature(
            "changePassword",
            "A complex type that specifies configuration options related to changing a password.",
            Vec::new(),
        ),
        feature(
            "sort",
            "A complex type that specifies sort result options.",
            Vec::new(),
        ),
        // Not in RFC 7643 §8.7.2, although §5 defines `etag` ("A complex
        // type that specifies ETag configuration options. REQUIRED.") and the
        // §8.5 example carries it.
        feature(
            "etag",
            "A complex type that specifies ETag configuration options.",
            Vec::new(),
        ),
        multi(
            "authenticationSchemes",
            "A complex type that specifies supported authentication scheme properties.",
            vec![
                // `type` and `primary` are not in RFC 7643 §8.7.2. §5
                // defines `type` (REQUIRED, with these values), the §8.5
                // example sends both, and erratum 8011 (reported) adds them.
                string("type", "The authentication scheme.")
                    .with_required(true)
                    .with_canonical_values([
                        "oauth",
                        "oauth2",
                        "oauthbearertoken",
                        "httpbasic",
                        "httpdigest",
                    ]),
                string(
                    "name",
                    "The common authentication scheme name, e.g., HTTP Basic.",
                )
                .with_required(true),
                string("description", "A description of the authentication scheme.")
                    .with_required(true),
                reference(
                    "specUri",
                    &["external"],
                    "An HTTP-addressable URL pointing to the authentication scheme's \
                     specification.",
                ),
                reference(
                    "documentationUri",
                    &["external"],
                    "An HTTP-addressable URL pointing to the authentication scheme's usage \
                     documentation.",
                ),
                boolean(
                    "primary",
                    "A Boolean value indicating the preferred authentication scheme.",
                ),
            ],
        )
        .with_required(true),
    ];
    Schema::new(
        SchemaUrn::SERVICE_PROVIDER_CONFIG,
        "Service Provider Configuration",
        all_read_only(attributes),
    )
    .with_description("Schema for representing the service provider's configuration")
}

/// The resource type schema,
/// `urn:ietf:params:scim:schemas:core:2.0:ResourceType`
/// (RFC 7643 §6, §8.7.2).
///
/// Every attribute is `readOnly`: resource types are published by the
/// service provider.
pub fn resource_type_schema() -> Schema {
    let attributes = vec![
        string(
            "id",
            "The resource type's server unique id. May be the same as the 'name' attribute.",
        ),
        string("name", "The resource type name, e.g., 'User'.").with_required(true),
        string(
            "description",
            "The resource type's human-readable description.",
        ),
        reference(
            "endpoint",
            &["uri"],
            "The resource type's HTTP-addressable endpoint relative to the Base URL, e.g., \
             '/Users'.",
        )
        .with_required(true),
        reference(
            "schema",
            &["uri"],
            "The resource type's primary/base schema URI.",
        )
        .with_required(true),
        // RFC 7643 §8.7.2 says `multiValued: false` and `required: true`.
        // §6 defines it as "A list of URIs of the resource type's schema
        // extensions. OPTIONAL.", the verified erratum 7522 corrects it to
        // multi-valued, and the Group resource type of §8.6 has none.
        multi(
            "schemaExtensions",
            "A list of URIs of the resource type's schema extensions.",
            vec![
                reference("schema", &["uri"], "The URI of a schema extension.").with_required(true),
                boolean(
                    "required",
                    "A Boolean value that specifies whether or not the schema extension is \
                     required for the resource type.",
                )
                .with_required(true),
            ],
        ),
    ];
    Schema::new(
        SchemaUrn::RESOURCE_TYPE,
        "ResourceType",
        all_read_only(attributes),
    )
    .with_description("Specifies the schema that describes a SCIM resource type")
}

/// The schema of schemas, `urn:ietf:params:scim:schemas:core:2.0:Schema`
/// (RFC 7643 §7, §8.7.2).
///
/// Every attribute is `readOnly`: schemas are published by the service
/// provider. This is the one schema with a complex sub-attribute
/// (`attributes.subAttributes`), as in the RFC.
pub fn schema_schema() -> Schema {
    // RFC 7643 §8.7.2 lists string, complex, boolean, decimal, integer,
    // dateTime and reference. `binary` (§2.3.6) is added as in the verified
    // errata 8435 (§7) and 8415; a sub-attribute cannot be complex (§2.3.8,
    // erratum 8415).
    let subs = characteristics("string boolean decimal integer dateTime reference binary");
    let mut attribute_subs =
        characteristics("string complex boolean decimal integer dateTime reference binary");
    attribute_subs.push(multi(
        "subAttributes",
        "Used to define the sub-attributes of a complex attribute.",
        subs,
    ));
    let attributes = vec![
        string(
            "id",
            "The unique URI of the schema. When applicable, service providers MUST specify the \
             URI.",
        )
        .with_required(true),
        string("name", "The schema's human-readable name, e.g., 'User'.").with_required(true),
        string("description", "The schema's human-readable description."),
        multi(
            "attributes",
            "A complex attribute that includes the attributes of a schema.",
            attribute_subs,
        )
        .with_required(true),
    ];
    Schema::new(SchemaUrn::SCHEMA, "Schema", all_read_only(attributes))
        .with_description("Specifies the schema that describes a SCIM schema")
}

/// The eleven sub-attributes of the Schema schema's `attributes` that
/// describe one attribute (RFC 7643 §7), with the space-separated `types`
/// suggested for `type`.
fn characteristics(types: &str) -> Vec<Attribute> {
    vec![
        string("name", "The attribute's name.")
            .with_required(true)
            .with_case_exact(true),
        string("type", "The attribute's data type.")
            .with_required(true)
            .with_canonical_values(types.split(' ')),
        boolean(
            "multiValued",
            "A Boolean value indicating an attribute's plurality.",
        )
        .with_required(true),
        string(
            "description",
            "A human-readable description of the attribute.",
        )
        .with_case_exact(true),
        boolean(
            "required",
            "A Boolean value indicating whether or not the attribute is required.",
        ),
        string("canonicalValues", "A collection of canonical values.")
            .with_multi_valued(true)
            .with_case_exact(true),
        boolean(
            "caseExact",
            "A Boolean value indicating whether or not a string attribute is case sensitive.",
        ),
        string(
            "mutability",
            "Indicates whether or not an attribute is modifiable.",
        )
        .with_case_exact(true)
        .with_canonical_values(["readOnly", "readWrite", "immutable", "writeOnly"]),
        string(
            "returned",
            "Indicates when an attribute is returned in a response (e.g., to a query).",
        )
        .with_case_exact(true)
        .with_canonical_values(["always", "never", "default", "request"]),
        string("uniqueness", "Indicates how unique a value must be.")
            .with_case_exact(true)
            .with_canonical_values(["none", "server", "global"]),
        // Multi-valued in `attributes` and, after the verified erratum 5607,
        // in `subAttributes` too (RFC 7643 §8.7.2 says `false` there).
        string(
            "referenceTypes",
            "Used only with an attribute of type 'reference'. Specifies a SCIM resourceType \
             that a reference attribute MAY refer to, e.g., 'User'.",
        )
        .with_multi_valued(true)
        .with_case_exact(true),
    ]
}

/// Marks every attribute and sub-attribute `readOnly`, as RFC 7643 §8.7.2
/// does for the service provider schemas.
fn all_read_only(attributes: Vec<Attribute>) -> Vec<Attribute> {
    attributes
        .into_iter()
        .map(|mut a| {
            a.sub_attributes = all_read_only(std::mem::take(&mut a.sub_attributes));
            a.with_mutability(Mutability::ReadOnly)
        })
        .collect()
}
