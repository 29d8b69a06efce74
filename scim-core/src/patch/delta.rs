//! Group membership PATCHes as a [`MemberDelta`], so that a store can
//! change one membership row instead of rewriting a large group.

use serde_json::Value;

use super::apply::in_operation;
use super::{PatchOp, PatchRequest};
use crate::Error;
use crate::filter::{CompareOp, Filter};
use crate::schema::ResourceSchema;
use crate::schema::canonical::{identity_key, normalize};
use crate::store::MemberDelta;
use crate::tolerance::{Context, Tolerance};

/// If a PATCH of a resource type with `members` changes nothing but
/// `members`, the change as a [`MemberDelta`] that a store can apply
/// without rewriting the group; `None` otherwise (apply it with [`apply`](super::apply)).
///
/// # Errors
///
/// As [`apply`](super::apply) for the member operations: an added member without a
/// `value`, a `remove` with a value that no tolerance allows.
pub fn member_delta(
    schema: &ResourceSchema,
    request: &PatchRequest,
    cx: &mut Context,
) -> Result<Option<MemberDelta>, Error> {
    let Some(members) = schema.core().attribute("members") else {
        return Ok(None);
    };
    if !members.multi_valued || identity_key(members).is_none() {
        return Ok(None);
    }
    let mut delta = MemberDelta::default();
    for (index, op) in request.operations.iter().enumerate() {
        let Some(path) = &op.path else {
            return Ok(None);
        };
        let attr = path.attr();
        let names_members = attr.name().eq_ignore_ascii_case(&members.name)
            && attr.sub_attr().is_none()
            && path.sub_attr().is_none()
            && attr.schema().is_none_or(|s| schema.core().id.matches(s));
        if !names_members {
            return Ok(None);
        }
        let values = |cx: &mut Context, value: &Value| -> Result<Vec<Value>, Error> {
            let items = match normalize(members, value.clone(), &members.name, cx)
                .map_err(|e| in_operation(e, index))?
            {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            for item in &items {
                if !item.get("value").is_some_and(Value::is_string) {
                    return Err(in_operation(
                        Error::InvalidValue("every member needs a string \"value\"".to_owned()),
                        index,
                    ));
                }
            }
            Ok(items)
        };
        match (
            op.op,
            path.filter(),
            op.value.as_ref().filter(|v| !v.is_null()),
        ) {
            (PatchOp::Add, None, Some(value)) => {
                for item in values(cx, value)? {
                    delta.add_member(item);
                }
            }
            (PatchOp::Replace, None, Some(value)) => {
                delta = MemberDelta {
                    remove_all: true,
                    ..MemberDelta::default()
                };
                for item in values(cx, value)? {
                    delta.add_member(item);
                }
            }
            (PatchOp::Remove, None, None) => {
                delta = MemberDelta {
                    remove_all: true,
                    ..MemberDelta::default()
                };
            }
            (PatchOp::Remove, None, Some(value)) => {
                if !cx.tolerate(Tolerance::RemoveByValue) {
                    return Err(in_operation(
                        Error::InvalidValue(format!(
                            "remove does not take a \"value\"; use {}[value eq \"…\"]",
                            members.name
                        )),
                        index,
                    ));
                }
                for item in values(cx, value)? {
                    if let Some(Value::String(id)) = item.get("value") {
                        delta.remove_member(id);
                    }
                }
            }
            (PatchOp::Remove, Some(filter), None) => {
                let Some(ids) = value_eq_ids(filter) else {
                    return Ok(None);
                };
                for id in ids {
                    delta.remove_member(&id);
                }
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(delta))
}

/// The ids of `value eq "a"` or `value eq "a" or value eq "b"`.
fn value_eq_ids(filter: &Filter) -> Option<Vec<String>> {
    let clauses: Vec<&Filter> = match filter {
        Filter::Or(ops) => ops.iter().collect(),
        other => vec![other],
    };
    clauses
        .into_iter()
        .map(|c| match c {
            Filter::Compare(cmp)
                if cmp.op() == CompareOp::Eq
                    && cmp.path().name().eq_ignore_ascii_case("value")
                    && cmp.path().sub_attr().is_none() =>
            {
                cmp.value().as_str().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

impl MemberDelta {
    /// Folds "add this member" into the delta, after what it already says.
    fn add_member(&mut self, member: Value) {
        if let Some(Value::String(id)) = member.get("value") {
            self.remove.retain(|r| r != id);
            if !self
                .add
                .iter()
                .any(|m| m.get("value") == member.get("value"))
            {
                self.add.push(member);
            }
        }
    }

    /// Folds "remove this member" into the delta, after what it already
    /// says.
    fn remove_member(&mut self, id: &str) {
        self.add
            .retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
        if !self.remove.iter().any(|r| r == id) {
            self.remove.push(id.to_owned());
        }
    }
}
