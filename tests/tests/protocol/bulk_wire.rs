//! The exact bytes `POST /Bulk` answers for a request mixing every kind of
//! result: creates linked by `bulkId`, a members PATCH answered `204`, a
//! replace and a PATCH with `version`, a failed POST, a stale `version`, an
//! operation on a failed `bulkId`, an unknown `bulkId`, a method the path
//! does not allow, `/Me`, a search, a `version` no header can carry and a
//! path no URI can. It pins the wire format of bulk
//! results (key order, which of `location` and `version` each carries, the
//! error bodies) so that changes to how bulk runs its operations cannot
//! change it.

use http::Request;
use scim_tests::{BASE, GROUP_SCHEMA, Harness, SEARCH_REQUEST, TOKEN, USER_SCHEMA, bulk_request};
use serde_json::{Value, json};

#[tokio::test]
async fn a_mixed_bulk_request_answers_exactly_these_bytes() {
    let scim = Harness::new();
    let bob = scim.create_user("bob").await;
    let doomed = scim.create_user("doomed").await;
    let operations = json!([
        {"method": "POST", "path": "/Users", "bulkId": "alice",
         "data": {"schemas": [USER_SCHEMA], "userName": "alice"}},
        {"method": "POST", "path": "/Groups", "bulkId": "team",
         "data": {"schemas": [GROUP_SCHEMA], "displayName": "Team",
                  "members": [{"value": "bulkId:alice"}]}},
        {"method": "PATCH", "path": "/Groups/bulkId:team", "version": "W/\"1\"",
         "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                  "Operations": [{"op": "add", "path": "members", "value": [{"value": bob}]}]}},
        {"method": "PUT", "path": format!("/Users/{bob}"), "version": "W/\"1\"",
         "data": {"schemas": [USER_SCHEMA], "userName": "bob", "title": "Boss"}},
        {"method": "PATCH", "path": "/Users/bulkId:alice",
         "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                  "Operations": [{"op": "replace", "path": "title", "value": "Dev"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "nameless",
         "data": {"schemas": [USER_SCHEMA], "displayName": "No Name"}},
        {"method": "PATCH", "path": "/Users/bulkId:nameless",
         "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                  "Operations": [{"op": "replace", "path": "title", "value": "x"}]}},
        {"method": "PUT", "path": format!("/Users/{bob}"), "version": "W/\"1\"",
         "data": {"schemas": [USER_SCHEMA], "userName": "bob"}},
        {"method": "DELETE", "path": format!("/Users/{doomed}")},
        {"method": "DELETE", "path": format!("/Users/{doomed}")},
        {"method": "POST", "path": format!("/Users/{bob}"), "bulkId": "wrong",
         "data": {"schemas": [USER_SCHEMA], "userName": "wrong"}},
        {"method": "PUT", "path": "/Groups", "data": {}},
        {"method": "DELETE", "path": "/Me"},
        {"method": "POST", "path": "/Users/.search", "bulkId": "search",
         "data": {"schemas": [SEARCH_REQUEST], "filter": "userName eq \"bob\""}},
        {"method": "PATCH", "path": "/Users/bulkId:nowhere",
         "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                  "Operations": [{"op": "replace", "path": "title", "value": "x"}]}},
        {"method": "DELETE", "path": format!("/Users/{bob}"), "version": "W/\"1\u{7}\""},
        {"method": "DELETE", "path": "/Users/a b"},
    ]);
    let body = serde_json::to_vec(&bulk_request(operations)).unwrap();
    let request = Request::post(format!("{BASE}/Bulk"))
        .header("host", "scim.example.com")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/scim+json")
        .body(body)
        .unwrap();
    let response = scim.service.handle(request).await;
    assert_eq!(response.status(), 200);
    let text = String::from_utf8(response.into_body()).unwrap();

    // The ids the service generated, read from the results, stand in the
    // expected text as {alice} and {team}; everything else is fixed.
    let parsed: Value = serde_json::from_str(&text).unwrap();
    let id_of = |i: usize| {
        let location = parsed["Operations"][i]["location"].as_str().unwrap();
        location.rsplit('/').next().unwrap().to_owned()
    };
    let (alice, team) = (id_of(0), id_of(1));
    let text = text
        .replace(&alice, "{alice}")
        .replace(&team, "{team}")
        .replace(&bob, "{bob}")
        .replace(&doomed, "{doomed}");
    let expected: String = EXPECTED.lines().map(str::trim).collect();
    assert_eq!(text, expected);
}

/// The expected body, one result per line: the lines are joined without
/// their line breaks.
const EXPECTED: &str = r#"
{"Operations":[
{"bulkId":"alice","location":"http://scim.example.com/scim/v2/Users/{alice}","method":"POST","status":"201","version":"W/\"1\""},
{"bulkId":"team","location":"http://scim.example.com/scim/v2/Groups/{team}","method":"POST","status":"201","version":"W/\"1\""},
{"location":"http://scim.example.com/scim/v2/Groups/{team}","method":"PATCH","status":"204","version":"W/\"2\""},
{"location":"http://scim.example.com/scim/v2/Users/{bob}","method":"PUT","status":"200","version":"W/\"2\""},
{"location":"http://scim.example.com/scim/v2/Users/{alice}","method":"PATCH","status":"200","version":"W/\"2\""},
{"bulkId":"nameless","method":"POST","response":{"detail":"attribute \"userName\" is required","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"invalidValue","status":"400"},"status":"400"},
{"location":"http://scim.example.com/scim/v2/Users/bulkId:nameless","method":"PATCH","response":{"detail":"bulkId \"nameless\" refers to an operation that failed","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"invalidValue","status":"400"},"status":"400"},
{"location":"http://scim.example.com/scim/v2/Users/{bob}","method":"PUT","response":{"detail":"If-Match W/\"1\" does not match the current version W/\"2\"","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"412"},"status":"412"},
{"location":"http://scim.example.com/scim/v2/Users/{doomed}","method":"DELETE","status":"204"},
{"location":"http://scim.example.com/scim/v2/Users/{doomed}","method":"DELETE","response":{"detail":"User {doomed} not found","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"},"status":"404"},
{"bulkId":"wrong","method":"POST","response":{"detail":"POST is not allowed here; allowed: GET, PUT, PATCH, DELETE","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"405"},"status":"405"},
{"location":"http://scim.example.com/scim/v2/Groups","method":"PUT","response":{"detail":"PUT is not allowed here; allowed: GET, POST","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"405"},"status":"405"},
{"location":"http://scim.example.com/scim/v2/Me","method":"DELETE","response":{"detail":"this service does not support /Me; address users by id","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"501"},"status":"501"},
{"bulkId":"search","method":"POST","status":"200"},
{"location":"http://scim.example.com/scim/v2/Users/bulkId:nowhere","method":"PATCH","response":{"detail":"bulkId \"nowhere\" is not defined by any operation of this request","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"invalidValue","status":"400"},"status":"400"},
{"location":"http://scim.example.com/scim/v2/Users/{bob}","method":"DELETE","response":{"detail":"\"W/\\\"1\\u{7}\\\"\" is not a version","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"invalidValue","status":"400"},"status":"400"},
{"location":"http://scim.example.com/scim/v2/Users/a b","method":"DELETE","response":{"detail":"invalid bulk operation path: invalid uri character","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"invalidValue","status":"400"},"status":"400"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]}
"#;
