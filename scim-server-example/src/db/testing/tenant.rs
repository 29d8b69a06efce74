//! Tenant scenarios.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// Tenants: create, lookup by token hash, rotate, list, delete with all
/// their data, and the errors.
pub(crate) async fn tenant_lifecycle(db: &Database) {
    let (users, groups) = (users(), groups());
    let suffix = ResourceId::generate();
    let (name_a, name_b) = (format!("acme-{suffix}"), format!("beta-{suffix}"));
    let (h1, h2, h3) = ([1_u8; 32], [2_u8; 32], [3_u8; 32]);
    // Fresh hashes per run: the tables may be shared with other tests.
    let salt = |mut h: [u8; 32]| {
        h[..16].copy_from_slice(&uuid_bytes(&suffix));
        h
    };
    let (h1, h2, h3) = (salt(h1), salt(h2), salt(h3));
    let a = db.tenants.create_tenant(&name_a, &h1).await.unwrap();
    assert_eq!(a.name, name_a);
    assert!(
        matches!(db.tenants.create_tenant(&name_a, &h3).await, Err(DbError::TenantExists(n)) if n == name_a)
    );
    let b = db.tenants.create_tenant(&name_b, &h2).await.unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(
        db.tenants.tenant_by_token_hash(&h1).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(db.tenants.tenant_by_token_hash(&h3).await.unwrap(), None);
    assert!(
        db.tenants
            .create_tenant(&format!("other-{suffix}"), &h1)
            .await
            .is_err(),
        "a token hash is one tenant's"
    );

    let rotated = db.tenants.rotate_token(&name_a, &h3).await.unwrap();
    assert_eq!(rotated, a);
    assert_eq!(db.tenants.tenant_by_token_hash(&h1).await.unwrap(), None);
    assert_eq!(
        db.tenants.tenant_by_token_hash(&h3).await.unwrap(),
        Some(a.clone())
    );
    assert!(matches!(
        db.tenants
            .rotate_token(&format!("nobody-{suffix}"), &h1)
            .await,
        Err(DbError::NoSuchTenant(_))
    ));
    let listed: Vec<Tenant> = db
        .tenants
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.name.ends_with(&suffix.to_string()))
        .collect();
    assert_eq!(listed, vec![a.clone(), b.clone()], "by name");

    // Data in both tenants; deleting one leaves the other.
    let mut hosts = Vec::new();
    for (tenant, name) in [(&a, "x"), (&b, "x")] {
        let t = TenantId::new(tenant.id.clone());
        let u = db
            .scim
            .create(&t, &users, prepared(&users, json!({"userName": name})))
            .await
            .unwrap();
        let g = prepared(
            &groups,
            json!({"displayName": "G", "members": [{"value": u.id().as_str()}]}),
        );
        db.scim.create(&t, &groups, g).await.unwrap();
        hosts.push(u);
    }
    db.tenants.delete_tenant(&name_a).await.unwrap();
    assert_eq!(db.tenants.tenant_by_token_hash(&h3).await.unwrap(), None);
    assert!(matches!(
        db.tenants.delete_tenant(&name_a).await,
        Err(DbError::NoSuchTenant(_))
    ));
    let all = ListQuery::new(first_page());
    let ta = TenantId::new(a.id.clone());
    assert_eq!(
        db.scim
            .query(&ta, &users, &all)
            .await
            .unwrap()
            .total_results,
        0
    );
    assert_eq!(
        db.scim
            .query(&ta, &groups, &all)
            .await
            .unwrap()
            .total_results,
        0
    );
    assert!(db.product.hosts(&a.id, true).await.unwrap().is_empty());
    assert!(db.product.host_groups(&a.id).await.unwrap().is_empty());
    let tb = TenantId::new(b.id.clone());
    assert_eq!(
        db.scim
            .query(&tb, &users, &all)
            .await
            .unwrap()
            .total_results,
        1
    );
    assert_eq!(
        db.product.host_groups(&b.id).await.unwrap()[0].member_count,
        1
    );
    // The freed name can be used again.
    db.tenants.create_tenant(&name_a, &h1).await.unwrap();
    db.tenants.delete_tenant(&name_a).await.unwrap();
    db.tenants.delete_tenant(&name_b).await.unwrap();
}

fn uuid_bytes(id: &ResourceId) -> [u8; 16] {
    let hex: String = id
        .as_str()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    let mut out = [0_u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}
