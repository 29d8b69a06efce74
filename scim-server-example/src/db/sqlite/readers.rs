//! Connections for short indexed reads, run inline on the async thread.
//!
//! Handing a read to tokio's blocking pool (deadpool-sqlite's `interact`)
//! costs two thread hand-offs, each a futex wake-up and a context switch;
//! on Entra ID's hot path, `GET /Users?filter=userName eq "…"`, that was
//! about half of the server's time, several times the index lookup itself
//! (see "Hot path" in docs/benchmarks.md). Point reads through a unique
//! index or the primary key touch a handful of cached pages and finish in
//! microseconds, less than serialising their answer, so they run here,
//! on the calling thread, instead. (On a cold page cache such a read waits
//! for a few page reads from disk on the async thread, once.)
//!
//! A few dedicated connections, one per core (at most that many threads
//! can run inline at once), each behind its own mutex. A caller takes a
//! free one with `try_lock` and never waits: if all are taken, or SQLite
//! would have to wait for a lock (the readers' busy timeout is zero), the
//! caller falls back to the pool, whose connections may wait. The readers
//! are `query_only`: every write goes through the writer thread
//! (`writer.rs`), in its immediate transaction with `synchronous=FULL`. In WAL mode a reader sees every
//! transaction committed before it began, whichever connection wrote it.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, TryLockError};

use rusqlite::{Connection, ErrorCode};

use super::{Fail, STATEMENT_CACHE, sql};

/// The most reader connections opened, however many cores there are.
const MAX_READERS: usize = 8;

/// The dedicated reader connections.
pub(super) struct Readers {
    connections: Box<[Mutex<Connection>]>,
    /// Where the next caller starts looking, so that callers spread out.
    next: AtomicUsize,
}

impl Readers {
    /// Opens one reader per core (at least one, at most [`MAX_READERS`]) on
    /// the database file, which must already be migrated.
    pub(super) fn open(path: &Path) -> rusqlite::Result<Self> {
        let count = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, MAX_READERS);
        Self::open_count(path, count)
    }

    /// Opens `count` readers.
    pub(super) fn open_count(path: &Path, count: usize) -> rusqlite::Result<Self> {
        let connections = (0..count.max(1))
            .map(|_| {
                let conn = Connection::open(path)?;
                // Never wait for a lock on the async thread: busy means
                // "take the pool".
                conn.busy_timeout(std::time::Duration::ZERO)?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                conn.execute_batch(sql::CONNECTION_PRAGMAS)?;
                conn.execute_batch("PRAGMA query_only = ON")?;
                Ok(Mutex::new(conn))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Self {
            connections: connections.into_boxed_slice(),
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on a free reader, or answers `None` if every reader is in
    /// use (or was poisoned by a panic), so that the caller takes the pool.
    pub(super) fn try_run<R>(
        &self,
        f: &impl Fn(&mut Connection) -> Result<R, Fail>,
    ) -> Option<Result<R, Fail>> {
        let count = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..count {
            match self.connections[(start + i) % count].try_lock() {
                Ok(mut conn) => return Some(f(&mut conn)),
                Err(TryLockError::WouldBlock | TryLockError::Poisoned(_)) => {}
            }
        }
        None
    }

    /// How many readers there are.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.connections.len()
    }
}

/// Whether a failure on a reader means "SQLite would have had to wait":
/// worth repeating on the pool, not an answer.
pub(super) fn is_busy(fail: &Fail) -> bool {
    matches!(
        fail,
        Fail::Sql(e) if matches!(
            e.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        )
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::db::testing::TempDir;

    fn database(dir: &TempDir) -> std::path::PathBuf {
        let path = dir.file();
        let conn = Connection::open(&path).unwrap();
        let _mode: String = conn.query_row(sql::WAL, [], |r| r.get(0)).unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER NOT NULL)")
            .unwrap();
        path
    }

    fn count(conn: &mut Connection) -> Result<i64, Fail> {
        Ok(conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)
    }

    #[test]
    fn readers_see_writes_committed_on_other_connections() {
        let dir = TempDir::new("readers-see-writes");
        let path = database(&dir);
        let readers = Readers::open_count(&path, 2).unwrap();
        assert_eq!(readers.try_run(&count).unwrap().unwrap(), 0);
        let writer = Connection::open(&path).unwrap();
        writer.execute("INSERT INTO t (v) VALUES (1)", []).unwrap();
        // Both readers, whichever the rotation picks.
        assert_eq!(readers.try_run(&count).unwrap().unwrap(), 1);
        assert_eq!(readers.try_run(&count).unwrap().unwrap(), 1);
    }

    #[test]
    fn readers_refuse_writes() {
        let dir = TempDir::new("readers-refuse-writes");
        let path = database(&dir);
        let readers = Readers::open_count(&path, 1).unwrap();
        let write = |conn: &mut Connection| -> Result<usize, Fail> {
            Ok(conn.execute("INSERT INTO t (v) VALUES (1)", [])?)
        };
        assert!(matches!(readers.try_run(&write), Some(Err(Fail::Sql(_)))));
        assert_eq!(readers.try_run(&count).unwrap().unwrap(), 0);
    }

    #[test]
    fn callers_fall_back_when_every_reader_is_taken() {
        let dir = TempDir::new("readers-all-taken");
        let path = database(&dir);
        let readers = Readers::open_count(&path, 2).unwrap();
        assert_eq!(readers.len(), 2);
        let guards: Vec<_> = readers
            .connections
            .iter()
            .map(|c| c.lock().unwrap())
            .collect();
        assert!(readers.try_run(&count).is_none());
        drop(guards);
        assert!(readers.try_run(&count).is_some());
    }

    #[test]
    fn a_reader_inside_a_read_still_leaves_the_others() {
        let dir = TempDir::new("readers-nested");
        let path = database(&dir);
        let readers = Readers::open_count(&path, 2).unwrap();
        let nested = |_: &mut Connection| -> Result<Option<i64>, Fail> {
            readers.try_run(&count).transpose()
        };
        assert_eq!(readers.try_run(&nested).unwrap().unwrap(), Some(0));
    }

    #[test]
    fn only_lock_failures_are_busy() {
        let busy = Fail::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        ));
        assert!(is_busy(&busy));
        let constraint = Fail::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
            None,
        ));
        assert!(!is_busy(&constraint));
        assert!(!is_busy(&Fail::Other("pool".to_owned())));
    }

    #[test]
    fn there_is_at_least_one_reader() {
        let dir = TempDir::new("readers-at-least-one");
        let path = database(&dir);
        assert_eq!(Readers::open_count(&path, 0).unwrap().len(), 1);
        assert!((1..=MAX_READERS).contains(&Readers::open(&path).unwrap().len()));
    }
}
