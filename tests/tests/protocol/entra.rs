//! The Entra ID provisioning cycle of `../shared/entra.md`, request by
//! request, against the protocol service.

use scim_tests::{Harness, patch_op};
use serde_json::json;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// R1–R20: test connection, create and match a host, update it with both
/// PATCH dialects, soft-delete and reactivate it, create a host group, add
/// and remove members, rename and delete the group, hard-delete the host.
#[tokio::test]
async fn entra_provisioning_cycle() {
    let scim = Harness::new();

    // R1: Test Connection probes a random userName, form-encoded.
    let r = scim
        .get("/Users?filter=userName+eq+%22f3b1c9a2-6d4e-4b7a-9c2e-1d8f5a7b3c60%22")
        .await
        .expect(200);
    assert_eq!(
        r.body,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
               "totalResults": 0, "Resources": [], "startIndex": 1, "itemsPerPage": 0})
    );
    // R2: the group probe, with excludedAttributes first.
    scim.get("/Groups?excludedAttributes=members&filter=displayName+eq+%220c9e7d14%22")
        .await
        .expect(200);

    // R6: create a host with string boolean, client meta and the enterprise
    // extension.
    let r = scim
        .post(
            "/Users",
            json!({
                "schemas": [USER, ENTERPRISE],
                "userName": "amelia.hart@northwind.example",
                "active": "True",
                "emails": [{"primary": true, "type": "work", "value": "amelia.hart@northwind.example"}],
                "meta": {"resourceType": "User"},
                "name": {"familyName": "Hart", "givenName": "Amelia"},
                "phoneNumbers": [{"type": "work", "value": "+1 206 555 0100"},
                                 {"type": "mobile", "value": "+1 206 555 0142"}],
                ENTERPRISE: {"department": "Front Desk", "organization": "Northwind Traders"}
            }),
        )
        .await
        .expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["active"], true);
    assert_eq!(
        r.body["phoneNumbers"][0]["value"], "+1 206 555 0100",
        "stored as sent"
    );
    assert!(
        r.header("location")
            .unwrap()
            .ends_with(&format!("/Users/{id}"))
    );
    assert_eq!(r.header("etag"), r.body["meta"]["version"].as_str());

    // R5: matching is case-insensitive on userName.
    let r = scim
        .get("/Users?filter=userName+eq+%22AMELIA.HART%40northwind.example%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["id"], id.as_str());

    // A second create of the same userName is a 409 uniqueness conflict.
    scim.post(
        "/Users",
        json!({"schemas": [USER], "userName": "Amelia.Hart@northwind.example"}),
    )
    .await
    .expect_error(409, Some("uniqueness"));

    // R7 + R8: read by id, then the legacy PATCH dialect.
    scim.get(&format!("/Users/{id}")).await.expect(200);
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([
                {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Visitor Services"},
                {"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 206 555 0199"},
                {"op": "Add", "path": "emails[type eq \"other\"].value", "value": "amelia.hart@hartfamily.example"},
                {"op": "Replace", "path": "name.familyName", "value": "Hart-Lowe"},
                {"op": "Replace", "path": "userName", "value": "amelia.hart-lowe@northwind.example"}
            ])),
        )
        .await
        .expect(200);
    assert_eq!(r.body[ENTERPRISE]["department"], "Visitor Services");
    assert_eq!(
        r.body["emails"][1],
        json!({"type": "other", "value": "amelia.hart@hartfamily.example"})
    );
    // The old userName no longer matches; the new one does.
    let old = scim
        .get("/Users?filter=userName+eq+%22amelia.hart%40northwind.example%22")
        .await
        .expect(200);
    assert_eq!(old.body["totalResults"], 0);
    let new = scim
        .get("/Users?filter=userName+eq+%22amelia.hart-lowe%40northwind.example%22")
        .await
        .expect(200);
    assert_eq!(new.body["totalResults"], 1);

    // R9: the aadOptscim062020 dialect.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "amelia@northwind.example"},
                {"op": "replace", "value": {
                    "name.givenName": "Amy",
                    format!("{ENTERPRISE}:organization"): "Northwind Traders Ltd"
                }}
            ])),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["name"],
        json!({"givenName": "Amy", "familyName": "Hart-Lowe"})
    );
    assert_eq!(r.body[ENTERPRISE]["organization"], "Northwind Traders Ltd");
    assert_eq!(r.body["emails"][0]["value"], "amelia@northwind.example");
    assert_eq!(
        r.body["emails"].as_array().unwrap().len(),
        2,
        "no second work email"
    );

    // R11: soft delete with a string boolean; the host stays readable and
    // filterable.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], false);
    let r = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(r.body["active"], false);
    let r = scim
        .get("/Users?filter=userName+eq+%22amelia.hart-lowe%40northwind.example%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1, "inactive users are returned");

    // R12: reactivation.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "replace", "path": "active", "value": true}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], true);

    // R15: create a host group without members, with Microsoft's own
    // schema URI next to the core one.
    let other = scim.create_user("reza.farahani@northwind.example").await;
    let r = scim
        .post(
            "/Groups",
            json!({
                "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "displayName": "Reception Hosts",
                "meta": {"resourceType": "Group"}
            }),
        )
        .await
        .expect(201);
    let group = r.body["id"].as_str().unwrap().to_owned();

    // R14: match the group without members, case-insensitively.
    let r = scim
        .get("/Groups?excludedAttributes=members&filter=displayName+eq+%22reception+hosts%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);

    // R17: add members (204 for groups); adding again is a no-op success.
    let add = patch_op(json!([{"op": "Add", "path": "members",
        "value": [{"$ref": null, "value": id}, {"$ref": null, "value": other}]}]));
    scim.patch(&format!("/Groups/{group}"), add.clone())
        .await
        .expect(204);
    scim.patch(&format!("/Groups/{group}"), add)
        .await
        .expect(204);
    let r = scim.get(&format!("/Groups/{group}")).await.expect(200);
    assert_eq!(r.body["members"].as_array().unwrap().len(), 2);
    // R16: members are left out when asked.
    let r = scim
        .get(&format!("/Groups/{group}?excludedAttributes=members"))
        .await
        .expect(200);
    assert!(r.body.get("members").is_none());
    // A user's groups are computed.
    let r = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(r.body["groups"][0]["value"], group.as_str());
    // R21: the legacy reference check.
    let r = scim
        .get(&format!(
            "/Groups?filter=id+eq+%22{group}%22+and+members+eq+%22{id}%22&attributes=id"
        ))
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(
        r.body["Resources"][0],
        json!({"schemas": [GROUP], "id": group})
    );

    // R18 legacy: remove one member by value list; the other stays.
    scim.patch(
        &format!("/Groups/{group}"),
        patch_op(
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": id}]}]),
        ),
    )
    .await
    .expect(204);
    let r = scim.get(&format!("/Groups/{group}")).await.expect(200);
    assert_eq!(r.body["members"], json!([{"value": other}]));
    // R18 flag: remove by filter; removing an absent member succeeds.
    for _ in 0..2 {
        scim.patch(
            &format!("/Groups/{group}"),
            patch_op(json!([{"op": "remove", "path": format!("members[value eq \"{other}\"]")}])),
        )
        .await
        .expect(204);
    }
    let r = scim.get(&format!("/Groups/{group}")).await.expect(200);
    assert!(r.body.get("members").is_none());

    // R19: rename; the new name is filterable at once, the old one not.
    scim.patch(
        &format!("/Groups/{group}"),
        patch_op(json!([{"op": "Replace", "path": "displayName", "value": "Lobby Hosts"}])),
    )
    .await
    .expect(204);
    let r = scim
        .get("/Groups?filter=displayName+eq+%22Lobby+Hosts%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);
    let r = scim
        .get("/Groups?filter=displayName+eq+%22Reception+Hosts%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);

    // R20: delete the group; its members are untouched.
    scim.delete(&format!("/Groups/{group}")).await.expect(204);
    scim.get(&format!("/Groups/{group}"))
        .await
        .expect_error(404, None);
    scim.get(&format!("/Users/{other}")).await.expect(200);

    // R13: hard delete; afterwards every operation is 404.
    scim.delete(&format!("/Users/{id}")).await.expect(204);
    scim.get(&format!("/Users/{id}"))
        .await
        .expect_error(404, None);
    scim.patch(
        &format!("/Users/{id}"),
        patch_op(json!([{"op": "replace", "path": "active", "value": false}])),
    )
    .await
    .expect_error(404, None);
    scim.delete(&format!("/Users/{id}"))
        .await
        .expect_error(404, None);
}
