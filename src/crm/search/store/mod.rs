//! SQL for the search index and for running searches.

use super::Query;
use crate::auth::scope::Scope;
use crate::crm::records::Entity;
use crate::crm::records::store::{self as records, Record};
use crate::crm::{companies::COMPANIES, contacts::CONTACTS};
use rusqlite::Connection;

mod index;
mod reach;
pub mod rebuild;

use index::entity_of;
pub use index::{
    NewRows, index, insert, insert_new, reindex_company_contacts, reindex_new_owners, remove,
    rows_new,
};
use reach::small_reach;
pub use reach::{IdSet, ReachIds, reach_ids};

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
    if let Some(ids) = ids {
        let found = small_reach(conn, sql, &query, reach, ids, limit)?;
        let mut seen: std::collections::HashSet<(&str, i64)> =
            hits.iter().map(|(e, id)| (e.table, *id)).collect();
        for rowid in found {
            let (e, id) = entity_of(rowid);
            if seen.insert((e.table, id)) {
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
        // The change of hands was noted; the write path rewrites the entry before committing.
        assert_eq!(reindex_new_owners(&conn).unwrap(), 1);
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
