//! Follow-ups and tasks over the API (`/api/v1/activities`, `/api/v1/tasks`). Each hangs off
//! a company, contact, deal or lead; it is visible when one of the records it shows on is
//! (a task also to its assignee), so a follow-up on a record the user cannot see answers 404.
//! Logging one needs the right to edit its record, as on the record's page, and goes
//! through the same audited writes.

pub mod activities;
pub mod tasks;

use super::Subject;
use super::store::Reach;
use crate::auth::Action;
use crate::auth::scope::Scope;
use crate::crm::records::{Entity, entity_by_code};
use crate::error::AppError;
use crate::web::api::list::{Query, id_filter};
use crate::web::page::Page;
use serde_json::{Map, Value, json};

/// The keys naming the record a follow-up or task belongs to, in [`Reach::kinds`] order,
/// which is also the order of the entity codes (company 0, contact 1, deal 2, lead 3).
const PARENT_KEYS: [&str; 4] = ["company_id", "contact_id", "deal_id", "lead_id"];

/// The kind of record of `PARENT_KEYS[i]`.
fn entity(i: usize) -> Result<&'static Entity, AppError> {
    entity_by_code(i as i64).ok_or(AppError::NotFound)
}

/// The records whose follow-ups and tasks the user reaches: their view scope on each kind.
pub(crate) async fn reach(page: &Page) -> Result<Reach, AppError> {
    let ids = |ids: &[i64]| Value::from(ids.to_vec()).to_string();
    let mut r = Reach {
        me: page.user()?.id,
        ..Reach::default()
    };
    for (i, slot) in r.kinds.iter_mut().enumerate() {
        let scope = page.scope(entity(i)?.area, Action::View).await?;
        *slot = (
            matches!(scope, Scope::All),
            ids(scope.owners().unwrap_or(&[])),
            ids(scope.shared()),
        );
    }
    Ok(r)
}

/// The record filters of a list (`company_id=…` and so on).
fn parent_filters(q: &Query) -> Result<[Option<i64>; 4], AppError> {
    let mut out = [None; 4];
    for (slot, key) in out.iter_mut().zip(PARENT_KEYS) {
        *slot = id_filter(q, key)?;
    }
    Ok(out)
}

/// Puts the record ids of an item into its JSON.
fn put_parents(out: &mut Map<String, Value>, parents: [Option<i64>; 4]) {
    for (key, id) in PARENT_KEYS.iter().zip(parents) {
        out.insert((*key).into(), json!(id));
    }
}

/// The record named in a body (exactly one of [`PARENT_KEYS`]), which the user must be able
/// to edit: its kind, the subject it makes and its name. A record that does not exist or
/// that the user cannot see is a validation error on its key.
async fn subject_of(
    page: &Page,
    body: &Map<String, Value>,
) -> Result<(&'static Entity, Subject, String), AppError> {
    let mut named = Vec::new();
    for (i, key) in PARENT_KEYS.iter().enumerate() {
        if let Some(id) = crate::web::api::body::id(body, key)? {
            named.push((i, *key, id));
        }
    }
    let (i, key, id) = match named.as_slice() {
        [one] => *one,
        [] => {
            return Err(AppError::invalid(
                "company_id",
                "name the record it belongs to: company_id, contact_id, deal_id or lead_id",
            ));
        }
        [_, (_, second, _), ..] => {
            return Err(AppError::invalid(second, "name only one record"));
        }
    };
    let e = entity(i)?;
    match super::pages::subject(page, e, id).await {
        Ok((subject, name)) => Ok((e, subject, name)),
        Err(AppError::NotFound) => Err(AppError::invalid(
            key,
            "no such record, or not one you can see",
        )),
        Err(other) => Err(other),
    }
}

/// The JSON schema properties of the record keys.
fn parent_properties(props: &mut Map<String, Value>) {
    for key in PARENT_KEYS {
        props.insert(
            key.into(),
            json!({"type": ["integer", "null"], "description": "send exactly one of company_id, contact_id, deal_id, lead_id on create; a contact's or deal's company (and a deal's contact) is filled in"}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_parent_key_is_its_kind_of_record() {
        for (i, key) in PARENT_KEYS.iter().enumerate() {
            let e = entity(i).unwrap();
            assert_eq!(format!("{}_id", e.kind), *key);
        }
    }
}
