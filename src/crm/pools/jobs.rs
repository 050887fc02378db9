//! The reclaim job: records their owners let go quiet return to the pool that watches them
//! (which pool watches which records: see the module docs of `pools`). It takes the
//! current time as an argument, so tests run it at any moment they choose.
//!
//! For each active pool, quiet records are found on a read connection (an index range per
//! owner for leads, one index seek per company for companies), then moved in batches of
//! one audited transaction each, which checks again that each record is still quiet and
//! still its owner's: a follow-up logged in between keeps the record. A backlog is capped
//! per run and drains over the next runs.

use super::store::{self, Quiet};
use super::{POOL_RECLAIMED, Pool, PoolEntity, notify_names, watchers};
use crate::audit::Event;
use crate::crm::notifications::notify;
use crate::db::{Actor, Db, Tx};
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// Records moved per transaction.
const BATCH: usize = 200;
/// Records moved at most per run, all pools together.
const MAX_PER_RUN: usize = 5_000;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReclaimReport {
    /// Leads returned to a pool.
    pub leads: usize,
    /// Companies returned to a pool.
    pub companies: usize,
    /// Notifications written (one per former owner and batch).
    pub notifications: usize,
}

impl ReclaimReport {
    /// Records moved, both kinds.
    pub fn records(&self) -> usize {
        self.leads + self.companies
    }
}

/// A time as the database stores it.
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Returns every record that has been quiet longer than its pool allows at `now` to that
/// pool, audited per record as the scheduler, and tells each former owner.
pub fn reclaim(db: &Db, now: DateTime<Utc>) -> Result<ReclaimReport, AppError> {
    let (pools, departments, users) = db.read_blocking(|c| {
        let departments = crate::crm::departments::store::all(c)?
            .into_iter()
            .map(|d| (d.id, d.parent_id))
            .collect::<Vec<_>>();
        Ok((store::all(c)?, departments, store::user_places(c)?))
    })?;
    let mut report = ReclaimReport::default();
    let at = stamp(now);
    for entity in PoolEntity::ALL {
        for (pool_id, owners) in watchers(&pools, entity, &departments, &users) {
            let Some(pool) = pools.iter().find(|p| p.id == pool_id) else {
                continue;
            };
            let cutoff = stamp(now - Duration::days(pool.days));
            drain(db, pool, &owners, &cutoff, &at, &mut report)?;
        }
    }
    Ok(report)
}

/// Moves one pool's quiet records in batches until none is left or the run's cap is hit.
fn drain(
    db: &Db,
    pool: &Pool,
    owners: &[i64],
    cutoff: &str,
    at: &str,
    report: &mut ReclaimReport,
) -> Result<(), AppError> {
    while report.records() < MAX_PER_RUN {
        let room = BATCH.min(MAX_PER_RUN - report.records());
        let found =
            db.read_blocking(|c| Ok(store::quiet(c, pool.entity, owners, cutoff, room)?))?;
        if found.is_empty() {
            break;
        }
        let moved = match db.write_blocking(Actor::system("scheduler"), |tx| {
            move_batch(tx, pool, &found, cutoff, at)
        }) {
            Ok(m) => m,
            // Nothing was still quiet: the empty transaction was rolled back.
            Err(AppError::NotFound) => (0, 0),
            Err(e) => return Err(e),
        };
        match pool.entity {
            PoolEntity::Leads => report.leads += moved.0,
            PoolEntity::Companies => report.companies += moved.0,
        }
        report.notifications += moved.1;
        if moved.0 == 0 || found.len() < room {
            break;
        }
    }
    Ok(())
}

/// Moves the records of one batch that are still quiet, audits each, and sends each former
/// owner one notification; returns (records moved, notifications sent).
fn move_batch(
    tx: &mut Tx<'_>,
    pool: &Pool,
    found: &[Quiet],
    cutoff: &str,
    at: &str,
) -> Result<(usize, usize), AppError> {
    let kind = pool.entity.kind();
    let mut by_owner: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in found {
        if store::reclaim(tx.conn(), pool.entity, r, pool.id, cutoff, at)? == 0 {
            continue;
        }
        tx.audit(
            Event::new(&format!("{kind}.reclaim"))
                .entity(kind, r.id)
                .change("owner_id", Some(r.owner_id), None::<i64>)
                .change("pool", None::<String>, pool.name.clone()),
        )?;
        by_owner.entry(r.owner_id).or_default().push(r.name.clone());
    }
    if by_owner.is_empty() {
        return Err(AppError::NotFound);
    }
    let moved = by_owner.values().map(Vec::len).sum();
    let link = format!("/pools/{}", pool.id);
    for (owner, names) in &by_owner {
        let params = json!({
            "count": names.len(),
            "days": pool.days,
            "pool": pool.name,
            "names": notify_names(names),
        });
        notify(tx, *owner, POOL_RECLAIMED, &params, &link)?;
    }
    Ok((moved, by_owner.len()))
}
