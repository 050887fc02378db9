//! SQL for public pools: the pools themselves, the records in them, and the moves in and
//! out. A record's table comes from [`PoolEntity::table`], a fixed name; every value is a
//! bound parameter.

use super::{Pool, PoolEntity, ValidPool};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

const COLUMNS: &str = "p.id, p.name, p.entity, p.days, p.claim_limit, p.department_id,
    (SELECT d.name FROM departments d WHERE d.id = p.department_id), p.active, p.version";

fn pool(r: &Row<'_>) -> rusqlite::Result<Pool> {
    let entity: String = r.get(2)?;
    Ok(Pool {
        id: r.get(0)?,
        name: r.get(1)?,
        entity: PoolEntity::parse(&entity)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(2, "entity".into(), Type::Text))?,
        days: r.get(3)?,
        claim_limit: r.get(4)?,
        department_id: r.get(5)?,
        department_name: r.get(6)?,
        active: r.get(7)?,
        version: r.get(8)?,
    })
}

/// Every pool, by name.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<Pool>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM pools p ORDER BY p.name COLLATE NOCASE, p.id"
    ))?;
    stmt.query_map([], pool)?.collect()
}

/// One pool.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Pool>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM pools p WHERE p.id = ?1"),
        [id],
        pool,
    )
    .optional()
}

/// Whether another pool (not `except`) has this name.
pub fn name_taken(conn: &Connection, name: &str, except: Option<i64>) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pools WHERE name = ?1 AND id IS NOT ?2)",
        params![name, except],
        |r| r.get(0),
    )
}

/// Adds a pool.
pub fn insert(conn: &Connection, v: &ValidPool) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO pools (name, entity, days, claim_limit, department_id, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            v.name,
            v.entity.as_str(),
            v.days,
            v.claim_limit,
            v.department_id,
            v.active,
            crate::db::now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Changes a pool if it is still at `version`; returns rows changed.
pub fn update(conn: &Connection, id: i64, version: i64, v: &ValidPool) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE pools SET name = ?3, entity = ?4, days = ?5, claim_limit = ?6, department_id = ?7,
                active = ?8, updated_at = ?9, version = version + 1
         WHERE id = ?1 AND version = ?2",
        params![
            id,
            version,
            v.name,
            v.entity.as_str(),
            v.days,
            v.claim_limit,
            v.department_id,
            v.active,
            crate::db::now()
        ],
    )
}

/// Records in each pool of an entity, as (pool id, count): one pass over the pool index.
pub fn counts(conn: &Connection, e: PoolEntity) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT pool_id, count(*) FROM {} WHERE pool_id IS NOT NULL AND deleted_at IS NULL
         GROUP BY pool_id",
        e.table()
    ))?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// A record waiting in a pool, as the pool page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Pooled {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Province.
    pub province: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Source (channel).
    pub source: Option<String>,
    /// In the pool since (UTC).
    pub pooled_at: String,
    /// Who held it before, if known.
    pub pooled_from: Option<String>,
}

/// One page of a pool's records, newest pooled first, after the `(pooled_at, id)` cursor;
/// and whether more follow. Reads the (pool, pooled_at, id) index backwards.
pub fn page(
    conn: &Connection,
    e: PoolEntity,
    pool: i64,
    after: Option<(&str, i64)>,
    limit: usize,
) -> rusqlite::Result<(Vec<Pooled>, bool)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.id, r.name, r.province, r.city, r.source, r.pooled_at,
                (SELECT u.name FROM users u WHERE u.id = r.pooled_from)
         FROM {} r
         WHERE r.pool_id = ?1 AND r.deleted_at IS NULL AND r.owner_id IS NULL
           AND (?2 IS NULL OR (r.pooled_at, r.id) < (?2, ?3))
         ORDER BY r.pooled_at DESC, r.id DESC LIMIT ?4",
        e.table()
    ))?;
    let (at, id) = after.map_or((None, 0), |(a, i)| (Some(a), i));
    let mut rows: Vec<Pooled> = stmt
        .query_map(params![pool, at, id, limit as i64 + 1], |r| {
            Ok(Pooled {
                id: r.get(0)?,
                name: r.get(1)?,
                province: r.get(2)?,
                city: r.get(3)?,
                source: r.get(4)?,
                pooled_at: r.get(5)?,
                pooled_from: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// The condition "taken from a pool and not followed up since" on a record `r`: what the
/// claim limit counts (see [`super::moves::claim`]).
fn unworked(e: PoolEntity) -> &'static str {
    match e {
        PoolEntity::Leads => {
            "r.status <> 'converted' AND (r.last_activity_at IS NULL OR r.last_activity_at < r.claimed_at)"
        }
        PoolEntity::Companies => {
            "NOT EXISTS (SELECT 1 FROM activities a WHERE a.company_id = r.id AND a.occurred_at >= r.claimed_at)"
        }
    }
}

/// How many records of the entity `user` holds that they took from a pool and have not
/// followed up since. Reads the (owner, claimed_at) index.
pub fn held(conn: &Connection, e: PoolEntity, user: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        &format!(
            "SELECT count(*) FROM {} r WHERE r.owner_id = ?1 AND r.claimed_at IS NOT NULL
               AND r.deleted_at IS NULL AND {}",
            e.table(),
            unworked(e)
        ),
        [user],
        |r| r.get(0),
    )
}

/// A record someone holds: (id, name, taken from a pool at).
pub type Held = (i64, String, String);

/// The records counted by [`held`], most recently taken first (at most `limit`).
pub fn held_list(
    conn: &Connection,
    e: PoolEntity,
    user: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Held>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.id, r.name, r.claimed_at FROM {} r WHERE r.owner_id = ?1
           AND r.claimed_at IS NOT NULL AND r.deleted_at IS NULL AND {}
         ORDER BY r.claimed_at DESC, r.id DESC LIMIT ?2",
        e.table(),
        unworked(e)
    ))?;
    stmt.query_map(params![user, limit as i64], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?
    .collect()
}

/// Gives a pooled record to `owner` (a claim or an assignment) if it is still in `pool`;
/// the reclaim clock starts again at `now`. Returns its name, or `None` when it was taken.
pub fn take(
    conn: &Connection,
    e: PoolEntity,
    id: i64,
    pool: i64,
    owner: i64,
    now: &str,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        &format!(
            "UPDATE {} SET owner_id = ?3, pool_id = NULL, pooled_at = NULL, pooled_from = NULL,
                    claimed_at = ?4, updated_at = ?4, version = version + 1
             WHERE id = ?1 AND pool_id = ?2 AND owner_id IS NULL AND deleted_at IS NULL
             RETURNING name",
            e.table()
        ),
        params![id, pool, owner, now],
        |r| r.get(0),
    )
    .optional()
}

/// A record's owner, name and whether it may go to a pool (live, and for a lead not
/// converted); `None` when there is no such record.
pub fn holder(
    conn: &Connection,
    e: PoolEntity,
    id: i64,
) -> rusqlite::Result<Option<(Option<i64>, String, bool)>> {
    let poolable = match e {
        PoolEntity::Leads => "deleted_at IS NULL AND status <> 'converted'",
        PoolEntity::Companies => "deleted_at IS NULL",
    };
    conn.query_row(
        &format!(
            "SELECT owner_id, name, {poolable} FROM {} WHERE id = ?1",
            e.table()
        ),
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

/// Puts a record owned by `owner` into `pool` at `now`; returns rows changed.
pub fn put(
    conn: &Connection,
    e: PoolEntity,
    id: i64,
    owner: i64,
    pool: i64,
    now: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        &format!(
            "UPDATE {} SET owner_id = NULL, pool_id = ?3, pooled_at = ?4, pooled_from = ?2,
                    claimed_at = NULL, updated_at = ?4, version = version + 1
             WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
            e.table()
        ),
        params![id, owner, pool, now],
    )
}

/// A record whose owner let it go quiet.
#[derive(Debug, Clone)]
pub struct Quiet {
    /// Id.
    pub id: i64,
    /// Its owner.
    pub owner_id: i64,
    /// Name.
    pub name: String,
}

/// The condition "not touched since `?2`" on a record `r` with an owner: no follow-up, claim
/// or creation at or after the cutoff. Leads read it from the `leads_quiet` index; a
/// company's latest follow-up is one seek in `activities_by_company`.
fn quiet_since(e: PoolEntity) -> &'static str {
    match e {
        PoolEntity::Leads => {
            "r.deleted_at IS NULL AND r.status <> 'converted'
             AND max(coalesce(r.last_activity_at, ''), coalesce(r.claimed_at, ''), r.created_at) < ?2"
        }
        PoolEntity::Companies => {
            "r.deleted_at IS NULL AND r.created_at < ?2 AND (r.claimed_at IS NULL OR r.claimed_at < ?2)
             AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.company_id = r.id AND a.occurred_at >= ?2)"
        }
    }
}

/// Up to `limit` records owned by one of `owners` and quiet since `cutoff`.
pub fn quiet(
    conn: &Connection,
    e: PoolEntity,
    owners: &[i64],
    cutoff: &str,
    limit: usize,
) -> rusqlite::Result<Vec<Quiet>> {
    let owners = serde_json::to_string(owners).unwrap_or_else(|_| "[]".into());
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.id, r.owner_id, r.name FROM {} r
         WHERE r.owner_id IN (SELECT value FROM json_each(?1)) AND {} LIMIT ?3",
        e.table(),
        quiet_since(e)
    ))?;
    stmt.query_map(params![owners, cutoff, limit as i64], |r| {
        Ok(Quiet {
            id: r.get(0)?,
            owner_id: r.get(1)?,
            name: r.get(2)?,
        })
    })?
    .collect()
}

/// Returns a record to `pool` at `now` if `owner` still holds it and it is still quiet
/// since `cutoff` (a follow-up logged meanwhile keeps it); returns rows changed.
pub fn reclaim(
    conn: &Connection,
    e: PoolEntity,
    r: &Quiet,
    pool: i64,
    cutoff: &str,
    now: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        &format!(
            "UPDATE {} AS r SET owner_id = NULL, pool_id = ?4, pooled_at = ?5, pooled_from = ?3,
                    claimed_at = NULL, updated_at = ?5, version = version + 1
             WHERE r.id = ?1 AND r.owner_id = ?3 AND {}",
            e.table(),
            quiet_since(e)
        ),
        params![r.id, cutoff, r.owner_id, pool, now],
    )
}

/// Every user with their department, disabled ones too (their records return as well).
pub fn user_places(conn: &Connection) -> rusqlite::Result<Vec<(i64, Option<i64>)>> {
    let mut stmt = conn.prepare_cached("SELECT id, department_id FROM users")?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Whether `user` sits in `department` or one below it.
pub fn in_department(conn: &Connection, user: i64, department: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "WITH RECURSIVE t(id) AS (SELECT ?2 UNION SELECT d.id FROM departments d JOIN t ON d.parent_id = t.id)
         SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = ?1 AND u.department_id IN (SELECT id FROM t))",
        params![user, department],
        |r| r.get(0),
    )
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
