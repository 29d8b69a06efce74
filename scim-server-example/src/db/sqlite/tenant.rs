//! Tenants and the product's read side.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use scim_core::resource::now_rfc3339;

use super::{Fail, SqliteDb, immediate, sql};
use crate::db::{DbError, GroupRow, HostRow, ProductView, Tenant, TenantStore, new_tenant_id};

fn tenant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tenant> {
    Ok(Tenant {
        id: r.get(0)?,
        name: r.get(1)?,
        created: r.get(2)?,
    })
}

#[async_trait]
impl TenantStore for SqliteDb {
    async fn create_tenant(&self, name: &str, token_hash: &[u8; 32]) -> Result<Tenant, DbError> {
        let tenant = Tenant {
            id: new_tenant_id()?,
            name: name.to_owned(),
            created: now_rfc3339(),
        };
        let hash = token_hash.to_vec();
        Ok(self
            .run(move |conn| {
                let tx = immediate(conn)?;
                if tx
                    .prepare_cached(sql::TENANT_BY_NAME)?
                    .exists(params![tenant.name])?
                {
                    return Err(Fail::Tenant(DbError::TenantExists(tenant.name)));
                }
                if tx
                    .prepare_cached(sql::TENANT_WITH_TOKEN_HASH)?
                    .exists(params![hash])?
                {
                    return Err(Fail::Other("another tenant has this token".to_owned()));
                }
                tx.prepare_cached(sql::INSERT_TENANT)?.execute(params![
                    tenant.id,
                    tenant.name,
                    hash,
                    tenant.created
                ])?;
                tx.commit()?;
                Ok(tenant)
            })
            .await?)
    }

    async fn tenant_by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<Tenant>, DbError> {
        let hash = token_hash.to_vec();
        Ok(self
            .run(move |conn| {
                Ok(conn
                    .prepare_cached(sql::TENANT_BY_TOKEN_HASH)?
                    .query_row(params![hash], tenant_row)
                    .optional()?)
            })
            .await?)
    }

    async fn rotate_token(&self, name: &str, token_hash: &[u8; 32]) -> Result<Tenant, DbError> {
        let name = name.to_owned();
        let hash = token_hash.to_vec();
        Ok(self
            .run(move |conn| {
                let tx = immediate(conn)?;
                if tx
                    .prepare_cached(sql::TENANT_WITH_TOKEN_HASH)?
                    .exists(params![hash])?
                {
                    return Err(Fail::Other("another tenant has this token".to_owned()));
                }
                if tx
                    .prepare_cached(sql::ROTATE_TOKEN)?
                    .execute(params![name, hash])?
                    == 0
                {
                    return Err(Fail::Tenant(DbError::NoSuchTenant(name)));
                }
                let tenant = tx
                    .prepare_cached(sql::TENANT_BY_NAME)?
                    .query_row(params![name], tenant_row)?;
                tx.commit()?;
                Ok(tenant)
            })
            .await?)
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, DbError> {
        Ok(self
            .run(|conn| {
                let mut stmt = conn.prepare_cached(sql::TENANTS)?;
                let rows = stmt.query_map([], tenant_row)?;
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
            .run(move |conn| {
                let tx = immediate(conn)?;
                let Some(tenant) = tx
                    .prepare_cached(sql::TENANT_BY_NAME)?
                    .query_row(params![name], tenant_row)
                    .optional()?
                else {
                    return Err(Fail::Tenant(DbError::NoSuchTenant(name)));
                };
                for delete in [
                    sql::DELETE_TENANT_MEMBERSHIPS,
                    sql::DELETE_TENANT_GROUPS,
                    sql::DELETE_TENANT_HOSTS,
                    sql::DELETE_TENANT,
                ] {
                    tx.prepare_cached(delete)?.execute(params![tenant.id])?;
                }
                tx.commit()?;
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
                    })
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?)
    }
}
