//! The product profile: what Sign In Enterprise itself needs of a host and
//! a host group, beyond RFC 7643, declared in the schema registry so that
//! validation, PATCH, the stores and `/Schemas` all follow it.
//!
//! From the Entra ID gallery app's attribute mapping (Microsoft's
//! "Configure Sign In Enterprise for automatic host provisioning"
//! tutorial):
//!
//! * a host needs `userName`, `name.givenName`, `name.familyName` and a
//!   work email (`emails[type eq "work"].value`): the product shows names
//!   and sends visitor notifications to the work address;
//! * host group names are unique per tenant, ignoring case: Entra ID
//!   matches groups by `displayName` and fails on two matches;
//! * an empty string is no value: for an optional attribute it means
//!   "unassigned" and is dropped (Entra ID sends `""` for a source
//!   attribute that has no value), for a required one it is refused.

use clap::ValueEnum;
use scim_core::schema::{AttributeSettings, Registry, RegistryBuilder, Uniqueness};

/// Which rules the server adds to the standard User and Group schemas.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, ValueEnum)]
pub(crate) enum Profile {
    /// RFC 7643 only: what generic SCIM clients and conformance checkers
    /// expect.
    None,
    /// The Sign In Enterprise host provisioning rules (the default).
    #[default]
    SignInEnterprise,
}

/// The User paths a Sign In Enterprise host must have.
pub(crate) const REQUIRED_HOST_PATHS: &[&str] = &[
    "userName",
    "name.givenName",
    "name.familyName",
    r#"emails[type eq "work"].value"#,
];

/// The registry the server serves under `profile`.
///
/// # Errors
///
/// Only if the profile's declarations no longer fit the standard schemas,
/// which a unit test rules out.
pub(crate) fn registry(profile: Profile) -> Result<Registry, scim_core::Error> {
    let builder = RegistryBuilder::standard();
    match profile {
        Profile::None => builder.build(),
        Profile::SignInEnterprise => REQUIRED_HOST_PATHS
            .iter()
            .fold(builder, |b, path| {
                b.configure("User", path, AttributeSettings::new().required(true))
            })
            .configure(
                "Group",
                "displayName",
                AttributeSettings::new().uniqueness(Uniqueness::Server),
            )
            .empty_strings_unassigned(true)
            .build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_profiles_build_and_only_the_product_one_tightens() {
        let none = registry(Profile::None).unwrap();
        let product = registry(Profile::SignInEnterprise).unwrap();
        let display_name = |r: &Registry| {
            r.resource_type("Group")
                .unwrap()
                .attribute("displayName")
                .unwrap()
                .uniqueness
        };
        assert_eq!(display_name(&none), Uniqueness::None);
        assert_eq!(display_name(&product), Uniqueness::Server);
        let given = |r: &Registry| {
            r.resource_type("User")
                .unwrap()
                .attribute("name")
                .unwrap()
                .sub_attribute("givenName")
                .unwrap()
                .required
        };
        assert!(!given(&none));
        assert!(given(&product));
        let unassigned = |r: &Registry| {
            r.resource_types()
                .map(|t| t.empty_strings_unassigned())
                .collect::<Vec<_>>()
        };
        assert_eq!(unassigned(&none), [false, false]);
        assert_eq!(unassigned(&product), [true, true]);
    }
}
