//! The `scimType` keywords of RFC 7644 §3.12, as an open enum.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The `scimType` error keywords of RFC 7644 §3.12 Table 9, plus any other
/// keyword a peer sends.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax is invalid or the filter is not supported.
    InvalidFilter,
    /// More results than the service provider will return.
    TooMany,
    /// A unique attribute's value is already in use.
    Uniqueness,
    /// A write to an attribute that its mutability forbids.
    Mutability,
    /// The body is not valid JSON or not a valid SCIM message.
    InvalidSyntax,
    /// The path attribute was invalid or malformed.
    InvalidPath,
    /// A PATCH target or filter matched no attribute or value.
    NoTarget,
    /// A required value was missing or had the wrong type.
    InvalidValue,
    /// The protocol version is not supported.
    InvalidVers,
    /// The request would reveal sensitive data.
    Sensitive,
    /// A cursor that is malformed or unknown (RFC 9865 §2.2).
    InvalidCursor,
    #[doc(hidden)]
    _Custom(PrivOwnedStr),
}

/// A string only this crate can build, for the open enums' custom variants.
#[doc(hidden)]
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct PrivOwnedStr(Box<str>);

impl ScimType {
    /// The keyword as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
            Self::InvalidCursor => "invalidCursor",
            Self::_Custom(s) => &s.0,
        }
    }
}

impl From<&str> for ScimType {
    fn from(s: &str) -> Self {
        match s {
            "invalidFilter" => Self::InvalidFilter,
            "tooMany" => Self::TooMany,
            "uniqueness" => Self::Uniqueness,
            "mutability" => Self::Mutability,
            "invalidSyntax" => Self::InvalidSyntax,
            "invalidPath" => Self::InvalidPath,
            "noTarget" => Self::NoTarget,
            "invalidValue" => Self::InvalidValue,
            "invalidVers" => Self::InvalidVers,
            "sensitive" => Self::Sensitive,
            "invalidCursor" => Self::InvalidCursor,
            other => Self::_Custom(PrivOwnedStr(other.into())),
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ScimType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ScimType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Self::from(s.as_str()))
    }
}
