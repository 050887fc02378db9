//! A user's own account page: who they are, and changing their own password.

use super::{FieldErrors, store};
use crate::auth::csrf::Form;
use crate::auth::password::check_policy;
use crate::auth::session::Session;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use minijinja::context;
use serde::Deserialize;

fn render(page: &Page, errors: FieldErrors, ok: bool) -> Result<HttpResponse, AppError> {
    let ctx = context! {
        errors,
        min_password => page.state.config.security.min_password_length,
        notice => page.notice(),
    };
    page.render_form("account/account.html", ctx, ok)
}

/// `GET /account`.
pub async fn form(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?;
    render(&page, FieldErrors::new(), true)
}

/// The change-password form.
#[derive(Deserialize)]
pub struct ChangePassword {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`: needs the current password; signs out the user's other
/// sessions.
pub async fn change_password(
    req: HttpRequest,
    page: Page,
    Form(input): Form<ChangePassword>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let id = me.id;
    let stored = page
        .state
        .db
        .read(move |c| Ok(store::get(c, id)?.password_hash))
        .await?;
    let mut errors = FieldErrors::new();
    if !page
        .state
        .hasher
        .verify(input.current, Some(stored))
        .await?
    {
        errors.insert("current".into(), "account.error.current".into());
    }
    let min = page.state.config.security.min_password_length;
    if let Err(w) = check_policy(&input.password, min, &[&me.email, &me.name]) {
        errors.insert("password".into(), w.message_key().into());
    } else if input.password != input.confirm {
        errors.insert("confirm".into(), "account.error.confirm".into());
    }
    if !errors.is_empty() {
        return render(&page, errors, false);
    }
    let keep = req
        .extensions()
        .get::<Session>()
        .map(|s| s.token_hash.clone());
    let hash = page.state.hasher.hash(input.password).await?;
    page.state
        .db
        .write(page.actor(), move |tx| {
            super::set_password(tx, id, &hash, keep.as_deref())
        })
        .await?;
    Ok(see_other("/account?notice=password_changed"))
}
