//! Searches for a small reach: the record ids it covers, kept in memory, and the matches
//! among them, asked of the index by owner once entries carry owners.

use super::Reach;
use super::index::{entity_of, entry};
use crate::crm::search::Query;
use crate::crm::{companies::COMPANIES, contacts::CONTACTS};
use rusqlite::Connection;

/// Owners at most in a reach whose record ids are read into memory for a search.
const SMALL_TEAM: usize = 20;

/// Record ids, sorted: a sales rep may own tens of thousands of records, and sorting them
/// once costs less than hashing each into a set. Matches come newest (largest id) first, so
/// they are looked up with a [`Downward`] walk rather than a search from scratch each.
#[derive(Debug)]
pub struct IdSet(pub(super) Vec<i64>);

impl IdSet {
    pub(super) fn downward(&self) -> Downward<'_> {
        Downward {
            ids: &self.0,
            end: self.0.len(),
        }
    }
}

/// Looks up ids in descending order in an [`IdSet`]: each lookup moves on from where the
/// last one stopped, so a whole stream of matches costs one pass over the set.
pub(super) struct Downward<'a> {
    ids: &'a [i64],
    /// The ids at `end` and above are larger than every id looked up so far.
    end: usize,
}

impl Downward<'_> {
    /// Whether `id` is in the set; `id` must not be larger than the last one looked up.
    pub(super) fn contains(&mut self, id: i64) -> bool {
        while let Some(&last) = self.ids[..self.end].last() {
            if last <= id {
                return last == id;
            }
            self.end -= 1;
        }
        false
    }
}

/// The ids of the companies and contacts a small reach covers.
#[derive(Debug)]
pub struct ReachIds(pub(super) IdSet, pub(super) IdSet);

/// For a user who sees only the records of a few owners (and some shared ones), the ids of
/// those records per entity; `None` when the reach is wider.
pub fn reach_ids(conn: &Connection, reach: &Reach) -> rusqlite::Result<Option<ReachIds>> {
    let mut sets = Vec::with_capacity(2);
    for e in [&COMPANIES, &CONTACTS] {
        let scope = reach.of(e);
        let Some(owners) = scope.owners().filter(|o| o.len() <= SMALL_TEAM) else {
            return Ok(None);
        };
        let mut ids: Vec<i64> = scope.shared().to_vec();
        let sql = format!(
            "SELECT id FROM {} WHERE owner_id = ?1 AND deleted_at IS NULL",
            e.table
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        for owner in owners {
            for id in stmt.query_map([owner], |r| r.get(0))? {
                ids.push(id?);
            }
        }
        ids.sort_unstable();
        sets.push(IdSet(ids));
    }
    let contacts = sets.pop().unwrap_or(IdSet(Vec::new()));
    let companies = sets.pop().unwrap_or(IdSet(Vec::new()));
    Ok(Some(ReachIds(companies, contacts)))
}

/// The index row ids of the first `limit` matches a small reach covers, newest first.
/// `sql` reads matches newest first from `rowid < ?3`, at most `?2`.
pub(super) fn small_reach(
    conn: &Connection,
    sql: &str,
    query: &Query,
    reach: &Reach,
    ids: &ReachIds,
    limit: usize,
) -> rusqlite::Result<Vec<i64>> {
    let all = sql.replace(" AND rowid < ?3", "").replace(" LIMIT ?2", "");
    let expr = match query {
        Query::Words(x) => {
            // Once entries carry owners, the index picks the owners' matches itself and
            // the shared records are looked up one by one.
            if let Some((owned, shared)) = owned_query(conn, x, reach)? {
                let mut found = match owned {
                    Some(owned) => stream_small(conn, &all, &owned, ids, limit)?,
                    None => Vec::new(),
                };
                found.extend(shared_matches(conn, x, &shared)?);
                found.sort_unstable_by(|a, b| b.cmp(a));
                found.dedup();
                return Ok(found);
            }
            x
        }
        Query::Digits(x) => x,
    };
    stream_small(conn, &all, expr, ids, limit)
}

/// Matches looked at, at most, when streaming for a small reach.
const STREAM_CAP: usize = 400_000;

/// Shared records at most that are looked up one by one beside a search of owners' entries;
/// a reach with more shared records streams all matches instead.
const SHARED_LOOKUPS: usize = 200;

/// For a small reach, once entries carry their owners: the query narrowed to the reach's
/// owners (none for a reach of shared records only), and the index rows of its shared
/// records, to look up one by one. `None` when the index cannot narrow it (still being
/// rewritten, or too many shared records).
fn owned_query(
    conn: &Connection,
    expr: &str,
    reach: &Reach,
) -> rusqlite::Result<Option<(Option<String>, Vec<i64>)>> {
    let mut owners: Vec<i64> = Vec::new();
    let mut shared: Vec<i64> = Vec::new();
    for e in [&COMPANIES, &CONTACTS] {
        let scope = reach.of(e);
        owners.extend(scope.owners().unwrap_or_default());
        shared.extend(scope.shared().iter().map(|id| entry(e, *id)));
    }
    owners.sort_unstable();
    owners.dedup();
    if shared.len() > SHARED_LOOKUPS || !super::rebuild::owners_indexed(conn)? {
        return Ok(None);
    }
    let owned = (!owners.is_empty()).then(|| {
        format!(
            "({expr}) AND ({})",
            crate::crm::search::owned_by_any(&owners)
        )
    });
    Ok(Some((owned, shared)))
}

/// Which of the index rows `entries` match `expr`.
fn shared_matches(conn: &Connection, expr: &str, entries: &[i64]) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid FROM search_words WHERE search_words MATCH ?1 AND rowid = ?2",
    )?;
    let mut found = Vec::new();
    for rowid in entries {
        if stmt.exists(rusqlite::params![expr, rowid])? {
            found.push(*rowid);
        }
    }
    Ok(found)
}

/// Streams the matches of `expr` newest first (`sql` has no bound or limit) and keeps the
/// first `limit` that are in `ids`: their index row ids, newest first.
fn stream_small(
    conn: &Connection,
    sql: &str,
    expr: &str,
    ids: &ReachIds,
    limit: usize,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([expr])?;
    let mut found = Vec::new();
    let mut looked = 0;
    // Rowids come in descending order, and so do each entity's ids.
    let ReachIds(companies, contacts) = ids;
    let (mut companies, mut contacts) = (companies.downward(), contacts.downward());
    while let Some(row) = rows.next()? {
        looked += 1;
        if found.len() >= limit || looked > STREAM_CAP {
            break;
        }
        let rowid: i64 = row.get(0)?;
        let (e, id) = entity_of(rowid);
        let set = if e.table == "companies" {
            &mut companies
        } else {
            &mut contacts
        };
        if set.contains(id) {
            found.push(rowid);
        }
    }
    Ok(found)
}
