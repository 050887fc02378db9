//! Undoing an import: records it created go to the trash, records it updated get their
//! earlier values back, products it added are removed (or deactivated when a quote uses
//! them). Like the run, the undo goes in batches, each one audited transaction of a bounded
//! number of records and time, so that other people's saves wait a fraction of a second at
//! most instead of the whole undo. Each record is marked with what the undo did to it in the
//! same transaction as the change: an undo cut off half-way leaves the import `undoing`, and
//! starting it again finishes the rest without touching a record twice.

use super::apply::{BATCH_ROWS, BATCH_TIME};
use super::store;
use crate::audit::Event;
use crate::crm::records::{self, Values};
use crate::db::{Actor, Db, Tx};
use crate::error::AppError;
use rusqlite::OptionalExtension;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// What undoing did to one record, noted beside what the import did to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A record the import created went to the trash (a product: removed or deactivated).
    Removed,
    /// A record the import updated got its earlier values back.
    Restored,
    /// Nothing to undo: the record is in the trash already, or gone.
    Skipped,
}

impl Outcome {
    /// As stored in `import_records.undone`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Removed => "removed",
            Outcome::Restored => "restored",
            Outcome::Skipped => "skipped",
        }
    }
}

/// How much one undo transaction does at most; the import's own bounds unless a caller
/// (a test, a benchmark) wants smaller batches.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    /// Records per transaction.
    pub rows: usize,
    /// A transaction commits once it has worked this long.
    pub time: Duration,
}

impl Default for Batch {
    fn default() -> Self {
        Batch {
            rows: BATCH_ROWS,
            time: BATCH_TIME,
        }
    }
}

/// A record the undo dealt with: (kind, record id, what it did).
type Mark = (i64, i64, Outcome);

/// Where this run of the undo has got to: the kinds still to go through (the first being
/// worked on) and the last record id of that kind dealt with.
struct Cursor {
    kinds: Vec<i64>,
    after: i64,
}

/// Undoes what the import did to one record.
fn one(
    tx: &mut Tx<'_>,
    kind: i64,
    id: i64,
    action: &str,
    before: Option<&str>,
) -> Result<Outcome, AppError> {
    if kind == super::products::CODE {
        return super::products::undo(tx, id, action, before);
    }
    let Some(e) = records::entity_by_code(kind) else {
        return Ok(Outcome::Skipped);
    };
    // A record purged from the trash since is gone for good: nothing to undo.
    let Some(rec) = records::store::get(tx.conn(), e, id).optional()? else {
        return Ok(Outcome::Skipped);
    };
    if rec.deleted_at.is_some() {
        return Ok(Outcome::Skipped);
    }
    if action == "created" {
        records::soft_delete(tx, e, id)?;
        return Ok(Outcome::Removed);
    }
    let Some(before) = before else {
        return Ok(Outcome::Skipped);
    };
    // The earlier values come back as they were, over any edit made since (as a restore
    // from the history does).
    let values: Values = serde_json::from_str(before).map_err(anyhow::Error::from)?;
    records::update(tx, e, id, rec.version, &values)?;
    Ok(Outcome::Restored)
}

/// Undoes the records the undo has not dealt with yet, from the cursor on, until the batch
/// is full or has worked its time (at least one record); each is marked with what was done.
fn step(
    tx: &mut Tx<'_>,
    import: i64,
    batch: &Batch,
    cursor: &mut Cursor,
) -> Result<Vec<Mark>, AppError> {
    let started = Instant::now();
    let rows = batch.rows.max(1);
    let mut handled: Vec<Mark> = Vec::new();
    while let Some(&kind) = cursor.kinds.first() {
        let room = rows - handled.len();
        if room == 0 || (!handled.is_empty() && started.elapsed() >= batch.time) {
            break;
        }
        let chunk = store::pending(tx.conn(), import, kind, cursor.after, room)?;
        if chunk.is_empty() {
            cursor.kinds.remove(0);
            cursor.after = i64::MIN;
            continue;
        }
        for (kind, id, action, before) in chunk {
            let outcome = one(tx, kind, id, &action, before.as_deref())?;
            store::set_record_undone(tx.conn(), import, kind, id, outcome.as_str())?;
            cursor.after = id;
            handled.push((kind, id, outcome));
            if started.elapsed() >= batch.time {
                break;
            }
        }
    }
    Ok(handled)
}

/// Notes marks that could not commit with their own batch (it changed nothing, so it was
/// rolled back).
fn carry(tx: &Tx<'_>, import: i64, marks: &[Mark]) -> Result<(), AppError> {
    for (kind, id, outcome) in marks {
        store::set_record_undone(tx.conn(), import, *kind, *id, outcome.as_str())?;
    }
    Ok(())
}

/// Undoes an import to the end in batches of the import's size (see [`undo_with`]).
/// Returns (records put back, records removed) over the whole undo, also when it finished
/// one that was cut off before.
pub fn undo(db: &Db, actor: &Actor, import: i64) -> Result<(usize, usize), AppError> {
    let go_on = &mut |_, _| ControlFlow::Continue(());
    undo_with(db, actor, import, Batch::default(), go_on)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the undo of import {import} stopped")))
}

/// Undoes an import of state done, failed or undoing (an undo cut off): marks it
/// `undoing`, then undoes its records in batches of `batch`, each one write transaction;
/// after each, outside the transaction, `between` is told the records dealt with so far and
/// the import's records in all, and may stop the undo there (it stays `undoing`, to be
/// finished by a later call). The last transaction marks the import undone and audits the
/// undo as a whole. Returns (records put back, records removed), or `None` when stopped.
pub fn undo_with(
    db: &Db,
    actor: &Actor,
    import: i64,
    batch: Batch,
    between: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<Option<(usize, usize)>, AppError> {
    if db.bookkeeping_blocking(|c| store::begin_undo(c, import))? == 0 {
        return Err(AppError::invalid("import", "import.error.not_undoable"));
    }
    let (kinds, (done, total)) =
        db.read_blocking(|c| Ok((store::kinds(c, import)?, store::undo_progress(c, import)?)))?;
    let (mut done, total) = (done as usize, total as usize);
    let mut cursor = Cursor {
        kinds,
        after: i64::MIN,
    };
    let mut carried: Vec<Mark> = Vec::new();
    while !cursor.kinds.is_empty() {
        let marks = std::mem::take(&mut carried);
        let (handled, committed) = db.write_blocking(actor.clone(), |tx| {
            carry(tx, import, &marks)?;
            let handled = step(tx, import, &batch, &mut cursor)?;
            // Only records in the trash already, or values that were back already: nothing
            // to commit, and the marks go with the next transaction.
            let committed = tx.audited() > 0;
            if !committed {
                tx.unchanged();
            }
            Ok((handled, committed))
        })?;
        db.let_others_write();
        done += handled.len();
        if !committed {
            carried = marks;
            carried.extend(handled);
        }
        if between(done, total).is_break() {
            return Ok(None);
        }
    }
    let (restored, removed) = db.write_blocking(actor.clone(), |tx| {
        carry(tx, import, &carried)?;
        let (restored, removed) = store::undo_counts(tx.conn(), import)?;
        // Another undo of the same import finished first.
        if store::set_undone(tx.conn(), import, &crate::db::now())? == 0 {
            return Err(AppError::invalid("import", "import.error.not_undoable"));
        }
        tx.audit(
            Event::new("import.undo")
                .entity("import", import)
                .change("removed", 0, removed)
                .change("restored", 0, restored),
        )?;
        Ok((restored as usize, removed as usize))
    })?;
    Ok(Some((restored, removed)))
}
