//! Checks of single resources: create, get, replace and delete, versions,
//! missing ids and uniqueness.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use serde_json::{Value, json};

use super::data::{delta, member, member_values};
use super::{CREATED, ENTERPRISE, Suite, time_at};
use crate::id::Version;
use crate::list::{ListQuery, Page};
use crate::resource::{Meta, Resource, prepare_create};
use crate::store::{MemberDelta, ResourceStore, StoreError};
use crate::tolerance::{Context, Policy};

impl<F, Fut> Suite<F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ResourceStore>>,
{
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
        let times = |m: Option<Meta>| m.map(|m| (m.resource_type, m.created, m.last_modified));
        ensure_eq!(
            cx,
            times(created.meta()),
            times(input.meta()),
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
            time_at("2024-02-01T00:00:00Z"),
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
            replaced.meta().map(|m| m.last_modified),
            Some(time_at("2024-02-01T00:00:00Z")),
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
                time_at(CREATED),
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
        let stamp = time_at("2024-05-05T05:05:05Z");
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
            got.meta().map(|m| m.last_modified),
            Some(stamp),
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
            time_at(CREATED),
        );
        let v2 = cx.ok(
            cx.store.replace(&t, users, update, v1.version()).await,
            "replacing at the current version",
        );
        let update = cx.replacement(
            users,
            &v1,
            json!({"userName": "stale", "title": "lost update"}),
            time_at(CREATED),
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
            time_at(CREATED),
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
                .modify_members(
                    &t,
                    groups,
                    group.id(),
                    &add,
                    Some(group.version()),
                    time_at(CREATED),
                )
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
                time_at(CREATED),
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
                .modify_members(
                    &t,
                    groups,
                    &id,
                    &MemberDelta::default(),
                    None,
                    time_at(CREATED),
                )
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
                    message
                        .detail()
                        .as_str()
                        .to_lowercase()
                        .contains("username"),
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
        let update = cx.replacement(
            users,
            &alice,
            json!({"userName": "BJENSEN"}),
            time_at(CREATED),
        );
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

        let update = cx.replacement(
            users,
            &bjensen,
            json!({"userName": "BJensen"}),
            time_at(CREATED),
        );
        let bjensen = cx.ok(
            cx.store.replace(&t, users, update, bjensen.version()).await,
            "changing the case of one's own userName",
        );
        let update = cx.replacement(
            users,
            &bjensen,
            json!({"userName": "barbara"}),
            time_at(CREATED),
        );
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
                json!({"schemas": [users.core().id.as_str()], "userName": "someone-else"}),
                &mut Context::new(Policy::entra_id()),
            )
            .expect("valid user"),
            &Meta::new("User", time_at(CREATED), Version::from_revision(1)),
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
}
