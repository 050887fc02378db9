//! SQL for the search index and for running searches.

use super::Query;
use crate::auth::scope::Scope;
use crate::crm::records::Entity;
use crate::crm::records::store::{self as records, Record};
use crate::crm::{companies::COMPANIES, contacts::CONTACTS};
use rusqlite::Connection;

fn kind_of(e: &Entity) -> i64 {
    e.code
}

/// Companies and contacts are searched; other records are found through their lists.
fn searched(e: &Entity) -> bool {
    e.code < 2
}

fn entity_of(rowid: i64) -> (&'static Entity, i64) {
    if rowid % 2 == 0 {
        (&COMPANIES, rowid / 2)
    } else {
        (&CONTACTS, rowid / 2)
    }
}

/// (Re)writes the index rows of one record; a record in the trash gets none.
pub fn index(conn: &Connection, e: &Entity, id: i64) -> rusqlite::Result<()> {
    if !searched(e) {
        return Ok(());
    }
    remove(conn, e, id)?;
    let r = records::get(conn, e, id)?;
    if r.deleted_at.is_some() {
        return Ok(());
    }
    let (words, digits) = super::record_text(e, &r);
    insert(conn, kind_of(e), id, &words, &digits.join(" "))
}

/// The index rows of a record just inserted, computed from the values it was inserted with
/// (a new id has no rows to remove, and reading the record back would only repeat them);
/// `None` for records that are not searched. The write path inserts them (see
/// `Tx::index_new`).
pub fn rows_new(
    conn: &Connection,
    e: &Entity,
    id: i64,
    values: &crate::crm::records::Values,
) -> rusqlite::Result<Option<NewRows>> {
    if !searched(e) {
        return Ok(None);
    }
    let company = match values.get("company_id").and_then(serde_json::Value::as_i64) {
        Some(c) => records::company_name(conn, c)?,
        None => None,
    };
    let (words, digits) = super::values_text(e, values, company.as_deref());
    Ok(Some(NewRows {
        kind: kind_of(e),
        id,
        words,
        digits: digits.join(" "),
    }))
}

/// A new record's index rows, waiting to be inserted.
#[derive(Debug)]
pub struct NewRows {
    kind: i64,
    id: i64,
    words: String,
    digits: String,
}

/// Inserts new records' index rows in index order. FTS5 writes its in-memory index out
/// whenever a row comes in below the previous one (a company, even rowid, created between
/// contacts): in that order each row would cost a flush and a segment to merge later.
pub fn insert_new(conn: &Connection, mut rows: Vec<NewRows>) -> rusqlite::Result<()> {
    rows.sort_unstable_by_key(|r| r.id * 2 + r.kind);
    for r in rows {
        insert(conn, r.kind, r.id, &r.words, &r.digits)?;
    }
    Ok(())
}

/// Writes index rows for a record whose text is already known (bulk loads).
pub fn insert(
    conn: &Connection,
    kind: i64,
    id: i64,
    words: &str,
    digits: &str,
) -> rusqlite::Result<()> {
    let rowid = id * 2 + kind;
    conn.prepare_cached("INSERT INTO search_words (rowid, body) VALUES (?1, ?2)")?
        .execute(rusqlite::params![rowid, words])?;
    if !digits.is_empty() {
        conn.prepare_cached("INSERT INTO search_digits (rowid, digits) VALUES (?1, ?2)")?
            .execute(rusqlite::params![rowid, digits])?;
    }
    Ok(())
}

/// Removes a record from the index.
pub fn remove(conn: &Connection, e: &Entity, id: i64) -> rusqlite::Result<()> {
    if !searched(e) {
        return Ok(());
    }
    let rowid = id * 2 + kind_of(e);
    conn.prepare_cached("DELETE FROM search_words WHERE rowid = ?1")?
        .execute([rowid])?;
    conn.prepare_cached("DELETE FROM search_digits WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// Live records of `e` whose name starts with `prefix`, by name.
fn by_name_prefix(
    conn: &Connection,
    e: &Entity,
    prefix: &str,
    limit: usize,
    scope: &Scope,
) -> rusqlite::Result<Vec<i64>> {
    let upper = format!("{prefix}\u{10FFFF}");
    use rusqlite::types::Value as SqlValue;
    let (filter, owners, shared) = match (scope.owners(), scope.shared()) {
        (None, _) => ("", SqlValue::Null, SqlValue::Null),
        (Some(o), s) if !s.is_empty() => (
            " AND (+owner_id IN (SELECT value FROM json_each(?4)) OR id IN (SELECT value FROM json_each(?5)))",
            json(o),
            json(s),
        ),
        // One owner: straight from the (owner, name) index.
        (Some([one]), _) => (
            " AND owner_id = ?4 AND ?5 IS NULL",
            SqlValue::Integer(*one),
            SqlValue::Null,
        ),
        (Some(o), _) => (
            // Walk the name index and filter by owner (see `records::store::list`).
            " AND +owner_id IN (SELECT value FROM json_each(?4)) AND ?5 IS NULL",
            json(o),
            SqlValue::Null,
        ),
    };
    let sql = format!(
        "SELECT id FROM {} WHERE deleted_at IS NULL AND name >= ?1 AND name < ?2{filter} ORDER BY name, id LIMIT ?3",
        e.table
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    if filter.is_empty() {
        stmt.query_map(rusqlite::params![prefix, upper, limit as i64], |r| r.get(0))?
            .collect()
    } else {
        stmt.query_map(
            rusqlite::params![prefix, upper, limit as i64, owners, shared],
            |r| r.get(0),
        )?
        .collect()
    }
}

/// For a user who sees only some owners' records, matches are read in batches of ten
/// times the page size, at most this many batches: a bounded amount of work that finds a
/// large team's records in the first batch and a single rep's among hundreds of owners.
const SCOPED_BATCHES: usize = 5;

fn json(ids: &[i64]) -> rusqlite::types::Value {
    rusqlite::types::Value::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
}

/// Which of `ids` the scope reaches (owned by one of its owners, or shared).
fn owned_by(
    conn: &Connection,
    e: &Entity,
    ids: &[i64],
    scope: &Scope,
) -> rusqlite::Result<Vec<i64>> {
    let Some(owners) = scope.owners() else {
        return Ok(ids.to_vec());
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM {} WHERE id IN (SELECT value FROM json_each(?1))
           AND (+owner_id IN (SELECT value FROM json_each(?2))
                OR id IN (SELECT value FROM json_each(?3)))",
        e.table
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(
        rusqlite::params![json(ids), json(owners), json(scope.shared())],
        |r| r.get(0),
    )?
    .collect()
}

/// Which records a search may return, per entity: the viewer's view scopes.
#[derive(Debug, Clone)]
pub struct Reach {
    /// Companies.
    pub companies: Scope,
    /// Contacts.
    pub contacts: Scope,
}

impl Default for Reach {
    fn default() -> Self {
        Reach {
            companies: Scope::All,
            contacts: Scope::All,
        }
    }
}

impl Reach {
    fn of(&self, e: &Entity) -> &Scope {
        if e.table == "companies" {
            &self.companies
        } else {
            &self.contacts
        }
    }

    fn scoped(&self) -> bool {
        self.companies != Scope::All || self.contacts != Scope::All
    }
}

/// Finds records: names starting with the query first, then other matches newest first,
/// only those inside `reach`.
///
/// `ids` are the record ids of a small reach ([`reach_ids`]), read once and passed in so a
/// caller can keep them between searches.
pub fn search(
    conn: &Connection,
    q: &str,
    limit: usize,
    reach: &Reach,
    ids: Option<&ReachIds>,
) -> rusqlite::Result<Vec<(&'static Entity, Record)>> {
    let Some(query) = super::parse(q) else {
        return Ok(Vec::new());
    };
    let mut hits: Vec<(&'static Entity, i64)> = Vec::new();
    if let Query::Words(_) = query {
        let prefix = q.trim();
        for e in [&COMPANIES, &CONTACTS] {
            if reach.of(e).is_empty() {
                continue;
            }
            for id in by_name_prefix(conn, e, prefix, limit / 2, reach.of(e))? {
                hits.push((e, id));
            }
        }
    }
    let (sql, expr) = match &query {
        Query::Words(x) => (
            "SELECT rowid FROM search_words WHERE search_words MATCH ?1 AND rowid < ?3 ORDER BY rowid DESC LIMIT ?2",
            x,
        ),
        Query::Digits(x) => (
            "SELECT rowid FROM search_digits WHERE search_digits MATCH ?1 AND rowid < ?3 ORDER BY rowid DESC LIMIT ?2",
            x,
        ),
    };
    // A user who sees the records of a few people: matches are streamed newest first and
    // kept when they are in the (index-read) set of those people's records.
    if let Some(ReachIds(companies, contacts)) = ids {
        let all = sql.replace(" AND rowid < ?3", "").replace(" LIMIT ?2", "");
        let mut stmt = conn.prepare_cached(&all)?;
        let mut rows = stmt.query([expr])?;
        let mut seen: std::collections::HashSet<(&str, i64)> =
            hits.iter().map(|(e, id)| (e.table, *id)).collect();
        let mut looked = 0;
        // Rowids come in descending order, and so do each entity's ids.
        let (mut companies, mut contacts) = (companies.downward(), contacts.downward());
        while let Some(row) = rows.next()? {
            looked += 1;
            if hits.len() >= limit || looked > STREAM_CAP {
                break;
            }
            let (e, id) = entity_of(row.get(0)?);
            let set = if e.table == "companies" {
                &mut companies
            } else {
                &mut contacts
            };
            if set.contains(id) && seen.insert((e.table, id)) {
                hits.push((e, id));
            }
        }
        return load(conn, hits, limit);
    }
    let mut stmt = conn.prepare_cached(sql)?;
    // Unscoped: one batch of `limit`. Scoped: batches until enough of the user's own
    // records are found or a bounded number of matches was looked at.
    let batch = if reach.scoped() { limit * 10 } else { limit };
    let mut before = i64::MAX;
    for _ in 0..SCOPED_BATCHES {
        let rowids: Vec<i64> = stmt
            .query_map(rusqlite::params![expr, batch as i64, before], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let exhausted = rowids.len() < batch;
        before = rowids.last().copied().unwrap_or(before);
        let mut fresh: Vec<(&'static Entity, i64)> = Vec::new();
        for rowid in rowids {
            let (e, id) = entity_of(rowid);
            let seen = |list: &[(&'static Entity, i64)]| {
                list.iter()
                    .any(|(he, hid)| he.table == e.table && *hid == id)
            };
            if !seen(&hits) && !seen(&fresh) {
                fresh.push((e, id));
            }
        }
        if !reach.scoped() {
            hits.extend(fresh);
            break;
        }
        let mut allowed = std::collections::HashSet::new();
        for e in [&COMPANIES, &CONTACTS] {
            let ids: Vec<i64> = fresh
                .iter()
                .filter(|h| h.0.table == e.table)
                .map(|h| h.1)
                .collect();
            let ids = owned_by(conn, e, &ids, reach.of(e))?;
            allowed.extend(ids.into_iter().map(|id| (e.table, id)));
        }
        hits.extend(
            fresh
                .into_iter()
                .filter(|(e, id)| allowed.contains(&(e.table, *id))),
        );
        if exhausted || hits.len() >= limit {
            break;
        }
    }
    load(conn, hits, limit)
}

/// Matches looked at, at most, when streaming for a small reach.
const STREAM_CAP: usize = 400_000;

/// Owners at most in a reach whose record ids are read into memory for a search.
const SMALL_TEAM: usize = 20;

/// Record ids, sorted: a sales rep may own tens of thousands of records, and sorting them
/// once costs less than hashing each into a set. Matches come newest (largest id) first, so
/// they are looked up with a [`Downward`] walk rather than a search from scratch each.
#[derive(Debug)]
pub struct IdSet(Vec<i64>);

impl IdSet {
    fn downward(&self) -> Downward<'_> {
        Downward {
            ids: &self.0,
            end: self.0.len(),
        }
    }
}

/// Looks up ids in descending order in an [`IdSet`]: each lookup moves on from where the
/// last one stopped, so a whole stream of matches costs one pass over the set.
struct Downward<'a> {
    ids: &'a [i64],
    /// The ids at `end` and above are larger than every id looked up so far.
    end: usize,
}

impl Downward<'_> {
    /// Whether `id` is in the set; `id` must not be larger than the last one looked up.
    fn contains(&mut self, id: i64) -> bool {
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
pub struct ReachIds(IdSet, IdSet);

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

/// Reads the records of the first `limit` hits, in hit order.
fn load(
    conn: &Connection,
    mut hits: Vec<(&'static Entity, i64)>,
    limit: usize,
) -> rusqlite::Result<Vec<(&'static Entity, Record)>> {
    hits.truncate(limit);
    // Two queries for all hits, not one per hit.
    let ids = |table: &str| -> Vec<i64> {
        hits.iter()
            .filter(|(e, _)| e.table == table)
            .map(|(_, id)| *id)
            .collect()
    };
    let mut companies = records::get_many(conn, &COMPANIES, &ids("companies"))?;
    let mut contacts = records::get_many(conn, &CONTACTS, &ids("contacts"))?;
    let mut out = Vec::with_capacity(hits.len());
    for (e, id) in hits {
        let found = if e.table == "companies" {
            companies.remove(&id)
        } else {
            contacts.remove(&id)
        };
        if let Some(r) = found.filter(|r| r.deleted_at.is_none()) {
            out.push((e, r));
        }
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_downward_walk_finds_exactly_the_ids_in_the_set() {
        let set = IdSet(vec![2, 5, 9, 12]);
        let mut walk = set.downward();
        let found: Vec<i64> = [15, 12, 10, 9, 9, 5, 4, 2, 1, -3]
            .into_iter()
            .filter(|id| walk.contains(*id))
            .collect();
        assert_eq!(found, [12, 9, 9, 5, 2]);
        assert!(!IdSet(Vec::new()).downward().contains(1));
    }

    fn setup() -> Connection {
        let conn = crate::db::memory().unwrap();
        let add = |table: &str, name: &str, extra: &str| {
            let column = if table == "companies" {
                "name_norm"
            } else {
                "mobile_digits"
            };
            let value = if table == "companies" { name } else { extra };
            let sql = format!(
                "INSERT INTO {table} (name, {column}, status, created_at, updated_at) VALUES (?1, ?2, 'lead', 't', 't')"
            );
            conn.execute(&sql, rusqlite::params![name, value]).unwrap();
            let id = conn.last_insert_rowid();
            let e = if table == "companies" {
                &COMPANIES
            } else {
                &CONTACTS
            };
            index(&conn, e, id).unwrap();
        };
        add("companies", "华为技术有限公司", "");
        add("companies", "华星科技", "");
        add("contacts", "张伟", "13800138000");
        add("contacts", "王张", "13912345678");
        add("contacts", "Zhang Wei", "01012345678");
        conn
    }

    fn names(conn: &Connection, q: &str) -> Vec<String> {
        search(conn, q, 20, &Reach::default(), None)
            .unwrap()
            .into_iter()
            .map(|(_, r)| r.values["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn one_and_two_chinese_characters_find_names() {
        let conn = setup();
        assert_eq!(
            names(&conn, "张"),
            vec!["张伟", "王张"],
            "a name starting with it comes first"
        );
        assert_eq!(names(&conn, "华为"), vec!["华为技术有限公司"]);
        assert_eq!(names(&conn, "技术"), vec!["华为技术有限公司"]);
        assert!(names(&conn, "华").len() == 2);
    }

    #[test]
    fn latin_names_match_by_word_prefix_and_phones_by_any_digits() {
        let conn = setup();
        assert_eq!(names(&conn, "zhang"), vec!["Zhang Wei"]);
        assert_eq!(names(&conn, "0013"), vec!["张伟"]);
        assert_eq!(names(&conn, "1234"), vec!["Zhang Wei", "王张"]);
        assert_eq!(names(&conn, "138 0013 8000"), vec!["张伟"]);
    }

    #[test]
    fn a_small_reach_finds_only_its_owners_and_shared_records() {
        let conn = setup();
        conn.execute("INSERT INTO users (email, name, role, password_hash, created_at, updated_at) VALUES ('a@x.cn', 'A', 'sales', 'x', 't', 't')", []).unwrap();
        conn.execute("UPDATE contacts SET owner_id = 1 WHERE name = '王张'", [])
            .unwrap();
        let mine = Scope::owners_only(vec![1]);
        let reach = Reach {
            companies: mine.clone(),
            contacts: mine.clone(),
        };
        let found = |reach: &Reach, q: &str| -> Vec<String> {
            let ids = reach_ids(&conn, reach).unwrap();
            search(&conn, q, 20, reach, ids.as_ref())
                .unwrap()
                .into_iter()
                .map(|(_, r)| r.values["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(found(&reach, "张"), vec!["王张"]);
        assert_eq!(found(&reach, "1234"), vec!["王张"]);
        let shared = Reach {
            companies: mine.clone(),
            contacts: mine.with_shared(vec![1]),
        };
        assert_eq!(found(&shared, "张"), vec!["张伟", "王张"]);
        let none = Scope::owners_only(vec![]);
        assert!(
            found(
                &Reach {
                    companies: none.clone(),
                    contacts: none
                },
                "张"
            )
            .is_empty()
        );
    }

    #[test]
    fn removed_records_are_not_found() {
        let conn = setup();
        remove(&conn, &CONTACTS, 1).unwrap();
        conn.execute("UPDATE contacts SET deleted_at = 'x' WHERE id = 1", [])
            .unwrap();
        assert_eq!(names(&conn, "张"), vec!["王张"]);
    }
}
