//! Authentication from the request head, before any body is read.
//!
//! A request body can be large (a megabyte by default), and reading it for a
//! caller who turns out to be unauthenticated hands anyone who can open a
//! connection a way to make the server hold memory. [`Service::authenticate`]
//! therefore decides from the head alone (route, credentials, media type,
//! `Content-Length`) whether a body is worth reading; only an
//! [`Authenticated`] request takes one.

use std::error::Error as StdError;
use std::fmt;

use http::Response;
use http::header::CONTENT_LENGTH;
use http::request::Parts;

use super::dispatch;
use super::limits::Permit;
use super::response::{self, ErrorInfo, RequestInfo};
use super::route::Route;
use super::{Principal, Service};
use crate::Error;
use crate::error::{Payload, Refusal};

/// A request whose head has passed [`Service::authenticate`], waiting for
/// its body.
///
/// Read the body with at most [`Authenticated::max_payload_size`] bytes,
/// then call [`Authenticated::handle`]; if the body is larger, answer
/// [`Authenticated::payload_too_large`], and if it cannot be read,
/// [`Authenticated::unreadable_body`].
#[must_use = "an authenticated request is answered by handle(body) or payload_too_large()"]
pub struct Authenticated {
    service: Service,
    parts: Parts,
    route: Route,
    principal: Option<Principal>,
    info: RequestInfo,
    /// The tenant's concurrency slot, held until the response is built.
    _permit: Option<Permit>,
}

impl Service {
    /// The first of two steps for an embedder that reads the body itself:
    /// checks the request head (route, authentication, media type and
    /// `Content-Length`) before any body is read.
    ///
    /// Public discovery endpoints ([`ServiceConfig::public_discovery`])
    /// pass without credentials, with no [`Principal`].
    ///
    /// [`Service::handle`] does both steps for a request whose body has
    /// already been read.
    ///
    /// # Errors
    ///
    /// The SCIM error response to send without reading the body: `401` or
    /// `403` from the [`Authenticator`], `404` for a path that is not a
    /// SCIM endpoint, `415` for a body that is not JSON, `413` for a
    /// `Content-Length` over the limit.
    ///
    /// ```
    /// # #[cfg(feature = "memory-store")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # use std::sync::Arc;
    /// # use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
    /// # use scim_core::schema::Registry;
    /// # use scim_core::store::memory::MemoryStore;
    /// # let service = Service::new(
    /// #     Arc::new(MemoryStore::new()),
    /// #     Registry::standard(),
    /// #     Arc::new(SingleTenant::new("secret-token")),
    /// #     ServiceConfig::new("/scim/v2"),
    /// # );
    /// let (parts, ()) = http::Request::post("/scim/v2/Users")
    ///     .header("authorization", "Bearer wrong")
    ///     .body(())
    ///     .expect("valid request")
    ///     .into_parts();
    /// // Rejected from the head: the body is never read.
    /// let rejected = service.authenticate(parts).await.err().expect("bad token");
    /// assert_eq!(rejected.status(), 401);
    ///
    /// let (parts, ()) = http::Request::get("/scim/v2/Users")
    ///     .header("authorization", "Bearer secret-token")
    ///     .body(())
    ///     .expect("valid request")
    ///     .into_parts();
    /// let authenticated = service.authenticate(parts).await.expect("good token");
    /// let body: &[u8] = b""; // read with at most authenticated.max_payload_size() bytes
    /// assert_eq!(authenticated.handle(body).await.status(), 200);
    /// # }
    /// # #[cfg(not(feature = "memory-store"))]
    /// # fn main() {}
    /// ```
    ///
    /// [`ServiceConfig::public_discovery`]: super::ServiceConfig::public_discovery
    /// [`Authenticator`]: super::Authenticator
    pub async fn authenticate(&self, parts: Parts) -> Result<Authenticated, Response<Vec<u8>>> {
        let mut info = RequestInfo::default();
        let head = match dispatch::authenticate(&self.inner, &parts, &mut info).await {
            Ok(head) => head,
            Err(e) => return Err(finish(self, Err(e), info)),
        };
        let limit = self.inner.config.max_payload_size;
        if let Some(length) = content_length(&parts).filter(|&n| n > limit) {
            return Err(finish(
                self,
                Err(Refusal::payload_too_large(
                    Payload::DeclaredBody {
                        size: length as u64,
                    },
                    limit as u64,
                )
                .into()),
                info,
            ));
        }
        let (route, principal, permit) = head;
        Ok(Authenticated {
            service: self.clone(),
            parts,
            route,
            principal,
            info,
            _permit: permit,
        })
    }
}

impl Authenticated {
    /// The second step: answers the request with its body. Never panics
    /// and never fails: every error is a SCIM error response.
    pub async fn handle<B: AsRef<[u8]>>(self, body: B) -> Response<Vec<u8>> {
        let Self {
            service,
            parts,
            route,
            principal,
            mut info,
            _permit,
        } = self;
        let body: &[u8] = body.as_ref();
        let result = dispatch::run(&service.inner, &parts, route, principal, body, &mut info).await;
        finish(&service, result, info)
    }

    /// The SCIM `413` for a body over [`Authenticated::max_payload_size`],
    /// for an embedder whose body reader stopped at the limit.
    pub fn payload_too_large(self) -> Response<Vec<u8>> {
        let limit = self.max_payload_size();
        let error = Refusal::payload_too_large(Payload::Body { size: None }, limit as u64).into();
        finish(&self.service, Err(error), self.info)
    }

    /// The SCIM `400 invalidSyntax` for a body that could not be read (the
    /// client broke off, or sent malformed chunked encoding).
    pub fn unreadable_body(self, error: &dyn StdError) -> Response<Vec<u8>> {
        let error = Error::invalid_syntax(format!("the request body could not be read: {error}"));
        finish(&self.service, Err(error), self.info)
    }

    /// The most body bytes to read ([`ServiceConfig::max_payload_size`]).
    ///
    /// [`ServiceConfig::max_payload_size`]: super::ServiceConfig::max_payload_size
    pub fn max_payload_size(&self) -> usize {
        self.service.inner.config.max_payload_size
    }

    /// The caller, or `None` for public discovery.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// The request head.
    pub fn parts(&self) -> &Parts {
        &self.parts
    }
}

impl fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("method", &self.parts.method)
            .field("uri", &self.parts.uri)
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

/// The response for `result`, with the tolerance counters updated and the
/// [`RequestInfo`] attached for the embedder's logs.
fn finish(
    service: &Service,
    result: Result<Response<Vec<u8>>, Error>,
    mut info: RequestInfo,
) -> Response<Vec<u8>> {
    let inner = &service.inner;
    let mut response = match result {
        Ok(r) => r,
        Err(e) => {
            info.error = Some(ErrorInfo::new(&e));
            response::error(&e, Some(&inner.auth.challenge()))
        }
    };
    inner.counters.add(info.fired);
    response.extensions_mut().insert(info);
    response
}

/// The declared body length, if the head gives a valid one.
fn content_length(parts: &Parts) -> Option<usize> {
    parts
        .headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
#[cfg(feature = "memory-store")]
mod tests {
    use std::sync::Arc;

    use http::{Request, StatusCode, header};

    use super::*;
    use crate::protocol::{SCIM_JSON, ServiceConfig, SingleTenant};
    use crate::schema::Registry;
    use crate::store::memory::MemoryStore;

    fn service(config: ServiceConfig) -> Service {
        Service::new(
            Arc::new(MemoryStore::new()),
            Registry::standard(),
            Arc::new(SingleTenant::new("secret")),
            config,
        )
    }

    fn head(request: http::request::Builder) -> Parts {
        request.body(()).unwrap().into_parts().0
    }

    #[tokio::test]
    async fn the_head_alone_decides_401_404_415_and_413() {
        let mut config = ServiceConfig::new("/scim/v2");
        config.max_payload_size = 100;
        let scim = service(config);
        let bearer = |b: http::request::Builder| b.header(header::AUTHORIZATION, "Bearer secret");
        let cases = [
            (
                head(Request::post("/scim/v2/Users")),
                StatusCode::UNAUTHORIZED,
            ),
            (
                head(bearer(Request::get("/scim/v2/Nothing"))),
                StatusCode::NOT_FOUND,
            ),
            (
                head(
                    bearer(Request::post("/scim/v2/Users"))
                        .header(header::CONTENT_TYPE, "text/xml"),
                ),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                head(bearer(Request::post("/scim/v2/Users")).header(CONTENT_LENGTH, "101")),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
        ];
        for (parts, status) in cases {
            let uri = parts.uri.clone();
            let rejected = scim.authenticate(parts).await.unwrap_err();
            assert_eq!(rejected.status(), status, "{uri}");
            assert_eq!(rejected.headers()[header::CONTENT_TYPE], SCIM_JSON);
            assert!(rejected.extensions().get::<RequestInfo>().is_some());
        }
    }

    #[tokio::test]
    async fn an_authenticated_head_takes_its_body() {
        let scim = service(ServiceConfig::new("/scim/v2"));
        let parts = head(
            Request::post("/scim/v2/Users")
                .header(header::AUTHORIZATION, "Bearer secret")
                .header(header::CONTENT_TYPE, SCIM_JSON),
        );
        let authenticated = scim.authenticate(parts).await.unwrap();
        assert_eq!(
            authenticated.principal().unwrap().tenant.as_str(),
            "default"
        );
        assert_eq!(authenticated.max_payload_size(), 1024 * 1024);
        assert!(!format!("{authenticated:?}").contains("secret"));
        let body =
            br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}"#;
        let response = authenticated.handle(body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let info = response.extensions().get::<RequestInfo>().unwrap();
        assert_eq!(info.tenant.as_deref(), Some("default"));
    }

    #[test]
    fn an_authenticated_request_can_move_to_another_task() {
        fn assert_send<T: Send + 'static>() {}
        assert_send::<Authenticated>();
    }

    #[tokio::test]
    async fn public_discovery_passes_without_a_principal() {
        let mut config = ServiceConfig::new("/scim/v2");
        config.public_discovery = true;
        let scim = service(config);
        let authenticated = scim
            .authenticate(head(Request::get("/scim/v2/Schemas")))
            .await
            .unwrap();
        assert!(authenticated.principal().is_none());
        assert_eq!(authenticated.handle([]).await.status(), StatusCode::OK);
        // Only discovery is public.
        assert!(
            scim.authenticate(head(Request::get("/scim/v2/Users")))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn the_413_of_a_stopped_reader_keeps_the_tenant_for_logs() {
        let scim = service(ServiceConfig::new("/scim/v2"));
        let parts =
            head(Request::post("/scim/v2/Users").header(header::AUTHORIZATION, "Bearer secret"));
        let response = scim.authenticate(parts).await.unwrap().payload_too_large();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let info = response.extensions().get::<RequestInfo>().unwrap();
        assert_eq!(info.tenant.as_deref(), Some("default"));
    }
}
