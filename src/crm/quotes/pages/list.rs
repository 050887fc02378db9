//! `GET /quotes`: the quotes in the user's scope, newest first, by status, in keyset pages.

use super::super::Status;
use super::super::store::{self, ListQuery};
use super::quote_view;
use crate::auth::scope::Scope;
use crate::auth::{Action, Area, Level, Permission};
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::Deserialize;

const PAGE_SIZE: usize = 50;

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// A status name, or `awaiting` for quotes waiting for the user's approval.
    #[serde(default)]
    status: String,
    /// Quotes older than this id.
    #[serde(default)]
    before: Option<i64>,
}

/// `GET /quotes`.
pub async fn list(page: Page, q: web::Query<ListParams>) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(Area::Quotes, Action::View)?;
    let me_id = me.id;
    let can_create = me.level(Area::Quotes, Action::Create) != Level::None;
    let is_admin = me.can(Permission::ManageSettings);
    let scope = page.scope(Area::Quotes, Action::View).await?;
    let status = Status::parse(&q.status).map(|s| s.as_str().to_string());
    let awaiting = q.status == "awaiting";
    let query = ListQuery {
        status: status.clone(),
        owners: scope.owners().map(<[i64]>::to_vec),
        shared: scope.shared().to_vec(),
        approver: (!matches!(scope, Scope::All)).then_some(me_id),
        awaiting: awaiting.then_some(me_id),
        before: q.before,
        deal: None,
        ascending: false,
    };
    let (rows, more) = page
        .state
        .db
        .read(move |c| Ok(store::list(c, &query, PAGE_SIZE)?))
        .await?;
    let filter = if awaiting {
        "awaiting".to_string()
    } else {
        status.unwrap_or_default()
    };
    let base = format!("/quotes?status={filter}");
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(format!("{base}&before={}", last.id)),
        _ => None,
    };
    let quotes: Vec<Value> = rows.iter().map(quote_view).collect();
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let ctx = context! {
        quotes, statuses, filter, next, paged => q.before.is_some(), first_page => base,
        can_create, is_admin, notice => page.notice(),
    };
    page.render("quotes/list.html", ctx)
}
