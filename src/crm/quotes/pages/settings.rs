//! `/admin/quotes`: the discount above which quotes need a manager's approval.

use super::super::calc::Percent;
use super::super::{flow, store};
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::crm::users::FieldErrors;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::HttpResponse;
use minijinja::context;
use serde::{Deserialize, Serialize};

/// The settings form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SettingsInput {
    #[serde(default)]
    threshold: String,
}

fn render(
    page: &Page,
    input: &SettingsInput,
    errors: &FieldErrors,
) -> Result<HttpResponse, AppError> {
    let ctx = context! { input, errors, notice => page.notice() };
    page.render_form("quotes/settings.html", ctx, errors.is_empty())
}

/// `GET /admin/quotes`.
pub async fn form(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let threshold = page.state.db.read(|c| Ok(store::threshold(c)?)).await?;
    let input = SettingsInput {
        threshold: threshold.to_string(),
    };
    render(&page, &input, &FieldErrors::new())
}

/// `POST /admin/quotes`: saved through the write path and audited as a settings change.
pub async fn save(page: Page, Form(input): Form<SettingsInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let parsed = Percent::parse(&input.threshold).ok();
    let Some(threshold) = parsed.filter(|_| !input.threshold.trim().is_empty()) else {
        let errors = FieldErrors::from([("threshold".into(), "quote.error.threshold".into())]);
        return render(&page, &input, &errors);
    };
    page.state
        .db
        .write(page.actor(), move |tx| flow::set_threshold(tx, threshold))
        .await?;
    Ok(see_other("/admin/quotes?notice=saved"))
}
