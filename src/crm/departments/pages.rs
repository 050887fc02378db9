//! `/admin/departments`: administrators edit the department tree and place people in it.

use super::store;
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::crm::users::FieldErrors;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

/// The department form (add, or rename/move one).
#[derive(Deserialize, Serialize, Default)]
pub struct DepartmentInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    version: i64,
}

/// The placement form: a user, their department and their manager.
#[derive(Deserialize, Serialize, Default)]
pub struct PlaceInput {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    manager_id: String,
}

fn id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

/// Renders the page; `failed` names the form that failed (`add`, a department id, or
/// `place`) with its input and errors so it comes back as typed.
async fn render(
    page: &Page,
    failed: Option<(String, Value, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    let (all, members) = page
        .state
        .db
        .read(|c| Ok((store::all(c)?, store::members(c)?)))
        .await?;
    let nodes: Vec<Value> = super::tree(&all)
        .into_iter()
        .map(|n| {
            let here: Vec<&store::Member> = members
                .iter()
                .filter(|m| m.department_id == Some(n.department.id))
                .collect();
            context! { members => here, ..Value::from_serialize(&n) }
        })
        .collect();
    let unplaced: Vec<&store::Member> = members
        .iter()
        .filter(|m| m.department_id.is_none())
        .collect();
    let ok = failed.is_none();
    let (form, input, errors) = failed.unwrap_or_default();
    let ctx = context! {
        nodes, unplaced, members, form, input, errors, notice => page.notice(),
    };
    page.render_form("departments/admin.html", ctx, ok)
}

/// Turns a refused change into the page with the form as typed; anything else is an error.
async fn outcome(
    page: &Page,
    result: Result<(), AppError>,
    form: String,
    input: Value,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => Ok(see_other("/admin/departments?notice=saved")),
        Err(AppError::Validation { fields, .. }) => render(page, Some((form, input, fields))).await,
        Err(AppError::Conflict(key)) => {
            render(
                page,
                Some((form, input, FieldErrors::from([("name".into(), key)]))),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `GET /admin/departments`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    render(&page, None).await
}

/// `POST /admin/departments`: adds a department.
pub async fn add(page: Page, Form(input): Form<DepartmentInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let (name, parent) = (input.name.clone(), id(&input.parent_id));
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::create(tx, &name, parent).map(|_| ())
        })
        .await;
    outcome(&page, result, "add".into(), Value::from_serialize(&input)).await
}

/// `POST /admin/departments/{id}`: renames or moves a department.
pub async fn update(
    page: Page,
    path: web::Path<String>,
    Form(input): Form<DepartmentInput>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let dept = id(&path).ok_or(AppError::NotFound)?;
    let (name, parent, version) = (input.name.clone(), id(&input.parent_id), input.version);
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::update(tx, dept, version, &name, parent)
        })
        .await;
    outcome(
        &page,
        result,
        dept.to_string(),
        Value::from_serialize(&input),
    )
    .await
}

/// `POST /admin/departments/{id}/delete`: only an empty department.
pub async fn delete(
    page: Page,
    path: web::Path<String>,
    Form(_): Form<crate::auth::pages::Empty>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let dept = id(&path).ok_or(AppError::NotFound)?;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| super::delete(tx, dept))
        .await;
    outcome(&page, result, dept.to_string(), context! {}).await
}

/// `POST /admin/departments/place`: sets a user's department and manager.
pub async fn place(page: Page, Form(input): Form<PlaceInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let user = id(&input.user_id);
    let (dept, manager) = (id(&input.department_id), id(&input.manager_id));
    let result = match user {
        None => Err(AppError::invalid("user_id", "departments.error.user")),
        Some(user) => {
            page.state
                .db
                .write(page.actor(), move |tx| {
                    super::place(tx, user, dept, manager)
                })
                .await
        }
    };
    outcome(&page, result, "place".into(), Value::from_serialize(&input)).await
}
