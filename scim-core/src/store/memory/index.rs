//! The resources of one type in one tenant, with their indexes: hash
//! indexes over string attributes, used for uniqueness and to narrow
//! the candidates of a query.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

use super::membership::{computed_groups_key, members_key};
use super::next_version;
use crate::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::id::{ResourceId, Version};
use crate::project::Projection;
use crate::resource::{Meta, Resource};
use crate::schema::{AttrType, Attribute, JsonObject, ResourceSchema, Uniqueness};
use crate::store::StoreError;

/// The resources of one type in one tenant.
pub(super) struct Collection {
    /// The resource type's name.
    pub(super) name: Arc<str>,
    /// For group-like types, the key of `members`.
    pub(super) members_key: Option<String>,
    /// For user-like types, the key of the computed `groups`.
    pub(super) groups_key: Option<String>,
    /// Whether `id` compares case-exactly (it does in RFC 7643).
    id_case_exact: bool,
    indexes: Vec<Index>,
    pub(super) resources: BTreeMap<ResourceId, Stored>,
}

/// A stored resource and, for groups, the set of its member ids.
pub(super) struct Stored {
    pub(super) resource: Resource,
    pub(super) members: HashSet<String>,
}

/// An index over one string attribute.
struct Index {
    /// The extension URN, for an extension attribute.
    extension: Option<String>,
    /// The attribute name, in the schema's spelling.
    name: String,
    /// The attribute as named in conflict messages.
    label: String,
    /// Whether keys are lower-cased (the attribute is not caseExact).
    fold: bool,
    /// Whether the index enforces uniqueness.
    unique: bool,
    entries: HashMap<String, BTreeSet<ResourceId>>,
}

impl Index {
    fn new(extension: Option<&str>, attr: &Attribute, unique: bool) -> Self {
        Self {
            extension: extension.map(str::to_owned),
            name: attr.name.clone(),
            label: match extension {
                Some(urn) => format!("{urn}:{}", attr.name),
                None => attr.name.clone(),
            },
            fold: !attr.case_exact,
            unique,
            entries: HashMap::new(),
        }
    }

    fn key(&self, value: &str) -> String {
        if self.fold {
            value.to_lowercase()
        } else {
            value.to_owned()
        }
    }

    /// The index keys of a resource, with the values they come from.
    fn keys<'a>(&self, json: &'a JsonObject) -> Vec<(String, &'a str)> {
        let mut keys: Vec<(String, &str)> =
            indexed_values(json, self.extension.as_deref(), &self.name)
                .into_iter()
                .map(|v| (self.key(v), v))
                .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys.dedup_by(|a, b| a.0 == b.0);
        keys
    }
}

/// The keys of one resource in each index of its collection, in order.
type IndexKeys<'a> = Vec<Vec<(String, &'a str)>>;

impl Collection {
    pub(super) fn new(schema: &ResourceSchema) -> Self {
        let mut indexes: Vec<Index> = Vec::new();
        let mut add = |extension: Option<&str>, attr: &Attribute, unique: bool| {
            if attr.kind != AttrType::String || attr.multi_valued {
                return;
            }
            let existing = indexes
                .iter_mut()
                .find(|ix| ix.extension.as_deref() == extension && ix.name == attr.name);
            match existing {
                Some(ix) => ix.unique |= unique,
                None => indexes.push(Index::new(extension, attr, unique)),
            }
        };
        let unique =
            |attr: &Attribute| matches!(attr.uniqueness, Uniqueness::Server | Uniqueness::Global);
        for attr in schema.core().attributes.iter().filter(|a| unique(a)) {
            add(None, attr, true);
        }
        for (ext, _) in schema.extensions() {
            for attr in ext.attributes.iter().filter(|a| unique(a)) {
                add(Some(ext.id.as_str()), attr, true);
            }
        }
        for name in [EXTERNAL_ID, DISPLAY_NAME] {
            if let Some(attr) = schema.attribute(name) {
                if attr.name != ID {
                    add(None, attr, unique(attr));
                }
            }
        }
        Self {
            name: Arc::from(schema.name()),
            members_key: members_key(schema),
            groups_key: computed_groups_key(schema),
            id_case_exact: schema.attribute(ID).is_none_or(|a| a.case_exact),
            indexes,
            resources: BTreeMap::new(),
        }
    }

    pub(super) fn index_keys<'a>(&self, json: &'a JsonObject) -> IndexKeys<'a> {
        self.indexes.iter().map(|ix| ix.keys(json)).collect()
    }

    /// Fails if a unique index holds one of the keys for another resource.
    pub(super) fn check_unique(
        &self,
        id: &ResourceId,
        keys: &IndexKeys<'_>,
    ) -> Result<(), StoreError> {
        for (ix, keys) in self.indexes.iter().zip(keys) {
            if !ix.unique {
                continue;
            }
            for (key, value) in keys {
                if ix
                    .entries
                    .get(key)
                    .is_some_and(|ids| ids.iter().any(|other| other != id))
                {
                    return Err(StoreError::conflict_on(
                        ix.label.clone(),
                        format!("{} {value:?} is already taken", ix.label),
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn index(&mut self, id: &ResourceId, keys: &IndexKeys<'_>) {
        for (ix, keys) in self.indexes.iter_mut().zip(keys) {
            for (key, _) in keys {
                ix.entries
                    .entry(key.clone())
                    .or_default()
                    .insert(id.clone());
            }
        }
    }

    pub(super) fn unindex(&mut self, id: &ResourceId, json: &JsonObject) {
        for ix in &mut self.indexes {
            for (key, _) in ix.keys(json) {
                if let Some(ids) = ix.entries.get_mut(&key) {
                    ids.remove(id);
                    if ids.is_empty() {
                        ix.entries.remove(&key);
                    }
                }
            }
        }
    }

    /// The resources an index says may match `filter`: a superset of the
    /// matches, or `None` if no index applies and every resource must be
    /// looked at.
    pub(super) fn candidates(
        &self,
        schema: &ResourceSchema,
        filter: &Filter,
    ) -> Option<BTreeSet<ResourceId>> {
        match filter {
            Filter::Compare(cmp) if cmp.op() == CompareOp::Eq => match cmp.value() {
                CompValue::String(value) => self.lookup(schema, cmp.path(), value),
                _ => None,
            },
            Filter::And(ops) => ops
                .iter()
                .filter_map(|op| self.candidates(schema, op))
                .min_by_key(BTreeSet::len),
            Filter::Or(ops) => {
                let mut all = BTreeSet::new();
                for op in ops {
                    all.extend(self.candidates(schema, op)?);
                }
                Some(all)
            }
            _ => None,
        }
    }

    /// The resources whose attribute at `path` equals `value`, from an
    /// index; `None` if the attribute has none.
    fn lookup(
        &self,
        schema: &ResourceSchema,
        path: &AttrPath,
        value: &str,
    ) -> Option<BTreeSet<ResourceId>> {
        let resolved = schema.resolve(path)?;
        if resolved.sub.is_some() || resolved.legacy_dotted_urn {
            return None;
        }
        let attr = resolved.attr;
        let extension = resolved.extension.map(|e| e.id.as_str());
        if extension.is_none() && attr.name == ID {
            // The JSON `id` is the key of `resources`.
            if !(attr.case_exact && self.id_case_exact) {
                return None;
            }
            return Some(
                ResourceId::new(value)
                    .ok()
                    .filter(|id| self.resources.contains_key(id))
                    .into_iter()
                    .collect(),
            );
        }
        // The evaluator folds by the schema's caseExact; use an index only
        // if it folds the same way.
        let ix = self.indexes.iter().find(|ix| {
            ix.extension.as_deref() == extension
                && ix.name == attr.name
                && ix.fold != attr.case_exact
        })?;
        Some(ix.entries.get(&ix.key(value)).cloned().unwrap_or_default())
    }

    /// The resource without `members` if the projection leaves them out.
    pub(super) fn without_members<'a>(
        &self,
        resource: Cow<'a, Resource>,
        projection: &Projection,
    ) -> Result<Cow<'a, Resource>, StoreError> {
        let Some(key) = &self.members_key else {
            return Ok(resource);
        };
        if projection.includes(key) || !resource.json().contains_key(key) {
            return Ok(resource);
        }
        match resource {
            Cow::Owned(mut owned) => {
                owned.set_computed(key, None).map_err(StoreError::backend)?;
                Ok(Cow::Owned(owned))
            }
            Cow::Borrowed(borrowed) => {
                // Copy everything but the (possibly huge) member list.
                let json: JsonObject = borrowed
                    .json()
                    .iter()
                    .filter(|(k, _)| *k != key)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(Cow::Owned(
                    Resource::from_json(json).map_err(StoreError::backend)?,
                ))
            }
        }
    }

    /// Edits a stored group in place: `edit` gets its JSON, its member set
    /// and the `members` key; the group gets a new version and
    /// `meta.lastModified`. Returns the new version, or `None` if there is
    /// no such group.
    pub(super) fn rewrite(
        &mut self,
        id: &ResourceId,
        last_modified: OffsetDateTime,
        edit: impl FnOnce(&mut JsonObject, &mut HashSet<String>, &str),
    ) -> Option<Version> {
        let key = self.members_key.clone()?;
        let Stored {
            resource,
            mut members,
        } = self.resources.remove(id)?;
        let version = next_version(resource.version());
        let mut meta = resource
            .meta()
            .unwrap_or_else(|| Meta::new(&*self.name, last_modified, version.clone()));
        meta.last_modified = last_modified;
        meta.version = version.clone();
        let mut json = resource.into_json();
        edit(&mut json, &mut members, &key);
        // `Resource::new` replaces the stored `id` and `meta`.
        let resource = Resource::new(id.clone(), json, &meta);
        self.resources
            .insert(id.clone(), Stored { resource, members });
        Some(version)
    }
}

const ID: &str = "id";
const EXTERNAL_ID: &str = "externalId";
pub(super) const DISPLAY_NAME: &str = "displayName";

/// The string values that `attr eq "…"` compares for the attribute
/// `name` (in `extension`, if given), found the way the filter evaluator
/// finds them: names without regard to case, exact spelling first; a
/// string, or the strings and `value`s of a multi-valued attribute.
fn indexed_values<'a>(json: &'a JsonObject, extension: Option<&str>, name: &str) -> Vec<&'a str> {
    let base = match extension {
        Some(urn) => match lookup(json, urn) {
            Some(Value::Object(ext)) => ext,
            _ => return Vec::new(),
        },
        None => json,
    };
    match lookup(base, name) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.as_str()),
                Value::Object(obj) => match lookup(obj, "value") {
                    Some(Value::String(s)) => Some(s.as_str()),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The member called `key`, ignoring ASCII case; exact spelling first.
fn lookup<'a>(obj: &'a JsonObject, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}
