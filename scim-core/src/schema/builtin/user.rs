//! The core User schema (RFC 7643 §4.1, §8.7.1).

use super::attrs::{boolean, complex, display, id_value, label, multi, primary, reference, string};
use crate::schema::{AttrType, Attribute, Mutability, Returned, Schema, SchemaUrn, Uniqueness};

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
