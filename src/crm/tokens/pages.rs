//! The API tokens page of a user's account: list, make (shown once), revoke.

use super::store;
use crate::auth::csrf::Form;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::Deserialize;

async fn render(
    page: &Page,
    input: &NewToken,
    errors: crate::crm::records::FieldErrors,
    created: Option<Value>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.id;
    let tokens = page
        .state
        .db
        .read(move |c| Ok(store::for_user(c, me)?))
        .await?;
    let fresh = errors.is_empty();
    let ctx = context! { tokens, input, errors, created, notice => page.notice() };
    page.render_form("account/tokens.html", ctx, fresh)
}

/// `GET /account/tokens`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?;
    render(&page, &NewToken::default(), Default::default(), None).await
}

/// The make-a-token form.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct NewToken {
    #[serde(default)]
    name: String,
    /// `write` for a token that may change data; anything else is read-only.
    #[serde(default)]
    access: String,
}

/// `POST /account/tokens`: makes a token and shows it once.
pub async fn create(page: Page, Form(input): Form<NewToken>) -> Result<HttpResponse, AppError> {
    let me = page.user()?.id;
    let (name, write) = (input.name.clone(), input.access == "write");
    let made = page
        .state
        .db
        .write(page.actor(), move |tx| super::create(tx, me, &name, write))
        .await;
    match made {
        Ok((id, token)) => {
            let created = context! { id, token, write };
            render(
                &page,
                &NewToken::default(),
                Default::default(),
                Some(created),
            )
            .await
        }
        Err(AppError::Validation { fields, .. }) => render(&page, &input, fields, None).await,
        Err(e) => Err(e),
    }
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke(
    page: Page,
    id: web::Path<i64>,
    Form(_): Form<crate::crm::records::pages::Params>,
) -> Result<HttpResponse, AppError> {
    let (me, id) = (page.user()?.id, id.into_inner());
    page.state
        .db
        .write(page.actor(), move |tx| super::revoke(tx, me, id))
        .await?;
    Ok(see_other("/account/tokens?notice=token_revoked"))
}
