//! Filters whose comparison cannot mean anything (RFC 7644 §3.4.2.2), and
//! the any-value rule for every operator.

use scim_tests::{USER_SCHEMA as USER, patch_op, search_request};
use serde_json::json;

use super::{both, enc};

#[tokio::test]
async fn comparing_a_date_time_or_boolean_attribute_with_a_string_is_invalid_filter() {
    for (policy, scim) in both() {
        scim.create_user("bjensen").await;
        for filter in [
            r#"meta.created gt "yesterday""#,
            r#"meta.lastModified eq "2021-13-45""#,
            r#"active eq "True""#,
            r#"active ne "false""#,
            r#"emails[primary eq "yes"]"#,
        ] {
            let q = enc(filter);
            let r = scim
                .get(&format!("/Users?filter={q}"))
                .await
                .expect_error(400, Some("invalidFilter"));
            assert!(
                r.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("cannot be compared"),
                "{policy} {filter}: {}",
                r.body
            );
            scim.post("/Users/.search", search_request(json!({"filter": filter})))
                .await
                .expect_error(400, Some("invalidFilter"));
        }
        // The same in a PATCH path filter, with and without values to test.
        let id = scim.create_user("ann").await;
        for body in [
            json!([{"op": "replace", "path": "emails[primary eq \"yes\"].value", "value": "a@example.org"}]),
            json!([{"op": "remove", "path": "emails[primary eq \"True\"]"}]),
        ] {
            scim.patch(&format!("/Users/{id}"), patch_op(body.clone()))
                .await
                .expect_error(400, Some("invalidFilter"));
            scim.patch(
                &format!("/Users/{id}"),
                patch_op(json!([{"op": "add", "path": "emails", "value": [{"value": "a@example.org", "type": "work", "primary": true}]}])),
            )
            .await
            .expect(200);
            scim.patch(&format!("/Users/{id}"), patch_op(body))
                .await
                .expect_error(400, Some("invalidFilter"));
        }
        // Well-typed comparisons still work.
        for filter in [
            r#"meta.created gt "2000-01-01T00:00:00Z""#,
            r#"active eq true"#,
            r#"emails[primary eq true]"#,
        ] {
            let q = enc(filter);
            scim.get(&format!("/Users?filter={q}")).await.expect(200);
        }
    }
}

#[tokio::test]
async fn ne_on_a_multi_valued_attribute_matches_when_any_value_differs() {
    for (policy, scim) in both() {
        for (name, emails) in [
            ("one", json!([{"value": "x@example.org"}])),
            (
                "two",
                json!([{"value": "x@example.org"}, {"value": "y@example.org"}]),
            ),
            ("none", json!(null)),
        ] {
            scim.post(
                "/Users",
                json!({"schemas": [USER], "userName": name, "emails": emails}),
            )
            .await
            .expect(201);
        }
        let names = |filter: &str| {
            let q = enc(filter);
            let scim = &scim;
            async move {
                let r = scim
                    .get(&format!("/Users?filter={q}&sortBy=userName"))
                    .await
                    .expect(200);
                r.body["Resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["userName"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            names(r#"emails.value ne "x@example.org""#).await,
            ["two"],
            "{policy}"
        );
        assert_eq!(
            names(r#"emails ne "x@example.org""#).await,
            ["two"],
            "{policy}"
        );
        assert_eq!(
            names(r#"not (emails.value eq "x@example.org")"#).await,
            ["none"],
            "{policy}"
        );
        assert_eq!(
            names(r#"emails.value eq "y@example.org""#).await,
            ["two"],
            "{policy}"
        );
    }
}
