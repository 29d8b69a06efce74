//! The command line: `serve` (the default), `tenant …`, `hosts list`,
//! `groups list`. Every option can also come from an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::db::names::GroupChange;
use crate::db::{self, Target};
use crate::profile::Profile;
use crate::{files, serve, tenant};

/// The Sign In Enterprise reference SCIM 2.0 server for Microsoft Entra ID
/// host provisioning.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) storage: StorageArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Where the data lives.
#[derive(Clone, Debug, Args)]
pub(crate) struct StorageArgs {
    /// Directory of the embedded SQLite database (created if missing).
    #[arg(
        long,
        env = "SCIM_DATA_DIR",
        default_value = "scim-data",
        global = true
    )]
    pub(crate) data_dir: PathBuf,
    /// Use this database instead: `postgres://user@host/db` for PostgreSQL
    /// (several servers may share it; TLS as its `sslmode` says, as in
    /// libpq: disable, prefer (default), require, verify-ca, verify-full,
    /// with `sslrootcert`), or `sqlite:///path/to/file.db`.
    #[arg(long, env = "SCIM_DATABASE_URL", global = true)]
    pub(crate) database_url: Option<String>,
}

impl StorageArgs {
    /// The database target these options select.
    pub(crate) fn target(&self) -> anyhow::Result<Target> {
        match self.database_url.as_deref() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Target::Postgres(url.to_owned()))
            }
            Some(url) => match url.strip_prefix("sqlite://") {
                Some(path) if !path.is_empty() => Ok(Target::Sqlite(PathBuf::from(path))),
                _ => bail!(
                    "unsupported --database-url {url:?}: use postgres://… or sqlite:///path/to/file.db"
                ),
            },
            None => Ok(Target::Sqlite(self.data_dir.join("scim.db"))),
        }
    }

    /// Opens the database, creating and migrating it as needed.
    pub(crate) async fn open(&self) -> anyhow::Result<db::Database> {
        self.open_with(db::Options::default()).await
    }

    /// Opens a database that must already exist, for commands that only
    /// read or change existing tenants: a mistyped `--data-dir` (or a
    /// command run from the wrong directory) is an error instead of a new,
    /// empty database.
    pub(crate) async fn open_existing(&self) -> anyhow::Result<db::Database> {
        let target = self.target()?;
        if let Target::Sqlite(path) = &target {
            if !path.is_file() {
                bail!(
                    "no database at {}: point --data-dir (SCIM_DATA_DIR) or --database-url at the server's data, or start the server once to create it",
                    path.display()
                );
            }
        }
        self.open().await
    }

    /// Opens the database with these options.
    pub(crate) async fn open_with(&self, options: db::Options) -> anyhow::Result<db::Database> {
        let target = self.target()?;
        if let Target::Sqlite(path) = &target {
            if self.database_url.is_none() {
                // Our own data directory: private.
                files::secure_data_dir(&self.data_dir)?;
            } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                // The operator's directory: created if missing, its mode
                // theirs to choose.
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the database directory {}", dir.display())
                })?;
            }
            files::secure_database_files(path)?;
        }
        db::open(&target, options)
            .await
            .with_context(|| format!("cannot open the database {}", describe(&target)))
    }
}

/// A target for messages, without credentials.
pub(crate) fn describe(target: &Target) -> String {
    match target {
        Target::Sqlite(path) => format!("SQLite {}", path.display()),
        Target::Postgres(url) => {
            let host = url.rsplit('@').next().unwrap_or("");
            format!("PostgreSQL {host}")
        }
    }
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the SCIM server (the default command).
    Serve(ServeArgs),
    /// Manage tenants: customer accounts with their own bearer token.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// The product's view of hosts.
    #[command(subcommand)]
    Hosts(ListCommand),
    /// The product's view of host groups, and the repairs of duplicate
    /// names.
    #[command(subcommand)]
    Groups(GroupsCommand),
    /// Time filtered queries against a fresh tenant (`bench/filters.sh`).
    #[command(hide = true)]
    BenchFilters(crate::bench::BenchArgs),
}

/// Options of `serve`.
#[derive(Clone, Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "SCIM_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Path prefix of the SCIM endpoints.
    #[arg(long, env = "SCIM_BASE_PATH", default_value = "/scim/v2")]
    pub(crate) base_path: String,
    /// Public URL of the base path as clients see it (behind a proxy), e.g.
    /// `https://scim.example.com/scim/v2`; used in Location and meta.location.
    #[arg(long, env = "SCIM_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// PEM certificate chain; with --tls-key, serve HTTPS (Entra ID only
    /// calls HTTPS endpoints).
    #[arg(long, env = "SCIM_TLS_CERT", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "SCIM_TLS_KEY", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback --listen address because a TLS
    /// proxy in front of the server terminates HTTPS. Without it (or
    /// --tls-cert) the server refuses to listen beyond loopback.
    #[arg(long, env = "SCIM_BEHIND_TLS_PROXY", conflicts_with = "tls_cert")]
    pub(crate) behind_tls_proxy: bool,
    /// Requests per second allowed per tenant (burst of the same size);
    /// more are answered 429 with Retry-After. Off unless set.
    #[arg(long, env = "SCIM_RATE_LIMIT")]
    pub(crate) rate_limit: Option<u32>,
    /// Most connections open at once; more are accepted and closed at
    /// once. Default: the descriptor limit (raised to its hard limit at
    /// start-up) less 64 for the database and files, so that accepting
    /// never fails for lack of descriptors.
    #[arg(long, env = "SCIM_MAX_CONNECTIONS")]
    pub(crate) max_connections: Option<usize>,
    /// Most connections open at once from one peer address; more are
    /// accepted and closed at once. High by default because Entra ID calls
    /// for many tenants from shared cloud egress addresses, each opening a
    /// few connections; behind --behind-tls-proxy every connection comes
    /// from the proxy, so raise it to the proxy's pool size or beyond.
    #[arg(long, env = "SCIM_MAX_CONNECTIONS_PER_PEER", default_value_t = 256)]
    pub(crate) max_connections_per_peer: usize,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, env = "SCIM_IDLE_TIMEOUT", default_value_t = 30)]
    pub(crate) idle_timeout: u64,
    /// Seconds a request head may take from its first byte.
    #[arg(long, env = "SCIM_HEADER_TIMEOUT", default_value_t = 5)]
    pub(crate) header_timeout: u64,
    /// Seconds a response write may make no progress (the client does not
    /// read) before the connection is closed and its memory freed.
    #[arg(long, env = "SCIM_WRITE_TIMEOUT", default_value_t = 30)]
    pub(crate) write_timeout: u64,
    /// Requests per second per client IP address that have no valid token
    /// (burst of the same size), checked before the token is looked up;
    /// more are answered 429 with Retry-After. 0 turns it off.
    #[arg(long, env = "SCIM_AUTH_FAILURE_RATE", default_value_t = 10)]
    pub(crate) auth_failure_rate: u32,
    /// Largest request body in bytes.
    #[arg(long, env = "SCIM_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub(crate) max_body_bytes: usize,
    /// Largest request head (request line and headers) in bytes.
    #[arg(long, env = "SCIM_MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub(crate) max_header_bytes: usize,
    /// Seconds a client may take, after the request head, to send the
    /// body (the head has --header-timeout); a request received in time
    /// is always answered with its real result.
    #[arg(long, env = "SCIM_REQUEST_TIMEOUT", default_value_t = 30)]
    pub(crate) request_timeout: u64,
    /// How successful PATCH requests are answered (RFC 7644 allows 200 with
    /// the resource or 204).
    #[arg(long, env = "SCIM_PATCH_RESPONSE", value_enum, default_value_t = PatchMode::NoContentForGroups)]
    pub(crate) patch_response: PatchMode,
    /// Whether group members must be hosts or host groups of the tenant
    /// (RFC 7644 allows either; Entra ID only sends ids it got from us).
    #[arg(long, env = "SCIM_MEMBER_REFERENCES", value_enum, default_value_t = MemberReferences::Checked)]
    pub(crate) member_references: MemberReferences,
    /// The most Users or Groups a filter that no index narrows may read
    /// (`title eq "x"`); beyond it the query is answered `400 tooMany`,
    /// naming the attribute that would need an index.
    #[arg(long, env = "SCIM_SCAN_BUDGET", default_value_t = 10_000)]
    pub(crate) scan_budget: u64,
    /// Log format.
    #[arg(long, env = "SCIM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Which product rules apply on top of RFC 7643: `sign-in-enterprise`
    /// requires a host's userName, given and family name and work email,
    /// and keeps group names unique per tenant (ignoring case); `none` is
    /// plain RFC 7643, for generic SCIM clients and conformance checkers.
    #[arg(long, env = "SCIM_PROFILE", value_enum, default_value_t = Profile::SignInEnterprise)]
    pub(crate) profile: Profile,
}

/// Whether member ids are checked.
#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum MemberReferences {
    /// An unknown member id is `400 invalidValue`.
    Checked,
    /// Unknown member ids are stored as given.
    Unchecked,
}

impl ServeArgs {
    /// The request timeout.
    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout.max(1))
    }

    /// The idle keep-alive timeout.
    pub(crate) fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout.max(1))
    }

    /// The timeouts below hyper: writes without progress, slow heads.
    pub(crate) fn io_timeouts(&self) -> crate::conn::IoTimeouts {
        crate::conn::IoTimeouts {
            write: Duration::from_secs(self.write_timeout.max(1)),
            head: Duration::from_secs(self.header_timeout.max(1)),
        }
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        match Cli::try_parse_from(["scim-server-example", "serve"]) {
            Ok(Cli {
                command: Some(Command::Serve(args)),
                ..
            }) => args,
            // The defaults above are valid, so parsing no arguments cannot
            // fail (a test checks it).
            _ => unreachable!("default serve arguments parse"),
        }
    }
}

/// How PATCH is answered.
#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum PatchMode {
    /// 204 for groups (as Entra ID asks, and cheap for large groups), 200
    /// with the resource for users.
    NoContentForGroups,
    /// Always 200 with the resource.
    Resource,
    /// Always 204.
    NoContent,
}

/// Log line format.
#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// `tenant …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Create a tenant and print its tenant URL and bearer token.
    Create {
        /// The tenant's unique name.
        name: String,
        /// The public URL of the SCIM base path to print (the server's
        /// --public-url), e.g. `https://scim.example.com/scim/v2`.
        #[arg(long, env = "SCIM_PUBLIC_URL")]
        url: Option<String>,
    },
    /// Replace a tenant's token. The old one keeps working for the grace
    /// period, so that Entra ID's cycles succeed until an admin pastes the
    /// new token; `revoke-token` ends it sooner.
    RotateToken {
        /// The tenant's name.
        name: String,
        /// How long the old token keeps working: `90s`, `30m`, `24h`, `7d`
        /// (at most 30 days), or `0` to cut it off now.
        #[arg(long, env = "SCIM_TOKEN_GRACE", default_value = "24h", value_parser = parse_grace)]
        grace: Duration,
    },
    /// End the grace period of a tenant's previous token (the current token
    /// keeps working), on every server within 2 s.
    RevokeToken {
        /// The tenant's name.
        name: String,
    },
    /// List tenants, with when their tokens were created and last used.
    List,
    /// Delete a tenant with all its hosts and groups (asks for --yes).
    Delete {
        /// The tenant's name.
        name: String,
        /// Really delete it.
        #[arg(long)]
        yes: bool,
    },
}

/// `hosts list` / `groups list`.
#[derive(Debug, Subcommand)]
pub(crate) enum ListCommand {
    /// List them for one tenant.
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// Include hosts that are invisible (unassigned in Entra ID).
        #[arg(long)]
        all: bool,
    },
}

/// `groups …`.
#[derive(Debug, Subcommand)]
pub(crate) enum GroupsCommand {
    /// List them for one tenant.
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
    },
    /// Rename a host group, e.g. one of two groups that share a name and
    /// keep the server from upgrading the database. Works on a database
    /// the server refuses to open for that reason.
    Rename {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The group's id (`groups list` shows names; the server's refusal
        /// lists the ids of groups sharing one).
        id: String,
        /// Its new displayName, not used by another group of the tenant
        /// (ignoring case).
        name: String,
        /// The server's --profile: whether the new name is kept unique.
        #[arg(long, env = "SCIM_PROFILE", value_enum, default_value_t = Profile::SignInEnterprise)]
        profile: Profile,
    },
    /// Delete a host group with its memberships (asks for --yes). Works on
    /// a database the server refuses to open because group names are
    /// shared.
    Delete {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The group's id.
        id: String,
        /// Really delete it.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs a parsed command line.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve::run(&cli.storage, &ServeArgs::default()).await,
        Some(Command::Serve(args)) => serve::run(&cli.storage, &args).await,
        Some(Command::Tenant(cmd)) => tenant_command(&cli.storage, cmd).await,
        Some(Command::BenchFilters(args)) => crate::bench::filters(&cli.storage, &args).await,
        Some(Command::Hosts(ListCommand::List { tenant, all })) => {
            let database = cli.storage.open_existing().await?;
            let t = find_tenant(&database, &tenant).await?;
            let hosts = database.product.hosts(&t.id, all).await?;
            println!(
                "{:<40} {:<28} {:<32} {:<18} {:<18} {:<8}",
                "USERNAME", "NAME", "WORK EMAIL", "WORK PHONE", "DEPARTMENT", "VISIBLE"
            );
            for h in hosts {
                let name = [h.given_name.as_deref(), h.family_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                println!(
                    "{:<40} {:<28} {:<32} {:<18} {:<18} {:<8}",
                    h.user_name,
                    name,
                    h.work_email.unwrap_or_default(),
                    h.work_phone.unwrap_or_default(),
                    h.department.unwrap_or_default(),
                    if h.visible { "yes" } else { "no" }
                );
            }
            Ok(())
        }
        Some(Command::Groups(GroupsCommand::List { tenant })) => {
            let database = cli.storage.open_existing().await?;
            let t = find_tenant(&database, &tenant).await?;
            // The product shows only visible hosts; MEMBERS counts every
            // member (invisible hosts and nested groups too).
            println!(
                "{:<40} {:>13} {:>8}",
                "HOST GROUP", "VISIBLE HOSTS", "MEMBERS"
            );
            for g in database.product.host_groups(&t.id).await? {
                println!(
                    "{:<40} {:>13} {:>8}",
                    g.display_name, g.visible_hosts, g.member_count
                );
            }
            Ok(())
        }
        Some(Command::Groups(GroupsCommand::Rename {
            tenant,
            id,
            name,
            profile,
        })) => {
            if name.trim().is_empty() {
                bail!("a host group needs a non-empty name");
            }
            let change = GroupChange::Rename(name.clone());
            let remaining = change_group(&cli.storage, profile, &tenant, &id, &change).await?;
            println!("Renamed host group {id} of {tenant} to {name:?}.");
            print_remaining(remaining.as_deref());
            Ok(())
        }
        Some(Command::Groups(GroupsCommand::Delete { tenant, id, yes })) => {
            if !yes {
                bail!(
                    "this deletes host group {id} of tenant {tenant:?} with its memberships; run again with --yes to do it"
                );
            }
            let remaining = change_group(
                &cli.storage,
                Profile::SignInEnterprise,
                &tenant,
                &id,
                &GroupChange::Delete,
            )
            .await?;
            println!("Deleted host group {id} of {tenant}.");
            print_remaining(remaining.as_deref());
            Ok(())
        }
    }
}

/// Runs a repair command on an existing database, migrated or not.
async fn change_group(
    storage: &StorageArgs,
    profile: Profile,
    tenant: &str,
    id: &str,
    change: &GroupChange,
) -> anyhow::Result<Option<Vec<db::names::ClashingGroup>>> {
    let target = storage.target()?;
    if let Target::Sqlite(path) = &target {
        if !path.is_file() {
            bail!(
                "no database at {}: point --data-dir (SCIM_DATA_DIR) or --database-url at the server's data",
                path.display()
            );
        }
    }
    let registry = crate::profile::registry(profile)?;
    let groups = registry
        .resource_type("Group")
        .context("the registry has a Group type")?;
    // Members are written back as they are, whatever the server checks.
    let options = db::Options {
        check_member_references: false,
        ..db::Options::default()
    };
    db::names::change_group(&target, options, groups, tenant, id, change)
        .await
        .with_context(|| format!("cannot change the database {}", describe(&target)))
}

/// What is left to resolve before the migration to unique group names.
fn print_remaining(remaining: Option<&[db::names::ClashingGroup]>) {
    match remaining {
        None => {}
        Some([]) => println!(
            "No two host groups of a tenant share a name any more: start the server to finish upgrading the database."
        ),
        Some(groups) => {
            println!(
                "Host groups still sharing a name (the server will not start until each name has one group):"
            );
            for g in groups {
                println!(
                    "  tenant {:?}, name {:?}: {}  {:?}  created {}",
                    g.tenant, g.key, g.id, g.display_name, g.created
                );
            }
        }
    }
}

async fn find_tenant(database: &db::Database, name: &str) -> anyhow::Result<db::Tenant> {
    database
        .tenants
        .list_tenants()
        .await?
        .into_iter()
        .map(|record| record.tenant)
        .find(|t| t.name == name)
        .with_context(|| format!("no tenant named {name:?} (see `tenant list`)"))
}

async fn tenant_command(storage: &StorageArgs, cmd: TenantCommand) -> anyhow::Result<()> {
    // Only `create` may start a new database; the others need the
    // server's.
    let database = if matches!(cmd, TenantCommand::Create { .. }) {
        storage.open().await?
    } else {
        storage.open_existing().await?
    };
    match cmd {
        TenantCommand::Create { name, url } => {
            let token = tenant::Token::generate()?;
            database.tenants.create_tenant(&name, &token.hash()).await?;
            println!("Tenant:     {name}");
            match &url {
                Some(url) => println!("Tenant URL: {url}"),
                None => {
                    println!("Tenant URL: (not configured: see the warning)");
                    eprintln!(
                        "warning: no public URL is configured (--url or SCIM_PUBLIC_URL), so the Tenant URL is unknown here;"
                    );
                    eprintln!(
                        "         give Entra ID the HTTPS URL it reaches the server at, e.g. https://scim.example.com/scim/v2"
                    );
                }
            }
            println!("Token:      {}", token.as_str());
            println!(
                "Paste both into Entra ID (Provisioning > Admin Credentials). The token is shown only now."
            );
        }
        TenantCommand::RotateToken { name, grace } => {
            let token = tenant::Token::generate()?;
            let now = tenant::unix_now();
            let grace_secs = i64::try_from(grace.as_secs()).unwrap_or(i64::MAX);
            let until = (grace_secs > 0).then(|| now.saturating_add(grace_secs));
            database
                .tenants
                .rotate_token(&name, &token.hash(), now, until)
                .await?;
            println!("New token for {name}: {}", token.as_str());
            match until {
                Some(until) => {
                    println!(
                        "The old token keeps working until {} (--grace {}); paste the new one into Entra ID's Secret Token,",
                        format_time(until),
                        format_grace(grace)
                    );
                    println!("then `tenant revoke-token {name}` ends the old one sooner.");
                }
                None => {
                    println!("The old token no longer works; update Entra ID's Secret Token.");
                }
            }
        }
        TenantCommand::RevokeToken { name } => {
            if database
                .tenants
                .revoke_previous_token(&name, tenant::unix_now())
                .await?
            {
                println!(
                    "The previous token of {name} stops working within 2 s; the current token still works."
                );
            } else {
                println!(
                    "{name} has no previous token that still works; the current token still works."
                );
            }
        }
        TenantCommand::List => {
            let now = tenant::unix_now();
            println!(
                "{:<24} {:<32} {:<20} {:<20} {:<20} PREVIOUS TOKEN",
                "NAME", "ID", "CREATED", "TOKEN CREATED", "TOKEN LAST USED"
            );
            for record in database.tenants.list_tenants().await? {
                let t = &record.tenant;
                let token_created = record
                    .token_created
                    .map_or_else(|| t.created.clone(), format_time);
                let previous = match record.previous {
                    None => "-".to_owned(),
                    Some(p) if p.expires <= now => format!("expired {}", format_time(p.expires)),
                    Some(p) => format!(
                        "works until {}, last used {}",
                        format_time(p.expires),
                        p.last_used.map_or_else(|| "never".to_owned(), format_time)
                    ),
                };
                println!(
                    "{:<24} {:<32} {:<20} {:<20} {:<20} {previous}",
                    t.name,
                    t.id,
                    short_time(&t.created),
                    short_time(&token_created),
                    record
                        .token_last_used
                        .map_or_else(|| "never".to_owned(), format_time),
                );
            }
        }
        TenantCommand::Delete { name, yes } => {
            if !yes {
                let t = find_tenant(&database, &name).await?;
                let hosts = database.product.hosts(&t.id, true).await?.len();
                let groups = database.product.host_groups(&t.id).await?.len();
                bail!(
                    "this deletes tenant {name:?} with its {hosts} hosts and {groups} host groups, and its token stops working; run again with --yes to do it"
                );
            }
            database.tenants.delete_tenant(&name).await?;
            println!("Deleted tenant {name} and all its hosts and host groups.");
        }
    }
    Ok(())
}

/// The longest grace period `rotate-token` accepts.
const MAX_GRACE: Duration = Duration::from_secs(30 * 24 * 3600);

/// Parses a grace period: a number with `s`, `m`, `h` or `d`, or `0`.
fn parse_grace(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: use e.g. 90s, 30m, 24h or 7d"))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" if n == 0 => 1,
        _ => {
            return Err(format!(
                "{text:?} is not a duration: use e.g. 90s, 30m, 24h or 7d"
            ));
        }
    };
    let grace = Duration::from_secs(n.saturating_mul(unit_secs));
    if grace > MAX_GRACE {
        return Err(format!(
            "a grace period of {text} is longer than 30 days; rotate again later instead"
        ));
    }
    Ok(grace)
}

/// A grace period as `parse_grace` reads it.
fn format_grace(grace: Duration) -> String {
    let secs = grace.as_secs();
    match secs {
        0 => "0".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Unix seconds as RFC 3339 in UTC, to the second.
fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// An RFC 3339 time without its fraction of a second, for the table.
fn short_time(rfc3339: &str) -> String {
    match rfc3339.split_once('.') {
        Some((seconds, rest)) if rest.ends_with('Z') => format!("{seconds}Z"),
        _ => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_serve_arguments_parse() {
        let args = ServeArgs::default();
        assert_eq!(args.base_path, "/scim/v2");
        assert_eq!(args.rate_limit, None);
        assert_eq!(args.max_connections, None);
        assert_eq!(args.max_connections_per_peer, 256);
        assert_eq!(args.idle_timeout(), Duration::from_secs(30));
        assert_eq!(args.io_timeouts().head, Duration::from_secs(5));
        assert_eq!(args.io_timeouts().write, Duration::from_secs(30));
        assert_eq!(args.auth_failure_rate, 10);
        assert_eq!(args.profile, Profile::SignInEnterprise);
    }

    #[test]
    fn the_profile_can_be_turned_off() {
        let Ok(Cli {
            command: Some(Command::Serve(args)),
            ..
        }) = Cli::try_parse_from(["scim-server-example", "serve", "--profile", "none"])
        else {
            panic!("--profile none parses");
        };
        assert_eq!(args.profile, Profile::None);
        assert!(
            Cli::try_parse_from(["scim-server-example", "serve", "--profile", "okta"]).is_err()
        );
    }

    #[test]
    fn database_urls_select_the_backend() {
        let args = |url: Option<&str>| StorageArgs {
            data_dir: PathBuf::from("d"),
            database_url: url.map(str::to_owned),
        };
        assert_eq!(
            args(None).target().unwrap(),
            Target::Sqlite(PathBuf::from("d/scim.db"))
        );
        assert_eq!(
            args(Some("postgres://u@h/db")).target().unwrap(),
            Target::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            args(Some("sqlite:///tmp/x.db")).target().unwrap(),
            Target::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert!(args(Some("mysql://x")).target().is_err());
    }

    #[test]
    fn credentials_are_not_described() {
        assert_eq!(
            describe(&Target::Postgres("postgres://u:pw@h:5432/db".into())),
            "PostgreSQL h:5432/db"
        );
    }

    #[test]
    fn grace_periods_parse_and_print() {
        assert_eq!(parse_grace("0"), Ok(Duration::ZERO));
        assert_eq!(parse_grace("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_grace("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_grace("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_grace("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in [
            "",
            "h",
            "5",
            "1w",
            "-1h",
            "1.5h",
            "31d",
            "99999999999999999999d",
        ] {
            assert!(parse_grace(bad).is_err(), "{bad:?}");
        }
        for text in ["0", "90s", "30m", "2h", "7d"] {
            assert_eq!(format_grace(parse_grace(text).unwrap()), text);
        }
        assert_eq!(format_grace(Duration::from_secs(86_400)), "1d");
    }

    #[test]
    fn the_default_grace_is_a_day() {
        let cli = Cli::try_parse_from(["x", "tenant", "rotate-token", "acme"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Tenant(TenantCommand::RotateToken { grace, .. })) if grace == Duration::from_secs(86_400)
        ));
    }

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_764_750_126), "2025-12-03T08:22:06Z");
        assert_eq!(
            short_time("2026-12-03T07:22:06.123Z"),
            "2026-12-03T07:22:06Z"
        );
        assert_eq!(short_time("2026-12-03T07:22:06Z"), "2026-12-03T07:22:06Z");
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
