//! SQL for webhooks and their deliveries.
//!
//! Times are stored as `crate::db::now()` writes them (UTC, RFC 3339 with milliseconds and a
//! `Z`), so comparing them as text orders them in time; [`stamp`] writes that format.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// How many deliveries of one webhook the log page shows.
pub const LOG_LIMIT: i64 = 50;

/// `t` as stored: the same format as `crate::db::now()`.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The event names stored as a JSON array, read back (nothing when garbled).
pub fn events_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn events_json(events: &[String]) -> String {
    serde_json::to_string(events).unwrap_or_else(|_| "[]".into())
}

/// A webhook as the admin pages show it; the secret is deliberately not part of it.
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    /// Id.
    pub id: i64,
    /// The receiver's `http://` address.
    pub url: String,
    /// Event names it listens for.
    pub events: Vec<String>,
    /// Whether changes are queued for it.
    pub active: bool,
    /// Created (UTC).
    pub created_at: String,
    /// State of its latest delivery, if any.
    pub last_state: Option<String>,
    /// HTTP status of its latest delivery's last attempt.
    pub last_status: Option<i64>,
    /// When its latest delivery was queued.
    pub last_at: Option<String>,
}

const SELECT: &str = "SELECT w.id, w.url, w.events, w.active, w.created_at,
        d.state, d.last_status, d.created_at
   FROM webhooks w
   LEFT JOIN webhook_deliveries d
     ON d.id = (SELECT max(id) FROM webhook_deliveries WHERE webhook_id = w.id)";

fn webhook(r: &Row<'_>) -> rusqlite::Result<Webhook> {
    Ok(Webhook {
        id: r.get(0)?,
        url: r.get(1)?,
        events: events_of(&r.get::<_, String>(2)?),
        active: r.get(3)?,
        created_at: r.get(4)?,
        last_state: r.get(5)?,
        last_status: r.get(6)?,
        last_at: r.get(7)?,
    })
}

/// Every webhook, oldest first.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<Webhook>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY w.id"))?;
    stmt.query_map([], webhook)?.collect()
}

/// One webhook.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Webhook>> {
    conn.query_row(&format!("{SELECT} WHERE w.id = ?1"), [id], webhook)
        .optional()
}

/// The active webhooks and their event lists, for queuing a change (a tiny table, read
/// inside every audited write that maps to an event).
pub fn active(conn: &Connection) -> rusqlite::Result<Vec<(i64, Vec<String>)>> {
    let mut stmt = conn.prepare_cached("SELECT id, events FROM webhooks WHERE active = 1")?;
    stmt.query_map([], |r| Ok((r.get(0)?, events_of(&r.get::<_, String>(1)?))))?
        .collect()
}

/// Adds a webhook; returns its id.
pub fn insert(
    conn: &Connection,
    url: &str,
    events: &[String],
    secret: &str,
    active: bool,
    by: Option<i64>,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO webhooks (url, events, secret, active, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            url,
            events_json(events),
            secret,
            active,
            crate::db::now(),
            by
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Changes a webhook's address, events and switch; returns rows changed.
pub fn update(
    conn: &Connection,
    id: i64,
    url: &str,
    events: &[String],
    active: bool,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE webhooks SET url = ?2, events = ?3, active = ?4 WHERE id = ?1",
        params![id, url, events_json(events), active],
    )
}

/// Replaces a webhook's signing secret; returns rows changed.
pub fn set_secret(conn: &Connection, id: i64, secret: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE webhooks SET secret = ?2 WHERE id = ?1",
        params![id, secret],
    )
}

/// Removes a webhook and (by cascade) its deliveries; returns rows removed.
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM webhooks WHERE id = ?1", [id])
}

/// Queues a delivery due at `now`; returns its id.
pub fn insert_delivery(
    conn: &Connection,
    webhook: i64,
    event: &str,
    payload: &str,
    now: &str,
) -> rusqlite::Result<i64> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?;
    stmt.execute(params![webhook, event, payload, now])?;
    Ok(conn.last_insert_rowid())
}

/// One delivery, for the log.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRow {
    /// Id, also sent as `X-Kith-Delivery`.
    pub id: i64,
    /// Event name.
    pub event: String,
    /// Queued (UTC).
    pub created_at: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// The receiver's status on the last attempt.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the receiver acknowledged it.
    pub delivered_at: Option<String>,
}

/// The latest [`LOG_LIMIT`] deliveries of a webhook, newest first.
pub fn deliveries(conn: &Connection, webhook: i64) -> rusqlite::Result<Vec<DeliveryRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, event, created_at, attempts, next_attempt_at, state, last_status, last_error,
                delivered_at
           FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    stmt.query_map(params![webhook, LOG_LIMIT], |r| {
        Ok(DeliveryRow {
            id: r.get(0)?,
            event: r.get(1)?,
            created_at: r.get(2)?,
            attempts: r.get(3)?,
            next_attempt_at: r.get(4)?,
            state: r.get(5)?,
            last_status: r.get(6)?,
            last_error: r.get(7)?,
            delivered_at: r.get(8)?,
        })
    })?
    .collect()
}

/// A delivery that is due, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Due {
    /// Delivery id.
    pub id: i64,
    /// Its webhook.
    pub webhook_id: i64,
    /// Event name.
    pub event: String,
    /// The exact JSON body to send.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// Where to send it.
    pub url: String,
    /// The webhook's signing secret.
    pub secret: String,
    /// Whether the webhook is still switched on.
    pub active: bool,
}

/// Pending deliveries due at `now`, oldest first, at most `per_hook` of each webhook (so one
/// receiver's backlog cannot crowd out the others) and `limit` in all.
pub fn due(conn: &Connection, now: &str, per_hook: i64, limit: i64) -> rusqlite::Result<Vec<Due>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, webhook_id, event, payload, attempts, url, secret, active FROM (
           SELECT d.id, d.webhook_id, d.event, d.payload, d.attempts, w.url, w.secret, w.active,
                  row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.id) AS n
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
            WHERE d.state = 'pending' AND d.next_attempt_at <= ?1)
          WHERE n <= ?2 ORDER BY id LIMIT ?3",
    )?;
    stmt.query_map(params![now, per_hook, limit], |r| {
        Ok(Due {
            id: r.get(0)?,
            webhook_id: r.get(1)?,
            event: r.get(2)?,
            payload: r.get(3)?,
            attempts: r.get(4)?,
            url: r.get(5)?,
            secret: r.get(6)?,
            active: r.get(7)?,
        })
    })?
    .collect()
}

/// Marks a pending delivery acknowledged.
pub fn mark_delivered(
    conn: &Connection,
    id: i64,
    status: u16,
    now: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE webhook_deliveries
            SET state = 'delivered', attempts = attempts + 1, last_status = ?2, last_error = NULL,
                delivered_at = ?3, next_attempt_at = NULL
          WHERE id = ?1 AND state = 'pending'",
        params![id, status, now],
    )
}

/// Records a failed attempt: `next` is when to try again, or `None` to give up (`failed`).
pub fn mark_attempt_failed(
    conn: &Connection,
    id: i64,
    status: Option<u16>,
    error: Option<&str>,
    next: Option<&str>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE webhook_deliveries
            SET attempts = attempts + 1, last_status = ?2, last_error = ?3, next_attempt_at = ?4,
                state = CASE WHEN ?4 IS NULL THEN 'failed' ELSE 'pending' END
          WHERE id = ?1 AND state = 'pending'",
        params![id, status, error, next],
    )
}

/// Gives up on a pending delivery without an attempt (its webhook was switched off).
pub fn mark_skipped(conn: &Connection, id: i64, error: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE webhook_deliveries SET state = 'failed', last_error = ?2, next_attempt_at = NULL
          WHERE id = ?1 AND state = 'pending'",
        params![id, error],
    )
}

/// Puts a failed delivery of `webhook` back in the queue, due at `now`; returns rows changed.
pub fn requeue(conn: &Connection, webhook: i64, id: i64, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?3
          WHERE id = ?2 AND webhook_id = ?1 AND state = 'failed'",
        params![webhook, id, now],
    )
}
