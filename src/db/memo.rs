//! Small, read-mostly data that nearly every page shows (the active users for the owner
//! pickers, the industry tree, custom field definitions, stages, tags) is kept in memory
//! between changes instead of being read and sorted again for every request.
//!
//! Any committed change (see [`Db::write`]) makes every entry stale, so a page never shows
//! what an earlier change replaced. Entries also expire after a moment, which bounds what a
//! change made by another process (a `kith user add` beside the server) can leave behind.

use super::Db;
use crate::error::AppError;
use rusqlite::Connection;
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long an entry may serve without a change in this process.
const FRESH_FOR: Duration = Duration::from_secs(2);
/// Entries kept before stale ones are swept out (per-user entries come and go).
const SWEEP_AT: usize = 64;

/// Names one kind of remembered data; the second part tells apart per-entity variants
/// (`("fields", "contacts")`).
pub type MemoKey = (&'static str, &'static str);

type Shared = Arc<dyn Any + Send + Sync>;

struct Slot {
    generation: u64,
    loaded: Instant,
    value: Shared,
}

/// The remembered values and the count of committed changes they are checked against.
#[derive(Default)]
pub(super) struct Memo {
    generation: AtomicU64,
    /// Keyed by the kind of data and, for per-user data, the user (0 otherwise).
    slots: RwLock<HashMap<(MemoKey, i64), Slot>>,
}

impl Memo {
    /// Called after every committed change: everything remembered is stale.
    pub(super) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn lookup<T: Any + Send + Sync>(&self, key: (MemoKey, i64)) -> Option<Arc<T>> {
        let now = self.generation();
        let slots = self.slots.read().ok()?;
        let slot = slots.get(&key)?;
        if slot.generation != now || slot.loaded.elapsed() >= FRESH_FOR {
            return None;
        }
        slot.value.clone().downcast::<T>().ok()
    }

    /// Keeps `value`, loaded when the count of changes was `generation`: a change committed
    /// while it loaded makes it stale at once.
    fn store<T: Any + Send + Sync>(&self, key: (MemoKey, i64), generation: u64, value: Arc<T>) {
        if let Ok(mut slots) = self.slots.write() {
            if slots.len() >= SWEEP_AT {
                let now = self.generation();
                slots.retain(|_, s| s.generation == now && s.loaded.elapsed() < FRESH_FOR);
            }
            slots.insert(
                key,
                Slot {
                    generation,
                    loaded: Instant::now(),
                    value,
                },
            );
        }
    }
}

impl Db {
    /// The value remembered under `key`, loaded with `load` on a read connection when there
    /// is none or it is stale.
    pub async fn memo<T, F>(&self, key: MemoKey, load: F) -> Result<Arc<T>, AppError>
    where
        T: Any + Send + Sync,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.memo_for(key, 0, load)
    }

    /// [`Db::memo`] for data of one user (`user`), kept apart from other users'; a read
    /// connection is taken only when the value has to be loaded.
    pub fn memo_for<T, F>(&self, key: MemoKey, user: i64, load: F) -> Result<Arc<T>, AppError>
    where
        T: Any + Send + Sync,
        F: FnOnce(&Connection) -> rusqlite::Result<T>,
    {
        self.remembered((key, user), || self.read_blocking(|c| Ok(load(c)?)))
    }

    /// Makes everything remembered stale after a change made outside [`Db::write`] that
    /// remembered data depends on (a notification marked read).
    pub fn forget_memos(&self) {
        self.memo.changed();
    }

    /// [`Db::memo`] inside a read that already holds connection `conn`.
    pub fn memo_in<T, F>(
        &self,
        conn: &Connection,
        key: MemoKey,
        load: F,
    ) -> Result<Arc<T>, AppError>
    where
        T: Any + Send + Sync,
        F: FnOnce(&Connection) -> rusqlite::Result<T>,
    {
        self.memo_for_in(conn, key, 0, load)
    }

    /// [`Db::memo_in`] for data of one user (`user`), kept apart from other users'.
    pub fn memo_for_in<T, F>(
        &self,
        conn: &Connection,
        key: MemoKey,
        user: i64,
        load: F,
    ) -> Result<Arc<T>, AppError>
    where
        T: Any + Send + Sync,
        F: FnOnce(&Connection) -> rusqlite::Result<T>,
    {
        self.remembered((key, user), || Ok(load(conn)?))
    }

    /// The value remembered under `key`, or the one `load` gives, kept from now on.
    fn remembered<T: Any + Send + Sync>(
        &self,
        key: (MemoKey, i64),
        load: impl FnOnce() -> Result<T, AppError>,
    ) -> Result<Arc<T>, AppError> {
        if let Some(v) = self.memo.lookup(key) {
            return Ok(v);
        }
        let generation = self.memo.generation();
        let value = Arc::new(load()?);
        self.memo.store(key, generation, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Actor;

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("kith.db"), 2).unwrap();
        (dir, db)
    }

    fn count_profiles(c: &Connection) -> rusqlite::Result<i64> {
        c.query_row("SELECT count(*) FROM company_profile", [], |r| r.get(0))
    }

    #[test]
    fn a_committed_change_makes_remembered_values_stale() {
        let (_dir, db) = db();
        let read = |db: &Db| {
            db.read_blocking(|c| db.memo_in(c, ("profiles", ""), count_profiles))
                .map(|n| *n)
                .unwrap()
        };
        assert_eq!(read(&db), 0);
        db.write_blocking(Actor::cli(), |tx| {
            tx.conn().execute(
                "INSERT INTO company_profile (id, name, updated_at) VALUES (1, 'Acme', 'now')",
                [],
            )?;
            tx.audit(crate::audit::Event::new("settings.update"))?;
            Ok(())
        })
        .unwrap();
        assert_eq!(read(&db), 1, "the change is seen at once");
    }

    #[test]
    fn a_value_is_served_from_memory_until_it_expires() {
        let (_dir, db) = db();
        let first = db
            .read_blocking(|c| db.memo_in(c, ("profiles", ""), count_profiles))
            .unwrap();
        let again = db
            .read_blocking(|c| db.memo_in(c, ("profiles", ""), |_| Ok(99_i64)))
            .unwrap();
        assert!(Arc::ptr_eq(&first, &again), "no second load while fresh");
        let other = db
            .read_blocking(|c| db.memo_in(c, ("profiles", "x"), |_| Ok(7_i64)))
            .unwrap();
        assert_eq!(*other, 7, "keys are kept apart");
        let mine = db
            .read_blocking(|c| db.memo_for_in(c, ("profiles", ""), 5, |_| Ok(5_i64)))
            .unwrap();
        assert_eq!((*first, *mine), (0, 5), "users are kept apart");
    }

    #[test]
    fn stale_entries_are_swept_out_as_users_come_and_go() {
        let (_dir, db) = db();
        for user in 0..SWEEP_AT as i64 {
            db.read_blocking(|c| db.memo_for_in(c, ("reach", ""), user, |_| Ok(user)))
                .unwrap();
        }
        db.memo.changed();
        db.read_blocking(|c| db.memo_for_in(c, ("reach", ""), 999, |_| Ok(1_i64)))
            .unwrap();
        assert_eq!(db.memo.slots.read().unwrap().len(), 1);
    }
}
