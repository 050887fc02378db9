//! `POST /admin/users/{id}/transfer`: the hand-over form on a user's page.

use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// The hand-over form: who receives the work.
#[derive(Deserialize)]
pub struct TransferInput {
    #[serde(default)]
    to: String,
}

/// Hands everything over and comes back to the user's page with the summary.
pub async fn transfer(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<TransferInput>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let from: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let to = input.to.trim().parse::<i64>().unwrap_or(0);
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            crate::crm::users::store::get(tx.conn(), from)?;
            super::transfer(tx, from, to)
        })
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/admin/users/{from}?notice=transferred"
        ))),
        Err(AppError::Validation { fields, .. }) => {
            crate::crm::users::pages::edit_page(&page, from, None, fields, false).await
        }
        Err(e) => Err(e),
    }
}
