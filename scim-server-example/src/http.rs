//! The HTTP glue: a hyper 1.x accept loop over the framework-free
//! `scim_core::protocol::Service`, with optional TLS, request limits,
//! structured request logs, `/healthz` (liveness), `/readyz` (the database
//! answers), and graceful shutdown.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rustls_pki_types::pem::{self, PemObject as _};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use scim_core::Error;
use scim_core::error::{Refusal, ScimType};
use scim_core::protocol::{ErrorInfo, RequestInfo, Service, error_response};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use crate::conn::{
    ACCEPT_BACKOFF, ClientIp, ConnectionLimits, GuardedIo, InRequest, IoTimeouts, Refused,
    Throttle, is_per_connection,
};
use crate::db::TenantStore;

use crate::ratelimit::RateLimiter;

/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(5);
/// At most one log line per this interval for refused connections and
/// for accept failures, each with the count of those it stands for.
const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// What every connection needs.
#[derive(Debug)]
pub(crate) struct App {
    /// The SCIM service.
    pub(crate) scim: Service,
    /// The largest request head accepted.
    pub(crate) max_header_bytes: usize,
    /// How long a request may take after its head until its body is read
    /// (authentication included); the handling itself is not cut short
    /// ([`run_scim`] says why).
    pub(crate) timeout: Duration,
    /// The database, for `/readyz`.
    pub(crate) database: Arc<dyn TenantStore>,
    /// The per-tenant rate limiter, if any, to charge bulk requests for
    /// each operation they ran.
    pub(crate) limiter: Option<Arc<RateLimiter>>,
    /// The caps on open connections.
    pub(crate) connections: Arc<ConnectionLimits>,
    /// How long an idle keep-alive connection stays open.
    pub(crate) idle_timeout: Duration,
    /// Write and head timeouts, enforced on the IO stream.
    pub(crate) io_timeouts: IoTimeouts,
    /// Whether a TLS proxy in front appends the client's address to
    /// `X-Forwarded-For` (`--behind-tls-proxy`).
    pub(crate) behind_proxy: bool,
}

/// Loads a PEM certificate chain and private key for TLS. The acceptor
/// takes its certificate from the returned [`Certificates`], which
/// [`spawn_certificate_reloader`] swaps for new connections.
pub(crate) fn tls_acceptor(
    cert: &Path,
    key: &Path,
) -> anyhow::Result<(TlsAcceptor, Arc<Certificates>)> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let certificates = Arc::new(Certificates::load(cert, key, provider.clone())?);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS configuration")?
        .with_no_client_auth()
        .with_cert_resolver(certificates.clone());
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), certificates))
}

/// The server's certificate chain and key, read from their PEM files at
/// start and again by [`Certificates::reload`]. A handshake takes the
/// pair current when it starts; connections already open keep theirs.
#[derive(Debug)]
pub(crate) struct Certificates {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    fn load(cert: &Path, key: &Path, provider: Arc<CryptoProvider>) -> anyhow::Result<Self> {
        let current = RwLock::new(Arc::new(read_pair(cert, key, &provider)?));
        Ok(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            provider,
            current,
        })
    }

    /// Reads both files again and, if they hold a matching pair, serves
    /// it to new connections; otherwise keeps the current pair and says
    /// why.
    pub(crate) fn reload(&self) -> anyhow::Result<()> {
        let pair = Arc::new(read_pair(&self.cert, &self.key, &self.provider)?);
        match self.current.write() {
            Ok(mut current) => *current = pair,
            // A writer panicked mid-swap: the value is a whole Arc anyway.
            Err(poisoned) => *poisoned.into_inner() = pair,
        }
        Ok(())
    }

    /// The pair served now.
    fn current(&self) -> Arc<CertifiedKey> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A certificate chain and the private key that matches it.
fn read_pair(cert: &Path, key: &Path, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let certs = read_certs(cert)?;
    let key_der = read_key(key)?;
    CertifiedKey::from_der(certs, key_der, provider).with_context(|| {
        format!(
            "the certificate in {} does not match the private key in {}",
            cert.display(),
            key.display()
        )
    })
}

/// Reads the certificate and key files again on each `SIGHUP`, so that a
/// renewed certificate is served without a restart. A pair that does not
/// load is logged, and the previous one stays.
///
/// The handler is installed before this returns (`SIGHUP` would otherwise
/// end the process), so call it before announcing that the server runs.
pub(crate) fn spawn_certificate_reloader(
    certificates: Arc<Certificates>,
) -> tokio::task::JoinHandle<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP: certificates reload only on restart");
                return tokio::spawn(async {});
            }
        };
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match certificates.reload() {
                    Ok(()) => tracing::info!(
                        cert = %certificates.cert.display(),
                        "SIGHUP: reloaded the TLS certificate for new connections"
                    ),
                    Err(e) => tracing::error!(
                        error = format!("{e:#}"),
                        "SIGHUP: kept the previous TLS certificate, the new one does not load"
                    ),
                }
            }
        })
    }
    #[cfg(not(unix))]
    {
        drop(certificates);
        tokio::spawn(async {})
    }
}

/// The certificates of a PEM file, in order.
fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", path.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{} contains no certificate", path.display());
    }
    Ok(certs)
}

/// The first private key (PKCS #8, PKCS #1 or SEC1) of a PEM file.
fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => {
            anyhow::bail!("{} contains no private key", path.display())
        }
        Err(e) => Err(e).with_context(|| format!("{} is not a PEM private key", path.display())),
    }
}

/// Serves connections from `listener` until SIGTERM or Ctrl-C, then stops
/// accepting, lets requests in flight finish (up to 30 s) and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    tls: Option<TlsAcceptor>,
) -> anyhow::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown_signal());
    let accept_failures = Throttle::new(LOG_INTERVAL);
    let refusals = Throttle::new(LOG_INTERVAL);
    let malformed = Arc::new(Throttle::new(LOG_INTERVAL));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        if let Some(suppressed) = accept_failures.note() {
                            tracing::warn!(error = %e, suppressed, "accept failed");
                        }
                        // Out of descriptors or memory: accepting again at
                        // once would fail again, in a busy loop.
                        if !is_per_connection(&e) {
                            tokio::time::sleep(ACCEPT_BACKOFF).await;
                        }
                        continue;
                    }
                };
                // Over a cap, the connection is accepted and closed at
                // once (dropped): the client learns at once, and the
                // kernel's backlog keeps moving for everyone else.
                let guard = match app.connections.admit(peer.ip()) {
                    Ok(guard) => guard,
                    Err(cap) => {
                        drop(stream);
                        if let Some(suppressed) = refusals.note() {
                            let cap = match cap {
                                Refused::Total => "--max-connections",
                                Refused::PerPeer => "--max-connections-per-peer",
                            };
                            tracing::warn!(%peer, cap, suppressed, "connection refused: over the cap");
                        }
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let watcher = graceful.watcher();
                let tls = tls.clone();
                let malformed = malformed.clone();
                tokio::spawn(async move {
                    let _guard = guard;
                    match tls {
                        Some(acceptor) => {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                Ok(Ok(stream)) => serve_connection(stream, peer, app, watcher, malformed).await,
                                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                            }
                        }
                        None => serve_connection(stream, peer, app, watcher, malformed).await,
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, finishing requests in flight");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("gave up waiting for connections after {DRAIN_TIMEOUT:?}"),
    }
    Ok(())
}

async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    app: Arc<App>,
    watcher: hyper_util::server::graceful::Watcher,
    malformed: Arc<Throttle>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // hyper starts this timer when the connection is idle (before the
        // first byte of a head), so it is the keep-alive idle timeout;
        // GuardedIo bounds the head itself, from its first byte.
        .header_read_timeout(app.idle_timeout)
        // hyper refuses a smaller buffer; the head (request line and
        // headers) must fit in it, so this caps header size.
        .max_buf_size(app.max_header_bytes.max(8192))
        .keep_alive(true);
    let in_request = Arc::new(InRequest::default());
    let io = GuardedIo::new(io, app.io_timeouts, in_request.clone());
    let service = service_fn(move |request| {
        let app = app.clone();
        let in_request = in_request.clone();
        in_request.set(true);
        async move {
            let response = handle(&app, request, peer).await;
            in_request.set(false);
            Ok::<_, Infallible>(response)
        }
    });
    let connection = builder.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection).await {
        log_connection_error(&e, peer, &malformed);
    }
}

/// Logs how a connection ended badly. A request that hyper itself refused
/// (a head over the limit, a bad or conflicting `Content-Length`, a bad
/// request line) gets one info line with the peer, at most one per
/// [`LOG_INTERVAL`]: hyper answered it with a bare status (400, 414 or
/// 431, no body; hyper 1.x has no hook for a body of ours) and closed the
/// connection. Clients that hang up, time out or stop reading are routine
/// and logged at debug.
fn log_connection_error(error: &hyper::Error, peer: SocketAddr, malformed: &Throttle) {
    if error.is_parse() {
        if let Some(suppressed) = malformed.note() {
            tracing::info!(%peer, error = %error, suppressed, "malformed request refused by hyper");
        }
    } else {
        tracing::debug!(%peer, error = %error, "connection ended with an error");
    }
}

/// Answers one request, and logs one line for it: the client's address,
/// tenant, method, path
/// (never the query, which may hold a filter with personal data), status,
/// latency, the tolerances it needed, and for a failure the error's
/// `scimType` and `detail` (and for a 5xx its cause). Never a body or a
/// token.
async fn handle(
    app: &App,
    mut request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let client = client_ip(request.headers(), peer.ip(), app.behind_proxy);
    request.extensions_mut().insert(ClientIp(client));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = if path == "/healthz" {
        plain(StatusCode::OK, "ok\n")
    } else if path == "/readyz" {
        ready(app).await
    } else {
        run_scim(app, request, started).await
    };
    let status = response.status();
    let info = response
        .extensions_mut()
        .remove::<RequestInfo>()
        .unwrap_or_default();
    // The request took one token when it was authenticated; a bulk
    // request pays for its other operations now.
    if let (Some(limiter), Some(tenant)) = (&app.limiter, &info.tenant) {
        limiter.charge(tenant, info.operations.saturating_sub(1) as u64);
    }
    log_request(client, &info, &method, &path, status, started.elapsed());
    response.map(|body| Full::new(Bytes::from(body)))
}

fn log_request(
    peer: IpAddr,
    info: &RequestInfo,
    method: &http::Method,
    path: &str,
    status: StatusCode,
    latency: Duration,
) {
    let latency_ms = latency.as_secs_f64() * 1000.0;
    // The tenant's name (the authenticator's subject), else its id.
    let tenant = info
        .subject
        .as_deref()
        .or(info.tenant.as_deref())
        .unwrap_or("-");
    let tolerated = (!info.fired.is_empty()).then(|| info.fired.to_string());
    let status = status.as_u16();
    let Some(error) = &info.error else {
        tracing::info!(%peer, tenant, %method, path, status, latency_ms, tolerated, "request");
        return;
    };
    let scim_type = error.scim_type.as_ref().map(ScimType::as_str);
    let detail = error.detail.as_str();
    match &error.cause {
        Some(cause) => tracing::error!(
            %peer, tenant, %method, path, status, latency_ms, tolerated, scim_type, detail,
            cause = cause.as_str(), "request failed"
        ),
        None => tracing::info!(
            %peer, tenant, %method, path, status, latency_ms, tolerated, scim_type, detail,
            "request"
        ),
    }
}

/// The client's address: the TCP peer, or behind `--behind-tls-proxy` the
/// address the proxy appended to the request: the right-most entry of the
/// last `X-Forwarded-For` header, else the last `for=` of `Forwarded`.
/// Only the right-most entry is the proxy's own; those to its left came
/// from the client and may be forged. Without the flag these headers are
/// ignored, as anyone can send them. An entry that is not an address
/// (`unknown`, an obfuscated `_name`) leaves the TCP peer.
fn client_ip(headers: &http::HeaderMap, peer: IpAddr, behind_proxy: bool) -> IpAddr {
    if !behind_proxy {
        return peer;
    }
    let last_entry = |name: http::header::HeaderName| {
        headers
            .get_all(name)
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
    };
    let forwarded_for = last_entry(http::header::FORWARDED).and_then(|element| {
        element.split(';').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("for")
                .then(|| value.trim().trim_matches('"'))
        })
    });
    last_entry(http::HeaderName::from_static("x-forwarded-for"))
        .or(forwarded_for)
        .and_then(parse_node)
        .unwrap_or(peer)
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`,
/// `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            node.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })
}

/// A plain-text response.
fn plain(status: StatusCode, text: &'static str) -> Response<Vec<u8>> {
    let mut r = Response::new(text.as_bytes().to_vec());
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The SCIM error response for an error answered here rather than by the
/// service, with the [`RequestInfo`] the log line reads.
fn local_error(error: &Error) -> Response<Vec<u8>> {
    let mut response = error_response(error);
    let mut info = RequestInfo::default();
    info.error = Some(ErrorInfo::new(error));
    response.extensions_mut().insert(info);
    response
}

/// `/readyz`: `200` when the database answers `SELECT 1`, else `503`
/// (logged with the cause). Load balancers take a `503` replica out of
/// rotation; `/healthz` stays a liveness check that never touches the
/// database, so a database outage does not get every replica restarted.
async fn ready(app: &App) -> Response<Vec<u8>> {
    let cause = match tokio::time::timeout(READY_TIMEOUT, app.database.ping()).await {
        Ok(Ok(())) => return plain(StatusCode::OK, "ready\n"),
        // `DbError` shows its source in its own message.
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!(
            "the database did not answer within {} s",
            READY_TIMEOUT.as_secs()
        ),
    };
    tracing::warn!(cause, "not ready: the database did not answer SELECT 1");
    plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "not ready: the database does not answer\n",
    )
}

/// Authenticates the request from its head, then reads the body within
/// the limit and passes it to the service.
///
/// A request rejected from its head (no valid token, no such endpoint, a
/// `Content-Length` over the limit) is answered without reading a byte of
/// its body, and with `Connection: close`. Draining the body instead would
/// keep the connection for the next request, but costs a read of up to the
/// body's size for every rejected request; the callers that get here are
/// misconfigured or hostile, and a reconnect is cheap for the first. So an
/// unauthenticated connection holds no more than hyper's read buffer,
/// however large a body it announces or sends. A body over the limit is
/// answered the same way, after the limit.
///
/// `--request-timeout` bounds the client's part after the head, counted
/// from `started`: authentication and the body (the head has its own
/// `--header-timeout`, from its first byte, in [`GuardedIo`]). A
/// request that does not get there in time is answered `408` with
/// nothing done. Once the body is read, the service runs the request to
/// its end, however long that takes, and its real result is the answer:
/// a write cannot be abandoned halfway (SQLite's work runs on a blocking
/// thread and commits anyway), so a `408` there would hide a committed
/// change from a client that retries on `408`, as Entra ID does. The
/// service's own work is bounded by its caps, not by this timeout.
async fn run_scim(app: &App, request: Request<Incoming>, started: Instant) -> Response<Vec<u8>> {
    let deadline = tokio::time::Instant::from_std(started) + app.timeout;
    let read = async {
        let (parts, body) = request.into_parts();
        let request = match app.scim.authenticate(parts).await {
            Ok(request) => request,
            Err(rejected) if body.is_end_stream() => return Err(rejected),
            Err(rejected) => return Err(closing(rejected)),
        };
        match Limited::new(body, request.max_payload_size())
            .collect()
            .await
        {
            Ok(collected) => Ok((request, collected.to_bytes())),
            Err(e) if e.is::<LengthLimitError>() => Err(closing(request.payload_too_large())),
            Err(e) => Err(closing(request.unreadable_body(&*e))),
        }
    };
    let (request, body) = match tokio::time::timeout_at(deadline, read).await {
        Ok(Ok(read)) => read,
        Ok(Err(rejected)) => return rejected,
        Err(_) => {
            return closing(local_error(&Refusal::timeout(app.timeout).into()));
        }
    };
    let response = request.handle(body).await;
    debug_assert!(response.status() != StatusCode::SWITCHING_PROTOCOLS);
    response
}

/// `response` with `Connection: close`, for a request whose body was not
/// read to its end: hyper closes such a connection anyway, and the header
/// tells the client not to send another request on it.
fn closing(mut response: Response<Vec<u8>>) -> Response<Vec<u8>> {
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::TempDir;

    #[test]
    fn a_reload_swaps_in_a_good_pair_and_keeps_the_old_one_for_a_bad_pair() {
        let dir = TempDir::new("reload");
        let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let write = |c: &rcgen::CertifiedKey| {
            std::fs::write(&cert_path, c.cert.pem()).unwrap();
            std::fs::write(&key_path, c.key_pair.serialize_pem()).unwrap();
        };
        let a = rcgen::generate_simple_self_signed(vec!["a.example".to_owned()]).unwrap();
        write(&a);
        let (_acceptor, certificates) = tls_acceptor(&cert_path, &key_path).unwrap();
        let served = |c: &Certificates| c.current().cert[0].as_ref().to_vec();
        assert_eq!(served(&certificates), a.cert.der().as_ref());

        let b = rcgen::generate_simple_self_signed(vec!["b.example".to_owned()]).unwrap();
        write(&b);
        certificates.reload().unwrap();
        assert_eq!(served(&certificates), b.cert.der().as_ref());

        // Half a renewal: a new certificate with the old key.
        let c = rcgen::generate_simple_self_signed(vec!["c.example".to_owned()]).unwrap();
        std::fs::write(&cert_path, c.cert.pem()).unwrap();
        let err = format!("{:#}", certificates.reload().unwrap_err());
        assert!(err.contains("does not match"), "{err}");
        std::fs::write(&key_path, "not a key").unwrap();
        assert!(certificates.reload().is_err());
        assert_eq!(served(&certificates), b.cert.der().as_ref(), "b stays");
    }

    #[test]
    fn the_client_address_comes_from_the_proxy_only_behind_one() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert("x-forwarded-for", "1.1.1.1, 203.0.113.7".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, false), peer);
        assert_eq!(
            client_ip(&headers, peer, true),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        // Two headers: the proxy's is the last.
        headers.append("x-forwarded-for", "198.51.100.2:4711".parse().unwrap());
        assert_eq!(
            client_ip(&headers, peer, true),
            "198.51.100.2".parse::<IpAddr>().unwrap()
        );

        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::FORWARDED,
            "for=1.1.1.1, for=\"[2001:db8::1]:4711\";proto=https"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            client_ip(&headers, peer, true),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        headers.insert(http::header::FORWARDED, "for=unknown".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, true), peer);
        assert_eq!(client_ip(&http::HeaderMap::new(), peer, true), peer);
    }

    #[test]
    fn pem_certificates_and_keys_load_and_bad_files_are_named() {
        let dir = TempDir::new("pem");
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
        assert_eq!(read_certs(&cert_path).unwrap().len(), 1);
        assert!(matches!(
            read_key(&key_path).unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
        assert!(tls_acceptor(&cert_path, &key_path).is_ok());
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let mismatched = dir.path().join("other-key.pem");
        std::fs::write(&mismatched, other.key_pair.serialize_pem()).unwrap();
        let err = format!("{:#}", tls_acceptor(&cert_path, &mismatched).err().unwrap());
        assert!(err.contains("does not match the private key"), "{err}");

        // The certificate file holds no key, the key file no certificate.
        let no_key = read_key(&cert_path).unwrap_err().to_string();
        assert!(no_key.contains("contains no private key"), "{no_key}");
        let no_cert = read_certs(&key_path).unwrap_err().to_string();
        assert!(no_cert.contains("contains no certificate"), "{no_cert}");
        let missing = dir.path().join("missing.pem");
        let err = format!("{:#}", read_certs(&missing).unwrap_err());
        assert!(err.starts_with("cannot read"), "{err}");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\n!!!\n").unwrap();
        assert!(read_certs(&garbage).is_err());
    }
}
