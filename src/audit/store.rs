//! SQL for the audit log.

use super::{Entry, Event, GENESIS};
use crate::db::{self, Actor};
use rusqlite::{Connection, OptionalExtension, Row, params};

const COLUMNS: &str = "id, at, actor_id, actor, ip, request_id, action, entity_type, entity_id, \
                       changes, prev_hash, hash";

fn entry(r: &Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor_id: r.get(2)?,
        actor: r.get(3)?,
        ip: r.get(4)?,
        request_id: r.get(5)?,
        action: r.get(6)?,
        entity_type: r.get(7)?,
        entity_id: r.get(8)?,
        changes: r.get(9)?,
        prev_hash: r.get(10)?,
        hash: r.get(11)?,
    })
}

/// The newest entry's id and hash as recorded beside the log.
pub fn head(conn: &Connection) -> rusqlite::Result<Option<(i64, String)>> {
    conn.prepare_cached("SELECT last_id, hash FROM audit_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// Appends an entry chained to the current head; must run inside the write transaction.
pub fn append(conn: &Connection, actor: &Actor, event: &Event) -> rusqlite::Result<i64> {
    let head = head(conn)?;
    append_after(conn, head, actor, event).map(|(id, _)| id)
}

/// Appends an entry chained to `head`, which the caller read inside this write transaction
/// (or got back from the previous append in it), and records it as the head; returns the
/// new head.
pub fn append_after(
    conn: &Connection,
    head: Option<(i64, String)>,
    actor: &Actor,
    event: &Event,
) -> rusqlite::Result<(i64, String)> {
    let (id, hash) = insert_after(conn, head, actor, event)?;
    set_head(conn, id, &hash)?;
    Ok((id, hash))
}

/// [`append_after`] without recording the new head: for a transaction that appends several
/// entries and records only the last one with [`set_head`] before it commits.
pub fn insert_after(
    conn: &Connection,
    head: Option<(i64, String)>,
    actor: &Actor,
    event: &Event,
) -> rusqlite::Result<(i64, String)> {
    let (last_id, prev_hash) = head.unwrap_or((0, GENESIS.to_string()));
    let mut e = Entry {
        id: last_id + 1,
        at: db::now(),
        actor_id: actor.user_id,
        actor: actor.label.clone(),
        ip: actor.ip.clone(),
        request_id: actor.request_id.clone(),
        action: event.action.clone(),
        entity_type: event.entity_type.clone(),
        entity_id: event.entity_id.clone(),
        changes: serde_json::to_string(&event.changes).unwrap_or_else(|_| "[]".into()),
        prev_hash,
        hash: String::new(),
    };
    e.hash = e.compute_hash();
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor_id, actor, ip, request_id, action, entity_type, \
         entity_id, changes, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
            e.id,
            e.at,
            e.actor_id,
            e.actor,
            e.ip,
            e.request_id,
            e.action,
            e.entity_type,
            e.entity_id,
            e.changes,
            e.prev_hash,
            e.hash
        ])?;
    Ok((e.id, e.hash))
}

/// Records the newest entry beside the log; must run inside the write transaction that
/// appended it.
pub fn set_head(conn: &Connection, id: i64, hash: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_head (id, last_id, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash",
    )?
    .execute(params![id, hash])?;
    Ok(())
}

/// Calls `f` for every entry in chain order until it returns false.
pub fn for_each(conn: &Connection, mut f: impl FnMut(Entry) -> bool) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        if !f(entry(row)?) {
            break;
        }
    }
    Ok(())
}

/// What the audit page filters by; every field optional.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Only this user's entries; `Some(0)` means the system.
    pub actor_id: Option<i64>,
    /// Exact action name.
    pub action: Option<String>,
    /// Record kind.
    pub entity_type: Option<String>,
    /// Record id (with `entity_type`).
    pub entity_id: Option<String>,
    /// Entries at or after this UTC time.
    pub since: Option<String>,
    /// Entries before this UTC time.
    pub until: Option<String>,
    /// Keyset cursor: entries with a smaller id.
    pub before_id: Option<i64>,
}

/// One page of entries, newest first, and whether more follow.
pub fn list(conn: &Connection, f: &Filter, limit: usize) -> rusqlite::Result<(Vec<Entry>, bool)> {
    // Each optional filter is a fixed fragment with a bound parameter; nothing from the
    // request is spliced into the SQL text.
    use rusqlite::types::Value;
    let mut parts: Vec<(&str, Option<Value>)> = Vec::new();
    match f.actor_id {
        Some(0) => parts.push((" AND actor_id IS NULL", None)),
        Some(id) => parts.push((" AND actor_id = ?", Some(id.into()))),
        None => {}
    }
    let text = |fragment, v: &Option<String>| v.clone().map(|v| (fragment, Some(Value::from(v))));
    parts.extend(text(" AND action = ?", &f.action));
    parts.extend(text(" AND entity_type = ?", &f.entity_type));
    parts.extend(text(" AND entity_id = ?", &f.entity_id));
    parts.extend(text(" AND at >= ?", &f.since));
    parts.extend(text(" AND at < ?", &f.until));
    if let Some(b) = f.before_id {
        parts.push((" AND id < ?", Some(b.into())));
    }
    let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1");
    let mut values: Vec<Value> = Vec::new();
    for (fragment, value) in parts {
        sql.push_str(fragment);
        values.extend(value);
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    values.push((limit as i64 + 1).into());
    let mut stmt = conn.prepare(&sql)?;
    let mut rows: Vec<Entry> = stmt
        .query_map(rusqlite::params_from_iter(values), entry)?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// Distinct action names, for the filter's choices.
pub fn actions(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT DISTINCT action FROM audit_log ORDER BY action")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Distinct entity kinds, for the filter's choices.
pub fn entity_types(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT entity_type FROM audit_log WHERE entity_type IS NOT NULL ORDER BY 1",
    )?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Entries since a UTC time, oldest first, for `kith audit export`.
pub fn since(
    conn: &Connection,
    since: &str,
    mut f: impl FnMut(Entry) -> std::io::Result<()>,
) -> rusqlite::Result<std::io::Result<()>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE at >= ?1 ORDER BY id"
    ))?;
    let mut rows = stmt.query([since])?;
    while let Some(row) = rows.next()? {
        if let Err(e) = f(entry(row)?) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Verdict, verify};

    fn chain(n: usize) -> Connection {
        let conn = db::memory().unwrap();
        for i in 0..n {
            let e = Event::new("user.update").entity("user", i).change(
                "name",
                "张三",
                format!("李四{i}"),
            );
            append(&conn, &Actor::cli(), &e).unwrap();
        }
        conn
    }

    fn broken_at(conn: &Connection) -> (i64, String) {
        match verify(conn).unwrap() {
            Verdict::Broken { entry_id, problem } => (entry_id, problem),
            v => panic!("expected a broken chain, got {v:?}"),
        }
    }

    #[test]
    fn an_untouched_chain_verifies_with_count_and_head() {
        let conn = chain(5);
        let Verdict::Intact { count, head } = verify(&conn).unwrap() else {
            panic!("broken")
        };
        assert_eq!(count, 5);
        let stored: String = conn
            .query_row("SELECT hash FROM audit_log WHERE id = 5", [], |r| r.get(0))
            .unwrap();
        assert_eq!(head, stored);
    }

    #[test]
    fn an_empty_log_is_intact() {
        let conn = chain(0);
        assert_eq!(
            verify(&conn).unwrap(),
            Verdict::Intact {
                count: 0,
                head: GENESIS.into()
            }
        );
    }

    #[test]
    fn an_altered_entry_is_named() {
        let conn = chain(5);
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 3", [])
            .unwrap();
        let (id, problem) = broken_at(&conn);
        assert_eq!(id, 3);
        assert!(problem.contains("altered"), "{problem}");
    }

    #[test]
    fn a_removed_entry_is_named() {
        let conn = chain(5);
        conn.execute("DELETE FROM audit_log WHERE id = 2", [])
            .unwrap();
        let (id, problem) = broken_at(&conn);
        assert_eq!(id, 2);
        assert!(problem.contains("removed"), "{problem}");
    }

    #[test]
    fn removing_the_newest_entries_is_noticed() {
        let conn = chain(5);
        conn.execute("DELETE FROM audit_log WHERE id >= 4", [])
            .unwrap();
        let (id, problem) = broken_at(&conn);
        assert_eq!(id, 4);
        assert!(problem.contains("removed"), "{problem}");
    }

    #[test]
    fn an_inserted_entry_is_named() {
        let conn = chain(3);
        conn.execute(
            "INSERT INTO audit_log (id, at, actor, action, changes, prev_hash, hash)
             SELECT 4, at, 'mallory', 'user.delete', '[]', hash, 'forged' FROM audit_log WHERE id = 3",
            [],
        )
        .unwrap();
        let (id, problem) = broken_at(&conn);
        assert_eq!(id, 4);
        assert!(problem.contains("inserted"), "{problem}");
    }

    #[test]
    fn filters_and_keyset_pages_list_newest_first() {
        let conn = chain(7);
        let (page, more) = list(&conn, &Filter::default(), 3).unwrap();
        assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), vec![7, 6, 5]);
        assert!(more);
        let next = Filter {
            before_id: Some(5),
            ..Default::default()
        };
        let (page, _) = list(&conn, &next, 3).unwrap();
        assert_eq!(page[0].id, 4);
        let by_entity = Filter {
            entity_type: Some("user".into()),
            entity_id: Some("2".into()),
            ..Default::default()
        };
        let (page, more) = list(&conn, &by_entity, 10).unwrap();
        assert_eq!(page.len(), 1);
        assert!(!more);
        let by_system = Filter {
            actor_id: Some(0),
            ..Default::default()
        };
        assert_eq!(list(&conn, &by_system, 10).unwrap().0.len(), 7);
    }
}
