//! `GET /quotes/{id}` (lines, totals, status, approval history, actions) and
//! `GET /quotes/{id}/print` (a clean page for paper or PDF).

use super::super::Status;
use super::super::calc::Percent;
use super::super::flow;
use super::super::store;
use super::{Visible, line_views, path_id, quote_view, visible};
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use std::collections::HashMap;

/// A refused action shown on the quote page: the message key, the comment as typed, and
/// the status to answer with.
pub(super) struct Refused {
    /// i18n key of the message.
    pub message: String,
    /// The approval comment as typed.
    pub comment: String,
    /// 409 for a step not possible now, 422 for bad input.
    pub status: StatusCode,
}

/// Renders the quote page, with a refused action's message when there is one.
pub(super) async fn render(
    page: &Page,
    v: &Visible,
    refused: Option<Refused>,
    done: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let id = v.quote.id;
    let (lines, events, needs, largest, threshold) = {
        let quote = v.quote.clone();
        page.state
            .db
            .read(move |c| {
                let lines = store::lines(c, id)?;
                let events = store::events(c, id)?;
                let needs = flow::needs_approval(c, &quote, &lines)?;
                let largest = flow::largest(&quote, &lines).percent();
                Ok((lines, events, needs, largest, store::threshold(c)?))
            })
            .await?
    };
    let has_lines = !lines.is_empty();
    let s = v.status;
    let actions = context! {
        edit => v.may_edit && s.editable(),
        submit => v.may_edit && s == Status::Draft && needs && has_lines,
        send => v.may_edit && has_lines
            && (s == Status::Approved || (s == Status::Draft && !needs)),
        decide => v.may_decide && s == Status::Pending,
        close => v.may_edit && s == Status::Sent,
    };
    let (error, comment, status) = match refused {
        Some(r) => (Some(r.message), r.comment, Some(r.status)),
        None => (None, String::new(), None),
    };
    let ctx = context! {
        quote => quote_view(&v.quote), lines => line_views(&lines), events, actions, needs,
        largest => largest.to_string(), threshold => threshold.to_string(),
        error, comment, notice => notice(page, done),
    };
    let mut res = page.render("quotes/show.html", ctx)?;
    if let Some(st) = status {
        *res.status_mut() = st;
    }
    Ok(res)
}

/// The confirmation after a step (`?done=sent`), only for known steps, or a general notice.
fn notice(page: &Page, done: Option<&str>) -> Option<String> {
    let known = [
        "submitted",
        "approved",
        "rejected",
        "sent",
        "accepted",
        "declined",
    ];
    done.filter(|d| known.contains(d))
        .map(|d| format!("quote.done.{d}"))
        .or_else(|| page.notice())
}

/// `GET /quotes/{id}`.
pub async fn show(
    page: Page,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let v = visible(&page, path_id(&path)?).await?;
    render(&page, &v, None, q.get("done").map(String::as_str)).await
}

/// `GET /quotes/{id}/print`: its own minimal page with print styles, in the user's language.
pub async fn print(page: Page, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let v = visible(&page, path_id(&path)?).await?;
    let id = v.quote.id;
    let lines = page
        .state
        .db
        .read(move |c| Ok(store::lines(c, id)?))
        .await?;
    let any_discount = lines.iter().any(|l| l.discount > 0);
    let ctx = context! {
        quote => quote_view(&v.quote), lines => line_views(&lines), any_discount,
        has_overall => v.quote.discount > 0,
        overall => Percent::from_hundredths(v.quote.discount).to_string(),
    };
    page.render("quotes/print.html", ctx)
}
