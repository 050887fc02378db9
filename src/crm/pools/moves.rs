//! Records moving in and out of pools by hand: a rep claims one, an owner releases one, a
//! manager hands some out. Each move is one audited write that checks and changes in the
//! same transaction (the write path runs one transaction at a time), so two reps racing for
//! the same record cannot both get it, nor can a rep slip past the claim limit.

use super::{POOL_ASSIGNED, Pool, PoolEntity, notify_names, store};
use crate::audit::Event;
use crate::db::Tx;
use crate::error::AppError;
use serde_json::{Value, json};

fn pool(tx: &Tx<'_>, id: i64) -> Result<Pool, AppError> {
    store::get(tx.conn(), id)?.ok_or(AppError::NotFound)
}

fn me(tx: &Tx<'_>) -> Result<i64, AppError> {
    tx.actor().user_id.ok_or(AppError::Forbidden)
}

/// The audit entry of a record changing hands through a pool.
fn moved(pool: &Pool, action: &str, id: i64, from: Option<i64>, to: Option<i64>) -> Event {
    let kind = pool.entity.kind();
    let (pool_before, pool_after) = match to {
        Some(_) => (Some(pool.name.clone()), None),
        None => (None, Some(pool.name.clone())),
    };
    Event::new(&format!("{kind}.{action}"))
        .entity(kind, id)
        .change("owner_id", from, to)
        .change("pool", pool_before, pool_after)
}

/// The signed-in rep takes record `id` out of pool `pool_id` and becomes its owner; the
/// reclaim clock starts again. Returns the record's name.
///
/// **The claim limit.** A rep may hold at most the pool's `claim_limit` records of the
/// pool's entity that they took from a pool (from any pool, by claiming or by a manager's
/// assignment) and have not followed up since: records they own whose `claimed_at` is set
/// and with no follow-up at or after it (for leads, not converted either). Logging a
/// follow-up on one frees its place; so does releasing it or losing it to the reclaim
/// job. Going over is refused with `pool.error.limit` (409), an emptied place with
/// `pool.error.taken` (409).
pub fn claim(tx: &mut Tx<'_>, pool_id: i64, id: i64) -> Result<String, AppError> {
    let user = me(tx)?;
    let pool = pool(tx, pool_id)?;
    if !pool.active {
        return Err(AppError::Forbidden);
    }
    if store::held(tx.conn(), pool.entity, user)? >= pool.claim_limit {
        return Err(AppError::Conflict("pool.error.limit".into()));
    }
    let now = crate::db::now();
    let name = store::take(tx.conn(), pool.entity, id, pool.id, user, &now)?
        .ok_or_else(|| AppError::Conflict("pool.error.taken".into()))?;
    tx.audit(moved(&pool, "claim", id, None, Some(user)))?;
    Ok(name)
}

/// The signed-in owner of record `id` puts it into pool `pool_id` (active, of the same
/// entity). Converted leads stay where they are.
pub fn release(tx: &mut Tx<'_>, entity: PoolEntity, id: i64, pool_id: i64) -> Result<(), AppError> {
    let user = me(tx)?;
    let (owner, _, poolable) = store::holder(tx.conn(), entity, id)?.ok_or(AppError::NotFound)?;
    if owner != Some(user) {
        return Err(AppError::Forbidden);
    }
    if !poolable {
        return Err(AppError::invalid("record", "pool.error.not_poolable"));
    }
    let pool = pool(tx, pool_id).map_err(|_| AppError::invalid("pool", "pool.error.pool"))?;
    if !pool.active || pool.entity != entity {
        return Err(AppError::invalid("pool", "pool.error.pool"));
    }
    let now = crate::db::now();
    if store::put(tx.conn(), entity, id, user, pool.id, &now)? == 0 {
        return Err(AppError::Conflict("pool.error.changed_hands".into()));
    }
    tx.audit(moved(&pool, "release", id, Some(user), None))?;
    Ok(())
}

/// A manager (or an administrator) gives pooled records to `to` (checked by the caller to
/// be someone they may give records to); `to` is told in one notification. Records taken
/// meanwhile are skipped; none left is a conflict. The claim limit does not stop a
/// manager, but what they hand out counts towards the rep's limit like a claim. Returns
/// how many moved.
pub fn assign(tx: &mut Tx<'_>, pool_id: i64, ids: &[i64], to: i64) -> Result<usize, AppError> {
    let by = me(tx)?;
    let pool = pool(tx, pool_id)?;
    let now = crate::db::now();
    let mut names = Vec::new();
    let mut first = None;
    for id in ids {
        if let Some(name) = store::take(tx.conn(), pool.entity, *id, pool.id, to, &now)? {
            tx.audit(moved(&pool, "pool_assign", *id, None, Some(to)))?;
            first.get_or_insert(*id);
            names.push(name);
        }
    }
    let Some(first) = first else {
        return Err(AppError::Conflict("pool.error.taken".into()));
    };
    if to != by {
        let by_name = crate::crm::departments::store::place(tx.conn(), by)?
            .map(|p| p.0)
            .unwrap_or_default();
        let table = pool.entity.table();
        let link = if names.len() == 1 {
            format!("/{table}/{first}")
        } else {
            format!("/{table}?owner={to}")
        };
        let params = json!({
            "by": by_name,
            "pool": pool.name,
            "count": names.len(),
            "names": Value::from(notify_names(&names)),
        });
        crate::crm::notifications::notify(tx, to, POOL_ASSIGNED, &params, &link)?;
    }
    Ok(names.len())
}
