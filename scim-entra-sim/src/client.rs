//! The HTTP side: one pooled hyper client bound to the base URL and token,
//! sending the headers Entra sends.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use serde_json::Value;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::stats::{Op, Recorder, Verdict};

/// The media type Microsoft's validator sends on request bodies.
const SCIM_JSON: &str = "application/scim+json; charset=utf-8";

/// A SCIM endpoint and its bearer token.
#[derive(Clone, Debug)]
pub(crate) struct ScimClient {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: String,
    authorization: HeaderValue,
    timeout: Duration,
}

/// One request to send: what it is for, and its method, path below the
/// base URL, and body.
#[derive(Clone, Debug)]
pub(crate) struct Exchange<'a> {
    op: Op,
    method: Method,
    path: &'a str,
    body: Option<&'a Value>,
}

impl<'a> Exchange<'a> {
    /// A GET.
    pub(crate) fn get(op: Op, path: &'a str) -> Self {
        Self {
            op,
            method: Method::GET,
            path,
            body: None,
        }
    }

    /// A POST with a JSON body.
    pub(crate) fn post(op: Op, path: &'a str, body: &'a Value) -> Self {
        Self {
            op,
            method: Method::POST,
            path,
            body: Some(body),
        }
    }

    /// A PATCH with a JSON body.
    pub(crate) fn patch(op: Op, path: &'a str, body: &'a Value) -> Self {
        Self {
            op,
            method: Method::PATCH,
            path,
            body: Some(body),
        }
    }

    fn expected(&self) -> &'static [StatusCode] {
        match self.method {
            Method::POST => &[StatusCode::CREATED],
            Method::PATCH => &[StatusCode::OK, StatusCode::NO_CONTENT],
            _ => &[StatusCode::OK],
        }
    }
}

/// A response whose status was one the caller expected.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The status.
    pub(crate) status: StatusCode,
    /// The body.
    pub(crate) body: Bytes,
}

impl Reply {
    /// The body as JSON, if it is.
    pub(crate) fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl ScimClient {
    /// A client for the tenant URL `url` (Entra appends `/Users`,
    /// `/Groups` to it). https URLs are verified against the system's CA
    /// store plus the PEM certificates in `ca_cert`.
    ///
    /// # Errors
    ///
    /// When `url` is not an absolute `http://` or `https://` URL, the token
    /// cannot be sent in a header, or `ca_cert` cannot be read.
    pub(crate) fn new(
        url: &str,
        token: &str,
        timeout: Duration,
        concurrency: usize,
        ca_cert: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("--url {url:?} is not a URL"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => bail!("--url {url:?} must be an absolute http:// or https:// URL"),
        };
        if uri.host().is_none() {
            bail!("--url {url:?} has no host");
        }
        if uri.query().is_some() {
            bail!(
                "--url {url:?} must not carry a query string (for the \
                 aadOptscim062020 request shapes use --dialect flag)"
            );
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("the token contains characters that cannot be sent in a header")?;
        authorization.set_sensitive(true);
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(https, ca_cert)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(concurrency)
            .build(connector);
        Ok(Self {
            http,
            base: url.trim_end_matches('/').to_owned(),
            authorization,
            timeout,
        })
    }

    /// Sends `exchange`, records it, and returns what `check` makes of the
    /// reply when its status is the one Entra expects (200 for GET, 201 for
    /// POST, 200 or 204 for PATCH). A body `check` rejects is counted under
    /// the reason it gives.
    pub(crate) async fn call<T>(
        &self,
        recorder: &Recorder,
        exchange: Exchange<'_>,
        check: impl FnOnce(&Reply) -> Result<T, &'static str>,
    ) -> Option<T> {
        let expect = exchange.expected();
        let started = Instant::now();
        let result = tokio::time::timeout(
            self.timeout,
            self.send(exchange.method, exchange.path, exchange.body),
        )
        .await;
        let elapsed = started.elapsed();
        let (verdict, value) = match result {
            Err(_) => (Verdict::Timeout, None),
            Ok(Err(message)) => (Verdict::Transport(message), None),
            Ok(Ok(reply)) if expect.contains(&reply.status) => match check(&reply) {
                Ok(v) => (Verdict::Ok, Some(v)),
                Err(why) => (Verdict::Rejected(why), None),
            },
            Ok(Ok(reply)) => (
                Verdict::Status(reply.status.as_u16(), error_detail(&reply)),
                None,
            ),
        };
        recorder.record(exchange.op, elapsed, &verdict);
        value
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, "application/scim+json")
            .header(
                USER_AGENT,
                concat!("scim-entra-sim/", env!("CARGO_PKG_VERSION")),
            )
            // Entra's own marker header; servers ignore its value.
            .header("ADSCIMVersion", "5.0");
        let bytes = match body {
            Some(b) => {
                builder = builder.header(CONTENT_TYPE, SCIM_JSON);
                Bytes::from(serde_json::to_vec(b).map_err(|e| chain(&e))?)
            }
            None => Bytes::new(),
        };
        let request = builder.body(Full::new(bytes)).map_err(|e| chain(&e))?;
        let response = self.http.request(request).await.map_err(|e| chain(&e))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| chain(&e))?.to_bytes();
        Ok(Reply {
            status: parts.status,
            body,
        })
    }
}

/// An error and its sources, `outer: inner: root` (hyper's own message,
/// "client error (Connect)", hides the TLS or socket cause).
fn chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// What a failed reply says: the SCIM error's `scimType` and `detail`, or
/// the start of the body.
fn error_detail(reply: &Reply) -> String {
    if let Some(body) = reply.json() {
        let detail = body.get("detail").and_then(Value::as_str);
        let scim_type = body.get("scimType").and_then(Value::as_str);
        match (scim_type, detail) {
            (Some(t), Some(d)) => return format!("{t}: {d}"),
            (None, Some(d)) => return d.to_owned(),
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(&reply.body);
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    if short.is_empty() {
        "(empty body)".to_owned()
    } else {
        short
    }
}

/// TLS settings: TLS 1.2 and 1.3 with ring, trusting the system store and
/// `ca_cert`. The system store is only read for https URLs.
fn tls_config(https: bool, ca_cert: Option<&Path>) -> anyhow::Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    if https {
        // Certificates the platform store holds but rustls cannot parse are
        // skipped, as browsers skip them.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
    }
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.with_context(|| format!("--ca-cert {}: bad PEM", path.display()))?;
            roots.add(cert).with_context(|| {
                format!("--ca-cert {}: not a usable CA certificate", path.display())
            })?;
            added += 1;
        }
        if added == 0 {
            bail!("--ca-cert {}: no PEM certificate in it", path.display());
        }
    }
    if https && roots.is_empty() {
        bail!("no trusted CA certificates: the system store is empty; pass --ca-cert");
    }
    Ok(ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("the TLS provider supports no protocol version")?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// The `id` of a created (or read) resource, when the body has a
/// non-empty one.
pub(crate) fn resource_id(reply: &Reply) -> Result<String, &'static str> {
    let body = reply.json().ok_or("bad-body")?;
    body.get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or("missing-id")
}

/// The outcome of a filtered lookup: no match, or the one match's `id`.
/// A body that is not a ListResponse is `bad-body`; several matches are
/// Entra's `DuplicateTargetEntries` (`duplicate-match`).
pub(crate) fn lookup_result(reply: &Reply) -> Result<Option<String>, &'static str> {
    let body = reply.json().ok_or("bad-body")?;
    let total = body
        .get("totalResults")
        .and_then(Value::as_u64)
        .ok_or("bad-body")?;
    match total {
        0 => Ok(None),
        1 => body
            .get("Resources")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|first| first.get("id"))
            .and_then(Value::as_str)
            .map(|id| Some(id.to_owned()))
            .ok_or("missing-id"),
        _ => Err("duplicate-match"),
    }
}

/// A group `displayName` lookup: as [`lookup_result`], and the match must
/// not carry `members`, which Entra excluded (it reports members in the
/// answer as an error).
pub(crate) fn group_lookup_result(reply: &Reply) -> Result<Option<String>, &'static str> {
    let found = lookup_result(reply)?;
    let body = reply.json().ok_or("bad-body")?;
    let first = body
        .get("Resources")
        .and_then(Value::as_array)
        .and_then(|r| r.first());
    if first.is_some_and(has_members) {
        return Err("members-returned");
    }
    Ok(found)
}

/// `GET /Groups/{id}?excludedAttributes=members`: the group, with an `id`
/// and without `members`.
pub(crate) fn group_read(reply: &Reply) -> Result<(), &'static str> {
    resource_id(reply)?;
    if reply.json().is_some_and(|g| has_members(&g)) {
        return Err("members-returned");
    }
    Ok(())
}

fn has_members(group: &Value) -> bool {
    group
        .get("members")
        .and_then(Value::as_array)
        .is_some_and(|m| !m.is_empty())
}

/// Any reply in an expected status will do (PATCH answers 200 or 204).
pub(crate) fn accept(_: &Reply) -> Result<(), &'static str> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn reply(body: &str) -> Reply {
        Reply {
            status: StatusCode::OK,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn lookups_are_judged_like_entra_judges_them() {
        assert_eq!(
            lookup_result(&reply(r#"{"totalResults":0,"Resources":[]}"#)),
            Ok(None)
        );
        assert_eq!(lookup_result(&reply(r#"{"totalResults":0}"#)), Ok(None));
        assert_eq!(
            lookup_result(&reply(r#"{"totalResults":1,"Resources":[{"id":"x"}]}"#)),
            Ok(Some("x".to_owned()))
        );
        assert_eq!(
            lookup_result(&reply(
                r#"{"totalResults":2,"Resources":[{"id":"x"},{"id":"y"}]}"#
            )),
            Err("duplicate-match")
        );
        assert_eq!(
            lookup_result(&reply(r#"{"totalResults":1,"Resources":[{}]}"#)),
            Err("missing-id")
        );
        assert_eq!(lookup_result(&reply("not json")), Err("bad-body"));
        assert_eq!(resource_id(&reply(r#"{"id":"abc"}"#)), Ok("abc".to_owned()));
        assert_eq!(resource_id(&reply(r#"{"id":""}"#)), Err("missing-id"));
        let with_members =
            r#"{"totalResults":1,"Resources":[{"id":"g","members":[{"value":"u"}]}]}"#;
        assert_eq!(
            group_lookup_result(&reply(with_members)),
            Err("members-returned")
        );
        assert_eq!(
            group_lookup_result(&reply(
                r#"{"totalResults":1,"Resources":[{"id":"g","members":[]}]}"#
            )),
            Ok(Some("g".to_owned()))
        );
        assert_eq!(group_read(&reply(r#"{"id":"g"}"#)), Ok(()));
        assert_eq!(
            group_read(&reply(r#"{"id":"g","members":[{"value":"u"}]}"#)),
            Err("members-returned")
        );
    }

    #[test]
    fn failed_replies_are_summarised() {
        let scim = Reply {
            status: StatusCode::CONFLICT,
            body: Bytes::from_static(br#"{"scimType":"uniqueness","detail":"userName is taken"}"#),
        };
        assert_eq!(error_detail(&scim), "uniqueness: userName is taken");
        let plain = Reply {
            status: StatusCode::BAD_GATEWAY,
            body: Bytes::from("x".repeat(300)),
        };
        assert_eq!(error_detail(&plain).chars().count(), 201);
        let empty = Reply {
            status: StatusCode::BAD_GATEWAY,
            body: Bytes::new(),
        };
        assert_eq!(error_detail(&empty), "(empty body)");
    }

    #[test]
    fn only_absolute_http_and_https_urls_are_accepted() {
        let t = Duration::from_secs(1);
        let new = |url: &str, token: &str| ScimClient::new(url, token, t, 1, None);
        assert!(new("http://127.0.0.1:8080/scim/v2/", "t").is_ok());
        assert!(new("ftp://example.com/scim", "t").is_err());
        assert!(new("/scim/v2", "t").is_err());
        assert!(new("http://127.0.0.1/scim?aadOptscim062020", "t").is_err());
        assert!(new("http://127.0.0.1/scim", "bad\ntoken").is_err());
        let c = new("http://127.0.0.1:8080/scim/v2/", "t").unwrap();
        assert_eq!(c.base, "http://127.0.0.1:8080/scim/v2");
        let missing = Path::new("/nonexistent/ca.pem");
        assert!(ScimClient::new("https://localhost/scim", "t", t, 1, Some(missing)).is_err());
    }
}
