//! HTML pages for quotes: the list, the editor, the quote page with its actions, the
//! printable page, and the approval setting for administrators.

mod actions;
pub(crate) mod edit;
mod list;
mod settings;
mod show;

use super::Status;
use super::calc::{Percent, Quantity};
use super::store::{self, Line, Quote};
use crate::auth::{Action, Area, Permission};
use crate::domain::Money;
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::web;
use minijinja::{Value, context};

/// Registers the quote routes (fixed paths before `{id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/quotes", web::get().to(list::list))
        .route("/quotes/new", web::get().to(edit::new_form))
        .route("/quotes/new", web::post().to(edit::create))
        .route("/admin/quotes", web::get().to(settings::form))
        .route("/admin/quotes", web::post().to(settings::save))
        .route("/quotes/{id}", web::get().to(show::show))
        .route("/quotes/{id}/print", web::get().to(show::print))
        .route("/quotes/{id}/edit", web::get().to(edit::edit_form))
        .route("/quotes/{id}/edit", web::post().to(edit::update))
        .route("/quotes/{id}/submit", web::post().to(actions::submit))
        .route("/quotes/{id}/approve", web::post().to(actions::approve))
        .route("/quotes/{id}/reject", web::post().to(actions::reject))
        .route("/quotes/{id}/send", web::post().to(actions::send))
        .route("/quotes/{id}/accept", web::post().to(actions::accept))
        .route("/quotes/{id}/decline", web::post().to(actions::decline));
}

fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// A quote the signed-in user may see, with whether they may change it and decide on its
/// approval. Without any right on quotes it is 403; a quote outside the view scope is 404
/// (the manager asked to approve a quote always sees it).
pub(crate) struct Visible {
    /// The quote.
    pub quote: Quote,
    /// Its status.
    pub status: Status,
    /// The edit scope reaches it.
    pub may_edit: bool,
    /// The user may approve or reject it (when it is pending).
    pub may_decide: bool,
}

pub(crate) async fn visible(page: &Page, id: i64) -> Result<Visible, AppError> {
    let me = page.user()?;
    me.require_level(Area::Quotes, Action::View)?;
    let quote = page
        .state
        .db
        .read(move |c| Ok(store::get(c, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let approver = quote.approver_id == Some(me.id);
    let (owner, qid) = (quote.owner_id, quote.id);
    if !approver
        && !page
            .scope(Area::Quotes, Action::View)
            .await?
            .allows_record(owner, qid)
    {
        return Err(AppError::NotFound);
    }
    let may_edit = me.level(Area::Quotes, Action::Edit) != crate::auth::Level::None
        && page
            .scope(Area::Quotes, Action::Edit)
            .await?
            .allows_record(owner, qid);
    let may_decide = approver || me.can(Permission::ManageSettings);
    Ok(Visible {
        status: Status::parse(&quote.status).unwrap_or(Status::Draft),
        quote,
        may_edit,
        may_decide,
    })
}

/// A visible quote the user may change, or 403.
pub(crate) async fn editable(page: &Page, id: i64) -> Result<Visible, AppError> {
    let v = visible(page, id).await?;
    if !v.may_edit {
        return Err(AppError::Forbidden);
    }
    Ok(v)
}

fn money(minor: i64) -> String {
    Money::from_minor(minor).to_string()
}

fn percent(h: i64) -> String {
    Percent::from_hundredths(h).to_string()
}

/// A quote with its amounts as display text.
fn quote_view(q: &Quote) -> Value {
    context! {
        subtotal => money(q.subtotal),
        discount => percent(q.discount),
        discount_amount => money(q.discount_amount),
        tax => money(q.tax),
        total => money(q.total),
        ..Value::from_serialize(q)
    }
}

/// Stored lines with display text.
fn line_views(lines: &[Line]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| {
            context! {
                quantity => Quantity::from_thousandths(l.quantity).to_string(),
                price => money(l.price),
                discount => percent(l.discount),
                tax_rate => percent(l.tax_rate),
                amount => money(l.amount),
                tax => money(l.tax),
                has_discount => l.discount > 0,
                ..Value::from_serialize(l)
            }
        })
        .collect()
}
