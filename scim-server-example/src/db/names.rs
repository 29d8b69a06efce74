//! Group names unique per tenant (schema version 3): what stops the
//! migration when a database already holds duplicates, and the commands
//! that resolve them (`groups rename`, `groups delete`).
//!
//! The migration refuses to run while two groups of one tenant share a
//! name (ignoring case): keeping one and demoting the others would leave
//! Entra ID two matches for one name, and choosing which group survives is
//! the operator's call. The repair commands therefore work on a database
//! whose migration is blocked, with plain SQL on the columns every schema
//! version has; on a migrated database they go through the store like
//! every other write.

use std::fmt;

use scim_core::id::ResourceId;
use scim_core::resource::{Resource, parse_date_time};
use scim_core::schema::ResourceSchema;
use scim_core::store::{StoreError, TenantId};
use serde_json::Value;

use super::key;
use super::{Database, DbError};

/// A group that shares its name with another group of its tenant.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct ClashingGroup {
    /// The tenant's name.
    pub tenant: String,
    /// The folded name the groups share.
    pub key: String,
    /// The group's id.
    pub id: String,
    /// Its `displayName`, as stored.
    pub display_name: String,
    /// Its `meta.created`.
    pub created: String,
}

/// Puts clashing groups in the order they are listed: by tenant, name,
/// creation time (as a time: the stored text has a varying number of
/// fractional digits, so its text order is not time order) and id.
pub(crate) fn in_order(mut groups: Vec<ClashingGroup>) -> Vec<ClashingGroup> {
    groups.sort_by_cached_key(|g| {
        (
            g.tenant.clone(),
            g.key.clone(),
            parse_date_time(&g.created),
            g.id.clone(),
        )
    });
    groups
}

/// The migration to unique group names found duplicates and did not run.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct DuplicateGroupNames {
    /// The schema version the database stays at.
    pub version: i64,
    /// Every group concerned, by tenant, name, creation time and id.
    pub groups: Vec<ClashingGroup>,
}

impl fmt::Display for DuplicateGroupNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "host group names must be unique per tenant, ignoring case (Entra ID matches groups by displayName), \
             but these groups share a name; the database was not changed and stays at schema version {}:",
            self.version
        )?;
        let mut previous: Option<(&str, &str)> = None;
        for g in &self.groups {
            if previous != Some((&g.tenant, &g.key)) {
                writeln!(f, "  tenant {:?}, name {:?}:", g.tenant, g.key)?;
            }
            writeln!(
                f,
                "    {}  {:?}  created {}",
                g.id, g.display_name, g.created
            )?;
            previous = Some((&g.tenant, &g.key));
        }
        writeln!(
            f,
            "Keep one group of each name (the one Entra ID's provisioning logs show) and rename or delete the others, \
             with the server's --data-dir or --database-url, e.g.:"
        )?;
        let mut previous: Option<(&str, &str)> = None;
        for g in &self.groups {
            // The oldest group of each name is the one suggested to keep.
            if previous == Some((&g.tenant, &g.key)) {
                let tenant = shell_word(&g.tenant);
                writeln!(
                    f,
                    "  scim-server-example groups rename --tenant {tenant} {} \"NEW NAME\"",
                    g.id
                )?;
                writeln!(
                    f,
                    "  scim-server-example groups delete --tenant {tenant} {} --yes",
                    g.id
                )?;
            }
            previous = Some((&g.tenant, &g.key));
        }
        write!(f, "then start the server again.")
    }
}

impl std::error::Error for DuplicateGroupNames {}

/// What a repair command does to one group.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum GroupChange {
    /// Gives it this `displayName`.
    Rename(String),
    /// Deletes it (its memberships go with it).
    Delete,
}

/// The duplicates left after a change on a database whose migration to
/// unique group names is blocked; `None` when it was already migrated.
pub(crate) type Remaining = Option<Vec<ClashingGroup>>;

/// Applies `change` to the group `id` of the tenant named `tenant`: before
/// the migration with plain SQL, after it through the store opened with
/// `options` and the Group type `groups` (whose `uniqueness` decides
/// whether the new name is claimed).
///
/// # Errors
///
/// [`DbError::NoSuchTenant`], [`DbError::NoSuchGroup`],
/// [`DbError::GroupNameTaken`] (another group of the tenant has the new
/// name, ignoring case), or a backend failure.
pub(crate) async fn change_group(
    target: &super::Target,
    options: super::Options,
    groups: &ResourceSchema,
    tenant: &str,
    id: &str,
    change: &GroupChange,
) -> Result<Remaining, DbError> {
    let before = match target {
        super::Target::Sqlite(path) => {
            super::sqlite::change_group_before_unique_names(path, tenant, id, change).await?
        }
        super::Target::Postgres(url) => {
            let config = url.parse().map_err(|e| DbError::Backend(Box::new(e)))?;
            super::postgres::change_group_before_unique_names(config, tenant, id, change).await?
        }
    };
    if before.is_some() {
        return Ok(before);
    }
    let database = super::open(target, options).await?;
    change_group_in_store(&database, groups, tenant, id, change).await?;
    Ok(None)
}

/// [`change_group`] on a migrated database, through its store.
pub(crate) async fn change_group_in_store(
    database: &Database,
    groups: &ResourceSchema,
    tenant: &str,
    id: &str,
    change: &GroupChange,
) -> Result<(), DbError> {
    let tenant_id = database
        .tenants
        .list_tenants()
        .await?
        .into_iter()
        .find(|r| r.tenant.name == tenant)
        .map(|r| TenantId::new(r.tenant.id))
        .ok_or_else(|| DbError::NoSuchTenant(tenant.to_owned()))?;
    let no_group = || DbError::NoSuchGroup(id.to_owned());
    let resource_id = ResourceId::new(id).map_err(|_| no_group())?;
    let current = database
        .scim
        .get(
            &tenant_id,
            groups,
            &resource_id,
            &scim_core::project::Projection::all(),
        )
        .await
        .map_err(|e| DbError::Backend(Box::new(e)))?
        .ok_or_else(no_group)?;
    let result = match change {
        GroupChange::Rename(name) => {
            let mut json = current.json().clone();
            json.insert(key::DISPLAY_NAME.to_owned(), Value::String(name.clone()));
            let renamed = Resource::from_json(json).map_err(|e| DbError::Backend(Box::new(e)))?;
            database
                .scim
                .replace(&tenant_id, groups, renamed, current.version())
                .await
                .map(|_| ())
        }
        GroupChange::Delete => {
            database
                .scim
                .delete(&tenant_id, groups, &resource_id, Some(current.version()))
                .await
        }
    };
    result.map_err(|e| match (e, change) {
        (StoreError::Conflict(_), GroupChange::Rename(name)) => {
            DbError::GroupNameTaken(name.clone())
        }
        (StoreError::NotFound, _) => no_group(),
        (e, _) => DbError::Backend(Box::new(e)),
    })
}

/// `s` as one word for a POSIX shell.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clash(tenant: &str, key: &str, id: &str, created: &str) -> ClashingGroup {
        ClashingGroup {
            tenant: tenant.into(),
            key: key.into(),
            id: id.into(),
            display_name: key.to_uppercase(),
            created: created.into(),
        }
    }

    #[test]
    fn the_refusal_lists_each_name_and_a_command_for_all_but_the_oldest() {
        let text = DuplicateGroupNames {
            version: 2,
            groups: vec![
                clash("acme", "lobby", "g1", "2025-01-01T00:00:00Z"),
                clash("acme", "lobby", "g2", "2025-01-02T00:00:00Z"),
                clash("Acme Corp", "lobby", "g3", "2025-01-01T00:00:00Z"),
                clash("Acme Corp", "lobby", "g4", "2025-01-03T00:00:00Z"),
            ],
        }
        .to_string();
        assert!(text.contains("schema version 2"), "{text}");
        assert!(text.contains(r#"tenant "acme", name "lobby":"#), "{text}");
        assert!(
            text.contains(r#"g2  "LOBBY"  created 2025-01-02T00:00:00Z"#),
            "{text}"
        );
        for (tenant, id) in [("acme", "g2"), ("'Acme Corp'", "g4")] {
            assert!(
                text.contains(&format!(
                    "scim-server-example groups rename --tenant {tenant} {id} \"NEW NAME\""
                )),
                "{text}"
            );
            assert!(
                text.contains(&format!(
                    "scim-server-example groups delete --tenant {tenant} {id} --yes"
                )),
                "{text}"
            );
        }
        for kept in ["g1", "g3"] {
            assert!(!text.contains(&format!("{kept} \"NEW")), "{text}");
        }
    }

    #[test]
    fn clashes_are_listed_in_time_order_whatever_the_fraction_digits() {
        let ids = |groups: Vec<ClashingGroup>| -> Vec<String> {
            in_order(groups).into_iter().map(|g| g.id).collect()
        };
        assert_eq!(
            ids(vec![
                clash("b", "x", "late", "2026-12-03T13:12:53.925Z"),
                clash("b", "x", "early", "2026-12-03T13:12:53.92Z"),
                clash("a", "y", "other-tenant", "2026-12-03T13:12:54Z"),
                clash("b", "w", "other-name", "2026-12-03T13:12:54Z"),
            ]),
            ["other-tenant", "other-name", "early", "late"]
        );
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("acme-1"), "acme-1");
        assert_eq!(shell_word("Acme Corp"), "'Acme Corp'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
