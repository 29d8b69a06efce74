//! The server's settings as plain data: where the data lives
//! ([`Storage`]) and how `serve` runs ([`ServeConfig`]). `cli` fills them
//! from the command line and the environment; nothing here knows clap.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use scim_core::protocol::PatchResponse;

use crate::conn::IoTimeouts;
use crate::db::{self, Target};
use crate::files;
use crate::profile::Profile;

/// Where the data lives.
#[derive(Clone, Debug)]
pub(crate) struct Storage {
    /// Directory of the embedded SQLite database (created if missing).
    pub(crate) data_dir: PathBuf,
    /// The database to use instead, as a `postgres://` or `sqlite://` URL.
    pub(crate) database_url: Option<String>,
}

impl Storage {
    /// The database target these settings select.
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

/// How `serve` runs: what it listens on, what it serves there, and the
/// limits it holds clients to.
#[derive(Clone, Debug)]
pub(crate) struct ServeConfig {
    /// Where the data lives.
    pub(crate) storage: Storage,
    /// Address to listen on; port 0 picks a free port.
    pub(crate) listen: SocketAddr,
    /// Path prefix of the SCIM endpoints.
    pub(crate) base_path: String,
    /// Public URL of the base path as clients see it, for Location and
    /// meta.location.
    pub(crate) public_url: Option<String>,
    /// The certificate and key to serve HTTPS with, if any.
    pub(crate) tls: Option<TlsFiles>,
    /// Whether a TLS proxy in front terminates HTTPS, so that plain HTTP
    /// beyond loopback is allowed.
    pub(crate) behind_tls_proxy: bool,
    /// Requests per second allowed per tenant, if limited.
    pub(crate) rate_limit: Option<u32>,
    /// Requests per second per client IP address without a valid token
    /// (0: no limit).
    pub(crate) auth_failure_rate: u32,
    /// Most connections open at once; `None` derives it from the
    /// descriptor limit.
    pub(crate) max_connections: Option<usize>,
    /// Most connections open at once from one peer address.
    pub(crate) max_connections_per_peer: usize,
    /// How long an idle keep-alive connection stays open.
    pub(crate) idle_timeout: Duration,
    /// Write and head timeouts, enforced on the IO stream.
    pub(crate) io_timeouts: IoTimeouts,
    /// How long a client may take, after the request head, to send the
    /// body.
    pub(crate) request_timeout: Duration,
    /// Largest request body in bytes.
    pub(crate) max_body_bytes: usize,
    /// Largest request head (request line and headers) in bytes.
    pub(crate) max_header_bytes: usize,
    /// How successful PATCH requests are answered.
    pub(crate) patch_response: PatchResponse,
    /// Whether group members must be hosts or host groups of the tenant.
    pub(crate) check_member_references: bool,
    /// The most Users or Groups a filter that no index narrows may read.
    pub(crate) scan_budget: u64,
    /// Log line format.
    pub(crate) log_format: LogFormat,
    /// Which product rules apply on top of RFC 7643.
    pub(crate) profile: Profile,
}

/// The PEM files HTTPS is served with.
#[derive(Clone, Debug)]
pub(crate) struct TlsFiles {
    /// The certificate chain.
    pub(crate) cert: PathBuf,
    /// The private key for `cert`.
    pub(crate) key: PathBuf,
}

/// Log line format.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_select_the_backend() {
        let storage = |url: Option<&str>| Storage {
            data_dir: PathBuf::from("d"),
            database_url: url.map(str::to_owned),
        };
        assert_eq!(
            storage(None).target().unwrap(),
            Target::Sqlite(PathBuf::from("d/scim.db"))
        );
        assert_eq!(
            storage(Some("postgres://u@h/db")).target().unwrap(),
            Target::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            storage(Some("sqlite:///tmp/x.db")).target().unwrap(),
            Target::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert!(storage(Some("mysql://x")).target().is_err());
    }

    #[test]
    fn credentials_are_not_described() {
        assert_eq!(
            describe(&Target::Postgres("postgres://u:pw@h:5432/db".into())),
            "PostgreSQL h:5432/db"
        );
    }
}
