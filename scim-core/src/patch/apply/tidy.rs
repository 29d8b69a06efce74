//! The last stage of a change: what it left empty goes, once, whichever
//! way the change got there. An attribute without values is unassigned
//! (RFC 7643 §2.5), and so is an extension without attributes.

use serde_json::Value;

use super::resolve::AttrTarget;
use crate::patch::PatchOp;
use crate::schema::JsonObject;

/// Drops what a change at `t` left empty: after a `remove` of a
/// sub-attribute, the values it emptied; the attribute, if it has no
/// values left; and the extension holding it, if it has no attributes.
pub(super) fn tidy(doc: &mut JsonObject, t: &AttrTarget<'_>, op: PatchOp) {
    let Some(ext) = t.extension else {
        tidy_attribute(doc, t, op);
        return;
    };
    let key = ext.id.as_str();
    let emptied = match doc.get_mut(key) {
        Some(Value::Object(obj)) => {
            tidy_attribute(obj, t, op);
            obj.is_empty()
        }
        _ => false,
    };
    if emptied {
        doc.remove(key);
    }
}

/// [`tidy`] in the object holding the attribute.
fn tidy_attribute(container: &mut JsonObject, t: &AttrTarget<'_>, op: PatchOp) {
    let key = t.attr.name.as_str();
    if op == PatchOp::Remove && t.sub.is_some() {
        if let Some(Value::Array(items)) = container.get_mut(key) {
            items.retain(|v| !matches!(v, Value::Object(o) if o.is_empty()));
        }
    }
    drop_if_empty(container, key);
}

/// Removes `key` if its value is an empty object or array.
pub(super) fn drop_if_empty(obj: &mut JsonObject, key: &str) {
    let empty = match obj.get(key) {
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    if empty {
        obj.remove(key);
    }
}
