//! The one write path: every state change runs inside [`Db::write`], which opens an
//! immediate transaction, lets the caller change rows, appends the caller's audit
//! entries to the hash chain in the same transaction, and commits. A change that records
//! no audit entry is rolled back, so nothing can write around the audit log.

use super::Db;
use crate::audit;
use crate::error::AppError;
use rusqlite::{Connection, TransactionBehavior};

/// Who is making a change, as the audit log records it.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The signed-in user; `None` for the system (CLI, scheduler, first-run setup).
    pub user_id: Option<i64>,
    /// How the actor is shown: the user's email, or `system`/`cli`.
    pub label: String,
    /// The client's IP address, for requests.
    pub ip: Option<String>,
    /// The request id shown on error pages and in logs.
    pub request_id: Option<String>,
}

impl Actor {
    /// The system itself acting (setup, scheduled jobs), optionally on behalf of a request.
    pub fn system(label: &str) -> Actor {
        Actor {
            user_id: None,
            label: label.to_string(),
            ..Default::default()
        }
    }

    /// An administrator at the command line of the server.
    pub fn cli() -> Actor {
        Actor::system("cli")
    }
}

/// A write transaction in progress; see the module docs.
pub struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
    actor: Actor,
    audited: usize,
    /// The audit chain's head after this transaction's last entry (read before the first):
    /// nothing else appends while the transaction holds the write lock.
    head: Option<(i64, String)>,
    /// The caller found nothing to change: the transaction is rolled back without error.
    unchanged: bool,
}

impl Tx<'_> {
    /// The connection to run statements on (inside the transaction).
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    /// Who is writing.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Says that this transaction, having looked, changes nothing: it is rolled back instead
    /// of being refused for want of an audit entry (whatever it did write is undone with it).
    pub fn unchanged(&mut self) {
        self.unchanged = true;
    }

    /// Appends an audit entry to the chain inside this transaction.
    pub fn audit(&mut self, event: audit::Event) -> Result<i64, AppError> {
        let head = match self.head.take() {
            Some(head) => Some(head),
            None => audit::store::head(&self.tx)?,
        };
        let (id, hash) = audit::store::append_after(&self.tx, head, &self.actor, &event)?;
        self.head = Some((id, hash));
        // Changes that webhooks listen for are queued for delivery in the same transaction.
        crate::crm::webhooks::outbox::enqueue(&self.tx, &self.actor, &event)?;
        self.audited += 1;
        Ok(id)
    }
}

impl Db {
    /// Runs one audited change on the writer connection (blocking; see [`Db::write`]).
    pub fn write_blocking<T>(
        &self,
        actor: Actor,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut conn = self.writer.lock().map_err(|_| AppError::poisoned())?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut tx = Tx {
            tx,
            actor,
            audited: 0,
            head: None,
            unchanged: false,
        };
        let value = f(&mut tx)?;
        if tx.audited == 0 && tx.unchanged {
            tx.tx.rollback()?;
            return Ok(value);
        }
        if tx.audited == 0 {
            return Err(AppError::Internal(anyhow::anyhow!(
                "a write recorded no audit entry and was rolled back"
            )));
        }
        tx.tx.commit()?;
        self.memo.changed();
        Ok(value)
    }

    /// Runs one audited change off the async threads.
    pub async fn write<T, F>(&self, actor: Actor, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_blocking(actor, f))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("kith.db"), 2).unwrap();
        (dir, db)
    }

    fn count(db: &Db, sql: &'static str) -> i64 {
        db.read_blocking(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    }

    #[test]
    fn a_write_and_its_audit_entry_commit_together() {
        let (_dir, db) = db();
        db.write_blocking(Actor::cli(), |tx| {
            tx.conn().execute(
                "INSERT INTO company_profile (id, name, updated_at) VALUES (1, 'Acme', 'now')",
                [],
            )?;
            tx.audit(audit::Event::new("settings.update"))?;
            Ok(())
        })
        .unwrap();
        assert_eq!(count(&db, "SELECT count(*) FROM company_profile"), 1);
        assert_eq!(count(&db, "SELECT count(*) FROM audit_log"), 1);
    }

    #[test]
    fn a_failed_change_leaves_neither_rows_nor_audit_entries() {
        let (_dir, db) = db();
        let result: Result<(), AppError> = db.write_blocking(Actor::cli(), |tx| {
            tx.audit(audit::Event::new("settings.update"))?;
            tx.conn().execute(
                "INSERT INTO company_profile (id, name, updated_at) VALUES (1, 'Acme', 'now')",
                [],
            )?;
            Err(AppError::NotFound)
        });
        assert!(result.is_err());
        assert_eq!(count(&db, "SELECT count(*) FROM company_profile"), 0);
        assert_eq!(count(&db, "SELECT count(*) FROM audit_log"), 0);
    }

    #[test]
    fn a_change_without_an_audit_entry_is_rolled_back() {
        let (_dir, db) = db();
        let result = db.write_blocking(Actor::cli(), |tx| {
            tx.conn().execute(
                "INSERT INTO company_profile (id, name, updated_at) VALUES (1, 'Acme', 'now')",
                [],
            )?;
            Ok(())
        });
        assert!(result.is_err());
        assert_eq!(count(&db, "SELECT count(*) FROM company_profile"), 0);
    }

    #[test]
    fn a_transaction_that_finds_nothing_to_change_is_rolled_back_without_error() {
        let (_dir, db) = db();
        let found = db
            .write_blocking(Actor::cli(), |tx| {
                tx.conn().execute(
                    "INSERT INTO company_profile (id, name, updated_at) VALUES (1, 'Acme', 'now')",
                    [],
                )?;
                tx.unchanged();
                Ok(7)
            })
            .unwrap();
        assert_eq!(found, 7);
        assert_eq!(count(&db, "SELECT count(*) FROM company_profile"), 0);
        assert_eq!(count(&db, "SELECT count(*) FROM audit_log"), 0);
    }
}
