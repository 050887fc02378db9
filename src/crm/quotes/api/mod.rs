//! Quotes over the API (`/api/v1/quotes`): list and read in the same scope as the quotes
//! page (the manager asked to approve one sees it too), with their lines and totals as exact
//! decimal text computed by the quote arithmetic; create and change drafts through the
//! editor's checks and audited writes ([`write`]). The status — approval, sending, the
//! customer's answer — is read-only here: it moves through the steps on the quote page.

pub mod write;

use super::calc::{Percent, Quantity};
use super::flow;
use super::store::{self, Line, ListQuery, Quote};
use crate::auth::scope::Scope;
use crate::auth::{Action, Area};
use crate::crm::api::openapi::{Collection, Writes};
use crate::domain::Money;
use crate::error::AppError;
use crate::web::api::list::{ListRequest, Query, choice_filter, id_filter};
use crate::web::api::{self, path_id, with_etag};
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

const SORTS: &[&str] = &["created_at"];
const FILTERS: &[&str] = &["status", "deal_id"];

/// What `DELETE /api/v1/quotes/{id}` answers.
pub const NOT_DELETED: &str =
    "quotes are not deleted; a quote the customer turned down is declined on the quote page";

/// What the OpenAPI document says about `/api/v1/quotes`.
pub fn collection() -> Collection {
    let money = |d: &str| json!({"type": "string", "readOnly": true, "description": d});
    let statuses: Vec<&str> = super::Status::ALL.iter().map(|s| s.as_str()).collect();
    let line = json!({"type": "object", "properties": {
        "product_id": {"type": ["integer", "null"], "description": "a catalog product; blank SKU, name, unit, price and tax rate are copied from it"},
        "sku": {"type": "string", "maxLength": 40},
        "name": {"type": "string", "maxLength": 200},
        "unit": {"type": "string", "maxLength": 20},
        "quantity": {"type": "string", "description": "above 0, up to three decimals"},
        "price": {"type": "string", "description": "unit price, exact decimal"},
        "discount": {"type": "string", "description": "percent"},
        "tax_rate": {"type": "string", "description": "percent"},
        "amount": money("after the line's discount"),
        "overall_discount": money("the line's share of the quote's discount"),
        "tax": money("tax on what is left"),
    }});
    Collection {
        name: "quotes",
        properties: json!({
            "id": {"type": "integer", "readOnly": true},
            "version": {"type": "integer", "readOnly": true},
            "number": {"type": "string", "readOnly": true, "description": "Q-YEAR-NNNN"},
            "deal_id": {"type": "integer", "description": "set on create only"},
            "deal_name": {"type": "string", "readOnly": true},
            "company_id": {"type": "integer", "readOnly": true},
            "company_name": {"type": "string", "readOnly": true},
            "owner_id": {"type": ["integer", "null"], "readOnly": true, "description": "the deal's owner"},
            "owner_name": {"type": ["string", "null"], "readOnly": true},
            "status": {"type": "string", "enum": statuses, "readOnly": true, "description": "moved by the steps on the quote page; a change to a pending, approved or rejected quote puts it back to draft"},
            "needs_approval": {"type": "boolean", "readOnly": true, "description": "its largest discount is above the company's threshold"},
            "approver_id": {"type": ["integer", "null"], "readOnly": true},
            "approver_name": {"type": ["string", "null"], "readOnly": true},
            "currency": {"type": "string", "readOnly": true},
            "discount": {"type": "string", "description": "percent off the whole quote"},
            "valid_until": {"type": ["string", "null"], "format": "date"},
            "notes": {"type": "string", "maxLength": 4000},
            "lines": {"type": "array", "items": line, "maxItems": super::form::MAX_LINES, "description": "on change, the whole new list"},
            "subtotal": money("the lines' amounts"),
            "discount_amount": money("the quote's discount"),
            "tax": money("the lines' tax"),
            "total": money("subtotal - discount_amount + tax"),
            "created_at": {"type": "string", "format": "date-time", "readOnly": true},
            "updated_at": {"type": "string", "format": "date-time", "readOnly": true},
        }),
        required: vec!["deal_id"],
        filters: FILTERS.to_vec(),
        sorts: SORTS.to_vec(),
        writes: Writes::CREATE_CHANGE,
    }
}

fn money(minor: i64) -> String {
    Money::from_minor(minor).plain()
}

fn percent(h: i64) -> String {
    Percent::from_hundredths(h).to_string()
}

fn line_json(l: &Line) -> Value {
    json!({
        "product_id": l.product_id,
        "sku": l.sku,
        "name": l.name,
        "unit": l.unit,
        "quantity": Quantity::from_thousandths(l.quantity).to_string(),
        "price": money(l.price),
        "discount": percent(l.discount),
        "tax_rate": percent(l.tax_rate),
        "amount": money(l.amount),
        "overall_discount": money(l.overall_discount),
        "tax": money(l.tax),
    })
}

/// A quote with its lines as the API shows it.
fn to_json(q: &Quote, lines: &[Line], needs_approval: bool) -> Value {
    json!({
        "id": q.id,
        "version": q.version,
        "number": q.number,
        "deal_id": q.deal_id,
        "deal_name": q.deal_name,
        "company_id": q.company_id,
        "company_name": q.company_name,
        "owner_id": q.owner_id,
        "owner_name": q.owner_name,
        "status": q.status,
        "needs_approval": needs_approval,
        "approver_id": q.approver_id,
        "approver_name": q.approver_name,
        "currency": q.currency,
        "discount": percent(q.discount),
        "valid_until": q.valid_until,
        "notes": q.notes,
        "lines": lines.iter().map(line_json).collect::<Vec<_>>(),
        "subtotal": money(q.subtotal),
        "discount_amount": money(q.discount_amount),
        "tax": money(q.tax),
        "total": money(q.total),
        "created_at": q.created_at,
        "updated_at": q.updated_at,
    })
}

/// Quotes with their lines, as JSON.
async fn with_lines(page: &Page, quotes: Vec<Quote>) -> Result<Vec<Value>, AppError> {
    page.state
        .db
        .read(move |c| {
            quotes
                .iter()
                .map(|q| {
                    let lines = store::lines(c, q.id)?;
                    let needs = flow::needs_approval(c, q, &lines)?;
                    Ok(to_json(q, &lines, needs))
                })
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await
}

/// `GET /api/v1/quotes?status=&deal_id=`: newest first by default.
pub async fn list(page: Page, q: web::Query<Query>) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(Area::Quotes, Action::View)?;
    let me_id = me.id;
    let req = ListRequest::parse(&q, SORTS, "-created_at", FILTERS)?;
    let statuses: Vec<&str> = super::Status::ALL.iter().map(|s| s.as_str()).collect();
    let scope = page.scope(Area::Quotes, Action::View).await?;
    let query = ListQuery {
        status: choice_filter(&q, "status", &statuses)?,
        owners: scope.owners().map(<[i64]>::to_vec),
        shared: scope.shared().to_vec(),
        approver: (!matches!(scope, Scope::All)).then_some(me_id),
        awaiting: None,
        before: req.after.as_ref().map(|(_, id)| *id),
        deal: id_filter(&q, "deal_id")?,
        ascending: !req.desc,
    };
    let limit = req.limit;
    let (rows, more) = page
        .state
        .db
        .read(move |c| Ok(store::list(c, &query, limit)?))
        .await?;
    let next = req.next(more, rows.last().map(|q| (q.created_at.clone(), q.id)));
    Ok(api::page(with_lines(&page, rows).await?, next))
}

/// The quote as it is now, with its `ETag`, for answers.
async fn answer(page: &Page, id: i64) -> Result<(Value, i64), AppError> {
    let v = super::pages::visible(page, id).await?;
    let version = v.quote.version;
    let mut one = with_lines(page, vec![v.quote]).await?;
    Ok((one.pop().ok_or(AppError::NotFound)?, version))
}

/// `GET /api/v1/quotes/{id}`.
pub async fn get(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (json, version) = answer(&page, path_id(&id)?).await?;
    Ok(with_etag(api::ok(json), version))
}
