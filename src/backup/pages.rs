//! `/admin/backups`: the list with status, "back up now", downloads, the last failure.

use super::{Backups, Kind, schedule, scheduler, time_zone};
use crate::audit::Event;
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::auth::pages::Empty;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

/// `GET /admin/backups`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageBackups)?;
    let state = page.state.clone();
    let (backups, health, next, folder) = web::block(move || {
        let b = Backups::new(&state.config);
        let tz = time_zone(&state.db);
        let next = schedule::parse(&state.config.backup.schedule)
            .ok()
            .and_then(|c| schedule::next(&c, chrono::Utc::now(), tz))
            .map(|t| t.to_rfc3339());
        let folder = b.folder().display().to_string();
        (b.list(), scheduler::health(&state), next, folder)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?;
    let cfg = &page.state.config.backup;
    let (rotation, snapshots): (Vec<_>, Vec<_>) =
        backups.into_iter().partition(|b| b.group.is_empty());
    page.render(
        "backups/list.html",
        context! {
            rotation, snapshots, health, next, folder,
            schedule => cfg.schedule.trim(),
            policy => cfg,
            encrypted => !cfg.passphrase_file.as_os_str().is_empty() || !cfg.key_file.as_os_str().is_empty(),
            notice => page.notice(),
        },
    )
}

/// `POST /admin/backups`: starts a backup in the background and comes back to the list,
/// which shows it running and then its outcome.
pub async fn run(page: Page, Form(_): Form<Empty>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageBackups)?;
    let state = page.state.clone();
    if Backups::new(&state.config).running() {
        return Ok(see_other("/admin/backups?notice=backup_busy"));
    }
    let actor = page.actor();
    std::thread::Builder::new()
        .name("backup-now".into())
        .spawn(move || {
            scheduler::run_now(&state, Kind::Manual, actor);
        })
        .map_err(|e| AppError::Internal(e.into()))?;
    // Give a small database's backup the moment it needs, so the list shows it done.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    Ok(see_other("/admin/backups?notice=backup_started"))
}

/// Which backup to download.
#[derive(Deserialize)]
pub struct Which {
    /// File name.
    name: String,
    /// `pre-upgrade` for a snapshot taken before an upgrade.
    #[serde(default)]
    group: String,
}

/// `GET /admin/backups/download?name=`: the file itself, audited (it holds all the data).
pub async fn download(
    req: HttpRequest,
    page: Page,
    which: web::Query<Which>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageBackups)?;
    let which = which.into_inner();
    let backups = Backups::new(&page.state.config);
    let (group, name) = (which.group.clone(), which.name.clone());
    let path = web::block(move || backups.find(&group, &name))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?
        .ok_or(AppError::NotFound)?;
    let event = Event::new("backup.downloaded").entity("backup", &which.name);
    page.state
        .db
        .write(page.actor(), move |tx| tx.audit(event))
        .await?;
    let file = actix_files::NamedFile::open(&path)
        .map_err(|_| AppError::NotFound)?
        .set_content_disposition(actix_web::http::header::ContentDisposition {
            disposition: actix_web::http::header::DispositionType::Attachment,
            parameters: vec![actix_web::http::header::DispositionParam::Filename(
                which.name,
            )],
        });
    Ok(file.into_response(&req))
}
