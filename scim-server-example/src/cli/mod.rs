//! The command line: `serve` (the default), `tenant …`, `hosts list`,
//! `groups …`. Every option can also come from an environment variable.
//! Parsing stays here: each command turns its arguments into the plain
//! settings of [`crate::config`] before it runs.

mod product;
mod tenant;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use scim_core::protocol::PatchResponse;

use crate::config::{LogFormat, ServeConfig, Storage, TlsFiles};
use crate::conn::IoTimeouts;
use crate::profile::Profile;
use crate::serve;

use self::product::{GroupsCommand, ListCommand};
use self::tenant::TenantCommand;

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

impl From<StorageArgs> for Storage {
    fn from(args: StorageArgs) -> Self {
        Self {
            data_dir: args.data_dir,
            database_url: args.database_url,
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
    #[arg(long, env = "SCIM_LOG_FORMAT", value_enum, default_value_t = LogFormatArg::Text)]
    pub(crate) log_format: LogFormatArg,
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
    /// The settings `serve` runs with, over `storage`.
    pub(crate) fn config(&self, storage: Storage) -> ServeConfig {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            // clap makes each require the other.
            _ => None,
        };
        ServeConfig {
            storage,
            listen: self.listen,
            base_path: self.base_path.clone(),
            public_url: self.public_url.clone(),
            tls,
            behind_tls_proxy: self.behind_tls_proxy,
            rate_limit: self.rate_limit,
            auth_failure_rate: self.auth_failure_rate,
            max_connections: self.max_connections,
            max_connections_per_peer: self.max_connections_per_peer,
            idle_timeout: Duration::from_secs(self.idle_timeout.max(1)),
            io_timeouts: IoTimeouts {
                write: Duration::from_secs(self.write_timeout.max(1)),
                head: Duration::from_secs(self.header_timeout.max(1)),
            },
            request_timeout: Duration::from_secs(self.request_timeout.max(1)),
            max_body_bytes: self.max_body_bytes,
            max_header_bytes: self.max_header_bytes,
            patch_response: match self.patch_response {
                PatchMode::NoContentForGroups => PatchResponse::NoContentForGroups,
                PatchMode::Resource => PatchResponse::Resource,
                PatchMode::NoContent => PatchResponse::NoContent,
            },
            check_member_references: self.member_references == MemberReferences::Checked,
            scan_budget: self.scan_budget,
            log_format: match self.log_format {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            },
            profile: self.profile,
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
pub(crate) enum LogFormatArg {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// Runs a parsed command line.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    let storage = Storage::from(cli.storage);
    match cli.command {
        None => serve::run(&ServeArgs::default().config(storage)).await,
        Some(Command::Serve(args)) => serve::run(&args.config(storage)).await,
        Some(Command::Tenant(cmd)) => tenant::run(&storage, cmd).await,
        Some(Command::BenchFilters(args)) => crate::bench::filters(&storage, &args).await,
        Some(Command::Hosts(cmd)) => product::hosts(&storage, cmd).await,
        Some(Command::Groups(cmd)) => product::groups(&storage, cmd).await,
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
        let config = args.config(Storage::from(StorageArgs {
            data_dir: PathBuf::from("d"),
            database_url: None,
        }));
        assert_eq!(config.idle_timeout, Duration::from_secs(30));
        assert_eq!(config.io_timeouts.head, Duration::from_secs(5));
        assert_eq!(config.io_timeouts.write, Duration::from_secs(30));
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
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
