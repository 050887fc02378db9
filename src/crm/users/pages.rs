//! Admin pages for users: list, create, edit, reset password, disable/enable.

use super::{FieldErrors, UserInput, store};
use crate::auth::csrf::Form;
use crate::auth::password::check_policy;
use crate::auth::{Permission, Role};
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

/// The role choices as (key, label, custom): the built-in roles, then custom ones by name.
async fn roles(page: &Page) -> Result<Vec<(String, String, bool)>, AppError> {
    let custom = page
        .state
        .db
        .read(|c| Ok(crate::crm::roles::store::list(c)?))
        .await?;
    let mut out: Vec<(String, String, bool)> = Role::ALL
        .iter()
        .map(|r| {
            let label = page.tr(&format!("role.{}", r.as_str()));
            (r.as_str().to_string(), label, false)
        })
        .collect();
    out.extend(custom.into_iter().map(|r| (r.key, r.name, true)));
    Ok(out)
}

/// `GET /admin/users`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let users = page
        .state
        .db
        .read(|c| {
            let rows = store::list(c)?;
            rows.into_iter()
                .map(|u| {
                    let sessions = crate::auth::store::count_for_user(c, u.id)?;
                    Ok((store::UserView::from(u), sessions))
                })
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await?;
    let users: Vec<_> = users
        .into_iter()
        .map(|(u, sessions)| context! { sessions => sessions, ..minijinja::Value::from_serialize(&u) })
        .collect();
    page.render(
        "users/list.html",
        context! { users, notice => page.notice() },
    )
}

/// `GET /admin/users/new`.
pub async fn new_form(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let input = UserInput {
        role: "sales".into(),
        ..Default::default()
    };
    page.render(
        "users/form.html",
        context! {
            input, errors => FieldErrors::new(), roles => roles(&page).await?, editing => false,
            min_password => page.state.config.security.min_password_length,
        },
    )
}

/// `POST /admin/users/new`.
pub async fn create(page: Page, Form(input): Form<UserInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let min = page.state.config.security.min_password_length;
    let role_choices = roles(&page).await?;
    let invalid = |errors: FieldErrors, input: &UserInput| {
        page.render_invalid(
            "users/form.html",
            context! { input, errors, roles => &role_choices, editing => false, min_password => min },
        )
    };
    let mut errors = FieldErrors::new();
    let valid = input.validate().map_err(|e| errors.extend(e)).ok();
    if let Err(w) = check_policy(&input.password, min, &[&input.email, &input.name]) {
        errors.insert("password".into(), w.message_key().into());
    }
    let Some(valid) = valid.filter(|_| errors.is_empty()) else {
        return invalid(errors, &input);
    };
    let hash = page.state.hasher.hash(input.password.clone()).await?;
    let created = page
        .state
        .db
        .write(page.actor(), move |tx| super::create(tx, &valid, &hash))
        .await;
    match created {
        Ok(_) => Ok(see_other("/admin/users?notice=user_created")),
        Err(AppError::Validation { fields, .. }) => invalid(fields, &input),
        Err(e) => Err(e),
    }
}

fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

pub(crate) async fn edit_page(
    page: &Page,
    id: i64,
    input: Option<UserInput>,
    errors: FieldErrors,
    status_ok: bool,
) -> Result<HttpResponse, AppError> {
    let (user, holdings, colleagues) = page
        .state
        .db
        .read_heavy(move |c| {
            Ok((
                store::get(c, id)?,
                crate::crm::offboarding::store::holdings(c, id)?,
                store::active_names(c)?,
            ))
        })
        .await?;
    let user = store::UserView::from(user);
    let colleagues: Vec<(i64, String)> = colleagues.into_iter().filter(|c| c.0 != id).collect();
    let input = input.unwrap_or_else(|| UserInput {
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role.as_str().into(),
        language: user.language.clone().unwrap_or_default(),
        password: String::new(),
        version: user.version,
    });
    let ctx = context! {
        input, errors, member => user, roles => roles(page).await?, editing => true, holdings, colleagues,
        min_password => page.state.config.security.min_password_length,
        notice => page.notice(),
    };
    page.render_form("users/form.html", ctx, status_ok)
}

/// `GET /admin/users/{id}`.
pub async fn edit_form(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    edit_page(&page, path_id(&id)?, None, FieldErrors::new(), true).await
}

/// `POST /admin/users/{id}`.
pub async fn update(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<UserInput>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let id = path_id(&id)?;
    // The email is the sign-in name and stays as created.
    let current = page.state.db.read(move |c| Ok(store::get(c, id)?)).await?;
    let mut input = input;
    input.email = current.email;
    let valid = match input.validate() {
        Ok(v) => v,
        Err(errors) => return edit_page(&page, id, Some(input), errors, false).await,
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
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}?notice=saved"))),
        Err(AppError::Validation { fields, .. }) => {
            edit_page(&page, id, Some(input), fields, false).await
        }
        Err(AppError::Conflict(_)) => {
            let errors =
                FieldErrors::from([("form".to_string(), "users.error.changed".to_string())]);
            edit_page(&page, id, None, errors, false).await
        }
        Err(e) => Err(e),
    }
}

/// The password reset form.
#[derive(Deserialize)]
pub struct PasswordInput {
    #[serde(default)]
    password: String,
}

/// `POST /admin/users/{id}/password`: sets a new password and signs the user out everywhere.
pub async fn reset_password(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<PasswordInput>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageUsers)?;
    let id = path_id(&id)?;
    let user = page.state.db.read(move |c| Ok(store::get(c, id)?)).await?;
    let min = page.state.config.security.min_password_length;
    if let Err(w) = check_policy(&input.password, min, &[&user.email, &user.name]) {
        let errors = FieldErrors::from([("password".to_string(), w.message_key().to_string())]);
        return edit_page(&page, id, None, errors, false).await;
    }
    let hash = page.state.hasher.hash(input.password).await?;
    page.state
        .db
        .write(page.actor(), move |tx| {
            super::set_password(tx, id, &hash, None)
        })
        .await?;
    Ok(see_other(&format!(
        "/admin/users/{id}?notice=password_reset"
    )))
}

/// The disable/enable form.
#[derive(Deserialize)]
pub struct StatusInput {
    #[serde(default)]
    action: String,
}

/// `POST /admin/users/{id}/status`: disable (ends all sessions at once) or enable.
pub async fn set_status(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<StatusInput>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require(Permission::ManageUsers)?;
    let id = path_id(&id)?;
    let by = Some(me.id);
    let disable = match input.action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(AppError::invalid("action", "users.error.action")),
    };
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            if disable {
                super::disable(tx, id, by)
            } else {
                super::enable(tx, id)
            }
        })
        .await;
    match result {
        Ok(()) => {
            let notice = if disable {
                "user_disabled"
            } else {
                "user_enabled"
            };
            Ok(see_other(&format!("/admin/users/{id}?notice={notice}")))
        }
        Err(AppError::Validation { fields, .. }) => edit_page(&page, id, None, fields, false).await,
        Err(e) => Err(e),
    }
}
