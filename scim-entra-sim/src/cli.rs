//! Command line.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::data::DialectChoice;

/// Replays a Microsoft Entra ID-shaped host provisioning workload against
/// a SCIM 2.0 endpoint and reports requests, errors and latency per phase.
///
/// Traffic goes only to --url. The same --seed and sizes always produce
/// the same hosts and groups, so `update` and `steady` can run on their own
/// after an `initial` run.
#[derive(Debug, Parser)]
#[command(name = "scim-entra-sim", version)]
pub(crate) struct Cli {
    /// The phase to run.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The phases.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Test Connection probes, then per host a `userName eq` lookup and a
    /// create, per group a `displayName eq` lookup and a create, then the
    /// member adds in batches.
    Initial(Options),
    /// Read and PATCH a fraction of the hosts, deactivate some, reactivate
    /// some of those.
    Update(Options),
    /// `userName eq` lookups of random hosts for --duration.
    Steady(Options),
    /// initial, update and steady in order.
    All(Options),
    /// Start the reference server (SQLite, then PostgreSQL) and a bare
    /// hyper server, run every phase and the cost-growth queries against
    /// them, and write the scale report (docs/scale-report.md and its
    /// charts).
    Report(crate::report::ReportOptions),
    /// The bare hyper server the report compares steady lookups against:
    /// answers every request with the same fixed body.
    #[command(hide = true)]
    BareHyper(crate::report::bare::BareOptions),
}

impl Command {
    /// The options of a simulator phase; `None` for `report` and
    /// `bare-hyper`.
    pub(crate) fn options(&self) -> Option<&Options> {
        match self {
            Self::Initial(o) | Self::Update(o) | Self::Steady(o) | Self::All(o) => Some(o),
            Self::Report(_) | Self::BareHyper(_) => None,
        }
    }
}

/// Options shared by every phase.
#[derive(Debug, Args)]
pub(crate) struct Options {
    /// The SCIM base URL (Entra's "Tenant URL"), e.g.
    /// `https://scim.example.com/scim/v2`; `/Users` and `/Groups` are
    /// appended.
    #[arg(long, env = "SCIM_URL")]
    pub(crate) url: String,
    /// Extra trusted CA certificates (PEM) for an https --url, on top of
    /// the system store: a test server's self-signed certificate.
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_cert: Option<std::path::PathBuf>,
    /// The bearer token.
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true)]
    pub(crate) token: String,
    /// Number of hosts (users).
    #[arg(long, default_value_t = 1000)]
    pub(crate) hosts: usize,
    /// Number of host groups.
    #[arg(long, default_value_t = 20)]
    pub(crate) groups: usize,
    /// Average members per group.
    #[arg(long, default_value_t = 50)]
    pub(crate) members_per_group: usize,
    /// Size of the largest group (the first one); by default no group
    /// stands out.
    #[arg(long)]
    pub(crate) largest_group: Option<usize>,
    /// Members per add-members PATCH. Entra sends several members per
    /// operation but its batch size is not documented; on-demand runs send
    /// at most five, so five is the default.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub(crate) member_batch: u64,
    /// Fraction of the hosts the update phase reads and patches (0–1).
    #[arg(long, default_value_t = 0.1, value_parser = fraction)]
    pub(crate) update_fraction: f64,
    /// How long the steady phase runs: `30s`, `2m`, `500ms` or seconds.
    #[arg(long, default_value = "30s", value_parser = duration)]
    pub(crate) duration: Duration,
    /// Seed of the generated directory and of every random choice.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub(crate) concurrency: u64,
    /// Per-request timeout: `30s`, `2m`, `500ms` or seconds.
    #[arg(long, default_value = "30s", value_parser = duration)]
    pub(crate) request_timeout: Duration,
    /// PATCH and boolean dialect: the default `scim` job (legacy), the
    /// `aadOptscim062020` flag, or both mixed per host and group.
    #[arg(long, value_enum, default_value_t = DialectChoice::Mixed)]
    pub(crate) dialect: DialectChoice,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress output on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

fn fraction(s: &str) -> Result<f64, String> {
    let f: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number between 0 and 1"))?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!("{s} is not between 0 and 1"))
    }
}

/// `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds.
pub(crate) fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (try 30s, 2m, 500ms)"))?;
    let seconds = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {s:?} (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{s:?} is out of range"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(duration("soon").is_err());
        assert!(duration("3 weeks").is_err());
        assert!(duration("").is_err());
    }

    #[test]
    fn fractions() {
        assert_eq!(fraction("0.25"), Ok(0.25));
        assert!(fraction("1.5").is_err());
        assert!(fraction("-0.1").is_err());
        assert!(fraction("NaN").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "scim-entra-sim",
            "all",
            "--url",
            "http://127.0.0.1:1/scim/v2",
            "--token",
            "t",
            "--hosts",
            "5",
        ])
        .unwrap();
        let o = cli.command.options().unwrap();
        assert_eq!(o.hosts, 5);
        assert_eq!(o.member_batch, 5);
        assert_eq!(o.dialect, DialectChoice::Mixed);
        assert!(
            Cli::try_parse_from([
                "scim-entra-sim",
                "all",
                "--url",
                "x",
                "--token",
                "t",
                "--concurrency",
                "0"
            ])
            .is_err()
        );
    }
}
