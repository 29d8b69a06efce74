//! Group names unique per tenant under the Sign In Enterprise profile:
//! racing creates, renames onto a taken name, and duplicates a database
//! held before the migration that added the rule.

use super::*;
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
        Err(StoreError::Conflict(m)) => assert!(m.contains("displayName"), "{m}"),
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
                Err(StoreError::Conflict(m)) => assert!(m.contains("displayName"), "{m}"),
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
/// groups of one name (the older first) and a third, without the profile.
pub(crate) async fn duplicate_group_names(db: &Database) -> (TenantId, Vec<Resource>) {
    let plain = groups();
    let (_, t) = new_tenant(db, "dups").await;
    let mut out = Vec::new();
    for (name, created) in [
        ("Front Desk", "2025-01-01T00:00:00Z"),
        ("FRONT DESK", "2025-01-02T00:00:00Z"),
        ("Lobby", "2025-01-03T00:00:00Z"),
    ] {
        out.push(
            db.scim
                .create(&t, &plain, group_created(&plain, name, created))
                .await
                .unwrap(),
        );
    }
    (t, out)
}

/// After the migration: nothing was lost, the older group holds the name,
/// the later duplicate cannot be written under its name (a rename onto a
/// taken name) but can be renamed away, and new groups cannot take it.
pub(crate) async fn duplicates_after_migration(db: &Database, t: &TenantId, before: &[Resource]) {
    let groups = profile_groups();
    for g in before {
        let read = db
            .scim
            .get(t, &groups, g.id(), &Projection::all())
            .await
            .unwrap();
        assert_eq!(
            read.and_then(|r| r.get("displayName").cloned()),
            g.get("displayName").cloned()
        );
    }
    assert_name_conflict(
        db.scim
            .create(t, &groups, group(&groups, "front desk"))
            .await,
    );
    let duplicate = &before[1];
    assert_name_conflict(
        db.scim
            .replace(
                t,
                &groups,
                renamed(&groups, duplicate, "Front desk"),
                duplicate.version(),
            )
            .await,
    );
    let moved = db
        .scim
        .replace(
            t,
            &groups,
            renamed(&groups, duplicate, "Back Office"),
            duplicate.version(),
        )
        .await
        .unwrap();
    assert_name_conflict(
        db.scim
            .replace(
                t,
                &groups,
                renamed(&groups, &moved, "FRONT DESK"),
                moved.version(),
            )
            .await,
    );
    // The first holder keeps working under its name.
    let first = &before[0];
    db.scim
        .replace(
            t,
            &groups,
            renamed(&groups, first, "Front Desk"),
            first.version(),
        )
        .await
        .unwrap();
}
