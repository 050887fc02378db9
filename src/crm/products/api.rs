//! The product catalog over the API (`/api/v1/products`): list by name, read, add, change
//! at a version, and `DELETE` as the catalog page's "deactivate" (products are never
//! deleted: old quotes point at them). Prices are exact decimal text, tax rates percent
//! text, as the forms take them; the rights are the catalog page's.

use super::pages::load;
use super::store::{self, Filter, Product};
use super::{ProductInput, ValidProduct};
use crate::auth::{Action, Area};
use crate::crm::api::openapi::{Collection, Writes};
use crate::crm::quotes::calc::Percent;
use crate::domain::Money;
use crate::error::AppError;
use crate::web::api::list::{ListRequest, Query, bool_filter};
use crate::web::api::{self, JsonObject, body, path_id, with_etag};
use crate::web::page::Page;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

const SORTS: &[&str] = &["name"];
const FILTERS: &[&str] = &["active"];
/// Catalog fields a client sets, as the product form names them.
const FIELDS: &[&str] = &["sku", "name", "unit", "price", "tax_rate"];
const READ_ONLY: &[&str] = &["id", "version"];

/// What the OpenAPI document says about `/api/v1/products`.
pub fn collection() -> Collection {
    Collection {
        name: "products",
        properties: json!({
            "id": {"type": "integer", "readOnly": true},
            "version": {"type": "integer", "readOnly": true},
            "sku": {"type": "string", "maxLength": 40, "description": "unique, ignoring case"},
            "name": {"type": "string", "maxLength": 200},
            "unit": {"type": "string", "maxLength": 20},
            "price": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,2})?$", "description": "list price, exact decimal; a number is accepted on input"},
            "tax_rate": {"type": "string", "description": "percent, 0 to 100 with up to two decimals (\"13\", \"6.5\")"},
            "active": {"type": "boolean", "description": "offered on new quote lines; DELETE sets it to false"},
        }),
        required: vec!["sku", "name", "price"],
        filters: FILTERS.to_vec(),
        sorts: SORTS.to_vec(),
        writes: Writes {
            create: true,
            update: true,
            delete: Some("deactivated: taken off new quote lines, kept for the quotes that use it"),
            duplicates: false,
        },
    }
}

/// A product as the API shows it.
fn to_json(p: &Product) -> Value {
    json!({
        "id": p.id,
        "version": p.version,
        "sku": p.sku,
        "name": p.name,
        "unit": p.unit,
        "price": Money::from_minor(p.price).plain(),
        "tax_rate": Percent::from_hundredths(p.tax_rate).to_string(),
        "active": p.active,
    })
}

/// The product form with the body's fields over `base`.
fn overlay(base: ProductInput, b: &Map<String, Value>) -> Result<ProductInput, AppError> {
    let mut input = base;
    for (key, field) in [
        ("sku", &mut input.sku),
        ("name", &mut input.name),
        ("unit", &mut input.unit),
        ("price", &mut input.price),
        ("tax_rate", &mut input.tax_rate),
    ] {
        if let Some(v) = body::text(b, key)? {
            *field = v;
        }
    }
    Ok(input)
}

fn validate(page: &Page, input: &ProductInput) -> Result<ValidProduct, AppError> {
    input
        .validate()
        .map_err(|errors| api::invalid(page, errors, str::to_string))
}

/// The product as it is now, with its `ETag`, in the answer `res` makes of it.
async fn answer(
    page: &Page,
    id: i64,
    res: impl FnOnce(Value) -> HttpResponse,
) -> Result<HttpResponse, AppError> {
    let p = load(page, id).await?;
    Ok(with_etag(res(to_json(&p)), p.version))
}

/// `GET /api/v1/products?q=&active=&sort=name`: `q` is part of the name or SKU.
pub async fn list(page: Page, q: web::Query<Query>) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::View)?;
    let req = ListRequest::parse(&q, SORTS, "name", FILTERS)?;
    let (after_name, after) = req.after.clone().unzip();
    let filter = Filter {
        active: bool_filter(&q, "active")?,
        q: req.q.clone(),
        after,
        after_name,
    };
    let limit = req.limit;
    let (rows, more) = page
        .state
        .db
        .read(move |c| Ok(store::list(c, &filter, limit)?))
        .await?;
    let next = req.next(more, rows.last().map(|p| (p.name.clone(), p.id)));
    Ok(api::page(rows.iter().map(to_json).collect(), next))
}

/// `GET /api/v1/products/{id}`.
pub async fn get(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::View)?;
    answer(&page, path_id(&id)?, api::ok).await
}

/// `POST /api/v1/products`: a new, active product.
pub async fn create(page: Page, JsonObject(b): JsonObject) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::Create)?;
    body::check_keys(&b, FIELDS, READ_ONLY)?;
    let valid = validate(&page, &overlay(ProductInput::default(), &b)?)?;
    let id = page
        .state
        .db
        .write(page.actor(), move |tx| super::create(tx, &valid))
        .await
        .map_err(|e| api::translated(&page, e, str::to_string))?;
    let location = format!("/api/v1/products/{id}");
    answer(&page, id, move |v| api::created(&location, v)).await
}

/// `PATCH /api/v1/products/{id}`: the fields sent change, the others stay; `active`
/// deactivates or reactivates it, in the same transaction.
pub async fn patch(
    req: HttpRequest,
    page: Page,
    id: web::Path<String>,
    JsonObject(b): JsonObject,
) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::Edit)?;
    let id = path_id(&id)?;
    let current = load(&page, id).await?;
    body::check_keys(&b, &[FIELDS, &["active"]].concat(), READ_ONLY)?;
    let version = api::version(&req, &b)?;
    if version != current.version {
        return Err(api::changed(version, current.version));
    }
    let active = body::boolean(&b, "active")?;
    let fields = FIELDS.iter().any(|f| b.contains_key(*f));
    let valid = validate(&page, &overlay(ProductInput::from_product(&current), &b)?)?;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            if fields {
                super::update(tx, id, version, &valid)?;
            } else if store::get(tx.conn(), id)?.map(|p| p.version) != Some(version) {
                return Err(AppError::Conflict("product.error.changed".into()));
            }
            match active {
                Some(a) if a != current.active => super::set_active(tx, id, a),
                _ => Ok(()),
            }
        })
        .await;
    if let Err(e) = result {
        return Err(match e {
            AppError::Conflict(k) if k == "product.error.changed" => {
                api::changed(version, load(&page, id).await?.version)
            }
            e => api::translated(&page, e, str::to_string),
        });
    }
    answer(&page, id, api::ok).await
}

/// `DELETE /api/v1/products/{id}`: deactivates it, as the catalog page does (which needs
/// the right to edit the catalog).
pub async fn delete(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::Edit)?;
    let id = path_id(&id)?;
    if load(&page, id).await?.active {
        page.state
            .db
            .write(page.actor(), move |tx| super::set_active(tx, id, false))
            .await?;
    }
    Ok(api::no_content())
}
