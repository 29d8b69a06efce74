//! The request/response examples of RFC 7644 (§3.3–§3.7, §3.12), from the
//! data files in `tests/data/rfc7644/`, replayed over HTTP against the
//! service. Each data file records its RFC section and every place where
//! the expectation differs from the RFC's literal text, with the reason.

use http::Method;
use scim_tests::{BASE_URL, Harness, Reply, USER_SCHEMA, is_rfc3339_utc};
use serde_json::{Value, json};

const EXAMPLE_BASE: &str = "https://example.com/v2";

macro_rules! data {
    ($file:literal) => {
        serde_json::from_str::<Value>(include_str!(concat!("../../data/rfc7644/", $file)))
            .expect(concat!("valid JSON in ", $file))
    };
}

// ---------------------------------------------------------------------------
// The runner's tools
// ---------------------------------------------------------------------------

/// What the RFC's fixed strings (ids, versions) stand for in this run.
#[derive(Default)]
struct Ids(Vec<(String, String)>);

impl Ids {
    fn map(&mut self, rfc: &str, actual: &str) {
        self.0.push((rfc.to_owned(), actual.to_owned()));
    }

    /// `value` with the RFC's base URL and every mapped string replaced.
    fn subst(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.subst_str(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.subst(v)).collect()),
            Value::Object(obj) => Value::Object(
                obj.iter()
                    .map(|(k, v)| (self.subst_str(k), self.subst(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn subst_str(&self, s: &str) -> String {
        let mut out = s.replace(EXAMPLE_BASE, BASE_URL);
        for (rfc, actual) in &self.0 {
            out = out.replace(rfc.as_str(), actual);
        }
        out
    }
}

/// Replaces values that are compared by form, not by value, after checking
/// their form: timestamps, versions and error details.
fn normalize(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Object(obj) => {
            let is_error =
                obj.get("schemas") == Some(&json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
            for (key, v) in obj.iter_mut() {
                match (key.as_str(), &*v) {
                    ("created" | "lastModified", Value::String(s)) => {
                        assert!(is_rfc3339_utc(s), "{key}: {s} is not an RFC 3339 date-time");
                        *v = json!("<date-time>");
                    }
                    ("version", Value::String(s)) => {
                        assert!(
                            s.starts_with("W/\"") && s.ends_with('"') && s.len() > 4,
                            "version {s}"
                        );
                        *v = json!("<version>");
                    }
                    ("detail", Value::String(s)) if is_error => {
                        assert!(!s.trim().is_empty(), "an error detail is given");
                        *v = json!("<detail>");
                    }
                    _ => normalize(v),
                }
            }
        }
        _ => {}
    }
}

/// Asserts that `actual` equals `expected` once both are normalized.
#[track_caller]
fn assert_same(actual: &Value, expected: &Value, what: &str) {
    let (mut a, mut e) = (actual.clone(), expected.clone());
    normalize(&mut a);
    normalize(&mut e);
    assert_eq!(a, e, "{what}\nactual:   {actual}\nexpected: {expected}");
}

fn method(request: &Value) -> Method {
    Method::from_bytes(request["method"].as_str().unwrap().as_bytes()).unwrap()
}

/// Sends a data-file request, with its mapped path and body and the given
/// extra headers.
async fn send(scim: &Harness, ids: &Ids, request: &Value, headers: &[(&str, &str)]) -> Reply {
    let path = ids.subst_str(request["path"].as_str().unwrap());
    let body = request.get("body").map(|b| ids.subst(b));
    scim.send_with(method(request), &path, body, headers).await
}

fn id_in(location: &str) -> String {
    location.rsplit('/').next().unwrap().to_owned()
}

fn without_meta(mut body: Value) -> Value {
    body.as_object_mut().unwrap().remove("meta");
    body
}

/// Creates a user from a body and maps the RFC id to its id; returns the
/// id and its ETag.
async fn create(
    scim: &Harness,
    ids: &mut Ids,
    endpoint: &str,
    rfc_id: &str,
    body: Value,
) -> (String, String) {
    let r = scim.post(endpoint, ids.subst(&body)).await.expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    ids.map(rfc_id, &id);
    (id, r.header("etag").unwrap().to_owned())
}

// ---------------------------------------------------------------------------
// §3.3 – §3.6
// ---------------------------------------------------------------------------

#[tokio::test]
async fn rfc7644_3_3_create_user_answers_201_with_the_documented_shape() {
    let example = data!("3.3-create-user.json");
    let scim = Harness::new();
    let r = scim
        .send_with(
            Method::POST,
            "/Users",
            Some(example["request"]["body"].clone()),
            &[("accept", "application/scim+json")],
        )
        .await
        .expect(201);
    let mut ids = Ids::default();
    ids.map(
        "2819c223-7f76-453a-919d-413861904646",
        r.body["id"].as_str().unwrap(),
    );
    let expected = &example["response"];
    assert_eq!(
        r.header("location"),
        Some(
            ids.subst(&expected["headers"]["Location"])
                .as_str()
                .unwrap()
        )
    );
    assert_eq!(r.header("etag"), r.body["meta"]["version"].as_str());
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_same(&r.body, &ids.subst(&expected["body"]), "§3.3 response body");
    assert_eq!(r.body["meta"]["created"], r.body["meta"]["lastModified"]);
}

#[tokio::test]
async fn rfc7644_3_4_1_retrieve_a_known_user() {
    let example = data!("3.4.1-retrieve-user.json");
    let scim = Harness::new();
    let mut ids = Ids::default();
    let expected = &example["response"]["body"];
    let mut body = without_meta(expected.clone());
    body.as_object_mut().unwrap().remove("id");
    create(
        &scim,
        &mut ids,
        "/Users",
        "2819c223-7f76-453a-919d-413861904646",
        body,
    )
    .await;
    let r = send(
        &scim,
        &ids,
        &example["request"],
        &[("accept", "application/scim+json")],
    )
    .await
    .expect(200);
    assert_same(&r.body, &ids.subst(expected), "§3.4.1 response body");
    assert_eq!(r.header("etag"), r.body["meta"]["version"].as_str());
}

#[tokio::test]
async fn rfc7644_3_4_2_query_users_with_a_filter_and_attributes() {
    let example = data!("3.4.2-query-users.json");
    let scim = Harness::new();
    let mut ids = Ids::default();
    for user in example["users"].as_array().unwrap() {
        create(
            &scim,
            &mut ids,
            "/Users",
            user["id"].as_str().unwrap(),
            json!({"schemas": [USER_SCHEMA], "userName": user["userName"]}),
        )
        .await;
    }
    for case in example["examples"].as_array().unwrap() {
        let r = send(&scim, &ids, &case["request"], &[]).await;
        assert_eq!(
            r.status,
            case["response"]["status"].as_u64().unwrap() as u16
        );
        assert_same(
            &r.body,
            &ids.subst(&case["response"]["body"]),
            case["request"]["path"].as_str().unwrap(),
        );
    }
}

#[tokio::test]
async fn rfc7644_3_4_3_post_search_at_the_root() {
    let example = data!("3.4.3-search.json");
    let scim = Harness::new();
    let mut ids = Ids::default();
    for user in example["users"].as_array().unwrap() {
        let mut body = user.clone();
        let rfc_id = body.as_object_mut().unwrap().remove("id").unwrap();
        body["schemas"] = json!([USER_SCHEMA]);
        create(&scim, &mut ids, "/Users", rfc_id.as_str().unwrap(), body).await;
    }
    for group in example["groups"].as_array().unwrap() {
        let mut body = group.clone();
        let rfc_id = body.as_object_mut().unwrap().remove("id").unwrap();
        body["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:Group"]);
        create(&scim, &mut ids, "/Groups", rfc_id.as_str().unwrap(), body).await;
    }
    let r = send(&scim, &ids, &example["request"], &[])
        .await
        .expect(200);
    let by_display_name = |v: &Value| {
        let mut v = v.clone();
        v["Resources"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|r| r["displayName"].as_str().unwrap_or_default().to_owned());
        v
    };
    assert_same(
        &by_display_name(&r.body),
        &by_display_name(&ids.subst(&example["response"]["body"])),
        "§3.4.3 response body",
    );
}

#[tokio::test]
async fn rfc7644_3_5_1_replace_a_user_with_put() {
    let example = data!("3.5.1-replace-user.json");
    let scim = Harness::new();
    let mut ids = Ids::default();
    let (_, etag) = create(
        &scim,
        &mut ids,
        "/Users",
        "2819c223-7f76-453a-919d-413861904646",
        example["before"].clone(),
    )
    .await;
    let r = send(&scim, &ids, &example["request"], &[("if-match", &etag)])
        .await
        .expect(200);
    assert_same(
        &r.body,
        &ids.subst(&example["response"]["body"]),
        "§3.5.1 response body",
    );
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("etag"), r.body["meta"]["version"].as_str());
    // The stored resource is the response.
    let path = ids.subst_str(example["request"]["path"].as_str().unwrap());
    assert_eq!(scim.get(&path).await.expect(200).body, r.body);
}

#[tokio::test]
async fn rfc7644_3_5_2_patch_examples_over_http() {
    let example = data!("3.5.2-patch.json");
    for case in example["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let scim = Harness::new();
        let mut ids = Ids::default();
        let is_user = case["target"] == "user";
        let babs = if is_user {
            case["before"].clone()
        } else {
            json!({"schemas": [USER_SCHEMA], "userName": "bjensen", "displayName": "Babs Jensen"})
        };
        let (babs, babs_etag) = create(
            &scim,
            &mut ids,
            "/Users",
            "2819c223-7f76-453a-919d-413861904646",
            babs,
        )
        .await;
        create(
            &scim,
            &mut ids,
            "/Users",
            "08e1d05d-121c-4561-8b96-473d93df9210",
            json!({"schemas": [USER_SCHEMA], "userName": "jsmith", "displayName": "James Smith"}),
        )
        .await;
        let (path, etag) = if is_user {
            (format!("/Users/{babs}"), babs_etag)
        } else {
            let (group, etag) = create(
                &scim,
                &mut ids,
                "/Groups",
                "acbf3ae7-8463-4692-b4fd-9b4da3f908ce",
                case["before"].clone(),
            )
            .await;
            (format!("/Groups/{group}"), etag)
        };

        let r = scim
            .send_with(
                Method::PATCH,
                &path,
                Some(ids.subst(&case["request"])),
                &[("if-match", &etag)],
            )
            .await;
        let status = case["status"].as_u64().unwrap() as u16;
        assert_eq!(r.status.as_u16(), status, "{name}: {}", r.body);
        assert!(
            r.header("etag").is_some(),
            "{name}: a successful PATCH carries the new ETag"
        );
        let expected = ids.subst(&case["after"]);
        if status == 200 {
            assert_eq!(
                without_meta(r.body.clone()),
                expected,
                "{name}: response body"
            );
        } else {
            assert_eq!(r.body, Value::Null, "{name}: 204 has no body");
        }
        let stored = scim.get(&path).await.expect(200);
        assert_eq!(
            without_meta(stored.body),
            expected,
            "{name}: stored resource"
        );
    }
}

#[tokio::test]
async fn rfc7644_3_6_delete_then_get_is_the_documented_404() {
    let example = data!("3.6-delete-user.json");
    let scim = Harness::new();
    let mut ids = Ids::default();
    let (id, etag) = create(
        &scim,
        &mut ids,
        "/Users",
        "2819c223-7f76-453a-919d-413861904646",
        json!({"schemas": [USER_SCHEMA], "userName": "bjensen"}),
    )
    .await;
    let r = send(&scim, &ids, &example["request"], &[("if-match", &etag)])
        .await
        .expect(204);
    assert_eq!(r.body, Value::Null);
    let then = &example["then"];
    let r = send(&scim, &ids, &then["request"], &[]).await.expect(404);
    assert!(
        r.body["detail"].as_str().unwrap().contains(&id),
        "the detail names the id: {}",
        r.body
    );
    assert_same(
        &r.body,
        &ids.subst(&then["response"]["body"]),
        "§3.6 404 body",
    );
}

// ---------------------------------------------------------------------------
// §3.7 Bulk
// ---------------------------------------------------------------------------

#[tokio::test]
async fn rfc7644_3_7_2_bulk_ids_resolve_to_the_created_resources() {
    let example = data!("3.7.2-bulk-ids.json");
    let examples = example["examples"].as_array().unwrap();

    // A group whose member is created in the same request.
    let scim = Harness::new();
    let case = &examples[0];
    let r = send(&scim, &Ids::default(), &case["request"], &[])
        .await
        .expect(200);
    let mut ids = Ids::default();
    let alice = id_in(r.body["Operations"][0]["location"].as_str().unwrap());
    let group = id_in(r.body["Operations"][1]["location"].as_str().unwrap());
    ids.map("92b725cd-9465-4e7d-8c16-01f8e146b87a", &alice);
    ids.map("e9e30dba-f08f-4109-8486-d5c6a331660a", &group);
    assert_same(
        &r.body,
        &ids.subst(&case["response"]["body"]),
        &case["name"].to_string(),
    );
    let g = scim.get(&format!("/Groups/{group}")).await.expect(200);
    assert_eq!(g.body["displayName"], "Tour Guides");
    let members = g.body["members"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{}", g.body);
    assert_eq!(members[0]["value"], alice.as_str());
    assert_eq!(members[0]["type"], "User");
    let a = scim.get(&format!("/Users/{alice}")).await.expect(200);
    assert_eq!(a.body["groups"][0]["value"], group.as_str());

    // An extension attribute referring to a user created in the same request.
    let scim = Harness::new();
    let case = &examples[1];
    let r = send(&scim, &Ids::default(), &case["request"], &[])
        .await
        .expect(200);
    let mut ids = Ids::default();
    let alice = id_in(r.body["Operations"][0]["location"].as_str().unwrap());
    let bob = id_in(r.body["Operations"][1]["location"].as_str().unwrap());
    ids.map("92b725cd-9465-4e7d-8c16-01f8e146b87a", &alice);
    ids.map("b7c14771-226c-4d05-8860-134711653041", &bob);
    assert_same(
        &r.body,
        &ids.subst(&case["response"]["body"]),
        &case["name"].to_string(),
    );
    let b = scim.get(&format!("/Users/{bob}")).await.expect(200);
    let enterprise = &b.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(enterprise["employeeNumber"], "11250");
    assert_eq!(enterprise["manager"]["value"], alice.as_str());
}

/// Bob, Dave (with a nickName), optionally Erin (e9025315-…) and Alice;
/// returns the ids map with the RFC versions mapped to the current ones.
async fn bulk_fixture(scim: &Harness, erin: bool, alice: bool) -> Ids {
    let mut ids = Ids::default();
    let (_, bob) = create(
        scim,
        &mut ids,
        "/Users",
        "b7c14771-226c-4d05-8860-134711653041",
        json!({"schemas": [USER_SCHEMA], "userName": "bob", "title": "Driver"}),
    )
    .await;
    let (_, dave) = create(
        scim,
        &mut ids,
        "/Users",
        "5d8d29d3-342c-4b5f-8683-a3cb6763ffcc",
        json!({"schemas": [USER_SCHEMA], "userName": "david", "nickName": "Davey"}),
    )
    .await;
    ids.map("W/\"3694e05e9dff591\"", &bob);
    ids.map("W/\"edac3253e2c0ef2\"", &dave);
    if erin {
        let (_, erin) = create(
            scim,
            &mut ids,
            "/Users",
            "e9025315-6bea-44e1-899c-1e07454e468b",
            json!({"schemas": [USER_SCHEMA], "userName": "erin"}),
        )
        .await;
        ids.map("W/\"0ee8add0a938e1a\"", &erin);
    }
    if alice {
        scim.create_user("Alice").await;
    }
    ids
}

#[tokio::test]
async fn rfc7644_3_7_3_bulk_response_reports_every_operation() {
    let example = data!("3.7.3-bulk-responses.json");
    let scim = Harness::new();
    let mut ids = bulk_fixture(&scim, true, false).await;
    let r = send(&scim, &ids, &example["request"], &[])
        .await
        .expect(200);
    let alice = id_in(
        r.body["Operations"][0]["location"]
            .as_str()
            .unwrap_or("/none"),
    );
    ids.map("92b725cd-9465-4e7d-8c16-01f8e146b87a", &alice);
    assert_same(
        &r.body,
        &ids.subst(&example["response"]["body"]),
        "§3.7.3 BulkResponse",
    );

    let bob = scim
        .get(&ids.subst_str("/Users/b7c14771-226c-4d05-8860-134711653041"))
        .await
        .expect(200);
    assert_eq!(bob.body["userName"], "Bob");
    assert!(bob.body.get("title").is_none(), "PUT replaced Bob");
    assert_eq!(
        Some(bob.body["meta"]["version"].as_str().unwrap()),
        r.body["Operations"][1]["version"].as_str()
    );
    let dave = scim
        .get(&ids.subst_str("/Users/5d8d29d3-342c-4b5f-8683-a3cb6763ffcc"))
        .await
        .expect(200);
    assert_eq!(dave.body["userName"], "Dave");
    assert!(dave.body.get("nickName").is_none());
    scim.get(&ids.subst_str("/Users/e9025315-6bea-44e1-899c-1e07454e468b"))
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn rfc7644_3_7_3_fail_on_errors_1_stops_at_the_first_error() {
    let example = data!("3.7.3-bulk-responses.json");
    let scim = Harness::new();
    let ids = bulk_fixture(&scim, true, true).await;
    let bob_before = scim
        .get(&ids.subst_str("/Users/b7c14771-226c-4d05-8860-134711653041"))
        .await
        .expect(200);
    let r = send(&scim, &ids, &example["request"], &[])
        .await
        .expect(200);
    assert_same(
        &r.body,
        &ids.subst(&example["error_fail_on_errors_1"]["response"]["body"]),
        "§3.7.3 BulkResponse after the first error",
    );
    // Nothing after the error was done.
    let bob = scim
        .get(&ids.subst_str("/Users/b7c14771-226c-4d05-8860-134711653041"))
        .await
        .expect(200);
    assert_eq!(bob.body, bob_before.body);
    let dave = scim
        .get(&ids.subst_str("/Users/5d8d29d3-342c-4b5f-8683-a3cb6763ffcc"))
        .await
        .expect(200);
    assert_eq!(dave.body["nickName"], "Davey");
    scim.get(&ids.subst_str("/Users/e9025315-6bea-44e1-899c-1e07454e468b"))
        .await
        .expect(200);
}

#[tokio::test]
async fn rfc7644_3_7_3_without_fail_on_errors_every_operation_is_tried_and_reported() {
    let example = data!("3.7.3-bulk-responses.json");
    let scim = Harness::new();
    // No Erin, and the versions stay the RFC's, which match nothing.
    let mut ids = bulk_fixture(&scim, false, true).await;
    ids.0.retain(|(rfc, _)| !rfc.starts_with("W/"));
    let mut request = example["request"].clone();
    request["body"]
        .as_object_mut()
        .unwrap()
        .remove("failOnErrors");
    let r = send(&scim, &ids, &request, &[]).await.expect(200);
    assert_same(
        &r.body,
        &ids.subst(&example["error_all_failed"]["response"]["body"]),
        "§3.7.3 BulkResponse with every operation failed",
    );
}

// ---------------------------------------------------------------------------
// §3.12 errors
// ---------------------------------------------------------------------------

#[tokio::test]
async fn rfc7644_3_12_error_responses_have_the_documented_shape() {
    let example = data!("3.12-errors.json");
    let scim = Harness::new();
    let mut ids = Ids::default();
    create(
        &scim,
        &mut ids,
        "/Users",
        "c75ad752-64ae-4823-840d-ffa80929976c",
        json!({"schemas": [USER_SCHEMA], "userName": "jsmith"}),
    )
    .await;
    for case in example["examples"].as_array().unwrap() {
        let r = send(&scim, &ids, &case["request"], &[]).await;
        let status = case["response"]["status"].as_u64().unwrap() as u16;
        assert_eq!(r.status.as_u16(), status, "{}: {}", case["name"], r.body);
        assert_same(
            &r.body,
            &ids.subst(&case["response"]["body"]),
            case["name"].as_str().unwrap(),
        );
        assert_eq!(r.header("content-type"), Some("application/scim+json"));
    }
}
