//! Mounting the SCIM service in a bare hyper 1.x server.
//!
//! Run with `cargo run -p scim-examples --bin hyper_server`,
//! then: `curl -H 'Authorization: Bearer secret' http://127.0.0.1:3000/scim/v2/Users`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scim_core::protocol::{Service, ServiceConfig, SingleTenant, error_response};
use scim_core::schema::Registry;
use scim_core::store::memory::MemoryStore;
use tokio::net::TcpListener;

/// Reads the body (never more than the service accepts) and hands the
/// request to the service.
async fn handle(
    scim: Service,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, scim.config().max_payload_size)
        .collect()
        .await
    {
        Ok(body) => {
            scim.handle(Request::from_parts(parts, body.to_bytes()))
                .await
        }
        Err(_) => error_response(&scim_core::Error::PayloadTooLarge(
            "the request body is too large".to_owned(),
        )),
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
