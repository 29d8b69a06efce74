//! Starting the real server binary on a free loopback port and talking to
//! it over HTTP.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_scim-server-example");

/// A bootstrap token long enough to be accepted.
pub(crate) const TOKEN: &str = "e2e-bootstrap-token-0123456789abcdef";

/// Where a test's data lives: a fresh SQLite directory, or a fresh
/// PostgreSQL schema.
#[derive(Clone, Debug)]
pub(crate) enum Storage {
    /// `--data-dir DIR`.
    Sqlite(PathBuf),
    /// `--database-url URL` (with a search_path option for the schema).
    Postgres(String),
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl Storage {
    /// A fresh SQLite directory under the system temp dir.
    pub(crate) fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(unique("scim-e2e"));
        std::fs::create_dir_all(&dir).unwrap();
        Self::Sqlite(dir)
    }

    /// A fresh schema in the PostgreSQL database named by
    /// `SCIM_TEST_POSTGRES_URL`, or `None` (with a note on stderr) when the
    /// variable is not set.
    pub(crate) fn postgres(test: &str) -> Option<Self> {
        let Ok(url) = std::env::var("SCIM_TEST_POSTGRES_URL") else {
            eprintln!("skipping PostgreSQL test {test}: SCIM_TEST_POSTGRES_URL is not set");
            return None;
        };
        let schema = unique("scim_e2e");
        let status = Command::new("psql")
            .args([url.as_str(), "-q", "-c", &format!("CREATE SCHEMA {schema}")])
            .status()
            .expect("psql runs");
        assert!(status.success(), "cannot create schema {schema}");
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(Self::Postgres(format!(
            "{url}{sep}options=-csearch_path%3D{schema}"
        )))
    }

    fn args(&self) -> Vec<String> {
        match self {
            Self::Sqlite(dir) => vec!["--data-dir".into(), dir.display().to_string()],
            Self::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }

    /// Runs a non-serve command (`tenant create x`) and returns its stdout.
    pub(crate) fn command(&self, args: &[&str]) -> String {
        let output = Command::new(BIN)
            .args(self.args())
            .args(args)
            .env_remove("SCIM_DATABASE_URL")
            .output()
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `tenant create NAME` and returns the printed token.
    pub(crate) fn create_tenant(&self, name: &str) -> String {
        let out = self.command(&["tenant", "create", name]);
        token_in(&out, "Token:")
    }
}

/// The value after `label` on its line of `out`.
pub(crate) fn token_in(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(|t| t.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label:?} in {out}"))
}

/// A running server process.
#[derive(Debug)]
pub(crate) struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub(crate) origin: String,
    /// Everything the server printed on stdout before it was ready.
    pub(crate) banner: String,
    /// Everything it has logged on stderr so far.
    logs: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `serve --listen 127.0.0.1:0` with `extra` arguments and waits
    /// until it listens.
    pub(crate) fn start(storage: &Storage, extra: &[&str]) -> Self {
        Self::start_with_env(storage, extra, &[])
    }

    /// The same with these environment variables (`SCIM_LOG=info` for the
    /// request log lines).
    pub(crate) fn start_with_env(storage: &Storage, extra: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_listening(storage, "127.0.0.1:0", extra, env)
    }

    /// The same on another `--listen` address; an unspecified address
    /// (`0.0.0.0:0`) is reached through 127.0.0.1, so that the traffic
    /// stays on loopback.
    pub(crate) fn start_listening(
        storage: &Storage,
        listen: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut child = Command::new(BIN)
            .args(storage.args())
            .args(["serve", "--listen", listen])
            .args(extra)
            .env("SCIM_BOOTSTRAP_TOKEN", TOKEN)
            .env("SCIM_LOG", "warn")
            .envs(env.iter().copied())
            .env_remove("SCIM_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(String::new()));
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                // Still shown with the test's output on failure.
                eprintln!("{line}");
                let mut logs = sink.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut banner = String::new();
            let mut origin = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                banner.push_str(&line);
                banner.push('\n');
                if let Some(url) = line.strip_prefix("SCIM server listening on ") {
                    origin = url
                        .strip_suffix("/scim/v2")
                        .map(|o| o.replace("://0.0.0.0:", "://127.0.0.1:"));
                }
                // The banner ends with the storage line and, on first start,
                // the bootstrap block.
                if origin.is_some()
                    && (line.starts_with("The token is shown only now")
                        || line.starts_with("Storage:"))
                {
                    let _ = tx.send((origin.clone(), banner.clone()));
                }
            }
            let _ = tx.send((origin, banner));
        });
        let (origin, banner) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server printed where it listens");
        let origin = origin.unwrap_or_else(|| panic!("no listening line in {banner}"));
        // Give the accept loop a moment after the banner.
        let server = Self {
            child: Some(child),
            origin,
            banner,
            logs,
        };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = self
            .origin
            .split("://")
            .last()
            .unwrap_or_default()
            .to_owned();
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server at {} never accepted a connection", self.origin);
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn addr(&self) -> String {
        self.origin.trim_start_matches("http://").to_owned()
    }

    /// What the server logged on stderr so far.
    pub(crate) fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Waits until a log line contains every one of `needles`, and returns
    /// that line.
    pub(crate) async fn wait_for_log(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let logs = self.logs();
            if let Some(line) = logs.lines().find(|l| needles.iter().all(|n| l.contains(n))) {
                return line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needles:?} in:\n{logs}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the process with SIGKILL, as a crash would.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signal (`"HUP"`) to the running process.
    pub(crate) fn signal(&self, name: &str) {
        let child = self.child.as_ref().expect("running");
        let status = Command::new("kill")
            .args([&format!("-{name}"), &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Sends SIGTERM and waits for the exit status.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// An HTTP client for this server.
    pub(crate) fn client(&self, token: &str) -> Scim {
        Scim {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: format!("{}/scim/v2", self.origin),
            token: token.to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A response.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The status code.
    pub(crate) status: u16,
    /// The headers.
    pub(crate) headers: http::HeaderMap,
    /// The body as JSON (`Null` when empty or not JSON).
    pub(crate) body: Value,
}

impl Reply {
    /// Asserts the status.
    #[track_caller]
    pub(crate) fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }

    /// Asserts a SCIM error with this status.
    #[track_caller]
    pub(crate) fn expect_scim_error(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["status"], status.to_string(), "{}", self.body);
        assert_eq!(
            self.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{}",
            self.body
        );
        self
    }

    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An HTTP client bound to one server and token.
#[derive(Clone, Debug)]
pub(crate) struct Scim {
    client: Client<HttpConnector, Full<Bytes>>,
    /// The base URL (`http://127.0.0.1:PORT/scim/v2`).
    pub(crate) base: String,
    /// The bearer token sent.
    pub(crate) token: String,
}

impl Scim {
    /// Sends a request to `path` below the base URL.
    pub(crate) async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !self.token.is_empty() {
            builder = builder.header("authorization", format!("Bearer {}", self.token));
        }
        let body = match body {
            Some(b) => {
                builder = builder.header("content-type", "application/scim+json");
                Bytes::from(serde_json::to_vec(&b).unwrap())
            }
            None => Bytes::new(),
        };
        self.request(builder.body(Full::new(body)).unwrap()).await
    }

    /// Sends a prepared request.
    pub(crate) async fn request(&self, request: http::Request<Full<Bytes>>) -> Reply {
        let response = self
            .client
            .request(request)
            .await
            .expect("the server answers");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// `GET`.
    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }

    /// `POST`.
    pub(crate) async fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(body)).await
    }

    /// `PATCH`.
    pub(crate) async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(body)).await
    }

    /// `DELETE`.
    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None).await
    }

    /// Creates a host and returns its id.
    pub(crate) async fn create_host(&self, user_name: &str) -> String {
        let r = self
            .post(
                "/Users",
                serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user_name,
                    "name": {"givenName": "Test", "familyName": "Host"},
                    "emails": [{"type": "work", "value": user_name, "primary": true}],
                }),
            )
            .await
            .expect(201);
        r.body["id"].as_str().unwrap().to_owned()
    }
}

/// A `PatchOp` body.
pub(crate) fn patch_op(operations: Value) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    })
}

/// Removes a test's SQLite directory.
pub(crate) fn cleanup(storage: &Storage) {
    if let Storage::Sqlite(dir) = storage {
        let _ = std::fs::remove_dir_all(dir);
    }
}

impl Storage {
    /// Runs a command and returns its whole output, whether it succeeded
    /// or not, from the directory `cwd`.
    pub(crate) fn output_in(&self, cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
        Command::new(BIN)
            .current_dir(cwd)
            .args(self.args())
            .args(args)
            .env_remove("SCIM_DATABASE_URL")
            .env_remove("SCIM_PUBLIC_URL")
            .output()
            .expect("the binary runs")
    }

    /// The same PostgreSQL storage reached through `proxy` instead of
    /// directly.
    pub(crate) fn through(&self, proxy: &Proxy) -> Self {
        let Self::Postgres(url) = self else {
            panic!("only PostgreSQL goes through a proxy")
        };
        Self::Postgres(url.replacen(&proxy.target, &proxy.addr, 1))
    }
}

/// A TCP proxy to the PostgreSQL server, which a test can cut off to
/// simulate a database outage.
#[derive(Debug)]
pub(crate) struct Proxy {
    /// `127.0.0.1:PORT` it listens on.
    pub(crate) addr: String,
    /// The `host:port` it forwards to.
    target: String,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Forwards to the `host:port` of `storage`'s URL.
    pub(crate) async fn start(storage: &Storage) -> Self {
        let Storage::Postgres(url) = storage else {
            panic!("only PostgreSQL goes through a proxy")
        };
        let after_at = url.rsplit('@').next().unwrap();
        let target = after_at.split('/').next().unwrap().to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let to = target.clone();
        let task = tokio::spawn(async move {
            // Dropping the set (when the task is aborted) aborts every
            // connection's copy task, so cutting off is immediate.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let to = to.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { addr, target, task }
    }

    /// Closes the listener and every forwarded connection.
    pub(crate) async fn cut(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

impl Storage {
    /// Runs `serve` expecting it to exit by itself (a refusal to start)
    /// and returns its output; kills it and panics if it is still running
    /// after a minute.
    pub(crate) fn serve_until_exit(&self) -> std::process::Output {
        let mut child = Command::new(BIN)
            .args(self.args())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("SCIM_BOOTSTRAP_TOKEN", TOKEN)
            .env("SCIM_LOG", "warn")
            .env_remove("SCIM_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server kept running instead of refusing to start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    }

    /// Runs SQL statements on the database: on the SQLite file directly,
    /// with `psql` in the PostgreSQL schema.
    pub(crate) fn sql(&self, sql: &str) {
        match self {
            Self::Sqlite(dir) => rusqlite::Connection::open(dir.join("scim.db"))
                .and_then(|c| c.execute_batch(sql))
                .unwrap_or_else(|e| panic!("{sql} failed: {e}")),
            Self::Postgres(url) => {
                let status = Command::new("psql")
                    .args([url.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
                    .status()
                    .expect("psql runs");
                assert!(status.success(), "{sql} failed");
            }
        }
    }
}
