//! `scim-entra-sim report`: the scale report. Starts the reference server
//! on a fresh SQLite data directory and on a fresh PostgreSQL database,
//! runs the simulator's phases against each and a bare hyper server for
//! comparison, times the cost-growth query shapes at several sizes,
//! measures the disk's fsync latency, and writes `docs/scale-report.md`
//! with its charts under `docs/scale-report/`.

pub(crate) mod bare;
mod charts;
mod growth;
mod machine;
mod procs;
mod render;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;

use crate::client::{Exchange, ScimClient};
use crate::data::{DialectChoice, UpdatePlan, Workload, WorkloadSpec};
use crate::phases::{self, Settings, Sim};
use crate::stats::{Op, PhaseReport, Recorder};
use growth::Growth;
use machine::{Fsync, Machine};
use procs::{ScratchDatabase, Server};

/// Options of `report`.
#[derive(Debug, Args)]
pub(crate) struct ReportOptions {
    /// The release `scim-server-example` to measure; by default it is
    /// built with `cargo build --release -p scim-server-example`.
    #[arg(long, value_name = "PATH")]
    pub(crate) server: Option<PathBuf>,
    /// Where `scale-report.md` and `scale-report/` are written.
    #[arg(long, value_name = "DIR", default_value = "docs")]
    pub(crate) out: PathBuf,
    /// Scratch directory for the SQLite data directories and server logs
    /// (default: a new directory under the system temp directory, removed
    /// afterwards).
    #[arg(long, value_name = "DIR")]
    pub(crate) work_dir: Option<PathBuf>,
    /// Keep the scratch directory (databases and server logs).
    #[arg(long)]
    pub(crate) keep_work_dir: bool,
    /// Hosts of the phase runs.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) hosts: usize,
    /// Host groups of the phase runs.
    #[arg(long, default_value_t = 200)]
    pub(crate) groups: usize,
    /// Average members per group; default 500 at 100,000 hosts, scaled
    /// with --hosts below that.
    #[arg(long)]
    pub(crate) members_per_group: Option<usize>,
    /// Members of the largest group; default half the hosts (50,000 at
    /// 100,000).
    #[arg(long)]
    pub(crate) largest_group: Option<usize>,
    /// Members per add-members PATCH of the initial sync.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub(crate) member_batch: u64,
    /// Fraction of the hosts the update cycle touches.
    #[arg(long, default_value_t = 0.1)]
    pub(crate) update_fraction: f64,
    /// Length of the steady lookups: `30s`, `2m`, `500ms` or seconds.
    #[arg(long, default_value = "30s", value_parser = crate::cli::duration)]
    pub(crate) steady_duration: Duration,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub(crate) concurrency: u64,
    /// Single-member add/remove pairs on the largest group, one request at
    /// a time, for the member-change latency.
    #[arg(long, default_value_t = 200)]
    pub(crate) member_changes: usize,
    /// Directory sizes (hosts) of the cost-growth table, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    pub(crate) sizes: Vec<usize>,
    /// Timed requests per query shape and size (the table shows their
    /// median).
    #[arg(long, default_value_t = 30)]
    pub(crate) samples: usize,
    /// Time one shape may take at one size before sampling stops (after
    /// at least 3 requests), so that a shape that scans the directory does
    /// not hold up the run.
    #[arg(long, default_value = "10s", value_parser = crate::cli::duration)]
    pub(crate) shape_budget: Duration,
    /// 4 KiB write + fsync rounds for the disk's fsync latency.
    #[arg(long, default_value_t = 200)]
    pub(crate) fsync_rounds: usize,
    /// Leave PostgreSQL out (SQLite and bare hyper only).
    #[arg(long)]
    pub(crate) skip_postgres: bool,
    /// A PostgreSQL server to create scratch databases on (each run
    /// creates and drops its own; the database named here is only used to
    /// connect).
    #[arg(
        long,
        env = "SCIM_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test",
        hide_env_values = true
    )]
    pub(crate) postgres_url: String,
    /// Seed of the generated directory.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Per-request timeout.
    #[arg(long, default_value = "60s", value_parser = crate::cli::duration)]
    pub(crate) request_timeout: Duration,
    /// No progress output on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// The phase runs against one server.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct StoreRun {
    /// `SQLite`, `PostgreSQL` or `bare hyper`.
    pub(crate) store: &'static str,
    /// The phases, in order.
    pub(crate) phases: Vec<PhaseReport>,
    /// The server's peak RSS (`VmHWM`) after each phase, bytes.
    pub(crate) peak_rss_bytes: Vec<Option<u64>>,
    /// The server's CPU seconds by thread name during each phase.
    pub(crate) thread_cpu_s: Vec<procs::ThreadCpu>,
    /// PostgreSQL's own processes' CPU seconds during each phase (runs
    /// against PostgreSQL only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) database_cpu_s: Vec<Option<f64>>,
    /// The cost-growth table (not for bare hyper).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) growth: Option<Growth>,
}

/// The directory the phases ran with.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct WorkloadSummary {
    pub(crate) hosts: usize,
    pub(crate) groups: usize,
    pub(crate) memberships: usize,
    pub(crate) largest_group: usize,
    pub(crate) member_batch: u64,
    pub(crate) update_fraction: f64,
    pub(crate) steady_duration_s: f64,
    pub(crate) concurrency: u64,
    pub(crate) member_changes: usize,
    pub(crate) seed: u64,
}

/// Everything the markdown and the charts are made from; also written as
/// `scale-report/report.json`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ScaleReport {
    /// When, UTC.
    pub(crate) generated_at: String,
    /// The command that produced it.
    pub(crate) command: String,
    /// `git describe` of the checkout, when there is one.
    pub(crate) commit: Option<String>,
    /// The server binary and its `--version`.
    pub(crate) server: String,
    /// The machine.
    pub(crate) machine: Machine,
    /// Its fsync latency in the SQLite data directory.
    pub(crate) fsync: Option<Fsync>,
    /// The workload.
    pub(crate) workload: WorkloadSummary,
    /// SQLite, then PostgreSQL.
    pub(crate) stores: Vec<StoreRun>,
    /// The bare hyper server's steady lookups.
    pub(crate) bare: Option<StoreRun>,
}

/// Runs the report; returns the number of failed requests over all runs.
///
/// # Errors
///
/// When a server cannot be built or started, PostgreSQL cannot be
/// reached, or the report cannot be written.
pub(crate) fn run(o: &ReportOptions) -> anyhow::Result<u64> {
    let mut sizes = o.sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.is_empty() || sizes.first().is_some_and(|&s| s < 2) {
        bail!("--sizes needs at least one size of 2 hosts or more");
    }
    if !(0.0..=1.0).contains(&o.update_fraction) {
        bail!("--update-fraction must be between 0 and 1");
    }
    let spec = WorkloadSpec {
        hosts: o.hosts,
        groups: o.groups,
        members_per_group: o
            .members_per_group
            .unwrap_or_else(|| (o.hosts.saturating_mul(500) / 100_000).clamp(1, 500)),
        largest_group: Some(o.largest_group.unwrap_or(o.hosts / 2)),
        dialect: DialectChoice::Mixed,
        seed: o.seed,
    };
    let workload = Workload::generate(&spec)?;
    let growth_workload = Workload::generate(&WorkloadSpec {
        hosts: sizes.last().copied().unwrap_or(0),
        groups: 0,
        members_per_group: 0,
        largest_group: None,
        dialect: DialectChoice::Mixed,
        seed: o.seed,
    })?;
    let concurrency = usize::try_from(o.concurrency).context("--concurrency is too large")?;

    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let server = match &o.server {
        Some(path) => path.clone(),
        None => procs::build_server(&workspace, o.quiet)?,
    };
    let (work_dir, temporary) = match &o.work_dir {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("scim-scale-report-{}", std::process::id())),
            !o.keep_work_dir,
        ),
    };
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("cannot create {}", work_dir.display()))?;
    let machine = Machine::describe(&work_dir);
    // The server wants 32 or more characters of [A-Za-z0-9_-] from an operator.
    let token = format!(
        "scale-report-token-{}-{}-0123456789",
        std::process::id(),
        unix_seconds()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let ctx = Context {
        options: o,
        server: &server,
        work_dir: &work_dir,
        token: &token,
        workload: &workload,
        growth_workload: &growth_workload,
        sizes: &sizes,
        concurrency,
    };
    let result = runtime.block_on(ctx.all());
    if temporary {
        let _ = std::fs::remove_dir_all(&work_dir);
    }
    let (stores, bare, fsync) = result?;

    let report = ScaleReport {
        generated_at: utc_now(),
        command: command_line(),
        commit: git_commit(&workspace),
        server: server_version(&server),
        machine,
        fsync,
        workload: WorkloadSummary {
            hosts: workload.hosts.len(),
            groups: workload.groups.len(),
            memberships: workload.memberships(),
            largest_group: workload.groups.first().map_or(0, |g| g.members.len()),
            member_batch: o.member_batch,
            update_fraction: o.update_fraction,
            steady_duration_s: o.steady_duration.as_secs_f64(),
            concurrency: o.concurrency,
            member_changes: o.member_changes,
            seed: o.seed,
        },
        stores,
        bare,
    };
    let errors = write(&report, &o.out)?;
    if !o.quiet {
        eprintln!(
            "wrote {} and {}",
            o.out.join("scale-report.md").display(),
            o.out.join("scale-report").display()
        );
    }
    Ok(errors)
}

/// Writes the markdown, the charts and the JSON; returns the failed
/// requests the report counts.
fn write(report: &ScaleReport, out: &Path) -> anyhow::Result<u64> {
    let assets = out.join("scale-report");
    std::fs::create_dir_all(&assets)
        .with_context(|| format!("cannot create {}", assets.display()))?;
    let charts = charts::draw(report, &assets)?;
    let markdown = render::markdown(report, &charts);
    let md = out.join("scale-report.md");
    std::fs::write(&md, markdown).with_context(|| format!("cannot write {}", md.display()))?;
    let json = assets.join("report.json");
    std::fs::write(&json, serde_json::to_vec_pretty(report)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    Ok(render::total_errors(report))
}

struct Context<'a> {
    options: &'a ReportOptions,
    server: &'a Path,
    work_dir: &'a Path,
    token: &'a str,
    workload: &'a Workload,
    growth_workload: &'a Workload,
    sizes: &'a [usize],
    concurrency: usize,
}

type Runs = (Vec<StoreRun>, Option<StoreRun>, Option<Fsync>);

impl Context<'_> {
    fn say(&self, what: &str) {
        if !self.options.quiet {
            eprintln!("{what}");
        }
    }

    fn client(&self, url: &str) -> anyhow::Result<ScimClient> {
        ScimClient::new(
            url,
            self.token,
            self.options.request_timeout,
            self.concurrency,
            None,
        )
    }

    fn settings(&self) -> Settings {
        Settings {
            seed: self.options.seed,
            concurrency: self.concurrency,
            member_batch: usize::try_from(self.options.member_batch).unwrap_or(5),
            duration: self.options.steady_duration,
            quiet: self.options.quiet,
        }
    }

    async fn all(&self) -> anyhow::Result<Runs> {
        let mut stores = Vec::new();

        self.say("== SQLite: phases");
        let data_dir = self.work_dir.join("sqlite");
        let server = Server::scim(
            self.server,
            &data_dir,
            None,
            self.token,
            &self.work_dir.join("sqlite.log"),
        )?;
        let (mut sqlite, body) = self.phases("SQLite", &server).await?;
        drop(server);
        let fsync = machine::fsync_latency(&data_dir, self.options.fsync_rounds.max(1))?;
        self.say(&format!(
            "fsync of 4 KiB: p50 {:.2} ms, p99 {:.2} ms",
            fsync.p50_ms, fsync.p99_ms
        ));

        self.say("== bare hyper: steady lookups");
        let body_path = self.work_dir.join("one-user-list-response.json");
        std::fs::write(&body_path, &body)
            .with_context(|| format!("cannot write {}", body_path.display()))?;
        let bare_server = Server::bare(&body_path, &self.work_dir.join("bare.log"))?;
        let bare = self.bare(&bare_server).await?;
        drop(bare_server);

        self.say("== SQLite: cost growth");
        let server = Server::scim(
            self.server,
            &self.work_dir.join("sqlite-growth"),
            None,
            self.token,
            &self.work_dir.join("sqlite-growth.log"),
        )?;
        sqlite.growth = Some(self.growth(&server).await?);
        drop(server);
        stores.push(sqlite);

        if !self.options.skip_postgres {
            stores.push(self.postgres().await?);
        }
        Ok((stores, Some(bare), Some(fsync)))
    }

    async fn postgres(&self) -> anyhow::Result<StoreRun> {
        let stamp = format!("{}_{}", std::process::id(), unix_seconds());
        let admin = &self.options.postgres_url;

        self.say("== PostgreSQL: phases");
        let db = ScratchDatabase::create(admin, &format!("scim_report_{stamp}")).await?;
        let outcome = async {
            let server = Server::scim(
                self.server,
                &self.work_dir.join("postgres"),
                Some(&db.url),
                self.token,
                &self.work_dir.join("postgres.log"),
            )?;
            self.phases("PostgreSQL", &server).await
        }
        .await;
        db.drop_now().await?;
        let (mut run, _) = outcome?;

        self.say("== PostgreSQL: cost growth");
        let db = ScratchDatabase::create(admin, &format!("scim_report_growth_{stamp}")).await?;
        let outcome = async {
            let server = Server::scim(
                self.server,
                &self.work_dir.join("postgres-growth"),
                Some(&db.url),
                self.token,
                &self.work_dir.join("postgres-growth.log"),
            )?;
            self.growth(&server).await
        }
        .await;
        db.drop_now().await?;
        run.growth = Some(outcome?);
        Ok(run)
    }

    /// initial, update, steady and the member changes; the peak RSS after
    /// each. Also returns a one-user ListResponse as the server sent it,
    /// the bare server's body.
    async fn phases(
        &self,
        store: &'static str,
        server: &Server,
    ) -> anyhow::Result<(StoreRun, Vec<u8>)> {
        let client = self.client(&server.url)?;
        let sim = Arc::new(Sim::new(
            client.clone(),
            self.workload.clone(),
            self.settings(),
        ));
        let plan = UpdatePlan::new(
            self.workload,
            self.options.seed,
            self.options.update_fraction,
        );
        let mut run = StoreRun {
            store,
            phases: Vec::new(),
            peak_rss_bytes: Vec::new(),
            thread_cpu_s: Vec::new(),
            database_cpu_s: Vec::new(),
            growth: None,
        };
        let postgres = store == "PostgreSQL";
        let readings = || {
            (
                server.thread_cpu(),
                postgres.then(|| procs::processes_cpu("postgres")).flatten(),
            )
        };
        let record =
            |phase: PhaseReport, before: (procs::ThreadCpu, Option<f64>), run: &mut StoreRun| {
                self.say(&format!("{store} {phase}"));
                run.phases.push(phase);
                run.peak_rss_bytes.push(server.peak_rss());
                let (threads, database) = readings();
                run.thread_cpu_s
                    .push(procs::cpu_between(&before.0, &threads));
                if postgres {
                    run.database_cpu_s
                        .push(before.1.zip(database).map(|(a, b)| b - a));
                }
            };
        let before = readings();
        record(phases::initial(&sim).await, before, &mut run);
        let before = readings();
        record(phases::update(&sim, &plan).await, before, &mut run);
        let before = readings();
        record(phases::steady(&sim).await, before, &mut run);
        let before = readings();
        record(
            phases::member_changes(&sim, 0, self.options.member_changes).await,
            before,
            &mut run,
        );

        let body = match self.workload.hosts.first() {
            Some(host) => client
                .call(
                    &Recorder::new(),
                    Exchange::get(Op::LookupUser, &host.lookup_path()),
                    |r| Ok(r.body.to_vec()),
                )
                .await
                .context("cannot read a one-user ListResponse for the bare server")?,
            None => b"{\"totalResults\":0,\"Resources\":[]}".to_vec(),
        };
        Ok((run, body))
    }

    async fn bare(&self, server: &Server) -> anyhow::Result<StoreRun> {
        // The same client settings; the URL gets the same path as the
        // real server's, which the bare server ignores.
        let client = self.client(&format!("{}/scim/v2", server.url))?;
        let sim = Arc::new(Sim::new(client, self.workload.clone(), self.settings()));
        let before = server.thread_cpu();
        let steady = phases::steady(&sim).await;
        self.say(&format!("bare hyper {steady}"));
        Ok(StoreRun {
            store: "bare hyper",
            phases: vec![steady],
            peak_rss_bytes: vec![server.peak_rss()],
            thread_cpu_s: vec![procs::cpu_between(&before, &server.thread_cpu())],
            database_cpu_s: Vec::new(),
            growth: None,
        })
    }

    async fn growth(&self, server: &Server) -> anyhow::Result<Growth> {
        let client = self.client(&server.url)?;
        growth::run(
            &client,
            self.growth_workload,
            self.sizes,
            self.options.samples,
            self.options.shape_budget,
            self.concurrency,
            self.options.quiet,
        )
        .await
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-12-03 08:15 UTC`.
fn utc_now() -> String {
    let secs = unix_seconds();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The command as one would type it again: `cargo run --release -p
/// scim-entra-sim -- report …`.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).map(|a| shell_quote(&a)).collect();
    format!(
        "cargo run --release -p scim-entra-sim -- {}",
        args.join(" ")
    )
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

fn git_commit(workspace: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .current_dir(workspace)
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn server_version(binary: &Path) -> String {
    let version = std::process::Command::new(binary)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "version unknown".to_owned());
    format!("{} ({version})", binary.display())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_790), (2026, 12, 3));
    }

    #[test]
    fn arguments_are_quoted_for_a_shell() {
        assert_eq!(shell_quote("--hosts"), "--hosts");
        assert_eq!(shell_quote("1000,10000"), "1000,10000");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
