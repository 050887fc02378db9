//! `/admin/industries`: administrators edit the industry taxonomy.

use crate::audit::Event;
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

/// `GET /admin/industries`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let sectors = page.state.db.read(|c| Ok(super::tree(c)?)).await?;
    page.render(
        "industries/admin.html",
        context! { sectors, notice => page.notice() },
    )
}

/// The add form: a name and, for a sub-industry, its sector.
#[derive(Deserialize)]
pub struct AddInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent: String,
}

/// `POST /admin/industries`.
pub async fn add(page: Page, Form(input): Form<AddInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid("name", "industry.error.name"));
    }
    let parent: Option<i64> = input.parent.parse().ok();
    page.state
        .db
        .write(page.actor(), move |tx| {
            if let Some(p) = parent
                && !super::exists(tx.conn(), p)?
            {
                return Err(AppError::invalid("parent", "record.error.choice"));
            }
            let id = super::insert(tx.conn(), parent, &name, 999)?;
            tx.audit(Event::new("industry.create").entity("industry", id).change(
                "name",
                None::<String>,
                name.as_str(),
            ))
        })
        .await?;
    Ok(see_other("/admin/industries?notice=saved"))
}

/// `POST /admin/industries/{id}/delete`: only when no company uses it.
pub async fn delete(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<crate::crm::records::pages::Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    page.state
        .db
        .write(page.actor(), move |tx| {
            let name = super::name(tx.conn(), id)?;
            if super::usage(tx.conn(), id)? > 0 {
                return Err(AppError::Conflict("industry.error.in_use".into()));
            }
            super::delete(tx.conn(), id)?;
            tx.audit(Event::new("industry.delete").entity("industry", id).change(
                "name",
                name,
                None::<String>,
            ))
        })
        .await?;
    Ok(see_other("/admin/industries?notice=saved"))
}
