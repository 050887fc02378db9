//! `/admin/roles`: the built-in roles to read and copy, and custom roles to edit.

use super::store;
use crate::auth::csrf::Form;
use crate::auth::{Access, Area, Permission, Role};
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::HashMap;

type Params = HashMap<String, String>;

/// The fields of an area a rule can be put on: every field but the name, then custom
/// fields (`custom.KEY`), as (name, label or `None` for a catalog label).
fn rule_fields(
    conn: &rusqlite::Connection,
    area: Area,
) -> Result<Vec<(String, Option<String>)>, AppError> {
    let Some(entity) = crate::crm::records::entity_for(area) else {
        return Ok(vec![]);
    };
    let mut out: Vec<(String, Option<String>)> = entity
        .fields
        .iter()
        .filter(|f| f.name != "name")
        .map(|f| (f.name.to_string(), None))
        .collect();
    for f in crate::crm::fields::store::for_entity(conn, entity.table)? {
        out.push((format!("custom.{}", f.key), Some(f.label)));
    }
    Ok(out)
}

/// The editor's matrix for an access, as templates see it.
fn matrix(conn: &rusqlite::Connection, access: &Access) -> Result<Vec<Value>, AppError> {
    let mut areas = Vec::new();
    for area in Area::ALL.into_iter().filter(|a| a.available()) {
        let cells: Vec<Value> = super::actions(area)
            .iter()
            .map(|a| context! { action => a.as_str(), level => access.level(area, *a).as_str() })
            .collect();
        let fields: Vec<Value> = rule_fields(conn, area)?
            .into_iter()
            .map(|(name, label)| {
                let rule = access.rule(area, &name).map(|r| r.as_str());
                context! { name, label, rule }
            })
            .collect();
        let levels: Vec<&str> = super::levels(area).iter().map(|l| l.as_str()).collect();
        areas.push(context! { area => area.as_str(), cells, fields, levels });
    }
    Ok(areas)
}

/// `GET /admin/roles`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let (custom, counts) = page
        .state
        .db
        .read(|c| Ok((store::list(c)?, store::user_counts(c)?)))
        .await?;
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    let count = |k: &str| counts.get(k).copied().unwrap_or(0);
    let built_in: Vec<Value> = Role::ALL
        .iter()
        .map(|r| context! { key => r.as_str(), users => count(r.as_str()) })
        .collect();
    let custom: Vec<Value> = custom
        .iter()
        .map(|r| context! { users => count(&r.key), ..Value::from_serialize(r) })
        .collect();
    page.render(
        "roles/list.html",
        context! { built_in, custom, notice => page.notice() },
    )
}

struct Editor {
    key: Option<String>,
    based_on: String,
    name: String,
    version: i64,
    access: Access,
    built_in: bool,
    errors: super::FieldErrors,
}

async fn render(page: &Page, e: Editor, fresh: bool) -> Result<HttpResponse, AppError> {
    let access = e.access.clone();
    let based = e.based_on.clone();
    let (areas, based_on_name) = page
        .state
        .db
        .read(move |c| {
            let name = match Role::parse(&based) {
                Some(_) => None,
                None => store::find(c, &based)?.map(|r| r.name),
            };
            Ok((matrix(c, &access)?, name))
        })
        .await?;
    let based_on_name = based_on_name.unwrap_or_else(|| page.tr(&format!("role.{}", e.based_on)));
    let ctx = context! {
        key => e.key, based_on => e.based_on, name => e.name, version => e.version,
        built_in => e.built_in, errors => e.errors, areas, based_on_name,
        notice => page.notice(),
    };
    page.render_form("roles/edit.html", ctx, fresh)
}

/// Which role a new one is copied from.
#[derive(Deserialize)]
pub struct FromQuery {
    #[serde(default)]
    from: String,
}

/// `GET /admin/roles/new?from=KEY`: the editor, filled in from the role being copied.
pub async fn new_form(page: Page, q: web::Query<FromQuery>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let from = q.into_inner().from;
    let key = from.clone();
    let access = page
        .state
        .db
        .read(move |c| super::access_of(c, &key))
        .await?
        .ok_or(AppError::NotFound)?;
    let e = Editor {
        key: None,
        based_on: from,
        name: String::new(),
        version: 0,
        access,
        built_in: false,
        errors: Default::default(),
    };
    render(&page, e, true).await
}

async fn parse(
    page: &Page,
    form: Params,
    start: Access,
) -> Result<Result<(String, Access), (super::FieldErrors, Access)>, AppError> {
    page.state
        .db
        .read(move |c| {
            let mut fields: HashMap<Area, Vec<String>> = HashMap::new();
            for area in Area::ALL {
                fields.insert(
                    area,
                    rule_fields(c, area)?.into_iter().map(|f| f.0).collect(),
                );
            }
            let lookup = |a: Area| fields.get(&a).cloned().unwrap_or_default();
            Ok(super::parse(&form, &start, &lookup))
        })
        .await
}

/// `POST /admin/roles/new`.
pub async fn create(page: Page, Form(form): Form<Params>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let based_on = form.get("based_on").cloned().unwrap_or_default();
    let key = based_on.clone();
    let start = page
        .state
        .db
        .read(move |c| super::access_of(c, &key))
        .await?
        .ok_or(AppError::NotFound)?;
    let editor = |name: String, access: Access, errors| Editor {
        key: None,
        based_on: based_on.clone(),
        name,
        version: 0,
        access,
        built_in: false,
        errors,
    };
    let (name, access) = match parse(&page, form.clone(), start).await? {
        Ok(v) => v,
        Err((errors, access)) => {
            let name = form.get("name").cloned().unwrap_or_default();
            return render(&page, editor(name, access, errors), false).await;
        }
    };
    let (n, a, b) = (name.clone(), access.clone(), based_on.clone());
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| super::create(tx, &n, &b, &a))
        .await;
    match result {
        Ok(key) => Ok(see_other(&format!("/admin/roles/{key}?notice=saved"))),
        Err(AppError::Validation { fields: errors, .. }) => {
            render(&page, editor(name, access, errors), false).await
        }
        Err(other) => Err(other),
    }
}

/// A custom role by key, or 404.
async fn custom_role(page: &Page, key: &str) -> Result<store::RoleRow, AppError> {
    let k = key.to_string();
    page.state
        .db
        .read(move |c| Ok(store::find(c, &k)?))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/roles/{key}`: a built-in role to read (and copy), a custom one to edit.
pub async fn show(page: Page, key: web::Path<String>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let key = key.into_inner();
    if let Some(role) = Role::parse(&key) {
        let e = Editor {
            key: Some(key.clone()),
            based_on: key,
            name: String::new(),
            version: 0,
            access: Access::built_in(role),
            built_in: true,
            errors: Default::default(),
        };
        return render(&page, e, true).await;
    }
    let row = custom_role(&page, &key).await?;
    let e = Editor {
        key: Some(key),
        based_on: row.based_on,
        name: row.name,
        version: row.version,
        access: row.access,
        built_in: false,
        errors: Default::default(),
    };
    render(&page, e, true).await
}

/// `POST /admin/roles/{key}`: saves a custom role.
pub async fn update(
    page: Page,
    key: web::Path<String>,
    Form(form): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let key = key.into_inner();
    let row = custom_role(&page, &key).await?;
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let typed_name = form.get("name").cloned().unwrap_or_default();
    let editor = |access: Access, errors| Editor {
        key: Some(key.clone()),
        based_on: row.based_on.clone(),
        name: typed_name.clone(),
        version,
        access,
        built_in: false,
        errors,
    };
    let (name, access) = match parse(&page, form.clone(), row.access.clone()).await? {
        Ok(v) => v,
        Err((errors, access)) => return render(&page, editor(access, errors), false).await,
    };
    let (k, n, a) = (key.clone(), name, access.clone());
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::update(tx, &k, version, &n, &a)
        })
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/roles/{key}?notice=saved"))),
        Err(AppError::Validation { fields: errors, .. }) => {
            render(&page, editor(access, errors), false).await
        }
        Err(AppError::Conflict(msg)) => {
            let mut errors = super::FieldErrors::new();
            errors.insert("version".into(), msg);
            let mut res = render(&page, editor(access, errors), false).await?;
            *res.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(res)
        }
        Err(other) => Err(other),
    }
}

/// `POST /admin/roles/{key}/delete`.
pub async fn delete(
    page: Page,
    key: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let key = key.into_inner();
    let k = key.clone();
    match page
        .state
        .db
        .write(page.actor(), move |tx| super::delete(tx, &k))
        .await
    {
        Ok(()) => Ok(see_other("/admin/roles?notice=deleted")),
        Err(AppError::Validation { .. }) => {
            Ok(see_other(&format!("/admin/roles/{key}?notice=role_in_use")))
        }
        Err(other) => Err(other),
    }
}
