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

mod def;
mod entry;
mod key;
mod plan;

pub use def::IndexDef;
pub(crate) use def::compile_value_filter;
pub use entry::{IndexEntry, entries};
pub use key::Key;
pub use plan::{KeyTest, Node, Plan, Predicate, plan, prefix_end};

#[cfg(test)]
mod tests;
