//! `meta` (RFC 7643 §3.1), maintained by the library.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::id::Version;

/// A resource's metadata (RFC 7643 §3.1). The service sets it; anything a
/// client sends under `meta` is ignored.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Meta {
    /// The resource type's name, e.g. `User`.
    pub resource_type: String,
    /// When the resource was created (RFC 3339).
    pub created: String,
    /// When the resource was last changed (RFC 3339).
    pub last_modified: String,
    /// The resource's URL, if known.
    pub location: Option<String>,
    /// The current version.
    pub version: Version,
}

impl Meta {
    /// Metadata of a resource created at `created`.
    pub fn new(
        resource_type: impl Into<String>,
        created: impl Into<String>,
        version: Version,
    ) -> Self {
        let created = created.into();
        Self {
            resource_type: resource_type.into(),
            last_modified: created.clone(),
            created,
            location: None,
            version,
        }
    }

    /// The `meta` JSON object.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "resourceType".to_owned(),
            Value::String(self.resource_type.clone()),
        );
        m.insert("created".to_owned(), Value::String(self.created.clone()));
        m.insert(
            "lastModified".to_owned(),
            Value::String(self.last_modified.clone()),
        );
        if let Some(location) = &self.location {
            m.insert("location".to_owned(), Value::String(location.clone()));
        }
        m.insert(
            "version".to_owned(),
            Value::String(self.version.as_str().to_owned()),
        );
        Value::Object(m)
    }

    /// Reads a stored `meta` object.
    pub fn from_json(value: Option<&Value>) -> Option<Self> {
        let m = value?.as_object()?;
        let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            resource_type: text("resourceType").unwrap_or_default(),
            created: text("created").unwrap_or_default(),
            last_modified: text("lastModified").unwrap_or_default(),
            location: text("location"),
            version: Version::parse(&text("version")?).ok()?,
        })
    }
}

/// The current time as RFC 3339 text in UTC, with milliseconds.
pub fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now
        .replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(now);
    now.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips_through_json() {
        let mut meta = Meta::new(
            "User",
            "2011-08-01T18:29:49.793Z",
            Version::from_revision(2),
        );
        meta.location = Some("https://example.com/v2/Users/1".to_owned());
        assert_eq!(Meta::from_json(Some(&meta.to_json())), Some(meta));
    }

    #[test]
    fn now_is_rfc3339_utc() {
        let now = now_rfc3339();
        assert!(OffsetDateTime::parse(&now, &Rfc3339).is_ok(), "{now}");
        assert!(now.ends_with('Z'), "{now}");
    }
}
