//! The company profile page for administrators.

use super::{CURRENCIES, ProfileInput, TIME_ZONES};
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::crm::users::FieldErrors;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::HttpResponse;
use minijinja::context;

fn render(
    page: &Page,
    input: &ProfileInput,
    errors: &FieldErrors,
    ok: bool,
) -> Result<HttpResponse, AppError> {
    let ctx = context! {
        input, errors, currencies => CURRENCIES, time_zones => TIME_ZONES, notice => page.notice(),
    };
    page.render_form("settings/form.html", ctx, ok)
}

/// `GET /admin/settings`.
pub async fn form(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let input = page
        .state
        .company()
        .map(|c| ProfileInput {
            name: c.name,
            currency: c.currency,
            time_zone: c.time_zone,
            language: c.language,
        })
        .unwrap_or_default();
    render(&page, &input, &FieldErrors::new(), true)
}

/// `POST /admin/settings`: saved through the write path, each changed field audited.
pub async fn save(page: Page, Form(input): Form<ProfileInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let profile = match input.parse() {
        Ok(p) => p,
        Err(errors) => return render(&page, &input, &errors, false),
    };
    let saved = page
        .state
        .db
        .write(page.actor(), move |tx| super::save(tx, &profile))
        .await?;
    page.state.set_company(saved);
    Ok(see_other("/admin/settings?notice=saved"))
}
