//! The cost-growth table: the median latency of each list query shape and
//! of a member add at several directory sizes, each shape chosen to match
//! the same few resources at every size, so that any growth is the
//! server's cost of finding them and not a bigger answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::machine::quantile_ms;
use crate::client::{Exchange, ScimClient, accept, resource_id};
use crate::data::{self, Dialect, USER_SCHEMA, Workload};
use crate::progress::Progress;
use crate::stats::{Op, Recorder};

/// Marker users: `userName sw`, `co`, `count=0` and `meta.lastModified gt`
/// match exactly these at every size.
const MARKERS: usize = 5;
/// `userName sw` prefix of the markers; nothing the simulator generates
/// contains it.
const MARKER_PREFIX: &str = "zqxmarker-";
/// The domain of the report's own users.
const DOMAIN: &str = "scale-report.example";
/// Samples a shape gets even past its time budget.
pub(crate) const MIN_SAMPLES: usize = 3;
/// The page size of the paging shapes, when the smallest size allows it.
const PAGE: usize = 100;
/// Members per PATCH while the large group grows.
const GROWTH_BATCH: usize = 1000;

/// What one query shape cost at each size.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    /// What was sent.
    pub(crate) shape: String,
    /// How many resources it matched or returned at each size (`None`
    /// where nothing succeeded).
    pub(crate) returns: Vec<Option<u64>>,
    /// The median latency at each size, milliseconds.
    pub(crate) median_ms: Vec<Option<f64>>,
    /// Requests timed at each size: `samples`, or fewer when the shape
    /// used up its time budget.
    pub(crate) timed: Vec<usize>,
    /// Why the row has no numbers (a feature the server lacks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unsupported: Option<String>,
}

/// The table for one store.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Growth {
    /// Directory sizes (hosts), ascending.
    pub(crate) sizes: Vec<usize>,
    /// Requests timed per shape and size, at most.
    pub(crate) samples: usize,
    /// Time per shape and size after which sampling stops (once
    /// [`MIN_SAMPLES`] are in).
    pub(crate) budget_s: f64,
    /// One row per shape.
    pub(crate) rows: Vec<Row>,
    /// Failed requests (loading and measuring), by status or cause.
    pub(crate) errors: std::collections::BTreeMap<String, u64>,
    /// The first failure of each kind.
    pub(crate) first_errors: std::collections::BTreeMap<String, String>,
    /// `count` of the paging shapes: 100, or half the smallest size, so
    /// that every size fills the page.
    pub(crate) page: usize,
}

/// The deep-page shape's name (the report explains its growth).
pub(crate) const DEEP_PAGE: &str = SHAPES[5];
/// The cursor shape's row: servers without cursors cannot answer it.
const CURSOR_STEP: usize = 7;

/// The shapes, in table order.
const SHAPES: [&str; 11] = [
    "`userName eq` (indexed)",
    "`emails[type eq \"work\"].value eq`",
    "`userName sw`",
    "`userName co`",
    "`meta.lastModified gt`",
    "deep index page (the last `count` users by `startIndex`)",
    "index walk step (the `startIndex` page after the middle one)",
    "cursor step (RFC 9865 `cursor`: the second page)",
    "sorted page (`sortBy=userName`, descending, the first page)",
    "`count=0` with a filter (`userName sw`)",
    "member add on the large group (half the hosts)",
];

fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    format!("/Users?{}", s.finish())
}

fn user_body(user_name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "active": true,
        "displayName": "scale report",
        // Sign In Enterprise requires a name and a work email.
        "name": {"givenName": "Scale", "familyName": "Report"},
        "emails": [{"type": "work", "value": user_name, "primary": true}]
    })
}

fn display_name_patch(name: &str) -> Value {
    json!({
        "schemas": [data::PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "displayName", "value": name}]
    })
}

struct Run<'a> {
    client: &'a ScimClient,
    rec: Arc<Recorder>,
    samples: usize,
    budget: Duration,
    page: String,
}

/// One cell of the table: the median, what the answer held, and how many
/// requests were timed.
type Cell = (Option<f64>, Option<u64>, usize);

impl Run<'_> {
    async fn json(&self, exchange: Exchange<'_>) -> Option<Value> {
        self.client
            .call(&self.rec, exchange, |r| Ok(r.json().unwrap_or(Value::Null)))
            .await
    }

    async fn create(&self, body: &Value, path: &str) -> anyhow::Result<String> {
        let op = if path == "/Users" {
            Op::CreateUser
        } else {
            Op::CreateGroup
        };
        self.client
            .call(&self.rec, Exchange::post(op, path, body), resource_id)
            .await
            .with_context(|| format!("cannot create the report's {path} resource"))
    }

    /// Whether to time another request: fewer than `samples` so far, and
    /// within the budget or still short of [`MIN_SAMPLES`].
    fn another(&self, timed: usize, started: Instant) -> bool {
        timed < self.samples && (timed < MIN_SAMPLES || started.elapsed() < self.budget)
    }

    /// Times up to `samples` GETs of `path` after one untimed warm-up;
    /// returns the median and what the last answer held (`count` of
    /// `Resources`, or `totalResults` when `total`).
    async fn time_get(&self, path: &str, total: bool) -> Cell {
        let _ = self.json(Exchange::get(Op::Query, path)).await;
        let mut times = Vec::with_capacity(self.samples);
        let mut returns = None;
        let begun = Instant::now();
        let mut attempts = 0;
        while self.another(attempts, begun) {
            attempts += 1;
            let started = Instant::now();
            let reply = self.json(Exchange::get(Op::Query, path)).await;
            let elapsed = started.elapsed();
            if let Some(body) = reply {
                times.push(elapsed);
                returns = if total {
                    body["totalResults"].as_u64()
                } else {
                    body["Resources"]
                        .as_array()
                        .map(|r| r.len() as u64)
                        .or(Some(0))
                };
            }
        }
        let timed = times.len();
        (median(&mut times), returns, timed)
    }
}

fn median(times: &mut [Duration]) -> Option<f64> {
    (!times.is_empty()).then(|| quantile_ms(times, 0.5))
}

/// Loads `workload`'s hosts (no groups) into an empty server in steps of
/// `sizes` and times every shape at each step.
pub(crate) async fn run(
    client: &ScimClient,
    workload: &Workload,
    sizes: &[usize],
    samples: usize,
    budget: Duration,
    concurrency: usize,
    quiet: bool,
) -> anyhow::Result<Growth> {
    let Some(&smallest) = sizes.first() else {
        bail!("no --sizes to measure");
    };
    if sizes.last().is_some_and(|&l| l > workload.hosts.len()) {
        bail!("the largest size exceeds the generated hosts");
    }
    let run = Run {
        client,
        rec: Arc::new(Recorder::new()),
        samples: samples.max(1),
        budget,
        page: PAGE.min(smallest / 2).max(1).to_string(),
    };
    let config = run
        .json(Exchange::get(Op::Query, "/ServiceProviderConfig"))
        .await
        .unwrap_or(Value::Null);
    let cursor_supported = config["pagination"]["cursor"].as_bool() == Some(true);

    let mut markers = Vec::new();
    for k in 0..MARKERS {
        let name = format!("{MARKER_PREFIX}{k}@{DOMAIN}");
        markers.push(run.create(&user_body(&name), "/Users").await?);
    }
    let clock = run
        .create(&user_body(&format!("zqxclock@{DOMAIN}")), "/Users")
        .await?;
    let joiner = run
        .create(&user_body(&format!("zqxjoiner@{DOMAIN}")), "/Users")
        .await?;
    let group = run
        .create(
            &json!({"schemas": [data::GROUP_SCHEMA], "displayName": "zqx large group"}),
            "/Groups",
        )
        .await?;
    let group_path = format!("/Groups/{group}");

    // The eq shapes look up one host every size holds.
    let probe = workload
        .hosts
        .get(smallest / 2)
        .context("no host to look up")?;
    let eq = query(&[("filter", &format!("userName eq \"{}\"", probe.user_name))]);
    let email = query(&[(
        "filter",
        &format!("emails[type eq \"work\"].value eq \"{}\"", probe.work_email),
    )]);
    let sw = query(&[("filter", &format!("userName sw \"{MARKER_PREFIX}\""))]);
    let co = query(&[(
        "filter",
        &format!("userName co \"{}\"", &MARKER_PREFIX[1..]),
    )]);
    let sorted = query(&[
        ("sortBy", "userName"),
        ("sortOrder", "descending"),
        ("count", &run.page),
    ]);
    let count0 = query(&[
        ("filter", &format!("userName sw \"{MARKER_PREFIX}\"")),
        ("count", "0"),
    ]);

    let mut rows: Vec<Row> = SHAPES
        .iter()
        .map(|s| Row {
            shape: (*s).to_owned(),
            returns: Vec::new(),
            median_ms: Vec::new(),
            timed: Vec::new(),
            unsupported: None,
        })
        .collect();
    if !cursor_supported {
        if let Some(row) = rows.get_mut(CURSOR_STEP) {
            row.unsupported = Some(
                "not supported: the server's ServiceProviderConfig does not advertise \
                 `pagination.cursor`"
                    .to_owned(),
            );
        }
    }

    let mut ids: Vec<Option<String>> = vec![None; workload.hosts.len()];
    let mut loaded = 0;
    for &size in sizes {
        load_hosts(
            client,
            &run.rec,
            workload,
            &mut ids,
            loaded..size,
            concurrency,
            quiet,
        )
        .await;
        let members: Vec<&str> = ids[loaded / 2..size / 2]
            .iter()
            .filter_map(|id| id.as_deref())
            .collect();
        for chunk in members.chunks(GROWTH_BATCH) {
            let body = data::member_add_patch(chunk.iter().copied(), Dialect::Flag);
            client
                .call(
                    &run.rec,
                    Exchange::patch(Op::AddMembers, &group_path, &body),
                    accept,
                )
                .await;
        }
        loaded = size;
        if !quiet {
            eprintln!("cost growth: {size} hosts loaded, timing the query shapes");
        }

        let mut results = Vec::with_capacity(SHAPES.len());
        results.push(run.time_get(&eq, false).await);
        results.push(run.time_get(&email, false).await);
        results.push(run.time_get(&sw, false).await);
        results.push(run.time_get(&co, false).await);
        results.push(time_modified_since(&run, &clock, &markers, size).await);
        results.push(time_deep_page(&run).await);
        results.push(time_walk_step(&run).await);
        results.push(if cursor_supported {
            time_cursor_step(&run).await
        } else {
            (None, None, 0)
        });
        results.push(run.time_get(&sorted, false).await);
        results.push(run.time_get(&count0, true).await);
        results.push(time_member_add(&run, &group_path, &joiner).await);
        for (row, (median, returns, timed)) in rows.iter_mut().zip(results) {
            row.median_ms.push(median);
            row.returns.push(returns);
            row.timed.push(timed);
        }
    }
    let report = run.rec.finish("cost-growth");
    Ok(Growth {
        sizes: sizes.to_vec(),
        samples: run.samples,
        budget_s: budget.as_secs_f64(),
        rows,
        errors: report.errors_by_status,
        first_errors: report.first_errors,
        page: PAGE.min(smallest / 2).max(1),
    })
}

/// Creates hosts `range` of `workload`, `concurrency` at a time.
async fn load_hosts(
    client: &ScimClient,
    rec: &Arc<Recorder>,
    workload: &Workload,
    ids: &mut [Option<String>],
    range: std::ops::Range<usize>,
    concurrency: usize,
    quiet: bool,
) {
    let client = Arc::new(client.clone());
    let progress = Progress::new(
        "cost growth: loading hosts",
        Some(range.len() as u64),
        quiet,
    );
    let mut set = JoinSet::new();
    let mut pending = range.into_iter();
    loop {
        while set.len() < concurrency.max(1) {
            let Some(i) = pending.next() else { break };
            let Some(host) = workload.hosts.get(i) else {
                continue;
            };
            let body = host.create_body();
            let (client, rec) = (Arc::clone(&client), Arc::clone(rec));
            set.spawn(async move {
                let id = client
                    .call(
                        &rec,
                        Exchange::post(Op::CreateUser, "/Users", &body),
                        resource_id,
                    )
                    .await;
                (i, id)
            });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        progress.inc();
        if let Ok((i, id)) = joined {
            if let Some(slot) = ids.get_mut(i) {
                *slot = id;
            }
        }
    }
    progress.finish();
}

/// `meta.lastModified gt T`, where T is the clock user's `lastModified`
/// just before the markers were touched: it matches the markers alone.
async fn time_modified_since(run: &Run<'_>, clock: &str, markers: &[String], size: usize) -> Cell {
    let clock_path = format!("/Users/{clock}");
    let body = display_name_patch(&format!("clock at {size}"));
    run.client
        .call(
            &run.rec,
            Exchange::patch(Op::PatchUser, &clock_path, &body),
            accept,
        )
        .await;
    let read = run.json(Exchange::get(Op::GetUser, &clock_path)).await;
    let Some(since) = read.and_then(|u| u["meta"]["lastModified"].as_str().map(str::to_owned))
    else {
        return (None, None, 0);
    };
    // `meta` carries milliseconds: be sure the markers' times are later.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let body = display_name_patch(&format!("marker at {size}"));
    for id in markers {
        let path = format!("/Users/{id}");
        run.client
            .call(
                &run.rec,
                Exchange::patch(Op::PatchUser, &path, &body),
                accept,
            )
            .await;
    }
    let path = query(&[("filter", &format!("meta.lastModified gt \"{since}\""))]);
    run.time_get(&path, false).await
}

/// The last page of users by index paging.
async fn time_deep_page(run: &Run<'_>) -> Cell {
    let total = run
        .json(Exchange::get(Op::Query, "/Users?count=0"))
        .await
        .and_then(|b| b["totalResults"].as_u64());
    let Some(total) = total else {
        return (None, None, 0);
    };
    let page: u64 = run.page.parse().unwrap_or(1);
    let start = (total + 1).saturating_sub(page).max(1).to_string();
    run.time_get(
        &query(&[("startIndex", &start), ("count", &run.page)]),
        false,
    )
    .await
}

/// The next page of an index-paged walk through the middle of the
/// directory: the page at the middle is read once (untimed), then the page
/// after it again and again, as a client walking `startIndex` page after
/// page asks for it.
async fn time_walk_step(run: &Run<'_>) -> Cell {
    let total = run
        .json(Exchange::get(Op::Query, "/Users?count=0"))
        .await
        .and_then(|b| b["totalResults"].as_u64());
    let Some(total) = total else {
        return (None, None, 0);
    };
    let page: u64 = run.page.parse().unwrap_or(1);
    let middle = (total / 2).max(1);
    let before = middle.to_string();
    if run
        .json(Exchange::get(
            Op::Query,
            &query(&[("startIndex", &before), ("count", &run.page)]),
        ))
        .await
        .is_none()
    {
        return (None, None, 0);
    }
    let next = (middle + page).to_string();
    run.time_get(
        &query(&[("startIndex", &next), ("count", &run.page)]),
        false,
    )
    .await
}

/// The second page by cursor: the first page's `nextCursor`, asked for
/// again and again.
async fn time_cursor_step(run: &Run<'_>) -> Cell {
    let first = run
        .json(Exchange::get(
            Op::Query,
            &query(&[("cursor", ""), ("count", &run.page)]),
        ))
        .await;
    let Some(next) = first.and_then(|b| b["nextCursor"].as_str().map(str::to_owned)) else {
        return (None, None, 0);
    };
    run.time_get(&query(&[("cursor", &next), ("count", &run.page)]), false)
        .await
}

/// Adds the joiner to the large group (timed) and removes it again (not
/// timed), up to `samples` times.
async fn time_member_add(run: &Run<'_>, group_path: &str, joiner: &str) -> Cell {
    let add = data::member_add_patch([joiner], Dialect::Flag);
    let remove = data::member_remove_patch(joiner, Dialect::Flag);
    let mut times = Vec::with_capacity(run.samples);
    let begun = Instant::now();
    let mut attempts = 0;
    while run.another(attempts, begun) {
        attempts += 1;
        let started = Instant::now();
        let added = run
            .client
            .call(
                &run.rec,
                Exchange::patch(Op::AddMembers, group_path, &add),
                accept,
            )
            .await;
        let elapsed = started.elapsed();
        if added.is_some() {
            times.push(elapsed);
        }
        run.client
            .call(
                &run.rec,
                Exchange::patch(Op::RemoveMembers, group_path, &remove),
                accept,
            )
            .await;
    }
    let returns = (!times.is_empty()).then_some(1);
    let timed = times.len();
    (median(&mut times), returns, timed)
}
