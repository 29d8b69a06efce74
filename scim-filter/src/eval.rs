//! Evaluating a filter against a resource given as JSON (RFC 7644
//! §3.4.2.2).
//!
//! The rules, each pinned down by a test:
//!
//! * Attribute names, schema URNs and sub-attribute names are looked up
//!   without regard to ASCII case.
//! * A missing attribute never matches (and never fails the evaluation).
//! * A multi-valued attribute matches if any of its values matches.
//! * A complex multi-valued attribute compared without a sub-attribute
//!   compares its `value` sub-attribute (`emails co "example.com"`).
//! * `pr` is false for a missing attribute, `null`, `""`, `[]` and `{}`.
//! * `eq`, `ne`, `co`, `sw`, `ew` and the ordering operators compare strings
//!   case-insensitively (Unicode lower-casing) unless the attribute is
//!   `caseExact`, as reported by a [`SchemaFacts`] implementation.
//! * `dateTime` values compare chronologically; numbers numerically.
//! * Every operator, `ne` included, follows the any-value rule of RFC 7644
//!   §3.4.2.2: "If the specified attribute in a filter expression is a
//!   multi-valued attribute, the filter matches if any of the values of the
//!   specified attribute match the specified criterion (e.g., if a User has
//!   multiple "emails" values, only one has to match for the entire User to
//!   match)." So `emails.value ne "x"` matches a user with the values `x`
//!   and `y` (`y` is not `x`), and does not match a user without emails or
//!   with `x` only: with no value, no value matches, as for every other
//!   operator (`ne` was once `not eq`, which matched users without the
//!   attribute and missed the multi-valued case). "Not any value equals" is
//!   written `not (emails.value eq "x")`.
//! * `eq null` matches when the attribute is absent (`not (attr pr)`), and
//!   `ne null` when it is present.
//! * A value of another type than the operand (a number compared with a
//!   string) does not match.
//! * `gt`, `ge`, `lt` and `le` on a boolean, binary or complex attribute, or
//!   with a boolean operand, is an [`EvalError`], which a server answers with
//!   `400` and `scimType` `invalidFilter`.
//! * So is comparing an attribute that the [`SchemaFacts`] say is a
//!   `dateTime` with anything but a date-time string
//!   (`meta.created gt "yesterday"`), or a `boolean` with anything but
//!   `true` or `false` (`active eq "True"`): such a filter can never mean
//!   what the client wanted, and answering with an empty list would hide
//!   the mistake. Without schema facts the type comes from the data, and a
//!   value of another type simply does not match.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{AttrPath, CompValue, CompareOp, Filter};

/// Facts about attributes that evaluation needs and that only a schema
/// knows. `scim-core` implements this from its registered schemas.
pub trait SchemaFacts {
    /// The facts about one attribute. The default knows nothing: strings
    /// compare case-insensitively and types are taken from the data.
    fn attribute(&self, attr: AttrRef<'_>) -> AttrFacts {
        let _ = attr;
        AttrFacts::default()
    }

    /// Whether `urn` names the core schema of the resources being evaluated,
    /// whose attributes sit at the top level of the JSON object rather than
    /// in an extension object keyed by the URN. The default recognises the
    /// `urn:ietf:params:scim:schemas:core:` family.
    fn is_core_schema(&self, urn: &str) -> bool {
        const CORE: &str = "urn:ietf:params:scim:schemas:core:";
        urn.get(..CORE.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(CORE))
    }
}

/// [`SchemaFacts`] without a schema: every string is compared
/// case-insensitively and types come from the data.
// A unit struct with nothing to add later.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultFacts;

impl SchemaFacts for DefaultFacts {}

/// An attribute as a [`SchemaFacts`] implementation is asked about it.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct AttrRef<'a> {
    /// The schema URN the path was qualified with, if any.
    pub schema: Option<&'a str>,
    /// The attribute name.
    pub name: &'a str,
    /// The sub-attribute name, if any. Inside a value filter
    /// (`emails[type eq "work"]`) the container is `name` and the inner
    /// path is `sub_attr`.
    pub sub_attr: Option<&'a str>,
}

impl<'a> AttrRef<'a> {
    /// The reference for `path`.
    pub fn new(path: &'a AttrPath) -> Self {
        Self {
            schema: path.schema(),
            name: path.name(),
            sub_attr: path.sub_attr(),
        }
    }
}

/// What a schema says about one attribute.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct AttrFacts {
    /// RFC 7643 §2.2 `caseExact`: compare strings exactly.
    pub case_exact: bool,
    /// The attribute's type, if known.
    pub kind: Option<ValueKind>,
}

impl AttrFacts {
    /// Facts with the given case-exactness and type.
    pub fn new(case_exact: bool, kind: Option<ValueKind>) -> Self {
        Self { case_exact, kind }
    }
}

/// The attribute data types of RFC 7643 §2.3.
// Closed by RFC 7643 §2.3.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum ValueKind {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `decimal`.
    Decimal,
    /// `integer`.
    Integer,
    /// `dateTime`.
    DateTime,
    /// `binary`.
    Binary,
    /// `reference`.
    Reference,
    /// `complex`.
    Complex,
}

/// Why a filter cannot be evaluated; a server answers it with `400` and
/// `scimType` `invalidFilter` (RFC 7644 §3.4.2.2).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct EvalError {
    message: Box<str>,
}

impl EvalError {
    fn ordering(op: CompareOp, what: &str, path: &dyn fmt::Display) -> Self {
        Self {
            message: format!("\"{op}\" cannot order {what} \"{path}\"").into(),
        }
    }

    fn operand(path: &dyn fmt::Display, expected: &str, operand: &CompValue) -> Self {
        Self {
            message: format!("\"{path}\" is {expected}, so it cannot be compared with {operand}")
                .into(),
        }
    }

    /// What is wrong with the filter.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

impl Filter {
    /// Prepares the filter for evaluating many resources: looks up schema
    /// facts, folds case and parses date-times in the operands once.
    ///
    /// # Errors
    ///
    /// [`EvalError`] if the filter orders a boolean, binary or complex
    /// attribute, or orders by a boolean operand.
    ///
    /// # Examples
    ///
    /// ```
    /// use scim2_filter::eval::DefaultFacts;
    /// use serde_json::json;
    ///
    /// let filter = scim2_filter::parse(r#"emails[type eq "work" and value co "@example.com"]"#)?;
    /// let matcher = filter.matcher(&DefaultFacts)?;
    /// let user = json!({"emails": [{"type": "Work", "value": "bjensen@example.com"}]});
    /// assert!(matcher.matches(&user)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matcher(&self, facts: &dyn SchemaFacts) -> Result<Matcher, EvalError> {
        Ok(Matcher {
            root: compile(self, facts, None)?,
        })
    }

    /// Evaluates the filter against one resource without schema facts
    /// (see [`DefaultFacts`]).
    ///
    /// # Errors
    ///
    /// [`EvalError`] as for [`Filter::matcher`] and [`Matcher::matches`].
    pub fn matches(&self, resource: &Value) -> Result<bool, EvalError> {
        self.matcher(&DefaultFacts)?.matches(resource)
    }
}

/// A filter prepared for evaluation; see [`Filter::matcher`].
#[derive(Clone, Debug)]
pub struct Matcher {
    root: Node,
}

impl Matcher {
    /// Whether `resource` (a JSON object) matches.
    ///
    /// # Errors
    ///
    /// [`EvalError`] if an ordering operator meets a boolean or complex
    /// value that the schema facts did not announce.
    pub fn matches(&self, resource: &Value) -> Result<bool, EvalError> {
        match resource {
            Value::Object(obj) => self.matches_object(obj),
            _ => Ok(false),
        }
    }

    /// Whether the JSON object `resource` matches.
    ///
    /// # Errors
    ///
    /// As [`Matcher::matches`].
    pub fn matches_object(&self, resource: &Map<String, Value>) -> Result<bool, EvalError> {
        self.root.eval(resource, true)
    }
}

#[derive(Clone, Debug)]
enum Node {
    Compare(Box<Compare>),
    Present(Steps),
    ValuePath(Steps, Box<Node>),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

#[derive(Clone, Debug)]
struct Compare {
    steps: Steps,
    op: CompareOp,
    operand: Operand,
    case_exact: bool,
    kind: Option<ValueKind>,
}

/// A resolved attribute path.
#[derive(Clone, Debug)]
struct Steps {
    /// `None`: top level (or relative, inside a value filter). `Some`: the
    /// extension object under this key.
    extension: Option<Box<str>>,
    name: Box<str>,
    sub_attr: Option<Box<str>>,
    display: Box<str>,
}

#[derive(Clone, Debug)]
enum Operand {
    Bool(bool),
    Number(Number),
    String {
        raw: Box<str>,
        /// Lower-cased, unless the attribute is caseExact.
        folded: Option<Box<str>>,
        datetime: Option<OffsetDateTime>,
    },
}

/// A value found at a path, and whether it came out of an array.
struct Leaf<'v> {
    value: &'v Value,
    in_array: bool,
}

fn compile(
    filter: &Filter,
    facts: &dyn SchemaFacts,
    container: Option<&AttrPath>,
) -> Result<Node, EvalError> {
    Ok(match filter {
        Filter::Compare(cmp) => {
            let path = cmp.path();
            let steps = Steps::new(path, facts, container);
            let attr_facts = facts.attribute(attr_ref(path, container));
            // A complex attribute compared without a sub-attribute compares
            // its `value`, with `value`'s case-exactness and type.
            let cmp_facts = match (attr_facts.kind, path.sub_attr()) {
                (Some(ValueKind::Complex), None) => {
                    let mut value = attr_ref(path, container);
                    if value.sub_attr.is_none() {
                        value.sub_attr = Some("value");
                        facts.attribute(value)
                    } else {
                        attr_facts
                    }
                }
                _ => attr_facts,
            };
            let operand = match cmp.value() {
                CompValue::Null => {
                    let present = Node::Present(steps);
                    return Ok(match cmp.op() {
                        CompareOp::Eq => Node::Not(Box::new(present)),
                        CompareOp::Ne => present,
                        // Nothing is ordered relative to, or contains, null.
                        _ => Node::Or(Vec::new()),
                    });
                }
                CompValue::Bool(b) => Operand::Bool(*b),
                CompValue::Number(n) => Operand::Number(n.clone()),
                CompValue::String(s) => Operand::String {
                    raw: s.as_str().into(),
                    folded: (!cmp_facts.case_exact).then(|| fold(s).into()),
                    datetime: OffsetDateTime::parse(s, &Rfc3339).ok(),
                },
            };
            if cmp.op().is_ordering() {
                let what = match (attr_facts.kind, &operand) {
                    (_, Operand::Bool(_)) | (Some(ValueKind::Boolean), _) => Some("the boolean"),
                    (Some(ValueKind::Binary), _) => Some("the binary attribute"),
                    (Some(ValueKind::Complex), _) if path.sub_attr().is_none() => {
                        Some("the complex attribute")
                    }
                    _ => None,
                };
                if let Some(what) = what {
                    return Err(EvalError::ordering(cmp.op(), what, &steps.display));
                }
            }
            match (cmp_facts.kind, &operand) {
                (
                    Some(ValueKind::DateTime),
                    Operand::String {
                        datetime: Some(_), ..
                    },
                )
                | (Some(ValueKind::Boolean), Operand::Bool(_)) => {}
                (Some(ValueKind::DateTime), _) => {
                    return Err(EvalError::operand(
                        &steps.display,
                        "a dateTime",
                        cmp.value(),
                    ));
                }
                (Some(ValueKind::Boolean), _) => {
                    return Err(EvalError::operand(&steps.display, "a boolean", cmp.value()));
                }
                _ => {}
            }
            Node::Compare(Box::new(Compare {
                steps,
                op: cmp.op(),
                operand,
                case_exact: cmp_facts.case_exact,
                kind: cmp_facts.kind,
            }))
        }
        Filter::Present(path) => Node::Present(Steps::new(path, facts, container)),
        Filter::ValuePath(vp) => Node::ValuePath(
            Steps::new(vp.attr(), facts, container),
            Box::new(compile(vp.filter(), facts, Some(vp.attr()))?),
        ),
        Filter::Not(inner) => Node::Not(Box::new(compile(inner, facts, container)?)),
        Filter::And(ops) => Node::And(
            ops.iter()
                .map(|op| compile(op, facts, container))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(ops) => Node::Or(
            ops.iter()
                .map(|op| compile(op, facts, container))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The facts question for `path`, relative to `container` inside a value
/// filter.
fn attr_ref<'a>(path: &'a AttrPath, container: Option<&'a AttrPath>) -> AttrRef<'a> {
    match container {
        Some(c) => AttrRef {
            schema: c.schema(),
            name: c.name(),
            sub_attr: Some(path.name()),
        },
        None => AttrRef::new(path),
    }
}

impl Steps {
    fn new(path: &AttrPath, facts: &dyn SchemaFacts, container: Option<&AttrPath>) -> Self {
        let extension = match (container, path.schema()) {
            (None, Some(urn)) if !facts.is_core_schema(urn) => Some(urn.into()),
            _ => None,
        };
        let display = match container {
            Some(c) => format!("{}.{path}", c.name()),
            None => path.to_string(),
        };
        Self {
            extension,
            name: path.name().into(),
            sub_attr: path.sub_attr().map(Into::into),
            display: display.into(),
        }
    }

    /// Calls `f` with each value at this path below `base` until it returns
    /// `true`; arrays are flattened.
    fn any<'v>(
        &self,
        base: &'v Map<String, Value>,
        top_level: bool,
        f: &mut dyn FnMut(Leaf<'v>) -> Result<bool, EvalError>,
    ) -> Result<bool, EvalError> {
        let base = match (&self.extension, top_level) {
            (Some(urn), true) => match lookup(base, urn) {
                Some(Value::Object(ext)) => ext,
                _ => return Ok(false),
            },
            _ => base,
        };
        let Some(value) = lookup(base, &self.name) else {
            return Ok(false);
        };
        let Some(sub) = &self.sub_attr else {
            return each(value, f);
        };
        each(value, &mut |leaf| match leaf.value {
            Value::Object(obj) => lookup(obj, sub).map_or(Ok(false), |v| each(v, f)),
            _ => Ok(false),
        })
    }
}

/// Calls `f` with `value`, or with each element if it is an array.
fn each<'v>(
    value: &'v Value,
    f: &mut dyn FnMut(Leaf<'v>) -> Result<bool, EvalError>,
) -> Result<bool, EvalError> {
    match value {
        Value::Array(items) => {
            for item in items {
                if f(Leaf {
                    value: item,
                    in_array: true,
                })? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        value => f(Leaf {
            value,
            in_array: false,
        }),
    }
}

/// The member called `key`, ignoring ASCII case; exact spelling first.
fn lookup<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

impl Node {
    fn eval(&self, base: &Map<String, Value>, top_level: bool) -> Result<bool, EvalError> {
        match self {
            Self::Compare(cmp) => cmp
                .steps
                .any(base, top_level, &mut |leaf| cmp.matches(leaf)),
            Self::Present(steps) => {
                steps.any(base, top_level, &mut |leaf| Ok(is_present(leaf.value)))
            }
            Self::ValuePath(steps, inner) => {
                steps.any(base, top_level, &mut |leaf| match leaf.value {
                    Value::Object(element) => inner.eval(element, false),
                    _ => Ok(false),
                })
            }
            Self::Not(inner) => Ok(!inner.eval(base, top_level)?),
            Self::And(ops) => {
                for op in ops {
                    if !op.eval(base, top_level)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Self::Or(ops) => {
                for op in ops {
                    if op.eval(base, top_level)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(obj) => obj.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

impl Compare {
    /// Whether one value satisfies the comparison. `ne` is decided value by
    /// value (the any-value rule): a value matches `ne` when it is not
    /// equal to the operand; `null` is no value, and matches nothing.
    fn matches(&self, leaf: Leaf<'_>) -> Result<bool, EvalError> {
        if self.op == CompareOp::Ne {
            // Only a value can differ from the operand: not `null`, and not
            // a complex value without a scalar `value` to compare (an
            // element `{}` of `emails`, or `name` itself).
            let comparable = match leaf.value {
                Value::Null => false,
                Value::Object(obj) => {
                    leaf.in_array
                        && lookup(obj, "value")
                            .is_some_and(|v| !v.is_null() && !v.is_object() && !v.is_array())
                }
                _ => true,
            };
            if !comparable {
                return Ok(false);
            }
            return Ok(!self.compare(leaf, CompareOp::Eq)?);
        }
        self.compare(leaf, self.op)
    }

    /// The comparison `op` (never `ne`) on one value.
    fn compare(&self, leaf: Leaf<'_>, op: CompareOp) -> Result<bool, EvalError> {
        let value = match leaf.value {
            Value::Object(obj) => {
                if op.is_ordering() {
                    return Err(EvalError::ordering(
                        op,
                        "the complex attribute",
                        &self.steps.display,
                    ));
                }
                // A complex multi-valued attribute without a sub-attribute
                // compares its `value` (RFC 7644 §3.4.2.2).
                match (leaf.in_array, lookup(obj, "value")) {
                    (true, Some(v)) if !v.is_object() && !v.is_array() => v,
                    _ => return Ok(false),
                }
            }
            value => value,
        };
        match (value, &self.operand) {
            (Value::Bool(_), _) if op.is_ordering() => {
                Err(EvalError::ordering(op, "the boolean", &self.steps.display))
            }
            (Value::Bool(a), Operand::Bool(b)) => Ok(op == CompareOp::Eq && a == b),
            (Value::Number(a), Operand::Number(b)) => Ok(match compare_numbers(a, b) {
                Some(ord) => ordering_matches(op, ord),
                None => false,
            }),
            (
                Value::String(s),
                Operand::String {
                    raw,
                    folded,
                    datetime,
                },
            ) => Ok(self.string_matches(op, s, raw, folded.as_deref(), *datetime)),
            _ => Ok(false),
        }
    }

    fn string_matches(
        &self,
        op: CompareOp,
        value: &str,
        raw: &str,
        folded: Option<&str>,
        datetime: Option<OffsetDateTime>,
    ) -> bool {
        let chronological = match self.kind {
            Some(ValueKind::DateTime) | None => datetime,
            Some(_) => None,
        };
        if let Some(operand) = chronological {
            if !op.is_substring() {
                if let Ok(v) = OffsetDateTime::parse(value, &Rfc3339) {
                    return ordering_matches(op, v.cmp(&operand));
                }
            }
        }
        let folded_value;
        let (value, operand) = match folded {
            Some(operand) if !self.case_exact => {
                if value.is_ascii() && operand.is_ascii() {
                    return ascii_caseless(op, value, operand)
                        .unwrap_or_else(|ord| ordering_matches(op, ord));
                }
                folded_value = fold(value);
                (folded_value.as_str(), operand)
            }
            _ => (value, raw),
        };
        match op {
            CompareOp::Co => value.contains(operand),
            CompareOp::Sw => value.starts_with(operand),
            CompareOp::Ew => value.ends_with(operand),
            _ => ordering_matches(op, value.cmp(operand)),
        }
    }
}

/// Whether `ord` (value compared with operand) satisfies `op`.
fn ordering_matches(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        // `ne` is decided as the negation of `eq` per value; substring
        // operators never get here.
        CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Case-insensitive string operators on ASCII strings, without allocating:
/// `Ok(result)` for the substring operators, `Err(ordering)` for the rest.
fn ascii_caseless(op: CompareOp, value: &str, operand: &str) -> Result<bool, Ordering> {
    let (v, o) = (value.as_bytes(), operand.as_bytes());
    match op {
        CompareOp::Sw => Ok(v.len() >= o.len() && v[..o.len()].eq_ignore_ascii_case(o)),
        CompareOp::Ew => Ok(v.len() >= o.len() && v[v.len() - o.len()..].eq_ignore_ascii_case(o)),
        CompareOp::Co => Ok(o.is_empty() || v.windows(o.len()).any(|w| w.eq_ignore_ascii_case(o))),
        _ => Err(v
            .iter()
            .map(u8::to_ascii_lowercase)
            .cmp(o.iter().map(u8::to_ascii_lowercase))),
    }
}

/// Unicode lower-casing, the case-insensitive comparison key.
fn fold(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// Numeric order: exact for integers, IEEE order otherwise.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn matches(filter: &str, resource: &Value) -> bool {
        crate::parse(filter).unwrap().matches(resource).unwrap()
    }

    #[test]
    fn numbers_compare_numerically_across_representations() {
        let r = json!({"n": 10, "f": 2.5, "big": 18446744073709551615u64});
        assert!(matches("n gt 9", &r));
        assert!(matches("n eq 10.0", &r));
        assert!(matches("n lt 1e2", &r));
        assert!(matches("f ge 2.5", &r));
        assert!(matches("big gt -1", &r));
        assert!(!matches("n eq \"10\"", &r));
    }

    #[test]
    fn a_complex_attribute_without_sub_attribute_compares_with_the_facts_of_value() {
        struct Facts;
        impl SchemaFacts for Facts {
            fn attribute(&self, attr: AttrRef<'_>) -> AttrFacts {
                match attr.sub_attr {
                    None => AttrFacts::new(false, Some(ValueKind::Complex)),
                    Some(_) => AttrFacts::new(true, Some(ValueKind::String)),
                }
            }
        }
        let r = json!({"members": [{"value": "AbC"}]});
        let exact = |f: &str| {
            crate::parse(f)
                .unwrap()
                .matcher(&Facts)
                .unwrap()
                .matches(&r)
                .unwrap()
        };
        assert!(exact(r#"members eq "AbC""#));
        assert!(
            !exact(r#"members eq "abc""#),
            "members eq follows members.value's caseExact"
        );
        assert_eq!(
            exact(r#"members eq "abc""#),
            exact(r#"members.value eq "abc""#)
        );
    }

    #[test]
    fn ne_is_decided_per_value_and_null_is_no_value() {
        let r = json!({"tags": ["a", null, "b"], "empty": [null], "n": null});
        assert!(matches("tags ne \"a\"", &r));
        assert!(!matches("empty ne \"a\"", &r));
        assert!(!matches("n ne \"a\"", &r));
        assert!(!matches("missing ne \"a\"", &r));
        assert!(matches("not (missing eq \"a\")", &r));
    }

    #[test]
    fn operands_of_the_wrong_type_for_the_schema_are_refused_when_compiling() {
        struct Facts;
        impl SchemaFacts for Facts {
            fn attribute(&self, attr: AttrRef<'_>) -> AttrFacts {
                match attr.name {
                    "when" => AttrFacts::new(false, Some(ValueKind::DateTime)),
                    "flag" => AttrFacts::new(false, Some(ValueKind::Boolean)),
                    _ => AttrFacts::default(),
                }
            }
        }
        let compile = |f: &str| crate::parse(f).unwrap().matcher(&Facts).map(|_| ());
        let err = compile(r#"when lt "soon""#).unwrap_err();
        assert_eq!(
            err.message(),
            r#""when" is a dateTime, so it cannot be compared with "soon""#
        );
        assert!(compile(r#"flag eq "true""#).is_err());
        assert!(compile(r#"when lt "2020-01-01T00:00:00Z""#).is_ok());
        assert!(compile("flag eq false").is_ok());
        assert!(compile(r#"other eq "x""#).is_ok());
    }

    #[test]
    fn ascii_and_unicode_folding_agree() {
        let r = json!({"a": "Émile", "b": "ABC"});
        assert!(matches("a eq \"émile\"", &r));
        assert!(matches("a sw \"ÉM\"", &r));
        assert!(matches("b co \"b\"", &r));
        assert!(matches("b ew \"bC\"", &r));
        assert!(matches("b co \"\"", &r));
        assert!(matches("b gt \"abb\"", &r));
        assert!(matches("b le \"abc\"", &r));
    }
}
