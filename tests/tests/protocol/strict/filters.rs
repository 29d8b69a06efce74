//! Filters whose comparison cannot mean anything (RFC 7644 §3.4.2.2), and
//! the any-value rule for every operator.

use scim_tests::USER_SCHEMA as USER;
use serde_json::json;

use super::{both, enc};

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
