//! Typed access to schema extensions (RFC 7643 §3.3), and the attributes
//! every typed resource view shares: `id`, `externalId` and `meta`
//! (RFC 7643 §3.1), `schemas`, extension objects and unknown attributes.
//!
//! A typed view ([`User`](super::User), [`Group`](super::Group)) keeps each
//! extension as the JSON object it came as, in its [`Extensions`] map, and
//! decodes it only when asked: [`User::extension`](super::User::extension)
//! with a type implementing [`Extension`]. An extension the application has
//! no type for therefore round-trips unchanged.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ID, META, Meta, SCHEMAS};
use crate::Error;
use crate::id::ResourceId;
use crate::schema::{JsonObject, SchemaUrn};

/// A schema extension with a typed view (RFC 7643 §3.3): the object stored
/// in a resource under the extension's schema URN.
///
/// Implement it for your own extension types to read and write them with
/// [`User::extension`](super::User::extension) and
/// [`User::set_extension`](super::User::set_extension).
///
/// # Examples
///
/// ```
/// use scim_core::User;
/// use scim_core::resource::Extension;
/// use scim_core::schema::SchemaUrn;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Deserialize, PartialEq, Serialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Badge {
///     badge_number: String,
/// }
///
/// impl Extension for Badge {
///     const URN: SchemaUrn =
///         SchemaUrn::from_static("urn:example:params:scim:schemas:extension:badge:2.0:User");
/// }
///
/// let mut user = User::new("bjensen");
/// user.set_extension(Some(Badge { badge_number: "B-1".to_owned() }))?;
/// let json = user.to_json();
/// assert_eq!(json["urn:example:params:scim:schemas:extension:badge:2.0:User"]["badgeNumber"], "B-1");
/// assert_eq!(json["schemas"][1], "urn:example:params:scim:schemas:extension:badge:2.0:User");
/// assert_eq!(user.extension::<Badge>()?, Some(Badge { badge_number: "B-1".to_owned() }));
/// # Ok::<(), scim_core::Error>(())
/// ```
pub trait Extension: Serialize + DeserializeOwned {
    /// The extension's schema URN: the key of its object in a resource and
    /// its entry in `schemas`.
    const URN: SchemaUrn;
}

/// The extension objects of a resource, keyed by schema URN (RFC 7643
/// §3.3). Keys compare without regard to ASCII case, as [`SchemaUrn`]
/// does; each key keeps the spelling it was read with.
pub type Extensions = BTreeMap<SchemaUrn, JsonObject>;

/// Decodes extension `E` from `extensions`, if present.
pub(super) fn extension<E: Extension>(extensions: &Extensions) -> Result<Option<E>, Error> {
    let Some(object) = extensions.get(&E::URN) else {
        return Ok(None);
    };
    serde_json::from_value(Value::Object(object.clone()))
        .map(Some)
        .map_err(|e| {
            Error::invalid_value(format!(
                "extension \"{}\" does not fit its typed view: {e}",
                E::URN
            ))
        })
}

/// Stores extension `E` in `extensions` (or removes it for `None`).
pub(super) fn set_extension<E: Extension>(
    extensions: &mut Extensions,
    ext: Option<E>,
) -> Result<(), Error> {
    let Some(ext) = ext else {
        extensions.remove(&E::URN);
        return Ok(());
    };
    match serde_json::to_value(&ext) {
        Ok(Value::Object(object)) => {
            // `insert` would keep an existing key's spelling; the typed
            // extension's URN is the canonical one.
            extensions.remove(&E::URN);
            extensions.insert(E::URN, object);
            Ok(())
        }
        Ok(_) => Err(Error::invalid_value(format!(
            "extension \"{}\" must serialize to a JSON object",
            E::URN
        ))),
        Err(e) => Err(Error::invalid_value(format!(
            "extension \"{}\" could not be serialized: {e}",
            E::URN
        ))),
    }
}

/// The `schemas` of a resource: its core schema, then each extension
/// present.
pub(super) fn schemas(core: &SchemaUrn, extensions: &Extensions) -> Vec<SchemaUrn> {
    std::iter::once(core.clone())
        .chain(extensions.keys().filter(|urn| *urn != core).cloned())
        .collect()
}

/// The attributes every typed view shares, collected while a resource
/// object is read.
#[derive(Debug, Default)]
pub(super) struct Common {
    /// `id`.
    pub(super) id: Option<ResourceId>,
    /// `externalId`.
    pub(super) external_id: Option<String>,
    /// `meta`.
    pub(super) meta: Option<Meta>,
    /// Extension objects.
    pub(super) extensions: Extensions,
    /// Everything else.
    pub(super) other: JsonObject,
}

/// The key of `externalId`.
const EXTERNAL_ID: &str = "externalId";

impl Common {
    /// Takes one top-level member that is not specific to the resource
    /// type: `schemas` is checked to list `core` and then dropped (it is
    /// recomputed on output), `id`, `externalId` and `meta` are decoded, an
    /// object under a schema URN other than `core` is an extension, anything
    /// else is kept as an unknown attribute.
    pub(super) fn take(
        &mut self,
        core: &SchemaUrn,
        key: String,
        value: Value,
    ) -> Result<(), Error> {
        match key.as_str() {
            SCHEMAS => check_schemas(core, &value),
            ID => {
                self.id = attribute::<String>(ID, value)?
                    .map(|id| {
                        ResourceId::new(id)
                            .map_err(|e| Error::invalid_value(format!("attribute \"id\": {e}")))
                    })
                    .transpose()?;
                Ok(())
            }
            EXTERNAL_ID => {
                self.external_id = attribute(EXTERNAL_ID, value)?;
                Ok(())
            }
            META => {
                self.meta = match value {
                    Value::Null => None,
                    value => Some(Meta::from_json(Some(&value)).ok_or_else(|| {
                        Error::invalid_value(
                            "attribute \"meta\" must be an object with a valid \"version\""
                                .to_owned(),
                        )
                    })?),
                };
                Ok(())
            }
            _ => match value {
                Value::Object(object) if is_schema_urn(&key) && !core.matches(&key) => {
                    let urn = SchemaUrn::new(key.as_str())
                        .map_err(|e| Error::invalid_value(format!("extension \"{key}\": {e}")))?;
                    if self.extensions.contains_key(&urn) {
                        return Err(Error::invalid_value(format!(
                            "extension \"{key}\" appears twice"
                        )));
                    }
                    self.extensions.insert(urn, object);
                    Ok(())
                }
                value => {
                    self.other.insert(key, value);
                    Ok(())
                }
            },
        }
    }
}

/// Writes `id`, `externalId`, `meta`, the extension objects and `schemas`
/// into `out`, replacing any member of the same name.
pub(super) fn write_common(
    out: &mut JsonObject,
    core: &SchemaUrn,
    id: Option<&ResourceId>,
    external_id: Option<&String>,
    meta: Option<&Meta>,
    extensions: &Extensions,
) {
    if let Some(id) = id {
        out.insert(ID.to_owned(), Value::String(id.as_str().to_owned()));
    }
    put(out, EXTERNAL_ID, external_id);
    if let Some(meta) = meta {
        out.insert(META.to_owned(), meta.to_json());
    }
    for (urn, object) in extensions {
        out.insert(urn.as_str().to_owned(), Value::Object(object.clone()));
    }
    let schemas = schemas(core, extensions)
        .iter()
        .map(|urn| Value::String(urn.as_str().to_owned()))
        .collect();
    out.insert(SCHEMAS.to_owned(), Value::Array(schemas));
}

/// Decodes the value of attribute `key`; `null` means absent (RFC 7643
/// §2.5).
pub(super) fn attribute<T: DeserializeOwned>(key: &str, value: Value) -> Result<Option<T>, Error> {
    if value.is_null() {
        return Ok(None);
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| Error::invalid_value(format!("attribute \"{key}\" has an invalid value: {e}")))
}

/// Decodes the value of multi-valued attribute `key`; `null` means no
/// values (RFC 7643 §2.5).
pub(super) fn multi_valued<T: DeserializeOwned>(key: &str, value: Value) -> Result<Vec<T>, Error> {
    Ok(attribute(key, value)?.unwrap_or_default())
}

/// Writes attribute `key` if it has a value.
pub(super) fn put<T: Serialize>(out: &mut JsonObject, key: &str, value: Option<&T>) {
    if let Some(value) = value {
        // Cannot fail: the typed views are made of strings, booleans and
        // string-keyed JSON maps, which always serialize to a `Value`.
        if let Ok(value) = serde_json::to_value(value) {
            out.insert(key.to_owned(), value);
        }
    }
}

/// Writes multi-valued attribute `key` if it has values (an empty array
/// means no values, RFC 7643 §2.4).
pub(super) fn put_multi_valued<T: Serialize>(out: &mut JsonObject, key: &str, values: &[T]) {
    if !values.is_empty() {
        put(out, key, Some(&values));
    }
}

/// A required string attribute.
pub(super) fn required(key: &str, value: Option<String>) -> Result<String, Error> {
    value.ok_or_else(|| Error::invalid_value(format!("attribute \"{key}\" is required")))
}

/// `schemas`, if present, is an array of strings that lists `core`.
fn check_schemas(core: &SchemaUrn, value: &Value) -> Result<(), Error> {
    match value {
        Value::Null => Ok(()),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            if items
                .iter()
                .filter_map(Value::as_str)
                .any(|s| core.matches(s))
            {
                Ok(())
            } else {
                Err(Error::invalid_value(format!(
                    "\"schemas\" does not list \"{core}\""
                )))
            }
        }
        _ => Err(Error::invalid_value(
            "\"schemas\" must be an array of schema URNs".to_owned(),
        )),
    }
}

/// Whether a top-level key is a schema URN, under which an object is an
/// extension (RFC 7643 §3.3).
fn is_schema_urn(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) && SchemaUrn::new(key).is_ok()
}

/// Test support: `json` deserializes into `T` and serializes back to the
/// same JSON value.
#[cfg(test)]
pub(super) fn assert_round_trips<T>(json: &str) -> T
where
    T: Serialize + DeserializeOwned,
{
    let expected: Value = serde_json::from_str(json).expect("test data is JSON");
    let typed: T = serde_json::from_value(expected.clone()).expect("deserializes");
    let actual = serde_json::to_value(&typed).expect("serializes");
    assert_eq!(actual, expected);
    typed
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq, Serialize)]
    struct Badge {
        number: u32,
    }

    impl Extension for Badge {
        const URN: SchemaUrn =
            SchemaUrn::from_static("urn:example:params:scim:schemas:extension:badge:2.0:User");
    }

    #[test]
    fn set_extension_replaces_a_differently_spelled_key_and_none_removes() {
        let mut extensions = Extensions::new();
        let shouted =
            SchemaUrn::new("URN:EXAMPLE:params:scim:schemas:extension:badge:2.0:User").unwrap();
        extensions.insert(shouted, json!({"number": 1}).as_object().unwrap().clone());
        assert_eq!(
            extension::<Badge>(&extensions).unwrap(),
            Some(Badge { number: 1 })
        );

        set_extension(&mut extensions, Some(Badge { number: 2 })).unwrap();
        let keys: Vec<&str> = extensions.keys().map(SchemaUrn::as_str).collect();
        assert_eq!(keys, [Badge::URN.as_str()]);
        assert_eq!(
            extension::<Badge>(&extensions).unwrap(),
            Some(Badge { number: 2 })
        );

        set_extension::<Badge>(&mut extensions, None).unwrap();
        assert!(extensions.is_empty());
    }

    #[test]
    fn an_extension_that_does_not_fit_its_type_is_an_invalid_value() {
        let mut extensions = Extensions::new();
        extensions.insert(
            Badge::URN,
            json!({"number": "x"}).as_object().unwrap().clone(),
        );
        let err = extension::<Badge>(&extensions).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue(m) if m.as_str().contains(Badge::URN.as_str())),
            "{err}"
        );
    }

    #[test]
    fn only_objects_under_extension_urns_are_extensions() {
        let mut common = Common::default();
        let core = SchemaUrn::USER;
        common
            .take(&core, "urn:example:a:b".to_owned(), json!({"x": 1}))
            .unwrap();
        common
            .take(&core, "urn:example:c:d".to_owned(), json!("scalar"))
            .unwrap();
        common
            .take(&core, "nickname".to_owned(), json!({"x": 1}))
            .unwrap();
        common
            .take(
                &core,
                "urn:ietf:params:scim:schemas:core:2.0:User".to_owned(),
                json!({"x": 1}),
            )
            .unwrap();
        assert_eq!(common.extensions.len(), 1);
        assert_eq!(
            Value::Object(common.other),
            json!({
                "urn:example:c:d": "scalar",
                "nickname": {"x": 1},
                "urn:ietf:params:scim:schemas:core:2.0:User": {"x": 1},
            })
        );
    }

    #[test]
    fn an_extension_under_two_spellings_is_refused() {
        let mut common = Common::default();
        let core = SchemaUrn::USER;
        common
            .take(&core, "urn:example:a:b".to_owned(), json!({}))
            .unwrap();
        let err = common
            .take(&core, "URN:EXAMPLE:a:b".to_owned(), json!({}))
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue(m) if m.as_str().contains("twice")),
            "{err}"
        );
    }

    #[test]
    fn schemas_must_list_the_core_schema() {
        let mut common = Common::default();
        let err = common
            .take(
                &SchemaUrn::USER,
                "schemas".to_owned(),
                json!(["urn:ietf:params:scim:schemas:core:2.0:Group"]),
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue(m) if m.as_str().contains("core:2.0:User")),
            "{err}"
        );
        assert!(matches!(
            common.take(&SchemaUrn::USER, "schemas".to_owned(), json!("x")),
            Err(Error::InvalidValue(_))
        ));
        common
            .take(
                &SchemaUrn::USER,
                "schemas".to_owned(),
                json!(["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"]),
            )
            .unwrap();
    }
}
