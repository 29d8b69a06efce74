//! The processes the report measures: the reference server (built here or
//! given), the bare hyper server, their peak memory, and the scratch
//! PostgreSQL databases.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::bare;

/// How long a server may take to print its banner (PostgreSQL migrations
/// included).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A child process that is killed when dropped, so that an error halfway
/// through the report leaves no server behind.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    /// Where it serves: the SCIM base URL, or the bare server's root.
    pub(crate) url: String,
}

impl Server {
    /// Starts the reference server on a free loopback port with a first
    /// tenant whose token is `token`, storing in `data_dir` (SQLite) or at
    /// `database_url`; its log goes to `log`.
    pub(crate) fn scim(
        binary: &Path,
        data_dir: &Path,
        database_url: Option<&str>,
        token: &str,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(binary);
        // Settings from the caller's environment (a rate limit, another
        // database) would change what is measured: only ours apply.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SCIM_") {
                command.env_remove(&key);
            }
        }
        command
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .env("SCIM_BOOTSTRAP_TOKEN", token);
        if let Some(url) = database_url {
            command.arg("--database-url").arg(url);
        }
        let prefix = "SCIM server listening on ";
        let (child, lines) =
            spawn(command, log).with_context(|| format!("cannot start {}", binary.display()))?;
        let mut server = Self {
            child,
            url: String::new(),
        };
        // The banner's last line starts with "Storage:".
        let mut url = None;
        loop {
            let line = lines
                .recv_timeout(START_TIMEOUT)
                .with_context(|| server.failure("did not print its banner", log))?;
            if let Some(u) = line.strip_prefix(prefix) {
                url = Some(u.trim().to_owned());
            }
            if line.starts_with("Storage:") {
                break;
            }
        }
        server.url = url.with_context(|| server.failure("printed no listen address", log))?;
        Ok(server)
    }

    /// Starts this executable's `bare-hyper` subcommand serving `body`.
    pub(crate) fn bare(body: &Path, log: &Path) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find this executable")?;
        let mut command = Command::new(exe);
        command.arg("bare-hyper").arg("--body").arg(body);
        let (child, lines) = spawn(command, log).context("cannot start the bare hyper server")?;
        let mut server = Self {
            child,
            url: String::new(),
        };
        let line = lines
            .recv_timeout(START_TIMEOUT)
            .with_context(|| server.failure("did not print its address", log))?;
        server.url = line
            .strip_prefix(bare::BANNER)
            .map(|u| u.trim().to_owned())
            .with_context(|| format!("the bare hyper server printed {line:?}"))?;
        Ok(server)
    }

    /// The process's peak resident set so far (`VmHWM` in
    /// `/proc/<pid>/status`), in bytes; `None` where there is no procfs.
    pub(crate) fn peak_rss(&self) -> Option<u64> {
        peak_rss(self.child.id())
    }

    /// The CPU time its threads have used so far, by thread name.
    pub(crate) fn thread_cpu(&self) -> ThreadCpu {
        thread_cpu(self.child.id())
    }

    fn failure(&mut self, what: &str, log: &Path) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => format!("exited ({status})"),
            _ => "is still running".to_owned(),
        };
        let tail = std::fs::read_to_string(log)
            .map(|text| {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(10)..].join("\n")
            })
            .unwrap_or_default();
        format!(
            "the server {what}; it {status}; the end of its log {}:\n{tail}",
            log.display()
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `command` with stderr to `log` and stdout read line by line on a
/// thread (which keeps draining it, so the child never blocks on a full
/// pipe).
fn spawn(mut command: Command, log: &Path) -> anyhow::Result<(Child, mpsc::Receiver<String>)> {
    let log_file = std::fs::File::create(log)
        .with_context(|| format!("cannot create the log {}", log.display()))?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout pipe")?;
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // The receiver stops listening after the banner; keep reading.
            let _ = send.send(line);
        }
    });
    Ok((child, receive))
}

/// CPU seconds (user and system) by thread name, threads of one name
/// summed (`tokio-rt-worker`); empty where there is no procfs.
pub(crate) type ThreadCpu = BTreeMap<String, f64>;

/// Linux reports thread times in clock ticks of `USER_HZ`, 100 a second
/// on every architecture's userland ABI.
const TICKS_PER_SECOND: f64 = 100.0;

/// [`ThreadCpu`] of process `pid` now (threads that already ended are
/// not counted).
pub(crate) fn thread_cpu(pid: u32) -> ThreadCpu {
    let mut out = ThreadCpu::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let (Ok(name), Ok(stat)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("stat")),
        ) else {
            continue;
        };
        if let Some(ticks) = parse_cpu_ticks(&stat) {
            *out.entry(name.trim().to_owned()).or_default() += ticks as f64 / TICKS_PER_SECOND;
        }
    }
    out
}

/// `utime + stime` of a `/proc/…/stat` line: fields 14 and 15, counted
/// after the command name in parentheses (which may hold spaces).
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// CPU seconds used so far by every process named `name` (PostgreSQL's
/// `postgres` backends and helpers), summed; `None` where there is no
/// procfs. Processes that ended are not counted.
pub(crate) fn processes_cpu(name: &str) -> Option<f64> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let mut total = 0.0;
    for entry in entries.flatten() {
        let dir = entry.path();
        let is_pid = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("stat")),
        ) else {
            continue;
        };
        if comm.trim() == name {
            total += parse_cpu_ticks(&stat).unwrap_or(0) as f64 / TICKS_PER_SECOND;
        }
    }
    Some(total)
}

/// What each thread used between two readings.
pub(crate) fn cpu_between(before: &ThreadCpu, after: &ThreadCpu) -> ThreadCpu {
    after
        .iter()
        .map(|(name, s)| (name.clone(), s - before.get(name).copied().unwrap_or(0.0)))
        .filter(|(_, s)| *s > 0.0)
        .collect()
}

/// `VmHWM` of process `pid` in bytes.
pub(crate) fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Builds the release server with cargo from `workspace` and returns its
/// path, as cargo reports it.
pub(crate) fn build_server(workspace: &Path, quiet: bool) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    if !quiet {
        eprintln!("building the release scim-server-example …");
    }
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "scim-server-example",
            "--bin",
            "scim-server-example",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(if quiet {
            Stdio::null()
        } else {
            Stdio::inherit()
        })
        .output()
        .context("cannot run cargo build")?;
    if !output.status.success() {
        bail!(
            "cargo build of scim-server-example failed ({})",
            output.status
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact" && m["target"]["name"] == "scim-server-example"
        })
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo build did not report the scim-server-example executable")
}

/// `url` with its database name replaced by `name` (and any query kept).
pub(crate) fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base
        .find("://")
        .context("the PostgreSQL URL has no scheme")?
        + 3;
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// A scratch PostgreSQL database, dropped (with its connections) when the
/// report is done with it.
#[derive(Debug)]
pub(crate) struct ScratchDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new database.
    pub(crate) url: String,
}

impl ScratchDatabase {
    /// Creates database `name` on the server of `admin_url`.
    pub(crate) async fn create(admin_url: &str, name: &str) -> anyhow::Result<Self> {
        let client = connect(admin_url).await?;
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("cannot create the database {name}"))?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name: name.to_owned(),
            url: with_database(admin_url, name)?,
        })
    }

    /// Drops the database, ending the connections a killed server left.
    pub(crate) async fn drop_now(self) -> anyhow::Result<()> {
        let client = connect(&self.admin_url).await?;
        client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .with_context(|| format!("cannot drop the database {}", self.name))?;
        Ok(())
    }
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .context(
            "cannot connect to PostgreSQL (--postgres-url; --skip-postgres to leave it out)",
        )?;
    tokio::spawn(connection);
    Ok(client)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn thread_times_are_read_after_the_command_name() {
        let stat = "42 (sqlite writer) S 1 42 42 0 -1 4194368 100 0 0 0 250 30 0 0 20 0 15 0";
        assert_eq!(parse_cpu_ticks(stat), Some(280));
        let mine = thread_cpu(std::process::id());
        assert!(!mine.is_empty(), "this test's own threads");
        let before = ThreadCpu::from([("a".to_owned(), 1.0), ("b".to_owned(), 2.0)]);
        let after = ThreadCpu::from([
            ("a".to_owned(), 1.5),
            ("b".to_owned(), 2.0),
            ("c".to_owned(), 0.25),
        ]);
        assert_eq!(
            cpu_between(&before, &after),
            ThreadCpu::from([("a".to_owned(), 0.5), ("c".to_owned(), 0.25)])
        );
    }

    #[test]
    fn vm_hwm_is_read_in_bytes() {
        let status = "Name:\tscim\nVmPeak:\t  900 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(12345 * 1024));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
        // This process has one.
        assert!(peak_rss(std::process::id()).is_some_and(|b| b > 0));
    }

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "r1").unwrap(),
            "postgres://postgres@127.0.0.1:5432/r1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "r2").unwrap(),
            "postgres://u:p@h/r2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://h:5432", "r3").unwrap(),
            "postgresql://h:5432/r3"
        );
        assert!(with_database("nonsense", "x").is_err());
    }
}
