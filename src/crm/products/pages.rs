//! `/products`: the catalog list with its filters, and the product form.

use super::ProductInput;
use super::store::{self, Filter, Product};
use crate::auth::csrf::Form;
use crate::auth::{Action, Area, Level};
use crate::crm::quotes::calc::Percent;
use crate::crm::users::FieldErrors;
use crate::domain::Money;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::Deserialize;

const PAGE_SIZE: usize = 50;

/// Registers the catalog's routes (fixed paths before `{id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/products", web::get().to(list))
        .route("/products/new", web::get().to(new_form))
        .route("/products/new", web::post().to(create))
        .route("/products/{id}", web::get().to(edit_form))
        .route("/products/{id}", web::post().to(update))
        .route("/products/{id}/active", web::post().to(set_active));
}

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: Option<i64>,
}

/// The activate/deactivate form.
#[derive(Debug, Deserialize)]
pub struct ActiveInput {
    #[serde(default)]
    active: String,
}

/// A product as the list and form show it.
fn view(p: &Product) -> Value {
    context! {
        price => Money::from_minor(p.price).to_string(),
        tax_rate => Percent::from_hundredths(p.tax_rate).to_string(),
        ..Value::from_serialize(p)
    }
}

fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// `GET /products`: active products by default; `status=inactive|all`, a search on name
/// and SKU, keyset pages by name.
pub async fn list(page: Page, q: web::Query<ListParams>) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(Area::Products, Action::View)?;
    let can_create = me.level(Area::Products, Action::Create) != Level::None;
    let status = match q.status.as_str() {
        "inactive" | "all" => q.status.clone(),
        _ => "active".to_string(),
    };
    let search = q.q.trim().to_string();
    let filter = Filter {
        active: match status.as_str() {
            "active" => Some(true),
            "inactive" => Some(false),
            _ => None,
        },
        q: (!search.is_empty()).then(|| search.clone()),
        after: q.after,
        after_name: None,
    };
    let (rows, more) = page
        .state
        .db
        .read(move |c| Ok(store::list(c, &filter, PAGE_SIZE)?))
        .await?;
    let base =
        serde_urlencoded::to_string([("status", &status), ("q", &search)]).unwrap_or_default();
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(format!("/products?{base}&after={}", last.id)),
        _ => None,
    };
    let products: Vec<Value> = rows.iter().map(view).collect();
    let ctx = context! {
        products, status, q => search, next, paged => q.after.is_some(),
        first_page => format!("/products?{base}"), can_create, notice => page.notice(),
    };
    page.render("products/list.html", ctx)
}

fn render_form(
    page: &Page,
    product: Option<&Product>,
    input: &ProductInput,
    errors: &FieldErrors,
) -> Result<HttpResponse, AppError> {
    let can_edit = match product {
        Some(_) => page.user()?.level(Area::Products, Action::Edit) != Level::None,
        None => true,
    };
    let ctx = context! {
        product => product.map(view), input, errors, can_edit, notice => page.notice(),
    };
    page.render_form("products/form.html", ctx, errors.is_empty())
}

/// `GET /products/new`.
pub async fn new_form(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::Create)?;
    let input = ProductInput {
        tax_rate: "13".into(),
        ..ProductInput::default()
    };
    render_form(&page, None, &input, &FieldErrors::new())
}

/// `POST /products/new`.
pub async fn create(page: Page, Form(input): Form<ProductInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::Create)?;
    let valid = match input.validate() {
        Ok(v) => v,
        Err(errors) => return render_form(&page, None, &input, &errors),
    };
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| super::create(tx, &valid))
        .await;
    match result {
        Ok(id) => Ok(see_other(&format!("/products/{id}?notice=record_created"))),
        Err(AppError::Validation { fields, .. }) => render_form(&page, None, &input, &fields),
        Err(e) => Err(e),
    }
}

/// A product by id, or 404.
pub(crate) async fn load(page: &Page, id: i64) -> Result<Product, AppError> {
    page.state
        .db
        .read(move |c| Ok(store::get(c, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /products/{id}`: the edit form (read-only without the edit right).
pub async fn edit_form(page: Page, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::View)?;
    let product = load(&page, path_id(&path)?).await?;
    let input = ProductInput::from_product(&product);
    render_form(&page, Some(&product), &input, &FieldErrors::new())
}

/// `POST /products/{id}`: saves the form; a change made meanwhile by someone else is
/// refused with the form kept.
pub async fn update(
    page: Page,
    path: web::Path<String>,
    Form(input): Form<ProductInput>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::Edit)?;
    let id = path_id(&path)?;
    let product = load(&page, id).await?;
    let valid = match input.validate() {
        Ok(v) => v,
        Err(errors) => return render_form(&page, Some(&product), &input, &errors),
    };
    let version = input.version;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::update(tx, id, version, &valid)
        })
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/products/{id}?notice=saved"))),
        Err(AppError::Validation { fields, .. }) => {
            render_form(&page, Some(&product), &input, &fields)
        }
        Err(AppError::Conflict(key)) => {
            let errors = FieldErrors::from([("form".to_string(), key)]);
            render_form(&page, Some(&product), &input, &errors)
        }
        Err(e) => Err(e),
    }
}

/// `POST /products/{id}/active`: `active=0` deactivates, `active=1` puts it back.
pub async fn set_active(
    page: Page,
    path: web::Path<String>,
    Form(input): Form<ActiveInput>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Products, Action::Edit)?;
    let id = path_id(&path)?;
    let active = input.active == "1";
    if load(&page, id).await?.active == active {
        return Ok(see_other(&format!("/products/{id}")));
    }
    page.state
        .db
        .write(page.actor(), move |tx| super::set_active(tx, id, active))
        .await?;
    Ok(see_other(&format!("/products/{id}?notice=saved")))
}
