//! SQLite backend tests: the library's store conformance suite, one test
//! per check on fresh database files, and the product scenarios.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;
use scim_core::store::conformance::Suite;

use super::SqliteDb;
use scim_core::store::ResourceStore;

use crate::db::names::GroupChange;
use crate::db::testing::{self, AdoptTenant, Adopting, TempDir};
use crate::db::{Database, Options, Target, open};

macro_rules! conformance {
    ($($check:ident),+ $(,)?) => {
        mod conformance {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    let dir = TempDir::new(concat!("sqlite-", stringify!($check)));
                    let dir = &dir;
                    Suite::new(|| {
                        let path = dir.file();
                        async move {
                            let db = Arc::new(SqliteDb::open(&path).await.unwrap());
                            Arc::new(Adopting(db)) as Arc<dyn ResourceStore>
                        }
                    })
                    .with_spawner(|task| {
                        tokio::spawn(task);
                    })
                    .$check()
                    .await;
                }
            )+
        }
    };
}

conformance!(
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

/// The differential check at CI scale (the suite's own
/// `random_queries_agree_with_evaluate` runs a few cases): random queries
/// over random tenants agree with `evaluate`, in two halves that run in
/// parallel. `SCIM_DIFFERENTIAL_CASES=100000` runs more (per half).
async fn differential(label: &str, seed: u64) {
    let dir = TempDir::new(label);
    let dir = &dir;
    Suite::new(|| {
        let path = dir.file();
        async move {
            let db = Arc::new(SqliteDb::open(&path).await.unwrap());
            Arc::new(Adopting(db)) as Arc<dyn ResourceStore>
        }
    })
    .differential_queries(500, seed)
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differential_queries_agree_with_evaluate_first_half() {
    differential("sqlite-differential-1", 0x7371_6c00_0000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differential_queries_agree_with_evaluate_second_half() {
    differential("sqlite-differential-2", 0x7371_6c01_0000).await;
}

async fn fresh(dir: &TempDir) -> (Database, std::path::PathBuf) {
    let path = dir.file();
    (
        open(&Target::Sqlite(path.clone()), Options::default())
            .await
            .unwrap(),
        path,
    )
}

/// Undoes migration 5's tables (their triggers go with them), for tests
/// that take a database back to an older version.
const UNDO_TEXT_QUEUES: &str = "
    DROP TABLE host_texts_pending; DROP TABLE host_texts_gone;
    DROP TABLE group_texts_pending; DROP TABLE group_texts_gone;";

/// Undoes migration 4's tables (after [`UNDO_TEXT_QUEUES`]).
const UNDO_INDEX_ROWS: &str = "
    DROP TABLE host_keys; DROP TABLE group_keys; DROP TABLE index_names;
    DROP TABLE host_texts_fts; DROP TABLE group_texts_fts;
    DROP TABLE host_texts; DROP TABLE group_texts;";

fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[async_trait::async_trait]
impl AdoptTenant for SqliteDb {
    async fn adopt_tenant(&self, id: &str) {
        let id = id.to_owned();
        self.run(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO tenants (id, name, token_hash, created) VALUES (?1, ?1, randomblob(32), '')",
                [&id],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    }
}

/// The rows of `tenant` in every table with a `tenant_id` column.
fn rows_of(path: &Path, tenant: &str) -> u64 {
    let conn = raw(path);
    let tables: Vec<String> = conn
        .prepare(
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
             WHERE m.type = 'table' AND c.name = 'tenant_id'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.len() >= 3, "{tables:?}");
    tables
        .iter()
        .map(|table| {
            conn.query_row(
                &format!("SELECT COUNT(*) FROM \"{table}\" WHERE tenant_id = ?1"),
                [tenant],
                |r| r.get::<_, u64>(0),
            )
            .unwrap()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_tenant_keeps_no_rows_though_writers_race_the_deletion() {
    let dir = TempDir::new("sqlite-offboard");
    let (db, path) = fresh(&dir).await;
    testing::deletion_races_writers(&db, &move |tenant| {
        let path = path.clone();
        Box::pin(async move { rows_of(&path, &tenant) })
    })
    .await;
}

#[tokio::test]
async fn entra_create_and_patch_fill_the_typed_columns() {
    let dir = TempDir::new("sqlite-typed");
    let (db, path) = fresh(&dir).await;
    let (tenant, host) = testing::entra_host_lifecycle(&db).await;
    let (other_email, organization, external_id, key): (String, String, Option<String>, String) = raw(&path)
        .query_row(
            "SELECT other_email, organization, external_id, user_name_key FROM hosts WHERE tenant_id = ?1 AND id = ?2",
            [&tenant.id, host.id().as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (
            other_email.as_str(),
            organization.as_str(),
            external_id,
            key.as_str()
        ),
        (
            "amelia.hart@hartfamily.example",
            "Northwind Traders",
            None,
            "amelia.hart-lowe@northwind.example"
        )
    );
    // The document holds the resource without computed attributes.
    let doc: String = raw(&path)
        .query_row(
            "SELECT doc FROM hosts WHERE id = ?1",
            [host.id().as_str()],
            |r| r.get(0),
        )
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["name"]["familyName"], "Hart-Lowe");
    assert!(doc.get("groups").is_none());
}

#[tokio::test]
async fn tenants_are_created_found_rotated_and_deleted_with_their_data() {
    let dir = TempDir::new("sqlite-tenants");
    testing::tenant_lifecycle(&fresh(&dir).await.0).await;
}

#[tokio::test]
async fn rotated_tokens_keep_working_for_their_grace_period() {
    let dir = TempDir::new("sqlite-grace");
    testing::token_rotation_with_grace(&fresh(&dir).await.0).await;
}

#[tokio::test]
async fn product_view_hides_invisible_hosts_and_counts_members() {
    let dir = TempDir::new("sqlite-product");
    testing::product_view(&fresh(&dir).await.0).await;
}

#[tokio::test]
async fn entra_group_traffic_reads_members_only_when_asked() {
    let dir = TempDir::new("sqlite-groups");
    let db = Arc::new(SqliteDb::open(&dir.file()).await.unwrap());
    let database = Database {
        scim: db.clone(),
        tenants: db.clone(),
        product: db.clone(),
    };
    testing::entra_group_flows(&database, &|| db.member_reads()).await;
}

#[tokio::test]
async fn members_must_exist_in_the_tenant() {
    let dir = TempDir::new("sqlite-refs");
    testing::member_references(&fresh(&dir).await.0).await;
}

#[tokio::test]
async fn sql_paging_agrees_with_evaluate() {
    let dir = TempDir::new("sqlite-paging");
    testing::paging_agrees_with_evaluate(&fresh(&dir).await.0).await;
}

#[tokio::test]
async fn nul_characters_round_trip() {
    let dir = TempDir::new("sqlite-nul");
    testing::nul_round_trip(&fresh(&dir).await.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_racing_for_a_user_name_give_one_winner() {
    let dir = TempDir::new("sqlite-race");
    let path = dir.file();
    let a = open(&Target::Sqlite(path.clone()), Options::default())
        .await
        .unwrap();
    let b = open(&Target::Sqlite(path), Options::default())
        .await
        .unwrap();
    testing::racing_creates(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_racing_for_a_group_name_give_one_winner() {
    let dir = TempDir::new("sqlite-names");
    let path = dir.file();
    let a = open(&Target::Sqlite(path.clone()), Options::default())
        .await
        .unwrap();
    let b = open(&Target::Sqlite(path), Options::default())
        .await
        .unwrap();
    testing::racing_group_names(&a, &b).await;
}

#[tokio::test]
async fn duplicate_group_names_stop_the_migration_until_resolved() {
    let dir = TempDir::new("sqlite-dups");
    let (db, path) = fresh(&dir).await;
    let (t, tenant, before) = testing::duplicate_group_names(&db).await;
    drop(db);
    // Back to the schema before the migration (and the index rows after
    // it), with the duplicates.
    let version = super::group_names_version();
    raw(&path)
        .execute_batch(&format!(
            "{UNDO_TEXT_QUEUES} {UNDO_INDEX_ROWS}
             DROP INDEX host_groups_display_name_unique;
             ALTER TABLE host_groups DROP COLUMN display_name_unique;
             DELETE FROM schema_version WHERE version >= {version};"
        ))
        .unwrap();
    let target = Target::Sqlite(path.clone());
    testing::assert_refused(open(&target, Options::default()).await, &tenant, &before);
    let columns = |path: &Path| -> (i64, i64) {
        raw(path)
            .query_row(
                "SELECT (SELECT MAX(version) FROM schema_version),
                        (SELECT COUNT(*) FROM pragma_table_info('host_groups')
                         WHERE name = 'display_name_unique')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    assert_eq!(columns(&path), (version - 1, 0), "nothing was migrated");
    let change = |tenant: String, id: String, change: GroupChange| {
        let path = path.clone();
        async move { super::change_group_before_unique_names(&path, &tenant, &id, &change).await }
    };
    testing::resolve_duplicates(&change, &tenant, &before).await;
    let db = open(&target, Options::default()).await.unwrap();
    assert_eq!(
        columns(&path),
        (i64::try_from(super::sql::MIGRATIONS.len()).unwrap(), 1),
        "every migration ran"
    );
    testing::after_resolution(&db, &t, &tenant, &before, &change).await;
}

#[tokio::test]
async fn data_survives_closing_and_reopening() {
    let dir = TempDir::new("sqlite-restart");
    let (db, path) = fresh(&dir).await;
    let (t, u, g) = testing::write_for_restart(&db).await;
    drop(db);
    let db = open(&Target::Sqlite(path), Options::default())
        .await
        .unwrap();
    testing::read_after_restart(&db, &t, &u, &g).await;
}

#[tokio::test]
async fn opening_is_idempotent_and_sets_durable_modes() {
    let dir = TempDir::new("sqlite-open");
    let path = dir.path().join("nested").join("scim.sqlite");
    let first = open(&Target::Sqlite(path.clone()), Options::default())
        .await
        .unwrap();
    let second = open(&Target::Sqlite(path.clone()), Options::default())
        .await
        .unwrap();
    drop((first, second));
    let conn = raw(&path);
    let versions: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        versions,
        i64::try_from(super::sql::MIGRATIONS.len()).unwrap()
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // Per-connection settings, as the pool sets them.
    let mut conn = raw(&path);
    super::configure(&mut conn).unwrap();
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!((sync, fk), (2, 1), "synchronous=FULL, foreign_keys=ON");
    // A schema from a newer server is refused.
    conn.execute(
        "INSERT INTO schema_version (version, applied) VALUES (999, 'x')",
        [],
    )
    .unwrap();
    drop(conn);
    assert!(
        open(&Target::Sqlite(path), Options::default())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_version_1_database_migrates_and_its_tokens_keep_working() {
    let dir = TempDir::new("sqlite-v1");
    let path = dir.file();
    let conn = raw(&path);
    conn.execute_batch(super::sql::SCHEMA_VERSION_TABLE)
        .unwrap();
    conn.execute_batch(super::sql::MIGRATIONS[0]).unwrap();
    conn.execute(super::sql::RECORD_VERSION, rusqlite::params![1, "x"])
        .unwrap();
    conn.execute(
        "INSERT INTO tenants (id, name, token_hash, created) VALUES ('t1', 'old', ?1, '2025-01-02T03:04:05.678Z')",
        [[7_u8; 32].to_vec()],
    )
    .unwrap();
    drop(conn);
    let db = open(&Target::Sqlite(path.clone()), Options::default())
        .await
        .unwrap();
    let found = db.tenants.tenant_by_token_hash(&[7; 32], 0).await.unwrap();
    assert_eq!(found.map(|t| t.name).as_deref(), Some("old"));
    let listed = db.tenants.list_tenants().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].token_created,
            listed[0].token_last_used,
            listed[0].previous
        ),
        (None, None, None),
        "dates unknown before version 2"
    );
    let version: i64 = raw(&path)
        .query_row(super::sql::SCHEMA_VERSION, [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version,
        i64::try_from(super::sql::MIGRATIONS.len()).unwrap()
    );
}

#[tokio::test]
async fn entra_lookups_use_indexes() {
    let dir = TempDir::new("sqlite-plans");
    let (_db, path) = fresh(&dir).await;
    let conn = raw(&path);
    for (sql, index) in [
        (
            super::sql::HOST_BY_USER_NAME_KEY_WITH_GROUPS,
            "hosts_user_name_key",
        ),
        (super::sql::HOST_BY_EXTERNAL_ID, "hosts_external_id"),
        (
            super::sql::HOST_BY_ID_WITH_GROUPS,
            "sqlite_autoindex_hosts_1",
        ),
        (
            super::sql::GROUP_BY_DISPLAY_NAME_KEY,
            "host_groups_display_name_key",
        ),
        (super::sql::GROUP_BY_MEMBER_KEY, "memberships_member_key"),
        (super::sql::MEMBERS_OF_GROUP, "memberships_position"),
        (super::sql::GROUPS_OF_HOST, "memberships_member_host"),
        (super::sql::HOSTS_PAGE, "sqlite_autoindex_hosts_1"),
        // Every authenticated request (after the 2 s cache): both token
        // columns by index.
        (super::sql::TENANT_BY_TOKEN_HASH, "tenants_token_hash"),
        (
            super::sql::TENANT_BY_TOKEN_HASH,
            "tenants_previous_token_hash",
        ),
        (
            super::sql::RECORD_PREVIOUS_TOKEN_USE,
            "tenants_previous_token_hash",
        ),
    ] {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let n = stmt.parameter_count();
        let params: Vec<Box<dyn rusqlite::ToSql>> = (0..n)
            .map(|_| Box::new("x") as Box<dyn rusqlite::ToSql>)
            .collect();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{sql}\n{plan}");
        assert!(
            !plan.lines().any(|l| l.starts_with("SCAN")),
            "{sql}\n{plan}"
        );
    }
}

/// A page of every host sorted by an index reads that index's range and
/// stops at the page: no statement sorts the tenant (the descending order
/// sorts only the ids of one key, for its tie-break), whatever the
/// position.
#[tokio::test]
async fn sorted_walks_over_every_host_read_index_ranges() {
    use scim_core::list::Position;

    use crate::db::index::Dialect;
    use crate::db::kind::Kind;
    use crate::db::walk::{Order, Slice, Walk};

    let dir = TempDir::new("sqlite-sorted-plans");
    let (_db, path) = fresh(&dir).await;
    let conn = raw(&path);
    let positions = [
        None,
        Some(Position::after_key(b"k".to_vec(), "h1".to_owned())),
        Some(Position::after_missing("h1".to_owned())),
    ];
    for descending in [false, true] {
        for after in &positions {
            let walk = Walk {
                set: None,
                order: Order::Key {
                    index: 1,
                    descending,
                },
                slice: Slice::After {
                    after: after.clone(),
                    limit: 10,
                },
            };
            // Ten hosts of each part: every part that can follow is read.
            let reads = walk.reads(Kind::Host, Dialect::Sqlite, 20, Some(10));
            assert!(!reads.is_empty());
            for read in reads {
                let mut stmt = conn
                    .prepare(&format!("EXPLAIN QUERY PLAN {}", read.sql))
                    .unwrap();
                let params: Vec<Box<dyn rusqlite::ToSql>> = (0..stmt.parameter_count())
                    .map(|_| Box::new("x") as Box<dyn rusqlite::ToSql>)
                    .collect();
                let plan: Vec<String> = stmt
                    .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                        r.get::<_, String>(3)
                    })
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let plan = plan.join("\n");
                assert!(
                    !plan.contains("USE TEMP B-TREE FOR ORDER BY"),
                    "{}\n{plan}",
                    read.sql
                );
                assert!(
                    !plan
                        .lines()
                        .any(|l| l.starts_with("SCAN") && !l.contains("INDEX")),
                    "{}\n{plan}",
                    read.sql
                );
            }
        }
    }
}

async fn with_options(path: &Path, options: Options) -> Database {
    open(&Target::Sqlite(path.to_owned()), options)
        .await
        .unwrap()
}

#[tokio::test]
async fn filters_are_answered_from_the_indexes() {
    let dir = TempDir::new("sqlite-index-filters");
    let db = with_options(&dir.file(), testing::index::options(false)).await;
    testing::index::filters_use_the_indexes(&db).await;
}

#[tokio::test]
async fn unindexed_filters_are_refused_beyond_the_scan_budget() {
    let dir = TempDir::new("sqlite-index-budget");
    let db = with_options(&dir.file(), testing::index::options(false)).await;
    testing::index::unindexed_filters_within_the_budget(&db).await;
}

#[tokio::test]
async fn declared_index_changes_apply_at_start_up() {
    let dir = TempDir::new("sqlite-index-declared");
    let path = dir.file();
    let t = testing::index::write_for_indexing(
        &with_options(&path, testing::index::options(false)).await,
    )
    .await;
    let names = |path: &Path| -> i64 {
        raw(path)
            .query_row(
                "SELECT COUNT(*) FROM index_names WHERE name = 'title'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    for with_title in [true, false, true] {
        let db = with_options(&path, testing::index::options(with_title)).await;
        testing::index::check_indexed(&db, &t, with_title).await;
        assert_eq!(names(&path), i64::from(with_title));
    }
}

#[tokio::test]
async fn upgrading_from_version_3_builds_the_indexes() {
    let dir = TempDir::new("sqlite-index-upgrade");
    let path = dir.file();
    let t = testing::index::write_for_indexing(
        &with_options(&path, testing::index::options(false)).await,
    )
    .await;
    // Back to the schema of version 3 (before the index rows), with its documents.
    raw(&path)
        .execute_batch(&format!(
            "{UNDO_TEXT_QUEUES} {UNDO_INDEX_ROWS}
             DELETE FROM schema_version WHERE version > 3;"
        ))
        .unwrap();
    let db = with_options(&path, testing::index::options(false)).await;
    testing::index::check_indexed(&db, &t, false).await;
    let version: i64 = raw(&path)
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version,
        i64::try_from(super::sql::MIGRATIONS.len()).unwrap()
    );
}

/// Each FTS5 index holds exactly its text rows (FTS5's `integrity-check`
/// with the content table compared).
fn assert_trigram_indexes_in_step(conn: &Connection) {
    for table in ["host_texts_fts", "group_texts_fts"] {
        conn.execute(
            &format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"),
            [],
        )
        .unwrap_or_else(|e| panic!("{table} is out of step with its text rows: {e}"));
    }
}

/// The trigram indexes are written once per transaction from the text
/// rows' queues (migration 5): after concurrent creates, replaces and
/// deletes, batched together by the writer, each FTS5 index holds exactly
/// its text rows (FTS5's own `integrity-check`), the queues are empty,
/// and `co`/`ew` filters still agree with `evaluate`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trigram_indexes_stay_in_step_with_batched_writes() {
    let dir = TempDir::new("sqlite-trigram-queues");
    let path = dir.file();
    let shared = Arc::new(SqliteDb::open(&path).await.unwrap());
    let suite = || {
        let shared = shared.clone();
        Suite::new(move || {
            let shared = shared.clone();
            async move { Arc::new(Adopting(shared)) as Arc<dyn ResourceStore> }
        })
        .with_spawner(|task| {
            tokio::spawn(task);
        })
    };
    suite().cursor_walk_under_writes().await;
    suite().compare_and_swap_under_concurrency().await;
    suite().membership_under_concurrency().await;
    suite().random_queries_agree_with_evaluate().await;
    let conn = raw(&path);
    let texts: i64 = conn
        .query_row("SELECT COUNT(*) FROM host_texts", [], |r| r.get(0))
        .unwrap();
    assert!(texts > 100, "the checks wrote text rows ({texts})");
    assert_trigram_indexes_in_step(&conn);
    for queue in [
        "host_texts_pending",
        "host_texts_gone",
        "group_texts_pending",
        "group_texts_gone",
    ] {
        let left: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {queue}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0, "{queue} was not flushed");
    }
}

/// A version 4 database (trigram indexes kept by per-row triggers)
/// migrates to the queued triggers with its indexes intact, and later
/// writes keep them in step.
#[tokio::test]
async fn upgrading_from_version_4_keeps_the_trigram_indexes() {
    let dir = TempDir::new("sqlite-from-v4");
    let path = dir.file();
    let t = testing::index::write_for_indexing(
        &with_options(&path, testing::index::options(false)).await,
    )
    .await;
    // Back to version 4's triggers; the FTS5 tables are in step.
    raw(&path)
        .execute_batch(&format!(
            "{UNDO_TEXT_QUEUES}
             DROP TRIGGER host_texts_insert; DROP TRIGGER host_texts_delete;
             DROP TRIGGER group_texts_insert; DROP TRIGGER group_texts_delete;
             CREATE TRIGGER host_texts_insert AFTER INSERT ON host_texts BEGIN
                 INSERT INTO host_texts_fts (rowid, text) VALUES (new.id, new.text);
             END;
             CREATE TRIGGER host_texts_delete AFTER DELETE ON host_texts BEGIN
                 INSERT INTO host_texts_fts (host_texts_fts, rowid, text) VALUES ('delete', old.id, old.text);
             END;
             CREATE TRIGGER group_texts_insert AFTER INSERT ON group_texts BEGIN
                 INSERT INTO group_texts_fts (rowid, text) VALUES (new.id, new.text);
             END;
             CREATE TRIGGER group_texts_delete AFTER DELETE ON group_texts BEGIN
                 INSERT INTO group_texts_fts (group_texts_fts, rowid, text) VALUES ('delete', old.id, old.text);
             END;
             DELETE FROM schema_version WHERE version > 4;"
        ))
        .unwrap();
    let db = with_options(&path, testing::index::options(false)).await;
    testing::index::check_indexed(&db, &t, false).await;
    // Rows indexed before the migration, and after it.
    testing::index::write_for_indexing(&db).await;
    let users = testing::index::options(false)
        .registry
        .resource_type("User")
        .unwrap()
        .clone();
    testing::index::agrees(&db, &t, &users, r#"emails.value co "ice@""#).await;
    testing::index::agrees(&db, &t, &users, r#"userName ew "e""#).await;
    let conn = raw(&path);
    assert_trigram_indexes_in_step(&conn);
    let version: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version,
        i64::try_from(super::sql::MIGRATIONS.len()).unwrap()
    );
}
