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
    /// When the resource was created.
    pub created: OffsetDateTime,
    /// When the resource was last changed.
    pub last_modified: OffsetDateTime,
    /// The resource's URL, if known.
    pub location: Option<String>,
    /// The current version.
    pub version: Version,
}

impl Meta {
    /// Metadata of a resource created at `created`.
    pub fn new(
        resource_type: impl Into<String>,
        created: OffsetDateTime,
        version: Version,
    ) -> Self {
        Self {
            resource_type: resource_type.into(),
            last_modified: created,
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
        m.insert(
            "created".to_owned(),
            Value::String(format_date_time(self.created)),
        );
        m.insert(
            "lastModified".to_owned(),
            Value::String(format_date_time(self.last_modified)),
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

    /// Reads a stored `meta` object; `None` unless it has a `version` and
    /// RFC 3339 `created` and `lastModified`.
    pub fn from_json(value: Option<&Value>) -> Option<Self> {
        let m = value?.as_object()?;
        let text = |k: &str| m.get(k).and_then(Value::as_str);
        Some(Self {
            resource_type: text("resourceType").unwrap_or_default().to_owned(),
            created: parse_date_time(text("created")?)?,
            last_modified: parse_date_time(text("lastModified")?)?,
            location: text("location").map(str::to_owned),
            version: Version::parse(text("version")?).ok()?,
        })
    }
}

/// The current time in UTC, to the millisecond: the precision `meta`
/// carries, so that a time survives formatting and parsing unchanged.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(now)
}

/// A time as RFC 3339 text, the form of SCIM's `dateTime` (RFC 7643
/// §2.3.5): `2011-08-01T18:29:49.793Z` for a UTC time.
pub fn format_date_time(at: OffsetDateTime) -> String {
    // Formatting fails only for years outside 0..=9999, which neither
    // `now()` nor `parse_date_time` produce; say so rather than panic.
    at.format(&Rfc3339)
        .unwrap_or_else(|_| "0000-01-01T00:00:00Z".to_owned())
}

/// Parses RFC 3339 text (SCIM's `dateTime`, RFC 7643 §2.3.5).
pub fn parse_date_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips_through_json() {
        let created = parse_date_time("2011-08-01T18:29:49.793Z").unwrap();
        let mut meta = Meta::new("User", created, Version::from_revision(2));
        meta.location = Some("https://example.com/v2/Users/1".to_owned());
        assert_eq!(Meta::from_json(Some(&meta.to_json())), Some(meta));
    }

    #[test]
    fn now_is_rfc3339_utc_and_round_trips() {
        let at = now();
        let text = format_date_time(at);
        assert!(text.ends_with('Z'), "{text}");
        assert_eq!(parse_date_time(&text), Some(at));
    }

    #[test]
    fn an_offset_survives_the_round_trip() {
        let at = parse_date_time("2011-05-13T05:42:34+01:00").unwrap();
        assert_eq!(format_date_time(at), "2011-05-13T05:42:34+01:00");
    }

    #[test]
    fn meta_without_valid_times_is_not_read() {
        let mut json = Meta::new("User", now(), Version::from_revision(1)).to_json();
        json["created"] = Value::String("yesterday".to_owned());
        assert_eq!(Meta::from_json(Some(&json)), None);
    }
}
