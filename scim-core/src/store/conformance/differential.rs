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

use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Check, ENTERPRISE, Suite, time_at};
use crate::id::{ResourceId, Version};
use crate::list::{ListQuery, Page, QueryResult, Sort, SortOrder, evaluate};
use crate::project::Projection;
use crate::resource::{Meta, Resource, prepare_create};
use crate::schema::ResourceSchema;
use crate::store::{ResourceStore, StoreError, TenantId};
use crate::tolerance::{Context, Policy};

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

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for test data.
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

// ---------- the data ----------

/// Strings with case variants, non-ASCII folding traps and SQL `LIKE`
/// wildcards.
const TEXTS: &[&str] = &[
    "bjensen",
    "BJensen",
    "BJENSEN",
    "bjensen@example.com",
    "BJensen@Example.COM",
    "babs@jensen.org",
    "émile",
    "ÉMILE",
    "Émile.Zola",
    "\u{212a}elvin",
    "kelvin",
    "İstanbul",
    "i\u{307}stanbul",
    "straße",
    "STRASSE",
    "zoë",
    "ZOEY",
    "a",
    "ab",
    "B",
    "b_s%",
    "Bob_Smith%",
    "work",
    "Work",
    "Tour Guide",
    "tour guide",
    "Tour Operations",
    "2021-03-01T10:00:00Z",
    "",
];

/// Fragments for `co`, `sw`, `ew` and ordering.
const FRAGMENTS: &[&str] = &[
    "bj",
    "BJ",
    "en",
    "EN",
    "sen",
    "SEN",
    "@example.com",
    "EXAMPLE",
    ".org",
    "É",
    "é",
    "k",
    "K",
    "i̇",
    "%",
    "_",
    "b_s",
    "ß",
    "ss",
    "tour",
    "TOUR",
    "guide",
    "z",
    "Zo",
    "2021",
    "",
];

const DATES: &[&str] = &[
    "2021-03-01T10:00:00Z",
    "2021-03-01T11:00:00+01:00",
    "2021-03-01T10:00:00.5Z",
    "2021-03-01T09:59:59Z",
    "2021-02-28T23:00:00-11:00",
    "2020-12-31T23:59:59.999Z",
    "2022-07-04T08:00:00+05:30",
    "2021-03-01T10:00:00.000000001Z",
];

/// Literals for filters on date-times: the data's dates and some between.
const DATE_LITERALS: &[&str] = &[
    "2021-03-01T10:00:00Z",
    "2021-03-01T10:00:00+00:00",
    "2021-03-01T12:00:00+02:00",
    "2021-03-01T10:00:00.5Z",
    "2021-03-01T10:00:00.000Z",
    "2021-03-01T09:00:00-01:00",
    "2021-01-01T00:00:00Z",
    "2023-01-01T00:00:00Z",
    "2021-03-01",
    "2021",
];

const TYPES: &[&str] = &["work", "Work", "WORK", "home", "other", "mobile"];

fn text(rng: &mut Rng) -> Value {
    json!(rng.pick(TEXTS))
}

fn date(rng: &mut Rng) -> String {
    rng.pick(DATES).to_owned()
}

fn number(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(0),
        1 => json!(1),
        2 => json!(1.0),
        3 => json!(2.5),
        4 => json!(-3),
        5 => json!(10),
        6 => json!(9_007_199_254_740_993_u64),
        _ => json!(-0.0),
    }
}

/// Inserts `key` with a probability of `num / den`.
fn maybe(
    rng: &mut Rng,
    obj: &mut Map<String, Value>,
    key: &str,
    num: usize,
    den: usize,
    value: impl FnOnce(&mut Rng) -> Value,
) {
    if rng.chance(num, den) {
        let v = value(rng);
        obj.insert(key.to_owned(), v);
    }
}

/// A multi-valued attribute of 0–3 items with `value`, `type`, `primary`.
fn multi(rng: &mut Rng, value: fn(&mut Rng) -> Value) -> Value {
    let n = rng.below(4);
    let mut primary_taken = false;
    let items = (0..n)
        .map(|_| {
            let mut item = Map::new();
            maybe(rng, &mut item, "value", 9, 10, value);
            maybe(rng, &mut item, "type", 3, 4, |r| json!(r.pick(TYPES)));
            if !primary_taken && rng.chance(1, 3) {
                primary_taken = true;
                item.insert("primary".into(), json!(true));
            }
            Value::Object(item)
        })
        .collect();
    Value::Array(items)
}

fn email(rng: &mut Rng) -> Value {
    json!(rng.pick(&[
        "bjensen@example.com",
        "BJensen@Example.COM",
        "babs@jensen.org",
        "émile@example.com",
        "\u{212a}@x.org",
        "k@x.org",
        "b_s%@example.com",
    ]))
}

fn phone(rng: &mut Rng) -> Value {
    json!(rng.pick(&["+1 555 0100", "+1 555 0101", "555-0100", "tel:+1-555-0100"]))
}

/// A resource to create: its request body and its times.
#[derive(Clone, Debug)]
struct Spec {
    body: Value,
    created: String,
    last_modified: String,
}

impl Spec {
    fn random_user(rng: &mut Rng, users_so_far: usize) -> Self {
        let mut u = Map::new();
        let user_name_key = if rng.chance(1, 8) {
            "UserName"
        } else {
            "userName"
        };
        u.insert(user_name_key.into(), text(rng));
        maybe(rng, &mut u, "displayName", 1, 2, text);
        maybe(rng, &mut u, "nickName", 1, 4, text);
        maybe(rng, &mut u, "title", 1, 3, text);
        maybe(rng, &mut u, "userType", 1, 3, |r| {
            json!(r.pick(&["Employee", "employee", "Intern", "Contractor"]))
        });
        maybe(rng, &mut u, "externalId", 1, 2, text);
        maybe(rng, &mut u, "active", 2, 3, |r| json!(r.chance(1, 2)));
        if rng.chance(1, 2) {
            let mut name = Map::new();
            maybe(rng, &mut name, "givenName", 2, 3, text);
            maybe(rng, &mut name, "familyName", 2, 3, text);
            u.insert("name".into(), Value::Object(name));
        }
        maybe(rng, &mut u, "emails", 2, 3, |r| multi(r, email));
        maybe(rng, &mut u, "phoneNumbers", 1, 3, |r| multi(r, phone));
        maybe(rng, &mut u, "level", 1, 3, number);
        if rng.chance(1, 2) {
            let mut e = Map::new();
            maybe(rng, &mut e, "employeeNumber", 1, 2, |r| {
                json!(r.pick(&["701984", "0701984", "42", "A-1"]))
            });
            maybe(rng, &mut e, "organization", 1, 2, text);
            maybe(rng, &mut e, "department", 1, 2, text);
            if users_so_far > 0 && rng.chance(1, 3) {
                let m = rng.below(users_so_far);
                let value = if rng.chance(1, 4) {
                    format!("{{U{m}}}")
                } else {
                    format!("{{u{m}}}")
                };
                e.insert("manager".into(), json!({"value": value}));
            }
            let key = if rng.chance(1, 6) {
                ENTERPRISE.to_ascii_lowercase()
            } else {
                ENTERPRISE.to_owned()
            };
            u.insert(key, Value::Object(e));
        }
        let created = date(rng);
        let last_modified = if rng.chance(1, 2) {
            created.clone()
        } else {
            date(rng)
        };
        Self {
            body: Value::Object(u),
            created,
            last_modified,
        }
    }

    fn random_group(rng: &mut Rng, users: usize, groups_so_far: usize) -> Self {
        let mut g = Map::new();
        g.insert(
            "displayName".into(),
            json!(rng.pick(&[
                "Admins",
                "admins",
                "Tour Guides",
                "ÉQUIPE",
                "équipe",
                "b_s%",
                "Empty"
            ])),
        );
        maybe(rng, &mut g, "externalId", 1, 2, |r| {
            json!(r.pick(&["grp-1", "GRP-1", "grp-2", "g"]))
        });
        let mut members = Vec::new();
        for u in 0..users {
            if rng.chance(1, 3) {
                let mut m = Map::new();
                m.insert("value".into(), json!(format!("{{u{u}}}")));
                maybe(rng, &mut m, "type", 1, 2, |_| json!("User"));
                members.push(Value::Object(m));
            }
        }
        for h in 0..groups_so_far {
            if rng.chance(1, 4) {
                members.push(json!({"value": format!("{{g{h}}}"), "type": "Group"}));
            }
        }
        if !members.is_empty() {
            g.insert("members".into(), Value::Array(members));
        }
        let created = date(rng);
        Self {
            body: Value::Object(g),
            last_modified: created.clone(),
            created,
        }
    }

    fn to_json(&self) -> Value {
        json!({"body": self.body, "created": self.created, "lastModified": self.last_modified})
    }

    fn from_json(v: &Value) -> Result<Self, String> {
        let body = v.get("body").cloned().ok_or("a resource without body")?;
        let created = v
            .get("created")
            .and_then(Value::as_str)
            .ok_or("a resource without created")?
            .to_owned();
        let last_modified = v
            .get("lastModified")
            .and_then(Value::as_str)
            .map_or_else(|| created.clone(), str::to_owned);
        Ok(Self {
            body,
            created,
            last_modified,
        })
    }
}

// ---------- the queries ----------

const USER_PATHS: &[&str] = &[
    "userName",
    "USERNAME",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "displayName",
    "nickName",
    "title",
    "userType",
    "externalId",
    "ExternalID",
    "active",
    "id",
    "name",
    "name.givenName",
    "name.FamilyName",
    "emails",
    "emails.value",
    "Emails.Value",
    "emails.type",
    "emails.primary",
    "phoneNumbers",
    "phoneNumbers.value",
    "phoneNumbers.type",
    "groups",
    "groups.value",
    "groups.display",
    "level",
    "meta.created",
    "meta.lastModified",
    "META.LASTMODIFIED",
    "meta.resourceType",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:Manager.Value",
];

const GROUP_PATHS: &[&str] = &[
    "displayName",
    "DISPLAYNAME",
    "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
    "externalId",
    "id",
    "members",
    "members.value",
    "Members.Value",
    "members.type",
    "members.display",
    "meta.created",
    "meta.lastModified",
    "meta.resourceType",
];

const USER_CONTAINERS: &[&str] = &[
    "emails",
    "EMAILS",
    "phoneNumbers",
    "urn:ietf:params:scim:schemas:core:2.0:User:emails",
    "groups",
];

const INNER_PATHS: &[&str] = &["value", "type", "primary", "display", "Value", "TYPE"];

const OPS: &[&str] = &[
    "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "EQ", "Ne", "sW", "GT", "Le",
];

const USER_SORTS: &[&str] = &[
    "userName",
    "USERNAME",
    "displayName",
    "title",
    "name.familyName",
    "emails",
    "emails.value",
    "phoneNumbers.type",
    "active",
    "externalId",
    "id",
    "meta.created",
    "meta.lastModified",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "groups.display",
];

const GROUP_SORTS: &[&str] = &[
    "displayName",
    "externalId",
    "id",
    "members.value",
    "meta.created",
];

const USER_ATTRIBUTES: &[&str] = &[
    "userName",
    "emails",
    "groups",
    "userName,name.givenName",
    "emails.value,meta.lastModified",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
];

const USER_EXCLUDED: &[&str] = &[
    "groups",
    "emails",
    "name,phoneNumbers",
    "emails.type",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
];

const GROUP_ATTRIBUTES: &[&str] = &["displayName", "members", "members.value", "externalId"];

const GROUP_EXCLUDED: &[&str] = &["members", "Members", "members.display", "displayName"];

/// The kind of resource a query asks for.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Kind {
    User,
    Group,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }
}

/// One query, in the terms a client uses.
#[derive(Clone, Debug)]
struct QuerySpec {
    kind: Kind,
    /// With `{uN}`/`{gN}` placeholders.
    filter: Option<String>,
    sort_by: Option<String>,
    descending: bool,
    /// Index paging; `None` is the first cursor page.
    start_index: Option<u64>,
    count: u64,
    /// `attributes`.
    attributes: Option<String>,
    /// `excludedAttributes`.
    excluded: Option<String>,
}

impl QuerySpec {
    fn random(rng: &mut Rng, kind: Kind, refs: &Refs) -> Self {
        let filter = if rng.chance(9, 10) {
            Some(filter(rng, kind, refs, 3))
        } else {
            None
        };
        let sort_by = if rng.chance(1, 3) {
            let sorts = match kind {
                Kind::User => USER_SORTS,
                Kind::Group => GROUP_SORTS,
            };
            Some(rng.pick(sorts).to_owned())
        } else {
            None
        };
        let descending = rng.chance(1, 2);
        let (start_index, count) = match rng.below(6) {
            0 => (Some(1 + rng.below(4) as u64), rng.below(4) as u64),
            1 => (None, 1 + rng.below(3) as u64),
            _ => (Some(1), 1000),
        };
        let (mut attributes, mut excluded) = (None, None);
        if rng.chance(1, 4) {
            let (only, except) = match kind {
                Kind::User => (USER_ATTRIBUTES, USER_EXCLUDED),
                Kind::Group => (GROUP_ATTRIBUTES, GROUP_EXCLUDED),
            };
            if rng.chance(1, 2) {
                attributes = Some(rng.pick(only).to_owned());
            } else {
                excluded = Some(rng.pick(except).to_owned());
            }
        }
        Self {
            kind,
            filter,
            sort_by,
            descending,
            start_index,
            count,
            attributes,
            excluded,
        }
    }

    fn to_json(&self) -> Value {
        let mut q = Map::new();
        q.insert("type".into(), json!(self.kind.name()));
        if let Some(f) = &self.filter {
            q.insert("filter".into(), json!(f));
        }
        if let Some(by) = &self.sort_by {
            q.insert("sortBy".into(), json!(by));
            let order = if self.descending {
                "descending"
            } else {
                "ascending"
            };
            q.insert("sortOrder".into(), json!(order));
        }
        match self.start_index {
            Some(1) if self.count == 1000 => {}
            Some(start) => {
                q.insert("startIndex".into(), json!(start));
                q.insert("count".into(), json!(self.count));
            }
            None => {
                q.insert("cursor".into(), json!(""));
                q.insert("count".into(), json!(self.count));
            }
        }
        if let Some(a) = &self.attributes {
            q.insert("attributes".into(), json!(a));
        }
        if let Some(e) = &self.excluded {
            q.insert("excludedAttributes".into(), json!(e));
        }
        Value::Object(q)
    }

    fn from_json(v: &Value) -> Result<Self, String> {
        let kind = match v.get("type").and_then(Value::as_str) {
            Some("User") => Kind::User,
            Some("Group") => Kind::Group,
            other => return Err(format!("a query of type {other:?}")),
        };
        let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let cursor = v.get("cursor").is_some();
        Ok(Self {
            kind,
            filter: text("filter"),
            sort_by: text("sortBy"),
            descending: text("sortOrder").is_some_and(|o| o.eq_ignore_ascii_case("descending")),
            start_index: if cursor {
                None
            } else {
                Some(v.get("startIndex").and_then(Value::as_u64).unwrap_or(1))
            },
            count: v.get("count").and_then(Value::as_u64).unwrap_or(1000),
            attributes: text("attributes"),
            excluded: text("excludedAttributes"),
        })
    }
}

/// What a filter may refer to: how many users and groups, and the strings
/// in their bodies.
struct Refs {
    users: usize,
    groups: usize,
    strings: Vec<String>,
}

impl Refs {
    fn new(users: &[Spec], groups: &[Spec]) -> Self {
        let mut refs = Self {
            users: users.len(),
            groups: groups.len(),
            strings: Vec::new(),
        };
        for spec in users.iter().chain(groups) {
            refs.add_strings(&spec.body);
        }
        refs
    }

    fn add_strings(&mut self, body: &Value) {
        fn collect(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) if !s.starts_with('{') => out.push(s.clone()),
                Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
                Value::Object(map) => map.values().for_each(|i| collect(i, out)),
                _ => {}
            }
        }
        collect(body, &mut self.strings);
    }

    /// One of the case's strings, or a piece of it, sometimes in another
    /// case, so that filters match some resources and not others.
    fn string(&self, rng: &mut Rng) -> Option<String> {
        let whole = self.strings.get(rng.below(self.strings.len()))?;
        let chars: Vec<char> = whole.chars().collect();
        let cut = rng.below(chars.len() + 1);
        let text: String = match rng.below(4) {
            0 => chars[..cut].iter().collect(),
            1 => chars[cut..].iter().collect(),
            _ => whole.clone(),
        };
        Some(match rng.below(4) {
            0 => text.to_uppercase(),
            1 => text.to_lowercase(),
            _ => text,
        })
    }
}

/// A literal for `path`: mostly of the attribute's kind, sometimes not.
fn literal(rng: &mut Rng, path: &str, refs: &Refs) -> String {
    let lower = path.to_ascii_lowercase();
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let other = rng.chance(1, 8);
    if lower.ends_with("created") || lower.ends_with("lastmodified") {
        if !other {
            return quoted(rng.pick(DATE_LITERALS));
        }
    } else if lower == "id"
        || lower.starts_with("members")
        || lower.starts_with("groups")
        || lower.contains("manager")
        || lower == "value"
    {
        // A bare `value` is inside brackets: of emails, or of members.
        let chance = if lower == "value" { 1 } else { 2 };
        if !other && rng.chance(chance, 3) {
            let upper = rng.chance(1, 4);
            let (letter, n) = if (rng.chance(1, 2) || refs.groups == 0) && refs.users > 0 {
                ('u', rng.below(refs.users))
            } else if refs.groups > 0 {
                ('g', rng.below(refs.groups))
            } else {
                ('u', 0)
            };
            let letter = if upper {
                letter.to_ascii_uppercase()
            } else {
                letter
            };
            return format!("\"{{{letter}{n}}}\"");
        }
    } else if lower.ends_with("active") || lower.ends_with("primary") {
        if !other {
            return rng.pick(&["true", "false"]).to_owned();
        }
    } else if lower == "level" && !other {
        return rng
            .pick(&[
                "0",
                "1",
                "1.0",
                "2.5",
                "-3",
                "10",
                "9007199254740992",
                "-0.0",
            ])
            .to_owned();
    }
    if rng.chance(2, 5) {
        if let Some(text) = refs.string(rng) {
            return quoted(&text);
        }
    }
    match rng.below(10) {
        0..=3 => quoted(rng.pick(TEXTS)),
        4..=6 => quoted(rng.pick(FRAGMENTS)),
        7 => quoted(rng.pick(TYPES)),
        8 => quoted(rng.pick(DATE_LITERALS)),
        _ => rng
            .pick(&["true", "false", "null", "0", "2.5", "-1"])
            .to_owned(),
    }
}

fn comparison(rng: &mut Rng, paths: &[&str], refs: &Refs) -> String {
    let path = rng.pick(paths);
    if rng.chance(1, 6) {
        let pr = rng.pick(&["pr", "PR", "Pr"]);
        return format!("{path} {pr}");
    }
    let op = rng.pick(OPS);
    let value = literal(rng, path, refs);
    format!("{path} {op} {value}")
}

fn logical(rng: &mut Rng, left: &str, right: &str) -> String {
    let op = if rng.chance(1, 2) {
        rng.pick(&["and", "AND", "And"])
    } else {
        rng.pick(&["or", "OR", "Or"])
    };
    // Parentheses only sometimes: precedence of `and` over `or` matters.
    if rng.chance(1, 2) {
        format!("({left}) {op} ({right})")
    } else {
        format!("{left} {op} {right}")
    }
}

fn negation(rng: &mut Rng, inner: &str) -> String {
    let not = rng.pick(&["not", "NOT", "Not"]);
    format!("{not} ({inner})")
}

/// A filter inside `[...]`.
fn inner(rng: &mut Rng, refs: &Refs, depth: u32) -> String {
    if depth == 0 || rng.chance(1, 2) {
        return if rng.chance(1, 3) {
            format!("type eq \"{}\"", rng.pick(TYPES))
        } else {
            comparison(rng, INNER_PATHS, refs)
        };
    }
    match rng.below(3) {
        0 => {
            let a = inner(rng, refs, depth - 1);
            negation(rng, &a)
        }
        _ => {
            let a = inner(rng, refs, depth - 1);
            let b = inner(rng, refs, depth - 1);
            logical(rng, &a, &b)
        }
    }
}

fn value_path(rng: &mut Rng, kind: Kind, refs: &Refs) -> String {
    let container = match kind {
        Kind::User => rng.pick(USER_CONTAINERS),
        Kind::Group => rng.pick(&["members", "Members"]),
    };
    match rng.below(4) {
        0 if kind == Kind::User => {
            // Entra ID's form.
            let ty = rng.pick(TYPES);
            let op = rng.pick(OPS);
            let value = literal(rng, &format!("{container}.value"), refs);
            format!("{container}[type eq \"{ty}\"].value {op} {value}")
        }
        1 => {
            let ty = rng.pick(TYPES);
            let f = comparison(rng, &["value"], refs);
            format!("{container}[type eq \"{ty}\" and {f}]")
        }
        _ => {
            let f = inner(rng, refs, 2);
            format!("{container}[{f}]")
        }
    }
}

fn filter(rng: &mut Rng, kind: Kind, refs: &Refs, depth: u32) -> String {
    if depth == 0 || rng.chance(2, 5) {
        return if rng.chance(1, 4) {
            value_path(rng, kind, refs)
        } else {
            let paths = match kind {
                Kind::User => USER_PATHS,
                Kind::Group => GROUP_PATHS,
            };
            comparison(rng, paths, refs)
        };
    }
    if rng.chance(1, 4) {
        let f = filter(rng, kind, refs, depth - 1);
        negation(rng, &f)
    } else {
        let a = filter(rng, kind, refs, depth - 1);
        let b = filter(rng, kind, refs, depth - 1);
        logical(rng, &a, &b)
    }
}

/// One write after the creates (see [`Case::changes`]).
fn random_change(rng: &mut Rng, users: &[Spec], groups: usize) -> Value {
    let at = rng.pick(&[
        "2023-01-01T00:00:00Z",
        "2021-03-01T10:00:00.25Z",
        "2021-03-01T11:00:00+01:00",
    ]);
    let u = rng.below(users.len());
    match rng.below(if groups > 0 { 4 } else { 2 }) {
        0 => {
            let mut with = Spec::random_user(rng, users.len());
            // Keep the userName sometimes: a replace that changes
            // everything else.
            if rng.chance(1, 2) {
                if let (Some(obj), Some(name)) =
                    (with.body.as_object_mut(), users[u].body.get("userName"))
                {
                    obj.remove("UserName");
                    obj.insert("userName".into(), name.clone());
                }
            }
            json!({"replace": format!("u{u}"), "with": {"body": with.body, "lastModified": at}})
        }
        1 => json!({"delete": format!("u{u}")}),
        2 => json!({"delete": format!("g{}", rng.below(groups))}),
        _ => {
            let add: Vec<String> = (0..rng.below(3))
                .map(|_| format!("{{u{}}}", rng.below(users.len())))
                .collect();
            let remove: Vec<String> = (0..rng.below(3))
                .map(|_| format!("{{u{}}}", rng.below(users.len())))
                .collect();
            json!({"members": format!("g{}", rng.below(groups)), "add": add, "remove": remove, "lastModified": at})
        }
    }
}

// ---------- running a case ----------

/// One case: resources to store, queries to compare.
struct Case {
    users: Vec<Spec>,
    groups: Vec<Spec>,
    /// Writes after the creates, in order, each a JSON object:
    /// `{"replace": "u1", "with": {"body": …, "lastModified": …}}`,
    /// `{"delete": "g0"}`, or
    /// `{"members": "g0", "add": ["{u1}"], "remove": ["{u0}"], "lastModified": …}`.
    /// They exercise what a store maintains on write (index rows,
    /// memberships, computed `groups`).
    changes: Vec<Value>,
    queries: Vec<QuerySpec>,
}

impl Case {
    fn random(rng: &mut Rng) -> Self {
        let n_users = 1 + rng.below(6);
        let users: Vec<Spec> = (0..n_users).map(|i| Spec::random_user(rng, i)).collect();
        let n_groups = rng.below(4);
        let groups: Vec<Spec> = (0..n_groups)
            .map(|i| Spec::random_group(rng, n_users, i))
            .collect();
        let mut changes = Vec::new();
        if rng.chance(1, 2) {
            for _ in 0..1 + rng.below(3) {
                changes.push(random_change(rng, &users, n_groups));
            }
        }
        let mut refs = Refs::new(&users, &groups);
        for change in &changes {
            if let Some(with) = change.get("with").and_then(|w| w.get("body")) {
                refs.add_strings(with);
            }
        }
        let mut queries = Vec::new();
        for _ in 0..5 {
            queries.push(QuerySpec::random(rng, Kind::User, &refs));
        }
        if n_groups > 0 {
            for _ in 0..2 {
                queries.push(QuerySpec::random(rng, Kind::Group, &refs));
            }
        }
        Self {
            users,
            groups,
            changes,
            queries,
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let list = |key: &str| -> Result<Vec<Value>, String> {
            Ok(v.get(key)
                .map(|l| {
                    l.as_array()
                        .cloned()
                        .ok_or(format!("{key} must be an array"))
                })
                .transpose()?
                .unwrap_or_default())
        };
        Ok(Self {
            users: list("users")?
                .iter()
                .map(Spec::from_json)
                .collect::<Result<_, _>>()?,
            groups: list("groups")?
                .iter()
                .map(Spec::from_json)
                .collect::<Result<_, _>>()?,
            changes: list("changes")?,
            queries: list("queries")?
                .iter()
                .map(QuerySpec::from_json)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The case as a `REGRESSIONS` entry, with only `query`: one line per
    /// resource.
    fn regression(&self, query: &QuerySpec) -> String {
        let list = |items: Vec<Value>| {
            let lines: Vec<String> = items.iter().map(|v| format!("    {v}")).collect();
            if lines.is_empty() {
                "[]".to_owned()
            } else {
                format!("[\n{}\n  ]", lines.join(",\n"))
            }
        };
        format!(
            "{{\n  \"users\": {},\n  \"groups\": {},\n  \"changes\": {},\n  \"queries\": [\n    {}\n  ]\n}}",
            list(self.users.iter().map(Spec::to_json).collect()),
            list(self.groups.iter().map(Spec::to_json).collect()),
            list(self.changes.clone()),
            query.to_json()
        )
    }

    /// Stores the case in a fresh tenant and compares every query.
    /// Runs the case; returns how many resources it stored.
    async fn run(&self, cx: &Check<'_>, label: &str, origin: &str) -> usize {
        let t = cx.tenant(label);
        let mut stored = Stored {
            tenant: t,
            placeholders: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
        };
        let mut user_ids = Vec::new();
        for (i, spec) in self.users.iter().enumerate() {
            let id = stored.create(cx, &cx.users, spec, &format!("u{i}")).await;
            user_ids.push(id);
        }
        let mut group_ids = Vec::new();
        for (i, spec) in self.groups.iter().enumerate() {
            let id = stored.create(cx, &cx.groups, spec, &format!("g{i}")).await;
            group_ids.push(id);
        }
        for change in &self.changes {
            stored.apply(cx, change, &user_ids, &group_ids).await;
        }
        for id in user_ids.iter().flatten() {
            if let Some(got) = cx.get(&stored.tenant, &cx.users, id).await {
                stored.users.push(got);
            }
        }
        for id in group_ids.iter().flatten() {
            if let Some(got) = cx.get(&stored.tenant, &cx.groups, id).await {
                stored.groups.push(got);
            }
        }
        for query in &self.queries {
            if let Err(problem) = stored.agree(cx, query).await {
                let problem = stored.hide_ids(&problem);
                let mut message = format!(
                    "{origin}: {} query {}: {problem}\n",
                    query.kind.name(),
                    query.to_json()
                );
                let _ = write!(
                    message,
                    "the resources as get returns them:\n{}\n",
                    stored.shown(query.kind)
                );
                let _ = write!(
                    message,
                    "as a REGRESSIONS entry (scim-core/src/store/conformance/differential.rs):\n{}",
                    self.regression(query)
                );
                cx.fail(message);
            }
        }
        stored.users.len() + stored.groups.len()
    }
}

/// A case as stored.
struct Stored {
    tenant: TenantId,
    /// `{u0}`, `{U0}`… and the ids (upper-cased for `{U0}`).
    placeholders: Vec<(String, String)>,
    /// As `get` returns them.
    users: Vec<Resource>,
    groups: Vec<Resource>,
}

impl Stored {
    fn expand(&self, text: &str) -> String {
        self.placeholders
            .iter()
            .fold(text.to_owned(), |acc, (key, value)| acc.replace(key, value))
    }

    fn expand_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.expand(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.expand_json(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.expand_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The body with placeholders expanded, and references to resources
    /// that were not stored (members, manager) left out.
    fn body(&self, spec: &Spec) -> Value {
        let mut body = self.expand_json(&spec.body);
        let unresolved = |v: &Value| {
            v.get("value")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with('{'))
        };
        if let Some(members) = body.get_mut("members").and_then(Value::as_array_mut) {
            members.retain(|m| !unresolved(m));
        }
        if let Some(obj) = body.as_object_mut() {
            for (key, ext) in obj.iter_mut() {
                if key.eq_ignore_ascii_case(ENTERPRISE) {
                    if let Some(ext) = ext.as_object_mut() {
                        if ext.get("manager").is_some_and(unresolved) {
                            ext.remove("manager");
                        }
                    }
                }
            }
        }
        body
    }

    /// Creates one resource; its id becomes `{key}`. When it collides with
    /// an earlier one (`userName` variants differing only in case), its
    /// unique attributes get the suffix `.key` and it is tried once more.
    /// A resource the schema refuses, or that still collides, is skipped:
    /// `None`, and references to it are left out of later bodies.
    async fn create(
        &mut self,
        cx: &Check<'_>,
        schema: &ResourceSchema,
        spec: &Spec,
        key: &str,
    ) -> Option<ResourceId> {
        let mut body = self.body(spec);
        for attempt in 0..2 {
            if attempt == 1 {
                let obj = body.as_object_mut()?;
                for (name, value) in obj.iter_mut() {
                    let unique = ["userName", "displayName", "externalId"]
                        .iter()
                        .any(|u| u.eq_ignore_ascii_case(name));
                    if let (true, Some(text)) = (unique, value.as_str()) {
                        *value = json!(format!("{text}.{key}"));
                    }
                }
            }
            let prepared = prepare_create(
                schema,
                super::with_schemas(schema, body.clone()),
                &mut Context::new(Policy::entra_id()),
            )
            .ok()?;
            let id = ResourceId::generate();
            let mut meta = Meta::new(
                schema.name(),
                time_at(&spec.created),
                Version::from_revision(1),
            );
            meta.last_modified = time_at(&spec.last_modified);
            let resource = Resource::new(id.clone(), prepared, &meta);
            match cx.store.create(&self.tenant, schema, resource).await {
                Ok(_) => {
                    self.placeholders
                        .push((format!("{{{key}}}"), id.to_string()));
                    self.placeholders.push((
                        format!("{{{}}}", key.to_uppercase()),
                        id.to_string().to_uppercase(),
                    ));
                    return Some(id);
                }
                Err(StoreError::Conflict(_)) => {}
                Err(e) => cx.fail(format_args!(
                    "creating {} {key} in tenant {}: {e:?}",
                    schema.name(),
                    self.tenant
                )),
            }
        }
        None
    }

    /// Applies one change; a change naming a resource that was not stored
    /// or is gone, or that collides with another resource, is skipped.
    async fn apply(
        &self,
        cx: &Check<'_>,
        change: &Value,
        users: &[Option<ResourceId>],
        groups: &[Option<ResourceId>],
    ) {
        let target = |key: &str| -> Option<(&ResourceSchema, ResourceId)> {
            let name = change.get(key)?.as_str()?;
            let (schema, list) = match name.as_bytes().first()? {
                b'u' => (&*cx.users, users),
                b'g' => (&*cx.groups, groups),
                _ => return None,
            };
            let id = list.get(name[1..].parse::<usize>().ok()?)?.clone()?;
            Some((schema, id))
        };
        let at = |c: &Value| {
            time_at(
                c.get("lastModified")
                    .and_then(Value::as_str)
                    .unwrap_or(super::CREATED),
            )
        };
        let t = &self.tenant;
        if let Some((schema, id)) = target("replace") {
            let Some(old) = cx.get(t, schema, &id).await else {
                return;
            };
            let with = change.get("with").cloned().unwrap_or_default();
            let body = self.body(&Spec {
                body: with.get("body").cloned().unwrap_or_default(),
                created: String::new(),
                last_modified: String::new(),
            });
            let Ok(prepared) = prepare_create(
                schema,
                super::with_schemas(schema, body),
                &mut Context::new(Policy::entra_id()),
            ) else {
                return;
            };
            let created = old.meta().map_or(time_at(super::CREATED), |m| m.created);
            let mut meta = Meta::new(schema.name(), created, old.version().clone());
            meta.last_modified = at(&with);
            let resource = Resource::new(id.clone(), prepared, &meta);
            match cx.store.replace(t, schema, resource, old.version()).await {
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => cx.fail(format_args!("replacing {change} in tenant {t}: {e:?}")),
            }
        } else if let Some((schema, id)) = target("delete") {
            match cx.store.delete(t, schema, &id, None).await {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => cx.fail(format_args!("{change} in tenant {t}: {e:?}")),
            }
        } else if let Some((schema, id)) = target("members") {
            let ids = |key: &str| -> Vec<String> {
                change
                    .get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|v| self.expand(v))
                    .filter(|v| !v.starts_with('{'))
                    .collect()
            };
            let delta = crate::store::MemberDelta {
                add: ids("add").iter().map(|v| json!({"value": v})).collect(),
                remove: ids("remove"),
                remove_all: false,
            };
            match cx
                .store
                .modify_members(t, schema, &id, &delta, None, at(change))
                .await
            {
                Ok(_) | Err(StoreError::NotFound | StoreError::InvalidReference(_)) => {}
                Err(e) => cx.fail(format_args!("{change} in tenant {t}: {e:?}")),
            }
        }
    }

    /// The stored resources of `kind`, ids replaced by placeholders.
    fn shown(&self, kind: Kind) -> String {
        let list = match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        };
        let mut out = String::new();
        for r in list {
            out.push_str(&self.hide_ids(&Value::Object(r.json().clone()).to_string()));
            out.push('\n');
        }
        out
    }

    /// `text` with the stored ids replaced by their placeholders.
    fn hide_ids(&self, text: &str) -> String {
        self.placeholders
            .iter()
            .fold(text.to_owned(), |acc, (key, value)| {
                acc.replace(value.as_str(), key)
            })
    }

    /// Runs the query both ways; `Err` says how they differ.
    async fn agree(&self, cx: &Check<'_>, spec: &QuerySpec) -> Result<(), String> {
        let (schema, snapshot) = match spec.kind {
            Kind::User => (&*cx.users, &self.users),
            Kind::Group => (&*cx.groups, &self.groups),
        };
        let page = match spec.start_index {
            Some(start_index) => Page::Index {
                start_index,
                count: spec.count,
            },
            None => Page::Cursor {
                cursor: None,
                count: spec.count,
            },
        };
        let mut q = ListQuery::new(page);
        if let Some(text) = &spec.filter {
            let text = self.expand(text);
            match text.parse() {
                Ok(filter) => q.filter = Some(filter),
                // Not a filter of this grammar: nothing to compare.
                Err(_) => return Ok(()),
            }
        }
        if let Some(by) = &spec.sort_by {
            let order = if spec.descending {
                SortOrder::Descending
            } else {
                SortOrder::Ascending
            };
            // An unsortable attribute is refused before any store is asked.
            let sort = by
                .parse()
                .ok()
                .and_then(|by| Sort::new(schema, by, order).ok());
            q.sort = sort;
        }
        let attributes = spec.attributes.as_deref();
        let excluded = spec.excluded.as_deref();
        // Both lists are never generated; a refused projection is refused
        // before any store is asked.
        q.projection = Projection::parse(schema, attributes, excluded).unwrap_or_default();
        let expected = evaluate(schema, snapshot, &q);
        let actual = cx.store.query(&self.tenant, schema, &q).await;
        compare(
            schema,
            &q.projection,
            expected,
            actual,
            spec.start_index.is_none(),
        )
    }
}

/// Compares the evaluator's answer with the store's.
/// With a projection, the store may leave out what it excludes, so the
/// JSON is compared after applying it to both.
fn compare(
    schema: &ResourceSchema,
    projection: &Projection,
    expected: Result<QueryResult, crate::Error>,
    actual: Result<QueryResult, StoreError>,
    cursor: bool,
) -> Result<(), String> {
    let ids = |r: &QueryResult| {
        r.resources
            .iter()
            .map(|r| r.id().to_string())
            .collect::<Vec<_>>()
    };
    match (expected, actual) {
        (Ok(expected), Ok(actual)) => {
            if ids(&actual) != ids(&expected) {
                return Err(format!(
                    "the ids (in order)\n   store: {:?}\nevaluate: {:?}",
                    ids(&actual),
                    ids(&expected)
                ));
            }
            if actual.total_results != expected.total_results {
                return Err(format!(
                    "totalResults\n   store: {}\nevaluate: {}",
                    actual.total_results, expected.total_results
                ));
            }
            if cursor && actual.next_cursor.is_some() != expected.next_cursor.is_some() {
                return Err(format!(
                    "whether there is a next cursor\n   store: {:?}\nevaluate: {:?}",
                    actual.next_cursor, expected.next_cursor
                ));
            }
            let shown = |r: &Resource| {
                let mut json = r.json().clone();
                if *projection != Projection::all() {
                    projection.apply(schema, &mut json);
                }
                Value::Object(json)
            };
            for (a, e) in actual.resources.iter().zip(&expected.resources) {
                let (a_json, e_json) = (shown(a), shown(e));
                if a_json != e_json {
                    return Err(format!(
                        "{} must be returned as get returns it (projected)\n   store: {a_json}\n     get: {e_json}",
                        a.id(),
                    ));
                }
            }
            Ok(())
        }
        (Err(expected), Err(StoreError::InvalidQuery(actual))) => {
            if (expected.status(), expected.scim_type())
                == (http::StatusCode::BAD_REQUEST, Some(actual.scim_type()))
            {
                Ok(())
            } else {
                Err(format!(
                    "both refuse the query, differently\n   store: {actual:?}\nevaluate: {expected:?}"
                ))
            }
        }
        (Ok(expected), Err(StoreError::InvalidQuery(e)))
            if e.scim_type() == crate::error::ScimType::TooMany =>
        {
            Err(format!(
                "the store refuses with tooMany ({e}) in a tenant of a few resources, where evaluate answers {:?}",
                ids(&expected)
            ))
        }
        (Ok(expected), Err(e)) => Err(format!(
            "the store fails ({e:?}) where evaluate answers {:?}",
            ids(&expected)
        )),
        (Err(e), Ok(actual)) => Err(format!(
            "the store answers {:?} where evaluate refuses the query ({e:?})",
            ids(&actual)
        )),
        (Err(expected), Err(e)) => Err(format!(
            "the store fails ({e:?}) where evaluate refuses the query as invalid ({expected:?})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_its_filters_parse() {
        let mut unparsed = Vec::new();
        for seed in 0..300 {
            let a = Case::random(&mut Rng::new(seed));
            let b = Case::random(&mut Rng::new(seed));
            assert_eq!(a.regression(&a.queries[0]), b.regression(&b.queries[0]));
            for q in &a.queries {
                if let Some(f) = &q.filter {
                    let f = f
                        .replace("{u", "x")
                        .replace("{U", "X")
                        .replace("{g", "y")
                        .replace("{G", "Y");
                    if f.parse::<crate::filter::Filter>().is_err() {
                        unparsed.push(f);
                    }
                }
            }
        }
        assert!(unparsed.is_empty(), "{unparsed:#?}");
    }

    #[test]
    fn a_printed_regression_parses_back_to_the_same_case() {
        let case = Case::random(&mut Rng::new(7));
        for q in &case.queries {
            let text = case.regression(q);
            let back = Case::parse(&text).unwrap();
            assert_eq!(back.regression(&back.queries[0]), text);
        }
        for text in REGRESSIONS {
            Case::parse(text).unwrap();
        }
    }

    #[test]
    fn numbers_from_the_environment_are_decimal_or_hex() {
        assert_eq!(parse_number("5000"), Some(5000));
        assert_eq!(parse_number(" 0x5c1d_0001 "), Some(0x5c1d_0001));
        assert_eq!(parse_number("1_000"), Some(1000));
        assert_eq!(parse_number("many"), None);
        assert_eq!(env_number("SCIM_DIFFERENTIAL_TEST_UNSET_VARIABLE"), None);
    }
}
