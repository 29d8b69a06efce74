//! PostgreSQL backend tests: the store conformance suite (one test per
//! check) and the product scenarios, each in a fresh schema of the
//! database named by `SCIM_TEST_POSTGRES_URL`. Without that variable every
//! test says so on stderr and passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::Arc;

use scim_core::store::ResourceStore;
use scim_core::store::conformance::Suite;
use tokio_postgres::NoTls;

use super::PgDb;
use crate::db::names::GroupChange;
use crate::db::testing::{self, AdoptTenant, Adopting};
use crate::db::{Database, DbError};

const URL_VAR: &str = "SCIM_TEST_POSTGRES_URL";

/// Runs `body` with a connection config whose `search_path` is a new
/// schema, dropped afterwards (also when `body` panics).
async fn in_schema<F, Fut>(label: &str, body: F)
where
    F: FnOnce(tokio_postgres::Config) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let url = match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("skipping PostgreSQL test {label}: {URL_VAR} is not set");
            return;
        }
    };
    let mut random = [0_u8; 8];
    getrandom::getrandom(&mut random).unwrap();
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    // Test-made identifier (lower-case letters, digits, `_`), not data.
    let schema = format!("scim_test_{label}_{suffix}");
    let (admin, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let mut config: tokio_postgres::Config = url.parse().unwrap();
    config.options(format!("-c search_path={schema}"));
    let outcome = tokio::spawn(body(config)).await;
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("test task failed: {e}"),
        }
    }
}

async fn database(config: tokio_postgres::Config) -> (Database, Arc<PgDb>) {
    let db = Arc::new(PgDb::connect(config).await.unwrap());
    let database = Database {
        scim: db.clone(),
        tenants: db.clone(),
        product: db.clone(),
    };
    (database, db)
}

/// A plain connection into the test schema, for looking at raw rows.
async fn raw(config: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = config.connect(NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

#[async_trait::async_trait]
impl AdoptTenant for PgDb {
    async fn adopt_tenant(&self, id: &str) {
        let mut hash = [0_u8; 32];
        getrandom::getrandom(&mut hash).unwrap();
        let client = self.client().await.unwrap();
        client
            .execute(
                "INSERT INTO tenants (id, name, token_hash, created) VALUES ($1, $1, $2, '')
                 ON CONFLICT DO NOTHING",
                &[&id, &hash.as_slice()],
            )
            .await
            .unwrap();
    }
}

/// The rows of `tenant` in every table of the test schema with a
/// `tenant_id` column.
async fn rows_of(config: &tokio_postgres::Config, tenant: &str) -> u64 {
    let client = raw(config).await;
    let tables = client
        .query(
            "SELECT table_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND column_name = 'tenant_id'",
            &[],
        )
        .await
        .unwrap();
    assert!(tables.len() >= 3, "{tables:?}");
    let mut total = 0;
    for table in tables {
        let table: String = table.get(0);
        let row = client
            .query_one(
                &format!("SELECT COUNT(*) FROM \"{table}\" WHERE tenant_id = $1"),
                &[&tenant],
            )
            .await
            .unwrap();
        total += u64::try_from(row.get::<_, i64>(0)).unwrap();
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_tenant_keeps_no_rows_though_writers_race_the_deletion() {
    in_schema("offboard", |config| async move {
        let db = database(config.clone()).await.0;
        testing::deletion_races_writers(&db, &move |tenant| {
            let config = config.clone();
            Box::pin(async move { rows_of(&config, &tenant).await })
        })
        .await;
    })
    .await;
}

macro_rules! conformance {
    ($($check:ident),+ $(,)?) => {
        mod conformance {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    in_schema(stringify!($check), |config| async move {
                        Suite::new(|| {
                            let config = config.clone();
                            async move {
                                let db = Arc::new(PgDb::connect(config).await.unwrap());
                                Arc::new(Adopting(db)) as Arc<dyn ResourceStore>
                            }
                        })
                        .with_spawner(|task| {
                            tokio::spawn(task);
                        })
                        .$check()
                        .await;
                    })
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
    in_schema(label, move |config| async move {
        Suite::new(|| {
            let config = config.clone();
            async move {
                let db = Arc::new(PgDb::connect(config).await.unwrap());
                Arc::new(Adopting(db)) as Arc<dyn ResourceStore>
            }
        })
        .differential_queries(500, seed)
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differential_queries_agree_with_evaluate_first_half() {
    differential("differential_1", 0x7067_0000_0000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differential_queries_agree_with_evaluate_second_half() {
    differential("differential_2", 0x7067_0100_0000).await;
}

#[tokio::test]
async fn entra_create_and_patch_fill_the_typed_columns() {
    in_schema("typed", |config| async move {
        let (db, _) = database(config.clone()).await;
        let (tenant, host) = testing::entra_host_lifecycle(&db).await;
        let row = raw(&config)
            .await
            .query_one(
                "SELECT other_email, organization, external_id, user_name_key, doc FROM hosts WHERE tenant_id = $1 AND id = $2",
                &[&tenant.id, &host.id().as_str()],
            )
            .await
            .unwrap();
        let (other, org, ext, key): (String, String, Option<String>, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        assert_eq!(
            (other.as_str(), org.as_str(), ext, key.as_str()),
            ("amelia.hart@hartfamily.example", "Northwind Traders", None, "amelia.hart-lowe@northwind.example")
        );
        let doc: serde_json::Value = serde_json::from_str(row.get(4)).unwrap();
        assert_eq!(doc["name"]["familyName"], "Hart-Lowe");
        assert!(doc.get("groups").is_none());
    })
    .await;
}

#[tokio::test]
async fn tenants_are_created_found_rotated_and_deleted_with_their_data() {
    in_schema("tenants", |config| async move {
        testing::tenant_lifecycle(&database(config).await.0).await;
    })
    .await;
}

#[tokio::test]
async fn rotated_tokens_keep_working_for_their_grace_period() {
    in_schema("grace", |config| async move {
        testing::token_rotation_with_grace(&database(config).await.0).await;
    })
    .await;
}

#[tokio::test]
async fn product_view_hides_invisible_hosts_and_counts_members() {
    in_schema("product", |config| async move {
        testing::product_view(&database(config).await.0).await;
    })
    .await;
}

#[tokio::test]
async fn entra_group_traffic_reads_members_only_when_asked() {
    in_schema("groups", |config| async move {
        let (database, db) = database(config).await;
        testing::entra_group_flows(&database, &|| db.member_reads()).await;
    })
    .await;
}

#[tokio::test]
async fn members_must_exist_in_the_tenant() {
    in_schema("refs", |config| async move {
        testing::member_references(&database(config).await.0).await;
    })
    .await;
}

#[tokio::test]
async fn sql_paging_agrees_with_evaluate() {
    in_schema("paging", |config| async move {
        testing::paging_agrees_with_evaluate(&database(config).await.0).await;
    })
    .await;
}

#[tokio::test]
async fn nul_characters_round_trip() {
    in_schema("nul", |config| async move {
        testing::nul_round_trip(&database(config).await.0).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_racing_for_a_user_name_give_one_winner() {
    in_schema("race", |config| async move {
        // Two pools, as two server processes would have.
        let (a, _) = database(config.clone()).await;
        let (b, _) = database(config).await;
        testing::racing_creates(&a, &b).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_racing_for_a_group_name_give_one_winner() {
    in_schema("group_name_race", |config| async move {
        let (a, _) = database(config.clone()).await;
        let (b, _) = database(config).await;
        testing::racing_group_names(&a, &b).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_group_names_stop_the_migration_until_resolved() {
    in_schema("group_name_dups", |config| async move {
        let (db, _) = database(config.clone()).await;
        let (t, tenant, before) = testing::duplicate_group_names(&db).await;
        drop(db);
        // Back to the schema before the migration, with the duplicates.
        let version = super::group_names_version();
        let client = raw(&config).await;
        client
            .batch_execute(
                "DROP TABLE host_keys; DROP TABLE group_keys; DROP TABLE index_names;
                 ALTER TABLE host_groups DROP COLUMN display_name_unique",
            )
            .await
            .unwrap();
        client
            .execute(
                "DELETE FROM schema_version WHERE version >= $1",
                &[&version],
            )
            .await
            .unwrap();
        let opened = PgDb::connect(config.clone()).await.map(|db| {
            let db = Arc::new(db);
            Database {
                scim: db.clone(),
                tenants: db.clone(),
                product: db,
            }
        });
        testing::assert_refused(opened, &tenant, &before);
        let state = || async {
            let version: i32 = client
                .query_one(super::sql::SCHEMA_VERSION, &[])
                .await
                .unwrap()
                .get(0);
            let column: i64 = client
                .query_one(
                    "SELECT COUNT(*) FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = 'host_groups'
                       AND column_name = 'display_name_unique'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            (version, column)
        };
        assert_eq!(state().await, (version - 1, 0), "nothing was migrated");
        let change = |tenant: String, id: String, change: GroupChange| {
            let config = config.clone();
            async move {
                super::change_group_before_unique_names(config, &tenant, &id, &change).await
            }
        };
        testing::resolve_duplicates(&change, &tenant, &before).await;
        let (db, _) = database(config.clone()).await;
        assert_eq!(
            state().await,
            (i32::try_from(super::sql::MIGRATIONS.len()).unwrap(), 1),
            "every migration ran"
        );
        testing::after_resolution(&db, &t, &tenant, &before, &change).await;
    })
    .await;
}

#[tokio::test]
async fn data_survives_reconnecting() {
    in_schema("restart", |config| async move {
        let (db, _) = database(config.clone()).await;
        let (t, u, g) = testing::write_for_restart(&db).await;
        drop(db);
        let (db, _) = database(config).await;
        testing::read_after_restart(&db, &t, &u, &g).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processes_starting_together_migrate_once() {
    in_schema("migrate", |config| async move {
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let config = config.clone();
                tokio::spawn(async move { PgDb::connect(config).await.map(|_| ()) })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let client = raw(&config).await;
        let rows = client
            .query("SELECT version FROM schema_version", &[])
            .await
            .unwrap();
        assert_eq!(rows.len(), super::sql::MIGRATIONS.len());
        client
            .execute(
                "INSERT INTO schema_version (version, applied) VALUES (999, 'x')",
                &[],
            )
            .await
            .unwrap();
        assert!(matches!(
            PgDb::connect(config).await,
            Err(DbError::Backend(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_version_1_database_migrates_and_its_tokens_keep_working() {
    in_schema("v1", |config| async move {
        let client = raw(&config).await;
        client
            .batch_execute(super::sql::SCHEMA_VERSION_TABLE)
            .await
            .unwrap();
        client
            .batch_execute(super::sql::MIGRATIONS[0])
            .await
            .unwrap();
        client
            .execute(super::sql::RECORD_VERSION, &[&1_i32, &"x"])
            .await
            .unwrap();
        let hash: &[u8] = &[7_u8; 32];
        client
            .execute(
                "INSERT INTO tenants (id, name, token_hash, created) VALUES ('t1', 'old', $1, 'c')",
                &[&hash],
            )
            .await
            .unwrap();
        let (db, _) = database(config).await;
        let found = db.tenants.tenant_by_token_hash(&[7; 32], 0).await.unwrap();
        assert_eq!(found.map(|t| t.name).as_deref(), Some("old"));
        let listed = db.tenants.list_tenants().await.unwrap();
        assert_eq!(
            (listed[0].token_created, listed[0].previous),
            (None, None),
            "dates unknown before version 2"
        );
        let version: i32 = client
            .query_one(super::sql::SCHEMA_VERSION, &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            version,
            i32::try_from(super::sql::MIGRATIONS.len()).unwrap()
        );
    })
    .await;
}

#[tokio::test]
async fn entra_lookups_use_indexes() {
    in_schema("plans", |config| async move {
        let _db = database(config.clone()).await;
        let client = raw(&config).await;
        // A tenant big enough for the planner's statistics to matter.
        client
            .batch_execute(
                "INSERT INTO hosts (tenant_id, id, user_name, user_name_key, external_id, visible, revision,
                                    created, last_modified, doc)
                 SELECT 't', 'h' || i, 'u' || i, 'u' || i, 'e' || i, true, 1, 'c', 'c', '{}'
                 FROM generate_series(1, 3000) i;
                 INSERT INTO host_groups (tenant_id, id, display_name, display_name_key, revision, created,
                                          last_modified, doc)
                 SELECT 't', 'g' || i, 'G' || i, 'g' || i, 1, 'c', 'c', '{}' FROM generate_series(1, 3000) i;
                 INSERT INTO memberships (tenant_id, group_id, member_id, member_key, member_host, position)
                 SELECT 't', 'g' || (1 + i % 3000), 'h' || i, 'h' || i, 'h' || i, i FROM generate_series(1, 3000) i;
                 ANALYZE hosts; ANALYZE host_groups; ANALYZE memberships;",
            )
            .await
            .unwrap();
        // (statement, parameters, index it must use, table it must not scan)
        for (sql, params, index, table) in [
            (super::sql::HOST_BY_USER_NAME_KEY_WITH_GROUPS, ["t", "u42"], "hosts_user_name_key", "hosts"),
            (super::sql::HOST_BY_EXTERNAL_ID, ["t", "e42"], "hosts_external_id", "hosts"),
            (super::sql::HOST_BY_ID_WITH_GROUPS, ["t", "h42"], "hosts_pkey", "hosts"),
            (super::sql::GROUP_BY_DISPLAY_NAME_KEY, ["t", "g42"], "host_groups_display_name_key", "host_groups"),
            (super::sql::GROUP_BY_MEMBER_KEY, ["t", "h42"], "memberships_member_key", "memberships"),
            (super::sql::MEMBERS_OF_GROUP, ["t", "g42"], "memberships_position", "memberships"),
        ] {
            let plan: Vec<String> = client
                .query(&format!("EXPLAIN {sql}"), &[&params[0], &params[1]])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            let plan = plan.join("\n");
            assert!(plan.contains(index), "{sql}\n{plan}");
            assert!(!plan.contains(&format!("Seq Scan on {table} ")), "{sql}\n{plan}");
        }
        let plan: Vec<String> = client
            .query(&format!("EXPLAIN {}", super::sql::HOSTS_PAGE), &[&"t", &5_i64, &100_i64])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(plan.join("\n").contains("hosts_pkey"), "{plan:?}");

        // A page of every host sorted by an index reads that index's range
        // (no sort of the tenant), in both orders and after a position.
        client
            .batch_execute(
                "INSERT INTO index_names (id, type, name) VALUES (900, 'User', 'plan.test');
                 INSERT INTO host_keys (tenant_id, index_id, key, host_id)
                 SELECT 't', 900, convert_to(md5(i::text), 'UTF8'), 'h' || i
                 FROM generate_series(1, 3000) i;
                 ANALYZE host_keys;",
            )
            .await
            .unwrap();
        for descending in [false, true] {
            for after in [
                None,
                Some(scim_core::list::Position::after_key(b"7".to_vec(), "h1".to_owned())),
            ] {
                let walk = crate::db::walk::Walk {
                    set: None,
                    order: crate::db::walk::Order::Key { index: 900, descending },
                    slice: crate::db::walk::Slice::After { after, limit: 10 },
                };
                let reads = walk.reads(
                    crate::db::kind::Kind::Host,
                    crate::db::index::Dialect::Postgres,
                    3000,
                    Some(3000),
                );
                assert_eq!(reads.len(), 1, "every host has a key");
                let read = &reads[0];
                let mut params: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> =
                    vec![Box::new("t")];
                for p in &read.params {
                    match p {
                        crate::db::index::Param::Text(t) => params.push(Box::new(t.clone())),
                        crate::db::index::Param::Bytes(b) => params.push(Box::new(b.clone())),
                    }
                }
                let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                    params.iter().map(|p| &**p as _).collect();
                let plan: Vec<String> = client
                    .query(&format!("EXPLAIN {}", read.sql), &refs)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let plan = plan.join("\n");
                assert!(plan.contains("host_keys_pkey"), "{}\n{plan}", read.sql);
                assert!(
                    !plan.lines().any(|l| l.trim_start().starts_with("->  Sort")
                        || l.starts_with("Sort")
                        || l.contains("Seq Scan")),
                    "{}\n{plan}",
                    read.sql
                );
            }
        }
    })
    .await;
}

async fn with_options(config: tokio_postgres::Config, options: crate::db::Options) -> Database {
    let db = Arc::new(PgDb::connect_with(config, None, &options).await.unwrap());
    Database {
        scim: db.clone(),
        tenants: db.clone(),
        product: db,
    }
}

#[tokio::test]
async fn filters_are_answered_from_the_indexes() {
    in_schema("index_filters", |config| async move {
        let db = with_options(config, testing::index::options(false)).await;
        testing::index::filters_use_the_indexes(&db).await;
    })
    .await;
}

#[tokio::test]
async fn unindexed_filters_are_refused_beyond_the_scan_budget() {
    in_schema("index_budget", |config| async move {
        let db = with_options(config, testing::index::options(false)).await;
        testing::index::unindexed_filters_within_the_budget(&db).await;
    })
    .await;
}

#[tokio::test]
async fn declared_index_changes_apply_at_start_up() {
    in_schema("index_declared", |config| async move {
        let t = testing::index::write_for_indexing(
            &with_options(config.clone(), testing::index::options(false)).await,
        )
        .await;
        let client = raw(&config).await;
        for with_title in [true, false, true] {
            let db = with_options(config.clone(), testing::index::options(with_title)).await;
            testing::index::check_indexed(&db, &t, with_title).await;
            let names: i64 = client
                .query_one("SELECT COUNT(*) FROM index_names WHERE name = 'title'", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(names, i64::from(with_title));
        }
    })
    .await;
}

#[tokio::test]
async fn upgrading_from_version_3_builds_the_indexes() {
    in_schema("index_upgrade", |config| async move {
        let t = testing::index::write_for_indexing(
            &with_options(config.clone(), testing::index::options(false)).await,
        )
        .await;
        // Back to the schema of version 3 (before the index rows), with its documents.
        raw(&config)
            .await
            .batch_execute(
                "DROP TABLE host_keys; DROP TABLE group_keys; DROP TABLE index_names;
                 DELETE FROM schema_version WHERE version > 3;",
            )
            .await
            .unwrap();
        let db = with_options(config.clone(), testing::index::options(false)).await;
        testing::index::check_indexed(&db, &t, false).await;
        let version: i32 = raw(&config)
            .await
            .query_one("SELECT MAX(version) FROM schema_version", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(version, 4);
    })
    .await;
}

/// The connection string's `sslmode` against the test server: `disable`
/// connects in plain text (as `pg_stat_ssl` tells), through `open` too;
/// `require` is encrypted or fails naming TLS, never plain text, whichever
/// the server offers; `prefer` is encrypted exactly when `require` works.
#[tokio::test]
async fn sslmode_is_honoured_against_the_test_server() {
    let url = match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("skipping PostgreSQL test sslmode: {URL_VAR} is not set");
            return;
        }
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    let encrypted = |mode: &'static str| {
        let conninfo = format!("{url}{sep}sslmode={mode}");
        async move {
            let client = super::tls::connect(&conninfo).await?;
            let row = client
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok::<bool, String>(row.get(0))
        }
    };
    assert_eq!(encrypted("disable").await, Ok(false));
    let require = encrypted("require").await;
    match &require {
        Ok(ssl) => assert!(ssl, "require is encrypted"),
        Err(e) => assert!(e.contains("TLS"), "require fails naming TLS: {e}"),
    }
    assert_eq!(encrypted("prefer").await, Ok(require.is_ok()));
    eprintln!("the test server offers TLS: {}", require.is_ok());

    // open() honours it as well: it connects and migrates with disable.
    let mut random = [0_u8; 8];
    getrandom::getrandom(&mut random).unwrap();
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let schema = format!("scim_test_sslmode_{suffix}");
    let (admin, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let opened = super::open(
        &format!("{url}{sep}sslmode=disable&options=-csearch_path%3D{schema}"),
        crate::db::Options::default(),
    )
    .await
    .map(drop);
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    opened.unwrap();
    // A mode this server does not know (libpq's `allow`) is refused,
    // with the ones it knows.
    let e = super::open(
        &format!("{url}{sep}sslmode=allow"),
        crate::db::Options::default(),
    )
    .await
    .map(drop)
    .unwrap_err();
    assert!(e.to_string().contains("verify-full"), "{e}");
}

/// A table autovacuum leaves alone is vacuumed and analyzed once
/// autovacuum's rules say it is due, so that plans made while it was empty
/// do not live on and index-only scans stay index-only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_autovacuum_leaves_alone_are_vacuumed_and_analyzed_when_due() {
    in_schema("statistics", |config| async move {
        let (_, db) = database(config.clone()).await;
        let client = raw(&config).await;
        let state = async || -> (f32, bool, i32) {
            let row = client
                .query_one(
                    "SELECT c.reltuples, s.last_vacuum IS NOT NULL, c.relallvisible
                     FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
                     WHERE c.oid = 'hosts'::regclass",
                    &[],
                )
                .await
                .unwrap();
            (row.get(0), row.get(1), row.get(2))
        };
        assert_eq!(state().await, (-1.0, false, 0), "a new table");
        // More rows than autovacuum's insert threshold (1,000 by default).
        client
            .batch_execute(
                "ALTER TABLE hosts SET (autovacuum_enabled = off);
                 INSERT INTO hosts (tenant_id, id, user_name, user_name_key, visible, revision,
                                    created, last_modified, doc)
                 SELECT 't', 'h' || i, 'u' || i, 'u' || i, true, 1, 'c', 'c', '{}'
                 FROM generate_series(1, 2000) i",
            )
            .await
            .unwrap();
        // Change counters reach the statistics views within a second or
        // so; the store's own task may get there first.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (rows, vacuumed, all_visible) = state().await;
            if rows == 2000.0 && vacuumed && all_visible > 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "hosts was not vacuumed and analyzed: {:?}",
                state().await
            );
            super::statistics::analyze_due(&db.pool).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let again = super::statistics::analyze_due(&db.pool).await.unwrap();
        assert!(
            !again.contains(&"hosts".to_owned()),
            "done again without changes: {again:?}"
        );
    })
    .await;
}
