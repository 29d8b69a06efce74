use std::sync::Arc;

use http::{Request, StatusCode, header};
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::{AttributeSettings, Registry, RegistryBuilder, Uniqueness};
use scim_core::store::ResourceStore;
use scim_core::store::conformance::Suite;
use serde_json::{Value, json};

use super::store::EmployeeStore;

fn fresh() -> Arc<dyn ResourceStore> {
    Arc::new(EmployeeStore::in_memory().expect("an in-memory database"))
}

/// The whole contract, with the concurrency checks on several threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_employee_store_conforms() {
    Suite::new(|| async { fresh() })
        .with_spawner(|task| {
            tokio::spawn(task);
        })
        .run_all()
        .await;
}

/// More random queries than `run_all`'s, from a fixed seed.
#[tokio::test]
async fn the_employee_store_agrees_with_the_evaluator_on_random_queries() {
    Suite::new(|| async { fresh() })
        .differential_queries(300, 0x0e3b_1075)
        .await;
}

async fn send(
    service: &Service,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, "Bearer secret")
        .header(header::CONTENT_TYPE, "application/scim+json")
        .body(body)
        .unwrap();
    let response = service.handle(request).await;
    let json = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status(), json)
}

/// A user's attributes land in their columns, the rest in `scim_extra`,
/// and the resource comes back whole.
#[tokio::test]
async fn attributes_with_a_column_are_stored_in_it() {
    let store = Arc::new(EmployeeStore::in_memory().unwrap());
    let service = Service::new(
        Arc::clone(&store) as Arc<dyn ResourceStore>,
        Registry::standard(),
        Arc::new(SingleTenant::new("secret")),
        ServiceConfig::new("/scim/v2"),
    );
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
        "userName": "Barbara.Jensen@example.com",
        "externalId": "701984",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara Jensen"},
        "active": true,
        "title": "Tour Guide",
        enterprise: {"department": "Tour Operations", "employeeNumber": "701984"},
    });
    let (status, created) = send(&service, "POST", "/scim/v2/Users", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let row = store.row_of(created["id"].as_str().unwrap());
    assert_eq!(
        row,
        json!({
            "email": "Barbara.Jensen@example.com",
            "email_folded": "barbara.jensen@example.com",
            "external_id": "701984",
            "given_name": "Barbara",
            "family_name": "Jensen",
            "active": 1,
            "department": "Tour Operations",
            "version": 1,
            "scim_extra": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
                "name": {"formatted": "Ms. Barbara Jensen"},
                "title": "Tour Guide",
                enterprise: {"employeeNumber": "701984"},
            },
        })
    );

    let (status, found) = send(
        &service,
        "GET",
        "/scim/v2/Users?filter=userName%20eq%20%22barbara.jensen%40EXAMPLE.com%22",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut listed = found["Resources"][0].clone();
    let mut created = created;
    for resource in [&mut listed, &mut created] {
        resource["meta"].as_object_mut().unwrap().remove("location");
    }
    assert_eq!(listed, created);
}

/// A PUT at a stale version is refused, as the version column says.
#[tokio::test]
async fn a_stale_if_match_is_refused() {
    let service = Service::new(
        fresh(),
        Registry::standard(),
        Arc::new(SingleTenant::new("secret")),
        ServiceConfig::new("/scim/v2"),
    );
    let user =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen"});
    let (_, created) = send(&service, "POST", "/scim/v2/Users", Some(user.clone())).await;
    let uri = format!("/scim/v2/Users/{}", created["id"].as_str().unwrap());
    let (status, _) = send(&service, "PUT", &uri, Some(user.clone())).await;
    assert_eq!(status, StatusCode::OK);
    let request = Request::put(&uri)
        .header(header::AUTHORIZATION, "Bearer secret")
        .header(header::CONTENT_TYPE, "application/scim+json")
        .header(
            header::IF_MATCH,
            created["meta"]["version"].as_str().unwrap(),
        )
        .body(user.to_string().into_bytes())
        .unwrap();
    assert_eq!(
        service.handle(request).await.status(),
        StatusCode::PRECONDITION_FAILED
    );
}

/// A registry the tables cannot hold is refused at start-up.
#[test]
fn a_registry_with_uniqueness_the_tables_lack_is_refused() {
    assert!(EmployeeStore::check_registry(&Registry::standard()).is_ok());
    let unique_names = RegistryBuilder::standard()
        .configure(
            "Group",
            "displayName",
            AttributeSettings::new().uniqueness(Uniqueness::Server),
        )
        .build()
        .unwrap();
    let refused = EmployeeStore::check_registry(&unique_names).unwrap_err();
    assert!(refused.to_string().contains("displayName"), "{refused}");
}
