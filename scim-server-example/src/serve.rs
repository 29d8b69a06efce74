//! `serve`: open the database, make sure a tenant exists, and run the
//! SCIM endpoint.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use scim_core::protocol::{Service, ServiceConfig};
use scim_core::tolerance::Policy;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, ServeConfig, describe};
use crate::conn::{self, ConnectionLimits};
use crate::db::Database;
use crate::http::{self, App};
use crate::tenant::{TenantAuth, Token};

/// How long shutdown waits to record the last token uses.
const FINAL_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The name of the tenant created on first start.
const FIRST_TENANT: &str = "default";

/// Runs the server until SIGTERM or Ctrl-C.
pub(crate) async fn run(settings: &ServeConfig) -> anyhow::Result<()> {
    init_logging(settings.log_format);
    let descriptors = conn::raise_descriptor_limit();
    let max_connections = settings
        .max_connections
        .unwrap_or_else(|| conn::derived_connection_cap(descriptors));
    tracing::info!(
        max_connections,
        max_connections_per_peer = settings.max_connections_per_peer,
        "connection caps"
    );
    let database = settings
        .storage
        .open_with(crate::db::Options {
            check_member_references: settings.check_member_references,
            scan_budget: settings.scan_budget,
            ..crate::db::Options::default()
        })
        .await?;
    let (tls, reloader) = match &settings.tls {
        Some(files) => {
            let (acceptor, certificates) = http::tls_acceptor(&files.cert, &files.key)?;
            // A renewed certificate is served after `kill -HUP`, without a
            // restart.
            (
                Some(acceptor),
                Some(http::spawn_certificate_reloader(certificates)),
            )
        }
        None => (None, None),
    };
    let exposure = exposure(
        settings.listen,
        settings.public_url.is_some(),
        tls.is_some(),
        settings.behind_tls_proxy,
    )?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let local = listener.local_addr().context("listener address")?;
    // What this socket speaks; clients beyond loopback see --public-url.
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_path = settings.base_path.trim_end_matches('/');
    let listening = format!("{scheme}://{local}{base_path}");
    let url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| listening.clone());

    let mut config = ServiceConfig::new(base_path);
    config.public_url = settings.public_url.clone();
    config.default_scheme = scheme.to_owned();
    config.policy = Policy::entra_id();
    config.max_payload_size = settings.max_body_bytes;
    config.patch_response = settings.patch_response;
    let auth = Arc::new(TenantAuth::new(
        database.tenants.clone(),
        settings.rate_limit,
        settings.auth_failure_rate,
    ));
    let limiter = auth.limiter();
    let registry = crate::profile::registry(settings.profile)
        .context("the schema registry of the chosen --profile")?;
    tracing::info!(profile = ?settings.profile, "product profile");
    let service = Service::new(database.scim.clone(), registry, auth.clone(), config);

    println!("SCIM server listening on {listening}");
    if let Some(public) = &settings.public_url {
        println!("Public URL: {public}");
    }
    bootstrap(&database, &url, settings.public_url.is_some()).await?;
    // The last line of the banner: scripts wait for it.
    println!("Storage: {}", describe(&settings.storage.target()?));
    tracing::info!(%local, tls = tls.is_some(), ?exposure, "listening");
    if exposure == Exposure::BehindTlsProxy {
        tracing::warn!(
            %local,
            "serving plain HTTP beyond loopback because --behind-tls-proxy says a TLS proxy terminates HTTPS in front of this server"
        );
    }

    let app = Arc::new(App {
        scim: service,
        max_header_bytes: settings.max_header_bytes,
        timeout: settings.request_timeout,
        database: database.tenants.clone(),
        limiter,
        connections: Arc::new(ConnectionLimits::new(
            max_connections,
            settings.max_connections_per_peer,
        )),
        idle_timeout: settings.idle_timeout,
        io_timeouts: settings.io_timeouts,
        behind_proxy: settings.behind_tls_proxy,
    });
    let flusher = auth.spawn_usage_flusher();
    let served = http::serve(listener, app, tls).await;
    flusher.abort();
    if let Some(reloader) = reloader {
        reloader.abort();
    }
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

/// Who can reach the listener, as far as the server can tell.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Exposure {
    /// Only this machine.
    Loopback,
    /// The network, over HTTPS served here.
    Tls,
    /// The network, in plain HTTP behind an operator-declared TLS proxy.
    BehindTlsProxy,
}

/// Checks that a listener beyond loopback is safe to open: its URLs must
/// come from `--public-url`, never from a client's `Host` header (which
/// would be reflected into `Location` and `meta.location`), and its
/// traffic, which carries bearer tokens and personal data, must be
/// encrypted here or by a proxy the operator names.
pub(crate) fn exposure(
    listen: SocketAddr,
    public_url: bool,
    tls: bool,
    behind_tls_proxy: bool,
) -> anyhow::Result<Exposure> {
    if listen.ip().is_loopback() {
        return Ok(if tls {
            Exposure::Tls
        } else {
            Exposure::Loopback
        });
    }
    if !public_url {
        bail!(
            "refusing to listen on {listen} without --public-url: beyond loopback the URLs in Location and meta.location must not come from the client's Host header; pass --public-url https://<host>/scim/v2 as Entra ID reaches this server"
        );
    }
    match (tls, behind_tls_proxy) {
        (true, _) => Ok(Exposure::Tls),
        (false, true) => Ok(Exposure::BehindTlsProxy),
        (false, false) => bail!(
            "refusing plain HTTP on {listen}: bearer tokens and personal data would cross the network unencrypted; pass --tls-cert and --tls-key, or --behind-tls-proxy if a TLS proxy in front terminates HTTPS"
        ),
    }
}

/// Creates the first tenant if there is none and prints its credentials,
/// once. `SCIM_BOOTSTRAP_TOKEN` chooses its token for scripted set-ups.
async fn bootstrap(database: &Database, url: &str, public: bool) -> anyhow::Result<()> {
    if !database.tenants.list_tenants().await?.is_empty() {
        return Ok(());
    }
    // An operator-chosen token is never echoed: standard output often
    // ends up in journald or a CI log.
    let (token, given) = match std::env::var("SCIM_BOOTSTRAP_TOKEN") {
        Ok(t) if !t.is_empty() => (Token::given(t)?, true),
        _ => (Token::generate()?, false),
    };
    database
        .tenants
        .create_tenant(FIRST_TENANT, &token.hash())
        .await
        .context("creating the first tenant")?;
    println!();
    println!("Created the first tenant, {FIRST_TENANT:?}. Paste these into Entra ID:");
    println!("  Tenant URL:   {url}");
    if given {
        println!("  Secret Token: the one in SCIM_BOOTSTRAP_TOKEN (not shown)");
    } else {
        println!("  Secret Token: {}", token.as_str());
    }
    if !public {
        println!(
            "  (That Tenant URL is the listen address: with no --public-url, give Entra ID the HTTPS URL it reaches this server at.)"
        );
    }
    if !given {
        println!("The token is shown only now; `tenant rotate-token {FIRST_TENANT}` replaces it.");
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_needs_nothing() {
        assert_eq!(
            exposure(addr("127.0.0.1:8080"), false, false, false).unwrap(),
            Exposure::Loopback
        );
        assert_eq!(
            exposure(addr("[::1]:8080"), false, true, false).unwrap(),
            Exposure::Tls
        );
    }

    #[test]
    fn beyond_loopback_needs_a_public_url() {
        let e = exposure(addr("0.0.0.0:443"), false, true, false).unwrap_err();
        assert!(e.to_string().contains("--public-url"), "{e}");
    }

    #[test]
    fn beyond_loopback_needs_tls_or_a_declared_proxy() {
        let e = exposure(addr("10.0.0.5:8080"), true, false, false).unwrap_err();
        assert!(e.to_string().contains("--behind-tls-proxy"), "{e}");
        assert_eq!(
            exposure(addr("10.0.0.5:8080"), true, false, true).unwrap(),
            Exposure::BehindTlsProxy
        );
        assert_eq!(
            exposure(addr("0.0.0.0:443"), true, true, false).unwrap(),
            Exposure::Tls
        );
    }
}
