//! `hosts list` and `groups …`: the product's view of hosts and host
//! groups, and the repairs of host groups that share a name.

use anyhow::{Context as _, bail};
use clap::Subcommand;

use crate::config::{Storage, describe};
use crate::db::names::GroupChange;
use crate::db::{self, Target};
use crate::profile::Profile;

use super::tenant::find_tenant;

/// `hosts list` / `groups list`.
#[derive(Debug, Subcommand)]
pub(crate) enum ListCommand {
    /// List them for one tenant.
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// Include hosts that are invisible (unassigned in Entra ID).
        #[arg(long)]
        all: bool,
    },
}

/// `groups …`.
#[derive(Debug, Subcommand)]
pub(crate) enum GroupsCommand {
    /// List them for one tenant.
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
    },
    /// Rename a host group, e.g. one of two groups that share a name and
    /// keep the server from upgrading the database. Works on a database
    /// the server refuses to open for that reason.
    Rename {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The group's id (`groups list` shows names; the server's refusal
        /// lists the ids of groups sharing one).
        id: String,
        /// Its new displayName, not used by another group of the tenant
        /// (ignoring case).
        name: String,
        /// The server's --profile: whether the new name is kept unique.
        #[arg(long, env = "SCIM_PROFILE", value_enum, default_value_t = Profile::SignInEnterprise)]
        profile: Profile,
    },
    /// Delete a host group with its memberships (asks for --yes). Works on
    /// a database the server refuses to open because group names are
    /// shared.
    Delete {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The group's id.
        id: String,
        /// Really delete it.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs `hosts …`.
pub(super) async fn hosts(storage: &Storage, cmd: ListCommand) -> anyhow::Result<()> {
    match cmd {
        ListCommand::List { tenant, all } => {
            let database = storage.open_existing().await?;
            let t = find_tenant(&database, &tenant).await?;
            let hosts = database.product.hosts(&t.id, all).await?;
            println!(
                "{:<40} {:<28} {:<32} {:<18} {:<18} {:<8}",
                "USERNAME", "NAME", "WORK EMAIL", "WORK PHONE", "DEPARTMENT", "VISIBLE"
            );
            for h in hosts {
                let name = [h.given_name.as_deref(), h.family_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                println!(
                    "{:<40} {:<28} {:<32} {:<18} {:<18} {:<8}",
                    h.user_name,
                    name,
                    h.work_email.unwrap_or_default(),
                    h.work_phone.unwrap_or_default(),
                    h.department.unwrap_or_default(),
                    if h.visible { "yes" } else { "no" }
                );
            }
            Ok(())
        }
    }
}

/// Runs `groups …`.
pub(super) async fn groups(storage: &Storage, cmd: GroupsCommand) -> anyhow::Result<()> {
    match cmd {
        GroupsCommand::List { tenant } => {
            let database = storage.open_existing().await?;
            let t = find_tenant(&database, &tenant).await?;
            // The product shows only visible hosts; MEMBERS counts every
            // member (invisible hosts and nested groups too).
            println!(
                "{:<40} {:>13} {:>8}",
                "HOST GROUP", "VISIBLE HOSTS", "MEMBERS"
            );
            for g in database.product.host_groups(&t.id).await? {
                println!(
                    "{:<40} {:>13} {:>8}",
                    g.display_name, g.visible_hosts, g.member_count
                );
            }
            Ok(())
        }
        GroupsCommand::Rename {
            tenant,
            id,
            name,
            profile,
        } => {
            if name.trim().is_empty() {
                bail!("a host group needs a non-empty name");
            }
            let change = GroupChange::Rename(name.clone());
            let remaining = change_group(storage, profile, &tenant, &id, &change).await?;
            println!("Renamed host group {id} of {tenant} to {name:?}.");
            print_remaining(remaining.as_deref());
            Ok(())
        }
        GroupsCommand::Delete { tenant, id, yes } => {
            if !yes {
                bail!(
                    "this deletes host group {id} of tenant {tenant:?} with its memberships; run again with --yes to do it"
                );
            }
            let remaining = change_group(
                storage,
                Profile::SignInEnterprise,
                &tenant,
                &id,
                &GroupChange::Delete,
            )
            .await?;
            println!("Deleted host group {id} of {tenant}.");
            print_remaining(remaining.as_deref());
            Ok(())
        }
    }
}

/// Runs a repair command on an existing database, migrated or not.
async fn change_group(
    storage: &Storage,
    profile: Profile,
    tenant: &str,
    id: &str,
    change: &GroupChange,
) -> anyhow::Result<Option<Vec<db::names::ClashingGroup>>> {
    let target = storage.target()?;
    if let Target::Sqlite(path) = &target {
        if !path.is_file() {
            bail!(
                "no database at {}: point --data-dir (SCIM_DATA_DIR) or --database-url at the server's data",
                path.display()
            );
        }
    }
    let registry = crate::profile::registry(profile)?;
    let groups = registry
        .resource_type("Group")
        .context("the registry has a Group type")?;
    // Members are written back as they are, whatever the server checks.
    let options = db::Options {
        check_member_references: false,
        ..db::Options::default()
    };
    db::names::change_group(&target, options, groups, tenant, id, change)
        .await
        .with_context(|| format!("cannot change the database {}", describe(&target)))
}

/// What is left to resolve before the migration to unique group names.
fn print_remaining(remaining: Option<&[db::names::ClashingGroup]>) {
    match remaining {
        None => {}
        Some([]) => println!(
            "No two host groups of a tenant share a name any more: start the server to finish upgrading the database."
        ),
        Some(groups) => {
            println!(
                "Host groups still sharing a name (the server will not start until each name has one group):"
            );
            for g in groups {
                println!(
                    "  tenant {:?}, name {:?}: {}  {:?}  created {}",
                    g.tenant, g.key, g.id, g.display_name, g.created
                );
            }
        }
    }
}
