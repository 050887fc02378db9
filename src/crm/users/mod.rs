//! Users: who can sign in, with what role. Creating, editing, disabling and password
//! changes all go through the write path here, used by both the admin pages and the CLI.

pub mod account;
pub mod api;
pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::auth::{Role, store as sessions};
use crate::crm::roles::store as roles;
use crate::db::Tx;
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::domain::Email;

/// The user form as submitted; kept to show back when invalid.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct UserInput {
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Role name.
    #[serde(default)]
    pub role: String,
    /// Language code or empty.
    #[serde(default)]
    pub language: String,
    /// Initial password (new users only); never echoed back.
    #[serde(default, skip_serializing)]
    pub password: String,
    /// Version the form was loaded at (edits only).
    #[serde(default)]
    pub version: i64,
}

/// A validated user form.
#[derive(Debug, Clone)]
pub struct ValidUser {
    /// Email.
    pub email: Email,
    /// Name.
    pub name: String,
    /// Role key: a built-in role's name or a custom role's key (checked on save).
    pub role: String,
    /// Language or none.
    pub language: Option<String>,
}

/// Field name to i18n key of the problem.
pub type FieldErrors = BTreeMap<String, String>;

impl UserInput {
    /// Validates the fields shared by create and edit.
    pub fn validate(&self) -> Result<ValidUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(&self.email).map_err(|k| errors.insert("email".into(), k.into()));
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.insert("name".into(), "users.error.name".into());
        }
        let role = Some(self.role.trim().to_string())
            .filter(|r| Role::parse(r).is_some() || crate::crm::roles::is_custom_key(r));
        if role.is_none() {
            errors.insert("role".into(), "users.error.role".into());
        }
        let language = match self.language.as_str() {
            "" => None,
            l if crate::web::i18n::Lang::parse(l).is_some() => Some(l.to_string()),
            _ => {
                errors.insert("language".into(), "users.error.language".into());
                None
            }
        };
        match (email, role) {
            (Ok(email), Some(role)) if errors.is_empty() => Ok(ValidUser {
                email,
                name: name.to_string(),
                role,
                language,
            }),
            _ => Err(errors),
        }
    }
}

/// Creates a user with an already-hashed password.
pub fn create(tx: &mut Tx<'_>, u: &ValidUser, password_hash: &str) -> Result<i64, AppError> {
    if store::find_by_email(tx.conn(), u.email.as_str())?.is_some() {
        return Err(AppError::invalid("email", "users.error.email_taken"));
    }
    known_role(tx, &u.role)?;
    let id = store::insert(
        tx.conn(),
        u.email.as_str(),
        &u.name,
        &u.role,
        password_hash,
        u.language.as_deref(),
    )?;
    tx.audit(
        Event::new("user.create")
            .entity("user", id)
            .change("email", None::<String>, u.email.as_str())
            .change("name", None::<String>, u.name.as_str())
            .change("role", None::<String>, u.role.as_str())
            .change("language", None::<String>, u.language.clone()),
    )?;
    Ok(id)
}

/// Refuses a role that does not exist (a custom role deleted meanwhile).
fn known_role(tx: &Tx<'_>, role: &str) -> Result<(), AppError> {
    if Role::parse(role).is_some() || roles::find(tx.conn(), role)?.is_some() {
        Ok(())
    } else {
        Err(AppError::invalid("role", "users.error.role"))
    }
}

/// Refuses a change that would leave no active administrator.
fn keep_an_admin(tx: &Tx<'_>, user: &store::UserRow) -> Result<(), AppError> {
    if user.role == Role::Admin.as_str()
        && user.disabled_at.is_none()
        && store::count_admins(tx.conn())? <= 1
    {
        return Err(AppError::invalid("role", "users.error.last_admin"));
    }
    Ok(())
}

/// Edits name, role and language, refusing to overwrite a newer version.
pub fn update(tx: &mut Tx<'_>, id: i64, version: i64, u: &ValidUser) -> Result<(), AppError> {
    let old = store::get(tx.conn(), id)?;
    if old.role != u.role {
        known_role(tx, &u.role)?;
        keep_an_admin(tx, &old)?;
    }
    if store::update(
        tx.conn(),
        id,
        version,
        &u.name,
        &u.role,
        u.language.as_deref(),
    )? == 0
    {
        return Err(AppError::Conflict("users.error.changed".into()));
    }
    tx.audit(
        Event::new("user.update")
            .entity("user", id)
            .change("name", old.name, u.name.as_str())
            .change("role", old.role.as_str(), u.role.as_str())
            .change("language", old.language, u.language.clone()),
    )?;
    Ok(())
}

/// Sets a new password and ends the user's sessions except `keep` (the session making
/// the change, when users change their own password).
pub fn set_password(
    tx: &mut Tx<'_>,
    id: i64,
    password_hash: &str,
    keep: Option<&str>,
) -> Result<(), AppError> {
    store::get(tx.conn(), id)?;
    store::set_password(tx.conn(), id, password_hash)?;
    let ended = match keep {
        Some(current) => sessions::delete_others_for_user(tx.conn(), id, current)?,
        None => sessions::delete_for_user(tx.conn(), id)?,
    };
    tx.audit(
        Event::new("user.password_change")
            .entity("user", id)
            .secret_changed("password")
            .change("sessions_ended", 0, ended as i64),
    )?;
    Ok(())
}

/// Disables a user and ends all their sessions at once; `by` may not disable themself.
pub fn disable(tx: &mut Tx<'_>, id: i64, by: Option<i64>) -> Result<(), AppError> {
    let user = store::get(tx.conn(), id)?;
    if by == Some(id) {
        return Err(AppError::invalid("status", "users.error.disable_self"));
    }
    if user.disabled_at.is_some() {
        return Ok(());
    }
    keep_an_admin(tx, &user)?;
    let now = crate::db::now();
    store::set_disabled(tx.conn(), id, Some(&now))?;
    let ended = sessions::delete_for_user(tx.conn(), id)?;
    let revoked = crate::crm::tokens::store::revoke_all(tx.conn(), id, &now)?;
    tx.audit(
        Event::new("user.disable")
            .entity("user", id)
            .change("disabled_at", None::<String>, now)
            .change("sessions_ended", 0, ended as i64)
            .change("tokens_revoked", 0, revoked as i64),
    )?;
    Ok(())
}

/// Enables a disabled user again.
pub fn enable(tx: &mut Tx<'_>, id: i64) -> Result<(), AppError> {
    let user = store::get(tx.conn(), id)?;
    if user.disabled_at.is_none() {
        return Ok(());
    }
    store::set_disabled(tx.conn(), id, None)?;
    tx.audit(Event::new("user.enable").entity("user", id).change(
        "disabled_at",
        user.disabled_at,
        None::<String>,
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_form_names_every_bad_field() {
        let input = UserInput {
            email: "nope".into(),
            name: " ".into(),
            role: "boss".into(),
            language: "fr".into(),
            ..Default::default()
        };
        let errors = input.validate().unwrap_err();
        let fields: Vec<_> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, vec!["email", "language", "name", "role"]);
    }
}
