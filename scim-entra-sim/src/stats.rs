//! Per-phase counters and latency histograms, and the report printed at
//! the end (as text or JSON).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// What a request was for; reported separately because a create and a
/// lookup have very different costs.
#[derive(Clone, Copy, Debug, Eq, Ord, PartialEq, PartialOrd, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Op {
    /// A `userName`/`displayName` probe with a random GUID.
    Probe,
    /// `GET /Users?filter=userName eq …`.
    LookupUser,
    /// `POST /Users`.
    CreateUser,
    /// `GET /Users/{id}`.
    GetUser,
    /// Attribute PATCH.
    PatchUser,
    /// PATCH `active` false.
    Deactivate,
    /// PATCH `active` true.
    Reactivate,
    /// `GET /Groups?excludedAttributes=members&filter=displayName eq …`.
    LookupGroup,
    /// `POST /Groups`.
    CreateGroup,
    /// `GET /Groups/{id}?excludedAttributes=members`.
    GetGroup,
    /// PATCH add members.
    AddMembers,
    /// PATCH remove one member.
    RemoveMembers,
    /// A list query of the scale report's cost-growth table.
    Query,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Probe => "probe",
            Self::LookupUser => "lookup-user",
            Self::CreateUser => "create-user",
            Self::GetUser => "get-user",
            Self::PatchUser => "patch-user",
            Self::Deactivate => "deactivate",
            Self::Reactivate => "reactivate",
            Self::LookupGroup => "lookup-group",
            Self::CreateGroup => "create-group",
            Self::GetGroup => "get-group",
            Self::AddMembers => "add-members",
            Self::RemoveMembers => "remove-members",
            Self::Query => "query",
        }
    }
}

/// How one request ended.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Verdict {
    /// The expected status and a usable body.
    Ok,
    /// An unexpected HTTP status, with the SCIM error's `detail` (or the
    /// start of the body).
    Status(u16, String),
    /// An expected status whose body was not what Entra needs; the reason
    /// is the key it is counted under (`bad-body`, `duplicate-match`,
    /// `no-match`).
    Rejected(&'static str),
    /// No answer within the request timeout.
    Timeout,
    /// Connection refused, reset, a TLS or protocol error; the message.
    Transport(String),
}

impl Verdict {
    fn detail(&self) -> Option<&str> {
        match self {
            Self::Status(_, d) | Self::Transport(d) => Some(d),
            Self::Ok | Self::Rejected(_) | Self::Timeout => None,
        }
    }

    fn key(&self) -> String {
        match self {
            Self::Ok => "ok".to_owned(),
            Self::Status(s, _) => s.to_string(),
            Self::Rejected(why) => (*why).to_owned(),
            Self::Timeout => "timeout".to_owned(),
            Self::Transport(_) => "transport".to_owned(),
        }
    }
}

/// Histogram bounds: 1 µs to 1 hour, 3 significant digits.
fn histogram() -> Histogram<u64> {
    match Histogram::new_with_bounds(1, 3_600_000_000, 3) {
        Ok(h) => h,
        // The bounds are constants that satisfy every precondition
        // (low ≥ 1, high ≥ 2·low, sigfig ≤ 5), so creation cannot fail.
        Err(_) => unreachable!("constant histogram bounds are valid"),
    }
}

#[derive(Debug)]
struct Counts {
    latency: Histogram<u64>,
    requests: u64,
    errors: BTreeMap<String, u64>,
}

impl Counts {
    fn new() -> Self {
        Self {
            latency: histogram(),
            requests: 0,
            errors: BTreeMap::new(),
        }
    }

    fn record(&mut self, elapsed: Duration, verdict: &Verdict) {
        self.requests += 1;
        let micros = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.latency.saturating_record(micros);
        if *verdict != Verdict::Ok {
            *self.errors.entry(verdict.key()).or_insert(0) += 1;
        }
    }

    fn latency(&self) -> Latency {
        let ms = |v: u64| v as f64 / 1000.0;
        if self.requests == 0 {
            return Latency::default();
        }
        Latency {
            p50_ms: ms(self.latency.value_at_quantile(0.50)),
            p90_ms: ms(self.latency.value_at_quantile(0.90)),
            p99_ms: ms(self.latency.value_at_quantile(0.99)),
            max_ms: ms(self.latency.max()),
            mean_ms: self.latency.mean() / 1000.0,
        }
    }

    fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Collects the requests of one phase; shared by its tasks.
#[derive(Debug)]
pub(crate) struct Recorder {
    started: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    stages: Vec<Stage>,
    all: Counts,
    ops: BTreeMap<Op, Counts>,
    notes: BTreeMap<&'static str, u64>,
    first_errors: BTreeMap<String, String>,
}

impl Recorder {
    /// Starts the phase clock.
    pub(crate) fn new() -> Self {
        Self {
            started: Instant::now(),
            inner: Mutex::new(Inner {
                all: Counts::new(),
                ops: BTreeMap::new(),
                notes: BTreeMap::new(),
                first_errors: BTreeMap::new(),
                stages: Vec::new(),
            }),
        }
    }

    /// Records one request.
    pub(crate) fn record(&self, op: Op, elapsed: Duration, verdict: &Verdict) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.all.record(elapsed, verdict);
        if let Some(detail) = verdict.detail() {
            inner
                .first_errors
                .entry(verdict.key())
                .or_insert_with(|| format!("{detail} ({})", op.as_str()));
        }
        inner
            .ops
            .entry(op)
            .or_insert_with(Counts::new)
            .record(elapsed, verdict);
    }

    /// Counts something that is not a request (a host matched instead of
    /// created, a member skipped because its create failed).
    pub(crate) fn note(&self, what: &'static str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner.notes.entry(what).or_insert(0) += 1;
    }

    /// Closes the phase.
    /// Records that the phase's part `name` took `elapsed`.
    pub(crate) fn stage(&self, name: &'static str, elapsed: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.stages.push(Stage {
            name,
            elapsed_s: elapsed.as_secs_f64(),
        });
    }

    pub(crate) fn finish(&self, phase: &'static str) -> PhaseReport {
        let elapsed = self.started.elapsed();
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let secs = elapsed.as_secs_f64();
        PhaseReport {
            phase,
            requests: inner.all.requests,
            errors: inner.all.error_total(),
            errors_by_status: inner.all.errors.clone(),
            elapsed_s: secs,
            throughput_rps: if secs > 0.0 {
                inner.all.requests as f64 / secs
            } else {
                0.0
            },
            latency: inner.all.latency(),
            operations: inner
                .ops
                .iter()
                .map(|(op, c)| {
                    (
                        op.as_str(),
                        OpReport {
                            requests: c.requests,
                            errors: c.error_total(),
                            latency: c.latency(),
                        },
                    )
                })
                .collect(),
            notes: inner.notes.clone(),
            first_errors: inner.first_errors.clone(),
            stages: inner.stages.clone(),
        }
    }
}

/// A part of a phase and its wall-clock time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Stage {
    /// `hosts`, `groups`, `members`.
    pub(crate) name: &'static str,
    /// Its wall-clock time.
    pub(crate) elapsed_s: f64,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct Latency {
    /// Median.
    pub(crate) p50_ms: f64,
    /// 90th percentile.
    pub(crate) p90_ms: f64,
    /// 99th percentile.
    pub(crate) p99_ms: f64,
    /// Slowest request.
    pub(crate) max_ms: f64,
    /// Mean.
    pub(crate) mean_ms: f64,
}

/// One kind of request within a phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct OpReport {
    /// Requests sent.
    pub(crate) requests: u64,
    /// Requests that failed.
    pub(crate) errors: u64,
    /// Their latency.
    pub(crate) latency: Latency,
}

/// What one phase did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct PhaseReport {
    /// `initial`, `update` or `steady`.
    pub(crate) phase: &'static str,
    /// Requests sent.
    pub(crate) requests: u64,
    /// Requests that failed, all causes.
    pub(crate) errors: u64,
    /// Failures by HTTP status (`"409"`) or cause (`"timeout"`,
    /// `"transport"`, `"bad-body"`).
    pub(crate) errors_by_status: BTreeMap<String, u64>,
    /// Wall-clock time of the phase.
    pub(crate) elapsed_s: f64,
    /// Requests per second.
    pub(crate) throughput_rps: f64,
    /// Latency of all requests.
    pub(crate) latency: Latency,
    /// The same by kind of request.
    pub(crate) operations: BTreeMap<&'static str, OpReport>,
    /// Counted events that are not requests (`hosts-matched`, …).
    pub(crate) notes: BTreeMap<&'static str, u64>,
    /// For each failing status or `transport`: the first such request and
    /// what the server (or the connection) said.
    pub(crate) first_errors: BTreeMap<String, String>,
    /// The phase's parts in order, where it has several (`initial`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) stages: Vec<Stage>,
}

impl PhaseReport {
    /// The wall-clock time of the part `name`, if recorded.
    pub(crate) fn stage_s(&self, name: &str) -> Option<f64> {
        self.stages
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.elapsed_s)
    }
}

impl fmt::Display for PhaseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} requests in {:.2} s ({:.1} req/s), {} errors",
            self.phase, self.requests, self.elapsed_s, self.throughput_rps, self.errors
        )?;
        if !self.errors_by_status.is_empty() {
            let list: Vec<String> = self
                .errors_by_status
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            writeln!(f, "  errors by status: {}", list.join(", "))?;
        }
        for (key, first) in &self.first_errors {
            writeln!(f, "  first {key}: {first}")?;
        }
        if !self.stages.is_empty() {
            let list: Vec<String> = self
                .stages
                .iter()
                .map(|s| format!("{} {:.2} s", s.name, s.elapsed_s))
                .collect();
            writeln!(f, "  stages: {}", list.join(", "))?;
        }
        writeln!(f, "  latency ms: {}", self.latency)?;
        for (op, r) in &self.operations {
            writeln!(
                f,
                "  {op:<13} {:>8} req {:>6} err  {}",
                r.requests, r.errors, r.latency
            )?;
        }
        if !self.notes.is_empty() {
            let list: Vec<String> = self
                .notes
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            writeln!(f, "  {}", list.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn counts_requests_errors_and_percentiles() {
        let r = Recorder::new();
        for ms in 1..=100 {
            r.record(Op::LookupUser, Duration::from_millis(ms), &Verdict::Ok);
        }
        r.record(
            Op::CreateUser,
            Duration::from_millis(500),
            &Verdict::Status(409, "uniqueness: userName is taken".to_owned()),
        );
        r.record(Op::CreateUser, Duration::from_millis(7), &Verdict::Timeout);
        r.note("hosts-matched");
        let report = r.finish("initial");
        assert_eq!(report.requests, 102);
        assert_eq!(report.errors, 2);
        assert_eq!(report.errors_by_status["409"], 1);
        assert_eq!(report.errors_by_status["timeout"], 1);
        assert_eq!(report.notes["hosts-matched"], 1);
        assert_eq!(
            report.first_errors["409"],
            "uniqueness: userName is taken (create-user)"
        );
        assert!(!report.first_errors.contains_key("timeout"));
        let lookup = &report.operations["lookup-user"];
        assert_eq!(lookup.requests, 100);
        assert_eq!(lookup.errors, 0);
        // hdrhistogram keeps 3 significant digits.
        assert!(
            (lookup.latency.p50_ms - 50.0).abs() < 0.1,
            "{:?}",
            lookup.latency
        );
        assert!(
            (lookup.latency.p90_ms - 90.0).abs() < 0.1,
            "{:?}",
            lookup.latency
        );
        assert!(
            (lookup.latency.p99_ms - 99.0).abs() < 0.1,
            "{:?}",
            lookup.latency
        );
        assert!(
            (lookup.latency.max_ms - 100.0).abs() < 0.1,
            "{:?}",
            lookup.latency
        );
        assert!((report.latency.max_ms - 500.0).abs() < 0.5);
        assert!(report.throughput_rps > 0.0);
    }

    #[test]
    fn an_empty_phase_reports_zeros() {
        let report = Recorder::new().finish("steady");
        assert_eq!(report.requests, 0);
        assert_eq!(report.latency, Latency::default());
        assert!(report.operations.is_empty());
    }

    #[test]
    fn the_json_report_has_the_documented_fields() {
        let r = Recorder::new();
        r.record(
            Op::AddMembers,
            Duration::from_millis(3),
            &Verdict::Status(400, "bad".to_owned()),
        );
        let json = serde_json::to_value(r.finish("initial")).unwrap();
        assert_eq!(json["phase"], "initial");
        assert_eq!(json["requests"], 1);
        assert_eq!(json["errors_by_status"]["400"], 1);
        for key in ["p50_ms", "p90_ms", "p99_ms", "max_ms"] {
            assert!(json["latency"][key].is_number(), "{key}");
        }
        assert_eq!(json["operations"]["add-members"]["errors"], 1);
        let text = r.finish("initial").to_string();
        assert!(text.contains("400: 1"), "{text}");
    }
}
