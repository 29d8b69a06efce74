//! `tenant …`: create tenants, rotate and revoke their tokens, list and
//! delete them.

use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Subcommand;

use crate::config::Storage;
use crate::db;

/// `tenant …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Create a tenant and print its tenant URL and bearer token.
    Create {
        /// The tenant's unique name.
        name: String,
        /// The public URL of the SCIM base path to print (the server's
        /// --public-url), e.g. `https://scim.example.com/scim/v2`.
        #[arg(long, env = "SCIM_PUBLIC_URL")]
        url: Option<String>,
    },
    /// Replace a tenant's token. The old one keeps working for the grace
    /// period, so that Entra ID's cycles succeed until an admin pastes the
    /// new token; `revoke-token` ends it sooner.
    RotateToken {
        /// The tenant's name.
        name: String,
        /// How long the old token keeps working: `90s`, `30m`, `24h`, `7d`
        /// (at most 30 days), or `0` to cut it off now.
        #[arg(long, env = "SCIM_TOKEN_GRACE", default_value = "24h", value_parser = parse_grace)]
        grace: Duration,
    },
    /// End the grace period of a tenant's previous token (the current token
    /// keeps working), on every server within 2 s.
    RevokeToken {
        /// The tenant's name.
        name: String,
    },
    /// List tenants, with when their tokens were created and last used.
    List,
    /// Delete a tenant with all its hosts and groups (asks for --yes).
    Delete {
        /// The tenant's name.
        name: String,
        /// Really delete it.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs `tenant …`.
pub(super) async fn run(storage: &Storage, cmd: TenantCommand) -> anyhow::Result<()> {
    // Only `create` may start a new database; the others need the
    // server's.
    let database = if matches!(cmd, TenantCommand::Create { .. }) {
        storage.open().await?
    } else {
        storage.open_existing().await?
    };
    match cmd {
        TenantCommand::Create { name, url } => {
            let token = crate::tenant::Token::generate()?;
            database.tenants.create_tenant(&name, &token.hash()).await?;
            println!("Tenant:     {name}");
            match &url {
                Some(url) => println!("Tenant URL: {url}"),
                None => {
                    println!("Tenant URL: (not configured: see the warning)");
                    eprintln!(
                        "warning: no public URL is configured (--url or SCIM_PUBLIC_URL), so the Tenant URL is unknown here;"
                    );
                    eprintln!(
                        "         give Entra ID the HTTPS URL it reaches the server at, e.g. https://scim.example.com/scim/v2"
                    );
                }
            }
            println!("Token:      {}", token.as_str());
            println!(
                "Paste both into Entra ID (Provisioning > Admin Credentials). The token is shown only now."
            );
        }
        TenantCommand::RotateToken { name, grace } => {
            let token = crate::tenant::Token::generate()?;
            let now = crate::tenant::unix_now();
            let grace_secs = i64::try_from(grace.as_secs()).unwrap_or(i64::MAX);
            let until = (grace_secs > 0).then(|| now.saturating_add(grace_secs));
            database
                .tenants
                .rotate_token(&name, &token.hash(), now, until)
                .await?;
            println!("New token for {name}: {}", token.as_str());
            match until {
                Some(until) => {
                    println!(
                        "The old token keeps working until {} (--grace {}); paste the new one into Entra ID's Secret Token,",
                        format_time(until),
                        format_grace(grace)
                    );
                    println!("then `tenant revoke-token {name}` ends the old one sooner.");
                }
                None => {
                    println!("The old token no longer works; update Entra ID's Secret Token.");
                }
            }
        }
        TenantCommand::RevokeToken { name } => {
            if database
                .tenants
                .revoke_previous_token(&name, crate::tenant::unix_now())
                .await?
            {
                println!(
                    "The previous token of {name} stops working within 2 s; the current token still works."
                );
            } else {
                println!(
                    "{name} has no previous token that still works; the current token still works."
                );
            }
        }
        TenantCommand::List => {
            let now = crate::tenant::unix_now();
            println!(
                "{:<24} {:<32} {:<20} {:<20} {:<20} PREVIOUS TOKEN",
                "NAME", "ID", "CREATED", "TOKEN CREATED", "TOKEN LAST USED"
            );
            for record in database.tenants.list_tenants().await? {
                let t = &record.tenant;
                let token_created = record
                    .token_created
                    .map_or_else(|| t.created.clone(), format_time);
                let previous = match record.previous {
                    None => "-".to_owned(),
                    Some(p) if p.expires <= now => format!("expired {}", format_time(p.expires)),
                    Some(p) => format!(
                        "works until {}, last used {}",
                        format_time(p.expires),
                        p.last_used.map_or_else(|| "never".to_owned(), format_time)
                    ),
                };
                println!(
                    "{:<24} {:<32} {:<20} {:<20} {:<20} {previous}",
                    t.name,
                    t.id,
                    short_time(&t.created),
                    short_time(&token_created),
                    record
                        .token_last_used
                        .map_or_else(|| "never".to_owned(), format_time),
                );
            }
        }
        TenantCommand::Delete { name, yes } => {
            if !yes {
                let t = find_tenant(&database, &name).await?;
                let hosts = database.product.hosts(&t.id, true).await?.len();
                let groups = database.product.host_groups(&t.id).await?.len();
                bail!(
                    "this deletes tenant {name:?} with its {hosts} hosts and {groups} host groups, and its token stops working; run again with --yes to do it"
                );
            }
            database.tenants.delete_tenant(&name).await?;
            println!("Deleted tenant {name} and all its hosts and host groups.");
        }
    }
    Ok(())
}

/// The tenant named `name`.
pub(super) async fn find_tenant(database: &db::Database, name: &str) -> anyhow::Result<db::Tenant> {
    database
        .tenants
        .list_tenants()
        .await?
        .into_iter()
        .map(|record| record.tenant)
        .find(|t| t.name == name)
        .with_context(|| format!("no tenant named {name:?} (see `tenant list`)"))
}

/// The longest grace period `rotate-token` accepts.
const MAX_GRACE: Duration = Duration::from_secs(30 * 24 * 3600);

/// Parses a grace period: a number with `s`, `m`, `h` or `d`, or `0`.
fn parse_grace(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: use e.g. 90s, 30m, 24h or 7d"))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" if n == 0 => 1,
        _ => {
            return Err(format!(
                "{text:?} is not a duration: use e.g. 90s, 30m, 24h or 7d"
            ));
        }
    };
    let grace = Duration::from_secs(n.saturating_mul(unit_secs));
    if grace > MAX_GRACE {
        return Err(format!(
            "a grace period of {text} is longer than 30 days; rotate again later instead"
        ));
    }
    Ok(grace)
}

/// A grace period as `parse_grace` reads it.
fn format_grace(grace: Duration) -> String {
    let secs = grace.as_secs();
    match secs {
        0 => "0".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Unix seconds as RFC 3339 in UTC, to the second.
fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// An RFC 3339 time without its fraction of a second, for the table.
fn short_time(rfc3339: &str) -> String {
    match rfc3339.split_once('.') {
        Some((seconds, rest)) if rest.ends_with('Z') => format!("{seconds}Z"),
        _ => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser as _;

    #[test]
    fn grace_periods_parse_and_print() {
        assert_eq!(parse_grace("0"), Ok(Duration::ZERO));
        assert_eq!(parse_grace("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_grace("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_grace("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_grace("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in [
            "",
            "h",
            "5",
            "1w",
            "-1h",
            "1.5h",
            "31d",
            "99999999999999999999d",
        ] {
            assert!(parse_grace(bad).is_err(), "{bad:?}");
        }
        for text in ["0", "90s", "30m", "2h", "7d"] {
            assert_eq!(format_grace(parse_grace(text).unwrap()), text);
        }
        assert_eq!(format_grace(Duration::from_secs(86_400)), "1d");
    }

    #[test]
    fn the_default_grace_is_a_day() {
        let cli = Cli::try_parse_from(["x", "tenant", "rotate-token", "acme"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Tenant(TenantCommand::RotateToken { grace, .. })) if grace == Duration::from_secs(86_400)
        ));
    }

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_764_750_126), "2025-12-03T08:22:06Z");
        assert_eq!(
            short_time("2026-12-03T07:22:06.123Z"),
            "2026-12-03T07:22:06Z"
        );
        assert_eq!(short_time("2026-12-03T07:22:06Z"), "2026-12-03T07:22:06Z");
    }
}
