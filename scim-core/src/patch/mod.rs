//! PATCH (RFC 7644 §3.5.2): parsing a `PatchOp` message and applying its
//! operations to a resource, atomically, with the RFC's semantics and the
//! deviations of real clients as named [`tolerance`](crate::tolerance)s.
//!
//! ```
//! use scim_core::patch::{PatchRequest, apply};
//! use scim_core::schema::Registry;
//! use scim_core::tolerance::{Context, Policy};
//! use serde_json::json;
//!
//! let registry = Registry::standard();
//! let users = registry.resource_type("User").expect("standard");
//! let serde_json::Value::Object(user) = json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "id": "2819c223", "userName": "amelia", "active": true,
//!     "emails": [{"type": "work", "value": "amelia@example.com", "primary": true}],
//! }) else { unreachable!() };
//!
//! // Entra ID's dialect: PascalCase ops, string booleans, a filtered path
//! // that matches nothing yet.
//! let mut cx = Context::new(Policy::entra_id());
//! let request = PatchRequest::parse(json!({
//!     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations": [
//!         {"op": "Replace", "path": "active", "value": "False"},
//!         {"op": "Add", "path": "emails[type eq \"other\"].value", "value": "amelia@home.example"},
//!     ],
//! }), &mut cx)?;
//! let patched = apply(users, &user, &request, &mut cx)?;
//! assert_eq!(patched.resource["active"], false);
//! assert_eq!(patched.resource["emails"][1], json!({"type": "other", "value": "amelia@home.example"}));
//! # Ok::<(), scim_core::Error>(())
//! ```
//!
//! The guide [PATCH semantics](crate::guide::patch) walks through every
//! rule.

mod apply;
mod delta;

use serde_json::Value;

pub(crate) use self::apply::apply_cooperatively;
pub use self::apply::{PatchOutcome, apply};
pub use self::delta::member_delta;
use crate::Error;
use crate::error::Detail;
use crate::filter::PatchPath;
use crate::schema::SchemaUrn;
use crate::tolerance::{Context, Tolerance};

/// A parsed `PatchOp` message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PatchRequest {
    /// The operations, applied in order.
    pub operations: Vec<PatchOperation>,
}

/// One PATCH operation (RFC 7644 §3.5.2): `add` and `replace` carry a
/// value, so one without cannot be represented; `remove` may carry one
/// only because some clients send it ([`Tolerance::RemoveByValue`]).
///
/// Build one with [`add`](Self::add), [`replace`](Self::replace),
/// [`remove`](Self::remove) or [`remove_value`](Self::remove_value), or
/// parse a message with [`PatchRequest::parse`].
///
/// ```
/// use scim_core::filter::PatchPath;
/// use scim_core::patch::{PatchOp, PatchOperation};
/// use serde_json::json;
///
/// let op = PatchOperation::replace(Some("active".parse::<PatchPath>()?), json!(false));
/// assert_eq!(op.op(), PatchOp::Replace);
/// assert_eq!(op.value(), Some(&json!(false)));
/// # Ok::<(), scim_core::filter::ParseError>(())
/// ```
// Closed by the RFC: `op` is one of these three (§3.5.2). The variants
// are non-exhaustive, so that a member may be added to one.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Debug, PartialEq)]
pub enum PatchOperation {
    /// `add` (§3.5.2.1).
    #[non_exhaustive]
    Add {
        /// Where; `None` means the resource itself, with `value` an object
        /// whose members are the attributes to add.
        path: Option<PatchPath>,
        /// What to add.
        value: Value,
    },
    /// `remove` (§3.5.2.2).
    #[non_exhaustive]
    Remove {
        /// What to remove. `None` is representable because a message may
        /// omit it; applying it fails with `noTarget`, as the RFC says.
        path: Option<PatchPath>,
        /// The values to remove from what `path` selects: not in the RFC,
        /// and refused unless [`Tolerance::RemoveByValue`] is tolerated.
        value: Option<Value>,
    },
    /// `replace` (§3.5.2.3).
    #[non_exhaustive]
    Replace {
        /// Where; `None` means the resource itself, with `value` an object
        /// whose members are the attributes to replace.
        path: Option<PatchPath>,
        /// The new value.
        value: Value,
    },
}

impl PatchOperation {
    /// An `add` of `value` at `path` (`None`: the resource itself).
    pub fn add(path: Option<PatchPath>, value: Value) -> Self {
        Self::Add { path, value }
    }

    /// A `remove` of what `path` selects.
    pub fn remove(path: PatchPath) -> Self {
        Self::Remove {
            path: Some(path),
            value: None,
        }
    }

    /// A `remove` of the values `value` names from what `path` selects,
    /// as Entra ID sends it; applied only where
    /// [`Tolerance::RemoveByValue`] is tolerated.
    pub fn remove_value(path: PatchPath, value: Value) -> Self {
        Self::Remove {
            path: Some(path),
            value: Some(value),
        }
    }

    /// A `replace` with `value` at `path` (`None`: the resource itself).
    pub fn replace(path: Option<PatchPath>, value: Value) -> Self {
        Self::Replace { path, value }
    }

    /// Which operation this is.
    pub fn op(&self) -> PatchOp {
        match self {
            Self::Add { .. } => PatchOp::Add,
            Self::Remove { .. } => PatchOp::Remove,
            Self::Replace { .. } => PatchOp::Replace,
        }
    }

    /// The path; `None` means the resource itself.
    pub fn path(&self) -> Option<&PatchPath> {
        match self {
            Self::Add { path, .. } | Self::Remove { path, .. } | Self::Replace { path, .. } => {
                path.as_ref()
            }
        }
    }

    /// The value: always there for `add` and `replace`, and for a
    /// `remove` only if the message had one.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Self::Add { value, .. } | Self::Replace { value, .. } => Some(value),
            Self::Remove { value, .. } => value.as_ref(),
        }
    }
}

/// The three PATCH operations of RFC 7644 §3.5.2.
// Closed by the RFC.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum PatchOp {
    /// `add` (§3.5.2.1).
    Add,
    /// `remove` (§3.5.2.2).
    Remove,
    /// `replace` (§3.5.2.3).
    Replace,
}

impl PatchOp {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        }
    }
}

impl PatchRequest {
    /// A request of `operations`, applied in order.
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        Self { operations }
    }

    /// Parses a `PatchOp` message. Member names are matched without regard
    /// to case and in any order.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidSyntax`] if the body is not a `PatchOp` message
    ///   (not an object, no `PatchOp` schema, no `Operations` array, an
    ///   operation that is not an object or has an unknown `op`);
    /// * [`Error::InvalidPath`] for a malformed `path`;
    /// * [`Error::InvalidValue`] for an `add`/`replace` without `value`, or
    ///   an empty `Operations` list.
    pub fn parse(body: Value, cx: &mut Context) -> Result<Self, Error> {
        let Value::Object(body) = body else {
            return Err(Error::invalid_syntax(
                "a PATCH body must be a PatchOp JSON object".to_owned(),
            ));
        };
        let mut schemas = None;
        let mut operations = None;
        for (key, value) in body {
            if key.eq_ignore_ascii_case("schemas") {
                schemas = Some(value);
            } else if key.eq_ignore_ascii_case("Operations") {
                operations = Some(value);
            }
        }
        let has_schema = match &schemas {
            Some(Value::Array(items)) => items
                .iter()
                .any(|s| s.as_str().is_some_and(|s| SchemaUrn::PATCH_OP.matches(s))),
            _ => false,
        };
        if !has_schema {
            return Err(Error::invalid_syntax(format!(
                "a PATCH body must list \"{}\" in \"schemas\"",
                SchemaUrn::PATCH_OP
            )));
        }
        let Some(Value::Array(raw_ops)) = operations else {
            return Err(Error::invalid_syntax(
                "a PATCH body needs an \"Operations\" array".to_owned(),
            ));
        };
        if raw_ops.is_empty() {
            return Err(Error::invalid_value(
                "\"Operations\" must contain at least one operation".to_owned(),
            ));
        }
        let operations = raw_ops
            .into_iter()
            .enumerate()
            .map(|(i, raw)| parse_operation(i, raw, cx))
            .collect::<Result<_, _>>()?;
        Ok(Self { operations })
    }
}

fn parse_operation(index: usize, raw: Value, cx: &mut Context) -> Result<PatchOperation, Error> {
    let Value::Object(raw) = raw else {
        return Err(Error::invalid_syntax(format!(
            "operation {index} must be an object with \"op\", \"path\" and \"value\""
        )));
    };
    let mut op = None;
    let mut path = None;
    let mut value = None;
    for (key, v) in raw {
        if key.eq_ignore_ascii_case("op") {
            op = Some(v);
        } else if key.eq_ignore_ascii_case("path") {
            path = Some(v);
        } else if key.eq_ignore_ascii_case("value") {
            value = Some(v);
        }
    }
    let op = match op {
        Some(Value::String(s)) => parse_op(&s, index, cx)?,
        _ => {
            return Err(Error::invalid_syntax(format!(
                "operation {index} needs \"op\": \"add\", \"remove\" or \"replace\""
            )));
        }
    };
    let path = match path {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.parse::<PatchPath>().map_err(|e| {
            Error::InvalidPath(
                Detail::new(format!("operation {index} has an invalid path {s:?}: {e}"))
                    .with_source(e),
            )
        })?),
        Some(_) => {
            return Err(Error::invalid_path(format!(
                "operation {index}: \"path\" must be a string"
            )));
        }
    };
    let needs_value = || {
        Error::invalid_value(format!(
            "operation {index} ({}) needs a \"value\"",
            op.as_str()
        ))
    };
    Ok(match op {
        PatchOp::Add => PatchOperation::Add {
            path,
            value: value.ok_or_else(needs_value)?,
        },
        PatchOp::Remove => PatchOperation::Remove { path, value },
        PatchOp::Replace => PatchOperation::Replace {
            path,
            value: value.ok_or_else(needs_value)?,
        },
    })
}

fn parse_op(s: &str, index: usize, cx: &mut Context) -> Result<PatchOp, Error> {
    let op = match s {
        "add" => return Ok(PatchOp::Add),
        "remove" => return Ok(PatchOp::Remove),
        "replace" => return Ok(PatchOp::Replace),
        s if s.eq_ignore_ascii_case("add") => PatchOp::Add,
        s if s.eq_ignore_ascii_case("remove") => PatchOp::Remove,
        s if s.eq_ignore_ascii_case("replace") => PatchOp::Replace,
        other => {
            return Err(Error::invalid_syntax(format!(
                "operation {index} has unknown op {other:?}; use \"add\", \"remove\" or \"replace\""
            )));
        }
    };
    if cx.tolerate(Tolerance::CaseInsensitiveOp) {
        Ok(op)
    } else {
        Err(Error::invalid_syntax(format!(
            "operation {index} has op {s:?}; PATCH ops are lower-case (\"{}\")",
            op.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tolerance::Policy;

    fn parse(body: Value, policy: Policy) -> Result<PatchRequest, Error> {
        PatchRequest::parse(body, &mut Context::new(policy))
    }

    const SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    #[test]
    fn member_names_and_order_do_not_matter() {
        let r = parse(
            json!({"operations": [{"OP": "remove", "PATH": "title"}], "SCHEMAS": [SCHEMA]}),
            Policy::strict(),
        )
        .unwrap();
        assert_eq!(r.operations[0].op(), PatchOp::Remove);
        assert_eq!(r.operations[0].path().unwrap().to_string(), "title");
    }

    #[test]
    fn pascal_case_ops_need_the_tolerance() {
        let body = json!({"schemas": [SCHEMA], "Operations": [{"op": "Replace", "path": "active", "value": false}]});
        assert!(parse(body.clone(), Policy::strict()).is_err());
        let mut cx = Context::new(Policy::entra_id());
        assert!(PatchRequest::parse(body, &mut cx).is_ok());
        assert!(cx.fired.contains(Tolerance::CaseInsensitiveOp));
    }

    #[test]
    fn add_and_replace_without_a_value_are_refused_by_parse() {
        for op in ["add", "replace", "Add", "Replace"] {
            let body = json!({"schemas": [SCHEMA], "Operations": [
                {"op": "remove", "path": "title"},
                {"op": op, "path": "title"},
            ]});
            let err = parse(body, Policy::entra_id()).unwrap_err();
            assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
            assert_eq!(err.scim_type().unwrap().as_str(), "invalidValue");
            assert_eq!(
                err.detail(),
                format!(
                    "operation 1 ({}) needs a \"value\"",
                    op.to_ascii_lowercase()
                )
            );
        }
        // `null` is a value (it unassigns), and `remove` needs none.
        let r = parse(
            json!({"schemas": [SCHEMA], "Operations": [
                {"op": "replace", "path": "title", "value": null},
                {"op": "remove", "path": "title"},
            ]}),
            Policy::strict(),
        )
        .unwrap();
        assert_eq!(r.operations[0].value(), Some(&Value::Null));
        assert_eq!(r.operations[1].value(), None);
    }

    #[test]
    fn typed_constructors_build_what_parse_builds() {
        let path = |s: &str| s.parse::<PatchPath>().unwrap();
        let built = PatchRequest::new(vec![
            PatchOperation::add(Some(path("emails")), json!([{"value": "a@example.org"}])),
            PatchOperation::replace(None, json!({"active": false})),
            PatchOperation::remove(path("title")),
            PatchOperation::remove_value(path("members"), json!([{"value": "u1"}])),
        ]);
        let parsed = parse(
            json!({"schemas": [SCHEMA], "Operations": [
                {"op": "add", "path": "emails", "value": [{"value": "a@example.org"}]},
                {"op": "replace", "value": {"active": false}},
                {"op": "remove", "path": "title"},
                {"op": "remove", "path": "members", "value": [{"value": "u1"}]},
            ]}),
            Policy::strict(),
        )
        .unwrap();
        assert_eq!(built, parsed);
        let ops: Vec<PatchOp> = built.operations.iter().map(PatchOperation::op).collect();
        assert_eq!(
            ops,
            [
                PatchOp::Add,
                PatchOp::Replace,
                PatchOp::Remove,
                PatchOp::Remove
            ]
        );
        assert_eq!(built.operations[0].path().unwrap().to_string(), "emails");
        assert!(built.operations[1].path().is_none());
        assert_eq!(built.operations[1].value(), Some(&json!({"active": false})));
        assert_eq!(built.operations[2].value(), None);
        assert!(matches!(
            &built.operations[3],
            PatchOperation::Remove { value: Some(v), .. } if *v == json!([{"value": "u1"}])
        ));
        // A `remove` without a path parses; applying it is `noTarget`.
        let r = parse(
            json!({"schemas": [SCHEMA], "Operations": [{"op": "remove"}]}),
            Policy::strict(),
        )
        .unwrap();
        assert_eq!(
            r.operations[0],
            PatchOperation::Remove {
                path: None,
                value: None
            }
        );
    }

    #[test]
    fn malformed_messages_get_the_right_error() {
        let cases = [
            (json!([]), "invalidSyntax"),
            (json!({"Operations": []}), "invalidSyntax"),
            (json!({"schemas": [SCHEMA]}), "invalidSyntax"),
            (
                json!({"schemas": [SCHEMA], "Operations": {}}),
                "invalidSyntax",
            ),
            (
                json!({"schemas": [SCHEMA], "Operations": []}),
                "invalidValue",
            ),
            (
                json!({"schemas": [SCHEMA], "Operations": ["add"]}),
                "invalidSyntax",
            ),
            (
                json!({"schemas": [SCHEMA], "Operations": [{"op": "move", "path": "a"}]}),
                "invalidSyntax",
            ),
            (
                json!({"schemas": [SCHEMA], "Operations": [{"path": "a"}]}),
                "invalidSyntax",
            ),
            (
                json!({"schemas": [SCHEMA], "Operations": [{"op": "add", "path": "a"}]}),
                "invalidValue",
            ),
            (
                json!({"schemas": [SCHEMA], "Operations": [{"op": "add", "path": "name..givenName", "value": 1}]}),
                "invalidPath",
            ),
            (
                json!({"schemas": [SCHEMA], "Operations": [{"op": "add", "path": 5, "value": 1}]}),
                "invalidPath",
            ),
        ];
        for (body, scim_type) in cases {
            let err = parse(body.clone(), Policy::entra_id()).unwrap_err();
            assert_eq!(
                err.scim_type().unwrap().as_str(),
                scim_type,
                "{body}: {err}"
            );
        }
    }
}
