//! A request is authenticated from its head: a caller without a valid
//! token is answered before it has sent its body, which the server never
//! reads, so unauthenticated connections cannot make it hold bodies.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::{Server, Storage, TOKEN, cleanup};

/// Sends the head of a `POST /Users` announcing `length` body bytes and the
/// first 4 KiB of the body, never the rest, and returns everything the
/// server answers until it closes the connection.
fn post_head_and_4_kib(server: &Server, token: &str, length: usize) -> String {
    let addr = server.origin.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[b' '; 4096]).unwrap();
    stream.flush().unwrap();
    // Only a server that answers without waiting for the body, and then
    // closes the connection, lets this read end before the timeout.
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("the server answers and closes without the rest of the body");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn a_bad_token_gets_401_before_the_body_is_sent() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &[]);
    // Under the 1 MiB limit, so only authentication can refuse it early.
    let response = post_head_and_4_kib(&server, "not-the-token", 1000 * 1000);
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    let lower = response.to_ascii_lowercase();
    assert!(lower.contains("\r\nconnection: close\r\n"), "{response}");
    assert!(lower.contains("\r\nwww-authenticate: bearer"), "{response}");
    assert!(
        response.contains("urn:ietf:params:scim:api:messages:2.0:Error"),
        "{response}"
    );
    drop(server);
    cleanup(&storage);
}

#[tokio::test]
async fn a_content_length_over_the_limit_gets_413_before_the_body_is_sent() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &["--max-body-bytes", "65536"]);
    let response = post_head_and_4_kib(&server, TOKEN, 100 * 1024 * 1024);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("65536"), "the limit is named: {response}");
    // A bad token is refused first, without learning the limit.
    let response = post_head_and_4_kib(&server, "not-the-token", 100 * 1024 * 1024);
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    drop(server);
    cleanup(&storage);
}

/// The resident set of a process, in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn unauthenticated_bodies_do_not_grow_the_server() {
    let storage = Storage::sqlite();
    let server = Server::start(&storage, &[]);
    let before = rss_kib(server.pid());
    // 400 callers at once announcing almost 1 MiB each (400 MB in all,
    // once held in memory by a server that read bodies first), in rounds
    // of 100 concurrent connections.
    for _ in 0..4 {
        std::thread::scope(|scope| {
            let calls: Vec<_> = (0..100)
                .map(|_| scope.spawn(|| post_head_and_4_kib(&server, "not-the-token", 1000 * 1000)))
                .collect();
            for call in calls {
                let response = call.join().unwrap();
                assert!(
                    response.starts_with("HTTP/1.1 401") || response.starts_with("HTTP/1.1 429"),
                    "{response}"
                );
            }
        });
    }
    let after = rss_kib(server.pid());
    eprintln!("400 unauthenticated 1 MB bodies: server RSS {before} KiB before, {after} KiB after");
    // Generous: a tenth of what reading the bodies would take.
    assert!(
        after < before + 40 * 1024,
        "the server grew from {before} KiB to {after} KiB"
    );
    drop(server);
    cleanup(&storage);
}
