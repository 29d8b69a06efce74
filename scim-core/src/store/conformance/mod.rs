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
//! Besides the fixed cases, [`Suite::differential_queries`] compares random
//! queries over random resources with `evaluate`; [`Suite::run_all`] runs a
//! few of them ([`Suite::random_queries_agree_with_evaluate`]), and every
//! counterexample found so far ([`Suite::differential_regressions`]). Two
//! environment variables change every differential run: [`CASES_VAR`]
//! (`SCIM_DIFFERENTIAL_CASES=100000`) runs that many cases, and
//! [`SEED_VAR`] (`SCIM_DIFFERENTIAL_SEED=0x1234`) starts from another seed.
//! A differential failure prints its seed, the query, the resources and
//! the case as an entry to keep as a regression.
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
use std::collections::BTreeSet;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};

use serde_json::{Value, json};
use time::OffsetDateTime;

pub use self::differential::{CASES_VAR, SEED_VAR};

use self::data::member;
use super::{ResourceStore, TenantId};
use crate::id::{ResourceId, Version};
use crate::list::{ListQuery, QueryResult};
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

// The checks by topic, each submodule with an `impl Suite` block that holds
// the public method of each of its checks, and `data`, what they work on.
// They are declared after the macros above because a `macro_rules!` macro
// is in scope only after its definition.
mod concurrency;
mod crud;
mod data;
mod differential;
mod membership;
mod query;
mod tenant;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CREATED: &str = "2024-01-01T00:00:00Z";

/// Test data's RFC 3339 text as a time. The suite's own constants are
/// valid; the epoch stands in for a typo rather than a panic.
fn time_at(text: &str) -> OffsetDateTime {
    crate::resource::parse_date_time(text).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

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
            random_queries_agree_with_evaluate,
            differential_regressions,
            sorting_agrees_with_evaluate,
            index_paging,
            cursor_paging,
            cursor_walk_under_writes,
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
}

/// `body` with the `schemas` a client sends (RFC 7643 §3): the core
/// schema and each extension the body has, unless it lists them itself.
fn with_schemas(schema: &ResourceSchema, mut body: Value) -> Value {
    if let Value::Object(obj) = &mut body {
        if !obj.contains_key("schemas") {
            let mut urns = vec![Value::String(schema.core().id.as_str().to_owned())];
            for (ext, _) in schema.extensions() {
                if obj.contains_key(ext.id.as_str()) {
                    urns.push(Value::String(ext.id.as_str().to_owned()));
                }
            }
            obj.insert("schemas".to_owned(), Value::Array(urns));
        }
    }
    body
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
        let prepared = prepare_create(
            schema,
            with_schemas(schema, body),
            &mut Context::new(Policy::entra_id()),
        )
        .unwrap_or_else(|e| self.fail(format_args!("test data is invalid: {e}")));
        Resource::new(
            ResourceId::generate(),
            prepared,
            &Meta::new(schema.name(), time_at(at), Version::from_revision(1)),
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
        at: OffsetDateTime,
    ) -> Resource {
        let prepared = prepare_create(
            schema,
            with_schemas(schema, body),
            &mut Context::new(Policy::entra_id()),
        )
        .unwrap_or_else(|e| self.fail(format_args!("test data is invalid: {e}")));
        let created = old.meta().map_or(at, |m| m.created);
        let mut meta = Meta::new(schema.name(), created, old.version().clone());
        meta.last_modified = at;
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
