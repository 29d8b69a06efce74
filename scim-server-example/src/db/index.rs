//! Secondary indexes in SQL, shared by both backends: which of the
//! registry's declared indexes the store maintains, the index rows of a
//! resource, and a planned filter ([`scim_core::index::plan`]) rendered as
//! SQL that selects candidate ids (`index/render.rs`).
//!
//! # Tables
//!
//! * `index_names(id, type, name)`: one small integer per declared index
//!   ([`IndexDef::name`], persisted by name, never by position), so rows
//!   stay small.
//! * `host_keys(tenant_id, index_id, key, host_id)` and
//!   `group_keys(tenant_id, index_id, key, group_id)`: one row per distinct
//!   key of a resource's indexed values ([`Key::encoded`], `BLOB`/`BYTEA`,
//!   byte order), primary key `(tenant_id, index_id, key, id)` for lookups
//!   and range scans, an index on `(tenant_id, id)` for rewrites, and a
//!   foreign key to the resource that cascades on delete (so deleting a
//!   resource or a tenant removes its rows without extra statements).
//!   PostgreSQL keeps at most [`PG_KEY_LIMIT`] bytes in `key` (a B-tree
//!   entry has a size limit) and the whole key in `full` when it is longer;
//!   every test on such a key is rechecked on `coalesce(full, key)`.
//! * Group `members.value` has no rows: `memberships` already holds one
//!   row per member with the id (`member_id`) and its folded form
//!   (`member_key`), so membership changes stay O(change).
//!
//! # Start-up
//!
//! [`Declared`] lists the names the registry declares; the backend
//! compares them with `index_names`, builds the rows of added names from
//! the stored documents in batches of [`BATCH`], and deletes the rows of
//! removed ones.
//!
//! # Reads
//!
//! [`access`] decides how a filtered query reads:
//!
//! * [`Access::Walk`]: the plan is exact and unsorted or sorted by an
//!   indexed single-valued attribute: count, sort and page the ids in SQL
//!   with index or cursor paging (`walk.rs`), read documents for the page
//!   only (`count=0` reads none);
//! * [`Access::Candidates`]: read the candidate documents in batches, keep
//!   those the filter matches, then let the evaluator sort and page; more
//!   candidates than the scan budget are refused with `400 tooMany`;
//! * [`Access::Scan`]: no index narrows the filter: read the tenant's
//!   documents in batches, unless it has more than the scan budget, then
//!   refuse with `400 tooMany` naming the unindexed attributes.

use std::collections::BTreeMap;
use std::sync::Arc;

use scim_core::filter::Filter;
use scim_core::index::{self, IndexDef, Key, Node};
use scim_core::list::ListQuery;
use scim_core::schema::{JsonObject, Registry, ResourceSchema};
use scim_core::store::StoreError;
use serde_json::Value;

use super::key;
use super::kind::Kind;
use super::walk::{self, Walk};

use self::render::Renderer;

/// Documents read per statement when scanning, backfilling or loading
/// candidates, so memory does not grow with the tenant.
pub(crate) const BATCH: usize = 500;

/// The default of [`Options::scan_budget`](super::Options::scan_budget).
pub(crate) const DEFAULT_SCAN_BUDGET: u64 = 10_000;

/// The longest key PostgreSQL keeps in the indexed `key` column; longer
/// keys are cut there and kept whole in `full`.
pub(crate) const PG_KEY_LIMIT: usize = 1024;

/// The index answered from `memberships` instead of index rows.
const MEMBERS_VALUE: &str = "members.value";

/// Which SQL the renderer writes.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Dialect {
    /// `?n` placeholders, `instr`/`substr`.
    Sqlite,
    /// `$n` placeholders, `position`/`substring`, cut keys.
    Postgres,
}

/// A bound parameter of rendered SQL (`$1`/`?1`, the tenant, is not
/// among them).
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Param {
    /// A string.
    Text(String),
    /// Bytes: keys and parts of keys.
    Bytes(Vec<u8>),
}

/// SQL selecting a set of resource ids (one column, `id`, duplicates
/// possible) of one tenant (`?1`/`$1`), with its parameters from `?2` on.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct IdSet {
    /// The `SELECT`.
    pub(crate) sql: String,
    /// Parameters `2..`.
    pub(crate) params: Vec<Param>,
}

/// How a filtered query reads; see the module docs.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Access {
    /// The matches are exactly an id set whose sort an index serves:
    /// count, sort and page the ids in SQL.
    Walk(Walk),
    /// Read these candidates (a superset) and evaluate, within the scan
    /// budget.
    Candidates {
        /// The candidates.
        set: IdSet,
        /// What has no index: the attributes the filter tests without
        /// one, or the sort attribute.
        unindexed: Vec<String>,
    },
    /// Read everything, within the scan budget.
    Scan {
        /// The attributes the filter tests without an index.
        unindexed: Vec<String>,
    },
}

/// The indexes of one resource type the store maintains.
#[derive(Clone, Debug, Default)]
pub(crate) struct Maintained {
    /// Index name → `index_names.id`, for the indexes with rows.
    ids: BTreeMap<String, i64>,
    /// Whether `members.value` is declared (and answered from
    /// `memberships`).
    members: bool,
    /// `meta.lastModified`, for writes that only bump a resource's
    /// version.
    last_modified: Option<(i64, IndexDef)>,
    /// Whether `co` and `ew` can use a trigram index over the key text
    /// (SQLite's FTS5 `trigram` tokenizer, PostgreSQL's `pg_trgm`).
    trigram: bool,
}

impl Maintained {
    /// The id of the index called `name`, if it has rows.
    pub(crate) fn id(&self, name: &str) -> Option<i64> {
        self.ids.get(name).copied()
    }

    /// The `meta.lastModified` row for a resource modified at `at` (RFC
    /// 3339): `(index id, key)`, if that index is maintained.
    pub(crate) fn last_modified_row(&self, at: &str) -> Option<(i64, Vec<u8>)> {
        let (id, def) = self.last_modified.as_ref()?;
        Some((*id, def.key_of(&Value::String(at.to_owned()))?.encoded()))
    }

    /// The index rows of a resource as read back (`json` as
    /// [`super::document::assemble`] returns it, with Group `members`):
    /// `(index id, key)`, sorted and without duplicates. Indexes the store
    /// does not maintain (declared after start-up) get none.
    pub(crate) fn rows(&self, schema: &ResourceSchema, json: &JsonObject) -> Vec<(i64, Vec<u8>)> {
        let defs = schema.indexes();
        let mut rows: Vec<(i64, Vec<u8>)> = index::entries(schema, json)
            .into_iter()
            .filter_map(|e| {
                let id = self.id(defs.get(e.index)?.name())?;
                Some((id, e.key.encoded()))
            })
            .collect();
        rows.sort();
        rows.dedup();
        rows
    }

    /// The rows of the index `index_id` only (for backfilling one index).
    pub(crate) fn rows_of(
        &self,
        schema: &ResourceSchema,
        json: &JsonObject,
        index_id: i64,
    ) -> Vec<(i64, Vec<u8>)> {
        let mut rows = self.rows(schema, json);
        rows.retain(|(i, _)| *i == index_id);
        rows
    }
}

/// The maintained indexes of both resource types, with the schemas they
/// were declared in.
#[derive(Clone, Debug, Default)]
pub(crate) struct Indexes {
    /// Users.
    pub(crate) hosts: Maintained,
    /// Groups.
    pub(crate) groups: Maintained,
    /// The registry's User schema.
    pub(crate) host_schema: Option<Arc<ResourceSchema>>,
    /// The registry's Group schema.
    pub(crate) group_schema: Option<Arc<ResourceSchema>>,
}

impl Indexes {
    /// The same, with (or without) trigram indexes for `co` and `ew`.
    pub(crate) fn with_trigram(mut self, on: bool) -> Self {
        self.hosts.trigram = on;
        self.groups.trigram = on;
        self
    }

    /// The indexes of `kind`.
    pub(crate) fn of(&self, kind: Kind) -> &Maintained {
        match kind {
            Kind::Host => &self.hosts,
            Kind::HostGroup => &self.groups,
        }
    }

    /// The registry's schema of `kind`.
    pub(crate) fn schema(&self, kind: Kind) -> Option<&Arc<ResourceSchema>> {
        match kind {
            Kind::Host => self.host_schema.as_ref(),
            Kind::HostGroup => self.group_schema.as_ref(),
        }
    }

    /// Builds the maintained sets from the rows of `index_names` (after
    /// the start-up sync): `(id, type, name)`.
    pub(crate) fn new(registry: &Registry, stored: &[(i64, String, String)]) -> Self {
        let mut out = Self {
            host_schema: registry.resource_type(Kind::Host.type_name()).cloned(),
            group_schema: registry.resource_type(Kind::HostGroup.type_name()).cloned(),
            ..Self::default()
        };
        for declared in Declared::of(registry) {
            let m = match declared.kind {
                Kind::Host => &mut out.hosts,
                Kind::HostGroup => &mut out.groups,
            };
            m.members = declared.members;
            for (id, kind_name, name) in stored {
                if kind_name == declared.kind.type_name() && declared.names.contains(name) {
                    m.ids.insert(name.clone(), *id);
                    if name == "meta.lastModified" {
                        m.last_modified = declared
                            .schema
                            .indexes()
                            .iter()
                            .find(|d| d.name() == name)
                            .map(|d| (*id, d.clone()));
                    }
                }
            }
        }
        out
    }
}

impl Kind {
    /// The resource type's name, as stored in `index_names.type`.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Kind::Host => "User",
            Kind::HostGroup => "Group",
        }
    }

    /// The table of the resource type.
    fn table(self) -> &'static str {
        match self {
            Kind::Host => "hosts",
            Kind::HostGroup => "host_groups",
        }
    }

    /// The index-row table and its id column.
    pub(crate) fn keys_table(self) -> (&'static str, &'static str) {
        match self {
            Kind::Host => ("host_keys", "host_id"),
            Kind::HostGroup => ("group_keys", "group_id"),
        }
    }
}

/// The indexes a registry declares for one stored resource type.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    /// The table.
    pub(crate) kind: Kind,
    /// The registry's schema.
    pub(crate) schema: Arc<ResourceSchema>,
    /// The names that get index rows.
    pub(crate) names: Vec<String>,
    /// Whether `members.value` is declared.
    pub(crate) members: bool,
}

impl Declared {
    /// The declared indexes of `User` and `Group`. Group `members` and
    /// User `groups` live in `memberships`, not in the documents: only
    /// `members.value` is served (from `memberships`); other indexes on
    /// them are left out, so filters on them scan.
    pub(crate) fn of(registry: &Registry) -> Vec<Self> {
        let mut out = Vec::new();
        for kind in [Kind::Host, Kind::HostGroup] {
            let Some(schema) = registry.resource_type(kind.type_name()) else {
                continue;
            };
            let computed = match kind {
                Kind::Host => key::GROUPS,
                Kind::HostGroup => key::MEMBERS,
            };
            let mut members = false;
            let mut names = Vec::new();
            for def in schema.indexes() {
                let name = def.name();
                if kind == Kind::HostGroup && name == MEMBERS_VALUE {
                    members = true;
                } else if !on_attribute(name, computed) {
                    names.push(name.to_owned());
                }
            }
            out.push(Self {
                kind,
                schema: schema.clone(),
                names,
                members,
            });
        }
        out
    }
}

/// Whether an index name is on the core attribute `attr` (`members`,
/// `members.value`, `members[type eq "User"].value`).
fn on_attribute(name: &str, attr: &str) -> bool {
    name.get(..attr.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(attr))
        && matches!(name.as_bytes().get(attr.len()), None | Some(b'.' | b'['))
}

/// The text of an encoded text key ([`Key::text`]); `None` for other
/// kinds.
pub(crate) fn text_of(key: &[u8]) -> Option<&str> {
    match key.split_first() {
        Some((tag, rest)) if *tag == Key::EMPTY_TEXT_ENCODED[0] => std::str::from_utf8(rest).ok(),
        _ => None,
    }
}

/// The cut key and the whole key PostgreSQL stores for `key`.
pub(crate) fn pg_key(key: &[u8]) -> (&[u8], Option<&[u8]>) {
    if key.len() > PG_KEY_LIMIT {
        (&key[..PG_KEY_LIMIT], Some(key))
    } else {
        (key, None)
    }
}

/// The JSON whose index rows are stored: the resource as reads return it
/// (`meta.lastModified` from its column, as `assemble` sets it).
pub(crate) fn read_view(json: &JsonObject, last_modified: &str) -> JsonObject {
    let mut view = json.clone();
    if let Some(Value::Object(meta)) = view.get_mut(key::META) {
        meta.insert(
            key::LAST_MODIFIED.to_owned(),
            Value::String(last_modified.to_owned()),
        );
    }
    view
}

/// How a filtered query reads; see the module docs.
///
/// # Errors
///
/// [`StoreError::InvalidQuery`] when the evaluator would refuse the filter.
pub(crate) fn access(
    m: &Maintained,
    kind: Kind,
    schema: &ResourceSchema,
    filter: &Filter,
    query: &ListQuery,
    dialect: Dialect,
) -> Result<Access, StoreError> {
    let plan = index::plan(schema, filter).map_err(StoreError::invalid_query)?;
    let scan = || Access::Scan {
        unindexed: plan.unindexed().to_vec(),
    };
    if *plan.root() == Node::All {
        return Ok(scan());
    }
    let mut r = Renderer {
        dialect,
        kind,
        schema,
        m,
        params: Vec::new(),
    };
    let Some(sql) = r.set(plan.root()) else {
        return Ok(scan());
    };
    let set = IdSet {
        sql,
        params: r.params,
    };
    let mut unindexed = plan.unindexed().to_vec();
    if plan.is_exact() {
        if let Some(walk) = walk::plan(m, schema, query, Some(set.clone()))? {
            return Ok(Access::Walk(walk));
        }
        // Only the sort keeps it from being a walk.
        unindexed.extend(query.sort.as_ref().map(|s| s.by.to_string()));
    }
    Ok(Access::Candidates { set, unindexed })
}

/// The `400 tooMany` for a filter no index narrows, in a tenant with more
/// than `budget` resources.
pub(crate) fn too_many(kind: Kind, unindexed: &[String], budget: u64) -> StoreError {
    let what = match kind {
        Kind::Host => "Users",
        Kind::HostGroup => "Groups",
    };
    let detail = if unindexed.is_empty() {
        format!(
            "this filter cannot be answered from an index, and there are more than {budget} \
             {what} to read; combine it with `and` and a comparison on an indexed attribute \
             such as id, externalId or displayName"
        )
    } else {
        format!(
            "the filter tests {} without an index, and there are more than {budget} {what} to \
             read; combine it with `and` and a comparison on an indexed attribute such as id, \
             externalId or displayName, or ask the operator to index {} (scim-core \
             RegistryBuilder::configure with AttributeSettings::indexed)",
            quoted(unindexed),
            quoted(unindexed),
        )
    };
    StoreError::invalid_query(scim_core::Error::too_many(detail))
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

mod render;
#[cfg(test)]
mod tests;
