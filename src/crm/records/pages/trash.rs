//! Deleting, restoring, purging and merging records, and the trash page.

use super::super::Entity;
use super::super::store;
use super::*;
use crate::auth::Action;
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde_json::Value as Json;

/// `POST /{entity}/{id}/delete`: to the trash.
pub async fn delete(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    live_record(&page, e, id, Action::Delete).await?;
    page.state
        .db
        .write(page.actor(), move |tx| super::super::soft_delete(tx, e, id))
        .await?;
    Ok(see_other(&format!("/{}?notice=record_deleted", e.table)))
}

/// `POST /{entity}/{id}/restore`: by whoever may delete it (its owner, their manager…) or
/// an administrator.
pub async fn restore(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let id = path_id(&id)?;
    let rec = page
        .state
        .db
        .read(move |c| Ok(store::get(c, e, id)?))
        .await?;
    let owner = rec.values.get("owner_id").and_then(Json::as_i64);
    if !(me.can(Permission::ManageTrash) || page.scope(e.area, Action::Delete).await?.allows(owner))
    {
        return Err(AppError::Forbidden);
    }
    page.state
        .db
        .write(page.actor(), move |tx| super::super::restore(tx, e, id))
        .await?;
    Ok(see_other(&format!(
        "/{}/{id}?notice=record_restored",
        e.table
    )))
}

/// `POST /{entity}/{id}/purge`: administrators only, from the trash.
pub async fn purge(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageTrash)?;
    let id = path_id(&id)?;
    page.state
        .db
        .write(page.actor(), move |tx| super::super::purge(tx, e, id))
        .await?;
    Ok(see_other("/trash?notice=record_purged"))
}

/// `GET /trash`: what was deleted, and by whom it may be restored.
pub async fn trash(page: Page) -> Result<HttpResponse, AppError> {
    let admin = page.user()?.can(Permission::ManageTrash);
    let mut items = Vec::new();
    for e in [
        &crate::crm::companies::COMPANIES,
        &crate::crm::contacts::CONTACTS,
        &crate::crm::deals::DEALS,
        &crate::crm::leads::LEADS,
    ] {
        // Everyone sees what they could restore: records inside their delete scope.
        let scope = if admin {
            crate::auth::scope::Scope::All
        } else {
            page.scope(e.area, Action::Delete).await?
        };
        let owners = scope.owners().map(<[i64]>::to_vec);
        let list = page
            .state
            .db
            .read(move |c| Ok(store::trash(c, e, owners.as_deref(), 200)?))
            .await?;
        let rules = page.user()?.access.rules(e.area);
        items.extend(list.into_iter().map(|mut r| {
            super::super::redact(e, &rules, &mut r.values);
            context! { entity => e.table, ..view(e, &r) }
        }));
    }
    page.render(
        "records/trash.html",
        context! { items, admin, notice => page.notice() },
    )
}

/// The merge form.
#[derive(serde::Deserialize)]
pub struct MergeInput {
    #[serde(default)]
    into: String,
}

/// `POST /{entity}/{id}/merge`: merges this record into the one named by `into` (its id).
pub async fn merge(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(input): Form<MergeInput>,
) -> Result<HttpResponse, AppError> {
    let from = path_id(&id)?;
    let into: i64 = input
        .into
        .trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| AppError::invalid("into", "merge.error.target"))?;
    // The duplicate goes to the trash and the kept record changes: both must be reachable.
    live_record(&page, e, from, Action::Delete).await?;
    if matches!(
        live_record(&page, e, into, Action::Edit).await,
        Err(AppError::NotFound)
    ) {
        return Err(AppError::invalid("into", "merge.error.target"));
    }
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::super::merge(tx, e, from, into)
        })
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/{}/{into}?notice=merged", e.table))),
        Err(AppError::NotFound) => Err(AppError::invalid("into", "merge.error.target")),
        Err(other) => Err(other),
    }
}
