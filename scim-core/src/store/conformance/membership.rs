//! Checks of group membership: `modify_members`, computed `groups`,
//! member references, and a large group.

use std::future::Future;
use std::sync::Arc;

use serde_json::{Value, json};

use super::data::{delta, filtered, ids, member, member_values, sorted};
use super::{CREATED, Suite, time_at};
use crate::id::ResourceId;
use crate::project::Projection;
use crate::resource::Resource;
use crate::store::{MemberDelta, ResourceStore, StoreError};

impl<F, Fut> Suite<F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ResourceStore>>,
{
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

        let stamp = time_at("2024-03-01T00:00:00Z");
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
            got.meta().map(|m| m.last_modified),
            Some(stamp),
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
        let unchanged = cx.ok(
            cx.store
                .modify_members(
                    &t,
                    groups,
                    g.id(),
                    &again,
                    None,
                    time_at("2024-03-02T00:00:00Z"),
                )
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
        ensure_eq!(
            cx,
            (
                &unchanged,
                got.version(),
                got.meta().map(|m| m.last_modified)
            ),
            (&v, &v, Some(stamp)),
            "a membership change that changes nothing must keep the version and lastModified (RFC 7644 §3.5.2.1)"
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
                .modify_members(&t, groups, group.id(), &add, None, time_at(CREATED))
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
                .modify_members(&t, groups, group.id(), &remove, None, time_at(CREATED))
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

fn member_item<'a>(group: &'a Resource, id: &ResourceId) -> Option<&'a Value> {
    group
        .get("members")?
        .as_array()?
        .iter()
        .find(|m| m.get("value").and_then(Value::as_str) == Some(id.as_str()))
}
