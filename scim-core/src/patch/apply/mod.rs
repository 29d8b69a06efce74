//! Applying PATCH operations (RFC 7644 §3.5.2.1–§3.5.2.3).
//!
//! Paths are resolved only through the schema: an operation can reach an
//! attribute that a schema of the resource type defines, a sub-attribute of
//! it, or a whole registered extension, and nothing else, so it can never
//! create arbitrary keys or touch `id` and `meta`.
//!
//! An operation on an attribute goes through four stages, each in its own
//! module: [`resolve`] the path to a target, [`select`] what it acts on
//! (the object holding the attribute, the values a filter matches),
//! [`mutate`] them, after the [`check`]s that refuse read-only and
//! immutable targets, and [`tidy`] once, dropping what the change left
//! empty.

use serde_json::Value;

mod check;
mod mutate;
mod resolve;
mod select;
mod tidy;
mod unknown;

use self::check::check_writable;
use self::resolve::{AttrTarget, Target};
use self::select::select;
use self::tidy::tidy;
use self::unknown::{UnknownTarget, set_unknown};
use super::{PatchOp, PatchOperation, PatchRequest};
use crate::Error;
use crate::error::Detail;
use crate::filter::PatchPath;
use crate::resource::validate_patched;
use crate::schema::{JsonObject, ResourceSchema, Schema};
use crate::tolerance::{Context, Tolerance};

/// The result of [`apply`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PatchOutcome {
    /// The patched resource.
    pub resource: JsonObject,
    /// Whether anything changed; a PATCH that changes nothing must not
    /// change the version or `meta.lastModified` (RFC 7644 §3.5.2.1).
    pub changed: bool,
}

/// Applies `request` to a copy of `resource`: all operations or none.
///
/// # Errors
///
/// The first operation's failure, with the RFC's `scimType`:
/// `invalidPath` (unknown or malformed target), `noTarget` (a `remove`
/// without path; a filtered `replace`/`add` that matches nothing and cannot
/// be created), `mutability` (read-only or immutable targets, removing a
/// required attribute), `invalidValue` (a value of the wrong type).
pub fn apply(
    schema: &ResourceSchema,
    resource: &JsonObject,
    request: &PatchRequest,
    cx: &mut Context,
) -> Result<PatchOutcome, Error> {
    let mut run = Run::new(resource);
    for (index, op) in request.operations.iter().enumerate() {
        run.step(schema, cx, index, op)?;
    }
    run.finish(schema, resource)
}

/// [`apply`], letting the executor run other tasks between operations, so
/// that a long PATCH does not hold a thread of a shared runtime for its
/// whole duration.
pub(crate) async fn apply_cooperatively(
    schema: &ResourceSchema,
    resource: &JsonObject,
    request: &PatchRequest,
    cx: &mut Context,
) -> Result<PatchOutcome, Error> {
    let mut run = Run::new(resource);
    for (index, op) in request.operations.iter().enumerate() {
        run.step(schema, cx, index, op)?;
        crate::coop::yield_now().await;
    }
    run.finish(schema, resource)
}

/// A PATCH being applied to a copy of the resource.
struct Run {
    doc: JsonObject,
    changed: bool,
}

impl Run {
    fn new(resource: &JsonObject) -> Self {
        Self {
            doc: resource.clone(),
            changed: false,
        }
    }

    fn step(
        &mut self,
        schema: &ResourceSchema,
        cx: &mut Context,
        index: usize,
        op: &PatchOperation,
    ) -> Result<(), Error> {
        let mut patcher = Patcher { schema, cx };
        self.changed |= patcher
            .operation(&mut self.doc, op)
            .map_err(|e| in_operation(e, index))?;
        Ok(())
    }

    fn finish(
        mut self,
        schema: &ResourceSchema,
        original: &JsonObject,
    ) -> Result<PatchOutcome, Error> {
        if self.changed {
            validate_patched(schema, &mut self.doc, original)?;
        }
        Ok(PatchOutcome {
            resource: self.doc,
            changed: self.changed,
        })
    }
}

/// Prefixes an operation's error with its index, so that a client sending
/// ten operations learns which one failed.
pub(super) fn in_operation(e: Error, index: usize) -> Error {
    e.in_context(format_args!("operation {index}"))
}

/// The member listing a resource's schemas, computed from its attributes.
const SCHEMAS: &str = "schemas";

/// What an operation does at one target, with the value borrowed from the
/// request: a member of the value object when the operation has no path
/// or names a whole extension.
#[derive(Clone, Copy, Debug)]
enum Change<'v> {
    Add(&'v Value),
    /// With the values to remove, if a (non-null) `value` came along.
    Remove(Option<&'v Value>),
    Replace(&'v Value),
}

impl<'v> Change<'v> {
    fn of(op: &'v PatchOperation) -> (Option<&'v PatchPath>, Self) {
        match op {
            PatchOperation::Add { path, value } => (path.as_ref(), Self::Add(value)),
            PatchOperation::Remove { path, value } => (
                path.as_ref(),
                Self::Remove(value.as_ref().filter(|v| !v.is_null())),
            ),
            PatchOperation::Replace { path, value } => (path.as_ref(), Self::Replace(value)),
        }
    }

    fn op(self) -> PatchOp {
        match self {
            Self::Add(_) => PatchOp::Add,
            Self::Remove(_) => PatchOp::Remove,
            Self::Replace(_) => PatchOp::Replace,
        }
    }

    fn value(self) -> Option<&'v Value> {
        match self {
            Self::Add(v) | Self::Replace(v) => Some(v),
            Self::Remove(v) => v,
        }
    }

    /// The same change with another value: one member of this change's
    /// object value.
    fn with_value<'w>(self, value: &'w Value) -> Change<'w> {
        match self {
            Self::Add(_) => Change::Add(value),
            Self::Remove(_) => Change::Remove(Some(value)),
            Self::Replace(_) => Change::Replace(value),
        }
    }
}

struct Patcher<'a, 's> {
    schema: &'s ResourceSchema,
    cx: &'a mut Context,
}

impl<'s> Patcher<'_, 's> {
    fn operation(&mut self, doc: &mut JsonObject, op: &PatchOperation) -> Result<bool, Error> {
        let (path, change) = Change::of(op);
        let Some(path) = path else {
            return self.pathless(doc, change);
        };
        let target = self.resolve(doc, path)?;
        self.apply_to(doc, target, change)
    }

    fn apply_to(
        &mut self,
        doc: &mut JsonObject,
        target: Target<'s>,
        change: Change<'_>,
    ) -> Result<bool, Error> {
        match target {
            Target::Extension(ext) => self.extension(doc, ext, change),
            Target::Unknown(t) => set_unknown(doc, change.op(), &t, change.value()),
            Target::Attr(t) => self.attribute(doc, &t, change),
        }
    }

    /// A change at an attribute target, through the stages: check the
    /// target, prepare what a `remove` names, select, mutate, tidy.
    fn attribute(
        &mut self,
        doc: &mut JsonObject,
        t: &AttrTarget<'s>,
        change: Change<'_>,
    ) -> Result<bool, Error> {
        check_writable(t, change.op())?;
        let removal = match change {
            Change::Remove(Some(value)) => match self.removal(t, value)? {
                Some(values) => Some(values),
                // The value names nothing to remove (`[]`).
                None => return Ok(false),
            },
            Change::Add(_) | Change::Remove(None) | Change::Replace(_) => None,
        };
        let selection = select(doc, t)?;
        let changed = self.mutate(doc, t, change, selection, removal.as_deref())?;
        tidy(doc, t, change.op());
        Ok(changed)
    }

    /// `add`/`replace` without a path: each member of the value object is a
    /// target (RFC 7644 §3.5.2.1, §3.5.2.3).
    fn pathless(&mut self, doc: &mut JsonObject, change: Change<'_>) -> Result<bool, Error> {
        let value = match change {
            Change::Remove(_) => {
                return Err(Error::no_target("remove needs a \"path\"".to_owned()));
            }
            Change::Add(value) | Change::Replace(value) => value,
        };
        let Value::Object(members) = value else {
            return Err(Error::invalid_value(format!(
                "{} without a path needs an object \"value\"",
                change.op().as_str()
            )));
        };
        let mut changed = false;
        for (key, v) in members {
            if key.eq_ignore_ascii_case(SCHEMAS) {
                continue;
            }
            let path: PatchPath = key.parse().map_err(|e| {
                Error::InvalidPath(
                    Detail::new(format!("value member {key:?} is not an attribute: {e}"))
                        .with_source(e),
                )
            })?;
            let target = self.resolve(doc, &path)?;
            let is_path_key = match &target {
                Target::Extension(_) => false,
                Target::Unknown(t) => t.sub.is_some() || path.attr().schema().is_some(),
                Target::Attr(t) => {
                    t.filter.is_some() || t.sub.is_some() || path.attr().schema().is_some()
                }
            };
            if is_path_key && !self.cx.tolerate(Tolerance::PathKeysInValue) {
                return Err(Error::invalid_path(format!(
                    "value member {key:?} is a path; without a \"path\", members must be attribute names"
                )));
            }
            changed |= self.apply_to(doc, target, change.with_value(v))?;
        }
        Ok(changed)
    }

    /// `add`/`replace`/`remove` of a whole extension: each member of the
    /// value object is an attribute target of the extension.
    fn extension(
        &mut self,
        doc: &mut JsonObject,
        ext: &'s Schema,
        change: Change<'_>,
    ) -> Result<bool, Error> {
        let value = match change {
            Change::Remove(_) => return Ok(doc.remove(ext.id.as_str()).is_some()),
            Change::Add(value) | Change::Replace(value) => value,
        };
        let Value::Object(members) = value else {
            return Err(Error::invalid_value(format!(
                "the extension \"{}\" needs an object value",
                ext.id
            )));
        };
        let mut changed = false;
        for (key, v) in members {
            let Some(attr) = ext.attribute(key) else {
                if !self.cx.tolerate(Tolerance::KeepUnknownAttributes) {
                    return Err(Error::invalid_path(format!(
                        "the extension \"{}\" defines no attribute \"{key}\"",
                        ext.id
                    )));
                }
                let target = UnknownTarget {
                    container: Some(ext.id.as_str().to_owned()),
                    name: key.clone(),
                    sub: None,
                    display: format!("{}:{key}", ext.id),
                };
                changed |= set_unknown(doc, change.op(), &target, Some(v))?;
                continue;
            };
            let target = AttrTarget {
                extension: Some(ext),
                attr,
                sub: None,
                filter: None,
                display: format!("{}:{}", ext.id, attr.name),
            };
            changed |= self.attribute(doc, &target, change.with_value(v))?;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests;
