//! The journal: a SQLite database (`wan.db` in the state folder) where every paid step
//! is on disk before the next one starts, so a crash, a `kill -9` or a closed laptop
//! loses nothing that was paid for. One writer thread per process owns the connection;
//! writes that must be on disk before the run goes on wait for their commit, the others
//! are batched into the same transactions.

pub mod lock;
pub mod queries;
mod record;
pub mod recorder;
pub mod sheet;
pub mod video;
pub mod when;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction};

pub use record::{Ended, ImageSaved, PromptsRecord, RunRecord, idempotency_key, new_run_id, now};

/// Forward migrations, in order: the schema of version N is `MIGRATIONS[..N]` applied.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
    include_str!("schema_v6.sql"),
    include_str!("schema_v7.sql"),
    include_str!("schema_v8.sql"),
    include_str!("schema_v9.sql"),
    include_str!("schema_v10.sql"),
];
/// How long a write waits for another `wan` holding the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Ops committed in one transaction at most.
const BATCH: usize = 512;

/// Why the journal cannot be used; the run goes on without it.
#[derive(Clone, Debug)]
pub struct JournalError(pub String);

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        Self(e.to_string())
    }
}

/// A journal that cannot be read where a command needs it (`wan resume`) is that command's failure.
impl From<JournalError> for crate::error::Error {
    fn from(e: JournalError) -> Self {
        Self::new(crate::error::Kind::Other, format!("cannot read the journal: {e}"))
    }
}

/// The marker a run leaves beside the journal when the journal fails under it: the run
/// went on, so requests may have been sent that the journal holds no record of.
pub fn incomplete_marker(state_dir: &Path, run: &str) -> PathBuf {
    // Run ids are the journal's own: twelve hex digits.
    state_dir.join("incomplete").join(run)
}

/// Records, once the run is over, that its record is incomplete, and how it ended:
/// with a fresh connection that waits as long as `patience` for another `wan` to let
/// the database go (the failure mid-run was most likely that). The marker is removed
/// once the journal says it.
pub fn mark_incomplete(state_dir: &Path, run: &str, state: &str, patience: Duration) -> Result<(), JournalError> {
    let conn = open(state_dir)?;
    conn.busy_timeout(patience)?;
    conn.execute(
        "UPDATE runs SET record = 'incomplete', state = ?2, finished = ?3 WHERE id = ?1",
        rusqlite::params![run, state, now()],
    )?;
    let _ = std::fs::remove_file(incomplete_marker(state_dir, run));
    Ok(())
}

/// Notes that a resume reported these requests of unknown outcome (sent, never answered)
/// and left them unsent: the run is no longer `wan resume`'s default for them alone.
pub fn requests_reported(conn: &Connection, requests: &[i64]) -> Result<(), JournalError> {
    let tx = immediate(conn)?;
    let mut update = tx.prepare(
        "UPDATE requests SET reported = ?2 WHERE id = ?1 AND state IN ('sent', 'unknown') AND reported IS NULL",
    )?;
    let at = now();
    for request in requests {
        update.execute(rusqlite::params![request, at])?;
    }
    drop(update);
    tx.commit()?;
    Ok(())
}

/// `wan.db` in the state folder.
pub fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join("wan.db")
}

/// Opens (creating if needed) the journal and brings its schema up to date.
pub fn open(state_dir: &Path) -> Result<Connection, JournalError> {
    std::fs::create_dir_all(state_dir)
        .map_err(|e| JournalError(format!("cannot create {}: {e}", state_dir.display())))?;
    let path = path_in(state_dir);
    let conn = Connection::open(&path).map_err(|e| JournalError(format!("cannot open {}: {e}", path.display())))?;
    patiently(|| configure(&conn).and_then(|()| migrate(&conn)))?;
    Ok(conn)
}

/// Runs `step` again while the database is busy, up to the busy timeout. Switching a new
/// file to WAL takes a lock that SQLite does not wait for (the busy handler is not asked),
/// so of several `wan` creating the journal at once, one was told "database is locked" at
/// once and went on without it (2 in 25 tries with four at once).
fn patiently(mut step: impl FnMut() -> Result<(), JournalError>) -> Result<(), JournalError> {
    let start = std::time::Instant::now();
    loop {
        match step() {
            // SQLITE_BUSY's own words, which the error keeps (it is text by then).
            Err(e) if e.0.contains("database is locked") && start.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            done => return done,
        }
    }
}

/// Opens an existing journal to read it; `None` when there is none yet.
pub fn open_to_read(state_dir: &Path) -> Result<Option<Connection>, JournalError> {
    let path = path_in(state_dir);
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| JournalError(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version as usize > MIGRATIONS.len() {
        return Err(newer_schema(version));
    }
    if version == 0 {
        return Ok(None);
    }
    if (version as usize) < MIGRATIONS.len() {
        // Written by an older `wan`: the queries read today's columns, so the file is
        // brought up to date first, as the first run of this `wan` would.
        drop(conn);
        drop(open(state_dir)?);
        return open_to_read(state_dir);
    }
    Ok(Some(conn))
}

fn configure(conn: &Connection) -> Result<(), JournalError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL: readers never block the writer, and several processes share the file.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk when it returns, as "paid work survives" needs.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn newer_schema(version: u32) -> JournalError {
    JournalError(format!(
        "the journal's schema is version {version}, newer than this wan knows ({}); update wan",
        MIGRATIONS.len()
    ))
}

/// Applies every migration the file has not had yet, each in its own transaction.
fn migrate(conn: &Connection) -> Result<(), JournalError> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version as usize > MIGRATIONS.len() {
        return Err(newer_schema(version));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        // IMMEDIATE takes the write lock first, so of two processes starting at once one
        // migrates and the other, waiting, then finds it done.
        let tx = immediate(conn)?;
        let now: u32 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if now as usize > i {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// A transaction that holds the write lock from its start: a deferred one that reads
/// first could find another process committed meanwhile, and fail without waiting.
fn immediate(conn: &Connection) -> rusqlite::Result<Transaction<'_>> {
    Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
}

type Work = Box<dyn FnOnce(&Transaction) -> rusqlite::Result<()> + Send>;

struct Op {
    work: Work,
    /// Told once the op's transaction is committed (or failed).
    done: Option<SyncSender<Result<(), JournalError>>>,
}

/// The journal of this process: a handle to its writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Journal {
    ops: Sender<Op>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Journal")
    }
}

impl Journal {
    /// Opens the journal in `state_dir` and starts its writer.
    pub fn start(state_dir: &Path) -> Result<Self, JournalError> {
        let conn = open(state_dir)?;
        let (ops, received) = mpsc::channel();
        std::thread::Builder::new()
            .name("wan-journal".into())
            .spawn(move || write_loop(conn, received))
            .map_err(|e| JournalError(format!("cannot start the journal: {e}")))?;
        Ok(Self { ops })
    }

    /// Runs `work` and returns once it is committed.
    fn now<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, JournalError> {
        let slot = Arc::new(Mutex::new(None));
        let filled = Arc::clone(&slot);
        let (done, committed) = mpsc::sync_channel(1);
        let work: Work = Box::new(move |tx| {
            let value = work(tx)?;
            *filled.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
            Ok(())
        });
        self.ops.send(Op { work, done: Some(done) }).map_err(|_| stopped())?;
        committed.recv().map_err(|_| stopped())??;
        let value = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        value.ok_or_else(stopped)
    }

    /// Queues `work`; it is committed with the next batch, before any later `now`.
    fn later(&self, work: impl FnOnce(&Transaction) -> rusqlite::Result<()> + Send + 'static) {
        let _ = self.ops.send(Op { work: Box::new(work), done: None });
    }

    /// Returns once everything queued so far is on disk.
    #[cfg(test)]
    pub fn flush(&self) -> Result<(), JournalError> {
        self.now(|_| Ok(()))
    }

    /// As `flush`, but gives up after `limit` (for an interrupt, which must not hang).
    pub fn flush_within(&self, limit: Duration) -> bool {
        let (done, committed) = mpsc::sync_channel(1);
        let sent = self.ops.send(Op { work: Box::new(|_| Ok(())), done: Some(done) });
        sent.is_ok() && matches!(committed.recv_timeout(limit), Ok(Ok(())))
    }
}

fn stopped() -> JournalError {
    JournalError("the journal's writer stopped".into())
}

/// Takes ops as they come and commits them in batches: whatever is queued when a
/// transaction starts goes into it, so many writers cost one commit.
fn write_loop(conn: Connection, ops: Receiver<Op>) {
    while let Ok(first) = ops.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match ops.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut waiting = Vec::with_capacity(batch.len());
        let result = (|| -> rusqlite::Result<()> {
            let tx = immediate(&conn)?;
            for op in batch {
                waiting.extend(op.done);
                (op.work)(&tx)?;
            }
            tx.commit()
        })();
        let result = result.map_err(JournalError::from);
        for done in waiting {
            let _ = done.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_journal_gets_the_whole_schema_once() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(dir.path()).unwrap();
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        // opening again migrates nothing and fails nothing
        open(dir.path()).unwrap();
    }

    #[test]
    fn an_older_journal_read_before_any_run_is_brought_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(path_in(dir.path())).unwrap();
        for sql in &MIGRATIONS[..MIGRATIONS.len() - 1] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", MIGRATIONS.len() as u32 - 1).unwrap();
        drop(conn);
        let conn = open_to_read(dir.path()).unwrap().unwrap();
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        // what the newest migration added is there to read (history reads every column)
        assert!(queries::runs(&conn, 1).unwrap().is_empty());
    }

    #[test]
    fn a_newer_schema_is_refused_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(dir.path()).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = open(dir.path()).unwrap_err();
        assert!(err.0.contains("version 99, newer than this wan knows"), "{err}");
        assert!(open_to_read(dir.path()).is_err());
    }

    #[test]
    fn writes_wait_for_their_commit_and_later_ones_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        journal.later(|tx| tx.execute_batch("CREATE TABLE t (x INTEGER)"));
        journal.later(|tx| tx.execute("INSERT INTO t VALUES (1)", []).map(|_| ()));
        let count: i64 = journal.now(|tx| tx.query_row("SELECT count(*) FROM t", [], |r| r.get(0))).unwrap();
        assert_eq!(count, 1);
        let failed = journal.now(|tx| tx.execute("INSERT INTO nowhere VALUES (1)", []));
        assert!(failed.is_err());
        assert!(journal.flush_within(Duration::from_secs(5)));
    }
}
