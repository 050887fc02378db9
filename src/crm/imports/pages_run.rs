//! Running an import in the background (`POST /imports/{id}/run`), its progress and result
//! (`GET /imports/{id}` once started) and the error file; undoing it is in `pages_undo`.

use super::pages::{authorize, options, visible};
use super::pages_view::{Report, error_file};
use super::plan::Policy;
use super::store;
use crate::auth::csrf::Form;
use crate::auth::{Action, Level};
use crate::crm::records::Entity;
use crate::crm::records::pages::Params;
use crate::db::Db;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::context;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

/// Imports whose thread (a run or an undo) has started and is still working, by database
/// file and id: a run may not have marked its import running yet (reading and planning a
/// large file takes a while), and an undo cut off is told from one under way by this; the
/// page shows progress for them, and a second click does not start them twice.
static STARTING: LazyLock<Mutex<HashSet<(PathBuf, i64)>>> = LazyLock::new(Default::default);

/// Whether an import of this database has been started and its thread is still working.
pub fn starting(db: &Db, id: i64) -> bool {
    STARTING
        .lock()
        .is_ok_and(|s| s.contains(&(db.path().to_path_buf(), id)))
}

/// Marks an import started until dropped (also when its thread panics).
pub(super) struct Started(PathBuf, i64);

impl Started {
    /// `None` when the import was already started.
    pub(super) fn claim(db: &Db, id: i64) -> Option<Started> {
        let key = (db.path().to_path_buf(), id);
        let mut set = STARTING.lock().ok()?;
        set.insert(key.clone()).then_some(Started(key.0, key.1))
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Ok(mut set) = STARTING.lock() {
            set.remove(&(self.0.clone(), self.1));
        }
    }
}

/// `POST /imports/{id}/run`: starts the import on its own thread (it writes in batches, so
/// the server keeps answering) and shows its progress.
pub async fn run(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let (row, e) = visible(&page, &id).await?;
    let back = see_other(&format!("/imports/{}", row.id));
    if !matches!(row.state.as_str(), "new" | "failed") {
        return Ok(back);
    }
    let policy = options(&row).policy;
    authorize(&me, e, policy)?;
    if policy == Policy::Update && me.level(e.area, Action::Edit) != Level::All {
        let (table, _) = super::pages_map::load(&page, &row, e).await?;
        let mapping: Vec<Option<String>> = serde_json::from_str(&row.mapping).unwrap_or_default();
        let currency = page.state.currency();
        let new_companies = super::pages::may_create_companies(&me);
        let plan = page
            .state
            .db
            .read_heavy(move |c| {
                let run = super::Run {
                    policy,
                    currency: &currency,
                    new_companies,
                };
                Ok(super::dry_run(c, e, &table, &mapping, run)?)
            })
            .await?;
        if super::pages_map::updates_out_of_reach(&page, e, &plan).await? > 0 {
            return Err(AppError::Denied(page.tr("import.ui.updates_out_of_reach")));
        }
    }
    let db = page.state.db.clone();
    let Some(started) = Started::claim(&db, row.id) else {
        return Ok(back);
    };
    let (actor, currency, id) = (page.actor(), page.state.currency(), row.id);
    let new_companies = super::pages::may_create_companies(&me);
    std::thread::Builder::new()
        .name(format!("import-{id}"))
        .spawn(move || {
            let _started = started;
            match super::execute(&db, &actor, id, &currency, new_companies, &|_, _| {}) {
                Ok(c) => tracing::info!(
                    import.id = id,
                    "Import {id} finished: {} created, {} updated, {} skipped, {} rejected",
                    c.created,
                    c.updated,
                    c.skipped,
                    c.rejected
                ),
                Err(err) => tracing::warn!(import.id = id, "Import {id} failed: {err:?}"),
            }
        })
        .map_err(|e| AppError::Internal(anyhow::Error::from(e).context("starting an import")))?;
    Ok(back)
}

/// The progress page; it reloads itself every second until the import has ended.
pub fn progress(
    page: &Page,
    row: &store::ImportRow,
    e: &'static Entity,
) -> Result<HttpResponse, AppError> {
    let running = row.state == "running";
    let (done, total) = if running {
        (row.rows_done, row.rows_total)
    } else {
        (0, 0)
    };
    page.render(
        "imports/progress.html",
        context! { import => row, entity => e.table, done, total },
    )
}

/// The result of an import that ended: counts, the error file, undo.
pub async fn result(
    page: &Page,
    row: &store::ImportRow,
    e: &'static Entity,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    let id = row.id;
    let written = page
        .state
        .db
        .read(move |c| Ok(store::written(c, id)?))
        .await?;
    let can_undo = matches!(row.state.as_str(), "done" | "failed" | "undoing")
        && written > 0
        && me.level(e.area, Action::Delete) != Level::None;
    let has_errors = row.report.is_some() && row.skipped + row.rejected > 0;
    // An undo cut off (the server stopped, or a record could not be undone): how far it got,
    // to be finished from here.
    let (undo_done, undo_total) = if row.state == "undoing" {
        page.state
            .db
            .read(move |c| Ok(store::undo_progress(c, id)?))
            .await?
    } else {
        (0, 0)
    };
    let notice = page.notice().filter(|_| row.state != "undoing");
    page.render(
        "imports/result.html",
        context! {
            import => row, entity => e.table, written, can_undo, has_errors, notice,
            undo_done, undo_total,
        },
    )
}

/// `GET /imports/{id}/errors.csv`: the rows that did not go in, with the reason for each.
pub async fn errors(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (row, e) = visible(&page, &id).await?;
    let report: Report = row
        .report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .ok_or(AppError::NotFound)?;
    let custom = crate::crm::fields::definitions(&page.state.db, e.table).await?;
    let bytes = error_file(&page, &custom, &report)?;
    let name = format!("import-{}-errors.csv", row.id);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}
