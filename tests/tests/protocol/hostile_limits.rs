//! Hostile input never panics, never hangs and never answers 5xx: absurd
//! paging values, garbage headers, maximal bulk requests, and the caps on
//! the work one request may ask for (pitfalls.md, "HTTP and hostile
//! input").

use http::Method;
use scim_core::protocol::ServiceConfig;
use scim_tests::{
    BASE, Harness, SEARCH_REQUEST, USER_SCHEMA, bulk_request, patch_op, search_request,
};
use serde_json::{Value, json};

use crate::hostile::{assert_client_error, encode, user_body, user_count};

// ---------------------------------------------------------------------------
// Paging values
// ---------------------------------------------------------------------------

#[tokio::test]
async fn huge_and_negative_paging_values_are_clamped() {
    let scim = Harness::new();
    for name in ["alice", "bob", "carol"] {
        scim.create_user(name).await;
    }
    for (query, items) in [
        ("startIndex=99999999999999999999999", 0),
        ("startIndex=9223372036854775807", 0),
        (
            "startIndex=9223372036854775807&count=9223372036854775807",
            0,
        ),
        ("count=99999999999999999999", 3),
        ("count=9223372036854775807", 3),
        ("startIndex=-99999999999999999999&count=2", 2),
        ("startIndex=-9223372036854775808", 3),
        ("count=-99999999999999999999", 0),
        ("count=-9223372036854775808", 0),
        ("startIndex=&count=", 3),
        ("startIndex=%20&count=%20", 3),
    ] {
        let r = scim.get(&format!("/Users?{query}")).await.expect(200);
        assert_eq!(r.body["totalResults"], 3, "{query}");
        assert_eq!(r.body["itemsPerPage"], items, "{query}");
        assert_eq!(
            r.body["Resources"].as_array().unwrap().len(),
            items,
            "{query}"
        );
        assert!(
            r.body["startIndex"].as_u64().is_some_and(|s| s >= 1),
            "{query}"
        );
    }
    for body in [
        json!({"startIndex": 18_446_744_073_709_551_615_u64, "count": -1}),
        json!({"startIndex": -5, "count": 18_446_744_073_709_551_615_u64}),
    ] {
        let mut request = body.clone();
        request["schemas"] = json!([SEARCH_REQUEST]);
        scim.post("/Users/.search", request.clone())
            .await
            .expect(200);
        scim.post("/.search", request).await.expect(200);
    }
}

#[tokio::test]
async fn non_integer_paging_values_are_400_invalid_value() {
    let scim = Harness::new();
    scim.create_user("alice").await;
    for query in [
        "count=abc",
        "count=1.5",
        "startIndex=x",
        "count=0x10",
        "count=1e3",
        "startIndex=1-2",
        "count=--1",
    ] {
        scim.get(&format!("/Users?{query}"))
            .await
            .expect_error(400, Some("invalidValue"));
    }
    for value in [
        json!("abc"),
        json!(true),
        json!([1]),
        json!({"n": 1}),
        json!(2.5),
    ] {
        scim.post(
            "/Users/.search",
            search_request(json!({"count": value.clone()})),
        )
        .await
        .expect_error(400, Some("invalidValue"));
        scim.post("/.search", search_request(json!({"startIndex": value})))
            .await
            .expect_error(400, Some("invalidValue"));
    }
}

// ---------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------

#[tokio::test]
async fn garbage_conditional_headers_never_cause_a_5xx() {
    let scim = Harness::new();
    let id = scim.create_user("alice").await;
    let path = format!("/Users/{id}");
    let long = "W/\"".to_owned() + &"x".repeat(10_000) + "\"";
    for tag in [
        "\"unterminated",
        "W/",
        "",
        ",,,",
        "W/\"a\"\"b\"",
        long.as_str(),
        "*x",
    ] {
        scim.send_with(
            Method::PATCH,
            &path,
            Some(patch_op(
                json!([{"op": "add", "path": "title", "value": "x"}]),
            )),
            &[("if-match", tag)],
        )
        .await
        .expect_error(412, None);
        scim.send_with(Method::DELETE, &path, None, &[("if-match", tag)])
            .await
            .expect_error(412, None);
        scim.send_with(Method::GET, &path, None, &[("if-none-match", tag)])
            .await
            .expect(200);
    }
    assert!(
        scim.get(&path)
            .await
            .expect(200)
            .body
            .get("title")
            .is_none()
    );
}

#[tokio::test]
async fn garbage_authorization_and_content_type_headers_are_client_errors() {
    let scim = Harness::new();
    let huge = format!("Bearer {}", "t".repeat(16_000));
    for auth in [
        huge.as_str(),
        "Bearer  ",
        "Bearer test-token test-token",
        "Negotiate xyz",
    ] {
        let r = scim
            .send_raw(Method::GET, "/Users", None, &[("authorization", auth)])
            .await;
        assert_client_error(&r, 401);
    }
    for content_type in [
        "",
        "garbage",
        "application/",
        "/json",
        "application/json+xml;;;",
        "text/json",
    ] {
        let r = scim
            .send_bytes(
                Method::POST,
                "/Users",
                Some(serde_json::to_vec(&user_body("alice")).unwrap()),
                &[("content-type", content_type)],
            )
            .await;
        assert_client_error(&r, 415);
    }
    assert_eq!(user_count(&scim).await, 0);
}

// ---------------------------------------------------------------------------
// Bulk
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_maximal_bulk_request_of_unresolvable_references_ends() {
    let scim = Harness::new();
    // 1,000 operations (the default maximum) in one reference cycle.
    let ops: Vec<Value> = (0..1_000)
        .map(|i| {
            json!({
                "method": "POST",
                "path": "/Groups",
                "bulkId": format!("g{i}"),
                "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                         "displayName": format!("G{i}"),
                         "members": [{"value": format!("bulkId:g{}", (i + 1) % 1_000)}]}
            })
        })
        .collect();
    let r = scim
        .post("/Bulk", bulk_request(Value::Array(ops)))
        .await
        .expect(200);
    let results = r.body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), 1_000);
    assert!(results.iter().all(|op| {
        op["status"]
            .as_str()
            .is_some_and(|s| s.starts_with('4') || s == "201")
    }));
}

// ---------------------------------------------------------------------------
// Caps on the work one request may ask for (ServiceConfig)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_patch_over_max_patch_operations_is_413_and_changes_nothing() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let ops = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"op": "replace", "path": "title", "value": format!("t{i}")}))
            .collect()
    };
    let r = scim
        .patch(&format!("/Users/{id}"), patch_op(ops(1_001)))
        .await
        .expect_error(413, None);
    assert!(
        r.body["detail"].as_str().unwrap().contains("limit is 1000"),
        "{}",
        r.body
    );
    let user = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert!(user.body.get("title").is_none());
    let r = scim
        .patch(&format!("/Users/{id}"), patch_op(ops(1_000)))
        .await
        .expect(200);
    assert_eq!(r.body["title"], "t999");
}

/// `userName co "x0" or userName co "x1" or …` with `n` comparisons.
fn co_chain(n: usize) -> String {
    (0..n)
        .map(|i| format!("userName co \"x{i}\""))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[tokio::test]
async fn a_filter_over_max_filter_operands_is_400_too_many_everywhere() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let over = co_chain(101);
    let r = scim
        .get(&format!("/Users?filter={}", encode(&over)))
        .await
        .expect_error(400, Some("tooMany"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("limit is 100"),
        "{}",
        r.body
    );
    scim.post("/Users/.search", search_request(json!({"filter": over})))
        .await
        .expect_error(400, Some("tooMany"));
    scim.post("/.search", search_request(json!({"filter": over})))
        .await
        .expect_error(400, Some("tooMany"));
    // Comparisons inside a value path count too, and so do PATCH paths.
    let inside = format!("emails[{}]", co_chain(101).replace("userName", "value"));
    scim.get(&format!("/Users?filter={}", encode(&inside)))
        .await
        .expect_error(400, Some("tooMany"));
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(json!([{"op": "remove", "path": inside}])),
    )
    .await
    .expect_error(400, Some("tooMany"));
    // At the limit the filter is evaluated.
    let r = scim
        .post(
            "/Users/.search",
            search_request(json!({"filter": co_chain(100)})),
        )
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
}

fn emails(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"value": format!("u{i}@example.com")}))
        .collect()
}

#[tokio::test]
async fn more_values_than_max_values_per_attribute_is_400_invalid_value() {
    let scim = Harness::new();
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "many", "emails": emails(1_001)}),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("1000 values"),
        "{}",
        r.body
    );
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "full", "emails": emails(1_000)}),
        )
        .await
        .expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    // One more by PATCH, or by PUT, is refused; the user keeps its 1,000.
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(
            json!([{"op": "add", "path": "emails", "value": [{"value": "one@more.example"}]}]),
        ),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    scim.put(
        &format!("/Users/{id}"),
        json!({"schemas": [USER_SCHEMA], "userName": "full", "emails": emails(1_001)}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let user = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(user.body["emails"].as_array().unwrap().len(), 1_000);
    assert_eq!(user_count(&scim).await, 1);
}

#[tokio::test]
async fn a_resource_over_max_resource_size_is_400_invalid_value() {
    let scim = Harness::new();
    let big = "x".repeat(300 * 1024);
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "big", "title": big}),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("limit is 262144"),
        "{}",
        r.body
    );
    // Growing a resource step by step stops at the limit too.
    let id = scim.create_user("grower").await;
    let half = "y".repeat(150 * 1024);
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(json!([{"op": "add", "path": "title", "value": half}])),
    )
    .await
    .expect(200);
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(json!([{"op": "add", "path": "displayName", "value": half}])),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let user = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert!(user.body.get("displayName").is_none());
}

#[tokio::test]
async fn group_members_are_exempt_from_the_value_and_size_caps() {
    let mut config = ServiceConfig::new(BASE);
    config.max_values_per_attribute = 10;
    config.max_resource_size = 2048;
    let scim = Harness::with_config(config);
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(scim.create_user(&format!("member{i}")).await);
    }
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let r = scim
        .post(
            "/Groups",
            json!({"schemas": [scim_tests::GROUP_SCHEMA], "displayName": "big", "members": members[..100]}),
        )
        .await
        .expect(201);
    let gid = r.body["id"].as_str().unwrap().to_owned();
    // A member-only PATCH, and one that also renames (the whole-group path).
    scim.patch(
        &format!("/Groups/{gid}"),
        patch_op(json!([{"op": "add", "path": "members", "value": members[100..150]}])),
    )
    .await
    .expect(204);
    scim.patch(
        &format!("/Groups/{gid}"),
        patch_op(json!([
            {"op": "replace", "path": "displayName", "value": "bigger"},
            {"op": "add", "path": "members", "value": members[150..]},
        ])),
    )
    .await
    .expect(204);
    let group = scim.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(group.body["displayName"], "bigger");
    assert_eq!(group.body["members"].as_array().unwrap().len(), 200);
    // Other attributes of a group are still capped.
    scim.patch(
        &format!("/Groups/{gid}"),
        patch_op(json!([{"op": "replace", "path": "displayName", "value": "z".repeat(4096)}])),
    )
    .await
    .expect_error(400, Some("invalidValue"));
}

// ---------------------------------------------------------------------------
// Requests in flight per tenant
// ---------------------------------------------------------------------------

mod held {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use scim_core::Error;
    use scim_core::id::{ResourceId, Version};
    use scim_core::list::{ListQuery, QueryResult};
    use scim_core::project::Projection;
    use scim_core::protocol::{Authenticator, Principal};
    use scim_core::resource::Resource;
    use scim_core::schema::ResourceSchema;
    use scim_core::store::memory::MemoryStore;
    use scim_core::store::{MemberDelta, ResourceStore, StoreError, TenantId};
    use scim_core::time::OffsetDateTime;
    use tokio::sync::Semaphore;

    /// A memory store whose queries wait until the test lets them go.
    #[derive(Debug)]
    pub(super) struct HeldStore {
        inner: MemoryStore,
        gate: Semaphore,
        pub(super) waiting: AtomicUsize,
    }

    impl HeldStore {
        pub(super) fn new() -> Self {
            Self {
                inner: MemoryStore::new(),
                gate: Semaphore::new(0),
                waiting: AtomicUsize::new(0),
            }
        }

        pub(super) fn release(&self) {
            self.gate.add_permits(1);
        }
    }

    #[scim_core::async_trait]
    impl ResourceStore for HeldStore {
        async fn create(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            r: Resource,
        ) -> Result<Resource, StoreError> {
            self.inner.create(t, s, r).await
        }

        async fn get(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            id: &ResourceId,
            p: &Projection,
        ) -> Result<Option<Resource>, StoreError> {
            self.inner.get(t, s, id, p).await
        }

        async fn replace(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            r: Resource,
            v: &Version,
        ) -> Result<Resource, StoreError> {
            self.inner.replace(t, s, r, v).await
        }

        async fn delete(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            id: &ResourceId,
            v: Option<&Version>,
        ) -> Result<(), StoreError> {
            self.inner.delete(t, s, id, v).await
        }

        async fn query(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            q: &ListQuery,
        ) -> Result<QueryResult, StoreError> {
            self.waiting.fetch_add(1, Ordering::SeqCst);
            // The permit goes back at once, so one release lets all go.
            drop(self.gate.acquire().await);
            self.inner.query(t, s, q).await
        }

        async fn modify_members(
            &self,
            t: &TenantId,
            s: &ResourceSchema,
            id: &ResourceId,
            d: &MemberDelta,
            v: Option<&Version>,
            at: OffsetDateTime,
        ) -> Result<Version, StoreError> {
            self.inner.modify_members(t, s, id, d, v, at).await
        }
    }

    /// The token is the tenant's name.
    #[derive(Debug)]
    pub(super) struct TokenIsTenant;

    #[scim_core::async_trait]
    impl Authenticator for TokenIsTenant {
        async fn authenticate(&self, request: &http::request::Parts) -> Result<Principal, Error> {
            scim_core::protocol::bearer_token(request)
                .map(|t| Principal::new(TenantId::new(t)))
                .ok_or_else(|| Error::unauthorized("no token".to_owned()))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_max_concurrent_requests_per_tenant_are_429_with_retry_after() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    let store = Arc::new(held::HeldStore::new());
    let mut config = ServiceConfig::new(BASE);
    config.max_concurrent_requests_per_tenant = 2;
    config.concurrency_retry_after = 3;
    let service = scim_core::protocol::Service::new(
        store.clone(),
        scim_core::schema::Registry::standard(),
        Arc::new(held::TokenIsTenant),
        config,
    );
    let scim = Arc::new(Harness::from_service(service));
    let held: Vec<_> = (0..2)
        .map(|_| {
            let scim = scim.clone();
            tokio::spawn(async move { scim.send_as("a", Method::GET, "/Users", None).await })
        })
        .collect();
    while store.waiting.load(Ordering::SeqCst) < 2 {
        tokio::task::yield_now().await;
    }
    let r = scim.send_as("a", Method::GET, "/Users/some-id", None).await;
    assert_client_error(&r, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("2 requests"),
        "{}",
        r.body
    );
    // Another tenant is not held up.
    scim.send_as("b", Method::GET, "/Users/some-id", None)
        .await
        .expect(404);
    store.release();
    for h in held {
        h.await.unwrap().expect(200);
    }
    // Finished requests give their places back.
    scim.send_as("a", Method::GET, "/Users/some-id", None)
        .await
        .expect(404);
}

// ---------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_request_with_two_authorization_headers_is_400() {
    let scim = Harness::new();
    let auth = format!("Bearer {}", scim_tests::TOKEN);
    for second in [auth.as_str(), "Bearer wrong", "Basic Zm9vOmJhcg=="] {
        let r = scim
            .send_raw(
                Method::GET,
                "/Users",
                None,
                &[("authorization", &auth), ("authorization", second)],
            )
            .await
            .expect_error(400, Some("invalidSyntax"));
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("one Authorization"),
            "{}",
            r.body
        );
    }
    // Also when the wrong one comes first.
    scim.send_raw(
        Method::POST,
        "/Users",
        Some(serde_json::to_vec(&user_body("x")).unwrap()),
        &[("authorization", "Bearer wrong"), ("authorization", &auth)],
    )
    .await
    .expect_error(400, Some("invalidSyntax"));
    assert_eq!(user_count(&scim).await, 0);
}

/// `n` group creations, each naming the next 30 groups of the request
/// as members: every reference points forward, so in-order processing
/// has to wait for almost every operation.
fn forward_chain(n: usize) -> Value {
    (0..n)
        .map(|i| {
            let members: Vec<Value> = (i + 1..(i + 31).min(n))
                .map(|j| json!({"value": format!("bulkId:g{j}")}))
                .collect();
            json!({
                "method": "POST",
                "path": "/Groups",
                "bulkId": format!("g{i}"),
                "data": {"schemas": [scim_tests::GROUP_SCHEMA],
                         "displayName": format!("G{i}"),
                         "members": members}
            })
        })
        .collect()
}

/// Runs the chain of `n` and returns how long it took and the number of
/// operations the service reported for the rate limiter.
async fn run_chain(n: usize) -> (std::time::Duration, usize) {
    let scim = Harness::new();
    let body = serde_json::to_vec(&bulk_request(forward_chain(n))).unwrap();
    let request = http::Request::post(format!("{BASE}/Bulk"))
        .header("authorization", format!("Bearer {}", scim_tests::TOKEN))
        .header("content-type", "application/scim+json")
        .body(body)
        .unwrap();
    let started = std::time::Instant::now();
    let response = scim.service.handle(request).await;
    let took = started.elapsed();
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    let results = body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), n);
    assert!(results.iter().all(|op| op["status"] == "201"), "{body}");
    let info = response
        .extensions()
        .get::<scim_core::protocol::RequestInfo>()
        .unwrap();
    (took, info.operations)
}

#[tokio::test]
async fn resolving_forward_bulk_ids_grows_linearly_and_counts_each_operation() {
    // Once one pass over every operation per resolved reference: 1,000
    // operations with 30 references each took 13.6 s. Four times the
    // operations must cost far less than sixteen times the time; the
    // generous bound leaves room for a busy machine.
    let (small, small_ops) = run_chain(250).await;
    let (large, large_ops) = run_chain(1_000).await;
    assert_eq!((small_ops, large_ops), (250, 1_000));
    assert!(
        large < small * 10,
        "250 operations took {small:?}, 1,000 took {large:?}"
    );
}

#[tokio::test]
async fn the_path_filters_of_one_patch_are_capped_together_except_for_members() {
    let scim = Harness::new();
    let id = scim.create_user("bjensen").await;
    let ops = |n: usize, attr: &str| -> Value {
        (0..n)
            .map(|i| json!({"op": "remove", "path": format!("{attr}[value eq \"x{i}\"]")}))
            .collect()
    };
    let r = scim
        .patch(&format!("/Users/{id}"), patch_op(ops(101, "emails")))
        .await
        .expect_error(400, Some("tooMany"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("101 filter comparisons"),
        "{}",
        r.body
    );
    scim.patch(&format!("/Users/{id}"), patch_op(ops(100, "emails")))
        .await
        .expect(200);
    // A members-only PATCH is applied by id, so its filters are not summed.
    let member = scim.create_user("member").await;
    let gid = scim.create_group("G", &[&member]).await;
    scim.patch(&format!("/Groups/{gid}"), patch_op(ops(500, "members")))
        .await
        .expect(204);
}

#[tokio::test(flavor = "current_thread")]
async fn a_long_patch_lets_other_requests_run_between_its_operations() {
    // One executor thread: without yields the PATCH would run to the end
    // before the GET was even polled.
    let scim = std::sync::Arc::new(Harness::new());
    let r = scim
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "w", "emails": emails(1_000)}),
        )
        .await
        .expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let ops: Value = (0..1_000)
        .map(|i| json!({"op": "add", "path": "emails", "value": [{"value": format!("u{i}@example.com")}]}))
        .collect();
    let patch = {
        let scim = scim.clone();
        tokio::spawn(async move { scim.patch(&format!("/Users/{id}"), patch_op(ops)).await })
    };
    let get = {
        let scim = scim.clone();
        tokio::spawn(async move { scim.get("/Users?count=1").await })
    };
    get.await.unwrap().expect(200);
    assert!(!patch.is_finished(), "the GET waited for the whole PATCH");
    patch.await.unwrap().expect(200);
}
