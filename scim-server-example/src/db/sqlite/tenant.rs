//! Tenants and the product's read side.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use scim_core::resource::{format_date_time, now};

use super::{Fail, SqliteDb, sql};
use crate::db::{
    DbError, GroupRow, HostRow, PreviousToken, ProductView, Tenant, TenantRecord, TenantStore,
    new_tenant_id,
};

fn tenant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tenant> {
    Ok(Tenant {
        id: r.get(0)?,
        name: r.get(1)?,
        created: r.get(2)?,
    })
}

fn tenant_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<TenantRecord> {
    let has_previous: bool = r.get(5)?;
    let expires: Option<i64> = r.get(6)?;
    Ok(TenantRecord {
        tenant: tenant_row(r)?,
        token_created: r.get(3)?,
        token_last_used: r.get(4)?,
        previous: match (has_previous, expires) {
            (true, Some(expires)) => Some(PreviousToken {
                expires,
                last_used: r.get(7)?,
            }),
            _ => None,
        },
    })
}

/// Refuses a token hash that is any tenant's current or previous token.
fn check_token_is_new(tx: &rusqlite::Connection, hash: &[u8]) -> Result<(), Fail> {
    if tx
        .prepare_cached(sql::TENANT_WITH_TOKEN_HASH)?
        .exists(params![hash])?
    {
        return Err(Fail::Other("another tenant has this token".to_owned()));
    }
    Ok(())
}

#[async_trait]
impl TenantStore for SqliteDb {
    async fn create_tenant(&self, name: &str, token_hash: &[u8; 32]) -> Result<Tenant, DbError> {
        let tenant = Tenant {
            id: new_tenant_id()?,
            name: name.to_owned(),
            created: format_date_time(now()),
        };
        let hash = token_hash.to_vec();
        let now = crate::tenant::unix_now();
        Ok(self
            .write(move |tx| {
                if tx
                    .prepare_cached(sql::TENANT_BY_NAME)?
                    .exists(params![tenant.name])?
                {
                    return Err(Fail::Tenant(DbError::TenantExists(tenant.name.clone())));
                }
                check_token_is_new(tx, &hash)?;
                tx.prepare_cached(sql::INSERT_TENANT)?.execute(params![
                    tenant.id,
                    tenant.name,
                    hash,
                    tenant.created,
                    now
                ])?;
                Ok(tenant.clone())
            })
            .await?)
    }

    async fn tenant_by_token_hash(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<Tenant>, DbError> {
        let hash = token_hash.to_vec();
        Ok(self
            .run(move |conn| {
                Ok(conn
                    .prepare_cached(sql::TENANT_BY_TOKEN_HASH)?
                    .query_row(params![hash, now], tenant_row)
                    .optional()?)
            })
            .await?)
    }

    async fn rotate_token(
        &self,
        name: &str,
        token_hash: &[u8; 32],
        now: i64,
        grace_until: Option<i64>,
    ) -> Result<Tenant, DbError> {
        let name = name.to_owned();
        let hash = token_hash.to_vec();
        Ok(self
            .write(move |tx| {
                check_token_is_new(tx, &hash)?;
                if tx.prepare_cached(sql::ROTATE_TOKEN)?.execute(params![
                    name,
                    hash,
                    now,
                    grace_until
                ])? == 0
                {
                    return Err(Fail::Tenant(DbError::NoSuchTenant(name.clone())));
                }
                let tenant = tx
                    .prepare_cached(sql::TENANT_BY_NAME)?
                    .query_row(params![name], tenant_row)?;
                Ok(tenant.clone())
            })
            .await?)
    }

    async fn revoke_previous_token(&self, name: &str, now: i64) -> Result<bool, DbError> {
        let name = name.to_owned();
        Ok(self
            .write(move |tx| {
                let Some(worked) = tx
                    .prepare_cached(sql::PREVIOUS_TOKEN_WORKS)?
                    .query_row(params![name, now], |r| r.get::<_, bool>(0))
                    .optional()?
                else {
                    return Err(Fail::Tenant(DbError::NoSuchTenant(name.clone())));
                };
                tx.prepare_cached(sql::REVOKE_PREVIOUS_TOKEN)?
                    .execute(params![name])?;
                Ok(worked)
            })
            .await?)
    }

    async fn record_token_use(&self, uses: Vec<([u8; 32], i64)>) -> Result<(), DbError> {
        if uses.is_empty() {
            return Ok(());
        }
        Ok(self
            .write(move |tx| {
                for (hash, at) in &uses {
                    let hash = hash.as_slice();
                    tx.prepare_cached(sql::RECORD_TOKEN_USE)?
                        .execute(params![hash, at])?;
                    tx.prepare_cached(sql::RECORD_PREVIOUS_TOKEN_USE)?
                        .execute(params![hash, at])?;
                }
                Ok(())
            })
            .await?)
    }

    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, DbError> {
        Ok(self
            .run(|conn| {
                let mut stmt = conn.prepare_cached(sql::TENANTS)?;
                let rows = stmt.query_map([], tenant_record)?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?)
    }

    async fn ping(&self) -> Result<(), DbError> {
        Ok(self
            .run(|conn| {
                let _: i64 = conn
                    .prepare_cached(sql::PING)?
                    .query_row([], |r| r.get(0))?;
                Ok(())
            })
            .await?)
    }

    async fn delete_tenant(&self, name: &str) -> Result<(), DbError> {
        let name = name.to_owned();
        Ok(self
            .write(move |tx| {
                let Some(tenant) = tx
                    .prepare_cached(sql::TENANT_BY_NAME)?
                    .query_row(params![name], tenant_row)
                    .optional()?
                else {
                    return Err(Fail::Tenant(DbError::NoSuchTenant(name.clone())));
                };
                for delete in [
                    sql::DELETE_TENANT_MEMBERSHIPS,
                    sql::DELETE_TENANT_GROUPS,
                    sql::DELETE_TENANT_HOSTS,
                    sql::DELETE_TENANT,
                ] {
                    tx.prepare_cached(delete)?.execute(params![tenant.id])?;
                }
                Ok(())
            })
            .await?)
    }
}

#[async_trait]
impl ProductView for SqliteDb {
    async fn hosts(&self, tenant_id: &str, all: bool) -> Result<Vec<HostRow>, DbError> {
        let tenant = tenant_id.to_owned();
        Ok(self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(sql::PRODUCT_HOSTS)?;
                let rows = stmt.query_map(params![tenant, all], |r| {
                    Ok(HostRow {
                        id: r.get(0)?,
                        user_name: r.get(1)?,
                        given_name: r.get(2)?,
                        family_name: r.get(3)?,
                        work_email: r.get(4)?,
                        work_phone: r.get(5)?,
                        mobile_phone: r.get(6)?,
                        department: r.get(7)?,
                        visible: r.get(8)?,
                    })
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?)
    }

    async fn host_groups(&self, tenant_id: &str) -> Result<Vec<GroupRow>, DbError> {
        let tenant = tenant_id.to_owned();
        Ok(self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(sql::PRODUCT_GROUPS)?;
                let rows = stmt.query_map(params![tenant], |r| {
                    Ok(GroupRow {
                        id: r.get(0)?,
                        display_name: r.get(1)?,
                        member_count: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                        visible_hosts: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    })
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?)
    }
}
