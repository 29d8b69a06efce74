//! Data lifecycle and operations: a write slower than `--request-timeout`
//! is answered with its real result, certificates reload on `SIGHUP`, and
//! `tenant delete` leaves nothing behind while its token still works from
//! a cache.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Server, Storage, TOKEN, cleanup, patch_op};

/// A PATCH that waits longer than the timeout for SQLite's write lock (a
/// test connection holds it) is committed and answered with its result:
/// never `408` for a change that was made, which Entra ID would retry.
#[tokio::test]
async fn a_write_slower_than_the_request_timeout_gets_its_real_result() {
    let storage = Storage::sqlite();
    let Storage::Sqlite(dir) = &storage else {
        unreachable!()
    };
    let server = Server::start(&storage, &["--request-timeout", "1"]);
    let scim = server.client(TOKEN);
    let id = scim.create_host("slow@example.com").await;

    // Hold the write lock for 2.5 s, past the 1 s timeout.
    let (locked, is_locked) = std::sync::mpsc::channel();
    let db = dir.join("scim.db");
    let holder = std::thread::spawn(move || {
        let mut conn = rusqlite::Connection::open(db).unwrap();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(2500));
        tx.rollback().unwrap();
    });
    is_locked.recv().unwrap();

    let started = Instant::now();
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "replace", "path": "name.givenName", "value": "Slow"}])),
        )
        .await;
    let took = started.elapsed();
    holder.join().unwrap();
    assert!(took >= Duration::from_secs(2), "the write waited: {took:?}");
    assert!(
        reply.status == 200 || reply.status == 204,
        "the committed change is answered as such, not {}: {:?}",
        reply.status,
        reply.body
    );
    let host = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(host.body["name"]["givenName"], "Slow");
    drop(server);
    cleanup(&storage);
}
