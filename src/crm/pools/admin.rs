//! `/admin/pools`: administrators add pools and change their rules.

use super::{FieldErrors, PoolInput, store};
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use std::collections::HashMap;

/// Renders the page; `failed` names the form that failed (`add` or a pool id) with its
/// input and errors, so it comes back as typed.
async fn render(
    page: &Page,
    failed: Option<(String, PoolInput, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    let (pools, departments, counts) = page
        .state
        .db
        .read_heavy(|c| {
            let mut counts = HashMap::new();
            for e in super::PoolEntity::ALL {
                counts.extend(store::counts(c, e)?);
            }
            let departments = crate::crm::departments::store::all(c)?;
            Ok((store::all(c)?, departments, counts))
        })
        .await?;
    let departments: Vec<Value> = crate::crm::departments::tree(&departments)
        .into_iter()
        .map(|n| context! { id => n.department.id, path => n.path })
        .collect();
    let ok = failed.is_none();
    let (form, input, errors) = failed.unwrap_or_default();
    let add = if form == "add" {
        input.clone()
    } else {
        PoolInput {
            entity: "leads".into(),
            days: "30".into(),
            claim_limit: "20".into(),
            active: "1".into(),
            ..PoolInput::default()
        }
    };
    let pools: Vec<Value> = pools
        .iter()
        .map(|p| {
            let count = counts.get(&p.id).copied().unwrap_or(0);
            let mine = form == p.id.to_string();
            let input = if mine {
                input.clone()
            } else {
                PoolInput::from_pool(p)
            };
            context! { count, input, ..Value::from_serialize(p) }
        })
        .collect();
    let ctx = context! {
        pools, departments, form, add, errors, notice => page.notice(),
        entities => super::PoolEntity::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
    };
    page.render_form("pools/admin.html", ctx, ok)
}

/// Turns a refused change into the page with the form as typed; anything else is an error.
async fn outcome(
    page: &Page,
    result: Result<(), AppError>,
    form: String,
    input: PoolInput,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => Ok(see_other("/admin/pools?notice=saved")),
        Err(AppError::Validation { fields, .. }) => render(page, Some((form, input, fields))).await,
        Err(AppError::Conflict(key)) => {
            render(
                page,
                Some((form, input, FieldErrors::from([("form".into(), key)]))),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `GET /admin/pools`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    render(&page, None).await
}

/// `POST /admin/pools`: adds a pool.
pub async fn create(page: Page, Form(input): Form<PoolInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let result = match input.validate() {
        Ok(v) => {
            page.state
                .db
                .write(page.actor(), move |tx| super::create(tx, &v).map(|_| ()))
                .await
        }
        Err(fields) => Err(AppError::Validation {
            message: String::new(),
            fields,
        }),
    };
    outcome(&page, result, "add".into(), input).await
}

/// `POST /admin/pools/{id}`: changes a pool's rules.
pub async fn update(
    page: Page,
    path: web::Path<String>,
    Form(input): Form<PoolInput>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let version = input.version;
    let result = match input.validate() {
        Ok(v) => {
            page.state
                .db
                .write(page.actor(), move |tx| super::update(tx, id, version, &v))
                .await
        }
        Err(fields) => Err(AppError::Validation {
            message: String::new(),
            fields,
        }),
    };
    outcome(&page, result, id.to_string(), input).await
}
