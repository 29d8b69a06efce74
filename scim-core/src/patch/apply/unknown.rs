//! Attributes no schema of the resource type defines, in PATCH: refused
//! under the strict policy, or kept verbatim
//! ([`Tolerance::KeepUnknownAttributes`]) where a create body would have
//! put them, so POST, PUT and PATCH treat them alike.

use serde_json::Value;

use super::mutate::put;
use super::resolve::Target;
use super::tidy::drop_if_empty;
use super::{Patcher, SCHEMAS};
use crate::Error;
use crate::filter::PatchPath;
use crate::patch::PatchOp;
use crate::resource::is_rfc_core_schema;
use crate::schema::canonical::{check_name, check_no_nul};
use crate::schema::{JsonObject, Mutability};
use crate::tolerance::Tolerance;

/// Where an attribute no schema defines lives: `container.name.sub`, the
/// container being the resource (`None`) or the object under a URN.
pub(super) struct UnknownTarget {
    pub(super) container: Option<String>,
    pub(super) name: String,
    pub(super) sub: Option<String>,
    pub(super) display: String,
}

impl<'s> Patcher<'_, 's> {
    /// A path naming an attribute no schema of the type defines: kept as a
    /// [`Target::Unknown`] where [`Tolerance::KeepUnknownAttributes`]
    /// allows, at the place a create body would have put it; else
    /// `invalidPath`. A value filter, or a sub-attribute of a multi-valued
    /// or simple attribute, has no such place and is always refused.
    pub(super) fn unknown(
        &mut self,
        doc: &JsonObject,
        path: &PatchPath,
    ) -> Result<Target<'s>, Error> {
        let schema = self.schema;
        let refuse = |why: &str| {
            Error::invalid_path(format!(
                "no schema of {} defines \"{path}\"{why}",
                schema.name()
            ))
        };
        if path.filter().is_some() {
            return Err(refuse(
                "; a value filter needs an attribute whose values the schema describes",
            ));
        }
        let attr = path.attr();
        let name = attr.name();
        if attr.schema().is_none() && name.eq_ignore_ascii_case(SCHEMAS) {
            return Err(Error::mutability(
                "\"schemas\" is computed from the attributes present and cannot be changed with PATCH"
                    .to_owned(),
            ));
        }
        // The object the attribute is in: the resource, a registered
        // extension, or the object under an unknown URN.
        let (container, known_attr) = match attr.schema() {
            None => (None, schema.attribute(name)),
            Some(urn) if schema.core().id.matches(urn) => (None, schema.attribute(name)),
            Some(urn) => match schema.extension(urn) {
                Some(ext) => (Some(ext.id.as_str().to_owned()), ext.attribute(name)),
                // Another resource type's core schema is no extension: a
                // create body listing it is refused, so PATCH must not
                // store an object under it either.
                None if is_rfc_core_schema(urn) => {
                    return Err(refuse(&format!(
                        "; \"{urn}\" is the core schema of another resource type, not an extension"
                    )));
                }
                None => {
                    // `urn:…:Contoso:2.0:User` parses as schema
                    // `urn:…:Contoso:2.0`, attribute `User`: when the
                    // resource holds an object under the whole text, the
                    // path names that object.
                    let whole = format!("{urn}:{name}");
                    if attr.sub_attr().is_none()
                        && doc
                            .iter()
                            .any(|(k, v)| v.is_object() && k.eq_ignore_ascii_case(&whole))
                    {
                        return self.keep(refuse, None, whole, None);
                    }
                    (Some(urn.to_owned()), None)
                }
            },
        };
        match (known_attr, attr.sub_attr()) {
            (None, sub) => self.keep(refuse, container, name.to_owned(), sub.map(str::to_owned)),
            (Some(known), Some(_)) if known.mutability == Mutability::ReadOnly => {
                Err(Error::mutability(format!(
                    "\"{}\" is read-only and cannot be changed with PATCH",
                    known.name
                )))
            }
            (Some(known), Some(sub)) if known.is_complex() && !known.multi_valued => {
                self.keep(refuse, container, known.name.clone(), Some(sub.to_owned()))
            }
            (Some(known), _) => Err(refuse(&format!(
                "; \"{}\" has no sub-attribute \"{}\"",
                known.name,
                attr.sub_attr().unwrap_or_default()
            ))),
        }
    }

    fn keep(
        &mut self,
        refuse: impl Fn(&str) -> Error,
        container: Option<String>,
        name: String,
        sub: Option<String>,
    ) -> Result<Target<'s>, Error> {
        if !self.cx.tolerate(Tolerance::KeepUnknownAttributes) {
            return Err(refuse(""));
        }
        let mut display = container
            .as_deref()
            .map_or_else(String::new, |c| format!("{c}:"));
        display.push_str(&name);
        if let Some(sub) = &sub {
            display.push('.');
            display.push_str(sub);
        }
        Ok(Target::Unknown(UnknownTarget {
            container,
            name,
            sub,
            display,
        }))
    }
}

/// `add`/`replace`/`remove` of an attribute no schema defines: the value
/// is stored verbatim (as a create body would store it), `null` or
/// `remove` deletes it, and a `remove` with a `value` deletes it only if
/// it holds that value. Names match existing keys without regard to case.
pub(super) fn set_unknown(
    doc: &mut JsonObject,
    op: PatchOp,
    t: &UnknownTarget,
    value: Option<&Value>,
) -> Result<bool, Error> {
    check_name(&t.name, &t.display)?;
    if let Some(sub) = &t.sub {
        check_name(sub, &t.display)?;
    }
    let value = value.filter(|v| !v.is_null());
    if let Some(v) = value {
        check_no_nul(v, &t.display)?;
    }
    let new = match (op, value) {
        (PatchOp::Remove, _) => None,
        (_, v) => v.cloned(),
    };
    let expected = (op == PatchOp::Remove).then_some(value).flatten();
    let create = new.is_some();
    let not_object = || {
        Error::invalid_value(format!(
            "\"{}\" cannot be set: what holds it is not an object",
            t.display
        ))
    };
    let container: &mut JsonObject = match &t.container {
        None => doc,
        Some(urn) => match object_at(doc, urn, create) {
            Ok(Some(obj)) => obj,
            Ok(None) => return Ok(false),
            Err(()) => return Err(not_object()),
        },
    };
    let changed = match &t.sub {
        None => put_verbatim(container, &t.name, new, expected),
        Some(sub) => match object_at(container, &t.name, create) {
            Ok(Some(obj)) => put_verbatim(obj, sub, new, expected),
            Ok(None) => false,
            Err(()) => return Err(not_object()),
        },
    };
    if t.sub.is_some() {
        drop_if_empty(container, &key_like(container, &t.name));
    }
    if let Some(urn) = &t.container {
        let key = key_like(doc, urn);
        drop_if_empty(doc, &key);
    }
    Ok(changed)
}

/// The existing key of `obj` spelled like `name` without regard to case,
/// or `name`.
fn key_like(obj: &JsonObject, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// The object under `name` (any case), created when `create`; `Ok(None)`
/// when absent and not created, `Err` when the member is not an object.
fn object_at<'d>(
    obj: &'d mut JsonObject,
    name: &str,
    create: bool,
) -> Result<Option<&'d mut JsonObject>, ()> {
    let key = key_like(obj, name);
    if !obj.contains_key(&key) {
        if !create {
            return Ok(None);
        }
        obj.insert(key.clone(), Value::Object(JsonObject::new()));
    }
    match obj.get_mut(&key) {
        Some(Value::Object(inner)) => Ok(Some(inner)),
        _ => Err(()),
    }
}

/// Sets (`Some`) or removes (`None`) the member spelled like `name`;
/// a removal with `expected` happens only if the member holds it.
fn put_verbatim(
    obj: &mut JsonObject,
    name: &str,
    value: Option<Value>,
    expected: Option<&Value>,
) -> bool {
    let key = key_like(obj, name);
    if let (None, Some(expected)) = (&value, expected) {
        if obj.get(&key) != Some(expected) {
            return false;
        }
    }
    put(obj, &key, value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn unknown(container: Option<&str>, name: &str, sub: Option<&str>) -> UnknownTarget {
        UnknownTarget {
            container: container.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
            display: name.to_owned(),
        }
    }

    #[test]
    fn unknown_values_are_set_in_place_whatever_the_case_and_removed_with_their_container() {
        let mut doc = json!({"ExtensionAttribute7": "old"})
            .as_object()
            .unwrap()
            .clone();
        let t = unknown(None, "extensionAttribute7", None);
        assert!(set_unknown(&mut doc, PatchOp::Replace, &t, Some(&json!("new"))).unwrap());
        assert_eq!(
            Value::Object(doc.clone()),
            json!({"ExtensionAttribute7": "new"})
        );
        // The same value again changes nothing.
        assert!(!set_unknown(&mut doc, PatchOp::Add, &t, Some(&json!("new"))).unwrap());

        let t = unknown(Some("urn:example:c:2.0:User"), "costCenter", Some("code"));
        assert!(set_unknown(&mut doc, PatchOp::Add, &t, Some(&json!(42))).unwrap());
        assert_eq!(
            doc["urn:example:c:2.0:User"],
            json!({"costCenter": {"code": 42}})
        );
        // A remove with another value keeps it; without a value removes it,
        // and the emptied objects go too.
        assert!(!set_unknown(&mut doc, PatchOp::Remove, &t, Some(&json!(7))).unwrap());
        assert!(set_unknown(&mut doc, PatchOp::Remove, &t, None).unwrap());
        assert!(!doc.contains_key("urn:example:c:2.0:User"));
        // Removing what is not there is a successful no-op.
        assert!(!set_unknown(&mut doc, PatchOp::Remove, &t, None).unwrap());
    }

    #[test]
    fn unknown_values_refuse_nul_and_non_object_containers() {
        let mut doc = json!({"thing": "text"}).as_object().unwrap().clone();
        let nul = unknown(None, "x", None);
        assert!(set_unknown(&mut doc, PatchOp::Add, &nul, Some(&json!("a\u{0}"))).is_err());
        let inside_text = unknown(None, "thing", Some("sub"));
        assert!(matches!(
            set_unknown(&mut doc, PatchOp::Add, &inside_text, Some(&json!(1))),
            Err(Error::InvalidValue(_))
        ));
    }
}
