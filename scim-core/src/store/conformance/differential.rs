//! The differential check: random resources, random filters, sorts and
//! pages, each query answered by the store and by [`evaluate`] over the
//! resources as the store's `get` returns them, which must agree.
//!
//! Everything random comes from a small deterministic generator seeded per
//! case, so a failure is reproducible from the seed it prints. A failure
//! also prints the case as a `REGRESSIONS` entry: the resource bodies
//! (ids as `{u0}`, `{g1}`…) and the query that disagreed. Pasted into
//! `REGRESSIONS` below, it runs on every store, every time, with
//! [`Suite::differential_regressions`].

use std::future::Future;
use std::sync::Arc;

use self::case::Case;
use self::rng::Rng;
use super::Suite;
use crate::store::ResourceStore;

/// The environment variable that, when set to a number, replaces the
/// number of cases of every differential run.
pub const CASES_VAR: &str = "SCIM_DIFFERENTIAL_CASES";

/// The environment variable that, when set to a number (decimal or
/// `0x…`), replaces the seed of every differential run.
pub const SEED_VAR: &str = "SCIM_DIFFERENTIAL_SEED";

/// Cases of [`Suite::random_queries_agree_with_evaluate`], so that
/// [`Suite::run_all`] stays fast.
const DEFAULT_CASES: u32 = 60;

/// Seed of [`Suite::random_queries_agree_with_evaluate`].
const DEFAULT_SEED: u64 = 0x5c1d_0001;

/// Counterexamples found by the differential check, kept as regression
/// tests: each is the JSON the failure message printed. `users` and
/// `groups` are request bodies with `created`/`lastModified`; `{uN}` and
/// `{gN}` stand for the id of the N-th user or group (0-based), in bodies
/// and in filters.
const REGRESSIONS: &[&str] = &[
    // Written by hand, the format's example, before any store disagreed:
    // case variants of `userName` and `emails`, which are not case-exact,
    // under `not`, `ne` and ordering operators, a member change, computed
    // `groups`, date-times in other offsets.
    r#"{
      "users": [
        {"body": {"userName": "BJensen", "emails": [{"value": "BJ@Example.com", "type": "Work"}]},
         "created": "2021-03-01T10:00:00+01:00", "lastModified": "2021-03-01T09:00:00Z"},
        {"body": {"userName": "bjensen.2", "active": false}, "created": "2021-03-01T09:00:00.5Z", "lastModified": "2021-03-01T09:00:00.5Z"}
      ],
      "groups": [
        {"body": {"displayName": "Admins", "members": [{"value": "{u0}", "type": "User"}]},
         "created": "2020-01-01T00:00:00Z", "lastModified": "2020-01-01T00:00:00Z"}
      ],
      "changes": [
        {"members": "g0", "add": ["{u1}"], "remove": [], "lastModified": "2021-03-01T11:00:00+01:00"}
      ],
      "queries": [
        {"type": "User", "filter": "not (userName ne \"bjensen\")"},
        {"type": "User", "filter": "emails[type eq \"work\" and value ew \"example.COM\"]"},
        {"type": "User", "filter": "meta.lastModified ge \"2021-03-01T10:00:00+01:00\"", "sortBy": "meta.created", "sortOrder": "descending"},
        {"type": "User", "filter": "groups.value eq \"{G0}\""},
        {"type": "User", "filter": "active gt false"},
        {"type": "Group", "filter": "members[value eq \"{U0}\"] and members.value eq \"{u1}\"", "startIndex": 1, "count": 0},
        {"type": "Group", "filter": "meta.lastModified gt \"2021-03-01T09:59:59Z\"", "excludedAttributes": "members"}
      ]
    }"#,
];

impl<F, Fut> Suite<F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn ResourceStore>>,
{
    /// Random queries over random resources agree with
    /// [`crate::list::evaluate`]: a moderate number of cases of
    /// [`Suite::differential_queries`] with a fixed seed (both replaced by
    /// the environment variables `SCIM_DIFFERENTIAL_CASES` and
    /// `SCIM_DIFFERENTIAL_SEED` when set).
    pub async fn random_queries_agree_with_evaluate(&self) {
        self.differential_queries(DEFAULT_CASES, DEFAULT_SEED).await;
    }

    /// The differential check, `cases` times from `seed`: each case stores
    /// a few random Users (emails and phone numbers of several types,
    /// `name`, `active`, enterprise attributes, an unknown numeric
    /// attribute, date-times with offsets, case variants) and Groups (with
    /// members among them) in a fresh tenant, in half the cases replaces or
    /// deletes some and changes members, then runs random filters
    /// (every operator, `and`/`or`/`not`, value paths, extension URNs,
    /// `meta` date-times, case variants of names, operators and values),
    /// sometimes with a sort, a page and a projection, through the store's
    /// `query` and
    /// through [`crate::list::evaluate`] over what `get` returns. Both must
    /// give the same ids in the same order, the same `totalResults` and
    /// the same JSON, or both refuse the query with the same status and
    /// `scimType`.
    ///
    /// Case `k` is generated from `seed + k` alone, so a failure (whose
    /// message names that seed) is replayed by
    /// `differential_queries(1, that_seed)`. The environment variables
    /// `SCIM_DIFFERENTIAL_CASES` and `SCIM_DIFFERENTIAL_SEED`, when set,
    /// replace `cases` and `seed`.
    ///
    /// # Panics
    ///
    /// On the first disagreement, with the seed, the query and the case as
    /// an entry for the suite's list of regressions.
    pub async fn differential_queries(&self, cases: u32, seed: u64) {
        let cases = env_number(CASES_VAR).map_or(cases, |n| u32::try_from(n).unwrap_or(u32::MAX));
        let seed = env_number(SEED_VAR).unwrap_or(seed);
        let cx = self.check("differential_queries").await;
        let mut stored = 0;
        for k in 0..cases {
            let case_seed = seed.wrapping_add(u64::from(k));
            let mut rng = Rng::new(case_seed);
            let case = Case::random(&mut rng);
            stored += case
                .run(&cx, &format!("case{k}"), &format!("seed {case_seed:#x}"))
                .await;
        }
        // Every case generates at least one user; a generator whose data the
        // library refuses would otherwise compare empty tenants and pass.
        if stored < cases as usize {
            cx.fail(format_args!(
                "only {stored} resources were stored over {cases} cases: the generated data is being refused"
            ));
        }
    }

    /// Every counterexample the differential check has found, kept in the
    /// suite's list of regressions, agrees with [`crate::list::evaluate`].
    pub async fn differential_regressions(&self) {
        let cx = self.check("differential_regressions").await;
        for (i, text) in REGRESSIONS.iter().enumerate() {
            let case = Case::parse(text)
                .unwrap_or_else(|e| cx.fail(format_args!("regression {i} is malformed: {e}")));
            let _ = case
                .run(&cx, &format!("regression{i}"), &format!("regression {i}"))
                .await;
        }
    }
}

fn env_number(var: &str) -> Option<u64> {
    parse_number(&std::env::var(var).ok()?)
}

/// A decimal or `0x` hexadecimal number, `_` allowed between digits.
fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16).ok(),
        None => text.replace('_', "").parse().ok(),
    }
}

mod case;
mod queries;
mod resources;
mod rng;

#[cfg(test)]
mod tests;
