use serde_json::json;

use super::*;
use crate::filter::Filter;
use crate::list::Page;
use crate::resource::{Meta, parse_date_time};
use crate::schema::Registry;
#[cfg(feature = "conformance")]
use crate::store::conformance::{self, Suite};

#[cfg(feature = "conformance")]
fn store() -> Arc<dyn ResourceStore> {
    Arc::new(MemoryStore::new())
}

#[cfg(feature = "conformance")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_conformance_suite_in_parallel() {
    Suite::new(|| async { store() })
        .with_spawner(|task| {
            tokio::spawn(task);
        })
        .run_all()
        .await;
}

#[cfg(feature = "conformance")]
#[tokio::test]
async fn passes_the_concurrency_checks_on_one_thread() {
    // Without a spawner the suite interleaves its concurrent calls in
    // one task.
    let suite = Suite::new(|| async { store() });
    suite.uniqueness_under_concurrency().await;
    suite.compare_and_swap_under_concurrency().await;
    suite.membership_under_concurrency().await;
}

/// The differential check, well beyond `run_all`'s few cases: thousands of
/// random queries over random tenants, in two halves run in parallel.
/// `SCIM_DIFFERENTIAL_CASES` runs more (per half).
#[cfg(feature = "conformance")]
#[tokio::test]
async fn agrees_with_evaluate_on_random_queries_first_half() {
    Suite::new(|| async { store() })
        .differential_queries(1500, 0x6d65_6d00_0000)
        .await;
}

#[cfg(feature = "conformance")]
#[tokio::test]
async fn agrees_with_evaluate_on_random_queries_second_half() {
    Suite::new(|| async { store() })
        .differential_queries(1500, 0x6d65_6d01_0000)
        .await;
}

#[cfg(feature = "conformance")]
#[tokio::test]
async fn run_is_the_whole_suite() {
    conformance::run(|| async { store() }).await;
}

fn resource(kind: &str, body: Value) -> Resource {
    let Value::Object(body) = body else {
        unreachable!()
    };
    let meta = Meta::new(
        kind,
        parse_date_time("2024-01-01T00:00:00Z").unwrap(),
        Version::from_revision(7),
    );
    Resource::new(ResourceId::generate(), body, &meta)
}

#[tokio::test]
async fn versions_are_revisions_and_conflicts_name_the_attribute() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let store = MemoryStore::new();
    let t = TenantId::new("t");
    let created = store
        .create(
            &t,
            users,
            resource(
                "User",
                json!({"userName": "bjensen", "groups": [{"value": "x"}]}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(created.version(), &Version::from_revision(1));
    assert!(
        created.get("groups").is_none(),
        "computed groups are not stored"
    );
    let err = store
        .create(&t, users, resource("User", json!({"userName": "BJensen"})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(c)
            if c.detail().as_str() == "userName \"BJensen\" is already taken"
                && c.attribute() == Some("userName")),
        "{err:?}"
    );
    let replaced = store
        .replace(&t, users, created.clone(), created.version())
        .await
        .unwrap();
    assert_eq!(replaced.version(), &Version::from_revision(2));
    assert_eq!(replaced.json()["meta"]["version"], "W/\"2\"");
}

#[tokio::test]
async fn ids_are_unique_across_resource_types() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let store = MemoryStore::new();
    let t = TenantId::new("t");
    let user = store
        .create(&t, users, resource("User", json!({"userName": "a"})))
        .await
        .unwrap();
    let Value::Object(body) = json!({"displayName": "g"}) else {
        unreachable!()
    };
    let clash = Resource::new(user.id().clone(), body, &user.meta().unwrap());
    let err = store.create(&t, groups, clash).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

/// A store that ignores the version on `replace`: the suite must say
/// which check it fails.
#[derive(Debug)]
#[cfg(feature = "conformance")]
struct IgnoresVersions(MemoryStore);

#[cfg(feature = "conformance")]
#[async_trait]
impl ResourceStore for IgnoresVersions {
    async fn create(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        r: Resource,
    ) -> Result<Resource, StoreError> {
        self.0.create(t, s, r).await
    }
    async fn get(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        id: &ResourceId,
        p: &Projection,
    ) -> Result<Option<Resource>, StoreError> {
        self.0.get(t, s, id, p).await
    }
    async fn replace(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        r: Resource,
        _expected: &Version,
    ) -> Result<Resource, StoreError> {
        let current = self.0.get(t, s, r.id(), &Projection::id_only()).await?;
        let current = current.ok_or(StoreError::NotFound)?;
        self.0.replace(t, s, r, current.version()).await
    }
    async fn delete(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        id: &ResourceId,
        v: Option<&Version>,
    ) -> Result<(), StoreError> {
        self.0.delete(t, s, id, v).await
    }
    async fn query(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        q: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        self.0.query(t, s, q).await
    }
}

#[cfg(feature = "conformance")]
#[tokio::test]
async fn the_suite_names_the_failed_check() {
    let failure = tokio::spawn(async {
        Suite::new(|| async {
            Arc::new(IgnoresVersions(MemoryStore::new())) as Arc<dyn ResourceStore>
        })
        .stale_versions_are_refused()
        .await;
    })
    .await
    .unwrap_err()
    .into_panic();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("store conformance check `stale_versions_are_refused` failed: replace at a stale version"),
        "{message}"
    );
}

/// A store with an off-by-one in index paging: the differential check
/// must find it, and print the seed and a regression entry.
#[derive(Debug)]
#[cfg(feature = "conformance")]
struct SkipsOneMore(MemoryStore);

#[cfg(feature = "conformance")]
#[async_trait]
impl ResourceStore for SkipsOneMore {
    async fn create(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        r: Resource,
    ) -> Result<Resource, StoreError> {
        self.0.create(t, s, r).await
    }
    async fn get(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        id: &ResourceId,
        p: &Projection,
    ) -> Result<Option<Resource>, StoreError> {
        self.0.get(t, s, id, p).await
    }
    async fn replace(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        r: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        self.0.replace(t, s, r, expected).await
    }
    async fn delete(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        id: &ResourceId,
        v: Option<&Version>,
    ) -> Result<(), StoreError> {
        self.0.delete(t, s, id, v).await
    }
    async fn query(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        q: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        let mut q = q.clone();
        if let Page::Index { start_index, .. } = &mut q.page {
            if *start_index > 1 {
                *start_index += 1;
            }
        }
        self.0.query(t, s, &q).await
    }
}

#[cfg(feature = "conformance")]
#[tokio::test]
async fn the_differential_check_prints_the_seed_and_a_regression() {
    let failure = tokio::spawn(async {
        Suite::new(|| async {
            Arc::new(SkipsOneMore(MemoryStore::new())) as Arc<dyn ResourceStore>
        })
        .differential_queries(500, 1)
        .await;
    })
    .await
    .unwrap_err()
    .into_panic();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("store conformance check `differential_queries` failed: seed 0x"),
        "{message}"
    );
    assert!(message.contains("\"startIndex\""), "{message}");
    assert!(message.contains("as a REGRESSIONS entry"), "{message}");
}

#[test]
fn debug_shows_no_data() {
    let store = MemoryStore::new();
    let text = format!("{store:?}");
    assert!(text.starts_with("MemoryStore"), "{text}");
    assert!(!text.contains("userName"), "{text}");
}

/// `attr eq "…"` on an indexed attribute is answered from the index
/// (no scan), and the answer is `evaluate`'s.
#[tokio::test]
async fn equality_filters_use_the_indexes_and_agree_with_evaluate() {
    const N: usize = 10_000;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let store = MemoryStore::new();
    let t = TenantId::new("big");
    let mut all = Vec::with_capacity(N);
    for i in 0..N {
        let name = if i == 4242 {
            "Émile-4242".to_owned()
        } else {
            format!("User-{i:05}")
        };
        let body = json!({
            "userName": name,
            "externalId": format!("Ext-{}", i % 5000),
            "displayName": format!("Person {}", i % 100),
        });
        all.push(
            store
                .create(&t, users, resource("User", body))
                .await
                .unwrap(),
        );
    }
    let some_id = all[1234].id().as_str().to_owned();
    let filters = [
        r#"userName eq "user-05000""#.to_owned(),
        r#"USERNAME eq "USER-05000""#.to_owned(),
        r#"userName eq "émile-4242""#.to_owned(),
        r#"userName eq "ÉMILE-4242""#.to_owned(),
        r#"userName eq "nobody""#.to_owned(),
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "User-00007""#.to_owned(),
        r#"externalId eq "Ext-17""#.to_owned(),
        r#"externalId eq "ext-17""#.to_owned(),
        r#"displayName eq "PERSON 7""#.to_owned(),
        format!(r#"id eq "{some_id}""#),
        format!(r#"id eq "{}""#, some_id.to_uppercase()),
        r#"userName eq "user-00001" or userName eq "User-00002""#.to_owned(),
        r#"userName eq "user-00003" and displayName eq "person 3""#.to_owned(),
        r#"displayName eq "person 3" and externalId eq "Ext-3""#.to_owned(),
    ];
    let guard = store.tenant(&t).unwrap().unwrap();
    for text in &filters {
        let filter: Filter = text.parse().unwrap();
        let candidates = {
            let tenant = guard.read().unwrap();
            tenant.collections["User"].candidates(users, &filter)
        };
        let candidates = candidates.unwrap_or_else(|| panic!("{text} scans"));
        assert!(
            candidates.len() <= 100,
            "{text}: {} candidates",
            candidates.len()
        );
        let mut q = ListQuery::new(Page::Index {
            start_index: 1,
            count: 100,
        });
        q.filter = Some(filter);
        let expected = evaluate(users, &all, &q).unwrap();
        let actual = store.query(&t, users, &q).await.unwrap();
        assert_eq!(actual, expected, "{text}");
    }
    assert_eq!(
        store
            .query(&t, users, &{
                let mut q = ListQuery::new(Page::Index {
                    start_index: 1,
                    count: 10,
                });
                q.filter = Some(r#"userName eq "user-05000""#.parse().unwrap());
                q
            })
            .await
            .unwrap()
            .total_results,
        1
    );
    // Filters without an index scan, and agree all the same.
    let tenant = guard.read().unwrap();
    for text in [
        r#"userName sw "user-0000""#,
        r#"not (userName eq "user-00001")"#,
        r#"name.givenName eq "x""#,
    ] {
        let filter: Filter = text.parse().unwrap();
        assert!(
            tenant.collections["User"]
                .candidates(users, &filter)
                .is_none(),
            "{text}"
        );
    }
}

#[tokio::test]
async fn excluded_members_are_not_copied_and_groups_are_computed() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let store = MemoryStore::new();
    let t = TenantId::new("t");
    let u = store
        .create(&t, users, resource("User", json!({"userName": "a"})))
        .await
        .unwrap();
    let g = store
        .create(
            &t,
            groups,
            resource(
                "Group",
                json!({"displayName": "G", "members": [{"value": u.id().as_str()}]}),
            ),
        )
        .await
        .unwrap();
    let excluded = Projection::parse(groups, None, Some("members")).unwrap();
    let got = store
        .get(&t, groups, g.id(), &excluded)
        .await
        .unwrap()
        .unwrap();
    assert!(got.get("members").is_none());
    assert_eq!(got.version(), g.version());
    let user = store
        .get(&t, users, u.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        user.get("groups"),
        Some(&json!([{"value": g.id().as_str(), "display": "G", "type": "direct"}]))
    );
    let no_groups = Projection::parse(users, Some("userName"), None).unwrap();
    let user = store
        .get(&t, users, u.id(), &no_groups)
        .await
        .unwrap()
        .unwrap();
    assert!(user.get("groups").is_none());
    // The member set and the reverse index follow every change.
    let delta = MemberDelta {
        remove_all: true,
        ..MemberDelta::default()
    };
    store
        .modify_members(
            &t,
            groups,
            g.id(),
            &delta,
            None,
            parse_date_time("2024-02-02T00:00:00Z").unwrap(),
        )
        .await
        .unwrap();
    let tenant = store.tenant(&t).unwrap().unwrap();
    let tenant = tenant.read().unwrap();
    assert!(tenant.member_of.is_empty());
    assert!(
        tenant.collections["Group"].resources[g.id()]
            .members
            .is_empty()
    );
}
