//! The simulated directory: hosts and host groups generated from a seed,
//! and the request bodies Entra ID sends for them: the Sign In Enterprise
//! gallery app's attribute mapping, in both of Entra's PATCH dialects.
//!
//! Everything here is pure: the same [`WorkloadSpec`] always yields the
//! same [`Workload`], so `update` and `steady` run on their own find the
//! hosts an earlier `initial` created.

use std::fmt;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

/// The core User schema.
pub(crate) const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension.
pub(crate) const ENTERPRISE_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema.
pub(crate) const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Microsoft's own group schema URI, which Entra puts next to the core one.
pub(crate) const ADSCIM_GROUP_SCHEMA: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
/// The PatchOp message schema.
pub(crate) const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Streams derived from the seed, one per purpose, so that adding a draw to
/// one purpose does not shift the others.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stream {
    /// Host attributes and group membership.
    Directory = 1,
    /// Which hosts the update phase touches and how.
    Update = 2,
    /// The steady phase's lookups (one stream per worker, offset by it).
    Steady = 3,
    /// The random-GUID probes Entra sends at the start of a cycle.
    Probe = 4,
}

/// A reproducible random generator for `seed` and `stream`.
pub(crate) fn rng(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((stream as u64) << 32) | index);
    rng
}

/// Which PATCH and boolean dialect the simulated Entra job speaks.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Dialect {
    /// The default `scim` job: PascalCase ops, one op per attribute,
    /// booleans as the strings `"True"`/`"False"`.
    Legacy,
    /// `aadOptscim062020`: lower-case ops, JSON booleans, single-valued
    /// changes folded into one path-less `replace`.
    Flag,
}

impl Dialect {
    fn op(self, op: &'static str) -> &'static str {
        match (self, op) {
            (Self::Legacy, "add") => "Add",
            (Self::Legacy, "replace") => "Replace",
            (Self::Legacy, "remove") => "Remove",
            (_, other) => other,
        }
    }

    fn boolean(self, value: bool) -> Value {
        match (self, value) {
            (Self::Legacy, true) => Value::from("True"),
            (Self::Legacy, false) => Value::from("False"),
            (Self::Flag, b) => Value::Bool(b),
        }
    }
}

/// `--dialect`: one dialect for every request, or both mixed per host, as a
/// tenant whose on-demand runs ignore the flag sends them.
#[derive(Clone, Copy, Debug, Eq, PartialEq, clap::ValueEnum)]
pub(crate) enum DialectChoice {
    /// Every request in the legacy dialect.
    Legacy,
    /// Every request in the `aadOptscim062020` dialect.
    Flag,
    /// Each host and group picks one at random (seeded).
    Mixed,
}

/// The size and shape of the simulated directory.
#[derive(Clone, Debug)]
pub(crate) struct WorkloadSpec {
    /// Number of hosts (users).
    pub(crate) hosts: usize,
    /// Number of host groups.
    pub(crate) groups: usize,
    /// Average members per group.
    pub(crate) members_per_group: usize,
    /// Size of the largest group, if one group should stand out.
    pub(crate) largest_group: Option<usize>,
    /// PATCH dialect.
    pub(crate) dialect: DialectChoice,
    /// The seed.
    pub(crate) seed: u64,
}

/// A spec that cannot be generated.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct SpecError(String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

/// One host, carrying every attribute of the Sign In Enterprise user
/// mapping (only `userName` is required to match; all are sent).
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct Host {
    /// `userName` (matching attribute; `userPrincipalName`).
    pub(crate) user_name: String,
    /// `name.givenName`.
    pub(crate) given_name: String,
    /// `name.familyName`.
    pub(crate) family_name: String,
    /// `emails[type eq "work"].value` (`mail`).
    pub(crate) work_email: String,
    /// `emails[type eq "other"].value` (first of `otherMails`).
    pub(crate) other_email: String,
    /// `phoneNumbers[type eq "work"].value`.
    pub(crate) work_phone: String,
    /// `phoneNumbers[type eq "mobile"].value`.
    pub(crate) mobile_phone: String,
    /// Enterprise `organization` (`companyName`).
    pub(crate) organization: String,
    /// Enterprise `department`.
    pub(crate) department: String,
    /// `active` at creation.
    pub(crate) active: bool,
    /// The dialect this host's requests use.
    pub(crate) dialect: Dialect,
}

/// One host group.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct HostGroup {
    /// `displayName` (matching attribute).
    pub(crate) display_name: String,
    /// Indexes into [`Workload::hosts`], without duplicates.
    pub(crate) members: Vec<usize>,
    /// The dialect of this group's member PATCHes.
    pub(crate) dialect: Dialect,
}

/// The generated directory.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct Workload {
    /// All hosts.
    pub(crate) hosts: Vec<Host>,
    /// All groups.
    pub(crate) groups: Vec<HostGroup>,
}

/// Size limits that keep the generated directory within memory.
const MAX_HOSTS: usize = 10_000_000;
const MAX_GROUPS: usize = 1_000_000;
const MAX_MEMBERSHIPS: usize = 100_000_000;

const GIVEN: &[&str] = &[
    "Amelia",
    "Rafael",
    "Noor",
    "Kenji",
    "Ingrid",
    "Tomás",
    "Aisha",
    "Lukas",
    "Mei",
    "Oluwaseun",
    "Priya",
    "Mateo",
    "Freya",
    "Dmitri",
    "Chiara",
    "Kwame",
    "Sofia",
    "Henrik",
    "Yara",
    "Elif",
    "Jonas",
    "Zanele",
    "Hugo",
    "Ana",
    "Ravi",
    "Léa",
    "Björn",
    "Imani",
    "Pedro",
    "Saoirse",
];
const FAMILY: &[&str] = &[
    "Hart",
    "Okafor",
    "Haddad",
    "Tanaka",
    "Lindqvist",
    "Álvarez",
    "Rahman",
    "Becker",
    "Chen",
    "Adeyemi",
    "Iyer",
    "Fernández",
    "Nielsen",
    "Volkov",
    "Romano",
    "Mensah",
    "Costa",
    "Berg",
    "Nasser",
    "Yılmaz",
    "Schmidt",
    "Dlamini",
    "Laurent",
    "Silva",
    "Kapoor",
    "Moreau",
    "Eriksson",
    "Otieno",
    "Santos",
    "O'Brien",
];
const DEPARTMENTS: &[&str] = &[
    "Front Desk",
    "Visitor Services",
    "Facilities",
    "Security",
    "Reception",
    "Operations",
    "Finance",
    "Engineering",
    "People & Culture",
    "Legal",
];
const ORGANIZATIONS: &[&str] = &[
    "Northwind Traders",
    "Contoso Ltd",
    "Fabrikam Inc",
    "Tailspin Toys",
    "Wide World Importers",
];
const GROUP_KINDS: &[&str] = &[
    "Reception Hosts",
    "Lobby Hosts",
    "Site Hosts",
    "Floor Hosts",
    "Event Hosts",
    "Delivery Contacts",
];

impl Workload {
    /// Generates the directory for `spec`.
    ///
    /// # Errors
    ///
    /// When the group sizes cannot fit: more members per group, or a larger
    /// largest group, than there are hosts, or a largest group smaller than
    /// the average; or when the directory is beyond the supported size.
    pub(crate) fn generate(spec: &WorkloadSpec) -> Result<Self, SpecError> {
        if spec.hosts > MAX_HOSTS || spec.groups > MAX_GROUPS {
            return Err(SpecError(format!(
                "at most {MAX_HOSTS} hosts and {MAX_GROUPS} groups are supported"
            )));
        }
        if spec
            .members_per_group
            .checked_mul(spec.groups)
            .is_none_or(|total| total > MAX_MEMBERSHIPS)
        {
            return Err(SpecError(format!(
                "--groups × --members-per-group exceeds {MAX_MEMBERSHIPS} memberships"
            )));
        }
        if spec.groups > 0 && spec.members_per_group > spec.hosts {
            return Err(SpecError(format!(
                "--members-per-group {} exceeds --hosts {}",
                spec.members_per_group, spec.hosts
            )));
        }
        if let Some(largest) = spec.largest_group {
            if largest > spec.hosts {
                return Err(SpecError(format!(
                    "--largest-group {largest} exceeds --hosts {}",
                    spec.hosts
                )));
            }
            if largest < spec.members_per_group {
                return Err(SpecError(format!(
                    "--largest-group {largest} is smaller than --members-per-group {}",
                    spec.members_per_group
                )));
            }
        }
        let mut rng = rng(spec.seed, Stream::Directory, 0);
        let domain = format!("s{}.northwind.example", spec.seed);
        let hosts = (0..spec.hosts)
            .map(|i| generate_host(&mut rng, i, &domain, spec.dialect))
            .collect();
        let sizes = group_sizes(&mut rng, spec);
        let groups = sizes
            .into_iter()
            .enumerate()
            .map(|(g, size)| {
                let kind = GROUP_KINDS.choose(&mut rng).copied().unwrap_or("Hosts");
                let mut members = rand::seq::index::sample(&mut rng, spec.hosts, size).into_vec();
                members.sort_unstable();
                HostGroup {
                    display_name: format!("{kind} {:04} s{}", g + 1, spec.seed),
                    members,
                    dialect: pick_dialect(&mut rng, spec.dialect),
                }
            })
            .collect();
        Ok(Self { hosts, groups })
    }

    /// The number of (group, member) pairs.
    pub(crate) fn memberships(&self) -> usize {
        self.groups.iter().map(|g| g.members.len()).sum()
    }
}

/// Draws the coin whatever `choice` is, so that the directory (names,
/// attributes, memberships) does not depend on `--dialect`.
fn pick_dialect(rng: &mut ChaCha8Rng, choice: DialectChoice) -> Dialect {
    let coin = rng.random_bool(0.5);
    match choice {
        DialectChoice::Legacy => Dialect::Legacy,
        DialectChoice::Flag => Dialect::Flag,
        DialectChoice::Mixed if coin => Dialect::Legacy,
        DialectChoice::Mixed => Dialect::Flag,
    }
}

fn generate_host(rng: &mut ChaCha8Rng, index: usize, domain: &str, dialect: DialectChoice) -> Host {
    let given = GIVEN.choose(rng).copied().unwrap_or("Alex");
    let family = FAMILY.choose(rng).copied().unwrap_or("Host");
    let local = format!(
        "{}.{}.{index}",
        ascii_local_part(given),
        ascii_local_part(family)
    );
    let user_name = format!("{local}@{domain}");
    Host {
        work_email: user_name.clone(),
        other_email: format!("{local}@home.example"),
        user_name,
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        work_phone: phone(rng),
        mobile_phone: phone(rng),
        organization: ORGANIZATIONS
            .choose(rng)
            .copied()
            .unwrap_or("Northwind Traders")
            .to_owned(),
        department: DEPARTMENTS
            .choose(rng)
            .copied()
            .unwrap_or("Reception")
            .to_owned(),
        active: true,
        dialect: pick_dialect(rng, dialect),
    }
}

/// A phone number in the format people type, which the server must keep
/// verbatim (Entra compares what it reads back with what it sent).
pub(crate) fn phone(rng: &mut ChaCha8Rng) -> String {
    format!(
        "+1 {} 555 {:04}",
        rng.random_range(201..=989),
        rng.random_range(100..=9999)
    )
}

/// Lower-case ASCII letters of a name, for the local part of an address
/// (UPNs are ASCII; the display names keep their accents).
fn ascii_local_part(name: &str) -> String {
    let mut out: String = name
        .chars()
        .filter_map(|c| match c {
            'á' | 'Á' => Some('a'),
            'é' | 'É' => Some('e'),
            'í' | 'ı' => Some('i'),
            'ö' | 'ó' => Some('o'),
            'ú' => Some('u'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// Group sizes averaging `members_per_group`, the first one
/// `largest_group` when given.
fn group_sizes(rng: &mut ChaCha8Rng, spec: &WorkloadSpec) -> Vec<usize> {
    let g = spec.groups;
    if g == 0 {
        return Vec::new();
    }
    let total = spec.members_per_group * g;
    let mut sizes = Vec::with_capacity(g);
    let rest_total = match spec.largest_group {
        Some(largest) => {
            sizes.push(largest);
            total.saturating_sub(largest)
        }
        None => total,
    };
    let rest = g - sizes.len();
    if rest == 0 {
        return sizes;
    }
    // Spread the remaining members around their mean (±50 %), then fix the
    // rounding so the average is exact when it can be.
    let mean = rest_total as f64 / rest as f64;
    let cap = spec.largest_group.unwrap_or(spec.hosts).min(spec.hosts);
    let mut drawn: Vec<usize> = (0..rest)
        .map(|_| {
            let f: f64 = rng.random_range(0.5..1.5);
            ((mean * f).round() as usize).min(cap)
        })
        .collect();
    let mut sum: usize = drawn.iter().sum();
    let mut i = 0;
    let mut stalled = 0;
    while sum != rest_total && stalled < rest {
        let slot = &mut drawn[i % rest];
        if sum < rest_total && *slot < cap {
            *slot += 1;
            sum += 1;
            stalled = 0;
        } else if sum > rest_total && *slot > 0 {
            *slot -= 1;
            sum -= 1;
            stalled = 0;
        } else {
            stalled += 1;
        }
        i += 1;
    }
    sizes.extend(drawn);
    sizes
}

/// The query string of a `filter=ATTR eq "VALUE"` lookup, form-encoded as
/// Entra sends it (`+` for space, `%22` for quotes).
pub(crate) fn eq_filter_query(attribute: &str, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", &format!("{attribute} eq \"{escaped}\""))
        .finish()
}

impl Host {
    /// `GET /Users?filter=userName eq "…"`: the match before a create.
    pub(crate) fn lookup_path(&self) -> String {
        format!("/Users?{}", eq_filter_query("userName", &self.user_name))
    }

    /// The `POST /Users` body, shaped like Entra's.
    pub(crate) fn create_body(&self) -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "userName": self.user_name,
            "active": self.dialect.boolean(self.active),
            "emails": [
                {"primary": true, "type": "work", "value": self.work_email},
                {"type": "other", "value": self.other_email}
            ],
            "meta": {"resourceType": "User"},
            "name": {"familyName": self.family_name, "givenName": self.given_name},
            "phoneNumbers": [
                {"type": "work", "value": self.work_phone},
                {"type": "mobile", "value": self.mobile_phone}
            ],
            ENTERPRISE_SCHEMA: {
                "department": self.department,
                "organization": self.organization
            }
        })
    }
}

/// The attribute changes of one update.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct HostChange {
    /// New department.
    pub(crate) department: String,
    /// New work phone.
    pub(crate) work_phone: String,
    /// New other email.
    pub(crate) other_email: String,
    /// New family name.
    pub(crate) family_name: String,
}

impl HostChange {
    /// The PATCH body in `dialect`: the legacy job sends one op per
    /// attribute, the flag folds single-valued ones into a path-less
    /// replace with flattened keys; both use `Add` on the other email,
    /// which Entra sends whether or not it exists.
    pub(crate) fn patch_body(&self, dialect: Dialect) -> Value {
        let department_path = format!("{ENTERPRISE_SCHEMA}:department");
        let phone_op = json!({
            "op": dialect.op("replace"),
            "path": "phoneNumbers[type eq \"work\"].value",
            "value": self.work_phone
        });
        let email_op = json!({
            "op": dialect.op("add"),
            "path": "emails[type eq \"other\"].value",
            "value": self.other_email
        });
        let operations = match dialect {
            Dialect::Legacy => vec![
                json!({"op": "Replace", "path": department_path, "value": self.department}),
                phone_op,
                email_op,
                json!({"op": "Replace", "path": "name.familyName", "value": self.family_name}),
            ],
            Dialect::Flag => {
                let mut folded = Map::new();
                folded.insert(
                    "name.familyName".to_owned(),
                    self.family_name.clone().into(),
                );
                folded.insert(department_path, self.department.clone().into());
                vec![
                    phone_op,
                    email_op,
                    json!({"op": "replace", "value": folded}),
                ]
            }
        };
        patch(operations)
    }
}

/// What the update phase does, derived from the seed: a fraction of the
/// hosts is read by id and patched; a quarter of those are deactivated
/// instead (Entra's soft delete), and every other deactivated host is then
/// reactivated.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct UpdatePlan {
    /// Attribute changes by host index.
    pub(crate) changes: Vec<(usize, HostChange)>,
    /// Hosts set `active: false`.
    pub(crate) deactivate: Vec<usize>,
    /// Hosts of `deactivate` set `active: true` again afterwards.
    pub(crate) reactivate: Vec<usize>,
}

impl UpdatePlan {
    /// The plan for `fraction` (0–1) of `workload`'s hosts.
    pub(crate) fn new(workload: &Workload, seed: u64, fraction: f64) -> Self {
        let mut rng = rng(seed, Stream::Update, 0);
        let n = workload.hosts.len();
        let count = ((n as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
        let mut picked = rand::seq::index::sample(&mut rng, n, count.min(n)).into_vec();
        picked.sort_unstable();
        let mut plan = Self {
            changes: Vec::new(),
            deactivate: Vec::new(),
            reactivate: Vec::new(),
        };
        for i in picked {
            if rng.random_bool(0.25) {
                plan.deactivate.push(i);
            } else {
                let family = FAMILY.choose(&mut rng).copied().unwrap_or("Host");
                let base = workload.hosts.get(i).map_or("", |h| h.family_name.as_str());
                plan.changes.push((
                    i,
                    HostChange {
                        department: DEPARTMENTS
                            .choose(&mut rng)
                            .copied()
                            .unwrap_or("Security")
                            .to_owned(),
                        work_phone: phone(&mut rng),
                        other_email: format!("host{i}.{}@home.example", rng.random_range(0..1000)),
                        family_name: format!("{base}-{family}"),
                    },
                ));
            }
        }
        plan.reactivate = plan.deactivate.iter().copied().step_by(2).collect();
        plan
    }

    /// Hosts left inactive when the plan has run.
    pub(crate) fn inactive_after(&self) -> usize {
        self.deactivate.len() - self.reactivate.len()
    }
}

/// `{"op":"Replace","path":"active","value":…}`: soft delete and
/// reactivation.
pub(crate) fn active_patch(active: bool, dialect: Dialect) -> Value {
    patch(vec![json!({
        "op": dialect.op("replace"),
        "path": "active",
        "value": dialect.boolean(active)
    })])
}

/// The member-add PATCH for these user ids (`$ref` null, as Entra sends).
pub(crate) fn member_add_patch<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    dialect: Dialect,
) -> Value {
    let value: Vec<Value> = ids
        .into_iter()
        .map(|id| json!({"$ref": null, "value": id}))
        .collect();
    patch(vec![json!({
        "op": dialect.op("add"),
        "path": "members",
        "value": value
    })])
}

/// The PATCH that removes one member, as Entra sends it when a host leaves
/// a group: `{"op":"Remove","path":"members","value":[{"value":id}]}`.
pub(crate) fn member_remove_patch(id: &str, dialect: Dialect) -> Value {
    patch(vec![json!({
        "op": dialect.op("remove"),
        "path": "members",
        "value": [{"value": id}]
    })])
}

fn patch(operations: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": operations})
}

impl HostGroup {
    /// `GET /Groups?excludedAttributes=members&filter=displayName eq "…"`.
    pub(crate) fn lookup_path(&self) -> String {
        format!(
            "/Groups?excludedAttributes=members&{}",
            eq_filter_query("displayName", &self.display_name)
        )
    }

    /// The `POST /Groups` body: no members, Microsoft's extra schema URI.
    pub(crate) fn create_body(&self) -> Value {
        json!({
            "schemas": [GROUP_SCHEMA, ADSCIM_GROUP_SCHEMA],
            "displayName": self.display_name,
            "meta": {"resourceType": "Group"}
        })
    }
}

/// A random GUID in its canonical text form, as Entra's Test Connection
/// and start-of-cycle probes use.
pub(crate) fn guid(rng: &mut ChaCha8Rng) -> String {
    let a: u128 = rng.random();
    let s = format!("{a:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &s[0..8],
        &s[8..12],
        &s[13..16],
        &s[17..20],
        &s[20..32]
    )
}

#[cfg(test)]
mod tests;
