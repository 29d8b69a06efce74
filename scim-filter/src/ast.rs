//! The filter and path AST (RFC 7644 §3.4.2.2 Figure 1, §3.5.2).
//!
//! Every type prints canonical filter text through [`Display`](fmt::Display),
//! and parsing that text gives back an equal value. Attribute names and schema
//! URNs keep the spelling that was written but compare without regard to
//! ASCII case, as RFC 7643 §2.1 requires.

use std::fmt::{self, Display};
use std::hash::{Hash, Hasher};

use serde_json::Number;

use crate::{ParseError, parser};

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
                visit(&vp.attr);
                vp.filter.for_each_path(visit);
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

impl Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare(cmp) => cmp.fmt(f),
            Self::Present(path) => write!(f, "{path} pr"),
            Self::ValuePath(vp) => vp.fmt(f),
            Self::Not(inner) => write!(f, "not ({inner})"),
            Self::And(ops) => {
                write_junction(f, ops, "and", |op| matches!(op, Self::And(_) | Self::Or(_)))
            }
            Self::Or(ops) => write_junction(f, ops, "or", |op| matches!(op, Self::Or(_))),
        }
    }
}

fn write_junction(
    f: &mut fmt::Formatter<'_>,
    ops: &Operands,
    keyword: &str,
    needs_parens: impl Fn(&Filter) -> bool,
) -> fmt::Result {
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            write!(f, " {keyword} ")?;
        }
        if needs_parens(op) {
            write!(f, "({op})")?;
        } else {
            Display::fmt(op, f)?;
        }
    }
    Ok(())
}

/// The operands of an `and` or `or` chain: always two or more.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct Operands(Vec<Filter>);

impl Operands {
    /// A chain of two operands.
    pub fn new(first: Filter, second: Filter) -> Self {
        Self(vec![first, second])
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

impl Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.path, self.op, self.value)
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

    /// `true` for the ordering operators `gt`, `lt`, `ge` and `le`.
    pub fn is_ordering(self) -> bool {
        matches!(self, Self::Gt | Self::Lt | Self::Ge | Self::Le)
    }

    /// `true` for the substring operators `co`, `sw` and `ew`.
    pub fn is_substring(self) -> bool {
        matches!(self, Self::Co | Self::Sw | Self::Ew)
    }
}

impl Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

impl Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write_json_string(f, s),
        }
    }
}

/// Writes `s` as a JSON string literal.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{08}' => "\\b",
            '\u{0c}' => "\\f",
            c if c < ' ' => "",
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(f, "\\u{:04x}", u32::from(c))?;
        } else {
            f.write_str(escape)?;
        }
        start = i + c.len_utf8();
    }
    f.write_str(&s[start..])?;
    f.write_str("\"")
}

/// An attribute path: `[URI ":"] ATTRNAME ["." subAttr]` (RFC 7644
/// §3.4.2.2, RFC 7643 §3.10).
///
/// Equality and hashing ignore ASCII case in every part, so
/// `Name.GivenName` equals `name.givenName`; the spelling that was written is
/// kept for display.
///
/// # Examples
///
/// ```
/// use scim2_filter::AttrPath;
///
/// let path: AttrPath =
///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".parse()?;
/// assert_eq!(
///     path.schema(),
///     Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
/// );
/// assert_eq!(path.name(), "manager");
/// assert_eq!(path.sub_attr(), Some("value"));
/// assert_eq!(path, "URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:Manager.Value".parse()?);
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
#[derive(Clone, Debug)]
pub struct AttrPath {
    schema: Option<Box<str>>,
    name: Box<str>,
    sub_attr: Option<Box<str>>,
}

impl AttrPath {
    /// A path to a top-level attribute.
    ///
    /// # Errors
    ///
    /// [`ParseError`] if `name` is not an `ATTRNAME` (a letter followed by
    /// letters, digits, `-` or `_`; or `$ref`).
    pub fn new(name: &str) -> Result<Self, ParseError> {
        parser::check_attr_name(name)?;
        Ok(Self {
            schema: None,
            name: name.into(),
            sub_attr: None,
        })
    }

    /// The same path with a schema URN prefix.
    ///
    /// # Errors
    ///
    /// [`ParseError`] if `schema` is not a URN of the form `urn:NID:NSS`.
    pub fn with_schema(mut self, schema: &str) -> Result<Self, ParseError> {
        parser::check_schema_urn(schema)?;
        self.schema = Some(schema.into());
        Ok(self)
    }

    /// The same path with a sub-attribute.
    ///
    /// # Errors
    ///
    /// [`ParseError`] if `sub_attr` is not an `ATTRNAME`.
    pub fn with_sub_attr(mut self, sub_attr: &str) -> Result<Self, ParseError> {
        parser::check_attr_name(sub_attr)?;
        self.sub_attr = Some(sub_attr.into());
        Ok(self)
    }

    /// Builds a path from parts the parser has already checked.
    pub(crate) fn from_parts(schema: Option<&str>, name: &str, sub_attr: Option<&str>) -> Self {
        Self {
            schema: schema.map(Into::into),
            name: name.into(),
            sub_attr: sub_attr.map(Into::into),
        }
    }

    /// The same path without its sub-attribute.
    #[must_use]
    pub fn without_sub_attr(mut self) -> Self {
        self.sub_attr = None;
        self
    }

    /// The schema URN prefix, if one was written.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The attribute name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sub-attribute name, if any.
    pub fn sub_attr(&self) -> Option<&str> {
        self.sub_attr.as_deref()
    }

    /// The full path `schema:name`, for a path written as a bare schema URN
    /// (`urn:…:enterprise:2.0:User` parses as schema `urn:…:enterprise:2.0`
    /// and name `User`; a schema registry can recognise it with this).
    pub fn to_urn(&self) -> Option<String> {
        match (&self.schema, &self.sub_attr) {
            (Some(schema), None) => Some(format!("{schema}:{}", self.name)),
            _ => None,
        }
    }
}

fn eq_opt(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

impl PartialEq for AttrPath {
    fn eq(&self, other: &Self) -> bool {
        self.name.eq_ignore_ascii_case(&other.name)
            && eq_opt(self.sub_attr(), other.sub_attr())
            && eq_opt(self.schema(), other.schema())
    }
}

impl Eq for AttrPath {}

/// Hashes `s` consistently with [`eq_opt`].
fn hash_folded<H: Hasher>(s: Option<&str>, state: &mut H) {
    match s {
        Some(s) => {
            state.write_u8(1);
            for b in s.bytes() {
                state.write_u8(b.to_ascii_lowercase());
            }
            state.write_u8(0xff);
        }
        None => state.write_u8(0),
    }
}

impl Hash for AttrPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_folded(self.schema(), state);
        hash_folded(Some(self.name()), state);
        hash_folded(self.sub_attr(), state);
    }
}

impl Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// `attrPath "[" valFilter "]"` (RFC 7644 §3.4.2.2): a multi-valued
/// attribute and a filter that its values are matched against.
///
/// The inner filter's paths are relative to the attribute (`type`, `value`),
/// carry no schema URN and contain no further value path.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct ValuePath {
    attr: AttrPath,
    filter: Box<Filter>,
}

impl ValuePath {
    /// Checks and builds a value path.
    ///
    /// # Errors
    ///
    /// [`InvalidValuePath`] if `attr` has a sub-attribute, or `filter`
    /// contains a value path or a schema URN.
    pub fn new(attr: AttrPath, filter: Filter) -> Result<Self, InvalidValuePath> {
        if attr.sub_attr.is_some() {
            return Err(InvalidValuePath(
                "the attribute before \"[\" cannot have a sub-attribute",
            ));
        }
        if filter.contains_value_path() {
            return Err(InvalidValuePath(
                "a value filter cannot contain a value path",
            ));
        }
        if filter.contains_schema_urn() {
            return Err(InvalidValuePath(
                "attribute paths inside a value filter are relative and cannot carry a schema URN",
            ));
        }
        Ok(Self {
            attr,
            filter: Box::new(filter),
        })
    }

    /// The multi-valued attribute.
    pub fn attr(&self) -> &AttrPath {
        &self.attr
    }

    /// The filter each value is matched against.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }
}

impl Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.attr, self.filter)
    }
}

/// Why [`ValuePath::new`] refused its parts.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct InvalidValuePath(&'static str);

impl Display for InvalidValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InvalidValuePath {}

/// A PATCH operation's `path` (RFC 7644 §3.5.2):
/// `attrPath / valuePath [subAttr]`.
///
/// # Examples
///
/// ```
/// use scim2_filter::PatchPath;
///
/// let path: PatchPath = r#"emails[type eq "work"].value"#.parse()?;
/// assert_eq!(path.attr().name(), "emails");
/// assert_eq!(path.filter().map(ToString::to_string).as_deref(), Some(r#"type eq "work""#));
/// assert_eq!(path.sub_attr(), Some("value"));
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
///
/// Equality and hashing ignore ASCII case in attribute names, as for
/// [`AttrPath`]: `emails[type eq "work"].value` equals
/// `EMAILS[TYPE eq "work"].VALUE`.
#[derive(Clone, Debug)]
pub struct PatchPath {
    /// With a filter, the multi-valued attribute (no sub-attribute); without
    /// one, the whole path.
    attr: AttrPath,
    filter: Option<Box<Filter>>,
    /// The sub-attribute after `]`, only with a filter.
    sub_attr: Option<Box<str>>,
}

impl PatchPath {
    /// A path without a value filter.
    pub fn attr_path(attr: AttrPath) -> Self {
        Self {
            attr,
            filter: None,
            sub_attr: None,
        }
    }

    /// A path with a value filter and an optional sub-attribute after it.
    ///
    /// # Errors
    ///
    /// [`ParseError`] if `sub_attr` is not an `ATTRNAME`.
    pub fn value_path(value_path: ValuePath, sub_attr: Option<&str>) -> Result<Self, ParseError> {
        if let Some(sub) = sub_attr {
            parser::check_attr_name(sub)?;
        }
        Ok(Self {
            attr: value_path.attr,
            filter: Some(value_path.filter),
            sub_attr: sub_attr.map(Into::into),
        })
    }

    /// Builds a filtered path from parts the parser has already checked.
    pub(crate) fn from_value_path(value_path: ValuePath, sub_attr: Option<&str>) -> Self {
        Self {
            attr: value_path.attr,
            filter: Some(value_path.filter),
            sub_attr: sub_attr.map(Into::into),
        }
    }

    /// The attribute: with a filter, the multi-valued attribute the filter
    /// applies to; without one, the whole path (including any
    /// sub-attribute).
    pub fn attr(&self) -> &AttrPath {
        &self.attr
    }

    /// The value filter, if the path has one.
    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_deref()
    }

    /// The sub-attribute the path ends in: after `]` for a filtered path,
    /// or the attribute path's own sub-attribute.
    pub fn sub_attr(&self) -> Option<&str> {
        match &self.filter {
            Some(_) => self.sub_attr.as_deref(),
            None => self.attr.sub_attr(),
        }
    }
}

impl PartialEq for PatchPath {
    fn eq(&self, other: &Self) -> bool {
        self.attr == other.attr
            && self.filter == other.filter
            && eq_opt(self.sub_attr.as_deref(), other.sub_attr.as_deref())
    }
}

impl Eq for PatchPath {}

impl Hash for PatchPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.attr.hash(state);
        self.filter.hash(state);
        hash_folded(self.sub_attr.as_deref(), state);
    }
}

impl Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.attr.fmt(f)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
            if let Some(sub) = &self.sub_attr {
                write!(f, ".{sub}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_escape_every_control_character() {
        let v = CompValue::from("a\"b\\c\n\u{1}\u{7f}é");
        assert_eq!(v.to_string(), "\"a\\\"b\\\\c\\n\\u0001\u{7f}é\"");
    }

    #[test]
    fn attr_paths_compare_without_case() {
        let a = AttrPath::new("name")
            .unwrap()
            .with_sub_attr("givenName")
            .unwrap();
        let b = AttrPath::new("NAME")
            .unwrap()
            .with_sub_attr("GIVENNAME")
            .unwrap();
        assert_eq!(a, b);
        let hash = |p: &AttrPath| {
            use std::collections::hash_map::DefaultHasher;
            let mut h = DefaultHasher::new();
            p.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(a, AttrPath::new("name").unwrap());
    }

    #[test]
    fn value_path_rejects_nesting_and_sub_attributes() {
        let path = |s: &str| s.parse::<AttrPath>().unwrap();
        let inner = Filter::present(path("type"));
        let nested = ValuePath::new(path("b"), inner.clone()).unwrap();
        assert!(ValuePath::new(path("a"), Filter::ValuePath(nested)).is_err());
        assert!(ValuePath::new(path("a.b"), inner.clone()).is_err());
        let urn = Filter::present(path("urn:a:b:type"));
        assert!(ValuePath::new(path("a"), urn).is_err());
    }

    #[test]
    fn builders_flatten_left_chains() {
        let a = Filter::present(AttrPath::new("a").unwrap());
        let f = Filter::or(Filter::or(a.clone(), a.clone()), a.clone());
        let Filter::Or(ops) = &f else { panic!() };
        assert_eq!(ops.len(), 3);
        assert_eq!(f.to_string(), "a pr or a pr or a pr");
    }

    #[test]
    fn nested_junctions_print_with_parentheses() {
        let a = || Filter::present(AttrPath::new("a").unwrap());
        let inner_or = Filter::Or(Operands::new(a(), a()));
        let f = Filter::Or(Operands::new(a(), inner_or.clone()));
        assert_eq!(f.to_string(), "a pr or (a pr or a pr)");
        let f = Filter::And(Operands::new(inner_or, a()));
        assert_eq!(f.to_string(), "(a pr or a pr) and a pr");
        let f = Filter::Or(Operands::new(Filter::And(Operands::new(a(), a())), a()));
        assert_eq!(f.to_string(), "a pr and a pr or a pr");
    }
}
