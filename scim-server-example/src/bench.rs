//! `bench-filters` (hidden; run by `bench/filters.sh`): creates hosts in a
//! fresh tenant through the store and prints the median latency of the
//! filter shapes provisioning clients send, answered by the store as the
//! SCIM service would ask (first index page of 100, whole resources).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use scim_core::id::{ResourceId, Version};
use scim_core::list::{ListQuery, Page};
use scim_core::project::Projection;
use scim_core::resource::{Meta, Resource, now};
use scim_core::schema::{JsonObject, Registry, ResourceSchema};
use scim_core::store::{ResourceStore, TenantId};
use serde_json::json;

use crate::config::Storage;
use crate::db::Target;

/// Options of `bench-filters`.
#[derive(Clone, Debug, Args)]
pub(crate) struct BenchArgs {
    /// Hosts to create in a fresh tenant.
    #[arg(long, default_value_t = 1000)]
    pub(crate) hosts: usize,
    /// Timed runs of each query (the median is printed).
    #[arg(long, default_value_t = 21)]
    pub(crate) runs: usize,
    /// Concurrent creates while loading.
    #[arg(long, default_value_t = 8)]
    pub(crate) writers: usize,
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One host of the benchmark tenant, about the size Entra ID sends.
fn host_body(i: usize) -> JsonObject {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": format!("host{i:06}@northwind.example"),
        "externalId": format!("ext-{i:06}"),
        "active": i % 10 != 0,
        "displayName": format!("Host {i}"),
        "title": if i % 100 == 0 { "Boss" } else { "Clerk" },
        "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{}", i % 500)},
        "emails": [
            {"type": "work", "value": format!("host{i:06}@work.example"), "primary": true},
            {"type": "home", "value": format!("h{i:06}@home.example")}
        ],
        "phoneNumbers": [{"type": "work", "value": format!("+1 206 555 {:04}", i % 10_000)}],
        ENTERPRISE: {"employeeNumber": format!("E{i:06}"), "department": format!("Dept {}", i % 40),
                     "organization": "Northwind Traders"}
    });
    match body {
        serde_json::Value::Object(o) => o,
        _ => JsonObject::new(),
    }
}

/// Creates the hosts, then times each query shape.
pub(crate) async fn filters(storage: &Storage, args: &BenchArgs) -> anyhow::Result<()> {
    let database = storage.open().await?;
    let registry = Registry::standard();
    let users = registry
        .resource_type("User")
        .context("the standard registry has User")?
        .clone();
    let mut hash = [0_u8; 32];
    getrandom::getrandom(&mut hash).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let tenant = database
        .tenants
        .create_tenant(&format!("bench-{}", ResourceId::generate()), &hash)
        .await?;
    let t = TenantId::new(tenant.id.clone());
    let started = Instant::now();
    load(&database.scim, &t, &users, args).await?;
    eprintln!(
        "created {} hosts in {:.1} s",
        args.hosts,
        started.elapsed().as_secs_f64()
    );
    analyze(&storage.target()?).await?;
    // A moment between the first and the last host: about a tenth of the
    // hosts were modified after it.
    let cut = {
        let q = query(&format!(
            r#"userName eq "host{:06}@northwind.example""#,
            args.hosts * 9 / 10
        ));
        let found = database.scim.query(&t, &users, &q).await?;
        found
            .resources
            .first()
            .and_then(Resource::meta)
            .map(|m| scim_core::resource::format_date_time(m.last_modified))
            .unwrap_or_default()
    };
    let probe = args.hosts / 2;
    let shapes = [
        (
            "userName eq (hint)",
            format!(r#"userName eq "host{probe:06}@northwind.example""#),
        ),
        (
            "emails[type eq \"work\"].value eq",
            format!(r#"emails[type eq "work"].value eq "host{probe:06}@work.example""#),
        ),
        (
            "emails.value eq",
            format!(r#"emails.value eq "h{probe:06}@home.example""#),
        ),
        (
            "userName sw",
            format!(r#"userName sw "host{:05}""#, probe / 10),
        ),
        (
            "employeeNumber eq",
            format!(r#"{ENTERPRISE}:employeeNumber eq "E{probe:06}""#),
        ),
        (
            "meta.lastModified gt",
            format!(r#"meta.lastModified gt "{cut}""#),
        ),
        ("emails co", format!(r#"emails co "{:06}@work""#, probe)),
        (
            "name.familyName eq and title eq",
            r#"name.familyName eq "Family7" and title eq "Clerk""#.to_owned(),
        ),
        ("title eq (unindexed)", r#"title eq "Boss""#.to_owned()),
    ];
    println!(
        "{:<36} {:>10} {:>8} {:>12}",
        format!("{} hosts", args.hosts),
        "median ms",
        "total",
        "answer"
    );
    for (label, filter) in shapes {
        let q = query(&filter);
        let mut times = Vec::with_capacity(args.runs);
        let mut answer = String::new();
        for _ in 0..args.runs.max(1) {
            let start = Instant::now();
            let result = database.scim.query(&t, &users, &q).await;
            times.push(start.elapsed());
            answer = match result {
                Ok(r) => format!("{}", r.total_results),
                Err(e) => format!("error: {}", first_word(&e.to_string())),
            };
        }
        times.sort();
        let median = times
            .get(times.len() / 2)
            .copied()
            .unwrap_or(Duration::ZERO);
        let total = answer.split(' ').next().unwrap_or("").to_owned();
        println!(
            "{label:<36} {:>10.3} {:>8} {:>12}",
            median.as_secs_f64() * 1000.0,
            if answer.starts_with("error") {
                "-"
            } else {
                &total
            },
            if answer.starts_with("error") {
                answer.as_str()
            } else {
                "ok"
            },
        );
    }
    if let Some(rss) = peak_rss() {
        println!("peak RSS: {rss}");
    }
    database.tenants.delete_tenant(&tenant.name).await?;
    Ok(())
}

fn first_word(s: &str) -> String {
    s.split_whitespace().take(6).collect::<Vec<_>>().join(" ")
}

fn query(filter: &str) -> ListQuery {
    let mut q = ListQuery::new(Page::index(None, None, 100, 100));
    q.filter = filter.parse().ok();
    q.projection = Projection::all();
    q
}

async fn load(
    store: &Arc<dyn ResourceStore>,
    t: &TenantId,
    users: &Arc<ResourceSchema>,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let writers = args.writers.max(1);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (store, t, users) = (store.clone(), t.clone(), users.clone());
        let hosts = args.hosts;
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < hosts {
                let resource = Resource::new(
                    ResourceId::generate(),
                    host_body(i),
                    &Meta::new("User", now(), Version::from_revision(1)),
                );
                store.create(&t, &users, resource).await?;
                i += writers;
            }
            Ok::<(), scim_core::store::StoreError>(())
        }));
    }
    for task in tasks {
        task.await.context("a writer task failed")??;
    }
    Ok(())
}

/// The process's peak resident set (Linux `VmHWM`).
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
}

/// Refreshes the planner statistics after the bulk load, as PostgreSQL's
/// autovacuum (or SQLite's `PRAGMA optimize`) would before long: without
/// them PostgreSQL does not know the trigram index is selective.
async fn analyze(target: &Target) -> anyhow::Result<()> {
    match target {
        Target::Postgres(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .context("cannot connect to analyze")?;
            tokio::spawn(connection);
            client
                .batch_execute("ANALYZE hosts; ANALYZE host_keys; ANALYZE host_groups; ANALYZE group_keys; ANALYZE memberships")
                .await
                .context("ANALYZE failed")?;
        }
        Target::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).context("cannot open to analyze")?;
            conn.execute_batch("ANALYZE").context("ANALYZE failed")?;
        }
    }
    Ok(())
}
