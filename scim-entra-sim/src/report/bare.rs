//! The bare hyper server of the scale report: hyper's HTTP/1.1 server on
//! tokio, answering every request with one fixed body and no work at all.
//! Steady lookups against it, from the same client with the same
//! settings, give the ceiling the real server's lookups are compared with.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use bytes::Bytes;
use clap::Args;
use http::header::CONTENT_TYPE;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Options of the hidden `bare-hyper` subcommand.
#[derive(Debug, Args)]
pub(crate) struct BareOptions {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) listen: SocketAddr,
    /// The file whose bytes every response carries (the report passes a
    /// real one-user ListResponse).
    #[arg(long, value_name = "FILE")]
    pub(crate) body: PathBuf,
}

/// The line the server prints once it accepts connections, before its
/// address; the report waits for it.
pub(crate) const BANNER: &str = "bare hyper listening on ";

/// Serves until killed.
///
/// # Errors
///
/// When the body cannot be read or the address cannot be bound.
pub(crate) fn run(options: &BareOptions) -> anyhow::Result<()> {
    let body = Bytes::from(
        std::fs::read(&options.body)
            .with_context(|| format!("cannot read --body {}", options.body.display()))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(options.listen, body))
}

async fn serve(listen: SocketAddr, body: Bytes) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr().context("listener address")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{BANNER}http://{local}")?;
        out.flush()?;
    }
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |_request| {
                let body = body.clone();
                async move {
                    let mut response = http::Response::new(Full::new(body));
                    response.headers_mut().insert(
                        CONTENT_TYPE,
                        http::HeaderValue::from_static("application/scim+json"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
