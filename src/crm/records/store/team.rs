//! A team's list page, merged from each member's run of the owner indexes.
//!
//! A manager's list shows the records of a department's hundred-odd owners. Walking the sort
//! index and skipping everyone else's rows costs as many rows as precede the team's fiftieth:
//! tens of thousands when someone outside the team has just imported a file. Instead, each
//! owner's next row is read from the `(owner_id, [status,] sort, id)` index, the smallest
//! (or largest) is taken and that owner's following row read: one index seek per owner and
//! per row shown, however the rest of the table looks.

use super::{ListQuery, Record, get_many};
use crate::crm::records::Entity;
use rusqlite::Connection;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Most owners merged this way; beyond, walking the sort index is cheaper.
const MOST_OWNERS: usize = 200;

/// One page of `q` merged owner by owner, or `None` when `q` is not of the shape the owner
/// indexes serve (a few owners, no shared records, no other filter, sorted by last change or
/// name; a status filter only with the last-change sort).
pub fn page(
    conn: &Connection,
    e: &Entity,
    q: &ListQuery,
    sort: &'static str,
    limit: usize,
) -> rusqlite::Result<Option<(Vec<Record>, bool)>> {
    let owners = match q.owners.as_deref() {
        Some(o) if o.len() > 1 && o.len() <= MOST_OWNERS && q.shared.is_empty() => o,
        _ => return Ok(None),
    };
    let status_ok = q.status.is_none()
        || (sort == "updated_at" && matches!(e.table, "contacts" | "companies" | "leads"));
    let plain = q.owner_id.is_none()
        && q.company_id.is_none()
        && q.tag_id.is_none()
        && q.industry_id.is_none()
        && q.custom.is_empty()
        && q.fields.is_empty()
        && q.name_contains.is_none();
    if !(plain && status_ok && matches!(sort, "updated_at" | "name")) {
        return Ok(None);
    }
    let (cmp, dir) = if q.desc { ("<", "DESC") } else { (">", "ASC") };
    // Two statements rather than `(?2 IS NULL OR …)`, which would keep SQLite off the
    // (owner, status, …) index.
    let status_test = match q.status {
        Some(_) => "status = ?2",
        None => "?2 IS NULL",
    };
    let sql = format!(
        "SELECT {sort}, id FROM {table} WHERE owner_id = ?1 AND deleted_at IS NULL \
         AND {status_test} AND ({sort}, id) {cmp} (?3, ?4) \
         ORDER BY {sort} {dir}, id {dir} LIMIT 1",
        table = e.table
    );
    let mut next = conn.prepare_cached(&sql)?;
    let status = q.status.as_deref();
    // Where each owner's run starts: after the cursor, or before every value.
    let start = match &q.after {
        Some((v, id)) => (v.clone(), *id),
        None if q.desc => (String::from(char::MAX), i64::MAX),
        None => (String::new(), i64::MIN),
    };
    let mut read = |owner: i64, after: &(String, i64)| -> rusqlite::Result<Option<Head>> {
        let mut rows = next.query(rusqlite::params![owner, status, after.0, after.1])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let key: Option<String> = row.get(0)?;
        Ok(Some(Head {
            key: (key.unwrap_or_default(), row.get(1)?),
            owner,
        }))
    };
    let mut heap = Heap::new(q.desc);
    for &owner in owners {
        if let Some(head) = read(owner, &start)? {
            heap.push(head);
        }
    }
    let mut ids = Vec::with_capacity(limit + 1);
    while ids.len() <= limit {
        let Some(head) = heap.pop() else { break };
        ids.push(head.key.1);
        if let Some(following) = read(head.owner, &head.key)? {
            heap.push(following);
        }
    }
    let more = ids.len() > limit;
    ids.truncate(limit);
    let mut found = get_many(conn, e, &ids)?;
    let rows = ids.iter().filter_map(|id| found.remove(id)).collect();
    Ok(Some((rows, more)))
}

/// The next row of one owner's run: its (sort value, id).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Head {
    key: (String, i64),
    owner: i64,
}

/// Pops the largest head for a descending sort, the smallest for an ascending one.
enum Heap {
    Largest(BinaryHeap<Head>),
    Smallest(BinaryHeap<Reverse<Head>>),
}

impl Heap {
    fn new(desc: bool) -> Heap {
        match desc {
            true => Heap::Largest(BinaryHeap::new()),
            false => Heap::Smallest(BinaryHeap::new()),
        }
    }

    fn push(&mut self, head: Head) {
        match self {
            Heap::Largest(h) => h.push(head),
            Heap::Smallest(h) => h.push(Reverse(head)),
        }
    }

    fn pop(&mut self) -> Option<Head> {
        match self {
            Heap::Largest(h) => h.pop(),
            Heap::Smallest(h) => h.pop().map(|r| r.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::walk;
    use super::*;
    use crate::crm::companies::COMPANIES;
    use crate::crm::contacts::CONTACTS;

    /// Five owners' records with clashing names and change times, some deleted.
    fn seeded() -> Connection {
        let conn = crate::db::memory().unwrap();
        for u in 1..=5 {
            conn.execute(
                "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
                 VALUES (?1, ?1 || '@x.cn', 'u', 'sales', 'x', 'now', 'now')",
                [u],
            )
            .unwrap();
        }
        let statuses = ["lead", "prospect", "customer", "churned"];
        for i in 0..400i64 {
            let (owner, minute) = (i * 7 % 5 + 1, i * 13 % 37);
            let name =
                ["王", "张", "Li", "李", "Ann"][(i % 5) as usize].repeat((i % 3 + 1) as usize);
            let deleted = (i % 11 == 0).then_some("gone");
            for (table, extra) in [("contacts", ""), ("companies", ", name_norm")] {
                let norm = if extra.is_empty() { "" } else { ", ?1" };
                conn.execute(
                    &format!(
                        "INSERT INTO {table} (name, status, owner_id, created_at, updated_at, \
                         deleted_at, custom{extra}) \
                         VALUES (?1, ?2, ?3, 'now', ?4, ?5, '{{}}'{norm})"
                    ),
                    rusqlite::params![
                        name,
                        statuses[(i % 4) as usize],
                        owner,
                        format!("2026-11-{:02}T10:{minute:02}", i % 3 + 1),
                        deleted
                    ],
                )
                .unwrap();
            }
        }
        conn
    }

    fn ids(rows: &[Record]) -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn the_merged_pages_are_the_pages_of_the_index_walk() {
        let conn = seeded();
        for e in [&CONTACTS, &COMPANIES] {
            for (sort, status) in [
                ("updated_at", None),
                ("name", None),
                ("updated_at", Some("customer")),
            ] {
                for desc in [true, false] {
                    for owners in [vec![1, 2], vec![2, 3, 5], vec![1, 2, 3, 4, 5, 99]] {
                        let mut q = ListQuery {
                            sort,
                            desc,
                            status: status.map(str::to_string),
                            owners: Some(owners.clone()),
                            ..Default::default()
                        };
                        // Every page to the end, through the cursor.
                        for _ in 0..40 {
                            let merged = page(&conn, e, &q, sort, 17).unwrap().unwrap();
                            let walked = walk(&conn, e, &q, sort, 17).unwrap();
                            let what = format!("{} {sort} {status:?} {desc} {owners:?}", e.table);
                            assert_eq!(ids(&merged.0), ids(&walked.0), "{what}");
                            assert_eq!(merged.1, walked.1, "{what}");
                            let Some(last) = merged.0.last().filter(|_| merged.1) else {
                                break;
                            };
                            let value = match sort {
                                "name" => last.values["name"].as_str().unwrap().to_string(),
                                _ => last.updated_at.clone(),
                            };
                            q.after = Some((value, last.id));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn other_shapes_are_left_to_the_walk() {
        let conn = seeded();
        let team = ListQuery {
            sort: "updated_at",
            owners: Some(vec![1, 2]),
            ..Default::default()
        };
        let served = |q: &ListQuery, sort| page(&conn, &CONTACTS, q, sort, 10).unwrap().is_some();
        assert!(served(&team, "updated_at"));
        assert!(!served(&team, "created_at"), "no owner index");
        let one = ListQuery {
            owners: Some(vec![1]),
            ..team.clone()
        };
        assert!(
            !served(&one, "updated_at"),
            "one owner reads its index directly"
        );
        let shared = ListQuery {
            shared: vec![3],
            ..team.clone()
        };
        assert!(!served(&shared, "updated_at"));
        let tagged = ListQuery {
            tag_id: Some(1),
            ..team.clone()
        };
        assert!(!served(&tagged, "updated_at"));
        let by_name = ListQuery {
            status: Some("lead".into()),
            ..team.clone()
        };
        assert!(!served(&by_name, "name"), "no (owner, status, name) index");
        assert!(
            !served(&ListQuery::default(), "updated_at"),
            "everyone's records"
        );
    }
}
