//! The quote page's buttons: submit for approval, approve, reject, send, accepted,
//! declined. A step that is not possible now comes back as the quote page with the reason
//! (409), a rejection without a comment with the comment marked (422).

use super::super::flow;
use super::show::{Refused, render};
use super::{Visible, editable, path_id, visible};
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::auth::pages::Empty;
use crate::db::Tx;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// The approve/reject form.
#[derive(Debug, Deserialize)]
pub struct DecisionInput {
    #[serde(default)]
    comment: String,
}

type Id = web::Path<String>;

async fn run<F>(
    page: &Page,
    v: Visible,
    done: &str,
    comment: String,
    f: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut Tx<'_>) -> Result<(), AppError> + Send + 'static,
{
    let id = v.quote.id;
    let refused = |message: String, status| Refused {
        message,
        comment: comment.clone(),
        status,
    };
    match page.state.db.write(page.actor(), f).await {
        Ok(()) => Ok(see_other(&format!("/quotes/{id}?done={done}"))),
        Err(AppError::Conflict(key)) => {
            render(page, &v, Some(refused(key, StatusCode::CONFLICT)), None).await
        }
        Err(AppError::Validation { message, .. }) => {
            let r = refused(message, StatusCode::UNPROCESSABLE_ENTITY);
            render(page, &v, Some(r), None).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /quotes/{id}/submit`: asks the owner's manager to approve the discount.
pub async fn submit(page: Page, path: Id, _: Form<Empty>) -> Result<HttpResponse, AppError> {
    let v = editable(&page, path_id(&path)?).await?;
    let id = v.quote.id;
    run(&page, v, "submitted", String::new(), move |tx| {
        flow::submit(tx, id)
    })
    .await
}

async fn decide(
    page: Page,
    path: Id,
    input: DecisionInput,
    approve: bool,
) -> Result<HttpResponse, AppError> {
    let v = visible(&page, path_id(&path)?).await?;
    if !v.may_decide {
        return Err(AppError::Forbidden);
    }
    let by_admin = page.user()?.can(Permission::ManageSettings);
    let (id, comment) = (v.quote.id, input.comment);
    let done = if approve { "approved" } else { "rejected" };
    let typed = comment.clone();
    run(&page, v, done, typed, move |tx| {
        flow::decide(tx, id, approve, &comment, by_admin)
    })
    .await
}

/// `POST /quotes/{id}/approve`: only the manager asked, or an administrator.
pub async fn approve(
    page: Page,
    path: Id,
    Form(input): Form<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    decide(page, path, input, true).await
}

/// `POST /quotes/{id}/reject`: with a comment saying why.
pub async fn reject(
    page: Page,
    path: Id,
    Form(input): Form<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    decide(page, path, input, false).await
}

/// `POST /quotes/{id}/send`: marks it sent to the customer.
pub async fn send(page: Page, path: Id, _: Form<Empty>) -> Result<HttpResponse, AppError> {
    let v = editable(&page, path_id(&path)?).await?;
    let id = v.quote.id;
    run(&page, v, "sent", String::new(), move |tx| {
        flow::send(tx, id)
    })
    .await
}

/// `POST /quotes/{id}/accept`: the customer accepted it.
pub async fn accept(page: Page, path: Id, _: Form<Empty>) -> Result<HttpResponse, AppError> {
    let v = editable(&page, path_id(&path)?).await?;
    let id = v.quote.id;
    run(&page, v, "accepted", String::new(), move |tx| {
        flow::close(tx, id, true)
    })
    .await
}

/// `POST /quotes/{id}/decline`: the customer declined it.
pub async fn decline(page: Page, path: Id, _: Form<Empty>) -> Result<HttpResponse, AppError> {
    let v = editable(&page, path_id(&path)?).await?;
    let id = v.quote.id;
    run(&page, v, "declined", String::new(), move |tx| {
        flow::close(tx, id, false)
    })
    .await
}
