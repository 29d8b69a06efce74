//! Vacuum and planner statistics where autovacuum does not keep them.
//!
//! PostgreSQL plans a prepared statement (ours, and the ones its foreign
//! keys run on every inserted row) from the table's statistics, and keeps
//! the plan until `ANALYZE` changes them. Autovacuum analyzes a table once
//! `autovacuum_analyze_threshold + autovacuum_analyze_scale_factor ×
//! rows` of it changed. Where autovacuum is off (`autovacuum = off`, or a
//! table's `autovacuum_enabled = false`), a plan made while a table was
//! empty lives on: on a fresh database the foreign-key check of each index
//! row picked an index on `tenant_id` alone and read every host of the
//! tenant, so that creates slowed from 700 to 30 a second by 13,000 hosts.
//!
//! [`Keeper`] applies autovacuum's rules itself to those tables only, with
//! the server's own thresholds, every [`INTERVAL`]: `ANALYZE` once enough
//! rows changed, `VACUUM` once enough died or were inserted (without it,
//! dead rows are never reclaimed and index-only scans read the table).
//! Several servers sharing a database may each do it; that is harmless.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::task::JoinHandle;

/// How often the tables' change counters are read.
pub(super) const INTERVAL: Duration = Duration::from_secs(2);

/// The tables whose statistics the store's plans depend on.
const TABLES: &[&str] = &[
    "tenants",
    "hosts",
    "host_groups",
    "memberships",
    "host_keys",
    "group_keys",
];

/// The tables (of `$1`) autovacuum leaves alone that its rules say are
/// due, with whether to vacuum (dead rows, or rows inserted since the last
/// vacuum: an index-only scan reads the table for every row of a page the
/// visibility map does not mark all-visible) and whether to analyze. The
/// insert rule's counter and settings are PostgreSQL 13's; before it they
/// read as never due.
const DUE: &str = "
    SELECT c.relname::TEXT,
           s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::FLOAT8
               + current_setting('autovacuum_vacuum_scale_factor')::FLOAT8 * greatest(c.reltuples, 0)
           OR coalesce((to_jsonb(s) ->> 'n_ins_since_vacuum')::FLOAT8, 0) >
               coalesce(current_setting('autovacuum_vacuum_insert_threshold', true)::FLOAT8, 'Infinity')
               + coalesce(current_setting('autovacuum_vacuum_insert_scale_factor', true)::FLOAT8, 0)
                 * greatest(c.reltuples, 0) AS vacuum,
           s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::FLOAT8
               + current_setting('autovacuum_analyze_scale_factor')::FLOAT8 * greatest(c.reltuples, 0)
               AS analyze
    FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
    WHERE c.oid = ANY($1::TEXT[]::REGCLASS[])
      AND (NOT current_setting('autovacuum')::BOOLEAN
           OR EXISTS (SELECT 1 FROM unnest(c.reloptions) o
                      WHERE lower(o) IN ('autovacuum_enabled=false', 'autovacuum_enabled=off',
                                         'autovacuum_enabled=no', 'autovacuum_enabled=0')))
    ORDER BY c.relname";

/// Whether autovacuum is off for the whole server.
const AUTOVACUUM_OFF: &str = "SELECT NOT current_setting('autovacuum')::BOOLEAN";

/// The background task that analyzes; it stops when dropped (with the
/// last handle of the store).
#[derive(Debug)]
pub(super) struct Keeper {
    task: JoinHandle<()>,
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Keeper {
    /// Starts the task, saying in the log when it will have work to do.
    pub(super) async fn start(pool: Pool) -> Self {
        if autovacuum_off(&pool).await {
            tracing::warn!(
                "PostgreSQL's autovacuum is off: this server vacuums and analyzes its own tables \
                 when autovacuum would (its thresholds and scale factors), so that query plans \
                 follow the data; turn autovacuum on to leave that to PostgreSQL"
            );
        }
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(error) = analyze_due(&pool).await {
                    tracing::debug!(%error, "could not refresh planner statistics");
                }
            }
        });
        Self { task }
    }
}

/// Whether the server says autovacuum is off (not when it cannot be asked).
async fn autovacuum_off(pool: &Pool) -> bool {
    let Ok(client) = pool.get().await else {
        return false;
    };
    client
        .query_one(AUTOVACUUM_OFF, &[])
        .await
        .is_ok_and(|row| row.get::<_, bool>(0))
}

/// Vacuums or analyzes every table that is due; the tables it touched.
pub(super) async fn analyze_due(pool: &Pool) -> Result<Vec<String>, String> {
    let client = pool.get().await.map_err(|e| e.to_string())?;
    let tables: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    let due: Vec<(String, bool, bool)> = client
        .query(DUE, &[&tables])
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    let mut touched = Vec::new();
    for (table, vacuum, analyze) in due {
        // The names come from `TABLES` through the catalogue, never from
        // a request. VACUUM runs outside a transaction, as here.
        let command = match (vacuum, analyze) {
            (true, _) => format!("VACUUM (ANALYZE) {table}"),
            (false, true) => format!("ANALYZE {table}"),
            (false, false) => continue,
        };
        client
            .batch_execute(&command)
            .await
            .map_err(|e| e.to_string())?;
        tracing::debug!(%command, "kept planner statistics");
        touched.push(table);
    }
    Ok(touched)
}
