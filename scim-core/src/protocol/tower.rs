//! A [`tower::Service`] adapter, for axum, tower stacks and hyper-util.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::uri::PathAndQuery;
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tower::BoxError;

use super::Service;

/// The SCIM service as a [`tower::Service`]: it authenticates each request
/// from its head, reads the body only for an authenticated caller and
/// never more than [`ServiceConfig::max_payload_size`] bytes (a larger body
/// is answered with the SCIM `413`), then answers it like
/// [`Service::handle`].
///
/// Made by [`Service::into_tower`]. It accepts any request body whose data
/// is [`bytes::Buf`] and whose error converts into a [`BoxError`], so it
/// mounts in axum in one line:
///
/// ```
/// # #[cfg(feature = "memory-store")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
///
/// use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
/// use scim_core::schema::Registry;
/// use scim_core::store::memory::MemoryStore;
/// use tower::ServiceExt as _;
///
/// let scim = Service::new(
///     Arc::new(MemoryStore::new()),
///     Registry::standard(),
///     Arc::new(SingleTenant::new("secret-token")),
///     ServiceConfig::new("/scim/v2"),
/// );
/// // In axum: `Router::new().nest_service("/scim/v2", scim.into_tower().nested())`
/// // (axum's `nest_service` strips the mount path, hence `nested`).
/// let tower = scim.into_tower();
/// let request = http::Request::get("/scim/v2/Users")
///     .header("authorization", "Bearer secret-token")
///     .body(String::new())
///     .expect("valid request");
/// let response = tower.oneshot(request).await.expect("infallible");
/// assert_eq!(response.status(), 200);
/// # }
/// # #[cfg(not(feature = "memory-store"))]
/// # fn main() {}
/// ```
///
/// [`ServiceConfig::max_payload_size`]: super::ServiceConfig::max_payload_size
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
#[derive(Clone, Debug)]
pub struct TowerService {
    service: Service,
    nested: bool,
}

impl Service {
    /// This service as a [`tower::Service`]; see [`TowerService`].
    #[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
    pub fn into_tower(self) -> TowerService {
        TowerService {
            service: self,
            nested: false,
        }
    }
}

impl TowerService {
    /// For a router that strips the mount path before calling the service,
    /// as axum's `nest_service` does: the adapter puts
    /// [`ServiceConfig::base_path`] back in front of the path it receives,
    /// so that routing, `Location` and `meta.location` see the full path.
    ///
    /// [`ServiceConfig::base_path`]: super::ServiceConfig::base_path
    #[must_use]
    pub fn nested(mut self) -> Self {
        self.nested = true;
        self
    }

    /// The service behind the adapter.
    pub fn service(&self) -> &Service {
        &self.service
    }
}

impl<B> tower::Service<Request<B>> for TowerService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let service = self.service.clone();
        let nested = self.nested;
        ResponseFuture(Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            if nested {
                parts.uri = below(&service.inner.config.base_path, &parts.uri);
            }
            let response = match service.authenticate(parts).await {
                // Answered from the head: the body is dropped unread.
                Err(rejected) => rejected,
                Ok(authenticated) => {
                    match Limited::new(body, authenticated.max_payload_size())
                        .collect()
                        .await
                    {
                        Ok(collected) => authenticated.handle(collected.to_bytes()).await,
                        Err(e) if e.is::<LengthLimitError>() => authenticated.payload_too_large(),
                        Err(e) => authenticated.unreadable_body(&*e),
                    }
                }
            };
            Ok(response.map(ResponseBody::new))
        }))
    }
}

/// `uri` with `base` put in front of its path.
fn below(base: &str, uri: &Uri) -> Uri {
    if base.is_empty() {
        return uri.clone();
    }
    let path = uri.path().trim_start_matches('/');
    let joined = match uri.query() {
        Some(query) => format!("{base}/{path}?{query}"),
        None => format!("{base}/{path}"),
    };
    let mut parts = uri.clone().into_parts();
    match PathAndQuery::try_from(joined) {
        Ok(pq) => parts.path_and_query = Some(pq),
        // The base path is not a valid URI path: route the URI as it came,
        // which answers a SCIM 404 naming the base path.
        Err(_) => return uri.clone(),
    }
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

/// The body of a [`TowerService`] response: the whole SCIM response in one
/// frame.
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
#[derive(Clone, Debug, Default)]
pub struct ResponseBody {
    data: Bytes,
}

impl ResponseBody {
    fn new(data: Vec<u8>) -> Self {
        Self {
            data: Bytes::from(data),
        }
    }

    /// The body's bytes (taken: a body that has been polled is empty).
    pub fn into_bytes(self) -> Bytes {
        self.data
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let data = std::mem::take(&mut self.get_mut().data);
        Poll::Ready((!data.is_empty()).then(|| Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

/// The future of a [`TowerService`] call.
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub struct ResponseFuture(
    Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>,
);

impl Future for ResponseFuture {
    type Output = Result<Response<ResponseBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

#[cfg(test)]
#[cfg(feature = "memory-store")]
mod tests {
    use std::sync::Arc;

    use http::{StatusCode, header};
    use http_body_util::Full;
    use tower::ServiceExt as _;

    use super::*;
    use crate::protocol::{SCIM_JSON, ServiceConfig, SingleTenant};
    use crate::schema::Registry;
    use crate::store::memory::MemoryStore;

    const USER: &str =
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}"#;

    fn scim(config: ServiceConfig) -> TowerService {
        Service::new(
            Arc::new(MemoryStore::new()),
            Registry::standard(),
            Arc::new(SingleTenant::new("secret")),
            config,
        )
        .into_tower()
    }

    fn post(path: &str, token: &str, body: &'static str) -> Request<Full<Bytes>> {
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, SCIM_JSON)
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .unwrap()
    }

    async fn json(response: Response<ResponseBody>) -> serde_json::Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// A body that fails the test if anyone reads it.
    struct Untouchable;

    impl Body for Untouchable {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            panic!("the body of an unauthenticated request was read");
        }
    }

    /// A body that fails when read, like a client that broke off.
    struct Broken;

    impl Body for Broken {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(Some(Err(std::io::Error::other("connection reset"))))
        }
    }

    #[tokio::test]
    async fn creates_and_reads_a_user_through_tower() {
        let scim = scim(ServiceConfig::new("/scim/v2"));
        let created = scim
            .clone()
            .oneshot(post("/scim/v2/Users", "secret", USER))
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let location = created.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(json(created).await["userName"], "bjensen");
        let path = location.split_once("/scim/v2/").unwrap().1;
        let read = scim
            .oneshot(
                Request::get(format!("/scim/v2/{path}"))
                    .header(header::AUTHORIZATION, "Bearer secret")
                    .body(Full::<Bytes>::default())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(read.status(), StatusCode::OK);
        assert!(
            read.extensions()
                .get::<crate::protocol::RequestInfo>()
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_bad_token_is_answered_without_reading_the_body() {
        let request = Request::post("/scim/v2/Users")
            .header(header::AUTHORIZATION, "Bearer wrong")
            .header(header::CONTENT_TYPE, SCIM_JSON)
            .body(Untouchable)
            .unwrap();
        let response = scim(ServiceConfig::new("/scim/v2"))
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(
            json(response).await["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
    }

    #[tokio::test]
    async fn public_discovery_needs_no_token_and_no_body() {
        let mut config = ServiceConfig::new("/scim/v2");
        config.public_discovery = true;
        let request = Request::get("/scim/v2/ServiceProviderConfig")
            .body(Full::<Bytes>::default())
            .unwrap();
        let response = scim(config).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_a_scim_413() {
        let mut config = ServiceConfig::new("/scim/v2");
        config.max_payload_size = USER.len() - 1;
        let response = scim(config)
            .oneshot(post("/scim/v2/Users", "secret", USER))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers()[header::CONTENT_TYPE], SCIM_JSON);
        let body = json(response).await;
        assert_eq!(body["status"], "413");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(&(USER.len() - 1).to_string()), "{detail}");
    }

    #[tokio::test]
    async fn a_content_length_over_the_limit_is_a_413_before_the_body_is_read() {
        let mut config = ServiceConfig::new("/scim/v2");
        config.max_payload_size = 10;
        let request = Request::post("/scim/v2/Users")
            .header(header::AUTHORIZATION, "Bearer secret")
            .header(header::CONTENT_TYPE, SCIM_JSON)
            .header(header::CONTENT_LENGTH, "11")
            .body(Untouchable)
            .unwrap();
        let response = scim(config).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn a_body_that_cannot_be_read_is_a_400() {
        let request = Request::post("/scim/v2/Users")
            .header(header::AUTHORIZATION, "Bearer secret")
            .header(header::CONTENT_TYPE, SCIM_JSON)
            .body(Broken)
            .unwrap();
        let response = scim(ServiceConfig::new("/scim/v2"))
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = json(response).await;
        assert_eq!(body["scimType"], "invalidSyntax");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("connection reset")
        );
    }

    #[tokio::test]
    async fn nested_puts_the_base_path_back() {
        let scim = scim(ServiceConfig::new("/scim/v2")).nested();
        let created = scim
            .clone()
            .oneshot(post("/Users", "secret", USER))
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let location = created.headers()[header::LOCATION].to_str().unwrap();
        assert!(location.contains("/scim/v2/Users/"), "{location}");
        let listed = scim
            .oneshot(
                Request::get("/Users?filter=userName%20eq%20%22bjensen%22")
                    .header(header::AUTHORIZATION, "Bearer secret")
                    .body(Full::<Bytes>::default())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(json(listed).await["totalResults"], 1);
    }

    #[test]
    fn the_adapter_can_be_shared_across_threads_as_axum_requires() {
        fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
        fn assert_send<T: Send + 'static>() {}
        assert_shareable::<TowerService>();
        assert_send::<ResponseFuture>();
        assert_send::<ResponseBody>();
    }

    #[test]
    fn below_joins_the_base_path_and_keeps_the_query() {
        let uri: Uri = "/Users?count=1".parse().unwrap();
        assert_eq!(below("/scim/v2", &uri), "/scim/v2/Users?count=1");
        assert_eq!(below("/scim/v2", &"/".parse().unwrap()), "/scim/v2/");
        assert_eq!(below("", &uri), uri);
    }

    #[test]
    fn the_response_body_is_one_frame() {
        let body = ResponseBody::new(b"{}".to_vec());
        assert_eq!(body.size_hint().exact(), Some(2));
        assert!(!body.is_end_stream());
        assert!(ResponseBody::default().is_end_stream());
        assert_eq!(body.into_bytes(), Bytes::from_static(b"{}"));
    }
}
