//! A team's list page, merged from runs of the owner and department indexes.
//!
//! A manager's list shows the records of a department's hundred-odd owners. Walking the sort
//! index and skipping everyone else's rows costs as many rows as precede the team's fiftieth:
//! tens of thousands when someone outside the team has just imported a file. Instead, rows
//! are read in runs: a department's records from the `(owner_department_id, [status,]
//! updated_at, id)` index, or one owner's from the `(owner_id, [status,] sort, id)` index.
//! Each run's next row is compared and the smallest (or largest) taken, so a page costs a
//! seek or two per run however the rest of the table looks. A department scope in order of
//! last change reads one run per department (and per report placed elsewhere); other orders
//! one run per owner.

use super::{KEEPS_OWNER_DEPARTMENT, ListQuery, Record, get_many};
use crate::crm::records::Entity;
use rusqlite::Connection;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Most owners merged this way; beyond, walking the sort index is cheaper.
const MOST_OWNERS: usize = 200;

/// Where a run of rows comes from.
#[derive(Clone, Copy)]
enum Source {
    Owner(i64),
    Department(i64),
}

/// Whether `q` filters on nothing but the viewer's team (and perhaps a status): no shared
/// records, owner, company, tag, industry, field or name filter.
fn only_scoped(q: &ListQuery) -> bool {
    q.owner_id.is_none()
        && q.company_id.is_none()
        && q.tag_id.is_none()
        && q.industry_id.is_none()
        && q.custom.is_empty()
        && q.fields.is_empty()
        && q.name_contains.is_none()
        && q.shared.is_empty()
}

/// The runs that make up `q`'s records, or `None` when `q` is not of the shape the owner and
/// department indexes serve (a team's records, no shared records, no other filter, sorted by
/// last change or name; a status filter only with the last-change sort).
fn sources(e: &Entity, q: &ListQuery, sort: &str) -> Option<Vec<Source>> {
    let owners = q.owners.as_deref()?;
    if !only_scoped(q) {
        return None;
    }
    // The (owner or department, status, last change) indexes.
    let status_index = matches!(e.table, "contacts" | "companies" | "leads");
    let by_department = q.departments.as_ref().filter(|d| {
        sort == "updated_at"
            && (q.status.is_none() || status_index)
            && KEEPS_OWNER_DEPARTMENT.contains(&e.table)
            && d.others.len() <= MOST_OWNERS
    });
    if let Some(d) = by_department {
        let departments = d.ids.iter().map(|&id| Source::Department(id));
        return Some(
            departments
                .chain(d.others.iter().map(|&id| Source::Owner(id)))
                .collect(),
        );
    }
    let status_ok = q.status.is_none() || (sort == "updated_at" && status_index);
    let merged = owners.len() > 1 && owners.len() <= MOST_OWNERS;
    (merged && status_ok && matches!(sort, "updated_at" | "name"))
        .then(|| owners.iter().map(|&id| Source::Owner(id)).collect())
}

/// One page of `q` merged from its runs, or `None` when `q` is not of the shape they serve.
pub fn page(
    conn: &Connection,
    e: &Entity,
    q: &ListQuery,
    sort: &'static str,
    limit: usize,
) -> rusqlite::Result<Option<(Vec<Record>, bool)>> {
    if let Some(page) = department_by_name(conn, e, q, sort, limit)? {
        return Ok(Some(page));
    }
    let Some(sources) = sources(e, q, sort) else {
        return Ok(None);
    };
    // A run reads this many rows at a time: a page's worth split between the runs.
    let batch = (limit + 1).div_ceil(sources.len()).max(1);
    let sql = |column| run_sql(e, column, sort, q.status.is_some(), q.desc);
    let (by_owner, by_department) = (sql("owner_id"), sql("owner_department_id"));
    let status = q.status.as_deref();
    let mut fetch = |source: Source, after: &Key| -> rusqlite::Result<VecDeque<Key>> {
        let (sql, id) = match source {
            Source::Owner(id) => (&by_owner, id),
            Source::Department(id) => (&by_department, id),
        };
        let mut stmt = conn.prepare_cached(sql)?;
        let args = rusqlite::params![id, status, after.0, after.1, batch as i64];
        let rows = stmt.query_map(args, |r| {
            let key: Option<String> = r.get(0)?;
            Ok((key.unwrap_or_default(), r.get(1)?))
        })?;
        rows.collect()
    };
    let start = start(q);
    let mut runs: Vec<Run> = sources
        .into_iter()
        .map(|source| Run {
            source,
            ahead: VecDeque::new(),
            last: start.clone(),
            done: false,
        })
        .collect();
    let mut heap = Heap::new(q.desc);
    for (at, run) in runs.iter_mut().enumerate() {
        if let Some(key) = run.next(batch, &mut fetch)? {
            heap.push(Head { key, run: at });
        }
    }
    let mut ids = Vec::with_capacity(limit + 1);
    while ids.len() <= limit {
        let Some(head) = heap.pop() else { break };
        ids.push(head.key.1);
        if let Some(key) = runs[head.run].next(batch, &mut fetch)? {
            heap.push(Head { key, run: head.run });
        }
    }
    let more = ids.len() > limit;
    ids.truncate(limit);
    Ok(Some((in_order(conn, e, &ids)?, more)))
}

/// Where a page starts: after the cursor, or before every value.
fn start(q: &ListQuery) -> Key {
    match &q.after {
        Some((v, id)) => (v.clone(), *id),
        None if q.desc => (String::from(char::MAX), i64::MAX),
        None => (String::new(), i64::MIN),
    }
}

/// The records `ids`, in that order.
fn in_order(conn: &Connection, e: &Entity, ids: &[i64]) -> rusqlite::Result<Vec<Record>> {
    let mut found = get_many(conn, e, ids)?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Rows of the name index looked at for a department's page before it is left to the runs
/// of its owners: a department that holds few of the records is cheaper merged that way.
const NAME_SCAN: usize = 5_000;

/// A department scope's page by name, read from the name index, which holds each record's
/// department: other departments' rows are passed over inside the index, without reading
/// them from the table. `None` when `q` is not of that shape, or when the first
/// [`NAME_SCAN`] rows after the cursor do not hold more than a page of the department's.
fn department_by_name(
    conn: &Connection,
    e: &Entity,
    q: &ListQuery,
    sort: &str,
    limit: usize,
) -> rusqlite::Result<Option<(Vec<Record>, bool)>> {
    let departments = match &q.departments {
        Some(d) if d.others.is_empty() && !d.ids.is_empty() => &d.ids,
        _ => return Ok(None),
    };
    let plain = q.status.is_none() && only_scoped(q);
    if !(plain && sort == "name" && matches!(e.table, "contacts" | "companies")) {
        return Ok(None);
    }
    let start = start(q);
    let sql = by_name_sql(e, q.desc);
    let departments = serde_json::to_string(departments).unwrap_or_else(|_| "[]".into());
    let mut stmt = conn.prepare_cached(&sql)?;
    let args = rusqlite::params![start.0, start.1, departments, limit as i64 + 1];
    let mut ids: Vec<i64> = stmt
        .query_map(args, |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if ids.len() <= limit {
        // The last page, or a department with few records: the runs tell which.
        return Ok(None);
    }
    ids.truncate(limit);
    Ok(Some((in_order(conn, e, &ids)?, true)))
}

/// The ids of the departments ?3 (JSON) after (name ?1, id ?2) among the next [`NAME_SCAN`]
/// rows of the name index, at most ?4.
fn by_name_sql(e: &Entity, desc: bool) -> String {
    let (cmp, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
    format!(
        "SELECT id FROM (SELECT id, owner_department_id AS department FROM {table} \
           WHERE deleted_at IS NULL AND (name, id) {cmp} (?1, ?2) \
           ORDER BY name {dir}, id {dir} LIMIT {NAME_SCAN}) \
         WHERE department IN (SELECT value FROM json_each(?3)) LIMIT ?4",
        table = e.table
    )
}

/// The next rows of a run, `column` (the owner or their department) being ?1, the status ?2,
/// the (sort value, id) they follow ?3 and ?4, how many ?5.
fn run_sql(e: &Entity, column: &str, sort: &str, status: bool, desc: bool) -> String {
    let (cmp, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
    // Two statements rather than `(?2 IS NULL OR …)`, which would keep SQLite off the
    // (owner, status, …) index.
    let status_test = if status { "status = ?2" } else { "?2 IS NULL" };
    format!(
        "SELECT {sort}, id FROM {table} WHERE {column} = ?1 AND deleted_at IS NULL \
         AND {status_test} AND ({sort}, id) {cmp} (?3, ?4) \
         ORDER BY {sort} {dir}, id {dir} LIMIT ?5",
        table = e.table
    )
}

/// A row's (sort value, id).
type Key = (String, i64);

/// One owner's or department's rows in list order, read a batch at a time.
struct Run {
    source: Source,
    /// Rows read and not yet taken.
    ahead: VecDeque<Key>,
    /// The last row read: the next batch starts after it.
    last: Key,
    /// Whether the index has no more rows for this run.
    done: bool,
}

impl Run {
    fn next(
        &mut self,
        batch: usize,
        fetch: &mut impl FnMut(Source, &Key) -> rusqlite::Result<VecDeque<Key>>,
    ) -> rusqlite::Result<Option<Key>> {
        if self.ahead.is_empty() && !self.done {
            self.ahead = fetch(self.source, &self.last)?;
            self.done = self.ahead.len() < batch;
            if let Some(last) = self.ahead.back() {
                self.last = last.clone();
            }
        }
        Ok(self.ahead.pop_front())
    }
}

/// The next row of one run and which run it is.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Head {
    key: Key,
    run: usize,
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
        // Users 1 and 2 in one department, 3 and 4 in another, 5 in none.
        use crate::crm::departments::store as departments;
        let north = departments::insert(&conn, "华北区", None).unwrap();
        let east = departments::insert(&conn, "华东区", None).unwrap();
        for (user, department) in [(1, north), (2, north), (3, east), (4, east)] {
            departments::set_place(&conn, user, Some(department), None).unwrap();
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
                         deleted_at, custom{extra}, owner_department_id) \
                         VALUES (?1, ?2, ?3, 'now', ?4, ?5, '{{}}'{norm}, \
                         (SELECT department_id FROM users WHERE id = ?3))"
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
                    // By owner, and by department (north) with the owners outside it.
                    let by_department = |ids: Vec<i64>, others: Vec<i64>| {
                        Some(crate::auth::scope::Departments { ids, others })
                    };
                    for (owners, departments) in [
                        (vec![1, 2], None),
                        (vec![2, 3, 5], None),
                        (vec![1, 2, 3, 4, 5, 99], None),
                        (vec![1, 2, 5], by_department(vec![1], vec![5])),
                        (vec![1, 2, 3, 4], by_department(vec![1, 2], vec![])),
                        (vec![3, 4], by_department(vec![2], vec![])),
                    ] {
                        let mut q = ListQuery {
                            sort,
                            desc,
                            status: status.map(str::to_string),
                            owners: Some(owners.clone()),
                            departments,
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
    fn a_run_reads_its_own_index_in_list_order() {
        let conn = crate::db::memory().unwrap();
        for e in crate::crm::records::all() {
            if !KEEPS_OWNER_DEPARTMENT.contains(&e.table) {
                continue;
            }
            let statuses: &[bool] = match e.table {
                "deals" => &[false],
                _ => &[false, true],
            };
            let runs = [("owner_department_id", true), ("owner_id", false)];
            for ((column, desc), &status) in runs
                .iter()
                .flat_map(|r| statuses.iter().map(move |s| (r, s)))
            {
                let sql = run_sql(e, column, "updated_at", status, *desc);
                let plan: Vec<String> = conn
                    .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .unwrap()
                    .query_map(rusqlite::params![1, None::<String>, "", 0, 10], |r| {
                        r.get(3)
                    })
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
                let index = match status {
                    true => format!("({column}=? AND status=? AND updated_at"),
                    false => format!("({column}=? AND updated_at"),
                };
                assert!(
                    plan.len() == 1 && plan[0].contains(&index),
                    "{} {column} {status}: {plan:?}",
                    e.table
                );
            }
        }
    }

    #[test]
    fn a_department_by_name_walks_the_name_index() {
        let conn = crate::db::memory().unwrap();
        for (e, desc) in [(&CONTACTS, false), (&COMPANIES, true)] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", by_name_sql(e, desc)))
                .unwrap()
                .query_map(rusqlite::params!["", 0, "[1]", 10], |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            // The plan does not say "covering" (the index is partial), but every column the
            // statement reads is in the index, so the table is never read.
            let index = format!("USING INDEX {}_live_name (name", e.table);
            assert!(
                plan.iter().any(|step| step.contains(&index))
                    && !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "{plan:?}"
            );
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
