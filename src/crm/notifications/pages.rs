//! `/notifications`: the signed-in user's notification centre. Each user sees and opens
//! only their own notifications.

use super::{Notification, store};
use crate::auth::csrf::Form;
use crate::auth::pages::Empty;
use crate::error::AppError;
use crate::web::page::{Page, safe_next, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

/// Notifications per page.
const PAGE_SIZE: i64 = 30;

/// Registers the notification centre's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // The fixed path first, so `read-all` is never taken for an id.
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/read-all", web::post().to(read_all))
        .route("/notifications/{id}/read", web::post().to(read));
}

/// The list's query string: `before` pages back (keyset on the id), `unread=1` filters.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    before: String,
    #[serde(default)]
    unread: String,
}

/// `GET /notifications`: newest first, unread ones marked.
pub async fn list(page: Page, q: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let me = page.user()?.id;
    let before: Option<i64> = q.before.trim().parse().ok().filter(|b| *b > 0);
    let only_unread = q.unread == "1";
    let mut rows = page
        .state
        .db
        .read(move |c| Ok(store::page(c, me, before, only_unread, PAGE_SIZE + 1)?))
        .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let filter = if only_unread { "&unread=1" } else { "" };
    let next = rows
        .last()
        .filter(|_| more)
        .map(|last| format!("/notifications?before={}{filter}", last.id));
    let first = format!(
        "/notifications{}",
        if only_unread { "?unread=1" } else { "" }
    );
    let items: Vec<Notification> = rows
        .into_iter()
        .map(|r| Notification::new(page.lang, r))
        .collect();
    page.render(
        "notifications/list.html",
        context! { items, next, first, paged => before.is_some(), only_unread },
    )
}

/// `POST /notifications/{id}/read`: opens a notification, marking it read, and goes where
/// it leads. Another user's notification is not found.
pub async fn read(
    page: Page,
    path: web::Path<String>,
    Form(_): Form<Empty>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.id;
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let link = super::open(&page.state.db, me, id).await?;
    // Links are written by Kith itself; `safe_next` keeps even a damaged one on this site.
    let to = match link.as_deref() {
        Some(l) if !l.is_empty() => safe_next(Some(l)),
        _ => "/notifications".to_string(),
    };
    Ok(see_other(&to))
}

/// `POST /notifications/read-all`.
pub async fn read_all(page: Page, Form(_): Form<Empty>) -> Result<HttpResponse, AppError> {
    let me = page.user()?.id;
    super::read_all(&page.state.db, me).await?;
    Ok(see_other("/notifications"))
}
