//! Duplicate group names from before the rule that names are unique: the
//! server refuses to upgrade such a database and lists the groups with the
//! commands that resolve them; after `groups rename` and `groups delete`
//! it starts and keeps names unique.

use serde_json::json;

use crate::GROUP;
use crate::support::{Server, Storage, TOKEN, cleanup};

/// Groups of one name written under `--profile none`, the database put
/// back to schema version 2 (before unique names), then the refusal and
/// the repair.
async fn duplicates_are_refused_then_resolved(storage: &Storage) {
    let server = Server::start(storage, &["--profile", "none"]);
    let scim = server.client(TOKEN);
    let host = scim.create_host("front.desk@example.com").await;
    let mut ids = Vec::new();
    for name in ["Front Desk", "FRONT DESK", "front desk"] {
        let reply = scim
            .post(
                "/Groups",
                json!({"schemas": [GROUP], "displayName": name, "members": [{"value": host}]}),
            )
            .await
            .expect(201);
        ids.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    drop(server);
    storage.sql(
        "DROP TABLE host_keys; DROP TABLE group_keys; DROP TABLE index_names;
         DROP TABLE IF EXISTS host_texts_fts; DROP TABLE IF EXISTS group_texts_fts;
         DROP TABLE IF EXISTS host_texts; DROP TABLE IF EXISTS group_texts;
         DROP TABLE IF EXISTS host_texts_pending; DROP TABLE IF EXISTS host_texts_gone;
         DROP TABLE IF EXISTS group_texts_pending; DROP TABLE IF EXISTS group_texts_gone;
         DROP INDEX host_groups_display_name_unique;
         ALTER TABLE host_groups DROP COLUMN display_name_unique;
         DELETE FROM schema_version WHERE version >= 3;",
    );

    let refused = storage.serve_until_exit();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("schema version 2")
            && stderr.contains(r#"tenant "default", name "front desk""#),
        "{stderr}"
    );
    for id in &ids {
        assert!(stderr.contains(id.as_str()), "{id} in {stderr}");
    }
    // A command for every group but the one suggested to keep (the
    // oldest); the groups were created in this order.
    let with_commands: Vec<&String> = ids
        .iter()
        .filter(|id| {
            stderr.contains(&format!(
                "scim-server-example groups rename --tenant default {id} \"NEW NAME\""
            )) && stderr.contains(&format!(
                "scim-server-example groups delete --tenant default {id} --yes"
            ))
        })
        .collect();
    assert_eq!(with_commands.len(), 2, "{stderr}");
    // Refused again: nothing was changed.
    assert!(!storage.serve_until_exit().status.success());

    let dir = std::env::temp_dir();
    let onto_taken = storage.output_in(
        &dir,
        &[
            "groups",
            "rename",
            "--tenant",
            "default",
            &ids[1],
            "FRONT desk",
        ],
    );
    assert!(!onto_taken.status.success());
    assert!(
        String::from_utf8_lossy(&onto_taken.stderr).contains("another host group"),
        "{}",
        String::from_utf8_lossy(&onto_taken.stderr)
    );
    let renamed = storage.command(&[
        "groups",
        "rename",
        "--tenant",
        "default",
        &ids[1],
        "Back Office",
    ]);
    assert!(
        renamed.contains("still sharing a name") && renamed.contains(&ids[2]),
        "{renamed}"
    );
    let unconfirmed =
        storage.output_in(&dir, &["groups", "delete", "--tenant", "default", &ids[2]]);
    assert!(!unconfirmed.status.success());
    let deleted = storage.command(&["groups", "delete", "--tenant", "default", &ids[2], "--yes"]);
    assert!(deleted.contains("start the server"), "{deleted}");

    let server = Server::start(storage, &[]);
    let scim = server.client(TOKEN);
    let listed = scim.get("/Groups").await.expect(200);
    let mut names: Vec<&str> = listed.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Back Office", "Front Desk"]);
    scim.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "BACK OFFICE"}),
    )
    .await
    .expect_scim_error(409);
    let user = scim.get(&format!("/Users/{host}")).await.expect(200);
    assert_eq!(
        user.body["groups"].as_array().map(Vec::len),
        Some(2),
        "{}",
        user.body
    );
    // Migrated: the commands go through the store.
    drop(server);
    storage.command(&[
        "groups",
        "rename",
        "--tenant",
        "default",
        &ids[1],
        "Reception",
    ]);
    let list = storage.command(&["groups", "list", "--tenant", "default"]);
    assert!(
        list.contains("Reception") && !list.contains("Back Office"),
        "{list}"
    );
    cleanup(storage);
}

#[tokio::test]
async fn duplicate_group_names_are_refused_then_resolved_with_sqlite() {
    duplicates_are_refused_then_resolved(&Storage::sqlite()).await;
}

#[tokio::test]
async fn duplicate_group_names_are_refused_then_resolved_with_postgres() {
    if let Some(storage) = Storage::postgres("duplicate_group_names") {
        duplicates_are_refused_then_resolved(&storage).await;
    }
}
