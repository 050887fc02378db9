//! Undoing an import from its page (`POST /imports/{id}/undo`): the undo runs on its own
//! thread in batches (see `undo`), and the import's page shows how far it has got until it
//! is done; an undo cut off by a stop is finished by undoing again.

use super::pages::{blocking, visible};
use super::pages_run::Started;
use super::store;
use crate::auth::Action;
use crate::auth::csrf::Form;
use crate::crm::records::Entity;
use crate::crm::records::pages::Params;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;

/// `POST /imports/{id}/undo`: records the import created go to the trash, records it
/// updated get their earlier values back. Starts the undo (or finishes one cut off) on its
/// own thread and shows its progress; refused for an import that is not finished or was
/// undone already.
pub async fn undo(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let (row, e) = visible(&page, &id).await?;
    me.require_level(e.area, Action::Delete)?;
    if row.updated > 0 {
        me.require_level(e.area, Action::Edit)?;
    }
    let (db, actor, id) = (page.state.db.clone(), page.actor(), row.id);
    // The notice shows once the undo is done (the progress page reloads this address).
    let back = see_other(&format!("/imports/{id}?notice=import_undone"));
    let Some(started) = Started::claim(&db, id) else {
        return Ok(back);
    };
    // Marked undoing before the redirect, so the page shows progress from the start.
    let marking = db.clone();
    if blocking(move || marking.bookkeeping_blocking(|c| store::begin_undo(c, id))).await? == 0 {
        return Err(AppError::invalid("import", "import.error.not_undoable"));
    }
    std::thread::Builder::new()
        .name(format!("import-undo-{id}"))
        .spawn(move || {
            let _started = started;
            match super::undo::undo(&db, &actor, id) {
                Ok((restored, removed)) => tracing::info!(
                    import.id = id,
                    "Import {id} undone: {removed} records to the trash, {restored} put back"
                ),
                Err(err) => tracing::warn!(import.id = id, "Undoing import {id} stopped: {err:?}"),
            }
        })
        .map_err(|e| AppError::Internal(anyhow::Error::from(e).context("starting an undo")))?;
    Ok(back)
}

/// The progress page of an undo under way: records dealt with of those the import wrote;
/// it reloads itself every second until the undo has ended.
pub async fn progress(
    page: &Page,
    row: &store::ImportRow,
    e: &'static Entity,
) -> Result<HttpResponse, AppError> {
    let id = row.id;
    let (done, total) = page
        .state
        .db
        .read(move |c| Ok(store::undo_progress(c, id)?))
        .await?;
    page.render(
        "imports/progress.html",
        context! { import => row, entity => e.table, done, total, undoing => true },
    )
}
