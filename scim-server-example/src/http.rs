//! The HTTP glue: a hyper 1.x accept loop over the framework-free
//! `scim_core::protocol::Service`, with optional TLS, request limits,
//! structured request logs, `/healthz`, and graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use scim_core::Error;
use scim_core::protocol::{RequestInfo, Service, error_response};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::ratelimit::RateLimiter;

/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What every connection needs.
#[derive(Debug)]
pub(crate) struct App {
    /// The SCIM service.
    pub(crate) scim: Service,
    /// The largest body accepted.
    pub(crate) max_body_bytes: usize,
    /// The largest request head accepted.
    pub(crate) max_header_bytes: usize,
    /// How long one request may take.
    pub(crate) timeout: Duration,
    /// The per-tenant rate limiter, if any, to charge bulk requests for
    /// each operation they ran.
    pub(crate) limiter: Option<Arc<RateLimiter>>,
}

/// Loads a PEM certificate chain and private key for TLS.
pub(crate) fn tls_acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).with_context(|| format!("cannot read {}", cert.display()))?,
    ))
    .collect::<Result<_, _>>()
    .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{} contains no certificate", cert.display());
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).with_context(|| format!("cannot read {}", key.display()))?,
    ))
    .with_context(|| format!("{} is not a PEM private key", key.display()))?
    .with_context(|| format!("{} contains no private key", key.display()))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS configuration")?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("the certificate does not match the private key")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
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
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let watcher = graceful.watcher();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                Ok(Ok(stream)) => serve_connection(stream, peer, app, watcher).await,
                                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                            }
                        }
                        None => serve_connection(stream, peer, app, watcher).await,
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
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(app.timeout)
        // hyper refuses a smaller buffer; the head (request line and
        // headers) must fit in it, so this caps header size.
        .max_buf_size(app.max_header_bytes.max(8192))
        .keep_alive(true);
    let service = service_fn(move |request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(handle(&app, request).await) }
    });
    let connection = builder.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Answers one request.
async fn handle(app: &App, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = if path == "/healthz" {
        let mut r = Response::new(b"ok\n".to_vec());
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain"),
        );
        r
    } else {
        match tokio::time::timeout(app.timeout, run_scim(app, request)).await {
            Ok(response) => response,
            Err(_) => error_response(&Error::RequestTimeout(format!(
                "the request took longer than {} s",
                app.timeout.as_secs()
            ))),
        }
    };
    let status = response.status();
    let info = response
        .extensions()
        .get::<RequestInfo>()
        .cloned()
        .unwrap_or_default();
    // The request took one token when it was authenticated; a bulk
    // request pays for its other operations now.
    if let (Some(limiter), Some(tenant)) = (&app.limiter, &info.tenant) {
        limiter.charge(tenant, info.operations.saturating_sub(1) as u64);
    }
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The tenant's name (the authenticator's subject), else its id.
    let tenant = info
        .subject
        .as_deref()
        .or(info.tenant.as_deref())
        .unwrap_or("-");
    if info.fired.is_empty() {
        tracing::info!(tenant, %method, path, status = status.as_u16(), latency_ms, "request");
    } else {
        let tolerated = info.fired.to_string();
        tracing::info!(tenant, %method, path, status = status.as_u16(), latency_ms, tolerated, "request");
    }
    response.map(|body| Full::new(Bytes::from(body)))
}

/// Reads the body within the limit and passes the request to the service.
async fn run_scim(app: &App, request: Request<Incoming>) -> Response<Vec<u8>> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, app.max_body_bytes).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return error_response(&Error::PayloadTooLarge(format!(
                "the request body is larger than {} bytes",
                app.max_body_bytes
            )));
        }
        Err(e) => {
            return error_response(&Error::InvalidSyntax(format!(
                "the request body could not be read: {e}"
            )));
        }
    };
    let response = app.scim.handle(Request::from_parts(parts, body)).await;
    debug_assert!(response.status() != StatusCode::SWITCHING_PROTOCOLS);
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
