//! Tenant isolation: two tokens, two tenants, one store.

use std::pin::Pin;
use std::sync::Arc;

use http::Method;
use scim_core::Error;
use scim_core::protocol::{Authenticator, Principal, Service, ServiceConfig, bearer_token};
use scim_core::schema::Registry;
use scim_core::store::TenantId;
use scim_core::store::memory::MemoryStore;
use scim_tests::{BASE, GROUP_SCHEMA as GROUP, Harness, patch_op, search_request};
use serde_json::{Value, json};

use super::{id_of, user_body};

// ---------------------------------------------------------------------------
// Tenant isolation: two tokens, two tenants, one store
// ---------------------------------------------------------------------------

/// Maps the token `alpha-token` to tenant `alpha` and `beta-token` to
/// tenant `beta`.
#[derive(Debug)]
struct TwoTenants;

type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Principal, Error>> + Send + 'a>>;

impl Authenticator for TwoTenants {
    // The desugared form of `#[async_trait] async fn authenticate`.
    fn authenticate<'life0, 'life1, 'async_trait>(
        &'life0 self,
        request: &'life1 http::request::Parts,
    ) -> AuthFuture<'async_trait>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            match bearer_token(request) {
                Some("alpha-token") => Ok(Principal::new(TenantId::new("alpha"))),
                Some("beta-token") => Ok(Principal::new(TenantId::new("beta"))),
                _ => Err(Error::unauthorized("unknown token".to_owned())),
            }
        })
    }
}

#[tokio::test]
async fn tenants_sharing_one_store_never_see_each_others_data() {
    let service = Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(TwoTenants),
        ServiceConfig::new(BASE),
    );
    let scim = Harness::from_service(service);
    let alpha = |m: Method, p: &str, b: Option<Value>| {
        let scim = scim.clone();
        let p = p.to_owned();
        async move { scim.send_as("alpha-token", m, &p, b).await }
    };
    let beta = |m: Method, p: &str, b: Option<Value>| {
        let scim = scim.clone();
        let p = p.to_owned();
        async move { scim.send_as("beta-token", m, &p, b).await }
    };

    let a_user = id_of(
        &alpha(Method::POST, "/Users", Some(user_body("shared-name")))
            .await
            .expect(201),
    );
    let a_group = id_of(
        &alpha(
            Method::POST,
            "/Groups",
            Some(json!({"schemas": [GROUP], "displayName": "Alpha Group", "members": [{"value": a_user}]})),
        )
        .await
        .expect(201),
    );

    // Beta sees nothing of alpha's.
    beta(Method::GET, &format!("/Users/{a_user}"), None)
        .await
        .expect_error(404, None);
    beta(Method::GET, &format!("/Groups/{a_group}"), None)
        .await
        .expect_error(404, None);
    let list = beta(Method::GET, "/Users", None).await.expect(200);
    assert_eq!(list.body["totalResults"], 0);
    let list = beta(
        Method::GET,
        "/Users?filter=userName+eq+%22shared-name%22",
        None,
    )
    .await
    .expect(200);
    assert_eq!(list.body["totalResults"], 0);
    let all = beta(Method::POST, "/.search", Some(search_request(json!({}))))
        .await
        .expect(200);
    assert_eq!(all.body["totalResults"], 0);

    // Beta cannot change or delete alpha's resources, nor use them as
    // members.
    beta(
        Method::PUT,
        &format!("/Users/{a_user}"),
        Some(user_body("hijacked")),
    )
    .await
    .expect_error(404, None);
    beta(
        Method::PATCH,
        &format!("/Users/{a_user}"),
        Some(patch_op(
            json!([{"op": "add", "path": "title", "value": "x"}]),
        )),
    )
    .await
    .expect_error(404, None);
    beta(
        Method::PATCH,
        &format!("/Groups/{a_group}"),
        Some(patch_op(json!([{"op": "remove", "path": "members"}]))),
    )
    .await
    .expect_error(404, None);
    beta(Method::DELETE, &format!("/Users/{a_user}"), None)
        .await
        .expect_error(404, None);
    beta(
        Method::POST,
        "/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Beta Group", "members": [{"value": a_user}]})),
    )
    .await
    .expect_error(400, Some("invalidValue"));

    // Uniqueness is per tenant.
    let b_user = id_of(
        &beta(Method::POST, "/Users", Some(user_body("shared-name")))
            .await
            .expect(201),
    );
    assert_ne!(a_user, b_user);
    alpha(Method::GET, &format!("/Users/{b_user}"), None)
        .await
        .expect_error(404, None);

    // Alpha's data is untouched.
    let u = alpha(Method::GET, &format!("/Users/{a_user}"), None)
        .await
        .expect(200);
    assert_eq!(u.body["userName"], "shared-name");
    assert!(u.body.get("title").is_none());
    assert_eq!(u.body["groups"][0]["value"], a_group.as_str());
    let g = alpha(Method::GET, &format!("/Groups/{a_group}"), None)
        .await
        .expect(200);
    assert_eq!(g.body["members"], json!([{"value": a_user}]));
    let list = alpha(Method::GET, "/Users", None).await.expect(200);
    assert_eq!(list.body["totalResults"], 1);

    // An unknown token is nobody's.
    scim.send_as("gamma-token", Method::GET, "/Users", None)
        .await
        .expect_error(401, None);
}

#[tokio::test]
async fn a_cursor_is_refused_in_another_tenant_and_by_another_query() {
    // RFC 9865 §2.2: a cursor the service cannot continue is 400
    // invalidCursor; ours are bound to the tenant and the query.
    let service = Service::new(
        Arc::new(MemoryStore::new()),
        Registry::standard(),
        Arc::new(TwoTenants),
        ServiceConfig::new(BASE),
    );
    let scim = Harness::from_service(service);
    for token in ["alpha-token", "beta-token"] {
        for i in 0..4 {
            scim.send_as(
                token,
                Method::POST,
                "/Users",
                Some(user_body(&format!("walker{i}"))),
            )
            .await
            .expect(201);
        }
    }
    let first = scim
        .send_as(
            "alpha-token",
            Method::GET,
            "/Users?cursor=&count=2&filter=userName%20sw%20%22walker%22",
            None,
        )
        .await
        .expect(200)
        .body;
    let next = first["nextCursor"]
        .as_str()
        .expect("a next cursor")
        .to_owned();
    let elsewhere = scim
        .send_as(
            "beta-token",
            Method::GET,
            &format!("/Users?cursor={next}&count=2&filter=userName%20sw%20%22walker%22"),
            None,
        )
        .await
        .expect_error(400, Some("invalidCursor"))
        .body;
    assert!(
        elsewhere["detail"]
            .as_str()
            .unwrap()
            .contains("another query"),
        "{elsewhere}"
    );
    for other in [
        "filter=userName%20sw%20%22walk%22",
        "filter=userName%20sw%20%22walker%22&sortBy=userName",
        "",
    ] {
        scim.send_as(
            "alpha-token",
            Method::GET,
            &format!("/Users?cursor={next}&count=2&{other}"),
            None,
        )
        .await
        .expect_error(400, Some("invalidCursor"));
    }
    // The same query continues, also with another page size.
    let second = scim
        .send_as(
            "alpha-token",
            Method::GET,
            &format!("/Users?cursor={next}&count=5&filter=userName%20sw%20%22walker%22"),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(second["Resources"].as_array().unwrap().len(), 2);
    assert!(second.get("nextCursor").is_none(), "{second}");
}
