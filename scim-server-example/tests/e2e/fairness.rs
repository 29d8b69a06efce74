//! One tenant sending the heaviest requests the caps allow does not take
//! the server from another: the other tenant's reads stay within a
//! generous ratio of their unloaded latency. (The heavy tenant's excess
//! concurrency is answered `429`: tests/tests/protocol/hostile_limits.rs.)

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Scim, Server, Storage, TOKEN, cleanup, patch_op};

/// Values of the heavy host's `emails`: the default
/// `max_values_per_attribute`.
const EMAILS: usize = 1000;
/// Operations of each heavy PATCH: the default `max_patch_operations`.
const OPERATIONS: usize = 1000;
/// Heavy requests kept in flight, each on a host of its own (so that they
/// never wait for each other's writes): four per core of this machine
/// type, enough to keep every core busy.
const HEAVY_IN_FLIGHT: usize = 8;
/// Quiet reads timed in each condition.
const SAMPLES: usize = 25;

fn email(i: usize) -> String {
    format!("mail{i:04}@heavy.example")
}

/// A host with `EMAILS` email addresses.
async fn heavy_host(scim: &Scim, n: usize) -> String {
    let emails: Vec<Value> = (0..EMAILS)
        .map(|i| json!({"type": if i == 0 { "work" } else { "other" }, "value": email(i)}))
        .collect();
    let r = scim
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("heavy{n}@heavy.example"),
                "name": {"givenName": "Heavy", "familyName": "Host"},
                "emails": emails,
            }),
        )
        .await
        .expect(201);
    r.body["id"].as_str().unwrap().to_owned()
}

/// Filtered paths in one PATCH: the default cap on a PATCH's filter
/// comparisons.
const FILTERED: usize = 100;

/// `OPERATIONS` operations on the heavy host's emails: `FILTERED`
/// replaces, each selecting one email by a filter that every one of the
/// host's emails is tested against, then adds of emails it already has,
/// each compared with every stored one (and so a change of nothing).
fn heavy_patch() -> Value {
    let operations: Vec<Value> = (0..OPERATIONS)
        .map(|i| {
            if i < FILTERED {
                json!({
                    "op": "replace",
                    "path": format!("emails[value eq \"{}\"].display", email(EMAILS - 1 - i)),
                    "value": format!("display {i}"),
                })
            } else {
                json!({
                    "op": "add",
                    "path": "emails",
                    "value": [{"type": "other", "value": email(1 + (i - FILTERED) % (EMAILS - FILTERED - 1))}],
                })
            }
        })
        .collect();
    patch_op(json!(operations))
}

/// The median latency of `SAMPLES` sequential `GET /Users?count=1`.
async fn quiet_median(scim: &Scim) -> Duration {
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        scim.get("/Users?count=1").await.expect(200);
        times.push(started.elapsed());
    }
    times.sort();
    times[SAMPLES / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_heaviest_requests_of_one_tenant_leave_another_tenant_served() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &[]);
    let quiet_token = storage.create_tenant("quiet");
    let heavy = server.client(TOKEN);
    let quiet = server.client(&quiet_token);
    quiet.create_host("reader@quiet.example").await;
    let mut paths = Vec::new();
    for n in 0..HEAVY_IN_FLIGHT {
        paths.push(format!("/Users/{}", heavy_host(&heavy, n).await));
    }
    let body = heavy_patch();

    // One heavy PATCH alone, so that the loaded phase below is known to
    // overlap them.
    let started = Instant::now();
    heavy.patch(&paths[0], body.clone()).await.expect(200);
    let one_heavy = started.elapsed();

    let unloaded = quiet_median(&quiet).await;

    // Keep HEAVY_IN_FLIGHT heavy requests in flight until the quiet
    // tenant's samples are taken. Each task sends PATCHes and searches
    // with the most `co` operands the cap allows, one after another.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let search = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": (0..100).map(|i| format!("emails.value co \"x{i:02}q\"")).collect::<Vec<_>>().join(" or "),
    });
    let started = Instant::now();
    heavy
        .post("/Users/.search", search.clone())
        .await
        .expect(200);
    let one_search = started.elapsed();
    let mut tasks = Vec::new();
    for (task, path) in paths.into_iter().enumerate() {
        let (heavy, body, search, stop) =
            (heavy.clone(), body.clone(), search.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let (mut done, mut timed_out) = (0_u32, 0_u32);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = if task % 4 == 0 {
                    heavy.post("/Users/.search", search.clone()).await
                } else {
                    heavy.patch(&path, body.clone()).await
                };
                // The heavy tenant may overload itself into 408s (its
                // work still ends); anything else is a failure.
                match r.status {
                    200 => done += 1,
                    408 => timed_out += 1,
                    other => panic!("a heavy request got {other}: {}", r.body),
                }
            }
            (done, timed_out)
        }));
    }
    // Let the heavy load build up before timing.
    tokio::time::sleep(one_heavy.max(Duration::from_millis(200))).await;
    let loaded = quiet_median(&quiet).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut done, mut timed_out) = (0, 0);
    for task in tasks {
        let (d, t) = task.await.unwrap();
        done += d;
        timed_out += t;
    }

    eprintln!(
        "fairness: one heavy PATCH alone {one_heavy:?}, one heavy search {one_search:?}; quiet tenant's GET median \
         {unloaded:?} unloaded, {loaded:?} under {HEAVY_IN_FLIGHT} heavy requests in flight \
         ({done} heavy requests served meanwhile, {timed_out} answered 408)"
    );
    assert!(done > 0, "the heavy requests ran");
    // Generous: ten times the unloaded median, and never less than 100 ms,
    // since an unloaded loopback read takes about a millisecond and this
    // test's client shares the cores with the server.
    let bound = (unloaded * 10).max(Duration::from_millis(100));
    assert!(
        loaded <= bound,
        "the quiet tenant waited {loaded:?} under load, against {unloaded:?} unloaded"
    );
    // And far less than one heavy request: the quiet reads never waited
    // for heavy work to finish.
    assert!(
        loaded < one_heavy,
        "the quiet tenant's reads ({loaded:?}) took as long as a heavy request ({one_heavy:?})"
    );

    drop(server);
    cleanup(&storage);
}
