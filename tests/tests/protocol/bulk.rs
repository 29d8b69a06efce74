//! `POST /Bulk` (RFC 7644 §3.7): `bulkId` cross references, `failOnErrors`,
//! the advertised limits, per-operation errors and `version`.

use http::Method;
use scim_core::protocol::ServiceConfig;
use scim_tests::{
    BASE, BASE_URL, BULK_RESPONSE, ERROR_SCHEMA, GROUP_SCHEMA, Harness, Reply, USER_SCHEMA,
    bulk_request, patch_op,
};
use serde_json::{Value, json};

fn new_user(bulk_id: &str, user_name: &str) -> Value {
    json!({
        "method": "POST",
        "path": "/Users",
        "bulkId": bulk_id,
        "data": {"schemas": [USER_SCHEMA], "userName": user_name}
    })
}

fn new_group(bulk_id: &str, display_name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({
        "method": "POST",
        "path": "/Groups",
        "bulkId": bulk_id,
        "data": {"schemas": [GROUP_SCHEMA], "displayName": display_name, "members": members}
    })
}

/// A user without the required userName: fails with 400.
fn bad_user(bulk_id: &str) -> Value {
    json!({
        "method": "POST",
        "path": "/Users",
        "bulkId": bulk_id,
        "data": {"schemas": [USER_SCHEMA], "displayName": "No Name"}
    })
}

async fn bulk(scim: &Harness, operations: Value) -> Reply {
    let r = scim
        .post("/Bulk", bulk_request(operations))
        .await
        .expect(200);
    assert_eq!(r.body["schemas"], json!([BULK_RESPONSE]));
    r
}

fn ops(r: &Reply) -> &Vec<Value> {
    r.body["Operations"].as_array().unwrap()
}

fn status(op: &Value) -> u16 {
    op["status"].as_str().unwrap().parse().unwrap()
}

fn created_id(op: &Value) -> String {
    assert_eq!(op["status"], "201", "{op}");
    op["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

/// Asserts that a result is a failure carrying a SCIM error whose status
/// matches the operation's.
#[track_caller]
fn assert_failed(op: &Value) {
    let code = status(op);
    assert!((400..500).contains(&code), "a client error: {op}");
    assert_eq!(op["response"]["schemas"], json!([ERROR_SCHEMA]), "{op}");
    assert_eq!(op["response"]["status"], op["status"], "{op}");
    assert!(
        op["response"]["detail"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{op}"
    );
}

async fn total(scim: &Harness, endpoint: &str) -> u64 {
    scim.get(endpoint).await.expect(200).body["totalResults"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_bulk_id_reference_resolves_to_the_created_resource() {
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            new_user("u1", "alice"),
            new_group("g1", "Tour Guides", &["bulkId:u1"])
        ]),
    )
    .await;
    let user = created_id(&ops(&r)[0]);
    let group = created_id(&ops(&r)[1]);
    assert_eq!(ops(&r)[0]["bulkId"], "u1");
    assert_eq!(ops(&r)[1]["bulkId"], "g1");
    let g = scim.get(&format!("/Groups/{group}")).await.expect(200);
    assert_eq!(g.body["members"], json!([{"value": user}]));
}

#[tokio::test]
async fn a_forward_reference_to_a_later_operation_resolves() {
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            new_group("g1", "Tour Guides", &["bulkId:u1"]),
            new_user("u1", "alice")
        ]),
    )
    .await;
    // Results are reported in request order.
    assert_eq!(ops(&r)[0]["bulkId"], "g1");
    assert_eq!(ops(&r)[1]["bulkId"], "u1");
    let group = created_id(&ops(&r)[0]);
    let user = created_id(&ops(&r)[1]);
    let g = scim.get(&format!("/Groups/{group}")).await.expect(200);
    assert_eq!(g.body["members"], json!([{"value": user}]));
}

#[tokio::test]
async fn a_long_chain_of_forward_references_resolves() {
    // g0 contains g1, which contains g2, …, which contains the user; each
    // operation refers to one that comes after it.
    let scim = Harness::new();
    const N: usize = 60;
    let mut operations: Vec<Value> = (0..N)
        .map(|i| {
            let next = if i + 1 == N {
                "bulkId:user".to_owned()
            } else {
                format!("bulkId:g{}", i + 1)
            };
            new_group(&format!("g{i}"), &format!("Group {i}"), &[&next])
        })
        .collect();
    operations.push(new_user("user", "alice"));
    let r = bulk(&scim, Value::Array(operations)).await;
    let ids: Vec<String> = ops(&r).iter().map(created_id).collect();
    for i in 0..N {
        let g = scim.get(&format!("/Groups/{}", ids[i])).await.expect(200);
        assert_eq!(g.body["members"], json!([{"value": ids[i + 1]}]), "g{i}");
    }
}

#[tokio::test]
async fn a_bulk_id_in_a_path_resolves() {
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            new_user("u1", "alice"),
            {"method": "PATCH", "path": "/Users/bulkId:u1",
             "data": patch_op(json!([{"op": "add", "path": "title", "value": "Guide"}]))},
            {"method": "PUT", "path": "/Users/bulkId:u1",
             "data": {"schemas": [USER_SCHEMA], "userName": "alice", "nickName": "Al"}},
        ]),
    )
    .await;
    let user = created_id(&ops(&r)[0]);
    assert_eq!(ops(&r)[1]["status"], "200", "{}", r.body);
    assert_eq!(ops(&r)[2]["status"], "200", "{}", r.body);
    let location = format!("{BASE_URL}/Users/{user}");
    assert_eq!(ops(&r)[1]["location"], location.as_str());
    assert_eq!(ops(&r)[2]["location"], location.as_str());
    let u = scim.get(&format!("/Users/{user}")).await.expect(200);
    assert_eq!(u.body["nickName"], "Al");
    assert!(
        u.body.get("title").is_none(),
        "the PUT came after the PATCH"
    );
    assert_eq!(u.body["meta"]["version"], ops(&r)[2]["version"]);
}

#[tokio::test]
async fn results_carry_method_bulk_id_location_version_and_status() {
    // RFC 7644 §3.7: "location" is REQUIRED in a response "except in the
    // event of a POST failure"; "version" is the resource's new version.
    let scim = Harness::new();
    let existing = scim.create_user("bob").await;
    let etag = scim
        .get(&format!("/Users/{existing}"))
        .await
        .expect(200)
        .header("etag")
        .unwrap()
        .to_owned();
    let doomed = scim.create_user("carol").await;
    let r = bulk(
        &scim,
        json!([
            new_user("u1", "alice"),
            {"method": "PATCH", "path": format!("/Users/{existing}"), "version": etag,
             "data": patch_op(json!([{"op": "add", "path": "title", "value": "x"}]))},
            {"method": "DELETE", "path": format!("/Users/{doomed}")},
        ]),
    )
    .await;
    let alice = created_id(&ops(&r)[0]);
    let alice_version =
        scim.get(&format!("/Users/{alice}")).await.expect(200).body["meta"]["version"].clone();
    let bob_version = scim
        .get(&format!("/Users/{existing}"))
        .await
        .expect(200)
        .body["meta"]["version"]
        .clone();
    assert_eq!(
        r.body["Operations"],
        json!([
            {"method": "POST", "bulkId": "u1", "location": format!("{BASE_URL}/Users/{alice}"),
             "version": alice_version, "status": "201"},
            {"method": "PATCH", "location": format!("{BASE_URL}/Users/{existing}"),
             "version": bob_version, "status": "200"},
            {"method": "DELETE", "location": format!("{BASE_URL}/Users/{doomed}"), "status": "204"},
        ])
    );
}

#[tokio::test]
async fn a_failed_operation_other_than_post_still_names_its_location() {
    // RFC 7644 §3.7: location is REQUIRED except for a failed POST; the
    // §3.7.3 error example shows it on a failed PUT.
    let scim = Harness::new();
    let id = scim.create_user("bob").await;
    let r = bulk(
        &scim,
        json!([
            {"method": "PUT", "path": format!("/Users/{id}"), "version": "W/\"stale\"",
             "data": {"schemas": [USER_SCHEMA], "userName": "bob"}},
            bad_user("b1"),
        ]),
    )
    .await;
    assert_eq!(ops(&r)[0]["status"], "412");
    assert_failed(&ops(&r)[0]);
    assert_eq!(
        ops(&r)[0]["location"],
        format!("{BASE_URL}/Users/{id}").as_str()
    );
    assert_failed(&ops(&r)[1]);
    assert!(
        ops(&r)[1].get("location").is_none(),
        "a failed POST has no location"
    );
}

#[tokio::test]
async fn without_fail_on_errors_every_operation_runs() {
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            new_user("a", "alice"),
            bad_user("b"),
            new_user("c", "carol"),
            bad_user("d"),
            new_user("e", "erin")
        ]),
    )
    .await;
    let codes: Vec<u16> = ops(&r).iter().map(status).collect();
    assert_eq!(codes, [201, 400, 201, 400, 201]);
    assert_failed(&ops(&r)[1]);
    assert_eq!(ops(&r)[1]["response"]["scimType"], "invalidValue");
    assert_eq!(total(&scim, "/Users").await, 3);
}

#[tokio::test]
async fn fail_on_errors_stops_after_that_many_errors() {
    let scim = Harness::new();
    let mut request = bulk_request(json!([
        new_user("a", "alice"),
        bad_user("b"),
        new_user("c", "carol"),
        bad_user("d"),
        new_user("e", "erin"),
        new_user("f", "frank"),
    ]));
    request["failOnErrors"] = json!(2);
    let r = scim.post("/Bulk", request).await.expect(200);
    let codes: Vec<u16> = ops(&r).iter().map(status).collect();
    assert_eq!(
        codes,
        [201, 400, 201, 400],
        "processing stops at the second error: {}",
        r.body
    );
    let names: Vec<Value> = scim.get("/Users?sortBy=userName").await.expect(200).body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("alice"), json!("carol")],
        "erin and frank were never created"
    );
}

#[tokio::test]
async fn fail_on_errors_must_be_a_positive_integer() {
    let scim = Harness::new();
    for value in [json!(0), json!(-1), json!("1"), json!(1.5)] {
        let mut request = bulk_request(json!([new_user("a", "alice")]));
        request["failOnErrors"] = value.clone();
        scim.post("/Bulk", request)
            .await
            .expect_error(400, Some("invalidValue"));
    }
    assert_eq!(total(&scim, "/Users").await, 0);
}

#[tokio::test]
async fn more_operations_than_max_operations_is_413_and_nothing_runs() {
    // RFC 7644 §3.7.4.
    let mut config = ServiceConfig::new(BASE);
    config.bulk_max_operations = 2;
    let scim = Harness::with_config(config);
    let spc = scim.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(spc.body["bulk"]["maxOperations"], 2);
    scim.post(
        "/Bulk",
        bulk_request(json!([
            new_user("a", "alice"),
            new_user("b", "bob"),
            new_user("c", "carol")
        ])),
    )
    .await
    .expect_error(413, None);
    assert_eq!(total(&scim, "/Users").await, 0);
    bulk(&scim, json!([new_user("a", "alice"), new_user("b", "bob")])).await;
    assert_eq!(total(&scim, "/Users").await, 2);
}

#[tokio::test]
async fn a_bulk_body_over_max_payload_size_is_413_and_nothing_runs() {
    let mut config = ServiceConfig::new(BASE);
    config.max_payload_size = 2048;
    let scim = Harness::with_config(config);
    let spc = scim.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(spc.body["bulk"]["maxPayloadSize"], 2048);
    let operations: Vec<Value> = (0..40)
        .map(|i| new_user(&format!("u{i}"), &format!("user{i}")))
        .collect();
    let body = bulk_request(Value::Array(operations));
    assert!(serde_json::to_vec(&body).unwrap().len() > 2048);
    scim.post("/Bulk", body).await.expect_error(413, None);
    assert_eq!(total(&scim, "/Users").await, 0);
}

#[tokio::test]
async fn an_unknown_bulk_id_fails_only_its_operation() {
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            new_group("g1", "Ghosts", &["bulkId:nobody"]),
            {"method": "PATCH", "path": "/Users/bulkId:nobody",
             "data": patch_op(json!([{"op": "add", "path": "title", "value": "x"}]))},
            new_user("u1", "alice"),
        ]),
    )
    .await;
    assert_eq!(ops(&r).len(), 3);
    assert_eq!(ops(&r)[0]["bulkId"], "g1");
    assert_failed(&ops(&r)[0]);
    assert_failed(&ops(&r)[1]);
    created_id(&ops(&r)[2]);
    assert_eq!(total(&scim, "/Groups").await, 0);
}

#[tokio::test]
async fn circular_references_are_resolved_or_refused_with_409_without_hanging() {
    // RFC 7644 §3.7.1: "The service provider MUST try to resolve circular
    // cross-references between resources in a single bulk job but MAY stop
    // after a failed attempt and instead return HTTP status code 409
    // (Conflict)." This is the RFC's own example: two groups, each a member
    // of the other.
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            {"method": "POST", "path": "/Groups", "bulkId": "qwerty",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "Group A",
                      "members": [{"type": "Group", "value": "bulkId:ytrewq"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "Group B",
                      "members": [{"type": "Group", "value": "bulkId:qwerty"}]}},
        ]),
    )
    .await;
    assert_eq!(ops(&r).len(), 2, "{}", r.body);
    let resolved = ops(&r).iter().all(|op| op["status"] == "201");
    if resolved {
        let a = created_id(&ops(&r)[0]);
        let b = created_id(&ops(&r)[1]);
        let ga = scim.get(&format!("/Groups/{a}")).await.expect(200);
        let gb = scim.get(&format!("/Groups/{b}")).await.expect(200);
        assert_eq!(ga.body["members"][0]["value"], b.as_str());
        assert_eq!(gb.body["members"][0]["value"], a.as_str());
    } else {
        for op in ops(&r) {
            assert_eq!(op["status"], "409", "RFC 7644 §3.7.1: {op}");
            assert_failed(op);
        }
        assert_eq!(total(&scim, "/Groups").await, 0);
    }
}

#[tokio::test]
async fn a_self_reference_is_resolved_or_refused_with_409_without_hanging() {
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            new_group("me", "Narcissus", &["bulkId:me"]),
            new_user("u", "alice")
        ]),
    )
    .await;
    assert_eq!(ops(&r).len(), 2);
    let op = &ops(&r)[0];
    if op["status"] != "201" {
        assert_eq!(op["status"], "409", "RFC 7644 §3.7.1: {op}");
        assert_failed(op);
    }
    created_id(&ops(&r)[1]);
}

#[tokio::test]
async fn operations_depending_on_a_failed_create_fail_too() {
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            bad_user("bad"),
            new_group("g1", "Tour Guides", &["bulkId:bad"]),
            {"method": "PATCH", "path": "/Users/bulkId:bad",
             "data": patch_op(json!([{"op": "add", "path": "title", "value": "x"}]))},
            {"method": "DELETE", "path": "/Users/bulkId:bad"},
            new_user("ok", "alice"),
        ]),
    )
    .await;
    assert_eq!(ops(&r).len(), 5);
    for op in &ops(&r)[..4] {
        assert_failed(op);
    }
    created_id(&ops(&r)[4]);
    assert_eq!(total(&scim, "/Groups").await, 0);
    assert_eq!(total(&scim, "/Users").await, 1);
}

#[tokio::test]
async fn a_nested_bulk_request_is_refused() {
    let scim = Harness::new();
    let r = bulk(
        &scim,
        json!([
            {"method": "POST", "path": "/Bulk", "bulkId": "inner",
             "data": bulk_request(json!([new_user("u", "smuggled")]))},
            new_user("u2", "alice"),
        ]),
    )
    .await;
    assert_failed(&ops(&r)[0]);
    created_id(&ops(&r)[1]);
    let r = scim
        .get("/Users?filter=userName+eq+%22smuggled%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
}

#[tokio::test]
async fn version_acts_as_if_match() {
    let scim = Harness::new();
    let a = scim.create_user("alice").await;
    let b = scim.create_user("bob").await;
    let c = scim.create_user("carol").await;
    let version = |id: String| {
        let scim = scim.clone();
        async move {
            scim.get(&format!("/Users/{id}"))
                .await
                .expect(200)
                .header("etag")
                .unwrap()
                .to_owned()
        }
    };
    let (va, vc) = (version(a.clone()).await, version(c.clone()).await);
    let r = bulk(
        &scim,
        json!([
            {"method": "PUT", "path": format!("/Users/{a}"), "version": va,
             "data": {"schemas": [USER_SCHEMA], "userName": "alice", "title": "x"}},
            {"method": "PATCH", "path": format!("/Users/{b}"), "version": "W/\"stale\"",
             "data": patch_op(json!([{"op": "add", "path": "title", "value": "x"}]))},
            {"method": "DELETE", "path": format!("/Users/{c}"), "version": vc},
            {"method": "DELETE", "path": format!("/Users/{a}"), "version": va},
        ]),
    )
    .await;
    let codes: Vec<u16> = ops(&r).iter().map(status).collect();
    assert_eq!(codes, [200, 412, 204, 412], "{}", r.body);
    assert_ne!(ops(&r)[0]["version"], va.as_str());
    assert_eq!(
        scim.get(&format!("/Users/{a}")).await.expect(200).body["title"],
        "x"
    );
    assert!(
        scim.get(&format!("/Users/{b}"))
            .await
            .expect(200)
            .body
            .get("title")
            .is_none()
    );
    scim.get(&format!("/Users/{c}"))
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn malformed_bulk_requests_are_refused_whole() {
    let scim = Harness::new();
    let cases = [
        (
            json!({"Operations": [new_user("a", "alice")]}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": {}}),
            "invalidSyntax",
        ),
        (json!([]), "invalidSyntax"),
        (bulk_request(json!(["POST /Users"])), "invalidSyntax"),
        // RFC 7644 §3.7: bulkId is REQUIRED when the method is POST.
        (
            bulk_request(json!([{"method": "POST", "path": "/Users", "data": {"userName": "a"}}])),
            "invalidValue",
        ),
        (
            bulk_request(json!([{"method": "GET", "path": "/Users"}])),
            "invalidValue",
        ),
        (
            bulk_request(json!([{"method": "POST", "bulkId": "a", "data": {"userName": "a"}}])),
            "invalidValue",
        ),
        (
            bulk_request(json!([{"method": "PUT", "path": "/Users/x"}])),
            "invalidValue",
        ),
        (
            bulk_request(json!([new_user("same", "alice"), new_user("same", "bob")])),
            "invalidValue",
        ),
    ];
    for (body, scim_type) in cases {
        scim.post("/Bulk", body.clone())
            .await
            .expect_error(400, Some(scim_type));
    }
    assert_eq!(
        total(&scim, "/Users").await,
        0,
        "nothing of a refused request runs"
    );
}

#[tokio::test]
async fn bulk_is_501_when_disabled_and_401_without_a_token() {
    let mut config = ServiceConfig::new(BASE);
    config.bulk_max_operations = 0;
    let scim = Harness::with_config(config);
    scim.post("/Bulk", bulk_request(json!([new_user("a", "alice")])))
        .await
        .expect_error(501, None);
    let scim = Harness::new();
    scim.send_raw(
        Method::POST,
        "/Bulk",
        Some(serde_json::to_vec(&bulk_request(json!([new_user("a", "alice")]))).unwrap()),
        &[],
    )
    .await
    .expect_error(401, None);
    assert_eq!(total(&scim, "/Users").await, 0);
}

#[tokio::test]
async fn an_empty_bulk_request_answers_an_empty_bulk_response() {
    let scim = Harness::new();
    let r = bulk(&scim, json!([])).await;
    assert_eq!(
        r.body,
        json!({"schemas": [BULK_RESPONSE], "Operations": []})
    );
}
