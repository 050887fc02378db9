//! Writing the search index: a record's entry, kept in step with the record. An entry's
//! words end with its owner's token (see [`crate::crm::search::owner_token`]), so the index
//! itself can answer "matches owned by these people".

use crate::crm::records::store as records;
use crate::crm::records::{Entity, Values};
use crate::crm::search::{owner_token, record_text, values_text};
use crate::crm::{companies::COMPANIES, contacts::CONTACTS};
use rusqlite::Connection;

/// Companies and contacts are searched; other records are found through their lists.
fn searched(e: &Entity) -> bool {
    e.code < 2
}

/// The index's row id for a record: companies even, contacts odd.
pub(super) fn entry(e: &Entity, id: i64) -> i64 {
    rowid(id, e.code)
}

/// The index's row id for record `id` of kind `kind` (an entity's code).
fn rowid(id: i64, kind: i64) -> i64 {
    id * 2 + kind
}

/// The record behind an index row id.
pub(super) fn entity_of(rowid: i64) -> (&'static Entity, i64) {
    if rowid % 2 == 0 {
        (&COMPANIES, rowid / 2)
    } else {
        (&CONTACTS, rowid / 2)
    }
}

/// A record's owner, from its values.
pub(super) fn owner_of(values: &Values) -> Option<i64> {
    values.get("owner_id").and_then(serde_json::Value::as_i64)
}

/// (Re)writes the index rows of one record; a record in the trash gets none.
pub fn index(conn: &Connection, e: &Entity, id: i64) -> rusqlite::Result<()> {
    if !searched(e) {
        return Ok(());
    }
    remove(conn, e, id)?;
    // A record purged in the same transaction has nothing left to index.
    let r = match records::get(conn, e, id) {
        Err(rusqlite::Error::QueryReturnedNoRows) => return Ok(()),
        r => r?,
    };
    if r.deleted_at.is_some() {
        return Ok(());
    }
    let (words, digits) = record_text(e, &r);
    insert(
        conn,
        e.code,
        id,
        owner_of(&r.values),
        &words,
        &digits.join(" "),
    )
}

/// The index rows of a record just inserted, computed from the values it was inserted with
/// (a new id has no rows to remove, and reading the record back would only repeat them);
/// `None` for records that are not searched. The write path inserts them (see
/// `Tx::index_new`).
pub fn rows_new(
    conn: &Connection,
    e: &Entity,
    id: i64,
    values: &Values,
) -> rusqlite::Result<Option<NewRows>> {
    if !searched(e) {
        return Ok(None);
    }
    let company = match values.get("company_id").and_then(serde_json::Value::as_i64) {
        Some(c) => records::company_name(conn, c)?,
        None => None,
    };
    let (words, digits) = values_text(e, values, company.as_deref());
    Ok(Some(NewRows {
        kind: e.code,
        id,
        owner: owner_of(values),
        words,
        digits: digits.join(" "),
    }))
}

/// A new record's index rows, waiting to be inserted.
#[derive(Debug)]
pub struct NewRows {
    kind: i64,
    id: i64,
    owner: Option<i64>,
    words: String,
    digits: String,
}

/// Inserts new records' index rows in index order. FTS5 writes its in-memory index out
/// whenever a row comes in below the previous one (a company, even rowid, created between
/// contacts): in that order each row would cost a flush and a segment to merge later.
pub fn insert_new(conn: &Connection, mut rows: Vec<NewRows>) -> rusqlite::Result<()> {
    rows.sort_unstable_by_key(|r| rowid(r.id, r.kind));
    for r in rows {
        insert(conn, r.kind, r.id, r.owner, &r.words, &r.digits)?;
    }
    Ok(())
}

/// Writes index rows for a record whose text is already known (bulk loads).
pub fn insert(
    conn: &Connection,
    kind: i64,
    id: i64,
    owner: Option<i64>,
    words: &str,
    digits: &str,
) -> rusqlite::Result<()> {
    let rowid = rowid(id, kind);
    insert_words(conn, rowid, owner, words)?;
    if !digits.is_empty() {
        conn.prepare_cached("INSERT INTO search_digits (rowid, digits) VALUES (?1, ?2)")?
            .execute(rusqlite::params![rowid, digits])?;
    }
    Ok(())
}

/// Inserts the words of an entry, its owner's token last.
pub(super) fn insert_words(
    conn: &Connection,
    rowid: i64,
    owner: Option<i64>,
    words: &str,
) -> rusqlite::Result<()> {
    let body = match owner {
        Some(o) => format!("{words} {}", owner_token(o)),
        None => words.to_string(),
    };
    conn.prepare_cached("INSERT INTO search_words (rowid, body) VALUES (?1, ?2)")?
        .execute(rusqlite::params![rowid, body])?;
    Ok(())
}

/// Removes the words of an entry (its phone digits stay).
pub(super) fn remove_words(conn: &Connection, rowid: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM search_words WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// Removes a record from the index.
pub fn remove(conn: &Connection, e: &Entity, id: i64) -> rusqlite::Result<()> {
    if !searched(e) {
        return Ok(());
    }
    let rowid = entry(e, id);
    remove_words(conn, rowid)?;
    conn.prepare_cached("DELETE FROM search_digits WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// Re-indexes the live contacts of a company (their entries carry the company's name).
pub fn reindex_company_contacts(conn: &Connection, company: i64) -> rusqlite::Result<usize> {
    let mut stmt =
        conn.prepare("SELECT id FROM contacts WHERE company_id = ?1 AND deleted_at IS NULL")?;
    let ids: Vec<i64> = stmt
        .query_map([company], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        index(conn, &CONTACTS, *id)?;
    }
    Ok(ids.len())
}

/// Re-indexes the records whose owner changed in this transaction: a trigger notes each
/// change of owner (migration 31), whichever statement made it, and the write path calls
/// this before it commits. Returns how many were re-indexed.
pub fn reindex_new_owners(conn: &Connection) -> rusqlite::Result<usize> {
    let entries: Vec<i64> = conn
        .prepare_cached("DELETE FROM search_stale RETURNING entry")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for rowid in &entries {
        let (e, id) = entity_of(*rowid);
        index(conn, e, id)?;
    }
    Ok(entries.len())
}
