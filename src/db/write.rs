//! The one write path: every state change runs inside [`Db::write`], which opens an
//! immediate transaction, lets the caller change rows, appends the caller's audit
//! entries to the hash chain in the same transaction, and commits. A change that records
//! no audit entry is rolled back, so nothing can write around the audit log.

use super::Db;
use crate::audit;
use crate::crm::search::{self, store::NewRows};
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
    /// nothing else appends while the transaction holds the write lock. Recorded beside the
    /// log once, before the commit.
    head: Option<(i64, String)>,
    /// The caller found nothing to change: the transaction is rolled back without error.
    unchanged: bool,
    /// New records' search index rows, kept to be inserted in index order before the
    /// commit (see [`Tx::collect_search_rows`]); `None` inserts them at once.
    search: Option<Vec<NewRows>>,
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

    /// How many audit entries this transaction has appended so far; none means that, by
    /// the write path's rule, it has changed nothing.
    pub fn audited(&self) -> usize {
        self.audited
    }

    /// Says that this transaction, having looked, changes nothing: it is rolled back instead
    /// of being refused for want of an audit entry (whatever it did write is undone with it).
    pub fn unchanged(&mut self) {
        self.unchanged = true;
    }

    /// From now on the search index rows of records created in this transaction are kept
    /// and inserted together, in index order, when it commits (or when [`Tx::write_search_rows`]
    /// is called): for transactions that create many records (imports), where inserting them
    /// one by one in creation order made the full-text index flush and merge small segments.
    /// Until then the new records are not found by a search inside this transaction.
    pub fn collect_search_rows(&mut self) {
        self.search.get_or_insert_with(Vec::new);
    }

    /// Inserts a new record's search index rows, now or before the commit.
    pub fn index_new(&mut self, rows: Option<NewRows>) -> Result<(), AppError> {
        match (&mut self.search, rows) {
            (_, None) => {}
            (Some(kept), Some(rows)) => kept.push(rows),
            (None, Some(rows)) => search::store::insert_new(&self.tx, vec![rows])?,
        }
        Ok(())
    }

    /// Inserts the search index rows kept so far; for a change that is about to read or
    /// rewrite the index inside this transaction.
    pub fn write_search_rows(&mut self) -> Result<(), AppError> {
        if let Some(kept) = &mut self.search
            && !kept.is_empty()
        {
            search::store::insert_new(&self.tx, std::mem::take(kept))?;
        }
        Ok(())
    }

    /// Appends an audit entry to the chain inside this transaction.
    pub fn audit(&mut self, event: audit::Event) -> Result<i64, AppError> {
        let head = match self.head.take() {
            Some(head) => Some(head),
            None => audit::store::head(&self.tx)?,
        };
        let (id, hash) = audit::store::insert_after(&self.tx, head, &self.actor, &event)?;
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
        let mut conn = self.lock_writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut tx = Tx {
            tx,
            actor,
            audited: 0,
            head: None,
            unchanged: false,
            search: None,
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
        tx.write_search_rows()?;
        search::store::reindex_new_owners(&tx.tx)?;
        if let Some((id, hash)) = &tx.head {
            audit::store::set_head(&tx.tx, *id, hash)?;
        }
        tx.tx.commit()?;
        self.memo.changed();
        self.wrote();
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
    fn a_write_queued_during_a_batch_commits_before_the_next_batch() {
        // Arrange: a batch holds the writer while another thread's write queues up for it.
        let (_dir, db) = db();
        let ids = std::thread::scope(|s| {
            let other = db
                .write_blocking(Actor::cli(), |tx| {
                    tx.audit(audit::Event::new("import.batch"))?;
                    let other = s.spawn(|| {
                        db.write_blocking(Actor::system("someone"), |tx| {
                            tx.audit(audit::Event::new("settings.update"))
                        })
                    });
                    while db.queued.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    Ok(other)
                })
                .unwrap();
            // Act: between batches the job lets it in, then writes its next batch.
            db.let_others_write();
            let next = db
                .write_blocking(Actor::cli(), |tx| {
                    tx.audit(audit::Event::new("import.batch"))
                })
                .unwrap();
            (other.join().unwrap().unwrap(), next)
        });
        // Assert: the other write's entry comes before the next batch's.
        assert_eq!(ids, (2, 3));
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

    #[test]
    fn records_whose_index_rows_are_collected_are_found_after_the_commit_once_each() {
        use crate::crm::records::{self, Values};
        use crate::crm::{companies::COMPANIES, contacts::CONTACTS};
        let (_dir, db) = db();
        let values = |v: serde_json::Value| -> Values { serde_json::from_value(v).unwrap() };
        // Arrange: contacts and a company created in one collecting transaction, in an order
        // where a company (even index row) comes between contacts, and one contact updated.
        db.write_blocking(Actor::cli(), |tx| {
            tx.collect_search_rows();
            for n in 0..3 {
                let name = format!("张伟{n}");
                let mobile = format!("1380013800{n}");
                records::create(
                    tx,
                    &CONTACTS,
                    &values(serde_json::json!({"name": name, "status": "lead",
                        "mobile": mobile, "mobile_digits": mobile, "custom": {}})),
                )?;
            }
            records::create(
                tx,
                &COMPANIES,
                &values(
                    serde_json::json!({"name": "华星科技", "name_norm": "华星科技",
                    "status": "lead", "custom": {}}),
                ),
            )?;
            let rec = records::store::get(tx.conn(), &CONTACTS, 2)?;
            let mut changed = rec.values.clone();
            changed.insert("name".into(), "王芳".into());
            records::update(tx, &CONTACTS, 2, rec.version, &changed)?;
            Ok(())
        })
        .unwrap();
        // Act
        let found = |q: &'static str| {
            db.read_blocking(move |c| {
                let reach = crate::crm::search::store::Reach::default();
                let hits = crate::crm::search::store::search(c, q, 20, &reach, None)?;
                let mut names: Vec<String> = (hits.into_iter())
                    .map(|(_, r)| r.values["name"].as_str().unwrap_or("").to_string())
                    .collect();
                names.sort();
                Ok(names)
            })
            .unwrap()
        };
        // Assert
        assert_eq!(found("伟"), vec!["张伟0", "张伟2"]);
        assert_eq!(found("王芳"), vec!["王芳"]);
        assert_eq!(found("星科"), vec!["华星科技"]);
        assert_eq!(found("0013800"), vec!["张伟0", "张伟2", "王芳"]);
        assert_eq!(count(&db, "SELECT count(*) FROM search_words"), 4);
    }
}
