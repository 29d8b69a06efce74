//! Random queries: filters over every operator and path kind, sorts,
//! pages and projections.

use serde_json::{Map, Value, json};

use super::resources::{DATE_LITERALS, FRAGMENTS, Spec, TEXTS, TYPES};
use super::rng::Rng;

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
pub(super) enum Kind {
    User,
    Group,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }
}

/// One query, in the terms a client uses.
#[derive(Clone, Debug)]
pub(super) struct QuerySpec {
    pub(super) kind: Kind,
    /// With `{uN}`/`{gN}` placeholders.
    pub(super) filter: Option<String>,
    pub(super) sort_by: Option<String>,
    pub(super) descending: bool,
    /// Index paging; `None` is the first cursor page.
    pub(super) start_index: Option<u64>,
    pub(super) count: u64,
    /// `attributes`.
    pub(super) attributes: Option<String>,
    /// `excludedAttributes`.
    pub(super) excluded: Option<String>,
}

impl QuerySpec {
    pub(super) fn random(rng: &mut Rng, kind: Kind, refs: &Refs) -> Self {
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

    pub(super) fn to_json(&self) -> Value {
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

    pub(super) fn from_json(v: &Value) -> Result<Self, String> {
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
pub(super) struct Refs {
    pub(super) users: usize,
    pub(super) groups: usize,
    strings: Vec<String>,
}

impl Refs {
    pub(super) fn new(users: &[Spec], groups: &[Spec]) -> Self {
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

    pub(super) fn add_strings(&mut self, body: &Value) {
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

pub(super) fn filter(rng: &mut Rng, kind: Kind, refs: &Refs, depth: u32) -> String {
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
pub(super) fn random_change(rng: &mut Rng, users: &[Spec], groups: usize) -> Value {
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
