//! The single writer: every write of a tenant's resources, committed in
//! groups.
//!
//! SQLite lets one writer in at a time. With every write on its own pooled
//! connection in its own `BEGIN IMMEDIATE` transaction, concurrent writes
//! queue on SQLite's lock: the losers sleep in the busy handler (1, 2, 5,
//! 10, … ms, whether or not the lock came free meanwhile), and each commit
//! pays its own WAL append and sync, FTS5 segment flush and page writes.
//! Under Entra ID's initial sync (16 creates in flight on two cores) that
//! sleeping and the per-commit work were most of a create's time (see
//! "Creates and group commit" in docs/benchmarks.md).
//!
//! So one dedicated thread, with its own connection, runs every write. It
//! takes whatever writes are queued (at most [`MAX_BATCH`]), runs them in
//! **one** immediate transaction, each inside its own `SAVEPOINT`, commits
//! once, and only then answers every caller:
//!
//! * a write whose closure fails (a conflict, a version mismatch, a
//!   constraint, a panic) is rolled back to its savepoint and answered
//!   with its own error; the others in the batch are not affected, and
//!   see none of its changes;
//! * nothing is answered before the commit returns: with
//!   `synchronous=FULL` every acknowledged write is on disk, exactly as
//!   before, and a failed commit (or a transaction SQLite rolled back
//!   itself, after `SQLITE_FULL` or an I/O error) is answered as an error
//!   to every write it held;
//! * each write's checks (its tenant exists, versions, uniqueness) run
//!   inside the batch's transaction, after the writes queued before it,
//!   so they see those as a later transaction would have: the outcome is
//!   the one of running the writes one after another in queue order.
//!
//! The savepoints keep their undo pages in memory (`temp_store=MEMORY`),
//! and checkpoints run mostly on a thread of their own
//! (`wal_autocheckpoint=0` on the writer), so that neither a temporary
//! file nor copying the log into the database file holds the queue up;
//! the writer finishes one between two batches every
//! [`WRITER_CHECKPOINT_EVERY`], so that the log starts over instead of
//! growing without end.
//!
//! The tenant commands of this process (create, rotate, revoke, record
//! token use, delete) are writes of this queue too: while the writer is
//! busy it takes the lock again as soon as it commits, so a connection
//! waiting in SQLite's busy handler could wait past its timeout, and the
//! queue is first come, first served. `tenant delete` runs entirely before
//! or after a batch's other writes. Another process (the CLI while the
//! server runs) still takes the lock in its own immediate transaction and
//! waits in the busy handler, up to 10 s, for a gap between batches.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{Fail, sql};

/// The least time between checkpoints: long enough that a checkpoint
/// copies many commits' pages at once (a page written by several commits
/// is copied once, and the database file is synced once), short enough
/// that the log stays small.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(200);

/// How often the writer itself checkpoints, between two batches.
const WRITER_CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The most writes one transaction holds. Enough to absorb every request
/// in flight at once; small enough that a batch's answers wait for
/// little.
pub(super) const MAX_BATCH: usize = 256;

/// The queue to the writer thread. Dropping it (with the store) stops the
/// thread once the queue is empty.
#[derive(Debug)]
pub(super) struct Writer {
    queue: mpsc::Sender<Job>,
}

/// A write on its way to the writer thread.
type Job = Box<dyn Pending + Send>;

/// What every transaction of the writer does last before `COMMIT`.
pub(super) type BeforeCommit = fn(&Connection) -> rusqlite::Result<()>;

impl Writer {
    /// Starts the writer thread on `conn` (configured like the pool's,
    /// plus [`sql::WRITER_PRAGMAS`]) and the checkpointer thread on
    /// `checkpoints`.
    ///
    /// `before_commit` runs last in every transaction, outside any
    /// savepoint; its failure fails every write of the transaction.
    pub(super) fn start(
        conn: Connection,
        checkpoints: Connection,
        before_commit: BeforeCommit,
    ) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let (committed, kicks) = mpsc::sync_channel::<()>(1);
        thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint(&checkpoints, &kicks))?;
        thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || serve(&conn, &jobs, &committed, before_commit))?;
        Ok(Self { queue })
    }

    /// Runs `f` in the writer's next transaction and answers once that
    /// transaction is committed (or with `f`'s own error).
    pub(super) async fn write<R, F>(&self, f: F) -> Result<R, Fail>
    where
        F: Fn(&Connection) -> Result<R, Fail> + Send + 'static,
        R: Send + 'static,
    {
        let (job, answer) = job(f);
        self.queue
            .send(job)
            .map_err(|_| Fail::Other("the SQLite writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| Fail::Other("the SQLite writer has stopped".to_owned()))?
    }
}

/// The queued form of the write `f`, and where its answer comes.
fn job<R, F>(f: F) -> (Job, oneshot::Receiver<Result<R, Fail>>)
where
    F: Fn(&Connection) -> Result<R, Fail> + Send + 'static,
    R: Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let op = Op {
        f,
        result: None,
        reply,
    };
    (Box::new(op), answer)
}

/// A queued write, its result kept until the batch is committed.
trait Pending {
    /// Runs the write on the open transaction; whether it succeeded. A
    /// write may run more than once (after [`Pending::reset`]), each time
    /// on a transaction where its earlier run was rolled back.
    fn run(&mut self, conn: &Connection) -> bool;

    /// Forgets the result of a run that was rolled back.
    fn reset(&mut self);

    /// The write ran, but its transaction was lost (`why`): it will be
    /// answered with that error.
    fn lose(&mut self, why: &rusqlite::Error);

    /// Sends the result to the caller.
    fn answer(self: Box<Self>);
}

struct Op<R, F> {
    f: F,
    result: Option<Result<R, Fail>>,
    reply: oneshot::Sender<Result<R, Fail>>,
}

impl<R, F> Pending for Op<R, F>
where
    F: Fn(&Connection) -> Result<R, Fail>,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let f = &self.f;
        let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(Fail::Other("a SQLite write panicked".to_owned())));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn reset(&mut self) {
        self.result = None;
    }

    fn lose(&mut self, why: &rusqlite::Error) {
        if !matches!(self.result, Some(Err(_))) {
            self.result = Some(Err(copy(why)));
        }
    }

    fn answer(self: Box<Self>) {
        let result = self
            .result
            .unwrap_or_else(|| Err(Fail::Other("the SQLite write did not run".to_owned())));
        // A caller that went away (its client hung up) needs no answer.
        let _ = self.reply.send(result);
    }
}

/// The writer thread: batches until every [`Writer`] handle is dropped,
/// then stops, and with it the checkpointer.
fn serve(
    conn: &Connection,
    jobs: &mpsc::Receiver<Job>,
    committed: &mpsc::SyncSender<()>,
    before_commit: BeforeCommit,
) {
    let mut last_checkpoint = Instant::now();
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(conn, batch, before_commit);
        // Full: a checkpoint is already due.
        let _ = committed.try_send(());
        if last_checkpoint.elapsed() >= WRITER_CHECKPOINT_EVERY {
            // Between batches no frame is added, so this one can copy the
            // rest of the log (the checkpointer copied most of it), and
            // the next transaction starts the log over instead of growing
            // it: the checkpointer alone never catches up with a writer
            // that keeps appending. Busy (the checkpointer is at it): the
            // next batch tries again.
            if conn.query_row(sql::CHECKPOINT, [], |_| Ok(())).is_ok() {
                last_checkpoint = Instant::now();
            }
        }
    }
}

/// The checkpointer thread: after commits, at most one checkpoint per
/// [`CHECKPOINT_PAUSE`], copying what the log holds into the database
/// file. `PASSIVE` waits for nobody, so the writer never waits for it;
/// the log is restarted by the writer's next transaction once a
/// checkpoint copied all of it. Durability does not depend on it: every
/// commit synced the log.
fn checkpoint(conn: &Connection, kicks: &mpsc::Receiver<()>) {
    while kicks.recv().is_ok() {
        thread::sleep(CHECKPOINT_PAUSE);
        if let Err(e) = conn.query_row(sql::CHECKPOINT, [], |_| Ok(())) {
            tracing::warn!(error = %e, "SQLite checkpoint failed; the next one retries");
        }
    }
}

/// Runs `batch` and answers every write.
///
/// First in one transaction without savepoints: a savepoint costs every
/// write its undo pages, and makes FTS5 flush its pending rows into a new
/// segment (to be merged later) at each one, which was a third of the
/// writer's time in an initial sync. If every write succeeds, that
/// transaction is committed. If one fails, the transaction is rolled back
/// and the batch runs again with a savepoint per write
/// ([`run_with_savepoints`]), so that only the failed write is undone.
/// The outcome is the same either way: every write runs after those queued
/// before it, and nothing is answered before its commit.
fn run_batch(conn: &Connection, mut batch: Vec<Job>, before_commit: BeforeCommit) {
    match run_at_once(conn, &mut batch, before_commit) {
        Ok(()) => {
            for job in batch {
                job.answer();
            }
        }
        Err(Retry) => {
            for job in &mut batch {
                job.reset();
            }
            run_with_savepoints(conn, batch, before_commit);
        }
    }
}

/// A write of the batch failed: run it again with savepoints.
struct Retry;

/// Runs every write of `batch` in one transaction without savepoints and
/// commits; `Err(Retry)`, with nothing committed, as soon as one fails.
/// Each write's result is kept in it (a failed commit becomes every
/// write's error).
fn run_at_once(
    conn: &Connection,
    batch: &mut [Job],
    before_commit: BeforeCommit,
) -> Result<(), Retry> {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        for job in batch.iter_mut() {
            job.lose(&e);
        }
        return Ok(());
    }
    for job in batch.iter_mut() {
        if !job.run(conn) || conn.is_autocommit() {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            return Err(Retry);
        }
    }
    if let Err(e) = before_commit(conn).and_then(|()| conn.execute_batch("COMMIT")) {
        let _ = conn.execute_batch("ROLLBACK");
        for job in batch.iter_mut() {
            job.lose(&e);
        }
    }
    Ok(())
}

/// Runs `batch` in as few transactions as it takes (one, unless SQLite
/// rolls a transaction back itself), each write in its own savepoint,
/// then answers every write.
fn run_with_savepoints(conn: &Connection, batch: Vec<Job>, before_commit: BeforeCommit) {
    let mut answered: Vec<Job> = Vec::with_capacity(batch.len());
    // The writes of the open transaction.
    let mut open: Vec<Job> = Vec::new();
    let mut in_transaction = false;
    for mut job in batch {
        if !in_transaction {
            if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
                job.lose(&e);
                answered.push(job);
                continue;
            }
            in_transaction = true;
        }
        if let Err(e) = statement(conn, "SAVEPOINT write") {
            job.lose(&e);
            answered.push(job);
            continue;
        }
        let ok = job.run(conn);
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (a full disk, an
            // I/O error): the writes before this one went with it.
            let why = lost("SQLite rolled back the transaction");
            lose_all(&mut open, &why, &mut answered);
            job.lose(&why);
            answered.push(job);
            in_transaction = false;
            continue;
        }
        let end = if ok {
            statement(conn, "RELEASE write")
        } else {
            statement(conn, "ROLLBACK TO write").and_then(|()| statement(conn, "RELEASE write"))
        };
        open.push(job);
        if let Err(e) = end {
            let _ = conn.execute_batch("ROLLBACK");
            lose_all(&mut open, &e, &mut answered);
            in_transaction = false;
        }
    }
    if in_transaction {
        if let Err(e) = before_commit(conn).and_then(|()| conn.execute_batch("COMMIT")) {
            let _ = conn.execute_batch("ROLLBACK");
            lose_all(&mut open, &e, &mut answered);
        }
    }
    answered.append(&mut open);
    for job in answered {
        job.answer();
    }
}

fn lose_all(open: &mut Vec<Job>, why: &rusqlite::Error, answered: &mut Vec<Job>) {
    for mut job in open.drain(..) {
        job.lose(why);
        answered.push(job);
    }
}

fn statement(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// A lost transaction, as SQLite's "aborted" error.
fn lost(message: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
        Some(message.to_owned()),
    )
}

/// One failure's copy for each write it fails (`rusqlite::Error` is not
/// `Clone`); SQLite's codes are kept, so errors map as before.
fn copy(e: &rusqlite::Error) -> Fail {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            Fail::Sql(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        other => Fail::Other(format!("the SQLite transaction failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::path::Path;

    use scim_core::store::StoreError;

    use super::*;
    use crate::db::testing::TempDir;

    type Answer = oneshot::Receiver<Result<usize, Fail>>;

    fn database(path: &Path) -> Connection {
        let mut conn = Connection::open(path).unwrap();
        let _mode: String = conn.query_row(sql::WAL, [], |r| r.get(0)).unwrap();
        super::super::configure(&mut conn).unwrap();
        conn.execute_batch(sql::WRITER_PRAGMAS).unwrap();
        conn.execute_batch("CREATE TABLE IF NOT EXISTS t (v INTEGER NOT NULL UNIQUE)")
            .unwrap();
        conn
    }

    fn insert(v: i64) -> (Job, Answer) {
        job(move |conn: &Connection| Ok(conn.execute("INSERT INTO t (v) VALUES (?1)", [v])?))
    }

    fn values(conn: &Connection) -> Vec<i64> {
        conn.prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Runs `jobs` as one batch and collects the answers.
    fn batch(conn: &Connection, jobs: Vec<(Job, Answer)>) -> Vec<Result<usize, Fail>> {
        let (jobs, mut answers): (Vec<Job>, Vec<Answer>) = jobs.into_iter().unzip();
        run_batch(conn, jobs, |_| Ok(()));
        answers.iter_mut().map(|a| a.try_recv().unwrap()).collect()
    }

    #[test]
    fn a_failing_write_leaves_the_rest_of_its_batch() {
        let dir = TempDir::new("writer-failing-write");
        let conn = database(&dir.file());
        // Inserts 3, then refuses: its row must not stay.
        let half_done = job(|conn: &Connection| -> Result<usize, Fail> {
            conn.execute("INSERT INTO t (v) VALUES (3)", [])?;
            Err(StoreError::VersionMismatch.into())
        });
        let panics = job(|conn: &Connection| -> Result<usize, Fail> {
            conn.execute("INSERT INTO t (v) VALUES (4)", [])?;
            panic!("a bug in a write")
        });
        let answers = batch(
            &conn,
            vec![insert(1), insert(1), half_done, panics, insert(2)],
        );
        assert!(matches!(answers[0], Ok(1)));
        // The duplicate's constraint maps as it did outside a batch.
        let Err(duplicate) = &answers[1] else {
            panic!("{:?}", answers[1])
        };
        assert!(matches!(
            StoreError::from(copy_fail(duplicate)),
            StoreError::Conflict(_)
        ));
        assert!(matches!(
            &answers[2],
            Err(Fail::Store(StoreError::VersionMismatch))
        ));
        assert!(matches!(&answers[3], Err(Fail::Other(_))));
        assert!(matches!(answers[4], Ok(1)));
        assert_eq!(values(&conn), [1, 2]);
        assert!(conn.is_autocommit(), "the batch was committed");
    }

    #[test]
    fn writes_see_the_writes_queued_before_them() {
        let dir = TempDir::new("writer-ordering");
        let conn = database(&dir.file());
        let count = job(|conn: &Connection| -> Result<usize, Fail> {
            Ok(conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?)
        });
        let answers = batch(&conn, vec![insert(1), insert(2), count]);
        assert!(matches!(answers[2], Ok(2)));
    }

    #[test]
    fn a_transaction_sqlite_rolls_back_fails_only_the_writes_it_held() {
        let dir = TempDir::new("writer-lost-transaction");
        let conn = database(&dir.file());
        // Ends the transaction under the batch, as SQLite does after an
        // I/O error or a full disk.
        let abort = job(|conn: &Connection| -> Result<usize, Fail> {
            conn.execute_batch("ROLLBACK")?;
            Err(Fail::Other("aborted".to_owned()))
        });
        let answers = batch(&conn, vec![insert(1), abort, insert(2)]);
        assert!(
            matches!(&answers[0], Err(Fail::Sql(e)) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationAborted)),
            "{:?}",
            answers[0]
        );
        assert!(matches!(&answers[1], Err(Fail::Other(_))));
        assert!(
            matches!(answers[2], Ok(1)),
            "a new transaction took the rest"
        );
        assert_eq!(values(&conn), [2]);
    }

    /// A write that counts its runs.
    fn counted(v: i64, runs: &std::sync::Arc<std::sync::atomic::AtomicUsize>) -> (Job, Answer) {
        let runs = runs.clone();
        job(move |conn: &Connection| {
            runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(conn.execute("INSERT INTO t (v) VALUES (?1)", [v])?)
        })
    }

    #[test]
    fn a_batch_runs_once_unless_a_write_fails_and_then_with_savepoints() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let dir = TempDir::new("writer-at-once");
        let conn = database(&dir.file());
        let runs = Arc::new(AtomicUsize::new(0));
        let answers = batch(&conn, vec![counted(1, &runs), counted(2, &runs)]);
        assert!(answers.iter().all(|a| matches!(a, Ok(1))), "{answers:?}");
        assert_eq!(runs.load(Ordering::Relaxed), 2, "every write ran once");

        // The duplicate fails the batch's first run, which is rolled back
        // whole; the second run (with savepoints) keeps the others, each
        // once, as if they had run alone.
        runs.store(0, Ordering::Relaxed);
        let answers = batch(
            &conn,
            vec![counted(3, &runs), counted(1, &runs), counted(4, &runs)],
        );
        assert!(matches!(answers[0], Ok(1)), "{answers:?}");
        assert!(matches!(answers[1], Err(Fail::Sql(_))), "{answers:?}");
        assert!(matches!(answers[2], Ok(1)), "{answers:?}");
        assert_eq!(
            runs.load(Ordering::Relaxed),
            2 + 3,
            "the first run stopped at the failed write, the second ran all three"
        );
        assert_eq!(values(&conn), [1, 2, 3, 4]);
        assert!(conn.is_autocommit(), "the batch was committed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn acknowledged_writes_are_durable_after_reopening() {
        let dir = TempDir::new("writer-durable");
        let path = dir.file();
        let writer = Writer::start(database(&path), database(&path), |_| Ok(())).unwrap();
        let writer = std::sync::Arc::new(writer);
        let tasks: Vec<_> = (0..200_i64)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    // Every tenth is a duplicate of the one before it.
                    let v = if i % 10 == 9 { i - 1 } else { i };
                    writer
                        .write(move |conn| Ok(conn.execute("INSERT INTO t (v) VALUES (?1)", [v])?))
                        .await
                })
            })
            .collect();
        let mut acknowledged = Vec::new();
        let mut refused = 0;
        for (i, task) in (0..).zip(tasks) {
            match task.await.unwrap() {
                Ok(1) => acknowledged.push(if i % 10 == 9 { i - 1 } else { i }),
                Ok(n) => panic!("{n} rows"),
                Err(e) => {
                    assert!(matches!(StoreError::from(e), StoreError::Conflict(_)));
                    refused += 1;
                }
            }
        }
        assert_eq!(refused, 20, "one of each duplicate pair");
        drop(writer);
        acknowledged.sort_unstable();
        acknowledged.dedup();
        assert_eq!(acknowledged.len(), 180);
        // Another connection, as after a restart, sees every acknowledged
        // write.
        assert_eq!(values(&Connection::open(&path).unwrap()), acknowledged);
    }

    /// `Fail` is not `Clone`; enough of one for the mapping check.
    fn copy_fail(f: &Fail) -> Fail {
        match f {
            Fail::Sql(e) => copy(e),
            other => Fail::Other(format!("{other:?}")),
        }
    }
}
