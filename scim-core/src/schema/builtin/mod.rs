//! The schemas RFC 7643 defines: the User, Group and Enterprise User
//! resource schemas (§4, §8.7.1), the service provider schemas (§5, §6, §7,
//! §8.7.2) and the common attributes every resource has (§3.1).
//!
//! The definitions follow the JSON of RFC 7643 §8.7, with the RFC Editor's
//! verified errata applied and a few places where the JSON contradicts the
//! RFC's own normative text. Every such place has a comment here, and the
//! tests at the bottom of this file compare each schema with the RFC's JSON
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

use super::{AttrType, Attribute, Mutability, Returned, Schema, SchemaUrn, Uniqueness};

/// The core User schema, `urn:ietf:params:scim:schemas:core:2.0:User`
/// (RFC 7643 §4.1, §8.7.1).
///
/// Every attribute and sub-attribute of RFC 7643 §8.7.1 with its
/// characteristics. The common attributes `id`, `externalId` and `meta`
/// (§3.1) are not part of it.
///
/// # Examples
///
/// ```
/// use scim_core::schema::{user_schema, Mutability, SchemaUrn, Uniqueness};
///
/// let user = user_schema();
/// assert_eq!(user.id, SchemaUrn::USER);
/// // Attribute names ignore case (RFC 7643 §2.1).
/// let user_name = user.attribute("USERNAME").ok_or("no userName")?;
/// assert!(user_name.required);
/// assert_eq!(user_name.uniqueness, Uniqueness::Server);
/// let groups = user.attribute("groups").ok_or("no groups")?;
/// assert_eq!(groups.mutability, Mutability::ReadOnly);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn user_schema() -> Schema {
    Schema::new(
        SchemaUrn::USER,
        "User",
        vec![
            string(
                "userName",
                "Unique identifier for the User, typically used by the user to directly \
                 authenticate to the service provider.",
            )
            .with_required(true)
            .with_uniqueness(Uniqueness::Server),
            complex(
                "name",
                "The components of the user's real name.",
                vec![
                    string(
                        "formatted",
                        "The full name, including all middle names, titles, and suffixes as \
                         appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III').",
                    ),
                    string(
                        "familyName",
                        "The family name of the User, or last name in most Western languages \
                         (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III').",
                    ),
                    string(
                        "givenName",
                        "The given name of the User, or first name in most Western languages \
                         (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III').",
                    ),
                    string(
                        "middleName",
                        "The middle name(s) of the User (e.g., 'Jane' given the full name \
                         'Ms. Barbara J Jensen, III').",
                    ),
                    string(
                        "honorificPrefix",
                        "The honorific prefix(es) of the User, or title in most Western \
                         languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III').",
                    ),
                    string(
                        "honorificSuffix",
                        "The honorific suffix(es) of the User, or suffix in most Western \
                         languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III').",
                    ),
                ],
            ),
            string(
                "displayName",
                "The name of the User, suitable for display to end-users.",
            ),
            string(
                "nickName",
                "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' \
                 instead of 'Robert'.",
            ),
            reference(
                "profileUrl",
                &["external"],
                "A fully qualified URL pointing to a page representing the User's online \
                 profile.",
            ),
            string("title", "The user's title, such as \"Vice President.\""),
            string(
                "userType",
                "Used to identify the relationship between the organization and the user.",
            ),
            string(
                "preferredLanguage",
                "Indicates the User's preferred written or spoken language.",
            ),
            string(
                "locale",
                "Used to indicate the User's default location for purposes of localizing \
                 items such as currency, date time format, or numerical representations.",
            ),
            string(
                "timezone",
                "The User's time zone in the 'Olson' time zone database format, e.g., \
                 'America/Los_Angeles'.",
            ),
            boolean(
                "active",
                "A Boolean value indicating the User's administrative status.",
            ),
            string("password", "The User's cleartext password.")
                .with_mutability(Mutability::WriteOnly)
                .with_returned(Returned::Never),
            multi(
                "emails",
                "Email addresses for the user.",
                vec![
                    string(
                        "value",
                        "An email address for the user, canonicalized by the service provider, \
                         e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.",
                    ),
                    display(),
                    label(
                        "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                        &["work", "home", "other"],
                    ),
                    primary("the preferred mailing address or primary email address"),
                ],
            ),
            multi(
                "phoneNumbers",
                "Phone numbers for the User.",
                vec![
                    string("value", "Phone number of the User."),
                    display(),
                    label(
                        "A label indicating the attribute's function, e.g., 'work', 'home', \
                         'mobile'.",
                        &["work", "home", "mobile", "fax", "pager", "other"],
                    ),
                    primary("the preferred phone number or primary phone number"),
                ],
            ),
            multi(
                "ims",
                "Instant messaging addresses for the User.",
                vec![
                    string("value", "Instant messaging address for the User."),
                    display(),
                    label(
                        "A label indicating the attribute's function, e.g., 'aim', 'gtalk', \
                         'xmpp'.",
                        &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                    ),
                    primary("the preferred messenger or primary messenger"),
                ],
            ),
            multi(
                "photos",
                "URLs of photos of the User.",
                vec![
                    reference("value", &["external"], "URL of a photo of the User."),
                    display(),
                    label(
                        "A label indicating the attribute's function, i.e., 'photo' or \
                         'thumbnail'.",
                        &["photo", "thumbnail"],
                    ),
                    primary("the preferred photo or thumbnail"),
                ],
            ),
            multi(
                "addresses",
                "A physical mailing address for this User.",
                vec![
                    string(
                        "formatted",
                        "The full mailing address, formatted for display or use with a mailing \
                         label.",
                    ),
                    string(
                        "streetAddress",
                        "The full street address component, which may include house number, \
                         street name, P.O. box, and multi-line extended street address \
                         information.",
                    ),
                    string("locality", "The city or locality component."),
                    string("region", "The state or region component."),
                    string("postalCode", "The zip code or postal code component."),
                    string("country", "The country name component."),
                    label(
                        "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                        &["work", "home", "other"],
                    ),
                    // Not in RFC 7643 §8.7.1, which lists no `primary` for
                    // addresses. Kept because §2.4 makes `primary` a default
                    // sub-attribute of multi-valued attributes, the `primary`
                    // descriptions of §8.7.1 name "the preferred mailing
                    // address" as their example, and the RFC's own full User
                    // example (§8.2) sends `addresses[].primary`: without it,
                    // that example would carry an unknown sub-attribute.
                    primary("the preferred mailing address"),
                ],
            ),
            multi(
                "groups",
                "A list of groups to which the user belongs, either through direct membership, \
                 through nested groups, or dynamically calculated.",
                vec![
                    id_value("The identifier of the User's group.")
                        .with_mutability(Mutability::ReadOnly),
                    // RFC 7643 §8.7.1 lists ["User", "Group"]; §4.1.2 says
                    // the `$ref` is "the URI of the corresponding 'Group'
                    // resources to which the user belongs", and the verified
                    // erratum 8471 corrects the JSON to ["Group"].
                    reference(
                        "$ref",
                        &["Group"],
                        "The URI of the corresponding 'Group' resource to which the user belongs.",
                    )
                    .with_mutability(Mutability::ReadOnly),
                    display().with_mutability(Mutability::ReadOnly),
                    label(
                        "A label indicating the attribute's function, e.g., 'direct' or \
                         'indirect'.",
                        &["direct", "indirect"],
                    )
                    .with_mutability(Mutability::ReadOnly),
                ],
            )
            .with_mutability(Mutability::ReadOnly),
            multi(
                "entitlements",
                "A list of entitlements for the User that represent a thing the User has.",
                vec![
                    string("value", "The value of an entitlement."),
                    display(),
                    label("A label indicating the attribute's function.", &[]),
                    primary("the preferred entitlement"),
                ],
            ),
            multi(
                "roles",
                "A list of roles for the User that collectively represent who the User is, \
                 e.g., 'Student', 'Faculty'.",
                vec![
                    string("value", "The value of a role."),
                    display(),
                    label("A label indicating the attribute's function.", &[]),
                    primary("the preferred role"),
                ],
            ),
            multi(
                "x509Certificates",
                "A list of certificates issued to the User.",
                vec![
                    // RFC 7643 §8.7.1 says `caseExact: false`; §2.3.6 says
                    // "A binary is case exact", and base64 text is.
                    Attribute::new("value", AttrType::Binary)
                        .with_description("The value of an X.509 certificate.")
                        .with_case_exact(true),
                    display(),
                    label("A label indicating the attribute's function.", &[]),
                    primary("the preferred certificate"),
                ],
            ),
        ],
    )
    .with_description("User Account")
}

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

fn string(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrType::String).with_description(description)
}

fn boolean(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrType::Boolean).with_description(description)
}

fn integer(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrType::Integer).with_description(description)
}

fn date_time(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrType::DateTime).with_description(description)
}

/// A reference. RFC 7643 §8.7 marks most references `caseExact: false`;
/// §2.3.7 says "A reference is case exact", and that is followed here.
fn reference(name: &str, types: &[&str], description: &str) -> Attribute {
    Attribute::new(name, AttrType::Reference)
        .with_description(description)
        .with_reference_types(types.iter().copied())
        .with_case_exact(true)
}

/// The `value` of an attribute that points at a resource by its `id`. An
/// `id` is case exact (RFC 7643 §3.1), so the pointer is too: the verified
/// erratum 8472 says so for `manager.value`, and the same reasoning covers
/// User `groups.value` and Group `members.value`, which §8.7.1 marks
/// `caseExact: false`.
fn id_value(description: &str) -> Attribute {
    string("value", description).with_case_exact(true)
}

fn complex(name: &str, description: &str, sub_attributes: Vec<Attribute>) -> Attribute {
    Attribute::complex(name, sub_attributes).with_description(description)
}

/// A multi-valued complex attribute (RFC 7643 §2.4).
fn multi(name: &str, description: &str, sub_attributes: Vec<Attribute>) -> Attribute {
    complex(name, description, sub_attributes).with_multi_valued(true)
}

/// The `display` sub-attribute of a multi-valued attribute (RFC 7643 §2.4).
///
/// `readWrite`, as in RFC 7643 §8.7.1. Its descriptions there end in
/// "READ-ONLY.", and §2.4 calls a default `display` "immutable"; but §2.4
/// applies only where a schema does not define the sub-attribute, and the
/// erratum 8358 (held for document update) drops "READ-ONLY." from the
/// descriptions and keeps `readWrite`. A stricter mutability would refuse or
/// silently drop values that clients send, for no gain.
fn display() -> Attribute {
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    )
}

/// The `type` sub-attribute of a multi-valued attribute (RFC 7643 §2.4),
/// with its suggested values.
fn label(description: &str, canonical_values: &[&str]) -> Attribute {
    string("type", description).with_canonical_values(canonical_values.iter().copied())
}

/// The `primary` sub-attribute of a multi-valued attribute (RFC 7643 §2.4).
fn primary(example: &str) -> Attribute {
    boolean(
        "primary",
        &format!(
            "A Boolean value indicating the 'primary' or preferred attribute value for this \
             attribute, e.g., {example}. The primary attribute value 'true' MUST appear no more \
             than once."
        ),
    )
}

#[cfg(test)]
mod tests;
