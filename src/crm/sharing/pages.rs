//! The share and unshare actions on the 360° page.

use super::Target;
use crate::auth::Action;
use crate::auth::csrf::Form;
use crate::crm::records::Entity;
use crate::crm::records::pages::{Params, live_record};
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};

/// Whether the user may share this record: it must be theirs to edit by their role (a
/// record shared with them cannot be shared on).
pub async fn may_share(
    page: &Page,
    e: &'static Entity,
    owner: Option<i64>,
) -> Result<bool, AppError> {
    Ok(page.scope(e.area, Action::Edit).await?.allows(owner))
}

async fn shareable(page: &Page, e: &'static Entity, id: &str) -> Result<i64, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let rec = live_record(page, e, id, Action::View).await?;
    if !may_share(page, e, rec.owner()).await? {
        return Err(AppError::Forbidden);
    }
    Ok(id)
}

/// `POST /{entity}/{id}/shares`: `target` (`u:ID` or `d:ID`) and `access` (`read`/`edit`).
pub async fn add(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let id = shareable(&page, e, &id).await?;
    let target = input
        .get("target")
        .and_then(|t| Target::parse(t))
        .ok_or_else(|| AppError::invalid("target", "share.error.target"))?;
    let access = input.get("access").cloned().unwrap_or_default();
    page.state
        .db
        .write(page.actor(), move |tx| {
            super::share(tx, e, id, target, &access)
        })
        .await?;
    Ok(see_other(&format!(
        "/{}/{id}?notice=shared#sharing",
        e.table
    )))
}

/// `POST /{entity}/{id}/shares/{share}/delete`.
pub async fn remove(
    e: &'static Entity,
    page: Page,
    path: web::Path<(String, String)>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let (id, share) = path.into_inner();
    let id = shareable(&page, e, &id).await?;
    let share: i64 = share.parse().map_err(|_| AppError::NotFound)?;
    page.state
        .db
        .write(page.actor(), move |tx| super::unshare(tx, e, id, share))
        .await?;
    Ok(see_other(&format!(
        "/{}/{id}?notice=unshared#sharing",
        e.table
    )))
}
