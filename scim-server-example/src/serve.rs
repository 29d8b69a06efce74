//! `serve`: open the database, make sure a tenant exists, and run the
//! SCIM endpoint.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use scim_core::protocol::{PatchResponse, Service, ServiceConfig};
use scim_core::tolerance::Policy;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::cli::{LogFormat, MemberReferences, PatchMode, ServeArgs, StorageArgs, describe};
use crate::db::Database;
use crate::http::{self, App};
use crate::tenant::{TenantAuth, Token};

/// How long shutdown waits to record the last token uses.
const FINAL_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The name of the tenant created on first start.
const FIRST_TENANT: &str = "default";

/// Runs the server until SIGTERM or Ctrl-C.
pub(crate) async fn run(storage: &StorageArgs, args: &ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let database = storage
        .open_with(crate::db::Options {
            check_member_references: args.member_references == MemberReferences::Checked,
        })
        .await?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(http::tls_acceptor(cert, key)?),
        _ => None,
    };
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr().context("listener address")?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_path = args.base_path.trim_end_matches('/');
    let url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{local}{base_path}"));

    let mut config = ServiceConfig::new(base_path);
    config.public_url = args.public_url.clone();
    config.default_scheme = scheme.to_owned();
    config.policy = Policy::entra_id();
    config.max_payload_size = args.max_body_bytes;
    config.patch_response = match args.patch_response {
        PatchMode::NoContentForGroups => PatchResponse::NoContentForGroups,
        PatchMode::Resource => PatchResponse::Resource,
        PatchMode::NoContent => PatchResponse::NoContent,
    };
    let auth = Arc::new(TenantAuth::new(database.tenants.clone(), args.rate_limit));
    let registry = crate::profile::registry(args.profile)
        .context("the schema registry of the chosen --profile")?;
    tracing::info!(profile = ?args.profile, "product profile");
    let service = Service::new(database.scim.clone(), registry, auth.clone(), config);

    println!("SCIM server listening on {url}");
    bootstrap(&database, &url, args.public_url.is_some()).await?;
    // The last line of the banner: scripts wait for it.
    println!("Storage: {}", describe(&storage.target()?));
    tracing::info!(%local, tls = tls.is_some(), "listening");

    let app = Arc::new(App {
        scim: service,
        max_body_bytes: args.max_body_bytes,
        max_header_bytes: args.max_header_bytes,
        timeout: args.timeout(),
        database: database.tenants.clone(),
    });
    let flusher = auth.spawn_usage_flusher();
    let served = http::serve(listener, app, tls).await;
    flusher.abort();
    // The uses since the last write, so that `tenant list` is current; a
    // database that does not answer does not hold up the exit.
    if tokio::time::timeout(FINAL_FLUSH_TIMEOUT, auth.flush_usage(true))
        .await
        .is_err()
    {
        tracing::warn!("gave up recording the last token uses at shutdown");
    }
    served
}

/// Creates the first tenant if there is none and prints its credentials,
/// once. `SCIM_BOOTSTRAP_TOKEN` chooses its token for scripted set-ups.
async fn bootstrap(database: &Database, url: &str, public: bool) -> anyhow::Result<()> {
    if !database.tenants.list_tenants().await?.is_empty() {
        return Ok(());
    }
    let token = match std::env::var("SCIM_BOOTSTRAP_TOKEN") {
        Ok(t) if !t.is_empty() => Token::given(t)?,
        _ => Token::generate()?,
    };
    database
        .tenants
        .create_tenant(FIRST_TENANT, &token.hash())
        .await
        .context("creating the first tenant")?;
    println!();
    println!("Created the first tenant, {FIRST_TENANT:?}. Paste these into Entra ID:");
    println!("  Tenant URL:   {url}");
    println!("  Secret Token: {}", token.as_str());
    if !public {
        println!(
            "  (That Tenant URL is the listen address: with no --public-url, give Entra ID the HTTPS URL it reaches this server at.)"
        );
    }
    println!("The token is shown only now; `tenant rotate-token {FIRST_TENANT}` replaces it.");
    println!();
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SCIM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second initialisation (in tests) is harmless; ignore its error.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
