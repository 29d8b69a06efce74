//! Mounting the SCIM service in a bare hyper 1.x server.
//!
//! Run with `cargo run -p scim-examples --bin hyper_server`,
//! then: `curl -H 'Authorization: Bearer secret' http://127.0.0.1:3000/scim/v2/Users`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::Registry;
use scim_core::store::memory::MemoryStore;
use tokio::net::TcpListener;

/// Authenticates the request from its head, then reads the body (never
/// more than the service accepts) and hands it to the service. A caller
/// without valid credentials is answered before a byte of the body is read.
async fn handle(
    scim: Service,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let response = match scim.authenticate(parts).await {
        // 401, 404, 413 (Content-Length), 415: answered from the head.
        Err(rejected) => rejected,
        Ok(request) => match Limited::new(body, request.max_payload_size())
            .collect()
            .await
        {
            Ok(body) => request.handle(body.to_bytes()).await,
            Err(e) if e.is::<LengthLimitError>() => request.payload_too_large(),
            Err(e) => request.unreadable_body(&*e),
        },
    };
    Ok(response.map(|body| Full::new(Bytes::from(body))))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scim = Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(SingleTenant::new("secret")),
        ServiceConfig::new("/scim/v2"),
    );
    let listener = TcpListener::bind("127.0.0.1:3000").await?;
    println!("SCIM service on http://{}/scim/v2", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let scim = scim.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(scim.clone(), request));
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}
