//! The keys of the attributes the store reads or writes.

/// `userName`.
pub(crate) const USER_NAME: &str = "userName";
/// `externalId`.
pub(crate) const EXTERNAL_ID: &str = "externalId";
/// `name`.
pub(crate) const NAME: &str = "name";
/// `name.givenName`.
pub(crate) const GIVEN_NAME: &str = "givenName";
/// `name.familyName`.
pub(crate) const FAMILY_NAME: &str = "familyName";
/// `emails`.
pub(crate) const EMAILS: &str = "emails";
/// `phoneNumbers`.
pub(crate) const PHONE_NUMBERS: &str = "phoneNumbers";
/// `active`.
pub(crate) const ACTIVE: &str = "active";
/// `groups`, computed for Users.
pub(crate) const GROUPS: &str = "groups";
/// `displayName`.
pub(crate) const DISPLAY_NAME: &str = "displayName";
/// `members`, kept in `memberships`.
pub(crate) const MEMBERS: &str = "members";
/// The `value` sub-attribute.
pub(crate) const VALUE: &str = "value";
/// The `type` sub-attribute.
pub(crate) const TYPE: &str = "type";
/// The `display` sub-attribute.
pub(crate) const DISPLAY: &str = "display";
/// The `primary` sub-attribute.
pub(crate) const PRIMARY: &str = "primary";
/// `meta`.
pub(crate) const META: &str = "meta";
/// `meta.version`.
pub(crate) const VERSION: &str = "version";
/// `meta.lastModified`.
pub(crate) const LAST_MODIFIED: &str = "lastModified";
/// `meta.created`.
pub(crate) const CREATED: &str = "created";
/// Enterprise User `organization`.
pub(crate) const ORGANIZATION: &str = "organization";
/// Enterprise User `department`.
pub(crate) const DEPARTMENT: &str = "department";
