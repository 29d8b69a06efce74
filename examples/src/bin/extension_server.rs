//! Serving an application's own schema extension: Acme's User attributes
//! (badge number, cost center, clearance, hire date, desk), attached to
//! the standard User, over the in-memory store, mounted in axum.
//!
//! The guide "Adding a custom schema extension" in scim-core's
//! documentation (`scim_core::guide::custom_extension`) explains each step.
//!
//! Run with `cargo run -p scim-examples --bin extension_server`, then:
//!
//! ```sh
//! curl -H 'Authorization: Bearer secret' \
//!   http://127.0.0.1:3000/scim/v2/Schemas/urn:ietf:params:scim:schemas:extension:acme:2.0:User
//! curl -H 'Authorization: Bearer secret' -H 'Content-Type: application/scim+json' \
//!   -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:acme:2.0:User"],
//!        "userName":"bjensen",
//!        "urn:ietf:params:scim:schemas:extension:acme:2.0:User":{"badgeNumber":"B-1042","costCenter":"4130"}}' \
//!   http://127.0.0.1:3000/scim/v2/Users
//! curl -H 'Authorization: Bearer secret' \
//!   'http://127.0.0.1:3000/scim/v2/Users?filter=urn:ietf:params:scim:schemas:extension:acme:2.0:User:badgeNumber%20eq%20%22B-1042%22'
//! ```

use std::sync::Arc;

use axum::Router;
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::{
    AttrType, Attribute, AttributeSettings, Mutability, Registry, RegistryBuilder, Returned,
    Schema, SchemaUrn, Uniqueness,
};
use scim_core::store::memory::MemoryStore;

/// The URN of Acme's User extension, in the form Entra ID's attribute
/// mapping uses for custom attributes.
const ACME_USER: SchemaUrn =
    SchemaUrn::from_static("urn:ietf:params:scim:schemas:extension:acme:2.0:User");

/// Acme's attributes of an employee.
fn acme_user_schema() -> Schema {
    Schema::new(
        ACME_USER,
        "AcmeUser",
        vec![
            Attribute::new("badgeNumber", AttrType::String)
                .with_case_exact(true)
                .with_description("The number printed on the employee's badge."),
            Attribute::new("costCenter", AttrType::String)
                .with_description("The cost center the employee is booked to."),
            Attribute::new("clearance", AttrType::String)
                .with_canonical_values(["public", "internal", "secret"])
                .with_canonical_values_enforced(true)
                .with_description("What the employee may read."),
            Attribute::new("hireDate", AttrType::DateTime)
                .with_description("The employee's first working day."),
            Attribute::complex(
                "desk",
                vec![
                    Attribute::new("building", AttrType::String),
                    Attribute::new("floor", AttrType::Integer),
                ],
            )
            .with_description("Where the employee sits."),
            Attribute::new("skills", AttrType::String).with_multi_valued(true),
            Attribute::new("personnelId", AttrType::String)
                .with_mutability(Mutability::ReadOnly)
                .with_returned(Returned::Request)
                .with_description("Set by Acme's HR system, never by a client."),
        ],
    )
    .with_description("Acme's employee attributes")
}

/// The standard User and Group, with Acme's extension on User: badge
/// numbers unique per tenant and indexed, a cost center required.
fn registry() -> Result<Registry, scim_core::Error> {
    let path = |attribute: &str| format!("{ACME_USER}:{attribute}");
    RegistryBuilder::standard()
        .schema(acme_user_schema())
        .extend("User", ACME_USER, false)
        .configure(
            "User",
            &path("badgeNumber"),
            AttributeSettings::new()
                .uniqueness(Uniqueness::Server)
                .indexed(true),
        )
        .configure(
            "User",
            &path("costCenter"),
            AttributeSettings::new().required(true),
        )
        .build()
}

/// The application: the SCIM service under /scim/v2, over an in-memory
/// store, accepting one bearer token.
fn app(registry: Registry) -> Router {
    let scim = Service::new(
        Arc::new(MemoryStore::new()),
        registry,
        Arc::new(SingleTenant::new("secret")),
        ServiceConfig::new("/scim/v2"),
    );
    Router::new().nest_service("/scim/v2", scim.into_tower().nested())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = app(registry()?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("SCIM service on http://{}/scim/v2", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http::{Request, StatusCode, header};
    use http_body_util::BodyExt as _;
    use serde_json::{Value, json};
    use tower::ServiceExt as _;

    use super::*;

    const ACME: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

    async fn send(
        app: &Router,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, "Bearer secret")
            .header(header::CONTENT_TYPE, "application/scim+json")
            .body(body)
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn user(user_name: &str, acme: Value) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ACME],
            "userName": user_name,
            ACME: acme,
        })
    }

    #[tokio::test]
    async fn discovery_serves_the_extension_with_its_settings() {
        let app = app(registry().unwrap());
        let (status, user_type) = send(&app, "GET", "/scim/v2/ResourceTypes/User", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            user_type["schemaExtensions"]
                .as_array()
                .unwrap()
                .contains(&json!({"schema": ACME, "required": false}))
        );
        let (status, schema) = send(&app, "GET", &format!("/scim/v2/Schemas/{ACME}"), None).await;
        assert_eq!(status, StatusCode::OK);
        let attribute = |name: &str| {
            schema["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(attribute("badgeNumber")["uniqueness"], "server");
        assert_eq!(attribute("costCenter")["required"], true);
        assert_eq!(attribute("desk")["subAttributes"][1]["type"], "integer");
    }

    #[tokio::test]
    async fn the_extension_is_validated_on_create_and_patch() {
        let app = app(registry().unwrap());
        let (status, created) = send(
            &app,
            "POST",
            "/scim/v2/Users",
            Some(user(
                "bjensen",
                json!({"badgeNumber": "B-1042", "costCenter": "4130", "desk": {"floor": 3}}),
            )),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);

        for (acme, status, scim_type) in [
            (json!({"badgeNumber": "B-7"}), 400, "invalidValue"),
            (
                json!({"costCenter": "1", "clearance": "cosmic"}),
                400,
                "invalidValue",
            ),
            (
                json!({"costCenter": "1", "hireDate": "last May"}),
                400,
                "invalidValue",
            ),
            (
                json!({"costCenter": "1", "badgeNumber": "B-1042"}),
                409,
                "uniqueness",
            ),
        ] {
            let (got, error) = send(
                &app,
                "POST",
                "/scim/v2/Users",
                Some(user("x", acme.clone())),
            )
            .await;
            assert_eq!(got.as_u16(), status, "{acme}: {error}");
            assert_eq!(error["scimType"], scim_type, "{acme}");
        }

        let uri = format!("/scim/v2/Users/{}", created["id"].as_str().unwrap());
        let patch = |operation: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [operation]});
        let (status, patched) = send(
            &app,
            "PATCH",
            &uri,
            Some(patch(
                json!({"op": "add", "path": format!("{ACME}:desk.building"), "value": "North"}),
            )),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            patched[ACME]["desk"],
            json!({"building": "North", "floor": 3})
        );
        let (status, _) = send(
            &app,
            "PATCH",
            &uri,
            Some(patch(
                json!({"op": "replace", "path": format!("{ACME}:personnelId"), "value": "P-1"}),
            )),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "personnelId is read-only");
    }

    #[tokio::test]
    async fn filters_use_the_extensions_types_and_case_rules() {
        let app = app(registry().unwrap());
        for (name, badge, floor) in [("bjensen", "B-1042", 3), ("jsmith", "B-2001", 5)] {
            let acme =
                json!({"badgeNumber": badge, "costCenter": "4130", "desk": {"floor": floor}});
            let (status, _) = send(&app, "POST", "/scim/v2/Users", Some(user(name, acme))).await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let count = |filter: String| {
            let app = app.clone();
            async move {
                let uri = format!(
                    "/scim/v2/Users?filter={}",
                    filter.replace(' ', "%20").replace('"', "%22")
                );
                send(&app, "GET", &uri, None).await.1["totalResults"].clone()
            }
        };
        assert_eq!(count(format!(r#"{ACME}:badgeNumber eq "B-1042""#)).await, 1);
        assert_eq!(count(format!(r#"{ACME}:badgeNumber eq "b-1042""#)).await, 0);
        assert_eq!(count(format!("{ACME}:desk.floor gt 4")).await, 1);
        assert_eq!(count(format!(r#"{ACME}:costCenter eq "4130""#)).await, 2);
    }
}
