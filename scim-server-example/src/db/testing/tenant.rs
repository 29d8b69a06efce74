//! Tenant scenarios.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::db::TenantRecord;

/// A fixed "now" (Unix seconds) for the token scenarios.
const NOW: i64 = 1_800_000_000;

fn salted(suffix: &ResourceId, byte: u8) -> [u8; 32] {
    let mut h = [byte; 32];
    h[..16].copy_from_slice(&uuid_bytes(suffix));
    h
}

async fn record(db: &Database, name: &str) -> TenantRecord {
    db.tenants
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.tenant.name == name)
        .unwrap()
}

/// Rotation with a grace period: the previous token works until its end,
/// a second rotation ends the first previous token's grace, revocation ends
/// it at once (the current token keeps working), and a rotation without
/// grace leaves no previous token. Token dates are recorded.
pub(crate) async fn token_rotation_with_grace(db: &Database) {
    let suffix = ResourceId::generate();
    let name = format!("grace-{suffix}");
    let (t1, t2, t3, t4) = (
        salted(&suffix, 1),
        salted(&suffix, 2),
        salted(&suffix, 3),
        salted(&suffix, 4),
    );
    let tenant = db.tenants.create_tenant(&name, &t1).await.unwrap();
    let fresh = record(db, &name).await;
    assert!(fresh.token_created.is_some());
    assert_eq!((fresh.token_last_used, fresh.previous), (None, None));
    let found = |hash: [u8; 32], now: i64| async move {
        db.tenants.tenant_by_token_hash(&hash, now).await.unwrap()
    };

    // t1 → t2 with an hour of grace: both work, t1 only until then.
    db.tenants
        .rotate_token(&name, &t2, NOW, Some(NOW + 3600))
        .await
        .unwrap();
    assert_eq!(found(t1, NOW + 10).await, Some(tenant.clone()));
    assert_eq!(found(t2, NOW + 10).await, Some(tenant.clone()));
    assert_eq!(found(t1, NOW + 3600).await, None, "the grace has ended");
    assert_eq!(found(t2, NOW + 3600).await, Some(tenant.clone()));
    let r = record(db, &name).await;
    assert_eq!(r.token_created, Some(NOW));
    assert_eq!(r.previous.map(|p| p.expires), Some(NOW + 3600), "{r:?}");
    // A previous token cannot become another tenant's token.
    assert!(
        db.tenants
            .create_tenant(&format!("thief-{suffix}"), &t1)
            .await
            .is_err()
    );

    // Uses of both are recorded, never going back in time.
    db.tenants
        .record_token_use(vec![(t2, NOW + 5), (t1, NOW + 6)])
        .await
        .unwrap();
    db.tenants
        .record_token_use(vec![(t2, NOW + 1)])
        .await
        .unwrap();
    let r = record(db, &name).await;
    assert_eq!(r.token_last_used, Some(NOW + 5));
    assert_eq!(r.previous.and_then(|p| p.last_used), Some(NOW + 6));

    // t2 → t3: t1's grace ends, t2 has its own.
    db.tenants
        .rotate_token(&name, &t3, NOW + 20, Some(NOW + 7200))
        .await
        .unwrap();
    assert_eq!(found(t1, NOW + 21).await, None);
    assert_eq!(found(t2, NOW + 21).await, Some(tenant.clone()));
    assert_eq!(found(t3, NOW + 21).await, Some(tenant.clone()));
    let r = record(db, &name).await;
    assert_eq!(r.token_last_used, None, "t3 is unused");
    assert_eq!(
        r.previous.and_then(|p| p.last_used),
        Some(NOW + 5),
        "t2's last use moved with it"
    );

    // Revoking ends t2's grace; t3 keeps working; a second revoke finds
    // nothing to end.
    assert!(
        db.tenants
            .revoke_previous_token(&name, NOW + 30)
            .await
            .unwrap()
    );
    assert_eq!(found(t2, NOW + 31).await, None);
    assert_eq!(found(t3, NOW + 31).await, Some(tenant.clone()));
    assert_eq!(record(db, &name).await.previous, None);
    assert!(
        !db.tenants
            .revoke_previous_token(&name, NOW + 32)
            .await
            .unwrap()
    );
    assert!(matches!(
        db.tenants
            .revoke_previous_token(&format!("nobody-{suffix}"), NOW)
            .await,
        Err(DbError::NoSuchTenant(_))
    ));

    // Without grace the old token stops at once.
    db.tenants
        .rotate_token(&name, &t4, NOW + 40, None)
        .await
        .unwrap();
    assert_eq!(found(t3, NOW + 40).await, None);
    assert_eq!(found(t4, NOW + 40).await, Some(tenant.clone()));
    assert_eq!(record(db, &name).await.previous, None);
    // A token still in its grace cannot be given to another rotation.
    db.tenants
        .rotate_token(&name, &t1, NOW + 50, Some(NOW + 3600))
        .await
        .unwrap();
    assert!(
        db.tenants
            .rotate_token(&name, &t4, NOW + 51, None)
            .await
            .is_err(),
        "t4 is the previous token"
    );
    db.tenants.delete_tenant(&name).await.unwrap();
}

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
        db.tenants.tenant_by_token_hash(&h1, NOW).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        db.tenants.tenant_by_token_hash(&h3, NOW).await.unwrap(),
        None
    );
    assert!(
        db.tenants
            .create_tenant(&format!("other-{suffix}"), &h1)
            .await
            .is_err(),
        "a token hash is one tenant's"
    );

    let rotated = db
        .tenants
        .rotate_token(&name_a, &h3, NOW, None)
        .await
        .unwrap();
    assert_eq!(rotated, a);
    assert_eq!(
        db.tenants.tenant_by_token_hash(&h1, NOW).await.unwrap(),
        None
    );
    assert_eq!(
        db.tenants.tenant_by_token_hash(&h3, NOW).await.unwrap(),
        Some(a.clone())
    );
    assert!(matches!(
        db.tenants
            .rotate_token(&format!("nobody-{suffix}"), &h1, NOW, None)
            .await,
        Err(DbError::NoSuchTenant(_))
    ));
    let listed: Vec<Tenant> = db
        .tenants
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|record| record.tenant)
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
    assert_eq!(
        db.tenants.tenant_by_token_hash(&h3, NOW).await.unwrap(),
        None
    );
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
