//! Group names unique per tenant under the Sign In Enterprise profile:
//! racing creates, renames onto a taken name, and duplicates a database
//! held before the migration that added the rule: refused, listed, and
//! resolved with the repair commands.

use std::future::Future;

use super::*;
use crate::db::names::{GroupChange, Remaining, change_group_in_store};
use crate::profile::{Profile, registry};

/// The Group type of the product profile (`displayName` unique).
pub(crate) fn profile_groups() -> Arc<ResourceSchema> {
    registry(Profile::SignInEnterprise)
        .unwrap()
        .resource_type("Group")
        .unwrap()
        .clone()
}

fn group(schema: &ResourceSchema, name: &str) -> Resource {
    prepared(schema, json!({"displayName": name}))
}

/// A group stored with this `meta.created`, so that "the first of each
/// name" is well defined.
fn group_created(schema: &ResourceSchema, name: &str, created: &str) -> Resource {
    let body = prepare_create(
        schema,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name}),
        &mut Context::new(Policy::entra_id()),
    )
    .unwrap();
    Resource::new(
        ResourceId::generate(),
        body,
        &Meta::new(schema.name(), at(created), Version::from_revision(1)),
    )
}

fn renamed(schema: &ResourceSchema, current: &Resource, name: &str) -> Resource {
    patched(
        schema,
        current,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations": [{"op": "Replace", "path": "displayName", "value": name}]}),
    )
}

fn assert_name_conflict(result: Result<Resource, StoreError>) {
    match result {
        Err(StoreError::Conflict(c)) => assert!(
            c.attribute() == Some("displayName") && c.to_string().contains("displayName"),
            "{c:?}"
        ),
        other => panic!("expected a displayName conflict, got {other:?}"),
    }
}

/// Six creates of one name in different cases, from tasks on two handles
/// (two server processes): exactly one wins. Then renames onto the taken
/// name conflict, by replace and by PATCH; a case change of its own name
/// does not; the name is free again after a delete. Without the profile,
/// duplicates are allowed.
pub(crate) async fn racing_group_names(a: &Database, b: &Database) {
    let groups = profile_groups();
    let t = new_tenant(a, "names").await.1;
    for round in 0..3 {
        let mut tasks = Vec::new();
        for i in 0..6 {
            let db = if i % 2 == 0 { a.clone() } else { b.clone() };
            let (t, groups) = (t.clone(), groups.clone());
            let name = match i % 3 {
                0 => format!("Front Desk {round}"),
                1 => format!("FRONT desk {round}"),
                _ => format!("front DESK {round}"),
            };
            tasks.push(tokio::spawn(async move {
                db.scim.create(&t, &groups, group(&groups, &name)).await
            }));
        }
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => wins += 1,
                Err(StoreError::Conflict(c)) => assert!(
                    c.attribute() == Some("displayName") && c.to_string().contains("displayName"),
                    "{c:?}"
                ),
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
    let all = a
        .scim
        .query(&t, &groups, &ListQuery::new(first_page()))
        .await
        .unwrap();
    assert_eq!(all.total_results, 3);

    let lobby = a
        .scim
        .create(&t, &groups, group(&groups, "Lobby"))
        .await
        .unwrap();
    // Replace onto a taken name, in another case.
    let mut body = lobby.json().clone();
    body.insert("displayName".to_owned(), json!("FRONT DESK 0"));
    let onto = Resource::from_json(body).unwrap();
    assert_name_conflict(b.scim.replace(&t, &groups, onto, lobby.version()).await);
    // PATCH rename onto a taken name.
    assert_name_conflict(
        a.scim
            .replace(
                &t,
                &groups,
                renamed(&groups, &lobby, "front desk 1"),
                lobby.version(),
            )
            .await,
    );
    // Its own name in another case is no conflict.
    let lobby = b
        .scim
        .replace(
            &t,
            &groups,
            renamed(&groups, &lobby, "LOBBY"),
            lobby.version(),
        )
        .await
        .unwrap();
    assert_eq!(lobby.get("displayName"), Some(&json!("LOBBY")));
    // A deleted group's name is free again.
    let taken = a
        .scim
        .query(
            &t,
            &groups,
            &list(
                Some(r#"displayName eq "front desk 2""#),
                Projection::all(),
                first_page(),
            ),
        )
        .await
        .unwrap();
    let holder = taken.resources[0].id().clone();
    a.scim.delete(&t, &groups, &holder, None).await.unwrap();
    b.scim
        .create(&t, &groups, group(&groups, "Front Desk 2"))
        .await
        .unwrap();

    // The standard registry does not make names unique.
    let plain = super::groups();
    let t = new_tenant(a, "names-plain").await.1;
    for name in ["Front Desk", "FRONT DESK"] {
        a.scim
            .create(&t, &plain, group(&plain, name))
            .await
            .unwrap();
    }
}

/// Writes what a database held before group names became unique: two
/// names held by two groups each (the older first), without the profile.
/// Returns the tenant's id and name and the groups.
pub(crate) async fn duplicate_group_names(db: &Database) -> (TenantId, String, Vec<Resource>) {
    let plain = groups();
    let (tenant, t) = new_tenant(db, "dups").await;
    let mut out = Vec::new();
    for (name, created) in [
        ("Front Desk", "2025-01-01T00:00:00Z"),
        ("FRONT DESK", "2025-01-02T00:00:00Z"),
        ("Lobby", "2025-01-03T00:00:00Z"),
        ("lobby", "2025-01-04T00:00:00Z"),
    ] {
        out.push(
            db.scim
                .create(&t, &plain, group_created(&plain, name, created))
                .await
                .unwrap(),
        );
    }
    (t, tenant.name, out)
}

/// Opening the database with those duplicates fails, listing every group
/// of each shared name (oldest first) and the commands that resolve them;
/// the database stays at version 2.
pub(crate) fn assert_refused(opened: Result<Database, DbError>, tenant: &str, before: &[Resource]) {
    let refusal = match opened {
        Err(DbError::DuplicateGroupNames(d)) => d,
        Err(e) => panic!("expected the duplicate names to be refused, got {e}"),
        Ok(_) => panic!("expected the duplicate names to be refused, the database opened"),
    };
    assert_eq!(refusal.version, 2);
    let listed: Vec<(&str, &str, &str, &str)> = refusal
        .groups
        .iter()
        .map(|g| {
            (
                g.tenant.as_str(),
                g.key.as_str(),
                g.id.as_str(),
                g.created.as_str(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str, &str, &str)> = before
        .iter()
        .zip(["front desk", "front desk", "lobby", "lobby"])
        .zip([
            "2025-01-01T00:00:00Z",
            "2025-01-02T00:00:00Z",
            "2025-01-03T00:00:00Z",
            "2025-01-04T00:00:00Z",
        ])
        .map(|((g, key), created)| (tenant, key, g.id().as_str(), created))
        .collect();
    assert_eq!(listed, expected);
    let text = refusal.to_string();
    for later in [&before[1], &before[3]] {
        assert!(
            text.contains(&format!(
                "groups rename --tenant {tenant} {} \"NEW NAME\"",
                later.id()
            )),
            "{text}"
        );
    }
    assert!(text.contains("schema version 2"), "{text}");
}

/// The repair commands on the unmigrated database: `change(tenant, id,
/// change)` is the backend's pre-migration path. A rename onto a taken
/// name (either case) is refused; renaming one duplicate away and deleting
/// the other leaves none.
pub(crate) async fn resolve_duplicates<F, Fut>(change: F, tenant: &str, before: &[Resource])
where
    F: Fn(String, String, GroupChange) -> Fut,
    Fut: Future<Output = Result<Remaining, DbError>>,
{
    let id = |i: usize| before[i].id().as_str().to_owned();
    let rename = |name: &str| GroupChange::Rename(name.to_owned());
    assert!(matches!(
        change(tenant.to_owned(), id(1), rename("LOBBY")).await,
        Err(DbError::GroupNameTaken(n)) if n == "LOBBY"
    ));
    assert!(matches!(
        change("no-such-tenant".to_owned(), id(1), rename("x")).await,
        Err(DbError::NoSuchTenant(_))
    ));
    assert!(matches!(
        change(tenant.to_owned(), "no-such-group".to_owned(), rename("x")).await,
        Err(DbError::NoSuchGroup(_))
    ));
    let left = change(tenant.to_owned(), id(1), rename("Back Office"))
        .await
        .unwrap()
        .expect("the database is not migrated yet");
    let left: Vec<&str> = left.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(left, [id(2), id(3)]);
    let left = change(tenant.to_owned(), id(3), GroupChange::Delete)
        .await
        .unwrap();
    assert_eq!(left, Some(Vec::new()));
}

/// After the repairs and the migration: the renamed group kept its id
/// under its new name with a new version, the deleted one is gone, every
/// name is taken once (ignoring case), and the repair commands now go
/// through the store (renames onto taken names still refused). Migrated,
/// the backend's pre-migration path changes nothing (`None`).
pub(crate) async fn after_resolution<F, Fut>(
    db: &Database,
    t: &TenantId,
    tenant: &str,
    before: &[Resource],
    change: F,
) where
    F: Fn(String, String, GroupChange) -> Fut,
    Fut: Future<Output = Result<Remaining, DbError>>,
{
    let groups = profile_groups();
    let read = |i: usize| {
        let id = before[i].id().clone();
        let (db, t, groups) = (db.clone(), t.clone(), groups.clone());
        async move {
            db.scim
                .get(&t, &groups, &id, &Projection::all())
                .await
                .unwrap()
        }
    };
    let names: Vec<Option<Value>> = [read(0).await, read(1).await, read(2).await]
        .into_iter()
        .map(|g| g.and_then(|g| g.get("displayName").cloned()))
        .collect();
    assert_eq!(
        names,
        [
            Some(json!("Front Desk")),
            Some(json!("Back Office")),
            Some(json!("Lobby"))
        ]
    );
    let moved = read(1).await.unwrap();
    assert_ne!(moved.version(), before[1].version());
    assert!(read(3).await.is_none());
    for taken in ["front desk", "BACK OFFICE", "lobby"] {
        assert_name_conflict(db.scim.create(t, &groups, group(&groups, taken)).await);
    }
    let lobby = before[2].id().as_str().to_owned();
    assert_eq!(
        change(tenant.to_owned(), lobby.clone(), GroupChange::Delete)
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        change_group_in_store(
            db,
            &groups,
            tenant,
            &lobby,
            &GroupChange::Rename("Back office".into())
        )
        .await,
        Err(DbError::GroupNameTaken(_))
    ));
    change_group_in_store(
        db,
        &groups,
        tenant,
        &lobby,
        &GroupChange::Rename("Reception".into()),
    )
    .await
    .unwrap();
    assert_name_conflict(
        db.scim
            .create(t, &groups, group(&groups, "RECEPTION"))
            .await,
    );
    change_group_in_store(db, &groups, tenant, &lobby, &GroupChange::Delete)
        .await
        .unwrap();
    assert!(read(2).await.is_none());
}
