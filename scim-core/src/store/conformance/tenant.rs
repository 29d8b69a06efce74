//! The check that tenants share nothing.

use std::future::Future;
use std::sync::Arc;

use serde_json::json;

use super::data::{delta, filtered, ids, member};
use super::{CREATED, Suite, time_at};
use crate::store::{MemberDelta, ResourceStore, StoreError};

impl<F, Fut> Suite<F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ResourceStore>>,
{
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
        let update = cx.replacement(
            users,
            &user_a,
            json!({"userName": "hijacked"}),
            time_at(CREATED),
        );
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
            .modify_members(
                &b,
                groups,
                group_a.id(),
                &remove_all,
                None,
                time_at(CREATED),
            )
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
            .modify_members(&b, groups, group_b.id(), &add, None, time_at(CREATED))
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
}
