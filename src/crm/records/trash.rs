//! The trash (回收站): deleting only marks a record; it can be restored until an
//! administrator purges it. Each step is audited with the record's values.

use super::{Entity, store};
use crate::audit::Event;
use crate::db::Tx;
use crate::error::AppError;

/// Moves a live record to the trash.
pub fn soft_delete(tx: &mut Tx<'_>, entity: &Entity, id: i64) -> Result<(), AppError> {
    let rec = store::get(tx.conn(), entity, id)?;
    if rec.deleted_at.is_some() {
        return Ok(());
    }
    let now = crate::db::now();
    store::set_deleted(tx.conn(), entity, id, Some(&now), tx.actor().user_id)?;
    tx.write_search_rows()?;
    crate::crm::search::store::remove(tx.conn(), entity, id)?;
    tx.audit(
        Event::new(&format!("{}.delete", entity.kind))
            .entity(entity.kind, id)
            .change("deleted_at", None::<String>, now),
    )?;
    Ok(())
}

/// Brings a record back from the trash.
pub fn restore(tx: &mut Tx<'_>, entity: &Entity, id: i64) -> Result<(), AppError> {
    let rec = store::get(tx.conn(), entity, id)?;
    let Some(was) = rec.deleted_at else {
        return Ok(());
    };
    store::set_deleted(tx.conn(), entity, id, None, None)?;
    tx.write_search_rows()?;
    crate::crm::search::store::index(tx.conn(), entity, id)?;
    tx.audit(
        Event::new(&format!("{}.restore", entity.kind))
            .entity(entity.kind, id)
            .change("deleted_at", was, None::<String>),
    )?;
    Ok(())
}

/// Removes a trashed record for good; the audit entry keeps its last values.
pub fn purge(tx: &mut Tx<'_>, entity: &Entity, id: i64) -> Result<(), AppError> {
    let rec = store::get(tx.conn(), entity, id)?;
    if rec.deleted_at.is_none() {
        return Err(AppError::Conflict("record.error.not_in_trash".into()));
    }
    store::purge(tx.conn(), entity, id)?;
    crate::crm::sharing::store::delete_for(tx.conn(), entity.table, id)?;
    let mut event = Event::new(&format!("{}.purge", entity.kind)).entity(entity.kind, id);
    for f in entity.fields {
        let before = rec.values.get(f.name).cloned().unwrap_or_default();
        event = event.change(f.name, before, serde_json::Value::Null);
    }
    tx.audit(event)?;
    Ok(())
}
