//! A pool's settings: the form administrators fill in, its checks, and the audited writes
//! that create and change pools (the rules themselves are explained in the module docs of
//! `pools`).

use super::{Pool, PoolEntity, store};
use crate::audit::Event;
use crate::db::Tx;
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest pool name, in characters.
const MAX_NAME: usize = 60;

/// The pool form, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PoolInput {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// `leads` or `companies`.
    #[serde(default)]
    pub entity: String,
    /// Days without a follow-up.
    #[serde(default)]
    pub days: String,
    /// Claim limit.
    #[serde(default)]
    pub claim_limit: String,
    /// Department id, or empty for everyone.
    #[serde(default)]
    pub department_id: String,
    /// `1` when active (a checkbox).
    #[serde(default)]
    pub active: String,
    /// The version the form was loaded at (edits).
    #[serde(default)]
    pub version: i64,
}

/// A checked pool form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPool {
    /// Name.
    pub name: String,
    /// What it holds.
    pub entity: PoolEntity,
    /// Days, 1 to 3650.
    pub days: i64,
    /// Claim limit, 1 to 100 000.
    pub claim_limit: i64,
    /// Department.
    pub department_id: Option<i64>,
    /// Active.
    pub active: bool,
}

/// Field name to the i18n key of its problem.
pub type FieldErrors = BTreeMap<String, String>;

fn number(s: &str, max: i64) -> Option<i64> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
}

impl PoolInput {
    /// Checks the form; the department's existence is checked on save.
    pub fn validate(&self) -> Result<ValidPool, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            errors.insert("name".into(), "pool.error.name".into());
        }
        let entity = PoolEntity::parse(&self.entity);
        if entity.is_none() {
            errors.insert("entity".into(), "record.error.choice".into());
        }
        let days = number(&self.days, 3650);
        if days.is_none() {
            errors.insert("days".into(), "pool.error.days".into());
        }
        let claim_limit = number(&self.claim_limit, 100_000);
        if claim_limit.is_none() {
            errors.insert("claim_limit".into(), "pool.error.claim_limit".into());
        }
        let department_id = match self.department_id.trim() {
            "" => None,
            d => match d.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.insert("department_id".into(), "record.error.choice".into());
                    None
                }
            },
        };
        match (entity, days, claim_limit, errors.is_empty()) {
            (Some(entity), Some(days), Some(claim_limit), true) => Ok(ValidPool {
                name: name.to_string(),
                entity,
                days,
                claim_limit,
                department_id,
                active: self.active == "1",
            }),
            _ => Err(errors),
        }
    }

    /// The form filled from a stored pool.
    pub fn from_pool(p: &Pool) -> PoolInput {
        PoolInput {
            name: p.name.clone(),
            entity: p.entity.as_str().into(),
            days: p.days.to_string(),
            claim_limit: p.claim_limit.to_string(),
            department_id: p.department_id.map(|d| d.to_string()).unwrap_or_default(),
            active: if p.active { "1" } else { "" }.into(),
            version: p.version,
        }
    }
}

fn department_name(tx: &Tx<'_>, id: Option<i64>) -> Result<Option<String>, AppError> {
    match id {
        None => Ok(None),
        Some(d) => crate::crm::departments::store::get(tx.conn(), d)?
            .map(|d| Some(d.name))
            .ok_or_else(|| AppError::invalid("department_id", "record.error.choice")),
    }
}

/// The audit entry of a pool's settings changing from `before` to `after`.
fn describe(
    event: Event,
    before: Option<(&ValidPool, Option<String>)>,
    after: (&ValidPool, Option<String>),
) -> Event {
    let (old, old_dept) = match before {
        Some((p, d)) => (Some(p), d),
        None => (None, None),
    };
    let (new, new_dept) = after;
    event
        .change("name", old.map(|p| p.name.clone()), new.name.clone())
        .change(
            "pool_entity",
            old.map(|p| p.entity.as_str()),
            new.entity.as_str(),
        )
        .change("pool_days", old.map(|p| p.days), new.days)
        .change(
            "pool_claim_limit",
            old.map(|p| p.claim_limit),
            new.claim_limit,
        )
        .change("department", old_dept, new_dept)
        .change("pool_active", old.map(|p| p.active), new.active)
}

/// Adds a pool.
pub fn create(tx: &mut Tx<'_>, v: &ValidPool) -> Result<i64, AppError> {
    let dept = department_name(tx, v.department_id)?;
    if store::name_taken(tx.conn(), &v.name, None)? {
        return Err(AppError::invalid("name", "pool.error.name_taken"));
    }
    let id = store::insert(tx.conn(), v)?;
    tx.audit(describe(
        Event::new("pool.create").entity("pool", id),
        None,
        (v, dept),
    ))?;
    Ok(id)
}

/// Changes a pool's settings; a pool that holds records keeps its entity.
pub fn update(tx: &mut Tx<'_>, id: i64, version: i64, v: &ValidPool) -> Result<(), AppError> {
    let old = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    let dept = department_name(tx, v.department_id)?;
    if store::name_taken(tx.conn(), &v.name, Some(id))? {
        return Err(AppError::invalid("name", "pool.error.name_taken"));
    }
    let holding = store::counts(tx.conn(), old.entity)?
        .iter()
        .any(|(p, n)| *p == id && *n > 0);
    if old.entity != v.entity && holding {
        return Err(AppError::invalid("entity", "pool.error.entity_in_use"));
    }
    if store::update(tx.conn(), id, version, v)? == 0 {
        return Err(AppError::Conflict("pool.error.changed".into()));
    }
    let before = ValidPool {
        name: old.name.clone(),
        entity: old.entity,
        days: old.days,
        claim_limit: old.claim_limit,
        department_id: old.department_id,
        active: old.active,
    };
    tx.audit(describe(
        Event::new("pool.update").entity("pool", id),
        Some((&before, old.department_name)),
        (v, dept),
    ))?;
    Ok(())
}
