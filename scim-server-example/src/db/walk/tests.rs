use scim_core::schema::Registry;
use scim_core::store::TenantId;

use super::*;

fn bound_query(tenant: &str, start: u64) -> ListQuery {
    let users = Registry::standard().resource_type("User").unwrap().clone();
    let mut q = ListQuery::new(Page::Index {
        start_index: start,
        count: 10,
    });
    q.bind_cursors(&TenantId::new(tenant), &users);
    q
}

fn walk(offset: i64) -> Walk {
    Walk {
        set: None,
        order: Order::Id,
        slice: Slice::Offset { offset, limit: 10 },
    }
}

#[test]
fn the_next_page_of_an_index_walk_continues_from_the_last_key() {
    let resume = Resume::default();
    let g = resume.generation("t");
    let first = bound_query("t", 1);
    resume.ended(&first, g, (25, None), Some((10, Position::after_id("j"))));
    let second = bound_query("t", 11);
    assert_eq!(
        resume.continued(&second, g, walk(10)).slice,
        Slice::Resumed {
            after: Position::after_id("j"),
            offset: 10,
            limit: 10
        }
    );
    assert_eq!(resume.total(&second, g), Some(25));
    // Another page, another tenant, another query: not continued.
    assert_eq!(resume.continued(&second, g, walk(20)), walk(20));
    let other_tenant = bound_query("u", 11);
    assert_eq!(resume.continued(&other_tenant, g, walk(10)), walk(10));
    assert_eq!(resume.total(&other_tenant, g), None);
}

#[test]
fn a_write_of_the_tenant_ends_its_memos() {
    let resume = Resume::default();
    let q = bound_query("t", 11);
    let g = resume.generation("t");
    resume.ended(&q, g, (25, None), Some((10, Position::after_id("j"))));
    drop(resume.write("u"));
    assert_eq!(resume.generation("t"), g, "another tenant's write");
    assert!(matches!(
        resume.continued(&q, resume.generation("t"), walk(10)).slice,
        Slice::Resumed { .. }
    ));
    let writing = resume.write("t");
    // Not before the write is over: a read that starts now may not
    // see it, and must not be memoised as if it had.
    assert_eq!(resume.generation("t"), g);
    drop(writing);
    let now = resume.generation("t");
    assert_ne!(now, g);
    assert_eq!(resume.continued(&q, now, walk(10)), walk(10));
    assert_eq!(resume.total(&q, now), None);
    // A memo made under the old generation is ignored too.
    resume.ended(&q, g, (25, None), Some((10, Position::after_id("j"))));
    assert_eq!(resume.continued(&q, now, walk(10)), walk(10));
}

#[test]
fn unbound_queries_and_first_pages_are_never_memoised() {
    let resume = Resume::default();
    let unbound = ListQuery::new(Page::Index {
        start_index: 11,
        count: 10,
    });
    resume.ended(&unbound, 0, (25, None), Some((10, Position::after_id("j"))));
    assert_eq!(resume.continued(&unbound, 0, walk(10)), walk(10));
    assert_eq!(resume.total(&unbound, 0), None);
    let first = bound_query("t", 1);
    assert_eq!(resume.continued(&first, 0, walk(0)), walk(0));
}

fn sorted(descending: bool, slice: Slice) -> Walk {
    Walk {
        set: None,
        order: Order::Key {
            index: 7,
            descending,
        },
        slice,
    }
}

/// `(part, offset, limit)` of each read, from its SQL.
fn parts(reads: &[Read]) -> Vec<(&'static str, String)> {
    reads
        .iter()
        .map(|r| {
            let part = if r.sql.starts_with("SELECT k.host_id") {
                "keyed"
            } else {
                "missing"
            };
            let tail = r.sql[r.sql.find(" LIMIT").unwrap()..].trim().to_owned();
            (part, tail)
        })
        .collect()
}

#[test]
fn a_sorted_walk_over_everything_reads_each_part_as_its_own_range() {
    let offset = |descending, offset, limit| {
        let w = sorted(descending, Slice::Offset { offset, limit });
        parts(&w.reads(Kind::Host, Dialect::Sqlite, 10, Some(7)))
    };
    // Ascending: seven with a value, then three without.
    assert_eq!(offset(false, 0, 5), [("keyed", "LIMIT 5".to_owned())]);
    assert_eq!(
        offset(false, 5, 5),
        [
            ("keyed", "LIMIT 2 OFFSET 5".to_owned()),
            ("missing", "LIMIT 3".to_owned())
        ]
    );
    assert_eq!(
        offset(false, 8, 5),
        [("missing", "LIMIT 2 OFFSET 1".to_owned())]
    );
    assert!(offset(false, 10, 5).is_empty());
    // Descending: the three without a value first.
    assert_eq!(
        offset(true, 0, 5),
        [
            ("missing", "LIMIT 3".to_owned()),
            ("keyed", "LIMIT 2".to_owned())
        ]
    );
    assert_eq!(
        offset(true, 4, 5),
        [("keyed", "LIMIT 5 OFFSET 1".to_owned())]
    );
    // Every resource has a value: nothing looks for those without.
    let w = sorted(
        true,
        Slice::Offset {
            offset: 0,
            limit: 5,
        },
    );
    assert_eq!(
        parts(&w.reads(Kind::Host, Dialect::Sqlite, 10, Some(10))),
        [("keyed", "LIMIT 5".to_owned())]
    );

    let after = |descending, after: Option<Position>| {
        let w = sorted(descending, Slice::After { after, limit: 4 });
        let reads = w.reads(Kind::Host, Dialect::Sqlite, 10, Some(7));
        (
            parts(&reads),
            reads.iter().map(|r| r.params.len()).collect::<Vec<_>>(),
        )
    };
    let key = Position::after_key(b"m".to_vec(), "h5".to_owned());
    let missing = Position::after_missing("h5".to_owned());
    let fetch = || "LIMIT 5".to_owned();
    // A position in a part continues in it, then the next part from
    // its start; an earlier part is never read again.
    assert_eq!(
        after(false, Some(key.clone())),
        (vec![("keyed", fetch()), ("missing", fetch())], vec![2, 0])
    );
    assert_eq!(
        after(false, Some(missing.clone())),
        (vec![("missing", fetch())], vec![1])
    );
    assert_eq!(
        after(true, Some(missing)),
        (vec![("missing", fetch()), ("keyed", fetch())], vec![1, 0])
    );
    assert_eq!(after(true, Some(key)), (vec![("keyed", fetch())], vec![2]));
    assert_eq!(
        after(true, None),
        (vec![("missing", fetch()), ("keyed", fetch())], vec![0, 0])
    );
}

#[test]
fn an_id_set_or_an_unsorted_walk_is_one_statement() {
    let w = Walk {
        set: None,
        order: Order::Id,
        slice: Slice::Offset {
            offset: 3,
            limit: 2,
        },
    };
    assert!(!w.is_split());
    assert_eq!(w.render(Kind::Host, Dialect::Sqlite).keyed_count, None);
    assert_eq!(w.reads(Kind::Host, Dialect::Sqlite, 10, None).len(), 1);
    let w = sorted(
        false,
        Slice::Offset {
            offset: 0,
            limit: 2,
        },
    );
    assert!(w.is_split());
    assert_eq!(
        w.render(Kind::HostGroup, Dialect::Postgres)
            .keyed_count
            .as_deref(),
        Some("SELECT COUNT(*) FROM group_keys k WHERE k.tenant_id = $1 AND k.index_id = 7")
    );
}

#[test]
fn memos_stay_bounded() {
    let resume = Resume::default();
    let q = bound_query("t", 1);
    for end in 0..(Resume::CAPACITY as i64 * 3) {
        resume.ended(&q, 0, (1, None), Some((end + 1, Position::after_id("x"))));
    }
    assert!(resume.lock().ends.len() <= Resume::CAPACITY);
}
