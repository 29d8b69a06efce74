//! The checks a target must pass before it is changed: read-only
//! attributes are never written, and an immutable sub-attribute keeps the
//! value it has (RFC 7643 §2.2, `mutability`).

use serde_json::Value;

use super::resolve::AttrTarget;
use crate::Error;
use crate::patch::PatchOp;
use crate::schema::canonical::identity_key;
use crate::schema::{Attribute, JsonObject, Mutability};

/// Read-only targets are refused, and removing an immutable sub-attribute.
pub(super) fn check_writable(t: &AttrTarget<'_>, op: PatchOp) -> Result<(), Error> {
    let leaf = t.sub.unwrap_or(t.attr);
    if t.attr.mutability == Mutability::ReadOnly || leaf.mutability == Mutability::ReadOnly {
        return Err(Error::mutability(format!(
            "\"{}\" is read-only and cannot be changed with PATCH",
            t.display
        )));
    }
    if op == PatchOp::Remove
        && t.sub
            .is_some_and(|sub| sub.mutability == Mutability::Immutable)
    {
        return Err(Error::mutability(format!(
            "\"{}\" is immutable and cannot be removed",
            t.display
        )));
    }
    Ok(())
}

/// Setting `sub` to `new` in each of `values` is refused if `sub` is
/// immutable and one of them has another value already; `detail` follows
/// the path in the error.
pub(super) fn check_immutable_sub<'v>(
    t: &AttrTarget<'_>,
    sub: &Attribute,
    values: impl IntoIterator<Item = &'v Value>,
    new: Option<&Value>,
    detail: &str,
) -> Result<(), Error> {
    if sub.mutability != Mutability::Immutable {
        return Ok(());
    }
    let conflict = values
        .into_iter()
        .filter_map(Value::as_object)
        .any(|obj| obj.get(&sub.name).is_some_and(|old| Some(old) != new));
    if conflict {
        return Err(Error::mutability(format!(
            "\"{}\" is immutable{detail}",
            t.display
        )));
    }
    Ok(())
}

/// Changing a value's identifying sub-attribute (`members.value`) in
/// place is refused: it is immutable.
pub(super) fn check_identity_kept<'v>(
    t: &AttrTarget<'_>,
    values: impl IntoIterator<Item = &'v Value>,
    fields: &JsonObject,
) -> Result<(), Error> {
    let Some(id) = identity_key(t.attr) else {
        return Ok(());
    };
    let Some(new) = fields.get(id) else {
        return Ok(());
    };
    if values
        .into_iter()
        .filter_map(Value::as_object)
        .any(|obj| obj.get(id) != Some(new))
    {
        return Err(Error::mutability(format!(
            "\"{}.{id}\" is immutable; remove the value and add another",
            t.attr.name
        )));
    }
    Ok(())
}
