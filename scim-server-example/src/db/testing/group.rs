//! Host group (SCIM Group) scenarios: Entra ID's group traffic and
//! member references.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// Entra ID's group traffic (R14–R21) and what it may read: a group with
/// `excludedAttributes=members` never touches memberships (`member_reads`
/// counts member-list loads).
pub(crate) async fn entra_group_flows(db: &Database, member_reads: &(dyn Fn() -> u64 + Sync)) {
    let (users, groups) = (users(), groups());
    let t = new_tenant(db, "groups").await.1;
    let u1 = db
        .scim
        .create(&t, &users, prepared(&users, json!({"userName": "u1"})))
        .await
        .unwrap();
    let u2 = db
        .scim
        .create(&t, &users, prepared(&users, json!({"userName": "u2"})))
        .await
        .unwrap();
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                                  "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                      "displayName": "Reception Hosts", "meta": {"resourceType": "Group"}});
    let g = db
        .scim
        .create(&t, &groups, prepared(&groups, body))
        .await
        .unwrap();
    assert!(g.get("members").is_none());

    // R17: add members; re-adding is a no-op.
    let v = db
        .scim
        .modify_members(
            &t,
            &groups,
            g.id(),
            &add(&[u1.id(), u2.id()]),
            None,
            at("2024-01-02T00:00:00Z"),
        )
        .await
        .unwrap();
    let v2 = db
        .scim
        .modify_members(
            &t,
            &groups,
            g.id(),
            &add(&[u1.id()]),
            Some(&v),
            at("2024-01-03T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        v, v2,
        "re-adding a member changes nothing, not even the version"
    );
    let mut absent = MemberDelta::default();
    absent.remove.push("nobody".to_owned());
    let v3 = db
        .scim
        .modify_members(
            &t,
            &groups,
            g.id(),
            &absent,
            Some(&v),
            at("2024-01-04T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(v, v3, "removing an absent member changes nothing");
    let stored = db
        .scim
        .get(&t, &groups, g.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.meta().map(|m| m.last_modified),
        parse_date_time("2024-01-02T00:00:00Z")
    );

    // R14/R16: no member is read.
    let excluded = Projection::parse(&groups, None, Some("members")).unwrap();
    let before = member_reads();
    let q = list(
        Some(r#"displayName eq "reception HOSTS""#),
        excluded.clone(),
        first_page(),
    );
    let found = db.scim.query(&t, &groups, &q).await.unwrap();
    assert_eq!(ids(&found), vec![g.id().to_string()]);
    assert!(found.resources[0].get("members").is_none());
    let got = db
        .scim
        .get(&t, &groups, g.id(), &excluded)
        .await
        .unwrap()
        .unwrap();
    assert!(got.get("members").is_none());
    assert_eq!(got.version(), &v2);
    assert_eq!(
        got.meta().map(|m| m.last_modified),
        parse_date_time("2024-01-02T00:00:00Z")
    );
    let page = db
        .scim
        .query(&t, &groups, &list(None, excluded.clone(), first_page()))
        .await
        .unwrap();
    assert!(page.resources.iter().all(|r| r.get("members").is_none()));
    assert_eq!(
        member_reads(),
        before,
        "excludedAttributes=members must not read memberships"
    );

    // With members: in the order added, exactly as sent.
    let full = db
        .scim
        .get(&t, &groups, g.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        full.get("members"),
        Some(&json!([{"value": u1.id().as_str()}, {"value": u2.id().as_str()}]))
    );
    assert!(member_reads() > before);

    // A User's computed groups.
    let user = db
        .scim
        .get(&t, &users, u1.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        user.get("groups"),
        Some(&json!([{"value": g.id().as_str(), "display": "Reception Hosts", "type": "direct"}]))
    );
    let user = db
        .scim
        .get(&t, &users, u1.id(), &Projection::id_only())
        .await
        .unwrap()
        .unwrap();
    assert!(user.get("groups").is_none());

    // R21: reference check by id and member. `members eq` compares
    // `members.value`, which is caseExact (ids are), so another case
    // does not match.
    let upper = format!(
        r#"id eq "{}" and members eq "{}""#,
        g.id(),
        u1.id().as_str().to_uppercase()
    );
    let none = db
        .scim
        .query(
            &t,
            &groups,
            &list(Some(&upper), Projection::id_only(), first_page()),
        )
        .await
        .unwrap();
    assert!(none.resources.is_empty());
    let q = format!(r#"id eq "{}" and members eq "{}""#, g.id(), u1.id());
    let found = db
        .scim
        .query(
            &t,
            &groups,
            &list(Some(&q), Projection::id_only(), first_page()),
        )
        .await
        .unwrap();
    assert_eq!(ids(&found), vec![g.id().to_string()]);
    assert!(
        found.resources[0].get("members").is_none(),
        "members loaded for the filter are not returned"
    );
    let q = format!(r#"id eq "{}" and members eq "nobody""#, g.id());
    assert_eq!(
        db.scim
            .query(
                &t,
                &groups,
                &list(Some(&q), Projection::id_only(), first_page())
            )
            .await
            .unwrap()
            .total_results,
        0
    );
    let q = format!(r#"members[value eq "{}"]"#, u2.id());
    let found = db
        .scim
        .query(
            &t,
            &groups,
            &list(Some(&q), Projection::all(), first_page()),
        )
        .await
        .unwrap();
    assert_eq!(found.resources, vec![full.clone()]);

    // R18: remove one member.
    db.scim
        .modify_members(
            &t,
            &groups,
            g.id(),
            &remove(&[u1.id()]),
            None,
            at("2024-01-04T00:00:00Z"),
        )
        .await
        .unwrap();
    let full = db
        .scim
        .get(&t, &groups, g.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member_values(&full), vec![u2.id().to_string()]);
    let user = db
        .scim
        .get(&t, &users, u1.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert!(user.get("groups").is_none());

    // R19: rename keeps id and members; the new name matches at once.
    let mut json = full.json().clone();
    json.insert("displayName".into(), json!("Lobby Hosts"));
    let renamed = db
        .scim
        .replace(
            &t,
            &groups,
            Resource::from_json(json).unwrap(),
            full.version(),
        )
        .await
        .unwrap();
    assert_eq!(member_values(&renamed), vec![u2.id().to_string()]);
    let q = list(
        Some(r#"displayName eq "Reception Hosts""#),
        excluded.clone(),
        first_page(),
    );
    assert_eq!(
        db.scim.query(&t, &groups, &q).await.unwrap().total_results,
        0
    );
    let q = list(
        Some(r#"displayName eq "lobby hosts""#),
        excluded.clone(),
        first_page(),
    );
    assert_eq!(
        db.scim.query(&t, &groups, &q).await.unwrap().total_results,
        1
    );
    let user = db
        .scim
        .get(&t, &users, u2.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.get("groups").unwrap()[0]["display"], "Lobby Hosts");

    // R13: deleting a user drops it from the group and changes the group.
    db.scim.delete(&t, &users, u2.id(), None).await.unwrap();
    let after = db
        .scim
        .get(&t, &groups, g.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert!(after.get("members").is_none());
    assert_ne!(after.version(), renamed.version());

    // R20: deleting the group leaves the users.
    db.scim.delete(&t, &groups, g.id(), None).await.unwrap();
    assert!(
        db.scim
            .get(&t, &groups, g.id(), &Projection::all())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.scim
            .get(&t, &users, u1.id(), &Projection::all())
            .await
            .unwrap()
            .is_some()
    );
}

/// Members must be Users or Groups of the tenant; a refused change changes
/// nothing.
pub(crate) async fn member_references(db: &Database) {
    let (users, groups) = (users(), groups());
    let t = new_tenant(db, "refs").await.1;
    let other = new_tenant(db, "refs-other").await.1;
    let u = db
        .scim
        .create(&t, &users, prepared(&users, json!({"userName": "u"})))
        .await
        .unwrap();
    let stranger = db
        .scim
        .create(&other, &users, prepared(&users, json!({"userName": "s"})))
        .await
        .unwrap();
    let bad = prepared(
        &groups,
        json!({"displayName": "bad", "members": [{"value": "no-such-id"}]}),
    );
    let bad_id = bad.id().clone();
    assert!(matches!(
        db.scim.create(&t, &groups, bad).await,
        Err(StoreError::InvalidReference(_))
    ));
    assert!(
        db.scim
            .get(&t, &groups, &bad_id, &Projection::all())
            .await
            .unwrap()
            .is_none()
    );
    let g = db
        .scim
        .create(&t, &groups, prepared(&groups, json!({"displayName": "g"})))
        .await
        .unwrap();
    for id in ["no-such-id", stranger.id().as_str(), "a/b", "nul\0id"] {
        let mut d = MemberDelta::default();
        d.add = vec![member(u.id()), json!({"value": id})];
        let r = db
            .scim
            .modify_members(&t, &groups, g.id(), &d, None, at("2024-01-01T00:00:00Z"))
            .await;
        assert!(
            matches!(r, Err(StoreError::InvalidReference(_))),
            "{id:?}: {r:?}"
        );
    }
    let got = db
        .scim
        .get(&t, &groups, g.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.version(), got.get("members")), (g.version(), None));
    // A group may contain a group.
    let outer = prepared(
        &groups,
        json!({"displayName": "outer", "members": [{"value": g.id().as_str(), "type": "Group"}]}),
    );
    let outer = db.scim.create(&t, &groups, outer).await.unwrap();
    db.scim.delete(&t, &groups, g.id(), None).await.unwrap();
    let after = db
        .scim
        .get(&t, &groups, outer.id(), &Projection::all())
        .await
        .unwrap()
        .unwrap();
    assert!(after.get("members").is_none());
    assert_ne!(after.version(), outer.version());
    // Ids are unique across resource types (RFC 7643 §3.1).
    let body = |v: Value| match v {
        Value::Object(o) => o,
        _ => unreachable!("test data is an object"),
    };
    let meta = |s: &ResourceSchema| Meta::new(s.name(), now(), Version::from_revision(1));
    let clash = Resource::new(
        u.id().clone(),
        body(json!({"displayName": "clash"})),
        &meta(&groups),
    );
    assert!(matches!(
        db.scim.create(&t, &groups, clash).await,
        Err(StoreError::Conflict(_))
    ));
    let clash = Resource::new(
        outer.id().clone(),
        body(json!({"userName": "clash"})),
        &meta(&users),
    );
    assert!(matches!(
        db.scim.create(&t, &users, clash).await,
        Err(StoreError::Conflict(_))
    ));
    // Only Groups have members.
    let r = db
        .scim
        .modify_members(
            &t,
            &users,
            u.id(),
            &add(&[u.id()]),
            None,
            at("2024-01-01T00:00:00Z"),
        )
        .await;
    assert!(matches!(r, Err(StoreError::InvalidReference(_))), "{r:?}");
    // Removing an unknown or malformed id is a no-op.
    let mut d = MemberDelta::default();
    d.remove = vec!["nobody".into(), "nul\0id".into()];
    db.scim
        .modify_members(
            &t,
            &groups,
            outer.id(),
            &d,
            None,
            at("2024-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
}
