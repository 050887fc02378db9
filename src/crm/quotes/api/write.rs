//! Creating and changing quotes over the API: the body is read into the editor's form (lines
//! as rows), filled from the catalog and checked exactly as the editor does, then saved by
//! the same audited writes. Errors name `lines.N.FIELD`.

use super::super::form::{QuoteInput, RowInput};
use super::super::pages::edit::{catalog, quotable_deal};
use super::super::pages::{editable, visible};
use super::super::{Draft, store};
use super::answer;
use crate::auth::{Action, Area};
use crate::crm::users::FieldErrors;
use crate::error::AppError;
use crate::web::api::{self, JsonObject, body, path_id, with_etag};
use crate::web::page::Page;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

/// Header fields a client sets.
const FIELDS: &[&str] = &["discount", "valid_until", "notes", "lines"];
/// Set on create, or moved by the quote page's steps: may come back unchanged.
const FIXED: &[&str] = &["deal_id", "status"];
const READ_ONLY: &[&str] = &[
    "id",
    "version",
    "number",
    "deal_name",
    "company_id",
    "company_name",
    "owner_id",
    "owner_name",
    "needs_approval",
    "approver_id",
    "approver_name",
    "currency",
    "subtotal",
    "discount_amount",
    "tax",
    "total",
    "created_at",
    "updated_at",
];
const LINE_FIELDS: &[&str] = &[
    "product_id",
    "sku",
    "name",
    "unit",
    "quantity",
    "price",
    "discount",
    "tax_rate",
];
const LINE_READ_ONLY: &[&str] = &["amount", "overall_discount", "tax"];

/// A form field name as the API calls it: `line-2-price` is `lines.2.price`.
fn api_name(k: &str) -> String {
    if let Some(rest) = k.strip_prefix("line-")
        && let Some((i, f)) = rest.split_once('-')
    {
        return format!("lines.{i}.{f}");
    }
    match k {
        "deal" => "deal_id".into(),
        "form" => "lines".into(),
        other => other.into(),
    }
}

/// The body over the editor's form. Lines replace the form's rows; a line keeps a product
/// that is in `kept` (already on the quote) even if it is no longer offered.
fn overlay(input: &mut QuoteInput, b: &Map<String, Value>, kept: &[i64]) -> Result<(), AppError> {
    for (key, field) in [
        ("discount", &mut input.discount),
        ("valid_until", &mut input.valid_until),
        ("notes", &mut input.notes),
    ] {
        if let Some(v) = body::text(b, key)? {
            *field = v;
        }
    }
    let Some(lines) = b.get("lines") else {
        return Ok(());
    };
    let Value::Array(lines) = lines else {
        return Err(AppError::invalid("lines", "lines must be a list"));
    };
    input.rows = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let Value::Object(l) = line else {
            return Err(AppError::invalid(
                &format!("lines.{i}"),
                "a line must be an object",
            ));
        };
        body::check_keys(l, LINE_FIELDS, LINE_READ_ONLY)
            .map_err(|e| api::translated_fields(e, |k| format!("lines.{i}.{k}")))?;
        let text = |k: &str| {
            body::text(l, k)
                .map(Option::unwrap_or_default)
                .map_err(|e| api::translated_fields(e, |k| format!("lines.{i}.{k}")))
        };
        let product = body::id(l, "product_id")
            .map_err(|e| api::translated_fields(e, |k| format!("lines.{i}.{k}")))?;
        input.rows.push(RowInput {
            product: product.map(|p| p.to_string()).unwrap_or_default(),
            from: product
                .filter(|p| kept.contains(p))
                .map(|p| p.to_string())
                .unwrap_or_default(),
            sku: text("sku")?,
            name: text("name")?,
            unit: text("unit")?,
            quantity: text("quantity")?,
            price: text("price")?,
            discount: text("discount")?,
            tax_rate: text("tax_rate")?,
            remove: false,
        });
    }
    Ok(())
}

/// The draft of a form filled from the catalog, or the errors the editor would mark.
async fn checked(page: &Page, mut input: QuoteInput) -> Result<Draft, AppError> {
    let (_, map) = catalog(page, &input).await?;
    let mut errors = FieldErrors::new();
    input.fill_from_catalog(&map, &mut errors);
    let invalid = |errors| api::invalid(page, errors, api_name);
    match input.validate() {
        Ok((draft, _)) if errors.is_empty() => {
            draft
                .totals()
                .map_err(|e| api::translated(page, e, api_name))?;
            Ok(draft)
        }
        Ok(_) => Err(invalid(errors)),
        Err(more) => {
            errors.extend(more);
            Err(invalid(errors))
        }
    }
}

/// `POST /api/v1/quotes`: a draft for `deal_id`, numbered in this year, in the company's
/// currency.
pub async fn create(page: Page, JsonObject(b): JsonObject) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Quotes, Action::Create)?;
    body::check_keys(
        &b,
        &[FIELDS, &["deal_id"]].concat(),
        &[READ_ONLY, &["status"]].concat(),
    )?;
    let Some(deal_id) = body::id(&b, "deal_id")? else {
        return Err(AppError::invalid("deal_id", "the deal the quote is for"));
    };
    let deal = match quotable_deal(&page, Some(deal_id)).await {
        Err(AppError::NotFound) => Err(AppError::invalid(
            "deal_id",
            "no such deal, or not one you can see",
        )),
        other => other,
    }?;
    let mut input = QuoteInput::default();
    overlay(&mut input, &b, &[])?;
    let draft = checked(&page, input).await?;
    let company = page.state.company();
    let year = super::super::year_now(company.as_ref().map(|c| c.time_zone.as_str()));
    let currency = page.state.currency();
    let (id, _) = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::super::create(tx, deal.id, year, &currency, &draft)
        })
        .await
        .map_err(|e| api::translated(&page, e, api_name))?;
    let (json, version) = answer(&page, id).await?;
    let res = api::created(&format!("/api/v1/quotes/{id}"), json);
    Ok(with_etag(res, version))
}

/// `PATCH /api/v1/quotes/{id}`: header fields and the whole list of lines, at the version in
/// `If-Match`, while the quote is not yet sent (409 after). A pending, approved or rejected
/// quote goes back to draft, as in the editor.
pub async fn patch(
    req: HttpRequest,
    page: Page,
    id: web::Path<String>,
    JsonObject(b): JsonObject,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let v = visible(&page, id).await?;
    body::check_keys(&b, &[FIELDS, FIXED].concat(), READ_ONLY)?;
    let now = [
        ("deal_id", Value::from(v.quote.deal_id)),
        ("status", Value::from(v.quote.status.clone())),
    ];
    if let Some((k, _)) = now
        .iter()
        .find(|(k, cur)| b.get(*k).is_some_and(|x| x != cur))
    {
        return Err(AppError::invalid(
            k,
            "not changed here: a quote's deal is fixed and its status moves by the steps on the quote page",
        ));
    }
    let version = api::version(&req, &b)?;
    if version != v.quote.version {
        return Err(api::changed(version, v.quote.version));
    }
    let v = editable(&page, id).await?;
    if !v.status.editable() {
        return Err(AppError::Conflict(page.tr("quote.error.locked")));
    }
    let lines = page
        .state
        .db
        .read(move |c| Ok(store::lines(c, id)?))
        .await?;
    let kept: Vec<i64> = lines.iter().filter_map(|l| l.product_id).collect();
    let mut input = QuoteInput::from_quote(&v.quote, &lines);
    overlay(&mut input, &b, &kept)?;
    let draft = checked(&page, input).await?;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::super::update(tx, id, version, &draft)
        })
        .await;
    match result {
        Ok(()) => {}
        Err(AppError::Conflict(k)) if k == "quote.error.changed" => {
            let (_, now) = answer(&page, id).await?;
            return Err(api::changed(version, now));
        }
        Err(e) => return Err(api::translated(&page, e, api_name)),
    }
    let (json, version) = answer(&page, id).await?;
    Ok(with_etag(api::ok(json), version))
}
