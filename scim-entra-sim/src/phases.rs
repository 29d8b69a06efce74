//! The three phases of an Entra provisioning job as the request sequences
//! Entra sends: the initial cycle, an incremental cycle with updates and
//! deprovisioning, and the steady lookups of later cycles.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng as _;
use tokio::task::JoinSet;

use crate::client::{
    Exchange, ScimClient, accept, group_lookup_result, group_read, lookup_result, resource_id,
};
use crate::data::{self, Dialect, Stream, UpdatePlan, Workload};
use crate::progress::Progress;
use crate::stats::{Op, PhaseReport, Recorder};

/// How the phases run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    /// The seed (for the update, steady and probe streams).
    pub(crate) seed: u64,
    /// Requests in flight at most.
    pub(crate) concurrency: usize,
    /// Members per add-members PATCH.
    pub(crate) member_batch: usize,
    /// How long the steady phase runs.
    pub(crate) duration: Duration,
    /// No progress output.
    pub(crate) quiet: bool,
}

/// Everything the phases share: the client, the directory, and the ids the
/// server gave (Entra's cache of target ids).
#[derive(Debug)]
pub(crate) struct Sim {
    client: ScimClient,
    workload: Workload,
    seed: u64,
    concurrency: usize,
    member_batch: usize,
    duration: Duration,
    quiet: bool,
    host_ids: Mutex<Vec<Option<String>>>,
    group_ids: Mutex<Vec<Option<String>>>,
}

impl Sim {
    /// A simulator with an empty id cache.
    pub(crate) fn new(client: ScimClient, workload: Workload, settings: Settings) -> Self {
        let hosts = workload.hosts.len();
        let groups = workload.groups.len();
        Self {
            client,
            workload,
            seed: settings.seed,
            concurrency: settings.concurrency.max(1),
            member_batch: settings.member_batch.max(1),
            duration: settings.duration,
            quiet: settings.quiet,
            host_ids: Mutex::new(vec![None; hosts]),
            group_ids: Mutex::new(vec![None; groups]),
        }
    }

    fn cached_host(&self, i: usize) -> Option<String> {
        lock(&self.host_ids).get(i).cloned().flatten()
    }

    fn cache_host(&self, i: usize, id: String) {
        if let Some(slot) = lock(&self.host_ids).get_mut(i) {
            *slot = Some(id);
        }
    }

    fn forget_group(&self, g: usize) {
        if let Some(slot) = lock(&self.group_ids).get_mut(g) {
            *slot = None;
        }
    }

    /// `GET /Groups/{id}?excludedAttributes=members`, as Entra reads a group
    /// before it changes its membership; a group that cannot be read gets
    /// no member adds.
    async fn read_group(&self, rec: &Recorder, g: usize) {
        let Some(id) = self.cached_group(g) else {
            return;
        };
        let path = format!("/Groups/{id}?excludedAttributes=members");
        let read = self
            .client
            .call(rec, Exchange::get(Op::GetGroup, &path), group_read)
            .await;
        if read.is_none() {
            self.forget_group(g);
        }
    }

    fn cached_group(&self, g: usize) -> Option<String> {
        lock(&self.group_ids).get(g).cloned().flatten()
    }

    fn cache_group(&self, g: usize, id: String) {
        if let Some(slot) = lock(&self.group_ids).get_mut(g) {
            *slot = Some(id);
        }
    }

    /// A `userName` lookup then, without a match, a create; caches the id
    /// either way.
    async fn provision_host(&self, rec: &Recorder, i: usize) {
        let Some(host) = self.workload.hosts.get(i) else {
            return;
        };
        let found = self
            .client
            .call(
                rec,
                Exchange::get(Op::LookupUser, &host.lookup_path()),
                lookup_result,
            )
            .await;
        let id = match found {
            None => return,
            Some(Some(id)) => {
                rec.note("hosts-matched");
                id
            }
            Some(None) => {
                let body = host.create_body();
                let created = self
                    .client
                    .call(
                        rec,
                        Exchange::post(Op::CreateUser, "/Users", &body),
                        resource_id,
                    )
                    .await;
                let Some(id) = created else { return };
                id
            }
        };
        self.cache_host(i, id);
    }

    /// A `displayName` lookup then, without a match, a create.
    async fn provision_group(&self, rec: &Recorder, g: usize) {
        let Some(group) = self.workload.groups.get(g) else {
            return;
        };
        let found = self
            .client
            .call(
                rec,
                Exchange::get(Op::LookupGroup, &group.lookup_path()),
                group_lookup_result,
            )
            .await;
        let id = match found {
            None => return,
            Some(Some(id)) => {
                rec.note("groups-matched");
                id
            }
            Some(None) => {
                let body = group.create_body();
                let created = self
                    .client
                    .call(
                        rec,
                        Exchange::post(Op::CreateGroup, "/Groups", &body),
                        resource_id,
                    )
                    .await;
                let Some(id) = created else { return };
                id
            }
        };
        self.cache_group(g, id);
    }

    /// The cached id of host `i`, or a re-match by `userName` when this
    /// process has not seen it (an `update` run on its own); no match counts
    /// as a `no-match` error.
    async fn host_id(&self, rec: &Recorder, i: usize) -> Option<String> {
        if let Some(id) = self.cached_host(i) {
            return Some(id);
        }
        let host = self.workload.hosts.get(i)?;
        // A host the update phase picked must exist: no match is an error.
        let id = self
            .client
            .call(
                rec,
                Exchange::get(Op::LookupUser, &host.lookup_path()),
                |r| lookup_result(r)?.ok_or("no-match"),
            )
            .await?;
        self.cache_host(i, id.clone());
        Some(id)
    }

    /// `GET /Users/{id}` then one PATCH, as Entra diffs before it writes.
    async fn read_then_patch(&self, rec: &Recorder, i: usize, op: Op, body: serde_json::Value) {
        let Some(id) = self.host_id(rec, i).await else {
            return;
        };
        let path = format!("/Users/{id}");
        let read = self
            .client
            .call(rec, Exchange::get(Op::GetUser, &path), resource_id)
            .await;
        if read.is_none() {
            return;
        }
        self.client
            .call(rec, Exchange::patch(op, &path, &body), accept)
            .await;
    }

    fn host_dialect(&self, i: usize) -> Dialect {
        self.workload
            .hosts
            .get(i)
            .map_or(Dialect::Legacy, |h| h.dialect)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `f` on every item with at most `concurrency` tasks in flight.
async fn bounded<T, F, Fut>(concurrency: usize, items: Vec<T>, progress: &Progress, f: F)
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut set = JoinSet::new();
    for item in items {
        while set.len() >= concurrency.max(1) {
            if set.join_next().await.is_some() {
                progress.inc();
            }
        }
        set.spawn(f(item));
    }
    while set.join_next().await.is_some() {
        progress.inc();
    }
    progress.finish();
}

/// The random-GUID `userName` and `displayName` queries Entra sends on Test
/// Connection and at the start of every cycle; each must answer an empty
/// ListResponse. `cycle` picks fresh GUIDs per phase.
async fn probes(sim: &Sim, rec: &Recorder, cycle: u64) {
    let mut rng = data::rng(sim.seed, Stream::Probe, cycle);
    let user = format!(
        "/Users?{}",
        data::eq_filter_query("userName", &data::guid(&mut rng))
    );
    let group = format!(
        "/Groups?excludedAttributes=members&{}",
        data::eq_filter_query("displayName", &data::guid(&mut rng))
    );
    for path in [user, group] {
        sim.client
            .call(
                rec,
                Exchange::get(Op::Probe, &path),
                |r| match lookup_result(r)? {
                    None => Ok(()),
                    Some(_) => Err("probe-matched"),
                },
            )
            .await;
    }
}

/// The initial cycle: the Test Connection probes, every host (lookup,
/// create), every group (lookup, create), then per group a read without
/// members and its memberships in batches.
pub(crate) async fn initial(sim: &Arc<Sim>) -> PhaseReport {
    let rec = Arc::new(Recorder::new());
    let started = Instant::now();
    probes(sim, &rec, 0).await;

    let hosts: Vec<usize> = (0..sim.workload.hosts.len()).collect();
    let progress = Progress::new("initial: hosts", Some(hosts.len() as u64), sim.quiet);
    bounded(sim.concurrency, hosts, &progress, |i| {
        let (sim, rec) = (Arc::clone(sim), Arc::clone(&rec));
        async move { sim.provision_host(&rec, i).await }
    })
    .await;
    rec.stage(STAGE_HOSTS, started.elapsed());

    let started = Instant::now();
    let groups: Vec<usize> = (0..sim.workload.groups.len()).collect();
    let progress = Progress::new("initial: groups", Some(groups.len() as u64), sim.quiet);
    bounded(sim.concurrency, groups, &progress, |g| {
        let (sim, rec) = (Arc::clone(sim), Arc::clone(&rec));
        async move { sim.provision_group(&rec, g).await }
    })
    .await;
    rec.stage(STAGE_GROUPS, started.elapsed());

    let started = Instant::now();

    let with_members: Vec<usize> = (0..sim.workload.groups.len())
        .filter(|&g| {
            sim.workload
                .groups
                .get(g)
                .is_some_and(|group| !group.members.is_empty())
        })
        .collect();
    let progress = Progress::new(
        "initial: group reads",
        Some(with_members.len() as u64),
        sim.quiet,
    );
    bounded(sim.concurrency, with_members, &progress, |g| {
        let (sim, rec) = (Arc::clone(sim), Arc::clone(&rec));
        async move { sim.read_group(&rec, g).await }
    })
    .await;

    let batches = member_batches(sim, &rec);
    let progress = Progress::new("initial: members", Some(batches.len() as u64), sim.quiet);
    bounded(
        sim.concurrency,
        batches,
        &progress,
        |(group_id, dialect, ids)| {
            let (sim, rec) = (Arc::clone(sim), Arc::clone(&rec));
            async move {
                let body = data::member_add_patch(ids.iter().map(String::as_str), dialect);
                let path = format!("/Groups/{group_id}");
                sim.client
                    .call(&rec, Exchange::patch(Op::AddMembers, &path, &body), accept)
                    .await;
            }
        },
    )
    .await;
    rec.stage(STAGE_MEMBERS, started.elapsed());
    rec.finish("initial")
}

/// The initial phase's parts: the hosts' lookups and creates (with the
/// probes before them), the groups' lookups and creates, and the member
/// adds (with the group reads before them).
pub(crate) const STAGE_HOSTS: &str = "hosts";
pub(crate) const STAGE_GROUPS: &str = "groups";
pub(crate) const STAGE_MEMBERS: &str = "members";

/// The add-members PATCHes: for each group with an id, its members with an
/// id, `member_batch` at a time. Members whose create failed are left out,
/// as Entra leaves out members it has not provisioned.
fn member_batches(sim: &Sim, rec: &Recorder) -> Vec<(String, Dialect, Vec<String>)> {
    let mut batches = Vec::new();
    for (g, group) in sim.workload.groups.iter().enumerate() {
        let Some(group_id) = sim.cached_group(g) else {
            if !group.members.is_empty() {
                rec.note("groups-without-id");
            }
            continue;
        };
        let ids: Vec<String> = group
            .members
            .iter()
            .filter_map(|&i| {
                let id = sim.cached_host(i);
                if id.is_none() {
                    rec.note("members-skipped");
                }
                id
            })
            .collect();
        for chunk in ids.chunks(sim.member_batch.max(1)) {
            batches.push((group_id.clone(), group.dialect, chunk.to_vec()));
        }
    }
    batches
}

/// An incremental cycle: the start-of-cycle probes, then read and patch a
/// fraction of the hosts, deactivate some, then reactivate some of those.
pub(crate) async fn update(sim: &Arc<Sim>, plan: &UpdatePlan) -> PhaseReport {
    let rec = Arc::new(Recorder::new());
    probes(sim, &rec, 1).await;
    let mut wave: Vec<(usize, Op, serde_json::Value)> = plan
        .changes
        .iter()
        .map(|(i, change)| (*i, Op::PatchUser, change.patch_body(sim.host_dialect(*i))))
        .collect();
    wave.extend(plan.deactivate.iter().map(|&i| {
        (
            i,
            Op::Deactivate,
            data::active_patch(false, sim.host_dialect(i)),
        )
    }));
    let progress = Progress::new("update: patches", Some(wave.len() as u64), sim.quiet);
    bounded(sim.concurrency, wave, &progress, |(i, op, body)| {
        let (sim, rec) = (Arc::clone(sim), Arc::clone(&rec));
        async move { sim.read_then_patch(&rec, i, op, body).await }
    })
    .await;

    let again: Vec<usize> = plan.reactivate.clone();
    let progress = Progress::new("update: reactivations", Some(again.len() as u64), sim.quiet);
    bounded(sim.concurrency, again, &progress, |i| {
        let (sim, rec) = (Arc::clone(sim), Arc::clone(&rec));
        async move {
            let body = data::active_patch(true, sim.host_dialect(i));
            sim.read_then_patch(&rec, i, Op::Reactivate, body).await;
        }
    })
    .await;
    rec.finish("update")
}

/// Later cycles: `userName` lookups of random hosts from `concurrency`
/// workers for the configured duration. Each lookup must find its host.
pub(crate) async fn steady(sim: &Arc<Sim>) -> PhaseReport {
    let rec = Arc::new(Recorder::new());
    let progress = Arc::new(Progress::new("steady: lookups", None, sim.quiet));
    let hosts = sim.workload.hosts.len();
    if hosts > 0 {
        let deadline = Instant::now() + sim.duration;
        let mut set = JoinSet::new();
        for worker in 0..sim.concurrency.max(1) {
            let (sim, rec, progress) = (Arc::clone(sim), Arc::clone(&rec), Arc::clone(&progress));
            set.spawn(async move {
                let mut rng = data::rng(sim.seed, Stream::Steady, worker as u64);
                while Instant::now() < deadline {
                    let Some(host) = sim.workload.hosts.get(rng.random_range(0..hosts)) else {
                        break;
                    };
                    sim.client
                        .call(
                            &rec,
                            Exchange::get(Op::LookupUser, &host.lookup_path()),
                            |r| lookup_result(r)?.map(|_| ()).ok_or("no-match"),
                        )
                        .await;
                    progress.inc();
                }
            });
        }
        while set.join_next().await.is_some() {}
    }
    progress.finish();
    rec.finish("steady")
}

/// Single-member changes on group `g`, one request at a time: `rounds`
/// times, add a host that is not a member, then remove it again (as Entra
/// sends a host's assignment and unassignment). Each request is timed on
/// its own, so the phase's latency is the cost of one member change on a
/// group of that size. Needs the ids of an earlier `initial` run; without
/// a group id or a non-member host id it sends nothing.
pub(crate) async fn member_changes(sim: &Sim, g: usize, rounds: usize) -> PhaseReport {
    let rec = Recorder::new();
    let group = sim.workload.groups.get(g);
    let outsider = group.and_then(|group| {
        (0..sim.workload.hosts.len()).find(|i| group.members.binary_search(i).is_err())
    });
    let ids = sim
        .cached_group(g)
        .zip(outsider.and_then(|i| sim.cached_host(i)));
    match (group, ids) {
        (Some(group), Some((group_id, host_id))) => {
            let path = format!("/Groups/{group_id}");
            let add = data::member_add_patch([host_id.as_str()], group.dialect);
            let remove = data::member_remove_patch(&host_id, group.dialect);
            for _ in 0..rounds {
                sim.client
                    .call(&rec, Exchange::patch(Op::AddMembers, &path, &add), accept)
                    .await;
                sim.client
                    .call(
                        &rec,
                        Exchange::patch(Op::RemoveMembers, &path, &remove),
                        accept,
                    )
                    .await;
            }
        }
        _ => rec.note("no-group-or-outsider"),
    }
    rec.finish("member-change")
}
