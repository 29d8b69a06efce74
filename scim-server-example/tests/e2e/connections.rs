//! Connection-level abuse: idle and unauthenticated connections, the
//! caps on open connections, clients that never read, floods of bad
//! tokens, and the client address in the request log. Everything runs on
//! loopback (127.0.0.1 and 127.0.0.2 are both loopback on Linux, two peer
//! addresses for the per-peer cap), with caps lowered by flags.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{Server, Storage, TOKEN, cleanup};

/// A connection to `server` from the loopback address `from`.
async fn connect_from(server: &Server, from: &str) -> TcpStream {
    let to: SocketAddr = server.addr().parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Sends `request` and reads one response head and its `Content-Length`
/// body; `None` when the server closed the connection instead.
async fn exchange(stream: &mut TcpStream, request: &str) -> Option<String> {
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut got = Vec::new();
    let mut chunk = [0u8; 8192];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            got.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if got.len() >= end + 4 + length {
                    return Some(text.into_owned());
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("an answer or a close within 20 s")
}

/// Whether the server closes `stream` (EOF or reset) within 20 s, with
/// whatever it still had to say read and dropped.
async fn closed(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    ended.await.is_ok()
}

fn get(path: &str, token: Option<&str>) -> String {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}\r\n")
}

/// The resident set of a process, in KiB, from /proc.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test]
async fn a_valid_request_is_answered_while_2500_connections_idle_or_fail_auth() {
    // The client side holds 2,500 descriptors too.
    let _ = rlimit::increase_nofile_limit(8192);
    let storage = Storage::sqlite();
    let server = Server::start(
        &storage,
        &[
            "--max-connections",
            "8000",
            "--max-connections-per-peer",
            "4000",
        ],
    );
    let rss_before = rss_kib(server.pid());
    let mut idle = Vec::new();
    for _ in 0..2000 {
        idle.push(connect_from(&server, "127.0.0.1").await);
    }
    // Unauthenticated connections from another address (so that its
    // failure budget is not the valid client's): one request each, then
    // they stay open.
    let mut unauthenticated = Vec::new();
    let mut refused = 0;
    for _ in 0..500 {
        let mut c = connect_from(&server, "127.0.0.2").await;
        let answer = exchange(&mut c, &get("/scim/v2/Users", None))
            .await
            .unwrap();
        if answer.starts_with("HTTP/1.1 429") {
            refused += 1;
        } else {
            assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        }
        unauthenticated.push(c);
    }
    assert!(refused > 0, "the per-address failure limit answered 429");
    let rss_loaded = rss_kib(server.pid());

    let started = Instant::now();
    let mut valid = connect_from(&server, "127.0.0.1").await;
    let answer = exchange(&mut valid, &get("/scim/v2/Users", Some(TOKEN)))
        .await
        .expect("the valid request is answered");
    let latency = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    eprintln!(
        "2,000 idle + 500 unauthenticated connections: valid request in {latency:?}; \
         server RSS {rss_before:?} KiB before, {rss_loaded:?} KiB loaded"
    );
    // The idle ones are still open (their idle timeout is 30 s).
    let mut probe = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(200), idle[0].read(&mut probe))
            .await
            .is_err()
    );
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn connections_over_the_caps_are_closed_at_once() {
    let storage = Storage::sqlite();
    let server = Server::start(
        &storage,
        &["--max-connections", "6", "--max-connections-per-peer", "4"],
    );
    let mut first = Vec::new();
    for _ in 0..4 {
        let mut c = connect_from(&server, "127.0.0.1").await;
        let answer = exchange(&mut c, &get("/healthz", None)).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        first.push(c);
    }
    // A fifth from the same address is over its per-peer cap.
    let mut fifth = connect_from(&server, "127.0.0.1").await;
    assert!(closed(&mut fifth).await, "over the per-peer cap");
    // Another address still gets in, up to the global cap of 6.
    let mut second = Vec::new();
    for _ in 0..2 {
        let mut c = connect_from(&server, "127.0.0.2").await;
        let answer = exchange(&mut c, &get("/healthz", None)).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        second.push(c);
    }
    let mut seventh = connect_from(&server, "127.0.0.2").await;
    assert!(closed(&mut seventh).await, "over the global cap");
    server.wait_for_log(&["over the cap"]).await;

    // A closed connection frees its place.
    drop(first.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut c = connect_from(&server, "127.0.0.1").await;
        if let Some(answer) = exchange(&mut c, &get("/healthz", None)).await {
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            break;
        }
        assert!(Instant::now() < deadline, "the place was never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn a_client_that_never_reads_its_responses_is_disconnected() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--write-timeout", "1"]);
    let to: SocketAddr = server.addr().parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    // A small receive window, so that the server's writes stall soon.
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    // 400 pipelined requests for /Schemas: megabytes of responses, far
    // more than the socket buffers hold.
    let one = get("/scim/v2/Schemas", Some(TOKEN));
    let single = {
        let mut c = TcpStream::connect(to).await.unwrap();
        exchange(&mut c, &one).await.unwrap().len()
    };
    stream.write_all(one.repeat(400).as_bytes()).await.unwrap();
    // Not reading, for well past the write timeout.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut got = 0usize;
    let mut chunk = vec![0u8; 64 * 1024];
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the server closed the connection");
    assert!(
        got < single * 400,
        "the server gave up before writing everything: {got} of {} bytes",
        single * 400
    );
    // The server still serves others.
    let mut other = TcpStream::connect(to).await.unwrap();
    let answer = exchange(&mut other, &get("/healthz", None)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(server);
    cleanup(&storage);
}

/// The number of database token lookups the server has logged.
fn lookups(server: &Server) -> usize {
    server
        .logs()
        .matches("token looked up in the database")
        .count()
}

#[tokio::test]
async fn a_flood_of_one_bad_token_costs_one_database_query() {
    let storage = Storage::sqlite();
    let server = Server::start_with_env(
        &storage,
        &["--auth-failure-rate", "0"],
        &[("SCIM_LOG", "warn,scim_server_example::tenant=debug")],
    );
    let bad = server.client("sie_not-a-valid-token-0123456789abcdefghij");
    for _ in 0..50 {
        bad.get("/Users").await.expect_scim_error(401);
    }
    server
        .wait_for_log(&["token looked up in the database"])
        .await;
    assert_eq!(lookups(&server), 1, "{}", server.logs());
    // Each new bad token is looked up once.
    for i in 0..3 {
        let other = server.client(&format!("sie_another-bad-token-{i}-0123456789abcdef"));
        for _ in 0..10 {
            other.get("/Users").await.expect_scim_error(401);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while lookups(&server) < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(lookups(&server), 4, "{}", server.logs());
    assert!(
        !server.logs().contains("not-a-valid-token"),
        "no token in the logs"
    );
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn requests_without_a_valid_token_are_limited_per_address() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--auth-failure-rate", "2"]);
    let valid = server.client(TOKEN);
    valid.get("/Users").await.expect(200);
    let bad = server.client("sie_wrong-token-0123456789abcdefghijklmnop");
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..10 {
        let reply = bad.get("/Users").await;
        statuses.push(reply.status);
        if reply.status == 429 && limited.is_none() {
            limited = Some(reply);
        }
    }
    let limited = limited.unwrap_or_else(|| panic!("no 429 in {statuses:?}"));
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    let limited = limited.expect_scim_error(429);
    assert!(
        limited.body["detail"]
            .as_str()
            .unwrap()
            .contains("without a valid bearer token"),
        "{}",
        limited.body
    );
    // No token at all counts the same.
    server.client("").get("/Users").await.expect_scim_error(429);
    // A working tenant whose token is cached still gets through.
    valid.get("/Users").await.expect(200);
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn the_log_names_the_peer_and_trusts_x_forwarded_for_only_behind_a_proxy() {
    let forwarded = |with: &str| {
        format!(
            "GET /scim/v2/Users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\
             X-Forwarded-For: 198.51.100.1, {with}\r\n\r\n"
        )
    };
    for (flags, expected) in [
        (&[][..], "peer=127.0.0.1"),
        (&["--behind-tls-proxy"][..], "peer=203.0.113.9"),
    ] {
        let storage = Storage::sqlite();
        let server = Server::start_with_env(&storage, flags, &[("SCIM_LOG", "info")]);
        let mut c = TcpStream::connect(server.addr()).await.unwrap();
        let answer = exchange(&mut c, &forwarded("203.0.113.9")).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let line = server.wait_for_log(&["request", "/scim/v2/Users"]).await;
        assert!(line.contains(expected), "{flags:?}: {line}");
        assert!(
            !line.contains("198.51.100.1"),
            "never the client's own entry: {line}"
        );
        assert!(!server.logs().contains(TOKEN), "no token in the logs");
        drop(server);
        cleanup(&storage);
    }
}

/// hyper answers what it cannot parse itself, with a bare status (hyper
/// 1.x has no hook for a body of ours), and closes; the server logs the
/// refusal with the peer and keeps serving.
#[tokio::test]
async fn hyper_refuses_malformed_framing_with_a_bare_status_and_closes() {
    let storage = Storage::sqlite();
    let server = Server::start_with_env(
        &storage,
        &["--max-header-bytes", "8192"],
        &[("SCIM_LOG", "info")],
    );
    // A head over the limit.
    let mut c = TcpStream::connect(server.addr()).await.unwrap();
    let big = format!(
        "GET /scim/v2/Users HTTP/1.1\r\nHost: localhost\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let answer = exchange(&mut c, &big).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(closed(&mut c).await);
    // Two different Content-Length values.
    let mut c = TcpStream::connect(server.addr()).await.unwrap();
    let bad = "POST /scim/v2/Users HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\
               Content-Length: 7\r\n\r\nhello";
    let answer = exchange(&mut c, bad).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    eprintln!("hyper's own refusal: {answer:?}");
    assert!(closed(&mut c).await);
    let line = server
        .wait_for_log(&["malformed request refused by hyper"])
        .await;
    assert!(line.contains("peer=127.0.0.1:"), "{line}");
    // The server goes on serving.
    let mut c = TcpStream::connect(server.addr()).await.unwrap();
    let answer = exchange(&mut c, &get("/healthz", None)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn idle_connections_and_slow_heads_are_closed() {
    // Idle after one request: closed by the idle timeout (the head
    // timeout is long here, so it is not what closes it).
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--idle-timeout", "2", "--header-timeout", "60"]);
    let mut idle = TcpStream::connect(server.addr()).await.unwrap();
    let answer = exchange(&mut idle, &get("/healthz", None)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed(&mut idle).await, "an idle connection is closed");
    drop(server);
    cleanup(&storage);

    // Half a head, then nothing: closed by the head timeout (the idle
    // timeout is long here, so it is not what closes it).
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--idle-timeout", "60", "--header-timeout", "1"]);
    let mut slow = TcpStream::connect(server.addr()).await.unwrap();
    slow.write_all(b"GET /scim/v2/Users HTTP/1.1\r\nHost: loc")
        .await
        .unwrap();
    assert!(closed(&mut slow).await, "a slow head is cut off");
    // A connection that sent nothing yet is idle, not slow: still open.
    let mut quiet = TcpStream::connect(server.addr()).await.unwrap();
    let mut probe = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_secs(2), quiet.read(&mut probe))
            .await
            .is_err(),
        "a connection without a head byte is left to the idle timeout"
    );
    drop(server);
    cleanup(&storage);
}
