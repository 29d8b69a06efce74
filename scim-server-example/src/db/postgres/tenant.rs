//! Tenants and the product's read side.

use async_trait::async_trait;
use scim_core::resource::now_rfc3339;
use tokio_postgres::Row;

use super::nul::{dec, dec_opt};
use super::row::{execute, row_opt, rows};
use super::{Fail, PgDb, sql, unique_violation};
use crate::db::{DbError, GroupRow, HostRow, ProductView, Tenant, TenantStore, new_tenant_id};

fn tenant_row(r: &Row) -> Result<Tenant, Fail> {
    Ok(Tenant {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        created: r.try_get(2)?,
    })
}

#[async_trait]
impl TenantStore for PgDb {
    async fn create_tenant(&self, name: &str, token_hash: &[u8; 32]) -> Result<Tenant, DbError> {
        let tenant = Tenant {
            id: new_tenant_id()?,
            name: name.to_owned(),
            created: now_rfc3339(),
        };
        let client = self.client().await?;
        let hash: &[u8] = token_hash;
        let inserted = execute(
            &client,
            sql::INSERT_TENANT,
            &[&tenant.id, &tenant.name, &hash, &tenant.created],
        )
        .await;
        match inserted {
            Ok(_) => Ok(tenant),
            Err(e) => Err(match unique_violation(&e) {
                Some("tenants_name") => DbError::TenantExists(tenant.name),
                Some("tenants_token_hash") => {
                    Fail::Other("another tenant has this token".to_owned()).into()
                }
                _ => e.into(),
            }),
        }
    }

    async fn tenant_by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<Tenant>, DbError> {
        let client = self.client().await?;
        let hash: &[u8] = token_hash;
        match row_opt(&client, sql::TENANT_BY_TOKEN_HASH, &[&hash]).await? {
            Some(r) => Ok(Some(tenant_row(&r)?)),
            None => Ok(None),
        }
    }

    async fn rotate_token(&self, name: &str, token_hash: &[u8; 32]) -> Result<Tenant, DbError> {
        let client = self.client().await?;
        let hash: &[u8] = token_hash;
        match row_opt(&client, sql::ROTATE_TOKEN, &[&name, &hash]).await {
            Ok(Some(r)) => Ok(tenant_row(&r)?),
            Ok(None) => Err(DbError::NoSuchTenant(name.to_owned())),
            Err(e) if unique_violation(&e) == Some("tenants_token_hash") => {
                Err(Fail::Other("another tenant has this token".to_owned()).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, DbError> {
        let client = self.client().await?;
        let found = rows(&client, sql::TENANTS, &[]).await?;
        Ok(found
            .iter()
            .map(tenant_row)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn ping(&self) -> Result<(), DbError> {
        let client = self.client().await?;
        row_opt(&client, sql::PING, &[]).await?;
        Ok(())
    }

    async fn delete_tenant(&self, name: &str) -> Result<(), DbError> {
        let mut client = self.client().await?;
        let result: Result<(), Fail> = async {
            let tx = client.transaction().await?;
            let Some(row) = row_opt(&tx, sql::LOCK_TENANT_BY_NAME, &[&name]).await? else {
                return Err(Fail::Tenant(DbError::NoSuchTenant(name.to_owned())));
            };
            let id: String = row.try_get(0)?;
            for delete in [
                sql::DELETE_TENANT_MEMBERSHIPS,
                sql::DELETE_TENANT_GROUPS,
                sql::DELETE_TENANT_HOSTS,
                sql::DELETE_TENANT,
            ] {
                execute(&tx, delete, &[&id]).await?;
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        Ok(result?)
    }
}

#[async_trait]
impl ProductView for PgDb {
    async fn hosts(&self, tenant_id: &str, all: bool) -> Result<Vec<HostRow>, DbError> {
        let client = self.client().await?;
        let found = rows(&client, sql::PRODUCT_HOSTS, &[&tenant_id, &all]).await?;
        let mut out = Vec::with_capacity(found.len());
        for r in &found {
            out.push(HostRow {
                id: r.try_get(0).map_err(Fail::from)?,
                user_name: dec(r.try_get(1).map_err(Fail::from)?),
                given_name: dec_opt(r.try_get(2).map_err(Fail::from)?),
                family_name: dec_opt(r.try_get(3).map_err(Fail::from)?),
                work_email: dec_opt(r.try_get(4).map_err(Fail::from)?),
                work_phone: dec_opt(r.try_get(5).map_err(Fail::from)?),
                mobile_phone: dec_opt(r.try_get(6).map_err(Fail::from)?),
                department: dec_opt(r.try_get(7).map_err(Fail::from)?),
                visible: r.try_get(8).map_err(Fail::from)?,
            });
        }
        Ok(out)
    }

    async fn host_groups(&self, tenant_id: &str) -> Result<Vec<GroupRow>, DbError> {
        let client = self.client().await?;
        let found = rows(&client, sql::PRODUCT_GROUPS, &[&tenant_id]).await?;
        let mut out = Vec::with_capacity(found.len());
        for r in &found {
            out.push(GroupRow {
                id: r.try_get(0).map_err(Fail::from)?,
                display_name: dec(r.try_get(1).map_err(Fail::from)?),
                member_count: u64::try_from(r.try_get::<_, i64>(2).map_err(Fail::from)?)
                    .unwrap_or(0),
            });
        }
        Ok(out)
    }
}
