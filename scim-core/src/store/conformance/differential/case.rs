//! Running a case: store its resources, answer each query through the
//! store and through `evaluate`, and compare the answers.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::queries::{Kind, QuerySpec, Refs, random_change};
use super::resources::Spec;
use super::rng::Rng;
use crate::id::{ResourceId, Version};
use crate::list::{ListQuery, Page, QueryResult, Sort, SortOrder, evaluate};
use crate::project::Projection;
use crate::resource::{Meta, Resource, prepare_create};
use crate::schema::ResourceSchema;
use crate::store::conformance::{CREATED, Check, ENTERPRISE, time_at, with_schemas};
use crate::store::{StoreError, TenantId};
use crate::tolerance::{Context, Policy};

/// One case: resources to store, queries to compare.
pub(super) struct Case {
    pub(super) users: Vec<Spec>,
    pub(super) groups: Vec<Spec>,
    /// Writes after the creates, in order, each a JSON object:
    /// `{"replace": "u1", "with": {"body": …, "lastModified": …}}`,
    /// `{"delete": "g0"}`, or
    /// `{"members": "g0", "add": ["{u1}"], "remove": ["{u0}"], "lastModified": …}`.
    /// They exercise what a store maintains on write (index rows,
    /// memberships, computed `groups`).
    pub(super) changes: Vec<Value>,
    pub(super) queries: Vec<QuerySpec>,
}

impl Case {
    pub(super) fn random(rng: &mut Rng) -> Self {
        let n_users = 1 + rng.below(6);
        let users: Vec<Spec> = (0..n_users).map(|i| Spec::random_user(rng, i)).collect();
        let n_groups = rng.below(4);
        let groups: Vec<Spec> = (0..n_groups)
            .map(|i| Spec::random_group(rng, n_users, i))
            .collect();
        let mut changes = Vec::new();
        if rng.chance(1, 2) {
            for _ in 0..1 + rng.below(3) {
                changes.push(random_change(rng, &users, n_groups));
            }
        }
        let mut refs = Refs::new(&users, &groups);
        for change in &changes {
            if let Some(with) = change.get("with").and_then(|w| w.get("body")) {
                refs.add_strings(with);
            }
        }
        let mut queries = Vec::new();
        for _ in 0..5 {
            queries.push(QuerySpec::random(rng, Kind::User, &refs));
        }
        if n_groups > 0 {
            for _ in 0..2 {
                queries.push(QuerySpec::random(rng, Kind::Group, &refs));
            }
        }
        Self {
            users,
            groups,
            changes,
            queries,
        }
    }

    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let list = |key: &str| -> Result<Vec<Value>, String> {
            Ok(v.get(key)
                .map(|l| {
                    l.as_array()
                        .cloned()
                        .ok_or(format!("{key} must be an array"))
                })
                .transpose()?
                .unwrap_or_default())
        };
        Ok(Self {
            users: list("users")?
                .iter()
                .map(Spec::from_json)
                .collect::<Result<_, _>>()?,
            groups: list("groups")?
                .iter()
                .map(Spec::from_json)
                .collect::<Result<_, _>>()?,
            changes: list("changes")?,
            queries: list("queries")?
                .iter()
                .map(QuerySpec::from_json)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The case as a `REGRESSIONS` entry, with only `query`: one line per
    /// resource.
    pub(super) fn regression(&self, query: &QuerySpec) -> String {
        let list = |items: Vec<Value>| {
            let lines: Vec<String> = items.iter().map(|v| format!("    {v}")).collect();
            if lines.is_empty() {
                "[]".to_owned()
            } else {
                format!("[\n{}\n  ]", lines.join(",\n"))
            }
        };
        format!(
            "{{\n  \"users\": {},\n  \"groups\": {},\n  \"changes\": {},\n  \"queries\": [\n    {}\n  ]\n}}",
            list(self.users.iter().map(Spec::to_json).collect()),
            list(self.groups.iter().map(Spec::to_json).collect()),
            list(self.changes.clone()),
            query.to_json()
        )
    }

    /// Stores the case in a fresh tenant and compares every query.
    /// Runs the case; returns how many resources it stored.
    pub(super) async fn run(&self, cx: &Check<'_>, label: &str, origin: &str) -> usize {
        let t = cx.tenant(label);
        let mut stored = Stored {
            tenant: t,
            placeholders: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
        };
        let mut user_ids = Vec::new();
        for (i, spec) in self.users.iter().enumerate() {
            let id = stored.create(cx, &cx.users, spec, &format!("u{i}")).await;
            user_ids.push(id);
        }
        let mut group_ids = Vec::new();
        for (i, spec) in self.groups.iter().enumerate() {
            let id = stored.create(cx, &cx.groups, spec, &format!("g{i}")).await;
            group_ids.push(id);
        }
        for change in &self.changes {
            stored.apply(cx, change, &user_ids, &group_ids).await;
        }
        for id in user_ids.iter().flatten() {
            if let Some(got) = cx.get(&stored.tenant, &cx.users, id).await {
                stored.users.push(got);
            }
        }
        for id in group_ids.iter().flatten() {
            if let Some(got) = cx.get(&stored.tenant, &cx.groups, id).await {
                stored.groups.push(got);
            }
        }
        for query in &self.queries {
            if let Err(problem) = stored.agree(cx, query).await {
                let problem = stored.hide_ids(&problem);
                let mut message = format!(
                    "{origin}: {} query {}: {problem}\n",
                    query.kind.name(),
                    query.to_json()
                );
                let _ = write!(
                    message,
                    "the resources as get returns them:\n{}\n",
                    stored.shown(query.kind)
                );
                let _ = write!(
                    message,
                    "as a REGRESSIONS entry (scim-core/src/store/conformance/differential.rs):\n{}",
                    self.regression(query)
                );
                cx.fail(message);
            }
        }
        stored.users.len() + stored.groups.len()
    }
}

/// A case as stored.
struct Stored {
    pub(super) tenant: TenantId,
    /// `{u0}`, `{U0}`… and the ids (upper-cased for `{U0}`).
    pub(super) placeholders: Vec<(String, String)>,
    /// As `get` returns them.
    pub(super) users: Vec<Resource>,
    pub(super) groups: Vec<Resource>,
}

impl Stored {
    fn expand(&self, text: &str) -> String {
        self.placeholders
            .iter()
            .fold(text.to_owned(), |acc, (key, value)| acc.replace(key, value))
    }

    fn expand_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.expand(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.expand_json(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.expand_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The body with placeholders expanded, and references to resources
    /// that were not stored (members, manager) left out.
    pub(super) fn body(&self, spec: &Spec) -> Value {
        let mut body = self.expand_json(&spec.body);
        let unresolved = |v: &Value| {
            v.get("value")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with('{'))
        };
        if let Some(members) = body.get_mut("members").and_then(Value::as_array_mut) {
            members.retain(|m| !unresolved(m));
        }
        if let Some(obj) = body.as_object_mut() {
            for (key, ext) in obj.iter_mut() {
                if key.eq_ignore_ascii_case(ENTERPRISE) {
                    if let Some(ext) = ext.as_object_mut() {
                        if ext.get("manager").is_some_and(unresolved) {
                            ext.remove("manager");
                        }
                    }
                }
            }
        }
        body
    }

    /// Creates one resource; its id becomes `{key}`. When it collides with
    /// an earlier one (`userName` variants differing only in case), its
    /// unique attributes get the suffix `.key` and it is tried once more.
    /// A resource the schema refuses, or that still collides, is skipped:
    /// `None`, and references to it are left out of later bodies.
    pub(super) async fn create(
        &mut self,
        cx: &Check<'_>,
        schema: &ResourceSchema,
        spec: &Spec,
        key: &str,
    ) -> Option<ResourceId> {
        let mut body = self.body(spec);
        for attempt in 0..2 {
            if attempt == 1 {
                let obj = body.as_object_mut()?;
                for (name, value) in obj.iter_mut() {
                    let unique = ["userName", "displayName", "externalId"]
                        .iter()
                        .any(|u| u.eq_ignore_ascii_case(name));
                    if let (true, Some(text)) = (unique, value.as_str()) {
                        *value = json!(format!("{text}.{key}"));
                    }
                }
            }
            let prepared = prepare_create(
                schema,
                with_schemas(schema, body.clone()),
                &mut Context::new(Policy::entra_id()),
            )
            .ok()?;
            let id = ResourceId::generate();
            let mut meta = Meta::new(
                schema.name(),
                time_at(&spec.created),
                Version::from_revision(1),
            );
            meta.last_modified = time_at(&spec.last_modified);
            let resource = Resource::new(id.clone(), prepared, &meta);
            match cx.store.create(&self.tenant, schema, resource).await {
                Ok(_) => {
                    self.placeholders
                        .push((format!("{{{key}}}"), id.to_string()));
                    self.placeholders.push((
                        format!("{{{}}}", key.to_uppercase()),
                        id.to_string().to_uppercase(),
                    ));
                    return Some(id);
                }
                Err(StoreError::Conflict(_)) => {}
                Err(e) => cx.fail(format_args!(
                    "creating {} {key} in tenant {}: {e:?}",
                    schema.name(),
                    self.tenant
                )),
            }
        }
        None
    }

    /// Applies one change; a change naming a resource that was not stored
    /// or is gone, or that collides with another resource, is skipped.
    async fn apply(
        &self,
        cx: &Check<'_>,
        change: &Value,
        users: &[Option<ResourceId>],
        groups: &[Option<ResourceId>],
    ) {
        let target = |key: &str| -> Option<(&ResourceSchema, ResourceId)> {
            let name = change.get(key)?.as_str()?;
            let (schema, list) = match name.as_bytes().first()? {
                b'u' => (&*cx.users, users),
                b'g' => (&*cx.groups, groups),
                _ => return None,
            };
            let id = list.get(name[1..].parse::<usize>().ok()?)?.clone()?;
            Some((schema, id))
        };
        let at = |c: &Value| {
            time_at(
                c.get("lastModified")
                    .and_then(Value::as_str)
                    .unwrap_or(CREATED),
            )
        };
        let t = &self.tenant;
        if let Some((schema, id)) = target("replace") {
            let Some(old) = cx.get(t, schema, &id).await else {
                return;
            };
            let with = change.get("with").cloned().unwrap_or_default();
            let body = self.body(&Spec {
                body: with.get("body").cloned().unwrap_or_default(),
                created: String::new(),
                last_modified: String::new(),
            });
            let Ok(prepared) = prepare_create(
                schema,
                with_schemas(schema, body),
                &mut Context::new(Policy::entra_id()),
            ) else {
                return;
            };
            let created = old.meta().map_or(time_at(CREATED), |m| m.created);
            let mut meta = Meta::new(schema.name(), created, old.version().clone());
            meta.last_modified = at(&with);
            let resource = Resource::new(id.clone(), prepared, &meta);
            match cx.store.replace(t, schema, resource, old.version()).await {
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => cx.fail(format_args!("replacing {change} in tenant {t}: {e:?}")),
            }
        } else if let Some((schema, id)) = target("delete") {
            match cx.store.delete(t, schema, &id, None).await {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => cx.fail(format_args!("{change} in tenant {t}: {e:?}")),
            }
        } else if let Some((schema, id)) = target("members") {
            let ids = |key: &str| -> Vec<String> {
                change
                    .get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|v| self.expand(v))
                    .filter(|v| !v.starts_with('{'))
                    .collect()
            };
            let delta = crate::store::MemberDelta {
                add: ids("add").iter().map(|v| json!({"value": v})).collect(),
                remove: ids("remove"),
                remove_all: false,
            };
            match cx
                .store
                .modify_members(t, schema, &id, &delta, None, at(change))
                .await
            {
                Ok(_) | Err(StoreError::NotFound | StoreError::InvalidReference(_)) => {}
                Err(e) => cx.fail(format_args!("{change} in tenant {t}: {e:?}")),
            }
        }
    }

    /// The stored resources of `kind`, ids replaced by placeholders.
    fn shown(&self, kind: Kind) -> String {
        let list = match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        };
        let mut out = String::new();
        for r in list {
            out.push_str(&self.hide_ids(&Value::Object(r.json().clone()).to_string()));
            out.push('\n');
        }
        out
    }

    /// `text` with the stored ids replaced by their placeholders.
    fn hide_ids(&self, text: &str) -> String {
        self.placeholders
            .iter()
            .fold(text.to_owned(), |acc, (key, value)| {
                acc.replace(value.as_str(), key)
            })
    }

    /// Runs the query both ways; `Err` says how they differ.
    pub(super) async fn agree(&self, cx: &Check<'_>, spec: &QuerySpec) -> Result<(), String> {
        let (schema, snapshot) = match spec.kind {
            Kind::User => (&*cx.users, &self.users),
            Kind::Group => (&*cx.groups, &self.groups),
        };
        let page = match spec.start_index {
            Some(start_index) => Page::Index {
                start_index,
                count: spec.count,
            },
            None => Page::Cursor {
                cursor: None,
                count: spec.count,
            },
        };
        let mut q = ListQuery::new(page);
        if let Some(text) = &spec.filter {
            let text = self.expand(text);
            match text.parse() {
                Ok(filter) => q.filter = Some(filter),
                // Not a filter of this grammar: nothing to compare.
                Err(_) => return Ok(()),
            }
        }
        if let Some(by) = &spec.sort_by {
            let order = if spec.descending {
                SortOrder::Descending
            } else {
                SortOrder::Ascending
            };
            // An unsortable attribute is refused before any store is asked.
            let sort = by
                .parse()
                .ok()
                .and_then(|by| Sort::new(schema, by, order).ok());
            q.sort = sort;
        }
        let attributes = spec.attributes.as_deref();
        let excluded = spec.excluded.as_deref();
        // Both lists are never generated; a refused projection is refused
        // before any store is asked.
        q.projection = Projection::parse(schema, attributes, excluded).unwrap_or_default();
        let expected = evaluate(schema, snapshot, &q);
        let actual = cx.store.query(&self.tenant, schema, &q).await;
        compare(
            schema,
            &q.projection,
            expected,
            actual,
            spec.start_index.is_none(),
        )
    }
}

/// Compares the evaluator's answer with the store's.
/// With a projection, the store may leave out what it excludes, so the
/// JSON is compared after applying it to both.
pub(super) fn compare(
    schema: &ResourceSchema,
    projection: &Projection,
    expected: Result<QueryResult, crate::Error>,
    actual: Result<QueryResult, StoreError>,
    cursor: bool,
) -> Result<(), String> {
    let ids = |r: &QueryResult| {
        r.resources
            .iter()
            .map(|r| r.id().to_string())
            .collect::<Vec<_>>()
    };
    match (expected, actual) {
        (Ok(expected), Ok(actual)) => {
            if ids(&actual) != ids(&expected) {
                return Err(format!(
                    "the ids (in order)\n   store: {:?}\nevaluate: {:?}",
                    ids(&actual),
                    ids(&expected)
                ));
            }
            if actual.total_results != expected.total_results {
                return Err(format!(
                    "totalResults\n   store: {}\nevaluate: {}",
                    actual.total_results, expected.total_results
                ));
            }
            if cursor && actual.next_cursor.is_some() != expected.next_cursor.is_some() {
                return Err(format!(
                    "whether there is a next cursor\n   store: {:?}\nevaluate: {:?}",
                    actual.next_cursor, expected.next_cursor
                ));
            }
            let shown = |r: &Resource| {
                let mut json = r.json().clone();
                if *projection != Projection::all() {
                    projection.apply(schema, &mut json);
                }
                Value::Object(json)
            };
            for (a, e) in actual.resources.iter().zip(&expected.resources) {
                let (a_json, e_json) = (shown(a), shown(e));
                if a_json != e_json {
                    return Err(format!(
                        "{} must be returned as get returns it (projected)\n   store: {a_json}\n     get: {e_json}",
                        a.id(),
                    ));
                }
            }
            Ok(())
        }
        (Err(expected), Err(StoreError::InvalidQuery(actual))) => {
            if (expected.status(), expected.scim_type())
                == (http::StatusCode::BAD_REQUEST, Some(actual.scim_type()))
            {
                Ok(())
            } else {
                Err(format!(
                    "both refuse the query, differently\n   store: {actual:?}\nevaluate: {expected:?}"
                ))
            }
        }
        (Ok(expected), Err(StoreError::InvalidQuery(e)))
            if e.scim_type() == crate::error::ScimType::TooMany =>
        {
            Err(format!(
                "the store refuses with tooMany ({e}) in a tenant of a few resources, where evaluate answers {:?}",
                ids(&expected)
            ))
        }
        (Ok(expected), Err(e)) => Err(format!(
            "the store fails ({e:?}) where evaluate answers {:?}",
            ids(&expected)
        )),
        (Err(e), Ok(actual)) => Err(format!(
            "the store answers {:?} where evaluate refuses the query ({e:?})",
            ids(&actual)
        )),
        (Err(expected), Err(e)) => Err(format!(
            "the store fails ({e:?}) where evaluate refuses the query as invalid ({expected:?})"
        )),
    }
}
