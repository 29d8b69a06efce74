//! Schema URNs.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

/// A schema URN such as `urn:ietf:params:scim:schemas:core:2.0:User`.
///
/// Equality, ordering and hashing ignore ASCII case, as SCIM clients send
/// schema URNs in any case; the spelling is kept for display. (This type
/// deliberately does not implement `Borrow<str>`, whose contract would
/// require case-sensitive equality.)
#[derive(Clone, Debug)]
pub struct SchemaUrn(Cow<'static, str>);

impl SchemaUrn {
    /// RFC 7643 §4.1: the core User schema.
    pub const USER: Self = Self::from_static("urn:ietf:params:scim:schemas:core:2.0:User");
    /// RFC 7643 §4.2: the core Group schema.
    pub const GROUP: Self = Self::from_static("urn:ietf:params:scim:schemas:core:2.0:Group");
    /// RFC 7643 §4.3: the Enterprise User extension.
    pub const ENTERPRISE_USER: Self =
        Self::from_static("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    /// RFC 7643 §5: the service provider configuration schema.
    pub const SERVICE_PROVIDER_CONFIG: Self =
        Self::from_static("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
    /// RFC 7643 §6: the resource type schema.
    pub const RESOURCE_TYPE: Self =
        Self::from_static("urn:ietf:params:scim:schemas:core:2.0:ResourceType");
    /// RFC 7643 §7: the schema schema.
    pub const SCHEMA: Self = Self::from_static("urn:ietf:params:scim:schemas:core:2.0:Schema");
    /// RFC 7644 §3.4.2: list responses.
    pub const LIST_RESPONSE: Self =
        Self::from_static("urn:ietf:params:scim:api:messages:2.0:ListResponse");
    /// RFC 7644 §3.4.3: search requests.
    pub const SEARCH_REQUEST: Self =
        Self::from_static("urn:ietf:params:scim:api:messages:2.0:SearchRequest");
    /// RFC 7644 §3.5.2: PATCH requests.
    pub const PATCH_OP: Self = Self::from_static("urn:ietf:params:scim:api:messages:2.0:PatchOp");
    /// RFC 7644 §3.7: bulk requests.
    pub const BULK_REQUEST: Self =
        Self::from_static("urn:ietf:params:scim:api:messages:2.0:BulkRequest");
    /// RFC 7644 §3.7: bulk responses.
    pub const BULK_RESPONSE: Self =
        Self::from_static("urn:ietf:params:scim:api:messages:2.0:BulkResponse");
    /// RFC 7644 §3.12: errors.
    pub const ERROR: Self = Self::from_static("urn:ietf:params:scim:api:messages:2.0:Error");

    /// A URN from a string literal, usable in constants.
    pub const fn from_static(urn: &'static str) -> Self {
        Self(Cow::Borrowed(urn))
    }

    /// A URN from any string. The text is checked to be a `urn:NID:NSS`.
    ///
    /// # Errors
    ///
    /// [`crate::filter::PathError`] (of kind
    /// [`SchemaUrn`](crate::filter::PathErrorKind::SchemaUrn)) if `urn` is
    /// not of that form.
    pub fn new(urn: impl Into<String>) -> Result<Self, crate::filter::PathError> {
        let urn = urn.into();
        crate::filter::AttrPath::new("x")?.with_schema(&urn)?;
        Ok(Self(Cow::Owned(urn)))
    }

    /// The URN as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `s` names this URN, ignoring ASCII case.
    pub fn matches(&self, s: &str) -> bool {
        self.0.eq_ignore_ascii_case(s)
    }
}

impl PartialEq for SchemaUrn {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for SchemaUrn {}

impl PartialOrd for SchemaUrn {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SchemaUrn {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .bytes()
            .map(|b| b.to_ascii_lowercase())
            .cmp(other.0.bytes().map(|b| b.to_ascii_lowercase()))
    }
}

impl Hash for SchemaUrn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl fmt::Display for SchemaUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SchemaUrn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SchemaUrn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_compare_without_case() {
        let a = SchemaUrn::new("URN:IETF:params:scim:schemas:core:2.0:user").unwrap();
        assert_eq!(a, SchemaUrn::USER);
        assert_eq!(a.cmp(&SchemaUrn::USER), Ordering::Equal);
        assert_eq!(a.to_string(), "URN:IETF:params:scim:schemas:core:2.0:user");
    }

    #[test]
    fn malformed_urns_are_refused() {
        for bad in [
            "",
            "urn",
            "urn:",
            "urn:a",
            "urn::b",
            "http://example.com",
            "urn:a:b c",
        ] {
            assert!(SchemaUrn::new(bad).is_err(), "{bad:?}");
        }
        assert!(
            SchemaUrn::new("urn:example:params:scim:schemas:extension:signin:2.0:Host").is_ok()
        );
    }
}
