//! The filter and path AST (RFC 7644 §3.4.2.2 Figure 1, §3.5.2).
//!
//! Every type prints canonical filter text through [`Display`](fmt::Display),
//! and parsing that text gives back an equal value. Attribute names and schema
//! URNs keep the spelling that was written but compare without regard to
//! ASCII case, as RFC 7643 §2.1 requires.

//!
//! The module is split by what it holds: this file has the expressions
//! ([`Filter`] and its parts), `path` the attribute, value and PATCH paths,
//! and `print` the canonical text of both.

mod path;
mod print;

use serde_json::Number;

pub use self::path::{AttrPath, PatchPath, ValuePath};

/// A parsed SCIM filter expression (RFC 7644 §3.4.2.2, the `FILTER` rule).
///
/// `and`/`or` chains are n-ary: `a pr or b pr or c pr` is one [`Filter::Or`]
/// with three operands. A parenthesised operand stays a nested node, so
/// `a pr or (b pr or c pr)` keeps its shape and prints back the same way.
/// Redundant parentheses around a whole expression leave no trace.
///
/// # Examples
///
/// ```
/// use scim2_filter::{CompareOp, Filter};
///
/// let filter: Filter = r#"userName Eq "bjensen""#.parse()?;
/// let Filter::Compare(cmp) = &filter else { unreachable!() };
/// assert_eq!(cmp.op(), CompareOp::Eq);
/// assert_eq!(cmp.path().name(), "userName");
/// assert_eq!(filter.to_string(), r#"userName eq "bjensen""#);
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
// The RFC's grammar is closed: these are all the productions of FILTER.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum Filter {
    /// `attrPath compareOp compValue`.
    Compare(Comparison),
    /// `attrPath "pr"`.
    Present(AttrPath),
    /// `attrPath "[" valFilter "]"`: some value of a multi-valued attribute
    /// matches the inner filter.
    ValuePath(ValuePath),
    /// `"not" "(" FILTER ")"`.
    Not(Box<Filter>),
    /// Two or more filters joined by `and`.
    And(Operands),
    /// Two or more filters joined by `or`.
    Or(Operands),
}

impl Filter {
    /// `path op value`.
    pub fn compare(path: AttrPath, op: CompareOp, value: impl Into<CompValue>) -> Self {
        Self::Compare(Comparison::new(path, op, value))
    }

    /// `path pr`.
    pub fn present(path: AttrPath) -> Self {
        Self::Present(path)
    }

    /// `not (inner)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(inner: Self) -> Self {
        Self::Not(Box::new(inner))
    }

    /// `left and right`. If `left` is already an `and` chain, `right` is
    /// appended to it, so building a chain in a loop stays flat.
    pub fn and(left: Self, right: Self) -> Self {
        match left {
            Self::And(mut ops) => {
                ops.push(right);
                Self::And(ops)
            }
            left => Self::And(Operands::new(left, right)),
        }
    }

    /// `left or right`, flattening a left `or` chain like [`Filter::and`].
    pub fn or(left: Self, right: Self) -> Self {
        match left {
            Self::Or(mut ops) => {
                ops.push(right);
                Self::Or(ops)
            }
            left => Self::Or(Operands::new(left, right)),
        }
    }

    /// Calls `visit` with every attribute path the filter names, including
    /// the container and the relative paths of value filters.
    pub fn for_each_path(&self, visit: &mut dyn FnMut(&AttrPath)) {
        match self {
            Self::Compare(cmp) => visit(&cmp.path),
            Self::Present(path) => visit(path),
            Self::ValuePath(vp) => {
                visit(vp.attr());
                vp.filter().for_each_path(visit);
            }
            Self::Not(inner) => inner.for_each_path(visit),
            Self::And(ops) | Self::Or(ops) => {
                for op in ops.iter() {
                    op.for_each_path(visit);
                }
            }
        }
    }

    fn contains_value_path(&self) -> bool {
        match self {
            Self::Compare(_) | Self::Present(_) => false,
            Self::ValuePath(_) => true,
            Self::Not(inner) => inner.contains_value_path(),
            Self::And(ops) | Self::Or(ops) => ops.iter().any(Self::contains_value_path),
        }
    }

    fn contains_schema_urn(&self) -> bool {
        let mut found = false;
        self.for_each_path(&mut |path| found |= path.schema().is_some());
        found
    }
}

/// The operands of an `and` or `or` chain: always two or more.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct Operands(Vec<Filter>);

impl Operands {
    /// A chain of two operands.
    pub fn new(first: Filter, second: Filter) -> Self {
        Self(vec![first, second])
    }

    /// `first` followed by `rest`, which must not be empty (a chain has
    /// at least two operands).
    pub(crate) fn from_first_and_rest(first: Filter, mut rest: Vec<Filter>) -> Self {
        debug_assert!(!rest.is_empty(), "a chain has at least two operands");
        rest.insert(0, first);
        Self(rest)
    }

    /// Appends one more operand.
    pub fn push(&mut self, operand: Filter) {
        self.0.push(operand);
    }

    /// The operands in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Filter> {
        self.0.iter()
    }

    /// The operands as a slice.
    pub fn as_slice(&self) -> &[Filter] {
        &self.0
    }

    /// The number of operands (at least two).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a chain has at least two operands. Present for the
    /// `len_without_is_empty` convention.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The operands as a vector.
    pub fn into_vec(self) -> Vec<Filter> {
        self.0
    }
}

impl<'a> IntoIterator for &'a Operands {
    type Item = &'a Filter;
    type IntoIter = std::slice::Iter<'a, Filter>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// `attrPath compareOp compValue` (RFC 7644 §3.4.2.2).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct Comparison {
    path: AttrPath,
    op: CompareOp,
    value: CompValue,
}

impl Comparison {
    /// A comparison of the attribute at `path` with `value`.
    pub fn new(path: AttrPath, op: CompareOp, value: impl Into<CompValue>) -> Self {
        Self {
            path,
            op,
            value: value.into(),
        }
    }

    /// The attribute compared.
    pub fn path(&self) -> &AttrPath {
        &self.path
    }

    /// The comparison operator.
    pub fn op(&self) -> CompareOp {
        self.op
    }

    /// The literal the attribute is compared with.
    pub fn value(&self) -> &CompValue {
        &self.value
    }
}

/// The nine comparison operators of RFC 7644 §3.4.2.2 Table 3 (`pr` is
/// [`Filter::Present`]).
// Closed by the RFC.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `lt`: less than.
    Lt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `le`: less than or equal to.
    Le,
}

impl CompareOp {
    /// Every operator, in the RFC's order.
    pub const ALL: [Self; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Lt,
        Self::Ge,
        Self::Le,
    ];

    /// The canonical (lower-case) keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Lt => "lt",
            Self::Ge => "ge",
            Self::Le => "le",
        }
    }

    /// The operator whose keyword `s` is, without regard to ASCII case.
    pub(crate) fn from_keyword(s: &str) -> Option<Self> {
        let &[first, second] = s.as_bytes() else {
            return None;
        };
        // One match on the two bytes, rather than nine comparisons: this
        // runs for every comparison in a filter.
        Some(
            match [first.to_ascii_lowercase(), second.to_ascii_lowercase()] {
                [b'e', b'q'] => Self::Eq,
                [b'n', b'e'] => Self::Ne,
                [b'c', b'o'] => Self::Co,
                [b's', b'w'] => Self::Sw,
                [b'e', b'w'] => Self::Ew,
                [b'g', b't'] => Self::Gt,
                [b'l', b't'] => Self::Lt,
                [b'g', b'e'] => Self::Ge,
                [b'l', b'e'] => Self::Le,
                _ => return None,
            },
        )
    }

    /// `true` for the ordering operators `gt`, `lt`, `ge` and `le`.
    pub fn is_ordering(self) -> bool {
        matches!(self, Self::Gt | Self::Lt | Self::Ge | Self::Le)
    }

    /// `true` for the substring operators `co`, `sw` and `ew`.
    pub fn is_substring(self) -> bool {
        matches!(self, Self::Co | Self::Sw | Self::Ew)
    }
}

/// A literal on the right of a comparison (`compValue` in RFC 7644
/// §3.4.2.2): JSON `false`, `null`, `true`, a number or a string.
// Closed by the RFC.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number.
    Number(Number),
    /// A JSON string, with its escapes decoded.
    String(String),
}

impl CompValue {
    /// The literal as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Number(n) => serde_json::Value::Number(n.clone()),
            Self::String(s) => serde_json::Value::String(s.clone()),
        }
    }

    /// The string, if the literal is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for CompValue {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for CompValue {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<bool> for CompValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for CompValue {
    fn from(n: i64) -> Self {
        Self::Number(n.into())
    }
}

impl From<Number> for CompValue {
    fn from(n: Number) -> Self {
        Self::Number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_flatten_left_chains() {
        let a = Filter::present(AttrPath::new("a").unwrap());
        let f = Filter::or(Filter::or(a.clone(), a.clone()), a.clone());
        let Filter::Or(ops) = &f else { panic!() };
        assert_eq!(ops.len(), 3);
        assert_eq!(f.to_string(), "a pr or a pr or a pr");
    }
}
