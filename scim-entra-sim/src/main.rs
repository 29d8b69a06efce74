//! `scim-entra-sim`: replays a Microsoft Entra ID-shaped host provisioning
//! workload against a SCIM 2.0 endpoint and reports requests, errors by
//! status, throughput and latency percentiles per phase.
//!
//! See the README for usage. The request shapes are the ones Entra sends
//! to the Sign In Enterprise gallery app: form-encoded `eq` lookups, both
//! PATCH dialects, string booleans, batched member adds, soft deletes.

mod cli;
mod client;
mod data;
mod phases;
mod progress;
mod report;
mod stats;

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser as _;
use serde::Serialize;

use crate::cli::{Cli, Command};
use crate::client::ScimClient;
use crate::data::{DialectChoice, UpdatePlan, Workload, WorkloadSpec};
use crate::phases::{Settings, Sim};
use crate::stats::PhaseReport;

/// The whole run, as printed with `--json`.
#[derive(Debug, Serialize)]
struct Report {
    /// The base URL the traffic went to.
    target: String,
    /// The seed.
    seed: u64,
    /// In-flight requests at most.
    concurrency: u64,
    /// The PATCH dialect setting.
    dialect: &'static str,
    /// The generated directory.
    workload: WorkloadSummary,
    /// What the server should hold when the run is over without errors.
    expected: Expected,
    /// One entry per phase, in order.
    phases: Vec<PhaseReport>,
    /// Failed requests over all phases.
    errors: u64,
}

#[derive(Debug, Serialize)]
struct WorkloadSummary {
    hosts: usize,
    groups: usize,
    memberships: usize,
    largest_group: usize,
    member_batch: u64,
    update_fraction: f64,
    steady_duration_s: f64,
}

#[derive(Debug, Serialize)]
struct Expected {
    /// Hosts with this run's user names.
    hosts: usize,
    /// Groups with this run's display names.
    groups: usize,
    /// Memberships among them.
    memberships: usize,
    /// Hosts left `active: false` by the update phase, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    inactive_hosts: Option<usize>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Report(options) => report::run(options).map(|errors| errors == 0),
        Command::BareHyper(options) => report::bare::run(options).map(|()| true),
        _ => run(&cli).map(|report| report.errors == 0),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("scim-entra-sim: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<Report> {
    let o = cli
        .command
        .options()
        .context("report and bare-hyper have their own entry points")?;
    let spec = WorkloadSpec {
        hosts: o.hosts,
        groups: o.groups,
        members_per_group: o.members_per_group,
        largest_group: o.largest_group,
        dialect: o.dialect,
        seed: o.seed,
    };
    let workload = Workload::generate(&spec)?;
    let concurrency = usize::try_from(o.concurrency).context("--concurrency is too large")?;
    let client = ScimClient::new(
        &o.url,
        &o.token,
        o.request_timeout,
        concurrency,
        o.ca_cert.as_deref(),
    )?;
    let plan = UpdatePlan::new(&workload, o.seed, o.update_fraction);
    let mut report = Report {
        target: o.url.clone(),
        seed: o.seed,
        concurrency: o.concurrency,
        dialect: match o.dialect {
            DialectChoice::Legacy => "legacy",
            DialectChoice::Flag => "flag",
            DialectChoice::Mixed => "mixed",
        },
        workload: WorkloadSummary {
            hosts: workload.hosts.len(),
            groups: workload.groups.len(),
            memberships: workload.memberships(),
            largest_group: workload
                .groups
                .iter()
                .map(|g| g.members.len())
                .max()
                .unwrap_or(0),
            member_batch: o.member_batch,
            update_fraction: o.update_fraction,
            steady_duration_s: o.duration.as_secs_f64(),
        },
        expected: Expected {
            hosts: workload.hosts.len(),
            groups: workload.groups.len(),
            memberships: workload.memberships(),
            inactive_hosts: None,
        },
        phases: Vec::new(),
        errors: 0,
    };
    let settings = Settings {
        seed: o.seed,
        concurrency,
        member_batch: usize::try_from(o.member_batch).context("--member-batch is too large")?,
        duration: o.duration,
        quiet: o.quiet,
    };
    let sim = Arc::new(Sim::new(client, workload, settings));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (initial, update, steady) = match cli.command {
        Command::Initial(_) => (true, false, false),
        Command::Update(_) => (false, true, false),
        Command::Steady(_) => (false, false, true),
        // `all`; `report` and `bare-hyper` have no options() and never get here.
        _ => (true, true, true),
    };
    runtime.block_on(async {
        if initial {
            report.phases.push(phases::initial(&sim).await);
        }
        if update {
            report.phases.push(phases::update(&sim, &plan).await);
            report.expected.inactive_hosts = Some(plan.inactive_after());
        }
        if steady {
            report.phases.push(phases::steady(&sim).await);
        }
    });
    report.errors = report.phases.iter().map(|p| p.errors).sum();

    if let Err(e) = print_report(&report, o.json) {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("cannot write the report");
        }
    }
    Ok(report)
}

fn print_report(report: &Report, json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        let w = &report.workload;
        writeln!(
            out,
            "scim-entra-sim against {} (seed {}, dialect {}, concurrency {})",
            report.target, report.seed, report.dialect, report.concurrency
        )?;
        writeln!(
            out,
            "  {} hosts, {} groups, {} memberships (largest group {}), member batches of {}",
            w.hosts, w.groups, w.memberships, w.largest_group, w.member_batch
        )?;
        for phase in &report.phases {
            write!(out, "{phase}")?;
        }
        writeln!(out, "total errors: {}", report.errors)?;
    }
    out.flush()
}
