//! The record ids of a small reach, kept in memory for searches.

use super::Reach;
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
