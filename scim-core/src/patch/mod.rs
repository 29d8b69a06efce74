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

/// One PATCH operation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PatchOperation {
    /// What to do.
    pub op: PatchOp,
    /// Where; `None` means the resource itself.
    pub path: Option<PatchPath>,
    /// The value to add or replace with (or, tolerated, to remove).
    pub value: Option<Value>,
}

impl PatchOperation {
    /// An operation.
    pub fn new(op: PatchOp, path: Option<PatchPath>, value: Option<Value>) -> Self {
        Self { op, path, value }
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
    if op != PatchOp::Remove && value.is_none() {
        return Err(Error::invalid_value(format!(
            "operation {index} ({}) needs a \"value\"",
            op.as_str()
        )));
    }
    Ok(PatchOperation { op, path, value })
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
        assert_eq!(r.operations[0].op, PatchOp::Remove);
        assert_eq!(r.operations[0].path.as_ref().unwrap().to_string(), "title");
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
