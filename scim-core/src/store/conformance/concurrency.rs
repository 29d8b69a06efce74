//! Checks of concurrent writes: uniqueness, compare-and-swap and
//! membership changes under contention.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde_json::json;

use super::data::{delta, filtered, ids, member, member_values, sorted};
use super::{BoxFuture, CREATED, Check, Suite, time_at};
use crate::resource::Resource;
use crate::store::{ResourceStore, StoreError};

impl<F, Fut> Suite<F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ResourceStore>>,
{
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
                    time_at(CREATED),
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
                    time_at(CREATED),
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
                                .modify_members(
                                    &t,
                                    &groups,
                                    &group,
                                    &change,
                                    None,
                                    time_at(CREATED),
                                )
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
