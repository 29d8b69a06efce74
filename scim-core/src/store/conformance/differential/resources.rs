//! Random resources: the values a case stores, with case variants,
//! folding traps and date-times with offsets.

use serde_json::{Map, Value, json};

use super::rng::Rng;
use crate::store::conformance::ENTERPRISE;

/// Strings with case variants, non-ASCII folding traps and SQL `LIKE`
/// wildcards.
pub(super) const TEXTS: &[&str] = &[
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
pub(super) const FRAGMENTS: &[&str] = &[
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
pub(super) const DATE_LITERALS: &[&str] = &[
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

pub(super) const TYPES: &[&str] = &["work", "Work", "WORK", "home", "other", "mobile"];

pub(super) fn text(rng: &mut Rng) -> Value {
    json!(rng.pick(TEXTS))
}

pub(super) fn date(rng: &mut Rng) -> String {
    rng.pick(DATES).to_owned()
}

pub(super) fn number(rng: &mut Rng) -> Value {
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

pub(super) fn phone(rng: &mut Rng) -> Value {
    json!(rng.pick(&["+1 555 0100", "+1 555 0101", "555-0100", "tel:+1-555-0100"]))
}

/// A resource to create: its request body and its times.
#[derive(Clone, Debug)]
pub(super) struct Spec {
    pub(super) body: Value,
    pub(super) created: String,
    pub(super) last_modified: String,
}

impl Spec {
    pub(super) fn random_user(rng: &mut Rng, users_so_far: usize) -> Self {
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

    pub(super) fn random_group(rng: &mut Rng, users: usize, groups_so_far: usize) -> Self {
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

    pub(super) fn to_json(&self) -> Value {
        json!({"body": self.body, "created": self.created, "lastModified": self.last_modified})
    }

    pub(super) fn from_json(v: &Value) -> Result<Self, String> {
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
