//! Saved list views: a user names the filters and sort of a list and gets back to them in
//! one click. Only the list's own parameters are kept.

pub mod store;

use crate::audit::Event;
use crate::auth::csrf::Form;
use crate::crm::records::Entity;
use crate::db::Tx;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

/// The list parameters a view may keep.
const KEYS: &[&str] = &[
    "status", "owner", "tag", "sort", "company", "source", "province", "city", "industry", "title",
    "stage_id",
];

/// A saved view.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Query string to open it.
    pub query: String,
}

/// Keeps only the list's own, non-empty parameters, in a stable order.
pub fn clean_query(query: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut kept: Vec<(String, String)> = KEYS
        .iter()
        .filter_map(|k| pairs.iter().find(|(n, v)| n == k && !v.is_empty()).cloned())
        .collect();
    // Custom field filters (cf_f1, cf_f2, ...).
    let mut custom: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(n, v)| {
            !v.is_empty()
                && n.strip_prefix("cf_")
                    .is_some_and(|k| k.chars().all(|c| c.is_ascii_alphanumeric()))
        })
        .collect();
    custom.sort();
    kept.extend(custom);
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

fn save(
    tx: &mut Tx<'_>,
    user: i64,
    entity: &str,
    name: &str,
    query: &str,
) -> Result<i64, AppError> {
    let id = store::save(tx.conn(), user, entity, name, query)?;
    tx.audit(
        Event::new("view.save")
            .entity("view", id)
            .change("name", None::<String>, name)
            .change("query", None::<String>, query),
    )?;
    Ok(id)
}

/// The save-view form.
#[derive(Deserialize)]
pub struct SaveInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// `POST /{entity}/views`.
pub async fn create(
    e: &'static Entity,
    page: Page,
    Form(input): Form<SaveInput>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.id;
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid("name", "view.error.name"));
    }
    let query = clean_query(&input.query);
    let q = query.clone();
    page.state
        .db
        .write(page.actor(), move |tx| save(tx, me, e.table, &name, &q))
        .await?;
    let sep = if query.is_empty() { "" } else { "&" };
    Ok(see_other(&format!(
        "/{}?{query}{sep}notice=view_saved",
        e.table
    )))
}

/// `POST /views/{id}/delete`: only the owner's own views.
pub async fn delete(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<crate::crm::records::pages::Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.id;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let entity = page
        .state
        .db
        .write(page.actor(), move |tx| {
            let (entity, name) = store::owned(tx.conn(), id, me)?;
            store::delete(tx.conn(), id)?;
            tx.audit(Event::new("view.delete").entity("view", id).change(
                "name",
                name,
                None::<String>,
            ))?;
            Ok(entity)
        })
        .await?;
    Ok(see_other(&format!("/{entity}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_lists_own_parameters_are_kept() {
        assert_eq!(
            clean_query("after=x&status=customer&evil=1&sort=-name&owner="),
            "status=customer&sort=-name"
        );
        assert_eq!(clean_query(""), "");
    }
}
