//! The command line: `serve` (the default), `tenant …`, `hosts list`,
//! `groups list`. Every option can also come from an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::db::{self, Target};
use crate::{serve, tenant};

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
    /// (several servers may share it), or `sqlite:///path/to/file.db`.
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

    /// Opens the database with these options.
    pub(crate) async fn open_with(&self, options: db::Options) -> anyhow::Result<db::Database> {
        let target = self.target()?;
        if let Target::Sqlite(path) = &target {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the data directory {}", dir.display())
                })?;
            }
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
    /// The product's view of host groups.
    #[command(subcommand)]
    Groups(ListCommand),
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
    /// Requests per second allowed per tenant (burst of the same size);
    /// more are answered 429 with Retry-After. Off unless set.
    #[arg(long, env = "SCIM_RATE_LIMIT")]
    pub(crate) rate_limit: Option<u32>,
    /// Largest request body in bytes.
    #[arg(long, env = "SCIM_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub(crate) max_body_bytes: usize,
    /// Largest request head (request line and headers) in bytes.
    #[arg(long, env = "SCIM_MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub(crate) max_header_bytes: usize,
    /// Seconds a request may take, from its first byte to the response.
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
        /// The public base URL to print.
        #[arg(
            long,
            env = "SCIM_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080/scim/v2"
        )]
        url: String,
    },
    /// Replace a tenant's token; the old one stops working.
    RotateToken {
        /// The tenant's name.
        name: String,
    },
    /// List tenants.
    List,
    /// Delete a tenant with all its hosts and groups.
    Delete {
        /// The tenant's name.
        name: String,
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

/// Runs a parsed command line.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve::run(&cli.storage, &ServeArgs::default()).await,
        Some(Command::Serve(args)) => serve::run(&cli.storage, &args).await,
        Some(Command::Tenant(cmd)) => tenant_command(&cli.storage, cmd).await,
        Some(Command::BenchFilters(args)) => crate::bench::filters(&cli.storage, &args).await,
        Some(Command::Hosts(ListCommand::List { tenant, all })) => {
            let database = cli.storage.open().await?;
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
        Some(Command::Groups(ListCommand::List { tenant, .. })) => {
            let database = cli.storage.open().await?;
            let t = find_tenant(&database, &tenant).await?;
            println!("{:<40} {:>8}", "HOST GROUP", "MEMBERS");
            for g in database.product.host_groups(&t.id).await? {
                println!("{:<40} {:>8}", g.display_name, g.member_count);
            }
            Ok(())
        }
    }
}

async fn find_tenant(database: &db::Database, name: &str) -> anyhow::Result<db::Tenant> {
    database
        .tenants
        .list_tenants()
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .with_context(|| format!("no tenant named {name:?} (see `tenant list`)"))
}

async fn tenant_command(storage: &StorageArgs, cmd: TenantCommand) -> anyhow::Result<()> {
    let database = storage.open().await?;
    match cmd {
        TenantCommand::Create { name, url } => {
            let token = tenant::Token::generate()?;
            database.tenants.create_tenant(&name, &token.hash()).await?;
            println!("Tenant:     {name}");
            println!("Tenant URL: {url}");
            println!("Token:      {}", token.as_str());
            println!(
                "Paste both into Entra ID (Provisioning > Admin Credentials). The token is shown only now."
            );
        }
        TenantCommand::RotateToken { name } => {
            let token = tenant::Token::generate()?;
            database.tenants.rotate_token(&name, &token.hash()).await?;
            println!("New token for {name}: {}", token.as_str());
            println!("The old token no longer works; update Entra ID's Secret Token.");
        }
        TenantCommand::List => {
            println!("{:<32} {:<38} CREATED", "NAME", "ID");
            for t in database.tenants.list_tenants().await? {
                println!("{:<32} {:<38} {}", t.name, t.id, t.created);
            }
        }
        TenantCommand::Delete { name } => {
            database.tenants.delete_tenant(&name).await?;
            println!("Deleted tenant {name} and all its hosts and host groups.");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_serve_arguments_parse() {
        let args = ServeArgs::default();
        assert_eq!(args.base_path, "/scim/v2");
        assert_eq!(args.rate_limit, None);
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
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
