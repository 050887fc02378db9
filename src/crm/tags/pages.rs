//! Tagging from a record's page and bulk actions on a list selection.

use crate::auth::Action;
use crate::auth::csrf::Form;
use crate::crm::records::{self, Entity};
use crate::error::AppError;
use crate::web::page::{Page, safe_next, see_other};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// The add-tag form.
#[derive(Deserialize)]
pub struct TagInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    color: String,
}

fn record_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// `POST /{entity}/{id}/tags`: adds a tag, creating it when new.
pub async fn add(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(input): Form<TagInput>,
) -> Result<HttpResponse, AppError> {
    let id = record_id(&id)?;
    crate::crm::records::pages::live_record(&page, e, id, Action::Edit).await?;
    let name = super::parse_name(&input.name).map_err(|k| AppError::invalid("name", k))?;
    let color = (!input.color.is_empty()).then_some(input.color);
    page.state
        .db
        .write(page.actor(), move |tx| {
            super::tag(tx, e, &[id], &name, color.as_deref())
        })
        .await?;
    Ok(see_other(&format!("/{}/{id}", e.table)))
}

/// `POST /{entity}/{id}/tags/{tag}/remove`.
pub async fn remove(
    e: &'static Entity,
    page: Page,
    path: web::Path<(String, String)>,
    Form(_): Form<crate::crm::records::pages::Params>,
) -> Result<HttpResponse, AppError> {
    let (id, tag) = path.into_inner();
    let (id, tag) = (record_id(&id)?, record_id(&tag)?);
    crate::crm::records::pages::live_record(&page, e, id, Action::Edit).await?;
    page.state
        .db
        .write(page.actor(), move |tx| super::untag(tx, e, &[id], tag))
        .await?;
    Ok(see_other(&format!("/{}/{id}", e.table)))
}

/// `POST /{entity}/bulk`: tag, untag, assign an owner to, or delete the selected records.
pub async fn bulk(
    e: &'static Entity,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .take(500)
        .collect();
    let next = safe_next(Some(&get("next")));
    if ids.is_empty() {
        return Ok(see_other(&next));
    }
    // Every selected record must be inside the scope of the action (deleting needs the
    // delete right, the rest the edit right); a crafted id is refused whole.
    let needed = if get("action") == "delete" {
        Action::Delete
    } else {
        Action::Edit
    };
    me.require_level(e.area, needed)?;
    let scope = page.scope(e.area, needed).await?;
    let check = ids.clone();
    let found = page
        .state
        .db
        .read(move |c| Ok(records::store::get_many(c, e, &check)?))
        .await?;
    let visible = |id: &i64| {
        found
            .get(id)
            .is_some_and(|r| scope.allows_record(r.owner(), *id))
    };
    if !ids.iter().all(visible) {
        return Err(AppError::NotFound);
    }
    let action = get("action");
    let (tag, owner) = (get("tag"), get("owner_id"));
    let notice = match action.as_str() {
        "tag" | "untag" => {
            let name = super::parse_name(&tag).map_err(|k| AppError::invalid("tag", k))?;
            page.state
                .db
                .write(page.actor(), move |tx| {
                    if action == "tag" {
                        super::tag(tx, e, &ids, &name, None)
                    } else {
                        match super::store::find(tx.conn(), &name)? {
                            Some(t) => super::untag(tx, e, &ids, t.id),
                            None => Ok(0),
                        }
                    }
                })
                .await?;
            "bulk_done"
        }
        "assign" => {
            let owner: i64 = owner
                .parse()
                .map_err(|_| AppError::invalid("owner_id", "record.error.choice"))?;
            page.state
                .db
                .write(page.actor(), move |tx| {
                    if crate::crm::users::store::get(tx.conn(), owner)?
                        .disabled_at
                        .is_some()
                    {
                        return Err(AppError::invalid("owner_id", "record.error.choice"));
                    }
                    records::assign(tx, e, &ids, owner)
                })
                .await?;
            "bulk_done"
        }
        "delete" => {
            page.state
                .db
                .write(page.actor(), move |tx| {
                    for id in &ids {
                        records::soft_delete(tx, e, *id)?;
                    }
                    Ok(())
                })
                .await?;
            "record_deleted"
        }
        _ => return Err(AppError::invalid("action", "record.error.choice")),
    };
    let sep = if next.contains('?') { '&' } else { '?' };
    Ok(see_other(&format!("{next}{sep}notice={notice}")))
}
