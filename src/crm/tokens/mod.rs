//! API tokens: each acts as its user, within the user's permissions, read-only unless made
//! for writing. A token is shown once when made; only its SHA-256 is stored, with its first
//! characters so people can tell their tokens apart. A disabled user's tokens stop working
//! at once (the lookup joins the user) and are revoked with the account.

pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::db::Tx;
use crate::error::AppError;

/// What every token starts with, so a leaked one is easy to recognise in a scan.
pub const PREFIX: &str = "kith_";

/// Longest token name.
const MAX_NAME: usize = 100;

/// Makes a token for `user_id` and returns `(id, token)`; the token is never stored.
pub fn create(
    tx: &mut Tx<'_>,
    user_id: i64,
    name: &str,
    can_write: bool,
) -> Result<(i64, String), AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "record.error.required"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(AppError::invalid("name", "record.error.too_long"));
    }
    let token = format!("{PREFIX}{}", crate::auth::random_token(24));
    let prefix: String = token.chars().take(PREFIX.len() + 6).collect();
    let id = store::insert(
        tx.conn(),
        user_id,
        name,
        &crate::auth::token_hash(&token),
        &prefix,
        can_write,
        &crate::db::now(),
    )?;
    tx.audit(
        Event::new("token.create")
            .entity("user", user_id)
            .change(
                "token",
                serde_json::Value::Null,
                format!("{name} ({prefix}…)"),
            )
            .change("can_write", serde_json::Value::Null, can_write),
    )?;
    Ok((id, token))
}

/// Revokes a token of `user_id`; a token of someone else is not found.
pub fn revoke(tx: &mut Tx<'_>, user_id: i64, id: i64) -> Result<(), AppError> {
    let row = store::get(tx.conn(), id)?;
    if row.user_id != user_id {
        return Err(AppError::NotFound);
    }
    if store::revoke(tx.conn(), id, &crate::db::now())? == 0 {
        return Ok(());
    }
    tx.audit(Event::new("token.revoke").entity("user", user_id).change(
        "token",
        format!("{} ({}…)", row.name, row.prefix),
        serde_json::Value::Null,
    ))?;
    Ok(())
}
