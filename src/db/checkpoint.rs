//! Checkpoints (copying the WAL back into the database file) off the write path.
//!
//! Left to itself, SQLite checkpoints inside the commit that takes the WAL past 1,000 pages:
//! one save in many paid for copying everybody's pages and syncing the file, and during a
//! 100,000-row import those checkpoints were 6% of its time. Here a thread of the database's
//! own checkpoints after writes, at most once per [`PAUSE`], on its own connection, so no
//! write waits for it. A passive checkpoint never waits for readers or the writer; what it
//! could not copy is copied the next time.

use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The shortest time between two checkpoints.
const PAUSE: Duration = Duration::from_millis(500);
/// WAL frames (pages) past which a job writing in batches lets the WAL start over (256 MiB).
const LONG: i64 = 65_536;

/// The checkpointing thread; dropping this stops it (after the checkpoint under way).
pub(super) struct Checkpoints {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Frames in the WAL at the last checkpoint.
    frames: AtomicI64,
}

#[derive(Default)]
struct State {
    /// Something was committed since the last checkpoint began.
    wrote: bool,
    closing: bool,
}

impl Checkpoints {
    /// Starts the thread on a connection of its own to the database at `path`; `None` when
    /// that connection cannot be opened (SQLite then keeps checkpointing in commits).
    pub(super) fn start(path: &Path) -> Option<Checkpoints> {
        let conn = Connection::open(path)
            .and_then(|c| super::configure(&c).map(|()| c))
            .map_err(|e| tracing::warn!("Checkpoints stay in commits: {e}"))
            .ok()?;
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("kith-checkpoint".into())
            .spawn({
                let shared = shared.clone();
                move || run(&conn, &shared)
            })
            .map_err(|e| tracing::warn!("Checkpoints stay in commits: {e}"))
            .ok()?;
        Some(Checkpoints {
            shared,
            thread: Some(thread),
        })
    }

    /// Whether the WAL had grown past [`LONG`] at the last checkpoint.
    pub(super) fn long(&self) -> bool {
        self.shared.frames.load(Ordering::Relaxed) >= LONG
    }

    /// Lets a [`long`](Self::long) WAL start over, for a job that writes in batches, between
    /// two of them, on the writer connection `writer`.
    ///
    /// The WAL starts over at a transaction that begins with all of it copied into the
    /// database. A job that begins its next batch as soon as one commits never finds it so:
    /// the background checkpoint is still copying the last batch. Without this, a
    /// 100,000-row import grew the WAL to 490 MB, every page of it newly allocated on disk.
    /// Here the writer, between batches and holding the write lock, copies what is left.
    pub(super) fn restart(&self, writer: &Connection) {
        match passive(writer) {
            // The next transaction starts the WAL over if no reader kept a frame back.
            Ok(_) => self.shared.frames.store(0, Ordering::Relaxed),
            Err(e) => tracing::warn!("Checkpoint failed: {e}"),
        }
    }

    /// Notes a commit: a checkpoint follows within [`PAUSE`].
    pub(super) fn wrote(&self) {
        if let Ok(mut state) = self.shared.state.lock()
            && !state.wrote
        {
            state.wrote = true;
            self.shared.changed.notify_one();
        }
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        if let Ok(mut state) = self.shared.state.lock() {
            state.closing = true;
            self.shared.changed.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A passive checkpoint: copies what no reader still needs; returns the frames in the WAL.
fn passive(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        let Ok(state) = shared.state.lock() else {
            return;
        };
        let Ok(mut state) = shared.changed.wait_while(state, |s| !s.wrote && !s.closing) else {
            return;
        };
        if state.closing {
            return;
        }
        state.wrote = false;
        drop(state);
        match passive(conn) {
            Ok(frames) => shared.frames.store(frames, Ordering::Relaxed),
            Err(e) => tracing::warn!("Checkpoint failed: {e}"),
        }
        let Ok(state) = shared.state.lock() else {
            return;
        };
        // A rest between two checkpoints, cut short by closing.
        match shared
            .changed
            .wait_timeout_while(state, PAUSE, |s| !s.closing)
        {
            Ok((state, _)) if !state.closing => {}
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    #[test]
    fn commits_reach_the_database_file_through_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kith.db");
        let db = crate::db::Db::open(&path, 1).unwrap();
        let before = size(&path);

        // About 1 MB, well below the 1,000 pages past which SQLite would copy it in a commit.
        db.bookkeeping_blocking(|c| {
            c.execute_batch(
                "CREATE TABLE scratch (b BLOB); INSERT INTO scratch VALUES (zeroblob(1000000));",
            )
        })
        .unwrap();

        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while size(&path) < before + 1_000_000 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(size(&path) >= before + 1_000_000, "checkpointed");
    }

    /// Frames in the WAL after a write of 400 KB, what `Db::let_others_write` does (the last
    /// checkpoint having seen `seen` frames) and a small write.
    fn frames_after(seen: i64) -> i64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kith.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer
            .execute_batch(
                "CREATE TABLE scratch (b BLOB); INSERT INTO scratch VALUES (zeroblob(400000));",
            )
            .unwrap();
        let checkpoints = Checkpoints::start(&path).unwrap();
        checkpoints.shared.frames.store(seen, Ordering::Relaxed);

        if checkpoints.long() {
            checkpoints.restart(&writer);
        }
        writer
            .execute("INSERT INTO scratch VALUES (x'00')", [])
            .unwrap();

        passive(&Connection::open(&path).unwrap()).unwrap()
    }

    #[test]
    fn a_long_wal_starts_over_once_the_writer_has_copied_it() {
        assert!(frames_after(LONG - 1) > 100, "a short WAL goes on");
        assert!(frames_after(LONG) < 10, "a long one starts over");
    }
}
