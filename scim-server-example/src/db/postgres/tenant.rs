//! Tenants and the product's read side.

use async_trait::async_trait;
use scim_core::resource::{format_date_time, now};
use tokio_postgres::Row;

use super::nul::{dec, dec_opt};
use super::row::{execute, row_opt, rows};
use super::{Fail, PgDb, sql, unique_violation};
use crate::db::{
    DbError, GroupRow, HostRow, PreviousToken, ProductView, Tenant, TenantRecord, TenantStore,
    new_tenant_id,
};

fn tenant_row(r: &Row) -> Result<Tenant, Fail> {
    Ok(Tenant {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        created: r.try_get(2)?,
    })
}

fn tenant_record(r: &Row) -> Result<TenantRecord, Fail> {
    let has_previous: bool = r.try_get(5)?;
    let expires: Option<i64> = r.try_get(6)?;
    Ok(TenantRecord {
        tenant: tenant_row(r)?,
        token_created: r.try_get(3)?,
        token_last_used: r.try_get(4)?,
        previous: match (has_previous, expires) {
            (true, Some(expires)) => Some(PreviousToken {
                expires,
                last_used: r.try_get(7)?,
            }),
            _ => None,
        },
    })
}

fn token_taken() -> DbError {
    Fail::Other("another tenant has this token".to_owned()).into()
}

#[async_trait]
impl TenantStore for PgDb {
    async fn create_tenant(&self, name: &str, token_hash: &[u8; 32]) -> Result<Tenant, DbError> {
        let tenant = Tenant {
            id: new_tenant_id()?,
            name: name.to_owned(),
            created: format_date_time(now()),
        };
        let client = self.client().await?;
        let hash: &[u8] = token_hash;
        let now = crate::tenant::unix_now();
        let inserted = execute(
            &client,
            sql::INSERT_TENANT,
            &[&tenant.id, &tenant.name, &hash, &tenant.created, &now],
        )
        .await;
        match inserted {
            Ok(0) => Err(token_taken()),
            Ok(_) => Ok(tenant),
            Err(e) => Err(match unique_violation(&e) {
                Some("tenants_name") => DbError::TenantExists(tenant.name),
                Some("tenants_token_hash" | "tenants_previous_token_hash") => token_taken(),
                _ => e.into(),
            }),
        }
    }

    async fn tenant_by_token_hash(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<Tenant>, DbError> {
        let client = self.client().await?;
        let hash: &[u8] = token_hash;
        match row_opt(&client, sql::TENANT_BY_TOKEN_HASH, &[&hash, &now]).await? {
            Some(r) => Ok(Some(tenant_row(&r)?)),
            None => Ok(None),
        }
    }

    async fn rotate_token(
        &self,
        name: &str,
        token_hash: &[u8; 32],
        now: i64,
        grace_until: Option<i64>,
    ) -> Result<Tenant, DbError> {
        let client = self.client().await?;
        let hash: &[u8] = token_hash;
        match row_opt(
            &client,
            sql::ROTATE_TOKEN,
            &[&name, &hash, &now, &grace_until],
        )
        .await
        {
            Ok(Some(r)) => Ok(tenant_row(&r)?),
            Ok(None) => match row_opt(&client, sql::TENANT_EXISTS, &[&name]).await? {
                Some(_) => Err(token_taken()),
                None => Err(DbError::NoSuchTenant(name.to_owned())),
            },
            Err(e)
                if matches!(
                    unique_violation(&e),
                    Some("tenants_token_hash" | "tenants_previous_token_hash")
                ) =>
            {
                Err(token_taken())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn revoke_previous_token(&self, name: &str, now: i64) -> Result<bool, DbError> {
        let client = self.client().await?;
        match row_opt(&client, sql::REVOKE_PREVIOUS_TOKEN, &[&name, &now]).await? {
            Some(r) => Ok(r.try_get(0).map_err(Fail::from)?),
            None => Err(DbError::NoSuchTenant(name.to_owned())),
        }
    }

    async fn record_token_use(&self, uses: Vec<([u8; 32], i64)>) -> Result<(), DbError> {
        if uses.is_empty() {
            return Ok(());
        }
        let client = self.client().await?;
        for (hash, at) in &uses {
            let hash: &[u8] = hash;
            execute(&client, sql::RECORD_TOKEN_USE, &[&hash, at]).await?;
            execute(&client, sql::RECORD_PREVIOUS_TOKEN_USE, &[&hash, at]).await?;
        }
        Ok(())
    }

    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, DbError> {
        let client = self.client().await?;
        let found = rows(&client, sql::TENANTS, &[]).await?;
        Ok(found
            .iter()
            .map(tenant_record)
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
                visible_hosts: u64::try_from(r.try_get::<_, i64>(3).map_err(Fail::from)?)
                    .unwrap_or(0),
            });
        }
        Ok(out)
    }
}
