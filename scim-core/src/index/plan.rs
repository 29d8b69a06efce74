//! The planner: a filter turned into a tree of index lookups.

use std::ops::Bound;

use serde_json::Number;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::key::{Key, TAG_DATETIME, TAG_NUMBER, TAG_TEXT, fold};
use crate::Error;
use crate::filter::eval::SchemaFacts;
use crate::filter::{AttrPath, CompValue, CompareOp, Filter, ValuePath};
use crate::schema::{AttrType, Attribute, ResourceSchema, SchemaUrn};

/// What a [`Node::Match`] asks of an index row's key.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum KeyTest {
    /// `key` equals these bytes ([`Key::encoded`]).
    Eq(Vec<u8>),
    /// `key` lies within these bounds, byte-wise. Ordering operators
    /// bound both ends to one kind's range; both bounds `Unbounded` means
    /// any row of the index.
    Range {
        /// The lower bound.
        lower: Bound<Vec<u8>>,
        /// The upper bound.
        upper: Bound<Vec<u8>>,
    },
    /// `key` starts with these bytes (`sw`: the text tag and the folded
    /// operand).
    Prefix(Vec<u8>),
    /// [`Key::text`] contains this (folded) string (`co`).
    Contains(String),
    /// [`Key::text`] ends with this (folded) string (`ew`).
    Suffix(String),
    /// Any key but the empty string ([`Key::EMPTY_TEXT_ENCODED`]): the
    /// values `pr` counts.
    Present,
}

impl KeyTest {
    /// Whether `key` passes, for stores that test keys in memory.
    pub fn matches(&self, key: &Key) -> bool {
        match self {
            Self::Eq(b) => key.encoded() == *b,
            Self::Range { lower, upper } => {
                let k = key.encoded();
                let above = match lower {
                    Bound::Included(b) => k >= *b,
                    Bound::Excluded(b) => k > *b,
                    Bound::Unbounded => true,
                };
                let below = match upper {
                    Bound::Included(b) => k <= *b,
                    Bound::Excluded(b) => k < *b,
                    Bound::Unbounded => true,
                };
                above && below
            }
            Self::Prefix(b) => key.encoded().starts_with(b),
            Self::Contains(s) => key.text().is_some_and(|t| t.contains(s.as_str())),
            Self::Suffix(s) => key.text().is_some_and(|t| t.ends_with(s.as_str())),
            Self::Present => key.text() != Some(""),
        }
    }
}

/// The smallest byte string above every string that starts with `prefix`,
/// for answering [`KeyTest::Prefix`] with a range scan; `None` if there is
/// none (`prefix` is empty or all `0xff`, which encoded keys never are).
///
/// ```
/// assert_eq!(scim_core::index::prefix_end(&[4, b'a', b'b']), Some(vec![4, b'a', b'c']));
/// assert_eq!(scim_core::index::prefix_end(&[4, 0xff]), Some(vec![5]));
/// ```
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// "Resources with a row of index `index` whose key passes `test`."
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Predicate {
    /// A position in
    /// [`ResourceSchema::indexes`](crate::schema::ResourceSchema::indexes).
    pub index: usize,
    /// The test on the key.
    pub test: KeyTest,
}

/// A set of candidate resources of one type (in one tenant), in terms of
/// index rows. Every node's set is a superset of the resources that match
/// the part of the filter it was planned from.
///
/// A store that meets a variant added after it was written should give up
/// on the whole plan and scan: treating the node as [`Node::All`] would be
/// wrong under a [`Node::Not`].
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Node {
    /// Every resource.
    All,
    /// No resource.
    Nothing,
    /// The resources with a row passing the predicate.
    Match(Predicate),
    /// The intersection.
    And(Vec<Node>),
    /// The union.
    Or(Vec<Node>),
    /// The complement; only ever over a node whose set is exact.
    Not(Box<Node>),
}

impl Node {
    pub(super) fn and(nodes: Vec<Node>) -> Node {
        let mut out = Vec::with_capacity(nodes.len());
        for n in nodes {
            match n {
                Node::Nothing => return Node::Nothing,
                Node::All => {}
                Node::And(inner) => out.extend(inner),
                n => out.push(n),
            }
        }
        match out.len() {
            0 => Node::All,
            1 => out.pop().unwrap_or(Node::All),
            _ => Node::And(out),
        }
    }

    pub(super) fn or(nodes: Vec<Node>) -> Node {
        let mut out = Vec::with_capacity(nodes.len());
        for n in nodes {
            match n {
                Node::All => return Node::All,
                Node::Nothing => {}
                Node::Or(inner) => out.extend(inner),
                n => out.push(n),
            }
        }
        match out.len() {
            0 => Node::Nothing,
            1 => out.pop().unwrap_or(Node::Nothing),
            _ => Node::Or(out),
        }
    }

    pub(super) fn not(node: Node) -> Node {
        match node {
            Node::All => Node::Nothing,
            Node::Nothing => Node::All,
            Node::Not(inner) => *inner,
            n => Node::Not(Box::new(n)),
        }
    }

    pub(super) fn matching(index: usize, test: KeyTest) -> Node {
        Node::Match(Predicate { index, test })
    }
}

/// A filter planned into index lookups; see [`plan`].
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Plan {
    root: Node,
    exact: bool,
    unindexed: Vec<String>,
}

impl Plan {
    /// The candidate set: a superset of the resources the filter matches.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// Whether the candidate set is exactly the match set, so a store can
    /// count and page from the index rows alone.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// The attributes (display form, `title`,
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter`)
    /// that the filter tests without an index, each of which made part of
    /// the plan [`Node::All`]. Empty when the plan uses indexes throughout;
    /// an inexact plan can still have none (an `and` inside a value filter
    /// over two indexed sub-attributes cannot be tied to one element).
    pub fn unindexed(&self) -> &[String] {
        &self.unindexed
    }
}

/// Plans `filter` over `schema`'s indexes.
///
/// # Errors
///
/// [`Error::InvalidFilter`] exactly when the evaluator refuses the filter
/// before looking at any resource (ordering a boolean, binary or complex
/// attribute, or by a boolean), with its message.
pub fn plan(schema: &ResourceSchema, filter: &Filter) -> Result<Plan, Error> {
    filter.matcher(schema as &dyn SchemaFacts)?;
    let mut planner = Planner {
        schema,
        unindexed: Vec::new(),
    };
    let (root, exact) = planner.filter(filter);
    Ok(Plan {
        root,
        exact,
        unindexed: planner.unindexed,
    })
}

/// Adds the key an `Eq` test on `index` compares with; false for any
/// other test.
fn push_eq_key(keys: &mut Vec<Vec<u8>>, p: &Predicate, index: usize) -> bool {
    match &p.test {
        KeyTest::Eq(key) if p.index == index => {
            keys.push(key.clone());
            true
        }
        _ => false,
    }
}

/// Where a comparison's values are indexed, and how they compare.
struct Target {
    index: Option<usize>,
    kind: AttrType,
    case_exact: bool,
    display: String,
}

/// A planned node and whether its set is exact.
type Planned = (Node, bool);

const INEXACT: Planned = (Node::All, false);

struct Planner<'a> {
    schema: &'a ResourceSchema,
    unindexed: Vec<String>,
}

impl Planner<'_> {
    fn unindexed(&mut self, display: String) -> Planned {
        if !self.unindexed.contains(&display) {
            self.unindexed.push(display);
        }
        INEXACT
    }

    fn leaf_index(
        &self,
        extension: Option<&SchemaUrn>,
        attr: &str,
        sub: Option<&str>,
    ) -> Option<usize> {
        self.schema
            .indexes()
            .iter()
            .position(|d| d.filter.is_none() && d.is_on(extension, attr) && d.sub_is(sub))
    }

    fn filter(&mut self, filter: &Filter) -> Planned {
        match filter {
            Filter::Compare(cmp) => match self.target(cmp.path(), true) {
                Ok(t) => self.compare(&t, cmp.op(), cmp.value(), false),
                Err(display) => self.unindexed(display),
            },
            Filter::Present(path) => match self.target(path, false) {
                Ok(t) => self.present(&t),
                Err(display) => self.unindexed(display),
            },
            Filter::ValuePath(vp) => self.value_path(vp),
            Filter::Not(inner) => match self.filter(inner) {
                (node, true) => (Node::not(node), true),
                (_, false) => INEXACT,
            },
            Filter::And(ops) => {
                let (nodes, exact) = self.each(ops.as_slice(), |p, f| p.filter(f));
                (Node::and(nodes), exact)
            }
            Filter::Or(ops) => {
                let (nodes, exact) = self.each(ops.as_slice(), |p, f| p.filter(f));
                (Node::or(nodes), exact)
            }
        }
    }

    fn each(
        &mut self,
        filters: &[Filter],
        mut plan: impl FnMut(&mut Self, &Filter) -> Planned,
    ) -> (Vec<Node>, bool) {
        let mut exact = true;
        let nodes = filters
            .iter()
            .map(|f| {
                let (n, e) = plan(self, f);
                exact &= e;
                n
            })
            .collect();
        (nodes, exact)
    }

    /// The index of a top-level path; `Err` with its display form when it
    /// is unknown or cannot be indexed. `compare`: a complex multi-valued
    /// attribute without sub-attribute stands for its `value`.
    fn target(&self, path: &AttrPath, compare: bool) -> Result<Target, String> {
        let resolved = self.schema.resolve(path).ok_or_else(|| path.to_string())?;
        if resolved.legacy_dotted_urn {
            return Err(resolved.display());
        }
        let extension = resolved.extension.map(|s| &s.id);
        let (sub, display) = match resolved.sub {
            Some(sub) => (sub, resolved.display()),
            None if !resolved.attr.is_complex() => {
                return Ok(Target {
                    index: self.leaf_index(extension, &resolved.attr.name, None),
                    kind: resolved.attr.kind,
                    case_exact: resolved.attr.case_exact,
                    display: resolved.display(),
                });
            }
            None => match resolved.attr.sub_attribute("value") {
                Some(value) if compare && resolved.attr.multi_valued => {
                    (value, format!("{}.{}", resolved.display(), value.name))
                }
                _ => return Err(resolved.display()),
            },
        };
        Ok(Target {
            index: self.leaf_index(extension, &resolved.attr.name, Some(&sub.name)),
            kind: sub.kind,
            case_exact: sub.case_exact,
            display,
        })
    }

    fn present(&mut self, t: &Target) -> Planned {
        match t.index {
            Some(i) => (Node::matching(i, KeyTest::Present), true),
            None => self.unindexed(t.display.clone()),
        }
    }

    /// `path op value`; inside a value filter (`element`) a test that
    /// matches an element without the value cannot be planned.
    fn compare(&mut self, t: &Target, op: CompareOp, value: &CompValue, element: bool) -> Planned {
        match (value, op) {
            (CompValue::Null, CompareOp::Eq) if element => INEXACT,
            (CompValue::Null, CompareOp::Eq) => match self.present(t) {
                (node, true) => (Node::not(node), true),
                _ => INEXACT,
            },
            (CompValue::Null, CompareOp::Ne) => self.present(t),
            // Nothing is ordered relative to, or contains, null.
            (CompValue::Null, _) => (Node::Nothing, true),
            (_, CompareOp::Ne) if element => INEXACT,
            (_, CompareOp::Ne) => self.not_equal(t, value),
            _ => self.positive(t, op, value),
        }
    }

    /// `ne` with a value, by the any-value rule (RFC 7644 §3.4.2.2): "some
    /// value is not the operand", so the rows of the index whose key is
    /// none of the keys `eq` would test. A resource without a value has no
    /// row and does not match, as the evaluator decides.
    fn not_equal(&mut self, t: &Target, value: &CompValue) -> Planned {
        let Some(index) = t.index else {
            return self.unindexed(t.display.clone());
        };
        let (eq, exact) = self.positive(t, CompareOp::Eq, value);
        let mut keys = Vec::new();
        let collected = match &eq {
            Node::Nothing => true,
            Node::Match(p) => push_eq_key(&mut keys, p, index),
            Node::Or(branches) => branches.iter().all(|b| match b {
                Node::Match(p) => push_eq_key(&mut keys, p, index),
                _ => false,
            }),
            _ => false,
        };
        let any_row = |lower, upper| Node::matching(index, KeyTest::Range { lower, upper });
        if !(collected && exact) {
            // Some value, whatever it is: a superset.
            return (any_row(Bound::Unbounded, Bound::Unbounded), false);
        }
        keys.sort();
        keys.dedup();
        // The gaps between the excluded keys.
        let mut nodes = Vec::with_capacity(keys.len() + 1);
        let mut lower = Bound::Unbounded;
        for key in keys {
            nodes.push(any_row(lower, Bound::Excluded(key.clone())));
            lower = Bound::Excluded(key);
        }
        nodes.push(any_row(lower, Bound::Unbounded));
        (Node::or(nodes), true)
    }

    /// A comparison that only values can satisfy: "some value passes".
    fn positive(&mut self, t: &Target, op: CompareOp, value: &CompValue) -> Planned {
        let Some(index) = t.index else {
            return self.unindexed(t.display.clone());
        };
        let test = |test: KeyTest| Node::matching(index, test);
        match value {
            CompValue::Null => (Node::Nothing, true),
            CompValue::Bool(b) => match op {
                CompareOp::Eq => (test(KeyTest::Eq(Key::Boolean(*b).encoded())), true),
                // Booleans only compare equal; ordering them is refused
                // before planning.
                _ => (Node::Nothing, true),
            },
            CompValue::Number(n) => number(index, op, n),
            CompValue::String(s) => {
                let text = Key::Text(if t.case_exact { s.clone() } else { fold(s) });
                if t.kind != AttrType::DateTime {
                    return (test(text_test(op, &text)), true);
                }
                match OffsetDateTime::parse(s, &Rfc3339) {
                    Ok(dt) if !op.is_substring() => {
                        let dt = Key::DateTime(dt.unix_timestamp_nanos());
                        let Some(dt_test) = ordered_test(op, &dt, TAG_DATETIME) else {
                            return (Node::Nothing, true);
                        };
                        // Values that do not parse compare as strings.
                        (
                            Node::or(vec![test(dt_test), test(text_test(op, &text))]),
                            true,
                        )
                    }
                    // Date-times compared as strings: the index keeps no
                    // text for them.
                    _ => (
                        test(KeyTest::Range {
                            lower: Bound::Unbounded,
                            upper: Bound::Unbounded,
                        }),
                        false,
                    ),
                }
            }
        }
    }

    fn value_path(&mut self, vp: &ValuePath) -> Planned {
        let Some(resolved) = self.schema.resolve(vp.attr()) else {
            return self.unindexed(vp.attr().to_string());
        };
        if resolved.legacy_dotted_urn || resolved.sub.is_some() || !resolved.attr.is_complex() {
            return self.unindexed(resolved.display());
        }
        let container = Container {
            extension: resolved.extension.map(|s| s.id.clone()),
            attr: resolved.attr,
            display: resolved.display(),
        };
        let conjuncts: &[Filter] = match vp.filter() {
            Filter::And(ops) => ops.as_slice(),
            f => std::slice::from_ref(f),
        };
        // The filtered index that leaves the fewest conjuncts to test.
        let mut best: Option<(usize, &str, Vec<&Filter>)> = None;
        for (i, def) in self.schema.indexes().iter().enumerate() {
            let (Some(g), Some(sub)) = (&def.filter, &def.sub) else {
                continue;
            };
            if !def.is_on(container.extension.as_ref(), &container.attr.name) {
                continue;
            }
            let implied: &[Filter] = match g {
                Filter::And(ops) => ops.as_slice(),
                f => std::slice::from_ref(f),
            };
            if !implied.iter().all(|g| conjuncts.contains(g)) {
                continue;
            }
            let rest: Vec<&Filter> = conjuncts.iter().filter(|f| !implied.contains(f)).collect();
            if !rest.iter().any(|f| only_sub(f, sub)) {
                continue;
            }
            if best.as_ref().is_none_or(|(_, _, r)| rest.len() < r.len()) {
                best = Some((i, sub.as_str(), rest));
            }
        }
        if let Some((i, sub, rest)) = best {
            // Every element the filtered index holds matches the implied
            // conjuncts, so they drop out; the conjuncts on its
            // sub-attribute test its rows.
            let mut nodes = Vec::with_capacity(rest.len());
            let mut exact = rest.len() == 1;
            for f in &rest {
                let over = only_sub(f, sub).then_some(i);
                let (n, e) = self.element(&container, f, over);
                exact &= e;
                nodes.push(n);
            }
            return (Node::and(nodes), exact);
        }
        self.element(&container, vp.filter(), None)
    }

    /// A value filter's part: "some element passes", with the rows of
    /// `over` (a filtered index) standing for its sub-attribute.
    fn element(&mut self, c: &Container<'_>, filter: &Filter, over: Option<usize>) -> Planned {
        match filter {
            Filter::Compare(cmp) => match self.element_target(c, cmp.path(), over) {
                Ok(t) => self.compare(&t, cmp.op(), cmp.value(), true),
                Err(display) => self.unindexed(display),
            },
            Filter::Present(path) => match self.element_target(c, path, over) {
                Ok(t) => self.present(&t),
                Err(display) => self.unindexed(display),
            },
            // "Some element fails" is not a set of rows.
            Filter::Not(_) | Filter::ValuePath(_) => INEXACT,
            Filter::And(ops) => {
                // Rows of different elements can satisfy the operands.
                let (nodes, _) = self.each(ops.as_slice(), |p, f| p.element(c, f, over));
                (Node::and(nodes), false)
            }
            Filter::Or(ops) => {
                let (nodes, exact) = self.each(ops.as_slice(), |p, f| p.element(c, f, over));
                (Node::or(nodes), exact)
            }
        }
    }

    fn element_target(
        &self,
        c: &Container<'_>,
        path: &AttrPath,
        over: Option<usize>,
    ) -> Result<Target, String> {
        let display = format!("{}.{path}", c.display);
        if path.sub_attr().is_some() {
            return Err(display);
        }
        let sub = c
            .attr
            .sub_attribute(path.name())
            .ok_or_else(|| display.clone())?;
        let index =
            over.or_else(|| self.leaf_index(c.extension.as_ref(), &c.attr.name, Some(&sub.name)));
        Ok(Target {
            index,
            kind: sub.kind,
            case_exact: sub.case_exact,
            display: format!("{}.{}", c.display, sub.name),
        })
    }
}

/// Whether every path in a value filter's part is `sub`.
fn only_sub(filter: &Filter, sub: &str) -> bool {
    let mut only = true;
    filter.for_each_path(&mut |p| {
        only &= p.sub_attr().is_none() && p.name().eq_ignore_ascii_case(sub);
    });
    only
}

/// The multi-valued attribute of a value filter.
struct Container<'a> {
    extension: Option<SchemaUrn>,
    attr: &'a Attribute,
    display: String,
}

/// The test for a string comparison on text keys.
fn text_test(op: CompareOp, key: &Key) -> KeyTest {
    let text = key.text().unwrap_or_default().to_owned();
    match op {
        CompareOp::Sw => KeyTest::Prefix(key.encoded()),
        CompareOp::Co => KeyTest::Contains(text),
        CompareOp::Ew => KeyTest::Suffix(text),
        _ => ordered_test(op, key, TAG_TEXT).unwrap_or(KeyTest::Eq(key.encoded())),
    }
}

/// `eq` and the ordering operators as a test confined to keys tagged `tag`;
/// `None` for the substring operators and `ne`.
fn ordered_test(op: CompareOp, key: &Key, tag: u8) -> Option<KeyTest> {
    let k = key.encoded();
    let (lower, upper) = match op {
        CompareOp::Eq => return Some(KeyTest::Eq(k)),
        CompareOp::Gt => (Bound::Excluded(k), Bound::Excluded(vec![tag + 1])),
        CompareOp::Ge => (Bound::Included(k), Bound::Excluded(vec![tag + 1])),
        CompareOp::Lt => (Bound::Included(vec![tag]), Bound::Excluded(k)),
        CompareOp::Le => (Bound::Included(vec![tag]), Bound::Included(k)),
        CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => return None,
    };
    Some(KeyTest::Range { lower, upper })
}

/// A comparison with a number. The evaluator compares two integers
/// exactly and anything else as `f64`; keys are `f64`, so an integer
/// operand beyond 2^53 gets inclusive bounds and an inexact plan.
fn number(index: usize, op: CompareOp, n: &Number) -> Planned {
    let Some(f) = n.as_f64() else {
        return INEXACT;
    };
    const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
    let rounded = (n.is_i64() || n.is_u64()) && f.abs() >= EXACT_LIMIT;
    let key = Key::Number(f);
    let op = match (op, rounded) {
        (CompareOp::Gt, true) => CompareOp::Ge,
        (CompareOp::Lt, true) => CompareOp::Le,
        (op, _) => op,
    };
    match ordered_test(op, &key, TAG_NUMBER) {
        Some(test) => (Node::matching(index, test), !rounded),
        // A number neither contains nor starts nor ends with anything.
        None => (Node::Nothing, true),
    }
}
