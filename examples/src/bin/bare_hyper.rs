//! The yardstick for `bench/hotpath.sh`: a bare hyper 1.x server that
//! answers every request with the same fixed JSON, with no SCIM, storage,
//! authentication or logging. What the reference server reaches relative to
//! this is the overhead of everything SCIM does on top of HTTP.
//!
//! Run with `cargo run --release -p scim-examples --bin bare_hyper -- [ADDR] [BODY_FILE]`:
//! it listens on `ADDR` (default `127.0.0.1:3001`) and answers with the
//! contents of `BODY_FILE` (default: a one-user SCIM ListResponse), so the
//! benchmark can give it a body the size of the real server's answer.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The body answered when no file is given.
const DEFAULT_BODY: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2819c223-7f76-453a-919d-413861904646","userName":"host-1@example.com","active":true,"meta":{"resourceType":"User","version":"W/\"1\""}}]}"#;

/// The fixed answer.
fn respond(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/scim+json"),
    );
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:3001").parse()?;
    let body = match args.next() {
        Some(path) => Bytes::from(std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?),
        None => Bytes::from_static(DEFAULT_BODY.as_bytes()),
    };
    let listener = TcpListener::bind(addr).await?;
    // The last line before serving: scripts wait for it.
    println!(
        "bare hyper on http://{} answering {} bytes",
        listener.local_addr()?,
        body.len()
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |_request: Request<hyper::body::Incoming>| {
                let body = body.clone();
                async move { Ok::<_, Infallible>(respond(body)) }
            });
            // A client closing its connection is not worth reporting here.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    #[tokio::test]
    async fn the_answer_is_the_fixed_body_as_scim_json() {
        let response = respond(Bytes::from_static(DEFAULT_BODY.as_bytes()));
        assert_eq!(
            response.headers()[http::header::CONTENT_TYPE],
            "application/scim+json"
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, DEFAULT_BODY.as_bytes());
    }
}
