//! Secondary indexes for stores that cannot afford to evaluate a filter
//! against every resource: which attributes are indexed, the index rows of
//! a resource, and a filter planned into index lookups.
//!
//! An application declares indexed attributes in the schema registry
//! ([`RegistryBuilder::configure`](crate::schema::RegistryBuilder::configure)
//! with [`AttributeSettings::indexed`](crate::schema::AttributeSettings::indexed);
//! [`RegistryBuilder::standard`](crate::schema::RegistryBuilder::standard)
//! indexes what provisioning clients filter on). This module turns that
//! declaration into rows and lookups with exactly the semantics of the
//! filter evaluator that [`list::evaluate`](crate::list::evaluate) uses:
//! Unicode case folding of strings that are not `caseExact`, chronological
//! `dateTime` comparison, the any-value rule of multi-valued attributes,
//! `pr`, `ne` on absent values, value filters.
//!
//! # How a SQL store uses it
//!
//! One table holds every index row:
//!
//! ```sql
//! CREATE TABLE scim_index (
//!     tenant      TEXT    NOT NULL,
//!     type        TEXT    NOT NULL,  -- ResourceSchema::name(), "User"
//!     index_name  TEXT    NOT NULL,  -- IndexDef::name(), "emails[type eq \"work\"].value"
//!     key         BLOB    NOT NULL,  -- Key::encoded()
//!     resource_id TEXT    NOT NULL,
//!     element     INTEGER NOT NULL   -- IndexEntry::element
//! );
//! CREATE INDEX scim_index_lookup ON scim_index (tenant, type, index_name, key);
//! CREATE INDEX scim_index_owner  ON scim_index (tenant, type, resource_id);
//! ```
//!
//! (`BYTEA` in PostgreSQL.) SQLite compares `BLOB`s and PostgreSQL
//! `BYTEA`s byte-wise, the order [`Key::encoded`] is built for; store keys
//! as blobs, never as text, so that no collation applies. A multi-column
//! B-tree on `(tenant, type, index_name, key)` answers `Eq`, `Range` and
//! `Prefix` with one range scan.
//!
//! 1. **Schema**: [`ResourceSchema::indexes`](crate::schema::ResourceSchema::indexes)
//!    lists the indexes. Persist [`IndexDef::name`], not the position: the
//!    name is canonical and stable, positions shift when an application
//!    declares another index. When the set of names changes, rebuild the
//!    rows of added names from the stored documents and delete the rows of
//!    removed ones.
//! 2. **Writes**: in the transaction that writes a resource, delete its
//!    rows and insert one row per [`entries`] element, with
//!    `index_name = indexes()[entry.index].name()` and
//!    `key = entry.key.encoded()`. Deleting a resource deletes its rows.
//! 3. **Reads**: [`plan`] a filter and translate the [`Node`] tree. Each
//!    [`Node::Match`] is "resources with a row of this index whose key
//!    passes the test":
//!
//!    | [`KeyTest`] | SQL on `key` |
//!    |---|---|
//!    | `Eq(b)` | `key = ?b` |
//!    | `Range { lower, upper }` | `key > ?` / `key >= ?` and `key < ?` / `key <= ?` per bound, none for `Unbounded` |
//!    | `Prefix(b)` | `key >= ?b AND key < ?e` with `e` = [`prefix_end`]`(b)` |
//!    | `Contains(s)`, `Suffix(s)` | on the UTF-8 text after the tag byte ([`Key::text`]; byte-wise search is character-wise search): `instr(substr(key, 2), ?)`, `position(… in substring(key from 2))`, or a trigram index over it |
//!    | `Present` | `key <> ?` with [`Key::EMPTY_TEXT_ENCODED`] |
//!
//!    [`Node::And`] is `INTERSECT` (or `id IN (…) AND id IN (…)`),
//!    [`Node::Or`] `UNION`, [`Node::Not`] "every resource of the type
//!    `EXCEPT` …", [`Node::All`] every resource of the type and
//!    [`Node::Nothing`] none.
//! 4. **Answer**: the candidates are a superset of the matches. Load the
//!    candidate documents and run [`list::evaluate`](crate::list::evaluate)
//!    on them for the exact result, sort and page. When
//!    [`Plan::is_exact`] holds, the candidates *are* the matches: count
//!    them for `totalResults` (and `count=0`) and cut unsorted index pages
//!    with `ORDER BY resource_id LIMIT/OFFSET` without reading documents
//!    beyond the page. When the root is [`Node::All`] and the type is too
//!    big to scan, answer `400` `tooMany` naming [`Plan::unindexed`], the
//!    attributes that would need an index.
//!
//! The guarantees hold for resources that conform to their schema, which
//! is what scim-core's validation stores (strings where the schema says
//! string, objects for complex attributes, arrays for multi-valued ones).
//!
//! # Examples
//!
//! ```
//! use scim_core::index::{self, KeyTest, Node};
//! use scim_core::schema::Registry;
//! use serde_json::json;
//!
//! let registry = Registry::standard();
//! let users = registry.resource_type("User").expect("registered");
//!
//! let user = json!({"userName": "BJensen", "emails": [{"type": "work", "value": "b@example.com"}]});
//! let rows = index::entries(users, user.as_object().expect("object"));
//! assert!(rows.iter().any(|r| users.indexes()[r.index].name() == "userName"
//!     && r.key.text() == Some("bjensen")));
//!
//! let filter = scim_core::filter::parse(r#"userName eq "bjensen" or emails[type eq "work" and value sw "b@"]"#)?;
//! let plan = index::plan(users, &filter)?;
//! assert!(plan.is_exact());
//! let Node::Or(branches) = plan.root() else { unreachable!() };
//! let Node::Match(p) = &branches[1] else { unreachable!() };
//! assert_eq!(users.indexes()[p.index].name(), r#"emails[type eq "work"].value"#);
//! assert!(matches!(p.test, KeyTest::Prefix(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ops::Bound;

use serde_json::{Map, Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Error;
use crate::filter::eval::{AttrFacts, AttrRef, Matcher, SchemaFacts};
use crate::filter::{AttrPath, CompValue, CompareOp, Filter, Operands, ValuePath};
use crate::schema::{AttrType, Attribute, JsonObject, ResourceSchema, SchemaUrn};

/// One indexed attribute of a resource type; see
/// [`ResourceSchema::indexes`](crate::schema::ResourceSchema::indexes).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IndexDef {
    name: String,
    extension: Option<SchemaUrn>,
    attr: String,
    sub: Option<String>,
    filter: Option<Filter>,
    matcher: Option<Matcher>,
    kind: AttrType,
    case_exact: bool,
    multi_valued: bool,
}

impl IndexDef {
    /// Parses and checks a configured path against `schema`.
    pub(crate) fn resolve(schema: &ResourceSchema, path: &str) -> Result<Self, Error> {
        let refuse = |why: String| Error::invalid_value(format!("cannot index {path:?}: {why}"));
        let parsed = crate::filter::parse_path(path).map_err(|e| refuse(e.to_string()))?;
        let resolved = schema
            .resolve(parsed.attr())
            .ok_or_else(|| refuse(format!("{} has no such attribute", schema.name())))?;
        if resolved.legacy_dotted_urn {
            return Err(refuse(
                "write the extension URN, a colon and the attribute name".to_owned(),
            ));
        }
        let extension = resolved.extension.map(|s| s.id.clone());
        let container = resolved.attr;
        let (sub, filter) = match parsed.filter() {
            None => (resolved.sub, None),
            Some(filter) => {
                if !container.is_complex() || !container.multi_valued {
                    return Err(refuse(format!(
                        "a value filter needs a multi-valued complex attribute, and {} is not one",
                        container.name
                    )));
                }
                let sub_name = parsed.sub_attr().ok_or_else(|| {
                    refuse(
                        "name the sub-attribute to index after the filter (\"].value\")".to_owned(),
                    )
                })?;
                let sub = container.sub_attribute(sub_name).ok_or_else(|| {
                    refuse(format!(
                        "{} has no sub-attribute {sub_name}",
                        container.name
                    ))
                })?;
                let canonical = canonical_inner(filter, container).ok_or_else(|| {
                    refuse(format!(
                        "the value filter names an attribute {} does not have",
                        container.name
                    ))
                })?;
                (Some(sub), Some(canonical))
            }
        };
        let leaf = sub.unwrap_or(container);
        if leaf.is_complex() {
            return Err(refuse(format!(
                "{} is complex; index one of its sub-attributes",
                leaf.name
            )));
        }
        let container_path = container_path(extension.as_ref(), &container.name)
            .map_err(|e| refuse(e.to_string()))?;
        let matcher = match &filter {
            Some(f) => Some(
                f.matcher(&ContainerFacts {
                    schema,
                    container: &container_path,
                })
                .map_err(|e| refuse(e.to_string()))?,
            ),
            None => None,
        };
        let mut name = String::new();
        if let Some(ext) = &extension {
            name.push_str(ext.as_str());
            name.push(':');
        }
        name.push_str(&container.name);
        if let Some(f) = &filter {
            name.push_str(&format!("[{f}]"));
        }
        if let Some(sub) = sub {
            name.push('.');
            name.push_str(&sub.name);
        }
        Ok(Self {
            name,
            extension,
            attr: container.name.clone(),
            sub: sub.map(|s| s.name.clone()),
            filter,
            matcher,
            kind: leaf.kind,
            case_exact: leaf.case_exact,
            multi_valued: container.multi_valued || leaf.multi_valued,
        })
    }

    /// The canonical, stable name: the path with the schema's spelling,
    /// the extension URN for extension attributes and the value filter in
    /// canonical filter text (`userName`, `emails[type eq "work"].value`,
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`).
    /// Stores persist it as the index's id.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type of the indexed values, from the schema. Keys follow the
    /// JSON type of each value ([`Key`]), so a `dateTime` attribute's keys
    /// are [`Key::DateTime`] where the value parses and [`Key::Text`]
    /// otherwise.
    pub fn kind(&self) -> AttrType {
        self.kind
    }

    /// Whether string keys keep their case (RFC 7643 `caseExact`); if not,
    /// [`Key::Text`] holds the folded value.
    pub fn case_exact(&self) -> bool {
        self.case_exact
    }

    /// Whether a resource can have more than one value, and so more than
    /// one row, for this index.
    pub fn multi_valued(&self) -> bool {
        self.multi_valued
    }

    /// The value filter that selects the elements whose values are indexed
    /// (`type eq "work"` for `emails[type eq "work"].value`).
    pub fn value_filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// The key of one value of this attribute, as [`entries`] computes it;
    /// `None` for `null`, objects and arrays. For stores that maintain rows
    /// without the whole resource, such as Group members added and
    /// removed by PATCH deltas.
    ///
    /// ```
    /// use scim_core::index::Key;
    /// use scim_core::schema::Registry;
    ///
    /// let registry = Registry::standard();
    /// let groups = registry.resource_type("Group").expect("registered");
    /// let members = groups.indexes().iter().find(|i| i.name() == "members.value").expect("indexed");
    /// // Group ids are case-exact, so the key keeps the case.
    /// assert_eq!(members.key_of(&"2819C223".into()), Some(Key::Text("2819C223".into())));
    /// ```
    pub fn key_of(&self, value: &Value) -> Option<Key> {
        Key::of(self, value)
    }

    fn is_on(&self, extension: Option<&SchemaUrn>, attr: &str) -> bool {
        self.extension.as_ref() == extension && self.attr.eq_ignore_ascii_case(attr)
    }

    fn sub_is(&self, sub: Option<&str>) -> bool {
        match (&self.sub, sub) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// A value filter under `container` (of `extension`, if given) in
/// canonical form, compiled the way the evaluator sees it inside
/// `container[…]`; for other per-path settings than indexes (required
/// paths). The error says why, for a build error.
pub(crate) fn compile_value_filter(
    schema: &ResourceSchema,
    extension: Option<&SchemaUrn>,
    container: &Attribute,
    filter: &Filter,
) -> Result<(Filter, Matcher), String> {
    let canonical = canonical_inner(filter, container).ok_or_else(|| {
        format!(
            "the value filter names an attribute {} does not have",
            container.name
        )
    })?;
    let path = container_path(extension, &container.name).map_err(|e| e.to_string())?;
    let matcher = canonical
        .matcher(&ContainerFacts {
            schema,
            container: &path,
        })
        .map_err(|e| e.to_string())?;
    Ok((canonical, matcher))
}

fn container_path(
    extension: Option<&SchemaUrn>,
    attr: &str,
) -> Result<AttrPath, crate::filter::PathError> {
    let path = AttrPath::new(attr)?;
    match extension {
        Some(ext) => path.with_schema(ext.as_str()),
        None => Ok(path),
    }
}

/// A value filter with the container's spelling of every sub-attribute, or
/// `None` if it names one the container lacks.
fn canonical_inner(filter: &Filter, container: &Attribute) -> Option<Filter> {
    let path = |p: &AttrPath| -> Option<AttrPath> {
        if p.sub_attr().is_some() || p.schema().is_some() {
            return None;
        }
        AttrPath::new(&container.sub_attribute(p.name())?.name).ok()
    };
    let junction = |ops: &Operands| -> Option<Operands> {
        let mut out: Option<Operands> = None;
        let mut first: Option<Filter> = None;
        for op in ops {
            let op = canonical_inner(op, container)?;
            match (&mut out, first.take()) {
                (Some(o), _) => o.push(op),
                (None, Some(f)) => out = Some(Operands::new(f, op)),
                (None, None) => first = Some(op),
            }
        }
        out
    };
    Some(match filter {
        Filter::Compare(c) => Filter::compare(path(c.path())?, c.op(), c.value().clone()),
        Filter::Present(p) => Filter::present(path(p)?),
        Filter::ValuePath(_) => return None,
        Filter::Not(inner) => Filter::not(canonical_inner(inner, container)?),
        Filter::And(ops) => Filter::And(junction(ops)?),
        Filter::Or(ops) => Filter::Or(junction(ops)?),
    })
}

/// Facts for a value filter compiled on its own: its relative paths are
/// the container's sub-attributes, as the evaluator sees them inside
/// `container[…]`.
struct ContainerFacts<'a> {
    schema: &'a ResourceSchema,
    container: &'a AttrPath,
}

impl SchemaFacts for ContainerFacts<'_> {
    fn attribute(&self, attr: AttrRef<'_>) -> AttrFacts {
        if attr.schema.is_some() || attr.sub_attr.is_some() {
            return AttrFacts::default();
        }
        match self.container.clone().with_sub_attr(attr.name) {
            Ok(path) => SchemaFacts::attribute(self.schema, AttrRef::new(&path)),
            Err(_) => AttrFacts::default(),
        }
    }
}

/// An index key: one value of an indexed attribute, in the form the
/// evaluator compares it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Key {
    /// A string: as written for `caseExact` attributes, else Unicode
    /// lower-cased exactly as the evaluator folds it.
    Text(String),
    /// A JSON number, as the `f64` the evaluator orders it by (`-0` is `0`).
    Number(f64),
    /// A `dateTime` attribute's value that parses as RFC 3339: nanoseconds
    /// since the Unix epoch, UTC.
    DateTime(i128),
    /// `true` or `false`.
    Boolean(bool),
}

const TAG_BOOLEAN: u8 = 0x01;
const TAG_NUMBER: u8 = 0x02;
const TAG_DATETIME: u8 = 0x03;
const TAG_TEXT: u8 = 0x04;

impl Key {
    /// [`Key::encoded`] of the empty string, the one text key that `pr`
    /// does not count as present.
    pub const EMPTY_TEXT_ENCODED: [u8; 1] = [TAG_TEXT];

    /// The key as bytes whose byte-wise (`memcmp`) order is the
    /// evaluator's order among keys of the same kind. The first byte tags
    /// the kind (`0x01` boolean, `0x02` number, `0x03` dateTime, `0x04`
    /// text), so keys of different kinds never compare equal and each kind
    /// is one contiguous range. Text is the tag followed by the UTF-8
    /// bytes; numbers and date-times are fixed-width big-endian. The format
    /// is stable: stores persist it.
    pub fn encoded(&self) -> Vec<u8> {
        match self {
            Self::Boolean(b) => vec![TAG_BOOLEAN, u8::from(*b)],
            Self::Number(f) => {
                let mut out = Vec::with_capacity(9);
                out.push(TAG_NUMBER);
                out.extend_from_slice(&ordered_f64(*f).to_be_bytes());
                out
            }
            Self::DateTime(nanos) => {
                let mut out = Vec::with_capacity(17);
                out.push(TAG_DATETIME);
                // Flipping the sign bit makes two's complement sort as
                // unsigned.
                #[allow(clippy::cast_sign_loss)]
                let ordered = (*nanos as u128) ^ (1 << 127);
                out.extend_from_slice(&ordered.to_be_bytes());
                out
            }
            Self::Text(s) => {
                let mut out = Vec::with_capacity(s.len() + 1);
                out.push(TAG_TEXT);
                out.extend_from_slice(s.as_bytes());
                out
            }
        }
    }

    /// The (folded) string of a text key, for substring and trigram
    /// indexes; `None` for other kinds.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The key of one JSON value of `def`'s attribute; `None` for `null`,
    /// objects and arrays.
    fn of(def: &IndexDef, value: &Value) -> Option<Self> {
        Self::from_json(def.kind, def.case_exact, value)
    }

    /// The key of one JSON value of an attribute of type `kind`; `None`
    /// for `null`, objects and arrays.
    pub(crate) fn from_json(kind: AttrType, case_exact: bool, value: &Value) -> Option<Self> {
        Some(match value {
            Value::Bool(b) => Self::Boolean(*b),
            Value::Number(n) => Self::Number(n.as_f64()?),
            Value::String(s) => text_or_datetime(kind, case_exact, s),
            Value::Null | Value::Array(_) | Value::Object(_) => return None,
        })
    }
}

fn text_or_datetime(kind: AttrType, case_exact: bool, s: &str) -> Key {
    if kind == AttrType::DateTime {
        if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
            return Key::DateTime(t.unix_timestamp_nanos());
        }
    }
    Key::Text(if case_exact { s.to_owned() } else { fold(s) })
}

/// `f64` bits that sort as unsigned integers in numeric order.
fn ordered_f64(f: f64) -> u64 {
    let f = if f == 0.0 { 0.0 } else { f };
    let bits = f.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Unicode lower-casing, exactly as the evaluator folds strings that are
/// not `caseExact`.
fn fold(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// One index row of a resource; see [`entries`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct IndexEntry {
    /// The index: a position in
    /// [`ResourceSchema::indexes`](crate::schema::ResourceSchema::indexes).
    pub index: usize,
    /// The position of the value's element in a multi-valued attribute
    /// (`2` for the third email); `0` for single-valued attributes. Plans
    /// do not depend on it: it tells rows of one resource apart, and a
    /// store that maintains rows incrementally ([`IndexDef::key_of`]) may
    /// number elements its own way.
    pub element: u32,
    /// The value.
    pub key: Key,
}

/// The index rows of one resource: for every index of `schema`, one entry
/// per value the evaluator would compare, found the way the evaluator
/// finds it (attribute names ignoring ASCII case, arrays flattened, only
/// the elements the index's value filter matches). `null`s have no entry;
/// an empty string has one, with [`Key::EMPTY_TEXT_ENCODED`].
pub fn entries(schema: &ResourceSchema, resource: &JsonObject) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    for (index, def) in schema.indexes().iter().enumerate() {
        let base = match &def.extension {
            Some(urn) => match lookup(resource, urn.as_str()) {
                Some(Value::Object(ext)) => ext,
                _ => continue,
            },
            None => resource,
        };
        let Some(value) = lookup(base, &def.attr) else {
            continue;
        };
        for (position, item) in elements(value) {
            let element = u32::try_from(position).unwrap_or(u32::MAX);
            let mut push = |v: &Value| {
                if let Some(key) = Key::of(def, v) {
                    out.push(IndexEntry {
                        index,
                        element,
                        key,
                    });
                }
            };
            let Some(sub) = &def.sub else {
                push(item);
                continue;
            };
            let Value::Object(obj) = item else {
                continue;
            };
            if let Some(m) = &def.matcher {
                // An element the value filter cannot be evaluated on is
                // not one the evaluator would find matching.
                if !m.matches_object(obj).unwrap_or(false) {
                    continue;
                }
            }
            if let Some(v) = lookup(obj, sub) {
                for (_, leaf) in elements(v) {
                    push(leaf);
                }
            }
        }
    }
    out
}

/// The elements of an array with their positions, or the value itself at
/// position 0.
fn elements(value: &Value) -> Box<dyn Iterator<Item = (usize, &Value)> + '_> {
    match value {
        Value::Array(items) => Box::new(items.iter().enumerate()),
        v => Box::new(std::iter::once((0, v))),
    }
}

/// The member called `key`, ignoring ASCII case; exact spelling first (the
/// evaluator's lookup).
fn lookup<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

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
    fn and(nodes: Vec<Node>) -> Node {
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

    fn or(nodes: Vec<Node>) -> Node {
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

    fn not(node: Node) -> Node {
        match node {
            Node::All => Node::Nothing,
            Node::Nothing => Node::All,
            Node::Not(inner) => *inner,
            n => Node::Not(Box::new(n)),
        }
    }

    fn matching(index: usize, test: KeyTest) -> Node {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::{AttributeSettings, Registry, RegistryBuilder};

    fn users() -> Arc<ResourceSchema> {
        Registry::standard().resource_type("User").unwrap().clone()
    }

    fn position(schema: &ResourceSchema, name: &str) -> usize {
        schema
            .indexes()
            .iter()
            .position(|d| d.name() == name)
            .unwrap_or_else(|| panic!("no index {name}"))
    }

    fn planned(schema: &ResourceSchema, filter: &str) -> Plan {
        plan(schema, &crate::filter::parse(filter).unwrap()).unwrap()
    }

    fn text(s: &str) -> Vec<u8> {
        Key::Text(s.to_owned()).encoded()
    }

    use std::sync::Arc;

    #[test]
    fn the_standard_registry_indexes_what_clients_filter_on() {
        let users = users();
        let names: Vec<&str> = users.indexes().iter().map(IndexDef::name).collect();
        for name in [
            "userName",
            "externalId",
            "displayName",
            "id",
            "active",
            "emails.value",
            r#"emails[type eq "work"].value"#,
            r#"emails[type eq "other"].value"#,
            "name.givenName",
            "name.familyName",
            r#"phoneNumbers[type eq "work"].value"#,
            r#"phoneNumbers[type eq "mobile"].value"#,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "meta.created",
            "meta.lastModified",
        ] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        let registry = Registry::standard();
        let groups = registry.resource_type("Group").unwrap();
        let names: Vec<&str> = groups.indexes().iter().map(IndexDef::name).collect();
        assert_eq!(
            names,
            [
                "id",
                "displayName",
                "externalId",
                "members.value",
                "meta.created",
                "meta.lastModified"
            ]
        );
        let user_name = &users.indexes()[position(&users, "userName")];
        assert_eq!(user_name.kind(), AttrType::String);
        assert!(!user_name.case_exact());
        assert!(!user_name.multi_valued());
        let work = &users.indexes()[position(&users, r#"emails[type eq "work"].value"#)];
        assert!(work.multi_valued());
        assert_eq!(
            work.value_filter().unwrap().to_string(),
            r#"type eq "work""#
        );
        let id = &users.indexes()[position(&users, "id")];
        assert!(id.case_exact());
        let created = &users.indexes()[position(&users, "meta.created")];
        assert_eq!(created.kind(), AttrType::DateTime);
    }

    #[test]
    fn configured_paths_get_canonical_names() {
        let registry = RegistryBuilder::standard()
            .configure("user", "TITLE", AttributeSettings::new().indexed(true))
            .configure(
                "User",
                r#"urn:ietf:params:scim:schemas:core:2.0:User:ADDRESSES[TYPE eq "work" and Primary eq true].Locality"#,
                AttributeSettings::new().indexed(true),
            )
            .configure(
                "User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costcenter",
                AttributeSettings::new().indexed(true),
            )
            .build()
            .unwrap();
        let users = registry.resource_type("User").unwrap();
        let names: Vec<&str> = users.indexes().iter().map(IndexDef::name).collect();
        assert!(names.contains(&"title"));
        assert!(names.contains(&r#"addresses[type eq "work" and primary eq true].locality"#));
        assert!(
            names
                .contains(&"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter")
        );
    }

    #[test]
    fn configuring_the_same_attribute_again_overrides_and_can_remove_a_default() {
        let registry = RegistryBuilder::standard()
            .configure(
                "User",
                "NAME.givenname",
                AttributeSettings::new().indexed(false),
            )
            .configure("User", "title", AttributeSettings::new().indexed(true))
            .configure("User", "title", AttributeSettings::new())
            .build()
            .unwrap();
        let users = registry.resource_type("User").unwrap();
        let names: Vec<&str> = users.indexes().iter().map(IndexDef::name).collect();
        assert!(!names.contains(&"name.givenName"));
        assert!(
            names.contains(&"title"),
            "unset settings keep the earlier ones"
        );
    }

    #[test]
    fn build_refuses_paths_that_cannot_be_indexed() {
        let refused = |resource_type: &str, path: &str| {
            let err = RegistryBuilder::standard()
                .configure(resource_type, path, AttributeSettings::new().indexed(true))
                .build()
                .unwrap_err();
            assert!(matches!(err, Error::InvalidValue(_)), "{path}: {err:?}");
            err.to_string()
        };
        assert!(refused("Device", "userName").contains("Device"));
        assert!(refused("User", "nickname2").contains("no such attribute"));
        assert!(refused("User", "name.middle").contains("no such attribute"));
        assert!(refused("User", "emails").contains("complex"));
        assert!(refused("User", "name").contains("complex"));
        assert!(refused("User", r#"emails[type eq "work"]"#).contains("sub-attribute"));
        assert!(refused("User", r#"emails[kind eq "work"].value"#).contains("value filter"));
        assert!(refused("User", r#"name[type eq "work"].givenName"#).contains("multi-valued"));
        assert!(refused("User", r#"emails[primary gt true].value"#).contains("cannot order"));
        assert!(refused("User", "userName eq").contains("cannot index"));
        assert!(
            refused(
                "User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department"
            )
            .contains("colon")
        );
    }

    #[test]
    fn defaults_for_attributes_a_replacement_schema_lacks_are_dropped() {
        let minimal = Schema::new(
            SchemaUrn::USER,
            "User",
            vec![Attribute::new("userName", AttrType::String)],
        );
        let registry = RegistryBuilder::standard().schema(minimal).build().unwrap();
        let users = registry.resource_type("User").unwrap();
        let names: Vec<&str> = users.indexes().iter().map(IndexDef::name).collect();
        assert!(names.contains(&"userName"));
        assert!(!names.contains(&"emails.value"));
    }

    use crate::schema::{Attribute, Schema};

    #[test]
    fn encoded_keys_sort_like_the_evaluator_orders_values() {
        let numbers = [-1e300, -3.5, -1.0, 0.0, 0.5, 1.0, 2.0, 1e20, f64::MAX];
        for w in numbers.windows(2) {
            assert!(
                Key::Number(w[0]).encoded() < Key::Number(w[1]).encoded(),
                "{w:?}"
            );
        }
        assert_eq!(Key::Number(-0.0).encoded(), Key::Number(0.0).encoded());
        let times = [i128::MIN, -1, 0, 1, 1_577_836_800_000_000_000, i128::MAX];
        for w in times.windows(2) {
            assert!(Key::DateTime(w[0]).encoded() < Key::DateTime(w[1]).encoded());
        }
        assert!(text("a") < text("ab"));
        assert!(text("ab") < text("b"));
        assert!(text("z") < text("é"));
        // Kinds never collide, each is one range.
        assert_ne!(Key::Boolean(true).encoded(), text("\u{1}"));
        assert!(Key::Boolean(true).encoded() < Key::Number(f64::MIN).encoded());
        assert_eq!(Key::Text(String::new()).encoded(), Key::EMPTY_TEXT_ENCODED);
        assert_eq!(Key::Text("x".into()).text(), Some("x"));
        assert_eq!(Key::Boolean(false).text(), None);
    }

    #[test]
    fn entries_follow_the_evaluator_through_the_resource() {
        let users = users();
        let user = json!({
            "userName": "BJensen",
            "Active": true,
            "emails": [
                {"type": "home", "value": "B@Home.example"},
                {"type": "Work", "value": "B@Work.example"},
                {"type": "work"},
                {"value": null},
            ],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {
                "employeeNumber": "E-1",
                "manager": {"value": "Boss"}
            },
            "id": "AbC",
            "meta": {"created": "2020-01-01T01:00:00+01:00", "lastModified": "yesterday"}
        });
        let rows = entries(&users, user.as_object().unwrap());
        let of = |name: &str| -> Vec<(u32, Key)> {
            let i = position(&users, name);
            rows.iter()
                .filter(|r| r.index == i)
                .map(|r| (r.element, r.key.clone()))
                .collect()
        };
        assert_eq!(of("userName"), [(0, Key::Text("bjensen".into()))]);
        assert_eq!(of("active"), [(0, Key::Boolean(true))]);
        assert_eq!(of("id"), [(0, Key::Text("AbC".into()))], "id is caseExact");
        assert_eq!(
            of("emails.value"),
            [
                (0, Key::Text("b@home.example".into())),
                (1, Key::Text("b@work.example".into()))
            ]
        );
        assert_eq!(
            of(r#"emails[type eq "work"].value"#),
            [(1, Key::Text("b@work.example".into()))],
            "type is not caseExact, so Work is work"
        );
        assert!(of(r#"emails[type eq "other"].value"#).is_empty());
        assert_eq!(
            of("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
            [(0, Key::Text("e-1".into()))]
        );
        assert_eq!(
            of("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
            [(0, Key::Text("Boss".into()))],
            "manager.value is caseExact"
        );
        assert_eq!(
            of("meta.created"),
            [(0, Key::DateTime(1_577_836_800_000_000_000))]
        );
        assert_eq!(
            of("meta.lastModified"),
            [(0, Key::Text("yesterday".into()))],
            "a dateTime that does not parse is compared as a string"
        );
    }

    #[test]
    fn equality_plans_one_lookup_of_the_folded_value() {
        let users = users();
        let p = planned(&users, r#"userName eq "BJensen""#);
        assert!(p.is_exact());
        assert!(p.unindexed().is_empty());
        assert_eq!(
            p.root(),
            &Node::matching(position(&users, "userName"), KeyTest::Eq(text("bjensen")))
        );
        let p = planned(&users, r#"externalId eq "AbC""#);
        assert_eq!(
            p.root(),
            &Node::matching(position(&users, "externalId"), KeyTest::Eq(text("AbC")))
        );
        let p = planned(&users, r#"userName sw "É""#);
        assert_eq!(
            p.root(),
            &Node::matching(position(&users, "userName"), KeyTest::Prefix(text("é")))
        );
        let p = planned(&users, r#"emails co "EXAMPLE""#);
        assert_eq!(
            p.root(),
            &Node::matching(
                position(&users, "emails.value"),
                KeyTest::Contains("example".into())
            ),
            "a complex multi-valued attribute compares its value"
        );
    }

    #[test]
    fn ne_and_null_follow_the_evaluator_on_absent_values() {
        let users = users();
        let i = position(&users, "userName");
        let p = planned(&users, r#"userName ne "x""#);
        assert!(p.is_exact());
        let range = |lower, upper| Node::matching(i, KeyTest::Range { lower, upper });
        assert_eq!(
            p.root(),
            &Node::or(vec![
                range(Bound::Unbounded, Bound::Excluded(text("x"))),
                range(Bound::Excluded(text("x")), Bound::Unbounded),
            ]),
            "ne is \"some value is not x\": the rows around x, never a resource without a value"
        );
        let p = planned(&users, "userName eq null");
        assert_eq!(p.root(), &Node::not(Node::matching(i, KeyTest::Present)));
        let p = planned(&users, "userName ne null");
        assert_eq!(p.root(), &Node::matching(i, KeyTest::Present));
        let p = planned(&users, "userName gt null");
        assert_eq!(p.root(), &Node::Nothing);
        assert!(p.is_exact());
        let p = planned(&users, "active co true");
        assert_eq!(p.root(), &Node::Nothing);
    }

    #[test]
    fn unindexed_attributes_force_a_scan_and_are_named() {
        let users = users();
        let p = planned(&users, r#"title eq "x""#);
        assert_eq!(p.root(), &Node::All);
        assert!(!p.is_exact());
        assert_eq!(p.unindexed(), ["title"]);
        let p = planned(&users, r#"userName eq "a" and title eq "x""#);
        assert!(matches!(p.root(), Node::Match(_)));
        assert!(!p.is_exact());
        let p = planned(&users, r#"userName eq "a" or title eq "x""#);
        assert_eq!(p.root(), &Node::All);
        let p = planned(&users, r#"not (userName eq "a" and title eq "x")"#);
        assert_eq!(
            p.root(),
            &Node::All,
            "the complement of a superset is not a superset"
        );
        let p = planned(
            &users,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter pr",
        );
        assert_eq!(
            p.unindexed(),
            ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"]
        );
        let p = planned(&users, r#"emails[type eq "home"]"#);
        assert_eq!(p.unindexed(), ["emails.type"]);
    }

    #[test]
    fn value_paths_use_the_filtered_index_when_one_is_declared() {
        let users = users();
        let work = position(&users, r#"emails[type eq "work"].value"#);
        for f in [
            r#"emails[type eq "work" and value eq "A@x"]"#,
            r#"emails[value eq "a@x" and type eq "work"]"#,
            r#"emails[type eq "work"].value eq "a@x""#,
        ] {
            let p = planned(&users, f);
            assert!(p.is_exact(), "{f}");
            assert_eq!(
                p.root(),
                &Node::matching(work, KeyTest::Eq(text("a@x"))),
                "{f}"
            );
        }
        let p = planned(
            &users,
            r#"emails[type eq "work" and (value sw "a" or value sw "b")]"#,
        );
        assert!(p.is_exact());
        let p = planned(
            &users,
            r#"emails[type eq "work" and value sw "a" and value ew "z"]"#,
        );
        assert!(!p.is_exact(), "two rows of one index may be two elements");
        let p = planned(&users, r#"emails[type eq "home" and value eq "a@x"]"#);
        assert!(!p.is_exact());
        assert_eq!(
            p.root(),
            &Node::matching(position(&users, "emails.value"), KeyTest::Eq(text("a@x")))
        );
        let p = planned(&users, r#"emails[type eq "work" and value ne "a@x"]"#);
        assert_eq!(
            p.root(),
            &Node::All,
            "an element without a value matches ne, and has no row"
        );
        let p = planned(&users, r#"emails[value pr]"#);
        assert!(p.is_exact());
    }

    #[test]
    fn the_most_specific_filtered_index_wins() {
        let registry = RegistryBuilder::standard()
            .configure(
                "User",
                r#"emails[type eq "work" and primary eq true].value"#,
                AttributeSettings::new().indexed(true),
            )
            .build()
            .unwrap();
        let users = registry.resource_type("User").unwrap();
        let p = planned(
            users,
            r#"emails[primary eq true and type eq "work" and value eq "a"]"#,
        );
        assert!(p.is_exact());
        assert_eq!(
            p.root(),
            &Node::matching(
                position(users, r#"emails[type eq "work" and primary eq true].value"#),
                KeyTest::Eq(text("a"))
            )
        );
    }

    #[test]
    fn date_times_compare_chronologically_and_strings_as_strings() {
        let users = users();
        let i = position(&users, "meta.created");
        let p = planned(&users, r#"meta.created gt "2020-01-01T01:00:00+01:00""#);
        assert!(p.is_exact());
        let Node::Or(branches) = p.root() else {
            panic!("{p:?}")
        };
        assert_eq!(
            branches[0],
            Node::matching(
                i,
                KeyTest::Range {
                    lower: Bound::Excluded(Key::DateTime(1_577_836_800_000_000_000).encoded()),
                    upper: Bound::Excluded(vec![TAG_DATETIME + 1]),
                }
            )
        );
        // A dateTime compared with text that is no dateTime is refused, as
        // the evaluator refuses it.
        let refused = plan(
            &users,
            &crate::filter::parse(r#"meta.created sw "2020""#).unwrap(),
        );
        assert!(
            matches!(refused, Err(Error::InvalidFilter(_))),
            "{refused:?}"
        );
    }

    #[test]
    fn integers_beyond_f64_precision_widen_the_range() {
        let registry = RegistryBuilder::standard()
            .schema(Schema::new(
                SchemaUrn::from_static("urn:example:params:scim:schemas:extension:n:2.0:User"),
                "N",
                vec![Attribute::new("n", AttrType::Integer)],
            ))
            .extend(
                "User",
                SchemaUrn::from_static("urn:example:params:scim:schemas:extension:n:2.0:User"),
                false,
            )
            .configure(
                "User",
                "urn:example:params:scim:schemas:extension:n:2.0:User:n",
                AttributeSettings::new().indexed(true),
            )
            .build()
            .unwrap();
        let users = registry.resource_type("User").unwrap();
        let n = "urn:example:params:scim:schemas:extension:n:2.0:User:n";
        assert!(planned(users, &format!("{n} gt 5")).is_exact());
        assert!(planned(users, &format!("{n} eq 2.5")).is_exact());
        let p = planned(users, &format!("{n} gt 9007199254740993"));
        assert!(!p.is_exact());
        let Node::Match(Predicate {
            test: KeyTest::Range { lower, .. },
            ..
        }) = p.root()
        else {
            panic!("{p:?}")
        };
        assert!(matches!(lower, Bound::Included(_)));
        assert_eq!(planned(users, &format!("{n} sw 1")).root(), &Node::Nothing);
    }

    #[test]
    fn plan_refuses_what_the_evaluator_refuses() {
        let users = users();
        for f in [
            "active gt true",
            "userName lt false",
            "emails ge \"a\"",
            "name le \"a\"",
        ] {
            let filter = crate::filter::parse(f).unwrap();
            let evaluator = filter.matcher(&*users as &dyn SchemaFacts).unwrap_err();
            let err = plan(&users, &filter).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidFilter(m) if m.message() == evaluator.to_string()),
                "{f}: {err:?}"
            );
        }
    }

    #[test]
    fn key_tests_match_keys() {
        assert!(KeyTest::Present.matches(&Key::Boolean(false)));
        assert!(!KeyTest::Present.matches(&Key::Text(String::new())));
        assert!(KeyTest::Contains(String::new()).matches(&Key::Text(String::new())));
        assert!(!KeyTest::Contains("a".into()).matches(&Key::Number(1.0)));
        assert!(KeyTest::Suffix("b".into()).matches(&Key::Text("ab".into())));
        assert!(KeyTest::Prefix(text("a")).matches(&Key::Text("ab".into())));
        let all = KeyTest::Range {
            lower: Bound::Unbounded,
            upper: Bound::Unbounded,
        };
        assert!(all.matches(&Key::DateTime(0)));
        // The range form of a prefix selects the same keys.
        let prefix = text("ab");
        let range = KeyTest::Range {
            lower: Bound::Included(prefix.clone()),
            upper: Bound::Excluded(prefix_end(&prefix).unwrap()),
        };
        for k in ["a", "ab", "ab\u{10ffff}", "abz", "ac", "b", ""] {
            let key = Key::Text(k.to_owned());
            assert_eq!(
                range.matches(&key),
                KeyTest::Prefix(prefix.clone()).matches(&key),
                "{k}"
            );
        }
        assert_eq!(prefix_end(&[]), None);
    }
}
