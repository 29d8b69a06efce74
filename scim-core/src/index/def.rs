//! Declared indexes: an [`IndexDef`] resolved from a configured path,
//! with its canonical name and the value filter it selects elements by.

use serde_json::Value;

use super::Key;
use crate::Error;
use crate::filter::eval::{AttrFacts, AttrRef, Matcher, SchemaFacts};
use crate::filter::{AttrPath, Filter, Operands};
use crate::schema::{AttrType, Attribute, ResourceSchema, SchemaUrn};

/// One indexed attribute of a resource type; see
/// [`ResourceSchema::indexes`](crate::schema::ResourceSchema::indexes).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IndexDef {
    name: String,
    pub(super) extension: Option<SchemaUrn>,
    pub(super) attr: String,
    pub(super) sub: Option<String>,
    pub(super) filter: Option<Filter>,
    pub(super) matcher: Option<Matcher>,
    pub(super) kind: AttrType,
    pub(super) case_exact: bool,
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

    /// The key of one value of this attribute, as
    /// [`entries`](super::entries) computes it; `None` for `null`, objects
    /// and arrays. For stores that maintain rows
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

    pub(super) fn is_on(&self, extension: Option<&SchemaUrn>, attr: &str) -> bool {
        self.extension.as_ref() == extension && self.attr.eq_ignore_ascii_case(attr)
    }

    pub(super) fn sub_is(&self, sub: Option<&str>) -> bool {
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
