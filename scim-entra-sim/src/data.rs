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
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn spec() -> WorkloadSpec {
        WorkloadSpec {
            hosts: 200,
            groups: 7,
            members_per_group: 20,
            largest_group: Some(120),
            dialect: DialectChoice::Mixed,
            seed: 42,
        }
    }

    #[test]
    fn same_seed_same_workload_other_seed_other_workload() {
        let a = Workload::generate(&spec()).unwrap();
        let b = Workload::generate(&spec()).unwrap();
        assert_eq!(a, b);
        let c = Workload::generate(&WorkloadSpec { seed: 43, ..spec() }).unwrap();
        assert_ne!(a.hosts, c.hosts);
        assert!(
            c.hosts
                .iter()
                .all(|h| h.user_name.ends_with("@s43.northwind.example"))
        );
    }

    #[test]
    fn the_directory_does_not_depend_on_the_dialect_or_the_group_options() {
        let mixed = Workload::generate(&spec()).unwrap();
        let legacy = Workload::generate(&WorkloadSpec {
            dialect: DialectChoice::Legacy,
            ..spec()
        })
        .unwrap();
        let names =
            |w: &Workload| -> Vec<String> { w.hosts.iter().map(|h| h.user_name.clone()).collect() };
        assert_eq!(names(&mixed), names(&legacy));
        assert!(legacy.hosts.iter().all(|h| h.dialect == Dialect::Legacy));
        let members = |w: &Workload| -> Vec<Vec<usize>> {
            w.groups.iter().map(|g| g.members.clone()).collect()
        };
        assert_eq!(members(&mixed), members(&legacy));
        // Hosts do not depend on the groups, and fewer hosts are a prefix.
        let fewer = Workload::generate(&WorkloadSpec {
            hosts: 50,
            groups: 0,
            largest_group: None,
            ..spec()
        })
        .unwrap();
        assert_eq!(fewer.hosts[..], mixed.hosts[..50]);
    }

    #[test]
    fn every_mapped_attribute_is_present_in_the_create_body() {
        let w = Workload::generate(&spec()).unwrap();
        for host in &w.hosts {
            let body = host.create_body();
            assert_eq!(body["userName"], host.user_name.as_str());
            assert!(!host.given_name.is_empty() && !host.family_name.is_empty());
            assert_eq!(body["name"]["givenName"], host.given_name.as_str());
            assert_eq!(body["name"]["familyName"], host.family_name.as_str());
            let typed = |attr: &str, ty: &str| -> String {
                body[attr]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["type"] == ty)
                    .unwrap_or_else(|| panic!("no {ty} {attr} in {body}"))["value"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            assert_eq!(typed("emails", "work"), host.work_email);
            assert_eq!(typed("emails", "other"), host.other_email);
            assert_eq!(typed("phoneNumbers", "work"), host.work_phone);
            assert_eq!(typed("phoneNumbers", "mobile"), host.mobile_phone);
            let ext = &body[ENTERPRISE_SCHEMA];
            assert_eq!(ext["organization"], host.organization.as_str());
            assert_eq!(ext["department"], host.department.as_str());
            match host.dialect {
                Dialect::Legacy => assert_eq!(body["active"], "True"),
                Dialect::Flag => assert_eq!(body["active"], true),
            }
            assert!(host.user_name.is_ascii(), "{}", host.user_name);
        }
    }

    #[test]
    fn user_names_are_unique() {
        let w = Workload::generate(&spec()).unwrap();
        let mut names: Vec<_> = w.hosts.iter().map(|h| h.user_name.to_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), w.hosts.len());
        let mut groups: Vec<_> = w
            .groups
            .iter()
            .map(|g| g.display_name.to_lowercase())
            .collect();
        groups.sort();
        groups.dedup();
        assert_eq!(groups.len(), w.groups.len());
    }

    #[test]
    fn group_sizes_average_out_and_respect_the_largest() {
        let w = Workload::generate(&spec()).unwrap();
        assert_eq!(w.groups.len(), 7);
        assert_eq!(w.groups[0].members.len(), 120);
        assert_eq!(w.memberships(), 7 * 20);
        for g in &w.groups {
            assert!(g.members.len() <= 120);
            let mut m = g.members.clone();
            m.dedup();
            assert_eq!(m.len(), g.members.len(), "no duplicate members");
            assert!(g.members.iter().all(|&i| i < 200));
        }
        let no_largest = Workload::generate(&WorkloadSpec {
            largest_group: None,
            ..spec()
        })
        .unwrap();
        assert_eq!(no_largest.memberships(), 7 * 20);
    }

    #[test]
    fn impossible_specs_are_refused() {
        let too_many = WorkloadSpec {
            members_per_group: 201,
            ..spec()
        };
        assert!(Workload::generate(&too_many).is_err());
        let small_largest = WorkloadSpec {
            largest_group: Some(5),
            ..spec()
        };
        assert!(Workload::generate(&small_largest).is_err());
        let absurd = WorkloadSpec {
            hosts: usize::MAX,
            ..spec()
        };
        assert!(Workload::generate(&absurd).is_err());
        let overflow = WorkloadSpec {
            groups: MAX_GROUPS,
            members_per_group: usize::MAX / 2,
            hosts: MAX_HOSTS,
            largest_group: None,
            ..spec()
        };
        assert!(Workload::generate(&overflow).is_err());
        let huge_largest = WorkloadSpec {
            largest_group: Some(201),
            ..spec()
        };
        assert!(Workload::generate(&huge_largest).is_err());
    }

    #[test]
    fn lookups_are_form_encoded_like_entra() {
        let w = Workload::generate(&spec()).unwrap();
        let h = &w.hosts[0];
        let path = h.lookup_path();
        assert!(path.starts_with("/Users?filter=userName+eq+%22"), "{path}");
        assert!(path.contains("%40s42.northwind.example%22"), "{path}");
        let g = w.groups[0].lookup_path();
        assert!(
            g.starts_with("/Groups?excludedAttributes=members&filter=displayName+eq+%22"),
            "{g}"
        );
        assert_eq!(
            eq_filter_query("userName", "a\"b"),
            "filter=userName+eq+%22a%5C%22b%22"
        );
    }

    #[test]
    fn member_removals_follow_the_dialects() {
        let legacy = member_remove_patch("u1", Dialect::Legacy);
        assert_eq!(legacy["schemas"][0], PATCH_SCHEMA);
        assert_eq!(legacy["Operations"][0]["op"], "Remove");
        assert_eq!(legacy["Operations"][0]["path"], "members");
        assert_eq!(legacy["Operations"][0]["value"][0]["value"], "u1");
        let flag = member_remove_patch("u1", Dialect::Flag);
        assert_eq!(flag["Operations"][0]["op"], "remove");
    }

    #[test]
    fn patch_bodies_follow_the_dialects() {
        let change = HostChange {
            department: "Security".into(),
            work_phone: "+1 206 555 0199".into(),
            other_email: "x@home.example".into(),
            family_name: "Hart-Lowe".into(),
        };
        let legacy = change.patch_body(Dialect::Legacy);
        let ops = legacy["Operations"].as_array().unwrap();
        assert_eq!(ops.len(), 4);
        assert!(ops.iter().all(|o| o["path"].is_string()));
        assert_eq!(ops[2]["op"], "Add");
        let flag = change.patch_body(Dialect::Flag);
        let ops = flag["Operations"].as_array().unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[2]["op"], "replace");
        assert_eq!(ops[2]["value"]["name.familyName"], "Hart-Lowe");
        assert_eq!(
            ops[2]["value"][format!("{ENTERPRISE_SCHEMA}:department")],
            "Security"
        );
        assert_eq!(
            active_patch(false, Dialect::Legacy)["Operations"][0],
            json!({"op": "Replace", "path": "active", "value": "False"})
        );
        assert_eq!(
            active_patch(true, Dialect::Flag)["Operations"][0],
            json!({"op": "replace", "path": "active", "value": true})
        );
        assert_eq!(
            member_add_patch(["a", "b"], Dialect::Legacy)["Operations"][0],
            json!({"op": "Add", "path": "members",
                   "value": [{"$ref": null, "value": "a"}, {"$ref": null, "value": "b"}]})
        );
    }

    #[test]
    fn the_update_plan_is_seeded_and_sized_by_the_fraction() {
        let w = Workload::generate(&spec()).unwrap();
        let a = UpdatePlan::new(&w, 42, 0.5);
        assert_eq!(a, UpdatePlan::new(&w, 42, 0.5));
        assert_ne!(a, UpdatePlan::new(&w, 7, 0.5));
        assert_eq!(a.changes.len() + a.deactivate.len(), 100);
        assert!(!a.deactivate.is_empty());
        assert!(a.reactivate.iter().all(|i| a.deactivate.contains(i)));
        assert_eq!(a.inactive_after(), a.deactivate.len() - a.reactivate.len());
        let none = UpdatePlan::new(&w, 42, 0.0);
        assert!(none.changes.is_empty() && none.deactivate.is_empty());
        let all = UpdatePlan::new(&w, 42, 1.0);
        assert_eq!(all.changes.len() + all.deactivate.len(), 200);
    }

    #[test]
    fn guids_look_like_guids() {
        let mut r = rng(1, Stream::Probe, 0);
        let g = guid(&mut r);
        assert_eq!(g.len(), 36);
        assert_eq!(g.matches('-').count(), 4);
        assert_ne!(g, guid(&mut r));
    }
}
