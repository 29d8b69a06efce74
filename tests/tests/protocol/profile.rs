//! A product profile declared with `AttributeSettings`: the Sign In
//! Enterprise rules (required host names and work email, group names
//! unique per tenant, empty strings that are no values) enforced on
//! create, replace and PATCH, and shown by `/Schemas`.

use std::sync::Arc;

use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::{AttributeSettings, Registry, RegistryBuilder, Uniqueness};
use scim_core::store::memory::MemoryStore;
use scim_tests::{BASE, GROUP_SCHEMA, Harness, TOKEN, USER_SCHEMA};
use serde_json::{Value, json};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const WORK_EMAIL: &str = r#"emails[type eq "work"].value"#;

fn profile() -> Registry {
    ["userName", "name.givenName", "name.familyName", WORK_EMAIL]
        .iter()
        .fold(RegistryBuilder::standard(), |b, path| {
            b.configure("User", path, AttributeSettings::new().required(true))
        })
        .configure(
            "Group",
            "displayName",
            AttributeSettings::new().uniqueness(Uniqueness::Server),
        )
        .empty_strings_unassigned(true)
        .build()
        .unwrap()
}

fn scim() -> Harness {
    Harness::with_parts(profile(), ServiceConfig::new(BASE))
}

fn host(user_name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Amelia", "familyName": "Hart"},
        "emails": [{"type": "work", "value": user_name, "primary": true}],
    })
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().unwrap().to_owned()
}

#[track_caller]
fn detail(body: &Value) -> &str {
    body["detail"].as_str().unwrap()
}

#[tokio::test]
async fn creates_need_every_required_path_and_name_the_missing_one() {
    let scim = scim();
    scim.post("/Users", host("amelia@northwind.example"))
        .await
        .expect(201);
    for (remove, missing) in [
        ("name", "name.givenName"),
        ("emails", WORK_EMAIL),
        ("userName", "userName"),
    ] {
        let mut body = host("x@northwind.example");
        body.as_object_mut().unwrap().remove(remove);
        let r = scim
            .post("/Users", body)
            .await
            .expect_error(400, Some("invalidValue"));
        assert!(detail(&r.body).contains(missing), "{}", r.body);
    }
    let mut body = host("x@northwind.example");
    body["name"] = json!({"givenName": "Amelia"});
    let r = scim
        .post("/Users", body)
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(detail(&r.body).contains("name.familyName"), "{}", r.body);
    // Only a work email counts.
    let mut body = host("x@northwind.example");
    body["emails"] = json!([{"type": "other", "value": "x@elsewhere.example"}]);
    let r = scim
        .post("/Users", body)
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(detail(&r.body).contains(WORK_EMAIL), "{}", r.body);
    // Matching the filter ignores case, as the evaluator does.
    let mut body = host("y@northwind.example");
    body["emails"] = json!([{"type": "Work", "value": "y@northwind.example"}]);
    scim.post("/Users", body).await.expect(201);
}

#[tokio::test]
async fn empty_strings_count_as_missing() {
    let scim = scim();
    for (pointer, value, missing) in [
        ("/name/givenName", json!(""), "name.givenName"),
        ("/emails/0/value", json!(""), WORK_EMAIL),
        ("/userName", json!(""), "userName"),
    ] {
        let mut body = host("x@northwind.example");
        *body.pointer_mut(pointer).unwrap() = value;
        let r = scim
            .post("/Users", body)
            .await
            .expect_error(400, Some("invalidValue"));
        assert!(detail(&r.body).contains(missing), "{}", r.body);
    }
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[tokio::test]
async fn empty_optional_strings_are_unassigned_everywhere() {
    let scim = scim();
    let mut body = host("amelia@northwind.example");
    body["title"] = json!("");
    body["name"]["middleName"] = json!("");
    body["phoneNumbers"] = json!([{"type": "mobile", "value": ""}]);
    body["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
    body[ENTERPRISE] = json!({"department": ""});
    let created = scim.post("/Users", body.clone()).await.expect(201);
    let path = format!("/Users/{}", id_of(&created.body));
    for r in [&created.body, &scim.get(&path).await.expect(200).body] {
        for gone in ["title", "phoneNumbers", ENTERPRISE] {
            assert!(r.get(gone).is_none(), "{gone}: {r}");
        }
        assert_eq!(
            r["name"],
            json!({"givenName": "Amelia", "familyName": "Hart"}),
            "{r}"
        );
        assert_eq!(r["schemas"], json!([USER_SCHEMA]), "{r}");
    }
    // Replace: the same.
    let replaced = scim.put(&path, body).await.expect(200);
    assert!(replaced.body.get("title").is_none(), "{}", replaced.body);
    // PATCH: "" unassigns a value the host has, by path and pathless.
    scim.patch(
        &path,
        patch(
            json!([{"op": "replace", "path": "title", "value": "Concierge"},
                     {"op": "add", "path": "name.middleName", "value": "Jo"}]),
        ),
    )
    .await
    .expect(200);
    for ops in [
        json!([{"op": "replace", "path": "title", "value": ""},
               {"op": "replace", "path": "name.middleName", "value": ""}]),
        json!([{"op": "replace", "value": {"title": "",
                "name": {"givenName": "Amelia", "familyName": "Hart", "middleName": ""}}}]),
    ] {
        scim.patch(
            &path,
            patch(
                json!([{"op": "replace", "path": "title", "value": "Concierge"},
                         {"op": "add", "path": "name.middleName", "value": "Jo"}]),
            ),
        )
        .await
        .expect(200);
        let r = scim.patch(&path, patch(ops.clone())).await.expect(200);
        assert!(r.body.get("title").is_none(), "{ops}: {}", r.body);
        assert!(
            r.body["name"].get("middleName").is_none(),
            "{ops}: {}",
            r.body
        );
        let stored = scim.get(&path).await.expect(200);
        assert!(stored.body.get("title").is_none(), "{}", stored.body);
    }
    // An empty required string is refused by PATCH, with a path or without.
    for (ops, missing) in [
        (
            json!([{"op": "replace", "path": "userName", "value": ""}]),
            "userName",
        ),
        (
            json!([{"op": "replace", "value": {"userName": ""}}]),
            "userName",
        ),
        (
            json!([{"op": "replace", "path": "name.familyName", "value": ""}]),
            "name.familyName",
        ),
        (
            json!([{"op": "replace", "path": WORK_EMAIL, "value": ""}]),
            WORK_EMAIL,
        ),
    ] {
        let r = scim
            .patch(&path, patch(ops.clone()))
            .await
            .expect_error(400, Some("invalidValue"));
        assert!(detail(&r.body).contains(missing), "{ops}: {}", r.body);
    }
    // Without the profile, "" is a value (RFC 7643).
    let plain = Harness::with_parts(Registry::standard(), ServiceConfig::new(BASE));
    let r = plain
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "b", "title": ""}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["title"], "", "{}", r.body);
}

/// RFC 7644 §3.5.2.3: a complex value replaces the sub-attributes it
/// names and leaves the others, so a partial `name` keeps the required
/// family name (the value alone lacks it).
#[tokio::test]
async fn a_partial_name_is_merged_not_refused() {
    let scim = scim();
    let r = scim
        .post("/Users", host("amelia@northwind.example"))
        .await
        .expect(201);
    let path = format!("/Users/{}", id_of(&r.body));
    for ops in [
        json!([{"op": "replace", "path": "name", "value": {"givenName": "Amy"}}]),
        json!([{"op": "replace", "value": {"name": {"givenName": "Amy"}}}]),
        json!([{"op": "add", "path": "name", "value": {"middleName": "Jo"}}]),
    ] {
        let r = scim.patch(&path, patch(ops.clone())).await.expect(200);
        assert_eq!(r.body["name"]["familyName"], "Hart", "{ops}: {}", r.body);
    }
    let r = scim.get(&path).await.expect(200);
    assert_eq!(
        r.body["name"],
        json!({"givenName": "Amy", "familyName": "Hart", "middleName": "Jo"})
    );
}

#[tokio::test]
async fn replace_needs_the_required_paths_too() {
    let scim = scim();
    let r = scim
        .post("/Users", host("amelia@northwind.example"))
        .await
        .expect(201);
    let path = format!("/Users/{}", id_of(&r.body));
    let mut body = host("amelia@northwind.example");
    body["name"] = json!({"familyName": "Hart"});
    let r = scim
        .put(&path, body)
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(detail(&r.body).contains("name.givenName"), "{}", r.body);
    let mut body = host("amelia@northwind.example");
    body["name"]["familyName"] = json!("Hart-Lee");
    scim.put(&path, body).await.expect(200);
}

#[tokio::test]
async fn patch_refuses_removing_or_emptying_a_required_value() {
    let scim = scim();
    let r = scim
        .post("/Users", host("amelia@northwind.example"))
        .await
        .expect(201);
    let path = format!("/Users/{}", id_of(&r.body));
    for (ops, status, scim_type, named) in [
        (
            json!([{"op": "remove", "path": "name.givenName"}]),
            400,
            "mutability",
            "name.givenName",
        ),
        (
            json!([{"op": "Remove", "path": "emails[type eq \"work\"]"}]),
            400,
            "mutability",
            WORK_EMAIL,
        ),
        (
            json!([{"op": "remove", "path": "emails"}]),
            400,
            "mutability",
            WORK_EMAIL,
        ),
        (
            json!([{"op": "Replace", "path": "name.familyName", "value": ""}]),
            400,
            "invalidValue",
            "name.familyName",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": ""}]),
            400,
            "invalidValue",
            WORK_EMAIL,
        ),
    ] {
        let r = scim
            .patch(&path, patch(ops.clone()))
            .await
            .expect_error(status, Some(scim_type));
        assert!(detail(&r.body).contains(named), "{ops}: {}", r.body);
    }
    // Changing values, and removing what is not required, still works.
    let r = scim
        .patch(
            &path,
            patch(json!([
                {"op": "Replace", "path": "name.givenName", "value": "Amy"},
                {"op": "Add", "path": "emails[type eq \"other\"].value", "value": "amy@home.example"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "amy@northwind.example"},
            ])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["name"]["givenName"], "Amy");
    scim.patch(
        &path,
        patch(json!([{"op": "remove", "path": "emails[type eq \"other\"]"}])),
    )
    .await
    .expect(200);
    // A remove and an add of the work email in one atomic PATCH is fine.
    scim.patch(
        &path,
        patch(json!([
            {"op": "remove", "path": "emails"},
            {"op": "add", "path": "emails", "value": [{"type": "work", "value": "a@northwind.example"}]},
        ])),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn hosts_stored_before_the_profile_stay_patchable() {
    // One store, first served without the profile, then with it.
    let store = Arc::new(MemoryStore::new());
    let service = |registry: Registry| {
        Harness::from_service(Service::new(
            store.clone(),
            registry,
            Arc::new(SingleTenant::new(TOKEN)),
            ServiceConfig::new(BASE),
        ))
    };
    let before = service(Registry::standard());
    let r = before
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "old@northwind.example", "name": {"givenName": ""}}),
        )
        .await
        .expect(201);
    let path = format!("/Users/{}", id_of(&r.body));

    let scim = service(profile());
    // Entra's routine updates go through although the host lacks names
    // and a work email.
    let r = scim
        .patch(
            &path,
            patch(json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 206 555 0100"},
            ])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], false);
    // Removing what is absent is no removal.
    scim.patch(&path, patch(json!([{"op": "remove", "path": "emails"}])))
        .await
        .expect(200);
    // Filling in one required value does not require the others at once.
    scim.patch(
        &path,
        patch(json!([{"op": "Add", "path": "name.familyName", "value": "Old"}])),
    )
    .await
    .expect(200);
    // What it has now cannot be removed or emptied.
    scim.patch(
        &path,
        patch(json!([{"op": "remove", "path": "name.familyName"}])),
    )
    .await
    .expect_error(400, Some("mutability"));
    // A PUT is a whole new representation: it must follow the profile.
    scim.put(
        &path,
        json!({"schemas": [USER_SCHEMA], "userName": "old@northwind.example"}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn group_names_are_unique_ignoring_case() {
    let scim = scim();
    let front = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Front Desk"}),
        )
        .await
        .expect(201);
    for name in ["Front Desk", "FRONT desk", "front desk"] {
        let r = scim
            .post(
                "/Groups",
                json!({"schemas": [GROUP_SCHEMA], "displayName": name}),
            )
            .await
            .expect_error(409, Some("uniqueness"));
        assert!(detail(&r.body).contains("displayName"), "{}", r.body);
    }
    let lobby = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Lobby"}),
        )
        .await
        .expect(201);
    let lobby_path = format!("/Groups/{}", id_of(&lobby.body));
    scim.put(
        &lobby_path,
        json!({"schemas": [GROUP_SCHEMA], "displayName": "FRONT DESK"}),
    )
    .await
    .expect_error(409, Some("uniqueness"));
    scim.patch(
        &lobby_path,
        patch(json!([{"op": "Replace", "path": "displayName", "value": "front Desk"}])),
    )
    .await
    .expect_error(409, Some("uniqueness"));
    // Path-less replace, as Entra ID sends renames.
    scim.patch(
        &lobby_path,
        patch(json!([{"op": "Replace", "value": {"displayName": "Front desk"}}])),
    )
    .await
    .expect_error(409, Some("uniqueness"));
    // A group may change the case of its own name.
    let front_path = format!("/Groups/{}", id_of(&front.body));
    scim.patch(
        &front_path,
        patch(json!([{"op": "Replace", "path": "displayName", "value": "FRONT DESK"}])),
    )
    .await
    .expect(204);
    // Freed by a rename, the name can be taken.
    scim.patch(
        &front_path,
        patch(json!([{"op": "Replace", "path": "displayName", "value": "Reception"}])),
    )
    .await
    .expect(204);
    scim.patch(
        &lobby_path,
        patch(json!([{"op": "Replace", "path": "displayName", "value": "Front Desk"}])),
    )
    .await
    .expect(204);
    // Without the profile, names may repeat.
    let plain = Harness::new();
    for _ in 0..2 {
        plain
            .post(
                "/Groups",
                json!({"schemas": [GROUP_SCHEMA], "displayName": "Front Desk"}),
            )
            .await
            .expect(201);
    }
}

fn attribute<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

fn sub<'a>(attr: &'a Value, name: &str) -> &'a Value {
    attr["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no sub-attribute {name}"))
}

#[tokio::test]
async fn schemas_show_the_tightened_characteristics() {
    let scim = scim();
    let user = scim
        .get(&format!("/Schemas/{USER_SCHEMA}"))
        .await
        .expect(200)
        .body;
    let name = attribute(&user, "name");
    assert_eq!(name["required"], true);
    assert_eq!(sub(name, "givenName")["required"], true);
    assert_eq!(sub(name, "familyName")["required"], true);
    assert_eq!(sub(name, "middleName")["required"], false);
    let emails = attribute(&user, "emails");
    assert_eq!(emails["required"], true);
    // RFC 7643 cannot say "the work email's value": every email needs none.
    assert_eq!(sub(emails, "value")["required"], false);
    assert_eq!(attribute(&user, "userName")["uniqueness"], "server");
    let group = scim
        .get(&format!("/Schemas/{GROUP_SCHEMA}"))
        .await
        .expect(200)
        .body;
    assert_eq!(attribute(&group, "displayName")["uniqueness"], "server");
    // The list serves the same documents.
    let all = scim.get("/Schemas").await.expect(200).body;
    let listed = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == GROUP_SCHEMA)
        .unwrap();
    assert_eq!(attribute(listed, "displayName")["uniqueness"], "server");
    // And the standard registry is untouched.
    let plain = Harness::new()
        .get(&format!("/Schemas/{GROUP_SCHEMA}"))
        .await
        .expect(200)
        .body;
    assert_eq!(attribute(&plain, "displayName")["uniqueness"], "none");
}
