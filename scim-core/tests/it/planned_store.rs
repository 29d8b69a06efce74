//! The index planner as a store uses it, under the conformance suite's
//! differential check: a store that answers a filtered query from
//! `index::plan` run over `index::entries`, and trusts an exact plan
//! without evaluating the filter. Whatever the SQL index tables will do,
//! the plan must do here first: find every match, and only matches when it
//! says it is exact, also after replaces, deletes and member changes.

use std::sync::Arc;

use scim_core::async_trait;
use scim_core::id::{ResourceId, Version};
use scim_core::index;
use scim_core::list::{self, ListQuery, Page, QueryResult};
use scim_core::project::Projection;
use scim_core::resource::Resource;
use scim_core::schema::ResourceSchema;
use scim_core::store::conformance::Suite;
use scim_core::store::memory::MemoryStore;
use scim_core::store::{MemberDelta, ResourceStore, StoreError, TenantId};
use scim_core::time::OffsetDateTime;

use crate::index::Executor;

/// The memory store for writes; queries through the planner.
#[derive(Debug, Default)]
struct Planned(MemoryStore);

#[async_trait]
impl ResourceStore for Planned {
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

    async fn modify_members(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        id: &ResourceId,
        delta: &MemberDelta,
        expected: Option<&Version>,
        last_modified: OffsetDateTime,
    ) -> Result<Version, StoreError> {
        self.0
            .modify_members(t, s, id, delta, expected, last_modified)
            .await
    }

    async fn query(
        &self,
        t: &TenantId,
        s: &ResourceSchema,
        q: &ListQuery,
    ) -> Result<QueryResult, StoreError> {
        let Some(filter) = &q.filter else {
            return self.0.query(t, s, q).await;
        };
        let plan = index::plan(s, filter).map_err(StoreError::invalid_query)?;
        let everyone = ListQuery::new(Page::Index {
            start_index: 1,
            count: u64::MAX,
        });
        let all = self.0.query(t, s, &everyone).await?.resources;
        let candidates = Executor::new(s, &all).run(plan.root());
        let picked = all.iter().filter(|r| candidates.contains(r.id().as_str()));
        let mut rest = q.clone();
        if plan.is_exact() {
            rest.filter = None;
        }
        let mut result = list::evaluate(s, picked, &rest).map_err(StoreError::invalid_query)?;
        // Leave out members the response will not carry, as a store may.
        if !q.projection.includes("members") {
            for r in &mut result.resources {
                r.set_computed("members", None)
                    .map_err(StoreError::invalid_query)?;
            }
        }
        Ok(result)
    }
}

#[tokio::test]
async fn plans_agree_with_evaluate_on_random_queries_and_writes() {
    Suite::new(|| async { Arc::new(Planned::default()) as Arc<dyn ResourceStore> })
        .differential_queries(2000, 0x706c_616e_0000)
        .await;
}

#[tokio::test]
async fn plans_agree_with_evaluate_on_the_fixed_filters() {
    let suite = Suite::new(|| async { Arc::new(Planned::default()) as Arc<dyn ResourceStore> });
    suite.filters_agree_with_evaluate().await;
    suite.differential_regressions().await;
}
