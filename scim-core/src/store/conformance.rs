//! The conformance suite: checks that a [`ResourceStore`] keeps the
//! [store contract](super). Every store runs it from its own tests.
//!
//! Each check asks the factory for a fresh store, so a SQL store can give
//! each check a fresh schema or database. It works in tenants whose ids are
//! unique to that run of that check (`conformance-<check>-<uuid>-<label>`),
//! so it also works against a store that still holds data. Query results
//! are compared with [`crate::list::evaluate`] over the resources as the
//! store's own `get` returns them: the same ids in the same order, the
//! same `totalResults`, the same JSON.
//!
//! A failing check panics with a message that starts
//! ``store conformance check `name` failed:``.
//! [`Suite::run_all`] runs every check, even after one fails, and then
//! panics with a list of all the failures.
//!
//! # Running it
//!
//! The suite needs no particular async runtime. Run it from a test:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use scim_core::store::memory::MemoryStore;
//! use scim_core::store::{ResourceStore, conformance};
//!
//! #[tokio::test]
//! async fn conformance() {
//!     conformance::run(|| async { Arc::new(MemoryStore::new()) as Arc<dyn ResourceStore> }).await;
//! }
//! # fn main() {}
//! ```
//!
//! The concurrency checks start several store calls at once, to test the
//! atomic uniqueness, compare-and-swap and membership guarantees. By
//! default they are polled together in the current task. That interleaves
//! them at every `.await` inside the store, but never runs two at the same
//! instant. To get real parallelism, give the suite a way to spawn tasks
//! onto your runtime. It waits for them without depending on that runtime:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use scim_core::store::memory::MemoryStore;
//! use scim_core::store::{ResourceStore, conformance::Suite};
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
//! async fn conformance() {
//!     let suite = Suite::new(|| async { Arc::new(MemoryStore::new()) as Arc<dyn ResourceStore> })
//!         .with_spawner(|task| {
//!             tokio::spawn(task);
//!         });
//!     // One check while you work on it…
//!     suite.uniqueness().await;
//!     // …and all of them.
//!     suite.run_all().await;
//! }
//! # fn main() {}
//! ```

// Test code: a failed expectation panics, with the check's name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::any::Any;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};

use serde_json::{Value, json};

use super::{MemberDelta, ResourceStore, StoreError, TenantId};
use crate::filter::Filter;
use crate::id::{ResourceId, Version};
use crate::list::{ListQuery, Page, QueryResult, Sort, SortOrder, evaluate};
use crate::project::Projection;
use crate::resource::{Meta, Resource, prepare_create};
use crate::schema::{Registry, ResourceSchema};
use crate::tolerance::{Context, Policy};

/// A unit of work the suite asks a spawner to run (see
/// [`Suite::with_spawner`]).
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs every check against stores made by `factory`. Same as
/// `Suite::new(factory).run_all().await`.
///
/// # Panics
///
/// If any check fails; the message lists every failed check.
pub async fn run<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ResourceStore>>,
{
    Suite::new(factory).run_all().await;
}

/// The conformance suite for stores made by a factory: one public method
/// per check, and [`Suite::run_all`].
///
/// Every check uses the standard User and Group resource types
/// ([`Registry::standard`]).
pub struct Suite<F> {
    factory: F,
    spawner: Option<Spawner>,
    users: Arc<ResourceSchema>,
    groups: Arc<ResourceSchema>,
}

type Spawner = Arc<dyn Fn(Task) + Send + Sync>;

/// A boxed future that can be spawned.
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<F> fmt::Debug for Suite<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Suite")
            .field("spawner", &self.spawner.is_some())
            .finish_non_exhaustive()
    }
}

/// Panics with the check's name unless the condition holds.
macro_rules! ensure {
    ($cx:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            $cx.fail(format_args!($($msg)+))
        }
    };
}

/// Panics with the check's name and both values unless they are equal.
macro_rules! ensure_eq {
    ($cx:expr, $left:expr, $right:expr, $($msg:tt)+) => {
        match (&$left, &$right) {
            (left, right) => {
                if left != right {
                    $cx.fail(format_args!(
                        "{}\n   store: {:?}\nexpected: {:?}",
                        format_args!($($msg)+),
                        left,
                        right
                    ))
                }
            }
        }
    };
}

/// Runs checks one after another, each in `catch`, collecting failures.
macro_rules! run_checks {
    ($suite:expr, $failures:expr, $total:expr; $($check:ident),+ $(,)?) => {
        $(
            $total += 1;
            if let Err(message) = catch($suite.$check()).await {
                $failures.push(format!("`{}`: {message}", stringify!($check)));
            }
        )+
    };
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CREATED: &str = "2024-01-01T00:00:00Z";

impl<F, Fut> Suite<F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ResourceStore>>,
{
    /// A suite whose checks each get a fresh store from `factory`.
    pub fn new(factory: F) -> Self {
        let registry = Registry::standard();
        Self {
            factory,
            spawner: None,
            users: Arc::clone(
                registry
                    .resource_type("User")
                    .expect("standard registry has User"),
            ),
            groups: Arc::clone(
                registry
                    .resource_type("Group")
                    .expect("standard registry has Group"),
            ),
        }
    }

    /// Runs the concurrent store calls of the concurrency checks as
    /// separate tasks: `spawn` must run each task to completion, for
    /// instance `|task| { tokio::spawn(task); }`. Without a spawner they are
    /// polled together in the calling task.
    #[must_use]
    pub fn with_spawner(mut self, spawn: impl Fn(Task) + Send + Sync + 'static) -> Self {
        self.spawner = Some(Arc::new(spawn));
        self
    }

    /// Runs every check. A failure does not stop the others.
    ///
    /// # Panics
    ///
    /// If any check fails; the message lists every failed check.
    pub async fn run_all(&self) {
        let mut failures: Vec<String> = Vec::new();
        let mut total = 0;
        run_checks!(self, failures, total;
            crud_round_trip,
            versions_change_on_every_write,
            stale_versions_are_refused,
            missing_resources,
            uniqueness,
            uniqueness_under_concurrency,
            compare_and_swap_under_concurrency,
            tenant_isolation,
            filters_agree_with_evaluate,
            sorting_agrees_with_evaluate,
            index_paging,
            cursor_paging,
            membership,
            membership_under_concurrency,
            large_group,
        );
        if !failures.is_empty() {
            panic!(
                "{} of {total} store conformance checks failed:\n\n{}",
                failures.len(),
                failures.join("\n\n")
            );
        }
    }

    async fn check(&self, name: &'static str) -> Check<'_> {
        Check {
            name,
            store: (self.factory)().await,
            users: Arc::clone(&self.users),
            groups: Arc::clone(&self.groups),
            run: ResourceId::generate().to_string(),
            spawner: self.spawner.as_ref(),
        }
    }

    /// Create, get, query, replace and delete keep every attribute,
    /// including unknown attributes and extensions, exactly as given.
    pub async fn crud_round_trip(&self) {
        let cx = self.check("crud_round_trip").await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let t = cx.tenant("a");
        let input = cx.user(json!({
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen", "honorificSuffix": "III"},
            "title": "Tour Guide",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"},
            ],
            ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations"},
            "favouriteColour": "blue",
            "sshKeys": ["ssh-ed25519 AAAA", "ssh-rsa BBBB"],
            "urn:example:params:scim:schemas:extension:custom:1.0:Thing": {
                "a": 1, "b": [true, 2.5, "x"], "c": {"d": "e"},
            },
        }));
        let created = cx.create(&t, users, input.clone()).await;
        ensure_eq!(
            cx,
            created.id(),
            input.id(),
            "create must keep the id it is given"
        );
        ensure_eq!(
            cx,
            created
                .json()
                .get("meta")
                .and_then(|m| m.get("version"))
                .and_then(Value::as_str),
            Some(created.version().as_str()),
            "meta.version must be the resource's version"
        );
        for (key, value) in input.json() {
            if key != "meta" {
                ensure_eq!(
                    cx,
                    created.get(key),
                    Some(value),
                    "create must keep {key:?}"
                );
            }
        }
        let (before, after) = (input.meta(), created.meta());
        ensure_eq!(
            cx,
            (&after.resource_type, &after.created, &after.last_modified),
            (
                &before.resource_type,
                &before.created,
                &before.last_modified
            ),
            "create must keep meta.resourceType, meta.created and meta.lastModified"
        );
        let got = cx.must_get(&t, users, created.id(), "the new user").await;
        ensure_eq!(cx, got, created, "get must return what create returned");
        let all = cx
            .query(
                &t,
                users,
                &ListQuery::new(Page::Index {
                    start_index: 1,
                    count: 10,
                }),
            )
            .await;
        ensure_eq!(
            cx,
            all.total_results,
            1,
            "an unfiltered query must count the one user"
        );
        ensure_eq!(
            cx,
            all.resources,
            vec![got.clone()],
            "a query must return the user as get does"
        );

        let update = cx.replacement(
            users,
            &got,
            json!({
                "userName": "bjensen",
                "name": {"givenName": "Babs"},
                "favouriteColour": "green",
                "urn:example:params:scim:schemas:extension:custom:1.0:Thing": {"z": "new"},
            }),
            "2024-02-01T00:00:00Z",
        );
        let replaced = cx.ok(
            cx.store
                .replace(&t, users, update.clone(), got.version())
                .await,
            "replacing the user",
        );
        for (key, value) in update.json() {
            if key != "meta" {
                ensure_eq!(
                    cx,
                    replaced.get(key),
                    Some(value),
                    "replace must store {key:?} as given"
                );
            }
        }
        for gone in ["title", "emails", "active", "sshKeys", ENTERPRISE] {
            ensure!(
                cx,
                replaced.get(gone).is_none(),
                "replace must drop {gone:?}, which the new representation leaves out"
            );
        }
        ensure_eq!(
            cx,
            replaced.meta().last_modified,
            "2024-02-01T00:00:00Z",
            "replace must store meta.lastModified as given"
        );
        ensure_eq!(
            cx,
            cx.must_get(&t, users, got.id(), "the replaced user").await,
            replaced,
            "get must return what replace returned"
        );

        let group_in = cx.resource(
            groups,
            json!({
                "displayName": "Tour Guides",
                "externalId": "tg-1",
                "members": [{"value": got.id().as_str(), "display": "Babs", "type": "User"}],
                "custom": {"x": [1, 2]},
            }),
            CREATED,
        );
        let group = cx.create(&t, groups, group_in.clone()).await;
        for (key, value) in group_in.json() {
            if key != "meta" {
                ensure_eq!(
                    cx,
                    group.get(key),
                    Some(value),
                    "create must keep the group's {key:?}"
                );
            }
        }
        ensure_eq!(
            cx,
            cx.must_get(&t, groups, group.id(), "the new group").await,
            group,
            "get must return what create returned for a group"
        );

        cx.ok(
            cx.store.delete(&t, users, got.id(), None).await,
            "deleting the user",
        );
        ensure!(
            cx,
            cx.get(&t, users, got.id()).await.is_none(),
            "a deleted user must be gone"
        );
        let all = cx
            .query(
                &t,
                users,
                &ListQuery::new(Page::Index {
                    start_index: 1,
                    count: 10,
                }),
            )
            .await;
        ensure_eq!(
            cx,
            all.total_results,
            0,
            "a deleted user must not be listed"
        );
        let group = cx.must_get(&t, groups, group.id(), "the group").await;
        cx.ok(
            cx.store
                .delete(&t, groups, group.id(), Some(group.version()))
                .await,
            "deleting the group at its current version",
        );
        ensure!(
            cx,
            cx.get(&t, groups, group.id()).await.is_none(),
            "a deleted group must be gone"
        );
    }

    /// Every write gives the resource a version it has not had before, and
    /// `get` reports it, in the resource and in `meta.version`.
    pub async fn versions_change_on_every_write(&self) {
        let cx = self.check("versions_change_on_every_write").await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let t = cx.tenant("a");
        let mut current = cx.create_user(&t, "versions").await;
        let mut seen: HashSet<Version> = HashSet::from([current.version().clone()]);
        cx.expect_version(&t, users, current.id(), current.version(), "after create")
            .await;
        for i in 0..3 {
            let update = cx.replacement(
                users,
                &current,
                json!({"userName": "versions", "title": format!("t{i}")}),
                CREATED,
            );
            current = cx.ok(
                cx.store.replace(&t, users, update, current.version()).await,
                "replacing",
            );
            ensure!(
                cx,
                seen.insert(current.version().clone()),
                "replace #{i} must give a new version, not {} again",
                current.version()
            );
            cx.expect_version(&t, users, current.id(), current.version(), "after replace")
                .await;
        }

        let other = cx.create_user(&t, "versions-2").await;
        let group = cx
            .create(&t, groups, cx.group("Versioned", &[current.id()]))
            .await;
        let mut seen: HashSet<Version> = HashSet::from([group.version().clone()]);
        let add = delta(vec![member(other.id(), None)], vec![]);
        let stamp = "2024-05-05T05:05:05Z";
        let v = cx.ok(
            cx.store
                .modify_members(&t, groups, group.id(), &add, None, stamp)
                .await,
            "adding a member",
        );
        ensure!(
            cx,
            seen.insert(v.clone()),
            "modify_members must give a new version, not {v} again"
        );
        cx.expect_version(&t, groups, group.id(), &v, "after modify_members")
            .await;
        let got = cx.must_get(&t, groups, group.id(), "the group").await;
        ensure_eq!(
            cx,
            got.meta().last_modified,
            stamp,
            "modify_members must set meta.lastModified"
        );
        let remove = delta(vec![], vec![other.id().to_string()]);
        let v = cx.ok(
            cx.store
                .modify_members(&t, groups, group.id(), &remove, Some(&v), stamp)
                .await,
            "removing a member at the current version",
        );
        ensure!(
            cx,
            seen.insert(v.clone()),
            "modify_members must give a new version, not {v} again"
        );
        cx.expect_version(&t, groups, group.id(), &v, "after modify_members")
            .await;

        cx.ok(
            cx.store.delete(&t, users, current.id(), None).await,
            "deleting a member",
        );
        let got = cx.must_get(&t, groups, group.id(), "the group").await;
        ensure!(
            cx,
            seen.insert(got.version().clone()),
            "deleting a member changes the group, so it needs a new version, not {} again",
            got.version()
        );
    }

    /// `replace`, `delete` and `modify_members` at a version that is not the
    /// current one fail with [`StoreError::VersionMismatch`] and change
    /// nothing.
    pub async fn stale_versions_are_refused(&self) {
        let cx = self.check("stale_versions_are_refused").await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let t = cx.tenant("a");
        let v1 = cx.create_user(&t, "stale").await;
        let update = cx.replacement(
            users,
            &v1,
            json!({"userName": "stale", "title": "second"}),
            CREATED,
        );
        let v2 = cx.ok(
            cx.store.replace(&t, users, update, v1.version()).await,
            "replacing at the current version",
        );
        let update = cx.replacement(
            users,
            &v1,
            json!({"userName": "stale", "title": "lost update"}),
            CREATED,
        );
        let r = cx.store.replace(&t, users, update, v1.version()).await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::VersionMismatch)),
            "replace at a stale version: {r:?}"
        );
        let bogus = Version::parse("W/\"no-such-version\"").expect("valid tag");
        let update = cx.replacement(
            users,
            &v1,
            json!({"userName": "stale", "title": "lost update"}),
            CREATED,
        );
        let r = cx.store.replace(&t, users, update, &bogus).await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::VersionMismatch)),
            "replace at an unknown version: {r:?}"
        );
        let r = cx
            .store
            .delete(&t, users, v1.id(), Some(v1.version()))
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::VersionMismatch)),
            "delete at a stale version: {r:?}"
        );
        ensure_eq!(
            cx,
            cx.must_get(&t, users, v1.id(), "the user").await,
            v2,
            "refused writes must change nothing"
        );

        let group = cx.create(&t, groups, cx.group("Stale", &[])).await;
        let add = delta(vec![member(v1.id(), None)], vec![]);
        let current = cx.ok(
            cx.store
                .modify_members(&t, groups, group.id(), &add, Some(group.version()), CREATED)
                .await,
            "modify_members at the current version",
        );
        let remove = delta(vec![], vec![v1.id().to_string()]);
        let r = cx
            .store
            .modify_members(
                &t,
                groups,
                group.id(),
                &remove,
                Some(group.version()),
                CREATED,
            )
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::VersionMismatch)),
            "modify_members at a stale version: {r:?}"
        );
        let got = cx.must_get(&t, groups, group.id(), "the group").await;
        ensure_eq!(
            cx,
            got.version(),
            &current,
            "a refused modify_members must not change the version"
        );
        ensure_eq!(
            cx,
            member_values(&got),
            vec![v1.id().to_string()],
            "a refused modify_members must not change members"
        );

        cx.ok(
            cx.store
                .delete(&t, users, v2.id(), Some(v2.version()))
                .await,
            "delete at the current version",
        );
        ensure!(
            cx,
            cx.get(&t, users, v2.id()).await.is_none(),
            "a deleted user must be gone"
        );
    }

    /// A missing id: `get` answers `None`; `replace`, `delete` and
    /// `modify_members` fail with [`StoreError::NotFound`], in a tenant
    /// that has never been used as in one that has. Resource types are
    /// separate: a User's id is not a Group's.
    pub async fn missing_resources(&self) {
        let cx = self.check("missing_resources").await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        for label in ["never-used", "used"] {
            let t = cx.tenant(label);
            let mut user = None;
            if label == "used" {
                user = Some(cx.create_user(&t, "present").await);
                cx.create(&t, groups, cx.group("Present", &[])).await;
            }
            let ghost = cx.user(json!({"userName": "ghost"}));
            let id = ghost.id().clone();
            ensure!(
                cx,
                cx.get(&t, users, &id).await.is_none(),
                "get of a missing id ({label} tenant)"
            );
            let r = cx
                .store
                .replace(&t, users, ghost.clone(), ghost.version())
                .await;
            ensure!(
                cx,
                matches!(r, Err(StoreError::NotFound)),
                "replace of a missing id ({label} tenant): {r:?}"
            );
            let r = cx.store.delete(&t, users, &id, None).await;
            ensure!(
                cx,
                matches!(r, Err(StoreError::NotFound)),
                "delete of a missing id ({label} tenant): {r:?}"
            );
            let r = cx.store.delete(&t, users, &id, Some(ghost.version())).await;
            ensure!(
                cx,
                matches!(r, Err(StoreError::NotFound)),
                "delete with a version of a missing id ({label} tenant): {r:?}"
            );
            let r = cx
                .store
                .modify_members(&t, groups, &id, &MemberDelta::default(), None, CREATED)
                .await;
            ensure!(
                cx,
                matches!(r, Err(StoreError::NotFound)),
                "modify_members of a missing group ({label} tenant): {r:?}"
            );
            if let Some(user) = user {
                ensure!(
                    cx,
                    cx.get(&t, groups, user.id()).await.is_none(),
                    "a User's id must not find anything among Groups"
                );
                let r = cx.store.delete(&t, groups, user.id(), None).await;
                ensure!(
                    cx,
                    matches!(r, Err(StoreError::NotFound)),
                    "deleting a User through Groups: {r:?}"
                );
                cx.ok(
                    cx.store.delete(&t, users, user.id(), None).await,
                    "deleting the user",
                );
                let r = cx.store.delete(&t, users, user.id(), None).await;
                ensure!(
                    cx,
                    matches!(r, Err(StoreError::NotFound)),
                    "deleting a deleted user: {r:?}"
                );
                let r = cx
                    .store
                    .replace(&t, users, user.clone(), user.version())
                    .await;
                ensure!(
                    cx,
                    matches!(r, Err(StoreError::NotFound)),
                    "replacing a deleted user: {r:?}"
                );
            } else {
                let all = cx
                    .query(
                        &t,
                        users,
                        &ListQuery::new(Page::Index {
                            start_index: 1,
                            count: 10,
                        }),
                    )
                    .await;
                ensure_eq!(
                    cx,
                    (all.total_results, all.resources.len()),
                    (0, 0),
                    "a new tenant has no users"
                );
            }
        }
    }

    /// `userName` is unique without regard to case, Unicode case included,
    /// on create and on replace, and a taken id is refused; the conflict
    /// names the attribute. A freed value can be used again.
    /// `displayName`, which the standard schema does not make unique, is
    /// not.
    pub async fn uniqueness(&self) {
        let cx = self.check("uniqueness").await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let t = cx.tenant("a");
        let bjensen = cx.create_user(&t, "bjensen").await;
        let alice = cx.create_user(&t, "alice").await;
        for taken in ["BJensen", "bjensen", "BJENSEN"] {
            let r = cx
                .store
                .create(&t, users, cx.user(json!({"userName": taken})))
                .await;
            match r {
                Err(StoreError::Conflict(message)) => ensure!(
                    cx,
                    message.to_lowercase().contains("username"),
                    "the conflict message must name the attribute: {message:?}"
                ),
                other => cx.fail(format_args!(
                    "creating {taken:?} after \"bjensen\" must conflict: {other:?}"
                )),
            }
        }
        cx.create_user(&t, "Émile").await;
        for taken in ["émile", "ÉMILE"] {
            let r = cx
                .store
                .create(&t, users, cx.user(json!({"userName": taken})))
                .await;
            ensure!(
                cx,
                matches!(r, Err(StoreError::Conflict(_))),
                "{taken:?} after \"Émile\" must conflict (Unicode case folding): {r:?}"
            );
        }
        let update = cx.replacement(users, &alice, json!({"userName": "BJENSEN"}), CREATED);
        let r = cx.store.replace(&t, users, update, alice.version()).await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::Conflict(_))),
            "renaming alice to \"BJENSEN\" must conflict: {r:?}"
        );
        ensure_eq!(
            cx,
            cx.must_get(&t, users, alice.id(), "alice").await,
            alice,
            "a refused replace must change nothing"
        );

        let update = cx.replacement(users, &bjensen, json!({"userName": "BJensen"}), CREATED);
        let bjensen = cx.ok(
            cx.store.replace(&t, users, update, bjensen.version()).await,
            "changing the case of one's own userName",
        );
        let update = cx.replacement(users, &bjensen, json!({"userName": "barbara"}), CREATED);
        cx.ok(
            cx.store.replace(&t, users, update, bjensen.version()).await,
            "renaming bjensen to barbara",
        );
        cx.create_user(&t, "bjensen").await;
        let r = cx
            .store
            .create(&t, users, cx.user(json!({"userName": "Barbara"})))
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::Conflict(_))),
            "\"Barbara\" after the rename must conflict: {r:?}"
        );
        cx.ok(
            cx.store.delete(&t, users, bjensen.id(), None).await,
            "deleting barbara",
        );
        cx.create_user(&t, "Barbara").await;

        let same_id = Resource::new(
            alice.id().clone(),
            prepare_create(
                users,
                json!({"userName": "someone-else"}),
                &mut Context::new(Policy::entra_id()),
            )
            .expect("valid user"),
            &Meta::new("User", CREATED, Version::from_revision(1)),
        );
        let r = cx.store.create(&t, users, same_id).await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::Conflict(_))),
            "creating a resource with a taken id: {r:?}"
        );

        cx.create(&t, groups, cx.group("Same Name", &[])).await;
        cx.create(&t, groups, cx.group("Same Name", &[])).await;
    }

    /// Sixteen concurrent creates of one `userName` (in different cases):
    /// exactly one succeeds, the others get [`StoreError::Conflict`]. The
    /// same for sixteen concurrent renames to one name.
    pub async fn uniqueness_under_concurrency(&self) {
        let cx = self.check("uniqueness_under_concurrency").await;
        let users = &cx.users;
        let t = cx.tenant("a");
        let tasks = (0..16)
            .map(|i| {
                let (store, users, t) = (Arc::clone(&cx.store), Arc::clone(users), t.clone());
                let user = cx.user(json!({"userName": case_variant("racer", i)}));
                boxed(async move { store.create(&t, &users, user).await.map(|r| r.id().clone()) })
            })
            .collect();
        let results = cx.concurrently(tasks).await;
        let winner = exactly_one_winner(&cx, results, "concurrent creates of one userName", |e| {
            matches!(e, StoreError::Conflict(_))
        });
        let found = cx
            .query(&t, users, &filtered(r#"userName eq "RACER""#, 10))
            .await;
        ensure_eq!(
            cx,
            ids(&found),
            vec![winner.to_string()],
            "exactly the winner must be stored"
        );

        let mut runners = Vec::new();
        for i in 0..16 {
            runners.push(cx.create_user(&t, &format!("runner-{i}")).await);
        }
        let tasks = runners
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (store, users, t) = (Arc::clone(&cx.store), Arc::clone(users), t.clone());
                let update = cx.replacement(
                    users.as_ref(),
                    r,
                    json!({"userName": case_variant("finish", i)}),
                    CREATED,
                );
                let expected = r.version().clone();
                boxed(async move {
                    store
                        .replace(&t, &users, update, &expected)
                        .await
                        .map(|r| r.id().clone())
                })
            })
            .collect();
        let results = cx.concurrently(tasks).await;
        let winner = exactly_one_winner(&cx, results, "concurrent renames to one userName", |e| {
            matches!(e, StoreError::Conflict(_))
        });
        let found = cx
            .query(&t, users, &filtered(r#"userName eq "finish""#, 10))
            .await;
        ensure_eq!(
            cx,
            ids(&found),
            vec![winner.to_string()],
            "exactly the winner must be renamed"
        );
    }

    /// Sixteen concurrent replaces at the same version: exactly one
    /// succeeds, the others get [`StoreError::VersionMismatch`], and the
    /// winner's write is what is stored. Sixteen concurrent deletes at the
    /// current version: exactly one succeeds.
    pub async fn compare_and_swap_under_concurrency(&self) {
        let cx = self.check("compare_and_swap_under_concurrency").await;
        let users = &cx.users;
        let t = cx.tenant("a");
        let user = cx.create_user(&t, "contended").await;
        let tasks = (0..16)
            .map(|i| {
                let (store, users, t) = (Arc::clone(&cx.store), Arc::clone(users), t.clone());
                let update = cx.replacement(
                    users.as_ref(),
                    &user,
                    json!({"userName": "contended", "title": format!("writer {i}")}),
                    CREATED,
                );
                let expected = user.version().clone();
                boxed(async move { store.replace(&t, &users, update, &expected).await })
            })
            .collect();
        let results = cx.concurrently(tasks).await;
        let winner = exactly_one_winner(&cx, results, "concurrent replaces at one version", |e| {
            matches!(e, StoreError::VersionMismatch)
        });
        let stored = cx.must_get(&t, users, user.id(), "the user").await;
        ensure_eq!(
            cx,
            stored.get("title"),
            winner.get("title"),
            "the winner's write must be stored"
        );
        ensure_eq!(
            cx,
            stored.version(),
            winner.version(),
            "the winner's version must be current"
        );

        let tasks = (0..16)
            .map(|_| {
                let (store, users, t) = (Arc::clone(&cx.store), Arc::clone(users), t.clone());
                let (id, expected) = (stored.id().clone(), stored.version().clone());
                boxed(async move { store.delete(&t, &users, &id, Some(&expected)).await })
            })
            .collect();
        let results = cx.concurrently(tasks).await;
        exactly_one_winner(&cx, results, "concurrent deletes at one version", |e| {
            matches!(e, StoreError::VersionMismatch | StoreError::NotFound)
        });
        ensure!(
            cx,
            cx.get(&t, users, user.id()).await.is_none(),
            "the user must be deleted"
        );
    }

    /// Tenants share nothing: the same `userName` in two tenants is fine,
    /// and nothing done through one tenant sees or changes another's data.
    pub async fn tenant_isolation(&self) {
        let cx = self.check("tenant_isolation").await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let (a, b) = (cx.tenant("a"), cx.tenant("b"));
        let user_a = cx.create_user(&a, "bjensen").await;
        let user_b = cx.create_user(&b, "bjensen").await;
        let group_a = cx
            .create(&a, groups, cx.group("Admins", &[user_a.id()]))
            .await;
        let group_b = cx
            .create(&b, groups, cx.group("Admins", &[user_b.id()]))
            .await;
        let user_a = cx.must_get(&a, users, user_a.id(), "tenant a's user").await;

        ensure!(
            cx,
            cx.get(&b, users, user_a.id()).await.is_none(),
            "tenant b must not see tenant a's user"
        );
        ensure!(
            cx,
            cx.get(&b, groups, group_a.id()).await.is_none(),
            "tenant b must not see tenant a's group"
        );
        for (filter, what) in [
            (r#"userName eq "bjensen""#.to_owned(), "by userName"),
            (format!(r#"id eq "{}""#, user_a.id()), "by tenant a's id"),
            ("userName pr".to_owned(), "unfiltered"),
        ] {
            let found = cx.query(&b, users, &filtered(&filter, 10)).await;
            let expected: Vec<String> = if what == "by tenant a's id" {
                vec![]
            } else {
                vec![user_b.id().to_string()]
            };
            ensure_eq!(
                cx,
                ids(&found),
                expected,
                "a query through tenant b ({what}) must see only its own users"
            );
            ensure_eq!(
                cx,
                found.total_results,
                expected.len() as u64,
                "totalResults through tenant b ({what})"
            );
        }
        let update = cx.replacement(users, &user_a, json!({"userName": "hijacked"}), CREATED);
        let r = cx.store.replace(&b, users, update, user_a.version()).await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::NotFound)),
            "replacing tenant a's user through tenant b: {r:?}"
        );
        let r = cx.store.delete(&b, users, user_a.id(), None).await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::NotFound)),
            "deleting tenant a's user through tenant b: {r:?}"
        );
        let r = cx
            .store
            .delete(&b, users, user_a.id(), Some(user_a.version()))
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::NotFound)),
            "deleting tenant a's user through tenant b: {r:?}"
        );
        let remove_all = MemberDelta {
            remove_all: true,
            ..MemberDelta::default()
        };
        let r = cx
            .store
            .modify_members(&b, groups, group_a.id(), &remove_all, None, CREATED)
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::NotFound)),
            "changing tenant a's group through tenant b: {r:?}"
        );
        let r = cx
            .store
            .create(&b, groups, cx.group("Thieves", &[user_a.id()]))
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::InvalidReference(_))),
            "tenant a's user as a member of a tenant b group: {r:?}"
        );
        let add = delta(vec![member(user_a.id(), None)], vec![]);
        let r = cx
            .store
            .modify_members(&b, groups, group_b.id(), &add, None, CREATED)
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::InvalidReference(_))),
            "adding tenant a's user to a tenant b group: {r:?}"
        );

        ensure_eq!(
            cx,
            cx.must_get(&a, users, user_a.id(), "tenant a's user").await,
            user_a,
            "tenant a's user must be unchanged"
        );
        ensure_eq!(
            cx,
            cx.must_get(&a, groups, group_a.id(), "tenant a's group")
                .await,
            group_a,
            "tenant a's group must be unchanged"
        );
        cx.ok(
            cx.store.delete(&a, users, user_a.id(), None).await,
            "deleting tenant a's user",
        );
        let still = cx.must_get(&b, users, user_b.id(), "tenant b's user").await;
        ensure_eq!(
            cx,
            still.get("userName"),
            Some(&json!("bjensen")),
            "tenant b's user must survive"
        );
        let group_b_now = cx
            .must_get(&b, groups, group_b.id(), "tenant b's group")
            .await;
        ensure_eq!(
            cx,
            group_b_now,
            group_b,
            "deleting in tenant a must not touch tenant b's groups"
        );
    }

    /// Every filter operator (`eq ne co sw ew gt lt ge le pr`, `and`, `or`,
    /// `not`, value paths, extension attributes, date-times, `caseExact`
    /// and not, computed `groups`, unknown attributes, refused filters)
    /// gives exactly the results of [`crate::list::evaluate`].
    pub async fn filters_agree_with_evaluate(&self) {
        let cx = self.check("filters_agree_with_evaluate").await;
        let data = Dataset::seed(&cx).await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let by_user_name = Sort::new(
            users,
            "userName".parse().expect("path"),
            SortOrder::Descending,
        )
        .expect("sort");
        for text in USER_FILTERS {
            let text = data.expand(text);
            let filter: Filter = text.parse().unwrap_or_else(|e| {
                cx.fail(format_args!("the filter {text:?} does not parse: {e}"))
            });
            let mut q = ListQuery::new(Page::Index {
                start_index: 1,
                count: 1000,
            });
            q.filter = Some(filter);
            data.agree(&cx, users, &q, &format!("filter {text:?}"))
                .await;
            q.sort = Some(by_user_name.clone());
            q.page = Page::Index {
                start_index: 2,
                count: 3,
            };
            data.agree(
                &cx,
                users,
                &q,
                &format!("filter {text:?}, sorted by userName descending, items 2-4"),
            )
            .await;
        }
        let excluded = Projection::parse(groups, None, Some("members")).expect("projection");
        for text in GROUP_FILTERS {
            let text = data.expand(text);
            let filter: Filter = text.parse().unwrap_or_else(|e| {
                cx.fail(format_args!("the filter {text:?} does not parse: {e}"))
            });
            let mut q = ListQuery::new(Page::Index {
                start_index: 1,
                count: 1000,
            });
            q.filter = Some(filter);
            data.agree(&cx, groups, &q, &format!("filter {text:?}"))
                .await;
            q.projection = excluded.clone();
            let result = data
                .agree(
                    &cx,
                    groups,
                    &q,
                    &format!("filter {text:?}, excluding members"),
                )
                .await;
            for group in result.iter().flat_map(|r| &r.resources) {
                ensure!(
                    cx,
                    group.get("members").is_none(),
                    "filter {text:?} with excludedAttributes=members returned members for {}",
                    group.id()
                );
            }
        }
    }

    /// Sorting, ascending and descending, by single-valued, multi-valued,
    /// extension, date-time, case-exact and missing attributes, gives the
    /// order of [`crate::list::evaluate`] (missing values last when
    /// ascending, ties by id).
    pub async fn sorting_agrees_with_evaluate(&self) {
        let cx = self.check("sorting_agrees_with_evaluate").await;
        let data = Dataset::seed(&cx).await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let user_sorts = [
            "userName",
            "title",
            "nickName",
            "meta.lastModified",
            "name.familyName",
            "emails.value",
            "emails",
            "active",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "externalId",
            "id",
        ];
        for (schema, sorts) in [
            (users, &user_sorts[..]),
            (groups, &["displayName", "externalId", "meta.created"][..]),
        ] {
            for by in sorts {
                for order in [SortOrder::Ascending, SortOrder::Descending] {
                    let sort =
                        Sort::new(schema, by.parse().expect("path"), order).expect("sortable");
                    let mut q = ListQuery::new(Page::Index {
                        start_index: 1,
                        count: 1000,
                    });
                    q.sort = Some(sort);
                    data.agree(
                        &cx,
                        schema,
                        &q,
                        &format!("{} sorted by {by} {order:?}", schema.name()),
                    )
                    .await;
                    q.filter = Some(
                        r#"not (id eq "none") and meta.resourceType pr"#
                            .parse()
                            .expect("filter"),
                    );
                    q.page = Page::Index {
                        start_index: 3,
                        count: 4,
                    };
                    data.agree(
                        &cx,
                        schema,
                        &q,
                        &format!(
                            "{} filtered, sorted by {by} {order:?}, items 3-6",
                            schema.name()
                        ),
                    )
                    .await;
                }
            }
        }
    }

    /// Index paging (`startIndex`, `count`): every window, `count` 0 (only
    /// `totalResults`), a start beyond the end (no resources), and the
    /// largest `startIndex` a client can send.
    pub async fn index_paging(&self) {
        let cx = self.check("index_paging").await;
        let data = Dataset::seed(&cx).await;
        let users = &*cx.users;
        let sorts = [
            None,
            Some(
                Sort::new(
                    users,
                    "userName".parse().expect("path"),
                    SortOrder::Ascending,
                )
                .expect("sort"),
            ),
        ];
        let filters = [
            None,
            Some(r#"userName sw "b" or active eq false or title pr"#),
        ];
        let pages: [(u64, u64); 11] = [
            (1, 3),
            (4, 3),
            (7, 3),
            (10, 3),
            (1, 0),
            (5, 0),
            (8, 100),
            (9, 1),
            (100, 5),
            (i64::MAX as u64, 5),
            (1, 1000),
        ];
        for sort in &sorts {
            for filter in &filters {
                for (start_index, count) in pages {
                    let mut q = ListQuery::new(Page::Index { start_index, count });
                    q.sort = sort.clone();
                    q.filter = filter.map(|f| f.parse().expect("filter"));
                    let what = format!(
                        "startIndex={start_index} count={count} filter={filter:?} sortBy={:?}",
                        sort.as_ref().map(|s| s.by.to_string())
                    );
                    let result = data
                        .agree(&cx, users, &q, &what)
                        .await
                        .unwrap_or_else(|| cx.fail(format_args!("{what}: the query is refused")));
                    ensure!(
                        cx,
                        result.next_cursor.is_none(),
                        "{what}: index paging must not answer with a cursor"
                    );
                }
            }
        }
    }

    /// Cursor paging: walking the pages from the first returns every match
    /// exactly once, in order; a page with a next cursor is full; the last
    /// page has none; `count` 0 returns only `totalResults`; a cursor the
    /// store did not issue is refused.
    pub async fn cursor_paging(&self) {
        let cx = self.check("cursor_paging").await;
        let data = Dataset::seed(&cx).await;
        let users = &*cx.users;
        let sort = |by: &str, order| {
            Some(Sort::new(users, by.parse().expect("path"), order).expect("sort"))
        };
        let cases = [
            (None, None, 3),
            (
                Some(r#"active eq true"#),
                sort("userName", SortOrder::Ascending),
                2,
            ),
            (None, sort("meta.lastModified", SortOrder::Descending), 1),
            (
                Some(r#"emails pr or title pr"#),
                sort("title", SortOrder::Ascending),
                2,
            ),
            (None, None, 4),
            (None, None, 1000),
        ];
        for (filter, sort, count) in cases {
            let what = format!(
                "cursor paging with count={count} filter={filter:?} sortBy={:?}",
                sort.as_ref().map(|s| s.by.to_string())
            );
            let mut q = ListQuery::new(Page::Index {
                start_index: 1,
                count: 10_000,
            });
            q.filter = filter.map(|f| f.parse().expect("filter"));
            q.sort = sort;
            let expected = evaluate(users, &data.users, &q).expect("valid query");
            let mut seen = Vec::new();
            let mut cursor = None;
            for step in 0.. {
                ensure!(
                    cx,
                    step <= expected.resources.len() + 1,
                    "{what}: the pages never end"
                );
                q.page = Page::Cursor {
                    cursor: cursor.take(),
                    count,
                };
                let page = cx.query(&data.tenant, users, &q).await;
                ensure_eq!(
                    cx,
                    page.total_results,
                    expected.total_results,
                    "{what}: totalResults of page {step}"
                );
                ensure!(
                    cx,
                    page.resources.len() as u64 <= count,
                    "{what}: page {step} has {} resources",
                    page.resources.len()
                );
                seen.extend(ids(&page));
                match page.next_cursor {
                    Some(next) => {
                        ensure_eq!(
                            cx,
                            page.resources.len() as u64,
                            count,
                            "{what}: page {step} has a next cursor, so it must be full"
                        );
                        cursor = Some(next);
                    }
                    None => break,
                }
            }
            ensure_eq!(
                cx,
                seen,
                ids(&expected),
                "{what}: the pages together must hold every match once, in order"
            );
            q.page = Page::Cursor {
                cursor: None,
                count: 0,
            };
            let page = cx.query(&data.tenant, users, &q).await;
            ensure_eq!(
                cx,
                (page.total_results, page.resources.len()),
                (expected.total_results, 0),
                "{what}, count=0: only totalResults"
            );
        }
        let q = ListQuery::new(Page::Cursor {
            cursor: Some("not a cursor!".to_owned()),
            count: 2,
        });
        let r = cx.store.query(&data.tenant, users, &q).await;
        ensure!(
            cx,
            r.is_err(),
            "a cursor the store did not issue must be refused: {r:?}"
        );
    }

    /// Group membership: `modify_members` adds (once) and removes (only
    /// what is named), idempotently and at a given version; a User's
    /// computed `groups` follows membership and the group's current
    /// `displayName`; filters can use it; deleting a member removes it from
    /// every group; members must exist in the tenant
    /// ([`StoreError::InvalidReference`], changing nothing); groups can be
    /// members; a projection without `members` returns none.
    pub async fn membership(&self) {
        let cx = self.check("membership").await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let t = cx.tenant("a");
        let u1 = cx.create_user(&t, "member-one").await;
        let u2 = cx.create_user(&t, "member-two").await;
        let u3 = cx.create_user(&t, "member-three").await;
        let g = cx
            .create(
                &t,
                groups,
                cx.resource(
                    groups,
                    json!({"displayName": "Admins", "members": [{"value": u1.id().as_str(), "display": "One", "type": "User"}]}),
                    CREATED,
                ),
            )
            .await;
        cx.expect_groups(&t, &u1, &[(g.id(), "Admins")], "a member")
            .await;
        cx.expect_groups(&t, &u2, &[], "a non-member").await;

        let stamp = "2024-03-01T00:00:00Z";
        let add = delta(
            vec![
                member(u2.id(), Some("Two")),
                member(u2.id(), None),
                member(u1.id(), None),
            ],
            vec![],
        );
        let v = cx.ok(
            cx.store
                .modify_members(&t, groups, g.id(), &add, None, stamp)
                .await,
            "adding members",
        );
        let got = cx.must_get(&t, groups, g.id(), "the group").await;
        ensure_eq!(
            cx,
            got.version(),
            &v,
            "get must report the version modify_members returned"
        );
        ensure_eq!(
            cx,
            got.meta().last_modified,
            stamp,
            "modify_members must set meta.lastModified"
        );
        ensure_eq!(
            cx,
            member_values(&got),
            sorted([u1.id(), u2.id()]),
            "adding a member twice, and an existing one again, must list each once"
        );
        ensure_eq!(
            cx,
            member_item(&got, u1.id()).and_then(|m| m.get("display")),
            Some(&json!("One")),
            "re-adding an existing member must leave it as it was"
        );
        ensure_eq!(
            cx,
            member_item(&got, u2.id()).and_then(|m| m.get("display")),
            Some(&json!("Two")),
            "an added member must keep its display"
        );
        let again = delta(vec![member(u2.id(), None)], vec![]);
        cx.ok(
            cx.store
                .modify_members(&t, groups, g.id(), &again, None, stamp)
                .await,
            "adding a member again",
        );
        let got = cx.must_get(&t, groups, g.id(), "the group").await;
        ensure_eq!(
            cx,
            member_values(&got),
            sorted([u1.id(), u2.id()]),
            "adding an existing member is a no-op"
        );

        let remove = delta(
            vec![],
            vec![u1.id().to_string(), ResourceId::generate().to_string()],
        );
        cx.ok(
            cx.store
                .modify_members(&t, groups, g.id(), &remove, None, stamp)
                .await,
            "removing members",
        );
        let got = cx.must_get(&t, groups, g.id(), "the group").await;
        ensure_eq!(
            cx,
            member_values(&got),
            sorted([u2.id()]),
            "remove must remove exactly the named members"
        );
        let remove = delta(vec![], vec![u1.id().to_string()]);
        cx.ok(
            cx.store
                .modify_members(&t, groups, g.id(), &remove, None, stamp)
                .await,
            "removing a non-member",
        );
        let got = cx.must_get(&t, groups, g.id(), "the group").await;
        ensure_eq!(
            cx,
            member_values(&got),
            sorted([u2.id()]),
            "removing a non-member is a no-op"
        );
        cx.expect_groups(&t, &u1, &[], "a removed member").await;
        cx.expect_groups(&t, &u2, &[(g.id(), "Admins")], "an added member")
            .await;

        let mut body = got.json().clone();
        body.insert("displayName".to_owned(), json!("Administrators"));
        body.remove("meta");
        body.remove("id");
        let update = cx.replacement(groups, &got, Value::Object(body), stamp);
        let g_now = cx.ok(
            cx.store.replace(&t, groups, update, got.version()).await,
            "renaming the group",
        );
        ensure_eq!(
            cx,
            member_values(&g_now),
            sorted([u2.id()]),
            "replace must keep the members it is given"
        );
        cx.expect_groups(
            &t,
            &u2,
            &[(g.id(), "Administrators")],
            "a member of a renamed group",
        )
        .await;
        let found = cx
            .query(
                &t,
                users,
                &filtered(&format!(r#"groups.value eq "{}""#, g.id()), 10),
            )
            .await;
        ensure_eq!(
            cx,
            ids(&found),
            vec![u2.id().to_string()],
            "filtering users by groups.value"
        );

        let outer = cx.create(&t, groups, cx.group("Outer", &[g.id()])).await;
        let add = delta(vec![member(u3.id(), None)], vec![]);
        cx.ok(
            cx.store
                .modify_members(&t, groups, outer.id(), &add, None, stamp)
                .await,
            "adding a user next to a group",
        );
        let got = cx.must_get(&t, groups, outer.id(), "the outer group").await;
        ensure_eq!(
            cx,
            member_values(&got),
            sorted([g.id(), u3.id()]),
            "a group can be a member"
        );

        let before = cx.must_get(&t, groups, g.id(), "the group").await;
        let bogus = ResourceId::generate();
        let add = delta(vec![member(u3.id(), None), member(&bogus, None)], vec![]);
        let r = cx
            .store
            .modify_members(&t, groups, g.id(), &add, None, stamp)
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::InvalidReference(_))),
            "adding a member that does not exist: {r:?}"
        );
        ensure_eq!(
            cx,
            cx.must_get(&t, groups, g.id(), "the group").await,
            before,
            "a refused modify_members must change nothing"
        );
        let r = cx
            .store
            .create(&t, groups, cx.group("Broken", &[u1.id(), &bogus]))
            .await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::InvalidReference(_))),
            "creating a group with a missing member: {r:?}"
        );
        let found = cx
            .query(&t, groups, &filtered(r#"displayName eq "Broken""#, 10))
            .await;
        ensure_eq!(
            cx,
            found.total_results,
            0,
            "a refused create must store nothing"
        );
        let update = cx.replacement(
            groups,
            &before,
            json!({"displayName": "Administrators", "members": [{"value": u2.id().as_str()}, {"value": bogus.as_str()}]}),
            stamp,
        );
        let r = cx.store.replace(&t, groups, update, before.version()).await;
        ensure!(
            cx,
            matches!(r, Err(StoreError::InvalidReference(_))),
            "replacing a group with a missing member: {r:?}"
        );
        ensure_eq!(
            cx,
            cx.must_get(&t, groups, g.id(), "the group").await,
            before,
            "a refused replace must change nothing"
        );

        cx.ok(
            cx.store.delete(&t, users, u2.id(), None).await,
            "deleting a member",
        );
        let got = cx.must_get(&t, groups, g.id(), "the group").await;
        ensure_eq!(
            cx,
            member_values(&got),
            Vec::<String>::new(),
            "deleting a user must remove it from its groups"
        );
        ensure!(
            cx,
            got.version() != before.version(),
            "removing a deleted member must change the group's version"
        );
        cx.ok(
            cx.store.delete(&t, groups, g.id(), None).await,
            "deleting a nested group",
        );
        let got = cx.must_get(&t, groups, outer.id(), "the outer group").await;
        ensure_eq!(
            cx,
            member_values(&got),
            sorted([u3.id()]),
            "deleting a group must remove it from its groups"
        );
        let clear = MemberDelta {
            remove_all: true,
            ..MemberDelta::default()
        };
        cx.ok(
            cx.store
                .modify_members(&t, groups, outer.id(), &clear, None, stamp)
                .await,
            "removing all members",
        );
        let got = cx.must_get(&t, groups, outer.id(), "the outer group").await;
        ensure_eq!(
            cx,
            member_values(&got),
            Vec::<String>::new(),
            "remove_all must remove every member"
        );
        cx.expect_groups(&t, &u3, &[], "a user removed by remove_all")
            .await;

        let projected = cx
            .create(&t, groups, cx.group("Projected", &[u1.id(), u3.id()]))
            .await;
        let excluded = Projection::parse(groups, None, Some("members")).expect("projection");
        let only_name = Projection::parse(groups, Some("displayName"), None).expect("projection");
        for (projection, what) in [
            (&excluded, "excludedAttributes=members"),
            (&only_name, "attributes=displayName"),
        ] {
            let got = cx
                .ok(
                    cx.store.get(&t, groups, projected.id(), projection).await,
                    "get",
                )
                .expect("the group");
            ensure!(
                cx,
                got.get("members").is_none(),
                "get with {what} must not return members"
            );
            ensure_eq!(
                cx,
                got.version(),
                projected.version(),
                "get with {what} must return the version"
            );
            ensure_eq!(
                cx,
                got.get("displayName"),
                Some(&json!("Projected")),
                "get with {what} must return displayName"
            );
            let mut q = filtered(r#"displayName eq "Projected""#, 10);
            q.projection = projection.clone();
            let found = cx.query(&t, groups, &q).await;
            ensure_eq!(
                cx,
                ids(&found),
                vec![projected.id().to_string()],
                "query with {what}"
            );
            ensure!(
                cx,
                found.resources.iter().all(|r| r.get("members").is_none()),
                "query with {what} must not return members"
            );
        }
        let got = cx.must_get(&t, groups, projected.id(), "the group").await;
        ensure_eq!(
            cx,
            member_values(&got),
            sorted([u1.id(), u3.id()]),
            "get without a projection returns members"
        );
    }

    /// Sixteen concurrent `modify_members` calls, each adding (then each
    /// removing) one member without a version, lose no update. A call may
    /// answer [`StoreError::VersionMismatch`] (the default implementation
    /// does, under contention); the protocol service retries, and so does
    /// this check.
    pub async fn membership_under_concurrency(&self) {
        let cx = self.check("membership_under_concurrency").await;
        let groups = &cx.groups;
        let t = cx.tenant("a");
        let mut members = Vec::new();
        for i in 0..16 {
            members.push(cx.create_user(&t, &format!("parallel-{i}")).await);
        }
        let group = cx.create(&t, groups, cx.group("Parallel", &[])).await;
        for (adding, what) in [(true, "adding"), (false, "removing")] {
            let tasks = members
                .iter()
                .map(|m| {
                    let (store, groups, t) = (Arc::clone(&cx.store), Arc::clone(groups), t.clone());
                    let (group, id) = (group.id().clone(), m.id().clone());
                    let change = if adding {
                        delta(vec![member(&id, None)], vec![])
                    } else {
                        delta(vec![], vec![id.to_string()])
                    };
                    boxed(async move {
                        let mut result = Err(StoreError::VersionMismatch);
                        for _ in 0..200 {
                            result = store
                                .modify_members(&t, &groups, &group, &change, None, CREATED)
                                .await;
                            if !matches!(result, Err(StoreError::VersionMismatch)) {
                                break;
                            }
                        }
                        result
                    })
                })
                .collect();
            for (i, result) in cx.concurrently(tasks).await.into_iter().enumerate() {
                cx.ok(result, format_args!("{what} member {i} concurrently"));
            }
            let got = cx.must_get(&t, groups, group.id(), "the group").await;
            let expected = if adding {
                sorted(members.iter().map(Resource::id))
            } else {
                Vec::new()
            };
            ensure_eq!(
                cx,
                member_values(&got),
                expected,
                "{what} members concurrently must lose no update"
            );
        }
    }

    /// A group with 10,000 members takes one more and gives one up, and
    /// its members are left out when the projection says so. (The check
    /// does not time anything.)
    pub async fn large_group(&self) {
        const SIZE: usize = 10_000;
        let cx = self.check("large_group").await;
        let (users, groups) = (&*cx.users, &*cx.groups);
        let t = cx.tenant("a");
        let mut ids = Vec::with_capacity(SIZE);
        for i in 0..SIZE {
            ids.push(
                cx.create_user(&t, &format!("bulk-{i:05}"))
                    .await
                    .id()
                    .clone(),
            );
        }
        let group = cx.create(&t, groups, cx.big_group("Everyone", &ids)).await;
        let extra = cx.create_user(&t, "latecomer").await;
        let add = delta(vec![member(extra.id(), None)], vec![]);
        cx.ok(
            cx.store
                .modify_members(&t, groups, group.id(), &add, None, CREATED)
                .await,
            "adding a member",
        );
        let got = cx.must_get(&t, groups, group.id(), "the group").await;
        let values = member_values(&got);
        ensure_eq!(
            cx,
            values.len(),
            SIZE + 1,
            "the group must have one more member"
        );
        ensure!(
            cx,
            values.binary_search(&extra.id().to_string()).is_ok(),
            "the new member must be listed"
        );
        let remove = delta(vec![], vec![ids[0].to_string()]);
        cx.ok(
            cx.store
                .modify_members(&t, groups, group.id(), &remove, None, CREATED)
                .await,
            "removing a member",
        );
        let got = cx.must_get(&t, groups, group.id(), "the group").await;
        ensure_eq!(
            cx,
            member_values(&got).len(),
            SIZE,
            "the group must have one member fewer"
        );
        cx.expect_groups(
            &t,
            &extra,
            &[(group.id(), "Everyone")],
            "a member of a large group",
        )
        .await;
        let excluded = Projection::parse(groups, None, Some("members")).expect("projection");
        let got = cx
            .ok(cx.store.get(&t, groups, group.id(), &excluded).await, "get")
            .expect("the group");
        ensure!(
            cx,
            got.get("members").is_none(),
            "get with excludedAttributes=members must not return members"
        );
        cx.ok(
            cx.store.delete(&t, users, &ids[1], None).await,
            "deleting a member",
        );
        let got = cx.must_get(&t, groups, group.id(), "the group").await;
        ensure_eq!(
            cx,
            member_values(&got).len(),
            SIZE - 1,
            "deleting a member must shrink the group"
        );
    }
}

/// What one check works with.
struct Check<'s> {
    name: &'static str,
    store: Arc<dyn ResourceStore>,
    users: Arc<ResourceSchema>,
    groups: Arc<ResourceSchema>,
    /// Unique to this run of this check.
    run: String,
    spawner: Option<&'s Spawner>,
}

impl Check<'_> {
    fn fail(&self, message: impl fmt::Display) -> ! {
        panic!("store conformance check `{}` failed: {message}", self.name)
    }

    fn ok<T, E: fmt::Debug>(&self, result: Result<T, E>, what: impl fmt::Display) -> T {
        result.unwrap_or_else(|e| self.fail(format_args!("{what}: {e:?}")))
    }

    /// A tenant of this run of this check.
    fn tenant(&self, label: &str) -> TenantId {
        TenantId::new(format!("conformance-{}-{}-{label}", self.name, self.run))
    }

    /// A resource prepared as the protocol service prepares one, with a
    /// fresh id and `meta.created`/`lastModified` at `at`.
    fn resource(&self, schema: &ResourceSchema, body: Value, at: &str) -> Resource {
        let prepared = prepare_create(schema, body, &mut Context::new(Policy::entra_id()))
            .unwrap_or_else(|e| self.fail(format_args!("test data is invalid: {e}")));
        Resource::new(
            ResourceId::generate(),
            prepared,
            &Meta::new(schema.name(), at, Version::from_revision(1)),
        )
    }

    fn user(&self, body: Value) -> Resource {
        self.resource(&self.users, body, CREATED)
    }

    fn group(&self, name: &str, members: &[&ResourceId]) -> Resource {
        let members: Vec<Value> = members.iter().map(|id| member(id, None)).collect();
        let mut body = json!({"displayName": name});
        if !members.is_empty() {
            body["members"] = Value::Array(members);
        }
        self.resource(&self.groups, body, CREATED)
    }

    /// A group with many members. `prepare_create` would give the same
    /// JSON, but its duplicate check takes time quadratic in the number of
    /// members.
    fn big_group(&self, name: &str, members: &[ResourceId]) -> Resource {
        let mut group = self.group(name, &[]);
        let members = members.iter().map(|id| member(id, None)).collect();
        group
            .set_computed("members", Some(Value::Array(members)))
            .unwrap_or_else(|e| self.fail(e));
        group
    }

    /// The replacement of `old` by `body`, as the service builds it for
    /// PUT: same id and `meta.created`, the old version, `lastModified` at
    /// `at`.
    fn replacement(
        &self,
        schema: &ResourceSchema,
        old: &Resource,
        body: Value,
        at: &str,
    ) -> Resource {
        let prepared = prepare_create(schema, body, &mut Context::new(Policy::entra_id()))
            .unwrap_or_else(|e| self.fail(format_args!("test data is invalid: {e}")));
        let mut meta = Meta::new(schema.name(), old.meta().created, old.version().clone());
        at.clone_into(&mut meta.last_modified);
        Resource::new(old.id().clone(), prepared, &meta)
    }

    async fn create(&self, t: &TenantId, schema: &ResourceSchema, resource: Resource) -> Resource {
        let id = resource.id().clone();
        let name = ["userName", "displayName"]
            .into_iter()
            .find_map(|key| resource.get(key).cloned())
            .unwrap_or(Value::Null);
        let result = self.store.create(t, schema, resource).await;
        self.ok(
            result,
            format_args!("creating {} {name} ({id})", schema.name()),
        )
    }

    async fn create_user(&self, t: &TenantId, user_name: &str) -> Resource {
        self.create(t, &self.users, self.user(json!({"userName": user_name})))
            .await
    }

    async fn get(
        &self,
        t: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
    ) -> Option<Resource> {
        self.ok(
            self.store.get(t, schema, id, &Projection::all()).await,
            format_args!("getting {} {id}", schema.name()),
        )
    }

    async fn must_get(
        &self,
        t: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        what: &str,
    ) -> Resource {
        self.get(t, schema, id).await.unwrap_or_else(|| {
            self.fail(format_args!("{what} ({} {id}) is missing", schema.name()))
        })
    }

    async fn query(&self, t: &TenantId, schema: &ResourceSchema, q: &ListQuery) -> QueryResult {
        self.ok(
            self.store.query(t, schema, q).await,
            format_args!("querying {} with {q:?}", schema.name()),
        )
    }

    async fn expect_version(
        &self,
        t: &TenantId,
        schema: &ResourceSchema,
        id: &ResourceId,
        version: &Version,
        when: &str,
    ) {
        let got = self.must_get(t, schema, id, "the resource").await;
        ensure_eq!(
            self,
            got.version(),
            version,
            "get must report the current version {when}"
        );
        ensure_eq!(
            self,
            got.json()
                .get("meta")
                .and_then(|m| m.get("version"))
                .and_then(Value::as_str),
            Some(version.as_str()),
            "meta.version must be the current version {when}"
        );
    }

    /// Checks a user's computed direct `groups`: `(group id, display)`.
    /// Items of type `indirect` are allowed and ignored.
    async fn expect_groups(
        &self,
        t: &TenantId,
        user: &Resource,
        expected: &[(&ResourceId, &str)],
        what: &str,
    ) {
        let got = self.must_get(t, &self.users, user.id(), what).await;
        let mut direct = BTreeSet::new();
        if let Some(groups) = got.get("groups") {
            let Some(items) = groups.as_array() else {
                self.fail(format_args!(
                    "{what}: groups must be an array, not {groups}"
                ))
            };
            for item in items {
                match item.get("type").and_then(Value::as_str) {
                    Some("indirect") => continue,
                    None | Some("direct") => {}
                    Some(other) => {
                        self.fail(format_args!("{what}: a group membership of type {other:?}"))
                    }
                }
                let value = item.get("value").and_then(Value::as_str).map(str::to_owned);
                let display = item
                    .get("display")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                direct.insert((value, display));
            }
        }
        let expected: BTreeSet<(Option<String>, Option<String>)> = expected
            .iter()
            .map(|(id, name)| (Some(id.to_string()), Some((*name).to_owned())))
            .collect();
        ensure_eq!(
            self,
            direct,
            expected,
            "{what}: the computed groups (value, display)"
        );
    }

    /// Runs the tasks concurrently: spawned, if the suite has a spawner,
    /// else polled together in this task. Returns their outputs in order.
    async fn concurrently<T: Send + 'static>(&self, tasks: Vec<BoxFuture<T>>) -> Vec<T> {
        let outcomes = match self.spawner {
            Some(spawn) => spawn_all(spawn, tasks).await,
            None => join_all(tasks.into_iter().map(catch).collect()).await,
        };
        outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                o.unwrap_or_else(|panic| {
                    self.fail(format_args!("concurrent call {i} panicked: {panic}"))
                })
            })
            .collect()
    }
}

/// The users and groups the query checks work on.
struct Dataset {
    tenant: TenantId,
    /// As the store's `get` returns them.
    users: Vec<Resource>,
    groups: Vec<Resource>,
    /// Placeholders in filter texts and their values.
    placeholders: Vec<(String, String)>,
}

impl Dataset {
    async fn seed(cx: &Check<'_>) -> Self {
        let t = cx.tenant("data");
        let (users, groups) = (&*cx.users, &*cx.groups);
        let user = |body: Value, at: &str| cx.resource(users, body, at);
        let u1 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "bjensen",
                        "externalId": "ext-001",
                        "name": {"givenName": "Barbara", "familyName": "Jensen"},
                        "title": "Tour Guide",
                        "userType": "Employee",
                        "active": true,
                        "emails": [
                            {"value": "bjensen@example.com", "type": "work", "primary": true},
                            {"value": "babs@jensen.org", "type": "home"},
                        ],
                        ENTERPRISE: {"department": "Tour Operations", "employeeNumber": "701984"},
                        "favouriteColour": "Blue",
                        "level": 3,
                    }),
                    "2021-03-01T10:00:00Z",
                ),
            )
            .await;
        let u2 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "Émile.Zola",
                        "externalId": "EXT-002",
                        "name": {"givenName": "Émile", "familyName": "Zola"},
                        "userType": "Intern",
                        "active": true,
                        "emails": [{"value": "emile@example.com", "type": "work"}],
                        ENTERPRISE: {"department": "tour operations", "manager": {"value": u1.id().as_str()}},
                    }),
                    "2021-03-01T10:45:00+01:00",
                ),
            )
            .await;
        let u3 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "alice",
                        "title": "Engineer",
                        "active": false,
                        "emails": [{"value": "alice@example.org", "type": "home"}],
                        "level": 10,
                    }),
                    "2020-12-31T23:59:59Z",
                ),
            )
            .await;
        let u4 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "Bob_Smith%",
                        "name": {"familyName": "Smith"},
                        "userType": "Employee",
                        "active": true,
                        "favouriteColour": "blue",
                        "level": 2.5,
                    }),
                    "2022-07-04T08:00:00.5Z",
                ),
            )
            .await;
        let u5 = cx
            .create(
                &t,
                users,
                user(
                    json!({"userName": "carol", "externalId": "ext-005", "active": true}),
                    "2021-06-01T12:00:00Z",
                ),
            )
            .await;
        let u6 = cx
            .create(
                &t,
                users,
                user(
                    json!({
                        "userName": "dave",
                        "title": "Manager",
                        "userType": "Contractor",
                        "emails": [{"value": "dave@EXAMPLE.com", "type": "work"}],
                        ENTERPRISE: {"department": "Sales"},
                    }),
                    "2021-06-01T10:00:00Z",
                ),
            )
            .await;
        let u7 = cx
            .create(
                &t,
                users,
                user(
                    json!({"userName": "zoë", "name": {"givenName": "Zoë"}, "active": true}),
                    "2021-06-01T12:00:00+02:00",
                ),
            )
            .await;
        let u8 = cx
            .create(
                &t,
                users,
                user(
                    json!({"userName": "ZOEY", "title": "Tour guide"}),
                    "2023-01-01T00:00:00Z",
                ),
            )
            .await;
        let g1 = cx
            .create(&t, groups, cx.group("Admins", &[u1.id(), u2.id()]))
            .await;
        let g2 = cx
            .create(
                &t,
                groups,
                cx.resource(
                    groups,
                    json!({
                        "displayName": "Tour Guides",
                        "externalId": "grp-2",
                        "members": [
                            {"value": u1.id().as_str(), "type": "User"},
                            {"value": u8.id().as_str(), "type": "User"},
                            {"value": g1.id().as_str(), "type": "Group"},
                        ],
                    }),
                    "2022-01-01T00:00:00Z",
                ),
            )
            .await;
        let g3 = cx.create(&t, groups, cx.group("Empty", &[])).await;

        let mut placeholders = Vec::new();
        for (key, id) in [
            ("u1", u1.id()),
            ("u2", u2.id()),
            ("u3", u3.id()),
            ("u4", u4.id()),
            ("u5", u5.id()),
            ("u6", u6.id()),
            ("u7", u7.id()),
            ("u8", u8.id()),
            ("g1", g1.id()),
            ("g2", g2.id()),
            ("g3", g3.id()),
        ] {
            placeholders.push((format!("{{{key}}}"), id.to_string()));
            placeholders.push((
                format!("{{{}}}", key.to_uppercase()),
                id.to_string().to_uppercase(),
            ));
        }
        let snapshot = |list: &[&Resource]| list.iter().map(|r| r.id().clone()).collect::<Vec<_>>();
        let user_ids = snapshot(&[&u1, &u2, &u3, &u4, &u5, &u6, &u7, &u8]);
        let group_ids = snapshot(&[&g1, &g2, &g3]);
        let mut data = Self {
            tenant: t,
            users: Vec::new(),
            groups: Vec::new(),
            placeholders,
        };
        for id in &user_ids {
            data.users
                .push(cx.must_get(&data.tenant, users, id, "a seeded user").await);
        }
        for id in &group_ids {
            data.groups.push(
                cx.must_get(&data.tenant, groups, id, "a seeded group")
                    .await,
            );
        }
        data
    }

    fn expand(&self, text: &str) -> String {
        self.placeholders
            .iter()
            .fold(text.to_owned(), |acc, (key, value)| acc.replace(key, value))
    }

    /// Runs `q` through the store and through `evaluate` over what `get`
    /// returns, and checks that they agree: both refuse it, or both give
    /// the same ids in the same order, the same total and the same JSON.
    async fn agree(
        &self,
        cx: &Check<'_>,
        schema: &ResourceSchema,
        q: &ListQuery,
        what: &str,
    ) -> Option<QueryResult> {
        let snapshot = if schema.name() == cx.users.name() {
            &self.users
        } else {
            &self.groups
        };
        let expected = evaluate(schema, snapshot, q);
        let actual = cx.store.query(&self.tenant, schema, q).await;
        match (expected, actual) {
            (Ok(expected), Ok(actual)) => {
                ensure_eq!(
                    cx,
                    ids(&actual),
                    ids(&expected),
                    "{what}: the ids (in order)"
                );
                ensure_eq!(
                    cx,
                    actual.total_results,
                    expected.total_results,
                    "{what}: totalResults"
                );
                if q.projection == Projection::all() {
                    for (a, e) in actual.resources.iter().zip(&expected.resources) {
                        ensure_eq!(
                            cx,
                            a.json(),
                            e.json(),
                            "{what}: {} must be returned as get returns it",
                            a.id()
                        );
                    }
                }
                Some(actual)
            }
            (Err(_), Err(_)) => None,
            (Ok(expected), Err(e)) => cx.fail(format_args!(
                "{what}: the store fails ({e:?}) where evaluate answers {:?}",
                ids(&expected)
            )),
            (Err(e), Ok(actual)) => cx.fail(format_args!(
                "{what}: the store answers {:?} where evaluate refuses the query ({e})",
                ids(&actual)
            )),
        }
    }
}

/// User filters of the query checks; `{u1}`…`{g3}` stand for the seeded
/// ids, `{U1}`… for the same upper-cased.
const USER_FILTERS: &[&str] = &[
    r#"userName eq "bjensen""#,
    r#"userName eq "BJENSEN""#,
    r#"USERNAME Eq "bjensen""#,
    r#"userName ne "bjensen""#,
    r#"userName co "EN""#,
    r#"userName sw "b""#,
    r#"userName ew "SEN""#,
    r#"userName gt "carol""#,
    r#"userName lt "carol""#,
    r#"userName ge "carol""#,
    r#"userName le "carol""#,
    r#"userName gt "Zoe""#,
    r#"userName eq "émile.zola""#,
    r#"userName sw "ÉMILE""#,
    r#"userName eq "ZOË""#,
    r#"userName co "%""#,
    r#"userName co "_""#,
    r#"userName sw "_""#,
    r#"userName co "b_s""#,
    r#"userName ew "h%""#,
    r#"userName eq "nobody""#,
    r#"title pr"#,
    r#"not (title pr)"#,
    r#"title eq null"#,
    r#"title ne null"#,
    r#"title co "guide""#,
    r#"nickName pr"#,
    r#"name.familyName eq "jensen""#,
    r#"name pr"#,
    r#"name.givenName sw "b" and active eq true"#,
    r#"active eq false or userType eq "Intern""#,
    r#"active eq true"#,
    r#"active ne true"#,
    r#"userType eq "Employee" or title pr and active eq true"#,
    r#"(userType eq "Employee" or title pr) and active eq true"#,
    r#"not (userType eq "Employee" or active eq false)"#,
    r#"not (userType eq "Employee") and not (active eq false)"#,
    r#"emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "WORK"]"#,
    r#"emails[not (type eq "work")]"#,
    r#"emails co "EXAMPLE.ORG""#,
    r#"emails.value ew ".org""#,
    r#"emails.type eq "home""#,
    r#"emails pr"#,
    r#"emails[type eq "work"].value eq "bjensen@example.com""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Tour Operations""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "tour""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "{u1}""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr"#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department gt "s""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice""#,
    r#"meta.lastModified gt "2021-03-01T10:15:00Z""#,
    r#"meta.lastModified ge "2021-06-01T10:00:00Z""#,
    r#"meta.lastModified lt "2021-06-01T12:00:00+02:00""#,
    r#"meta.lastModified le "2021-06-01T12:00:00+02:00""#,
    r#"meta.lastModified eq "2021-06-01T10:00:00.000Z""#,
    r#"meta.lastModified gt "2022-07-04T08:00:00Z""#,
    r#"meta.created gt "2021-01-01T00:00:00Z" and meta.created lt "2022-01-01T00:00:00Z""#,
    r#"meta.resourceType eq "User""#,
    r#"meta.resourceType eq "user""#,
    r#"id eq "{u3}""#,
    r#"id eq "{U3}""#,
    r#"id ne "{u3}""#,
    r#"id eq "{u3}" or id eq "{u5}""#,
    r#"id sw "{u3}""#,
    r#"externalId eq "ext-001""#,
    r#"externalId eq "EXT-001""#,
    r#"externalId sw "EXT""#,
    r#"externalId pr"#,
    r#"userName eq "bjensen" and externalId eq "ext-001""#,
    r#"userName eq "bjensen" or userName eq "carol""#,
    r#"userName eq "bjensen" and title eq "nothing""#,
    r#"favouriteColour eq "BLUE""#,
    r#"level gt 2"#,
    r#"level le 3"#,
    r#"level eq 2.5"#,
    r#"groups.value eq "{g1}""#,
    r#"groups[display eq "admins"]"#,
    r#"groups pr"#,
    r#"not (groups pr)"#,
    r#"active gt true"#,
    r#"name gt "x""#,
];

/// Group filters of the query checks.
const GROUP_FILTERS: &[&str] = &[
    r#"displayName eq "admins""#,
    r#"displayName eq "Admins""#,
    r#"displayName co "GUIDE""#,
    r#"displayName sw "tour" or displayName eq "empty""#,
    r#"displayName gt "B""#,
    r#"members[value eq "{u1}"]"#,
    r#"members[value eq "{U1}"]"#,
    r#"members.value eq "{u8}""#,
    r#"members.value eq "{g1}""#,
    r#"members[type eq "group"]"#,
    r#"members pr"#,
    r#"not (members pr)"#,
    r#"externalId eq "grp-2""#,
    r#"externalId eq "GRP-2""#,
    r#"id eq "{g3}""#,
    r#"meta.created ge "2022-01-01T00:00:00Z""#,
];

/// `{"value": id}`, with a display if given.
fn member(id: &ResourceId, display: Option<&str>) -> Value {
    match display {
        Some(display) => json!({"value": id.as_str(), "display": display}),
        None => json!({"value": id.as_str()}),
    }
}

fn delta(add: Vec<Value>, remove: Vec<String>) -> MemberDelta {
    MemberDelta {
        add,
        remove,
        remove_all: false,
    }
}

/// A group's member ids, sorted.
fn member_values(group: &Resource) -> Vec<String> {
    let mut values: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_owned))
        .collect();
    values.sort();
    values
}

fn member_item<'a>(group: &'a Resource, id: &ResourceId) -> Option<&'a Value> {
    group
        .get("members")?
        .as_array()?
        .iter()
        .find(|m| m.get("value").and_then(Value::as_str) == Some(id.as_str()))
}

fn sorted<'a>(ids: impl IntoIterator<Item = &'a ResourceId>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().map(ToString::to_string).collect();
    ids.sort();
    ids
}

fn ids(result: &QueryResult) -> Vec<String> {
    result
        .resources
        .iter()
        .map(|r| r.id().to_string())
        .collect()
}

/// A query with a filter, first page of `count`.
fn filtered(filter: &str, count: u64) -> ListQuery {
    let mut q = ListQuery::new(Page::Index {
        start_index: 1,
        count,
    });
    q.filter = Some(filter.parse().unwrap_or_else(|e| panic!("{filter}: {e}")));
    q
}

/// `word` with the letters upper-cased where `bits` has a one.
fn case_variant(word: &str, bits: usize) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if (bits >> i) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// Checks that exactly one result is a success and every other failure
/// is one `loser` accepts; returns the success.
fn exactly_one_winner<T: fmt::Debug>(
    cx: &Check<'_>,
    results: Vec<Result<T, StoreError>>,
    what: &str,
    loser: impl Fn(&StoreError) -> bool,
) -> T {
    let mut winners = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(value) => winners.push(value),
            Err(e) if loser(&e) => {}
            Err(e) => cx.fail(format_args!(
                "{what}: call {i} failed with an unexpected error: {e:?}"
            )),
        }
    }
    ensure_eq!(
        cx,
        winners.len(),
        1,
        "{what}: the number of calls that succeed ({winners:?})"
    );
    winners.pop().unwrap_or_else(|| cx.fail(what))
}

fn boxed<T, Fut: Future<Output = T> + Send + 'static>(future: Fut) -> BoxFuture<T> {
    Box::pin(future)
}

/// Polls `future`, turning a panic into `Err` with the panic's message.
async fn catch<T>(future: impl Future<Output = T>) -> Result<T, String> {
    let mut future = Box::pin(future);
    poll_fn(
        move |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
        },
    )
    .await
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Polls all futures in the current task until each is done; outputs in
/// order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut all_done = true;
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *out = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

/// What spawned tasks report back.
struct Shared<T> {
    outcomes: Vec<Option<Result<T, String>>>,
    remaining: usize,
    waker: Option<Waker>,
}

/// Hands each future to the spawner and waits until all have reported,
/// without depending on the spawner's runtime; outputs in order.
async fn spawn_all<T: Send + 'static>(
    spawn: &Spawner,
    tasks: Vec<BoxFuture<T>>,
) -> Vec<Result<T, String>> {
    let shared = Arc::new(Mutex::new(Shared {
        outcomes: tasks.iter().map(|_| None).collect(),
        remaining: tasks.len(),
        waker: None,
    }));
    for (i, task) in tasks.into_iter().enumerate() {
        let shared = Arc::clone(&shared);
        spawn(Box::pin(async move {
            let outcome = catch(task).await;
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            state.outcomes[i] = Some(outcome);
            state.remaining -= 1;
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }));
    }
    poll_fn(|cx| {
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        if state.remaining == 0 {
            Poll::Ready(state.outcomes.drain(..).flatten().collect())
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    })
    .await
}
