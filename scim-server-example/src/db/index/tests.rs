//! Unit tests of `index.rs`: which indexes are maintained, how filters
//! are read, and the SQL they render.

use scim_core::list::SortOrder;
use scim_core::list::{Page, Sort};

use super::*;

fn maintained(kind: Kind) -> (Maintained, Arc<ResourceSchema>) {
    let registry = Registry::standard();
    let declared = Declared::of(&registry);
    let stored: Vec<(i64, String, String)> = declared
        .iter()
        .flat_map(|d| {
            d.names
                .iter()
                .map(|n| (d.kind.type_name().to_owned(), n.clone()))
        })
        .zip(1..)
        .map(|((t, n), i)| (i, t, n))
        .collect();
    let indexes = Indexes::new(&registry, &stored);
    (
        indexes.of(kind).clone(),
        indexes.schema(kind).unwrap().clone(),
    )
}

fn access_of(kind: Kind, filter: &str, query: &ListQuery) -> Access {
    let (m, schema) = maintained(kind);
    access(
        &m,
        kind,
        &schema,
        &filter.parse().unwrap(),
        query,
        Dialect::Sqlite,
    )
    .unwrap()
}

fn index_page() -> ListQuery {
    ListQuery::new(Page::index(None, None, 100, 100))
}

#[test]
fn computed_attributes_get_no_rows() {
    let registry = Registry::standard();
    let declared = Declared::of(&registry);
    let groups = declared.iter().find(|d| d.kind == Kind::HostGroup).unwrap();
    assert!(groups.members);
    assert!(!groups.names.iter().any(|n| n.starts_with("members")));
    assert!(groups.names.contains(&"displayName".to_owned()));
    assert!(on_attribute("members[type eq \"User\"].value", "members"));
    assert!(!on_attribute("membersCount", "members"));
}

#[test]
fn exact_plans_are_sorted_and_paged_in_sql() {
    let a = access_of(Kind::Host, r#"emails.value eq "A@x""#, &index_page());
    let Access::Walk(walk) = a else {
        panic!("{a:?}")
    };
    assert_eq!(
        walk.slice,
        walk::Slice::Offset {
            offset: 0,
            limit: 100
        }
    );
    assert_eq!(walk.order, walk::Order::Id);
    let set = walk.set.unwrap();
    assert!(set.sql.contains("FROM host_keys"), "{}", set.sql);
    assert_eq!(set.params, [Param::Bytes(b"\x04a@x".to_vec())]);
    let mut sorted = index_page();
    let (_, schema) = maintained(Kind::Host);
    sorted.sort =
        Some(Sort::new(&schema, "userName".parse().unwrap(), SortOrder::Ascending).unwrap());
    let Access::Walk(walk) = access_of(Kind::Host, r#"emails.value eq "A@x""#, &sorted) else {
        panic!("a sort by an indexed single-valued attribute is a walk")
    };
    assert!(matches!(
        walk.order,
        walk::Order::Key {
            descending: false,
            ..
        }
    ));
    // A multi-valued attribute sorts by its primary value, which no
    // index row tells: the evaluator sorts, and the sort is named as
    // what has no index.
    sorted.sort =
        Some(Sort::new(&schema, "emails".parse().unwrap(), SortOrder::Ascending).unwrap());
    assert_eq!(
        access_of(Kind::Host, r#"emails.value eq "A@x""#, &sorted),
        Access::Candidates {
            set,
            unindexed: vec!["emails".to_owned()]
        }
    );
}

#[test]
fn unindexed_filters_scan_and_name_the_attribute() {
    let a = access_of(Kind::Host, r#"title eq "x""#, &index_page());
    assert_eq!(
        a,
        Access::Scan {
            unindexed: vec!["title".to_owned()]
        }
    );
    let err = too_many(Kind::Host, &["title".to_owned()], 10);
    assert!(err.to_string().contains("`title`") || format!("{err:?}").contains("title"));
}

#[test]
fn group_members_are_answered_from_memberships() {
    let a = access_of(Kind::HostGroup, r#"members[value eq "U1"]"#, &index_page());
    let Access::Walk(Walk { set: Some(set), .. }) = a else {
        panic!("{a:?}")
    };
    assert!(set.sql.contains("FROM memberships"), "{}", set.sql);
    assert_eq!(set.params, [Param::Text("U1".to_owned())]);
}

#[test]
fn postgres_rechecks_keys_longer_than_the_cut() {
    let (m, schema) = maintained(Kind::Host);
    let long = "a".repeat(PG_KEY_LIMIT + 10);
    let a = access(
        &m,
        Kind::Host,
        &schema,
        &format!(r#"userName eq "{long}""#).parse().unwrap(),
        &index_page(),
        Dialect::Postgres,
    )
    .unwrap();
    let Access::Walk(Walk { set: Some(set), .. }) = a else {
        panic!("{a:?}")
    };
    assert!(set.sql.contains("full_key = $3"), "{}", set.sql);
    let Param::Bytes(cut) = &set.params[0] else {
        panic!()
    };
    assert_eq!(cut.len(), PG_KEY_LIMIT);
}

#[test]
fn not_and_or_compose_as_set_operations() {
    let a = access_of(
        Kind::Host,
        r#"not (userName sw "a") and (emails co "xample" or active eq true)"#,
        &index_page(),
    );
    let Access::Walk(Walk { set: Some(set), .. }) = a else {
        panic!("{a:?}")
    };
    for part in ["EXCEPT", "INTERSECT", "UNION", "instr("] {
        assert!(set.sql.contains(part), "{part}: {}", set.sql);
    }
}

#[test]
fn sorts_by_single_valued_indexed_attributes_are_walks() {
    let (m, schema) = maintained(Kind::Host);
    let walk_of = |by: &str, order: SortOrder| {
        let mut q = index_page();
        q.sort = Some(Sort::new(&schema, by.parse().unwrap(), order).unwrap());
        walk::plan(&m, &schema, &q, None).unwrap()
    };
    for by in [
        "userName",
        "USERNAME",
        "name.familyName",
        "meta.lastModified",
        "meta.created",
        "externalId",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ] {
        let walk = walk_of(by, SortOrder::Descending).unwrap_or_else(|| panic!("{by}"));
        assert!(
            matches!(
                walk.order,
                walk::Order::Key {
                    descending: true,
                    ..
                }
            ),
            "{by}"
        );
    }
    // Multi-valued (sorted by the primary value) or not indexed.
    for by in ["emails", "emails.value", "title", "phoneNumbers.value"] {
        assert_eq!(walk_of(by, SortOrder::Ascending), None, "{by}");
    }
}

#[test]
fn an_unfiltered_cursor_walk_is_a_primary_key_range() {
    let (m, schema) = maintained(Kind::Host);
    let mut q = ListQuery::new(Page::cursor(None, Some(50), 100, 100));
    let first = walk::plan(&m, &schema, &q, None).unwrap().unwrap();
    let reads = first.reads(Kind::Host, Dialect::Sqlite, 0, None);
    assert_eq!(
        reads[0].sql,
        "SELECT x.id, NULL FROM hosts x WHERE x.tenant_id = ?1 ORDER BY x.id LIMIT 51"
    );
    let next =
        scim_core::list::Cursor::new(&q.cursor_scope, scim_core::list::Position::after_id("abc"));
    q.page = Page::cursor(Some(next.encode()), Some(50), 100, 100);
    let walk = walk::plan(&m, &schema, &q, None).unwrap().unwrap();
    let st = walk.render(Kind::Host, Dialect::Sqlite);
    let reads = walk.reads(Kind::Host, Dialect::Sqlite, 0, None);
    assert_eq!(
        reads[0].sql,
        "SELECT x.id, NULL FROM hosts x WHERE x.tenant_id = ?1 AND x.id > ?2 ORDER BY x.id LIMIT 51"
    );
    assert_eq!(reads[0].params, [Param::Text("abc".to_owned())]);
    assert!(st.count_params.is_empty());
    assert_eq!(st.keyed_count, None);
    // A sorted query refuses the unsorted position (and the reverse).
    q.sort = Some(Sort::new(&schema, "userName".parse().unwrap(), SortOrder::Ascending).unwrap());
    let e = walk::plan(&m, &schema, &q, None).unwrap_err();
    assert!(format!("{e:?}").contains("InvalidCursor"), "{e:?}");
}
