//! Rewriting the entries written before entries carried their owner (schema version 31),
//! a slice at a time, newest first, then the index merged a share at a time. Until all
//! entries are rewritten, searches do not ask the index for an owner's records (see
//! [`owners_indexed`]).

use super::index::{entry, insert_words, owner_of, remove_words};
use crate::crm::records::store as records;
use crate::crm::search::record_text;
use crate::crm::{companies::COMPANIES, contacts::CONTACTS};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

/// Where the rewrite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The entries below this index row id are still to rewrite.
    Rewriting(i64),
    /// All entries carry their owner; the index's segments, one per rewritten slice, are
    /// being merged so that searches read few of them.
    Merging,
    /// Nothing left to do.
    Done,
}

/// Where the rewrite stands.
pub fn progress(conn: &Connection) -> rusqlite::Result<Progress> {
    let below: Option<i64> = conn
        .prepare_cached("SELECT below FROM search_rebuild")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(match below {
        None => Progress::Done,
        Some(b) if b <= 0 => Progress::Merging,
        Some(b) => Progress::Rewriting(b),
    })
}

/// Whether every entry carries its owner.
pub fn owners_indexed(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(!matches!(progress(conn)?, Progress::Rewriting(_)))
}

/// Index pages merged per step, at most (about 8 MB).
const MERGE_PAGES: i64 = 2000;

/// Takes the next step: rewrites the entries of the next `ids` record ids (of companies and
/// of contacts) below where the last step stopped, or merges a share of the index once all
/// are rewritten. One step is one transaction, run on the writer connection.
pub fn step(conn: &Connection, ids: i64) -> rusqlite::Result<Progress> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let next = match progress(&tx)? {
        Progress::Rewriting(below) => rewrite(&tx, below, ids)?,
        Progress::Merging => merge(&tx)?,
        Progress::Done => Progress::Done,
    };
    tx.commit()?;
    Ok(next)
}

/// Merges up to [`MERGE_PAGES`] pages of the index's segments into one; done when FTS5
/// found nothing left to merge (it then changes fewer than two rows), or after twice as many
/// steps as the whole index takes to write once. Saves made meanwhile add segments, and
/// merging them in would start the whole index over; automatic merging takes them.
///
/// `below` counts the steps left as a negative number; 0 before the first step.
fn merge(conn: &Connection) -> rusqlite::Result<Progress> {
    let mut left: i64 = -conn
        .prepare_cached("SELECT below FROM search_rebuild")?
        .query_row([], |r| r.get::<_, i64>(0))?;
    if left == 0 {
        let pages: i64 = conn
            .prepare_cached("SELECT count(*) FROM search_words_data")?
            .query_row([], |r| r.get(0))?;
        left = 2 * (pages / MERGE_PAGES + 1);
    }
    let before = conn.total_changes();
    conn.prepare_cached("INSERT INTO search_words (search_words, rank) VALUES ('merge', ?1)")?
        .execute([-MERGE_PAGES])?;
    left -= 1;
    if conn.total_changes() - before >= 2 && left > 0 {
        conn.prepare_cached("UPDATE search_rebuild SET below = ?1")?
            .execute([-left])?;
        return Ok(Progress::Merging);
    }
    conn.prepare_cached("DELETE FROM search_rebuild")?
        .execute([])?;
    Ok(Progress::Done)
}

/// Rewrites the entries of up to `ids` record ids below `below`.
fn rewrite(conn: &Connection, below: i64, ids: i64) -> rusqlite::Result<Progress> {
    // Row ids are id * 2 + kind and `below` is even, so both tables take the ids in
    // [low / 2, below / 2).
    let low = (below - 2 * ids).max(0);
    let mut entries = Vec::new();
    for e in [&COMPANIES, &CONTACTS] {
        for r in records::live_between(conn, e, low / 2, below / 2)? {
            let (words, _) = record_text(e, &r);
            entries.push((entry(e, r.id), owner_of(&r.values), words));
        }
    }
    // In row id order: FTS5 flushes its pending rows whenever one comes in below the last.
    entries.sort_unstable_by_key(|e| e.0);
    for (rowid, owner, words) in &entries {
        remove_words(conn, *rowid)?;
        insert_words(conn, *rowid, *owner, words)?;
    }
    conn.prepare_cached("UPDATE search_rebuild SET below = ?1")?
        .execute([low])?;
    Ok(if low == 0 {
        Progress::Merging
    } else {
        Progress::Rewriting(low)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::scope::Scope;
    use crate::crm::search::store::{Reach, reach_ids, search};

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Companies and contacts of two owners, indexed the way a build before schema
    /// version 31 wrote them: without owners, a rewrite pending.
    fn upgraded() -> Connection {
        let conn = crate::db::memory().unwrap();
        for email in ["a@x.cn", "b@x.cn"] {
            conn.execute("INSERT INTO users (email, name, role, password_hash, created_at, updated_at) VALUES (?1, 'U', 'sales', 'x', 't', 't')", [email]).unwrap();
        }
        for i in 1..=7 {
            let owner = 1 + i % 2;
            for (table, kind, name, extra) in [
                ("companies", 0, "华星科技", "name_norm"),
                ("contacts", 1, "李华星", "title"),
            ] {
                conn.execute(
                    &format!("INSERT INTO {table} (name, {extra}, owner_id, status, created_at, updated_at) VALUES (?1, ?1, ?2, 'lead', 't', 't')"),
                    rusqlite::params![format!("{name}{i}"), owner],
                )
                .unwrap();
                let id = conn.last_insert_rowid();
                let words = crate::crm::search::index_text(&[&format!("{name}{i}")]);
                insert_words(&conn, id * 2 + kind, None, &words).unwrap();
            }
        }
        conn.execute("INSERT INTO search_rebuild (id, below) VALUES (1, 16)", [])
            .unwrap();
        conn
    }

    fn found(conn: &Connection, owner: i64) -> Vec<String> {
        let mine = Scope::owners_only(vec![owner]);
        let reach = Reach {
            companies: mine.clone(),
            contacts: mine,
        };
        let ids = reach_ids(conn, &reach).unwrap();
        let mut names: Vec<String> = search(conn, "星", 20, &reach, ids.as_ref())
            .unwrap()
            .into_iter()
            .map(|(_, r)| r.values["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_upgrade_marks_existing_entries_for_rewriting_and_notes_changes_of_owner() {
        // Arrange: databases before version 31, one empty, one with a company and contacts.
        let old = || crate::db::memory_before(31).unwrap();
        let (empty, used) = (old(), old());
        used.execute("INSERT INTO users (email, name, role, password_hash, created_at, updated_at) VALUES ('a@x.cn', 'A', 'sales', 'x', 't', 't')", []).unwrap();
        used.execute("INSERT INTO companies (name, name_norm, status, created_at, updated_at) VALUES ('华星', '华星', 'lead', 't', 't')", []).unwrap();
        for name in ["甲", "乙", "丙"] {
            used.execute("INSERT INTO contacts (name, status, created_at, updated_at) VALUES (?1, 'lead', 't', 't')", [name]).unwrap();
        }

        // Act
        crate::db::migrate(&empty).unwrap();
        crate::db::migrate(&used).unwrap();

        // Assert: every entry up to the last contact's (3 * 2 + 1) waits for its owner.
        assert_eq!(progress(&empty).unwrap(), Progress::Done);
        assert_eq!(progress(&used).unwrap(), Progress::Rewriting(8));
        used.execute("UPDATE contacts SET owner_id = 1 WHERE id = 2", [])
            .unwrap();
        used.execute("UPDATE contacts SET name = '丁' WHERE id = 3", [])
            .unwrap();
        let noted: String = used
            .query_row("SELECT group_concat(entry) FROM search_stale", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            noted, "5",
            "contact 2 changed hands; contact 3 only its name"
        );
    }

    #[test]
    fn merging_ends_after_its_budget_of_steps_whatever_is_left() {
        let conn = upgraded();
        conn.execute("UPDATE search_rebuild SET below = -1", [])
            .unwrap();
        assert_eq!(progress(&conn).unwrap(), Progress::Merging);
        assert_eq!(step(&conn, 3).unwrap(), Progress::Done);
        assert_eq!(progress(&conn).unwrap(), Progress::Done);
    }

    #[test]
    fn entries_written_before_owners_are_rewritten_a_slice_at_a_time() {
        let conn = upgraded();
        let before = found(&conn, 1);
        assert_eq!(before.len(), 6, "found the old way meanwhile: {before:?}");
        assert!(!owners_indexed(&conn).unwrap());
        let owned = |o: i64| {
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM search_words WHERE search_words MATCH '\"{}\"'",
                    crate::crm::search::owner_token(o)
                ),
            )
        };
        assert_eq!(owned(1), 0);

        let mut steps = Vec::new();
        while steps.last() != Some(&Progress::Done) && steps.len() < 20 {
            steps.push(step(&conn, 3).unwrap());
            let rewritten = !matches!(steps.last(), Some(Progress::Rewriting(_)));
            assert_eq!(owners_indexed(&conn).unwrap(), rewritten);
        }
        assert_eq!(
            steps[..3],
            [
                Progress::Rewriting(10),
                Progress::Rewriting(4),
                Progress::Merging
            ],
            "three slices of three ids, newest first: {steps:?}"
        );
        assert_eq!(steps.last(), Some(&Progress::Done), "{steps:?}");
        assert_eq!((owned(1), owned(2)), (6, 8));
        assert_eq!(count(&conn, "SELECT count(*) FROM search_words"), 14);
        assert_eq!(found(&conn, 1), before, "the same results, from the index");
        assert_eq!(step(&conn, 3).unwrap(), Progress::Done, "nothing left");
    }
}
