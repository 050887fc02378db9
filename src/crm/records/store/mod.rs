//! SQL for customer records. Statements are assembled only from the entity's static field
//! list and fixed fragments; every value from a request is a bound parameter.

mod team;

use super::{Entity, Kind, Values};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};
use serde::Serialize;
use serde_json::Value;
use std::sync::{LazyLock, RwLock};

/// A record as read back, with the names of its owner and company for display.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Id.
    pub id: i64,
    /// Field values.
    pub values: Values,
    /// Optimistic concurrency version.
    pub version: i64,
    /// Created (UTC).
    pub created_at: String,
    /// Last changed (UTC).
    pub updated_at: String,
    /// In the trash since, if deleted.
    pub deleted_at: Option<String>,
    /// Owner's name.
    pub owner_name: Option<String>,
    /// Company's name (contacts).
    pub company_name: Option<String>,
    /// Industry as "parent / child" (companies).
    pub industry_name: Option<String>,
    /// Stage's name (deals).
    pub stage_name: Option<String>,
    /// Main contact's name (deals).
    pub contact_name: Option<String>,
}

impl Record {
    /// The record's owner.
    pub fn owner(&self) -> Option<i64> {
        self.values.get("owner_id").and_then(Value::as_i64)
    }
}

fn to_json(v: SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::from(i),
        SqlValue::Real(f) => Value::from(f),
        SqlValue::Text(s) => Value::String(s),
        SqlValue::Blob(_) => Value::Null,
    }
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => n.as_i64().map_or_else(
            || SqlValue::Real(n.as_f64().unwrap_or(0.0)),
            SqlValue::Integer,
        ),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

fn has_company(e: &Entity) -> bool {
    e.fields.iter().any(|f| f.kind == Kind::Company)
}

/// The SELECT of an entity's records with the names shown beside them, built once per
/// entity (see [`Entity::columns`]).
fn select(e: &Entity) -> &'static str {
    static BUILT: super::PerTable<str> = LazyLock::new(RwLock::default);
    super::per_table(&BUILT, e.table, || {
        Box::leak(build_select(e).into_boxed_str())
    })
}

fn build_select(e: &Entity) -> String {
    let cols: Vec<String> = e.columns().iter().map(|c| format!("r.{c}")).collect();
    let company = if has_company(e) {
        "(SELECT c.name FROM companies c WHERE c.id = r.company_id)"
    } else {
        "NULL"
    };
    let industry = if e.fields.iter().any(|f| f.kind == Kind::Industry) {
        "(SELECT coalesce(p.name || ' / ', '') || i.name FROM industries i \
         LEFT JOIN industries p ON p.id = i.parent_id WHERE i.id = r.industry_id)"
    } else {
        "NULL"
    };
    let has = |k: Kind| e.fields.iter().any(|f| f.kind == k);
    let stage = if has(Kind::Stage) {
        "(SELECT s.name FROM stages s WHERE s.id = r.stage_id)"
    } else {
        "NULL"
    };
    let contact = if has(Kind::Contact) {
        "(SELECT p.name FROM contacts p WHERE p.id = r.contact_id)"
    } else {
        "NULL"
    };
    format!(
        "SELECT r.id, r.version, r.created_at, r.updated_at, r.deleted_at, \
         (SELECT u.name FROM users u WHERE u.id = r.owner_id), {company}, {industry}, {stage}, {contact}, {} FROM {} r",
        cols.join(", "),
        e.table
    )
}

fn record(e: &Entity, r: &Row<'_>) -> rusqlite::Result<Record> {
    let mut values = Values::new();
    for (i, c) in e.columns().iter().enumerate() {
        let v = to_json(r.get(10 + i)?);
        // Custom field values are a JSON object kept as text.
        let v = match (c.as_str(), v) {
            ("custom", Value::String(text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
            (_, v) => v,
        };
        values.insert(c.clone(), v);
    }
    Ok(Record {
        id: r.get(0)?,
        version: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
        deleted_at: r.get(4)?,
        owner_name: r.get(5)?,
        company_name: r.get(6)?,
        industry_name: r.get(7)?,
        stage_name: r.get(8)?,
        contact_name: r.get(9)?,
        values,
    })
}

/// Tables whose rows keep their owner's department (`owner_department_id`, migration 28).
pub const KEEPS_OWNER_DEPARTMENT: [&str; 4] = ["contacts", "companies", "deals", "leads"];

/// An entity's INSERT statement, binding [`Entity::columns`] in order, then the creator and
/// the time: built once per table rather than for every record an import writes.
fn insert_sql(e: &Entity) -> &'static str {
    static BUILT: super::PerTable<str> = LazyLock::new(RwLock::default);
    super::per_table(&BUILT, e.table, || {
        Box::leak(build_insert(e).into_boxed_str())
    })
}

fn build_insert(e: &Entity) -> String {
    let cols = e.columns();
    let mut names = cols.join(", ");
    let mut marks: Vec<String> = (1..=cols.len() + 2).map(|i| format!("?{i}")).collect();
    // The owner's department is copied in the same statement: a trigger on insert would make
    // SQLite keep a statement journal for every row an import writes.
    let owner = cols.iter().position(|c| c == "owner_id");
    if let Some(at) = owner.filter(|_| KEEPS_OWNER_DEPARTMENT.contains(&e.table)) {
        names.push_str(", owner_department_id");
        let department = format!("(SELECT department_id FROM users WHERE id = ?{})", at + 1);
        marks.insert(cols.len(), department);
    }
    format!(
        "INSERT INTO {} ({names}, created_by, created_at, updated_at) VALUES ({}, ?{})",
        e.table,
        marks.join(", "),
        cols.len() + 2
    )
}

/// Inserts a record; `by` becomes its creator.
pub fn insert(
    conn: &Connection,
    e: &Entity,
    values: &Values,
    by: Option<i64>,
) -> rusqlite::Result<i64> {
    let cols = e.columns();
    let mut args: Vec<SqlValue> = Vec::with_capacity(cols.len() + 2);
    args.extend(
        cols.iter()
            .map(|c| values.get(c).map_or(SqlValue::Null, to_sql)),
    );
    args.push(by.map_or(SqlValue::Null, SqlValue::Integer));
    args.push(SqlValue::Text(crate::db::now()));
    conn.prepare_cached(insert_sql(e))?
        .execute(params_from_iter(args))?;
    Ok(conn.last_insert_rowid())
}

/// One record, deleted or not.
pub fn get(conn: &Connection, e: &Entity, id: i64) -> rusqlite::Result<Record> {
    conn.prepare_cached(&format!("{} WHERE r.id = ?1", select(e)))?
        .query_row([id], |r| record(e, r))
}

/// Several records by id in one query (deleted ones included), keyed by id.
pub fn get_many(
    conn: &Connection,
    e: &Entity,
    ids: &[i64],
) -> rusqlite::Result<std::collections::HashMap<i64, Record>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let mut stmt = conn.prepare_cached(&format!("{} WHERE r.id IN ({marks})", select(e)))?;
    let rows = stmt.query_map(params_from_iter(ids.iter()), |r| record(e, r))?;
    rows.map(|r| r.map(|rec| (rec.id, rec))).collect()
}

/// Live records of `e` with ids in `[from, to)`, by id.
pub fn live_between(
    conn: &Connection,
    e: &Entity,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<Record>> {
    let sql = format!(
        "{} WHERE r.id >= ?1 AND r.id < ?2 AND r.deleted_at IS NULL ORDER BY r.id",
        select(e)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map([from, to], |r| record(e, r))?.collect()
}

/// Writes new values if the version still matches; returns rows changed.
pub fn update(
    conn: &Connection,
    e: &Entity,
    id: i64,
    version: i64,
    values: &Values,
) -> rusqlite::Result<usize> {
    let cols = e.columns();
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 3))
        .collect();
    let sql = format!(
        "UPDATE {} SET {}, updated_at = ?{}, version = version + 1 WHERE id = ?1 AND version = ?2 AND deleted_at IS NULL",
        e.table,
        sets.join(", "),
        cols.len() + 3
    );
    let mut args: Vec<SqlValue> = vec![SqlValue::Integer(id), SqlValue::Integer(version)];
    args.extend(
        cols.iter()
            .map(|c| values.get(c).map_or(SqlValue::Null, to_sql)),
    );
    args.push(SqlValue::Text(crate::db::now()));
    conn.prepare_cached(&sql)?.execute(params_from_iter(args))
}

/// Marks a record deleted (or restores it with `None`).
pub fn set_deleted(
    conn: &Connection,
    e: &Entity,
    id: i64,
    at: Option<&str>,
    by: Option<i64>,
) -> rusqlite::Result<usize> {
    conn.execute(
        &format!(
            "UPDATE {} SET deleted_at = ?2, deleted_by = ?3, version = version + 1 WHERE id = ?1",
            e.table
        ),
        rusqlite::params![id, at, by],
    )
}

/// Changes a record's owner; a record given to someone leaves any pool it was in.
pub fn set_owner(conn: &Connection, e: &Entity, id: i64, owner: i64) -> rusqlite::Result<usize> {
    if matches!(e.table, "leads" | "companies") {
        conn.execute(
            &format!(
                "UPDATE {} SET pool_id = NULL, pooled_at = NULL, pooled_from = NULL WHERE id = ?1",
                e.table
            ),
            [id],
        )?;
    }
    conn.execute(
        &format!(
            "UPDATE {} SET owner_id = ?2, updated_at = ?3, version = version + 1 WHERE id = ?1",
            e.table
        ),
        rusqlite::params![id, owner, crate::db::now()],
    )
}

/// Removes a record for good.
pub fn purge(conn: &Connection, e: &Entity, id: i64) -> rusqlite::Result<usize> {
    if e.table == "companies" {
        conn.execute(
            "UPDATE contacts SET company_id = NULL WHERE company_id = ?1",
            [id],
        )?;
    }
    if e.table == "deals" {
        // Its follow-ups and tasks stay with the customer; its stage history and quotes
        // go with it.
        for sql in [
            "UPDATE activities SET deal_id = NULL WHERE deal_id = ?1",
            "UPDATE tasks SET deal_id = NULL WHERE deal_id = ?1",
            "DELETE FROM deal_stages WHERE deal_id = ?1",
            "DELETE FROM quote_events WHERE quote_id IN (SELECT id FROM quotes WHERE deal_id = ?1)",
            "DELETE FROM quote_lines WHERE quote_id IN (SELECT id FROM quotes WHERE deal_id = ?1)",
            "DELETE FROM quotes WHERE deal_id = ?1",
        ] {
            conn.execute(sql, [id])?;
        }
    }
    conn.execute(
        &format!(
            "DELETE FROM {} WHERE id = ?1 AND deleted_at IS NOT NULL",
            e.table
        ),
        [id],
    )
}

/// A list request: optional filters, a sort column from the entity's allow-list, and the
/// keyset cursor (the last row's sort value and id).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Status filter.
    pub status: Option<String>,
    /// Owner filter.
    pub owner_id: Option<i64>,
    /// Company filter (contacts).
    pub company_id: Option<i64>,
    /// Tag filter.
    pub tag_id: Option<i64>,
    /// Industry filter, including its sub-industries.
    pub industry_id: Option<i64>,
    /// Custom field filters: (field key, value).
    pub custom: Vec<(String, String)>,
    /// Filters on built-in text and choice fields: (column, exact value).
    pub fields: Vec<(String, String)>,
    /// Sort column; must be in `Entity::sorts`.
    pub sort: &'static str,
    /// Descending.
    pub desc: bool,
    /// Rows after this (sort value, id).
    pub after: Option<(String, i64)>,
    /// Only records owned by these users (the viewer's data scope); `None` for all.
    pub owners: Option<Vec<i64>>,
    /// With `owners`: these records too (shared with the viewer).
    pub shared: Vec<i64>,
    /// With `owners`: the same owners as whole departments and the rest, when the scope is
    /// a department's (read by department where that is cheaper).
    pub departments: Option<crate::auth::scope::Departments>,
    /// Only records whose name contains this text.
    pub name_contains: Option<String>,
}

/// One page of live records and whether more follow.
pub fn list(
    conn: &Connection,
    e: &Entity,
    q: &ListQuery,
    limit: usize,
) -> rusqlite::Result<(Vec<Record>, bool)> {
    let sort = e
        .sorts
        .iter()
        .find(|s| **s == q.sort)
        .copied()
        .unwrap_or("updated_at");
    match team::page(conn, e, q, sort, limit)? {
        Some(page) => Ok(page),
        None => walk(conn, e, q, sort, limit),
    }
}

/// One page of `q` read along the sort index, filtering as it goes.
fn walk(
    conn: &Connection,
    e: &Entity,
    q: &ListQuery,
    sort: &str,
    limit: usize,
) -> rusqlite::Result<(Vec<Record>, bool)> {
    let (sql, args) = walk_sql(e, q, sort, limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<Record> = stmt
        .query_map(params_from_iter(args), |r| record(e, r))?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// The statement [`walk`] runs, with its arguments.
fn walk_sql(e: &Entity, q: &ListQuery, sort: &str, limit: usize) -> (String, Vec<SqlValue>) {
    // A company's records are few: they are read from the company index and sorted, rather
    // than found among all of their owner's records along the owner's index.
    let by_company = q.company_id.is_some() && has_company(e);
    // A status or stage holds a large share of all rows. Its index (by last change) serves
    // that order only: in any other, it would have every row of the status read and sorted
    // for one page, so the sort index is walked instead and the status checked on the way.
    let few_values = if sort == "updated_at" { "" } else { "+" };
    // Except one person's deals of a stage: a rep holds a few hundred deals, and the
    // (owner, stage) index narrows them to a handful to sort.
    let one_owner = matches!(q.owners.as_deref(), Some([_])) && q.shared.is_empty();
    let stage_values = if one_owner { "" } else { few_values };
    let mut sql = format!("{} WHERE r.deleted_at IS NULL", select(e));
    let mut args: Vec<SqlValue> = Vec::new();
    if let Some(s) = &q.status {
        sql.push_str(&format!(" AND {few_values}r.status = ?"));
        args.push(SqlValue::Text(s.clone()));
    }
    let one_owner_test = if by_company {
        " AND +r.owner_id = ?"
    } else {
        " AND r.owner_id = ?"
    };
    if let Some(o) = q.owner_id {
        sql.push_str(one_owner_test);
        args.push(SqlValue::Integer(o));
    }
    let json =
        |ids: &[i64]| SqlValue::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()));
    match q.owners.as_deref() {
        None => {}
        // Records shared with the viewer widen the filter (off the owner index's fast path,
        // which only a viewer with shares leaves).
        Some(owners) if !q.shared.is_empty() => {
            sql.push_str(
                " AND (+r.owner_id IN (SELECT value FROM json_each(?)) OR r.id IN (SELECT value FROM json_each(?)))",
            );
            args.push(json(owners));
            args.push(json(&q.shared));
        }
        Some([one]) => {
            sql.push_str(one_owner_test);
            args.push(SqlValue::Integer(*one));
        }
        Some(many) => {
            // `+` keeps SQLite from reading the owner index and sorting every row of a large
            // team: the sort index is walked instead and owners filter it, which stops after
            // one page however deep the page is.
            sql.push_str(" AND +r.owner_id IN (SELECT value FROM json_each(?))");
            args.push(json(many));
        }
    }
    for (column, value) in &q.fields {
        // Only the entity's own text and choice fields may be filtered on; the value is bound.
        match e.field(column).map(|f| f.kind) {
            Some(Kind::Text(_) | Kind::Select(_)) => {
                sql.push_str(&format!(" AND r.{column} = ?"));
                args.push(SqlValue::Text(value.clone()));
            }
            Some(Kind::Stage) => {
                sql.push_str(&format!(" AND {stage_values}r.{column} = ?"));
                args.push(SqlValue::Integer(value.parse().unwrap_or(0)));
            }
            _ => {}
        }
    }
    if let Some(text) = &q.name_contains {
        sql.push_str(" AND instr(r.name, ?) > 0");
        args.push(SqlValue::Text(text.clone()));
    }
    if let (Some(c), true) = (q.company_id, has_company(e)) {
        sql.push_str(" AND r.company_id = ?");
        args.push(SqlValue::Integer(c));
    }
    for (key, value) in &q.custom {
        // The key was checked against the entity's field definitions; the value is bound.
        if key.chars().all(|c| c.is_ascii_alphanumeric()) {
            sql.push_str(&format!(
                " AND (json_extract(r.custom, '$.{key}') = ? OR EXISTS (SELECT 1 FROM json_each(r.custom, '$.{key}') WHERE value = ?))"
            ));
            // A ticked checkbox is stored as JSON true, which SQLite reads as 1.
            let v = if value == "true" {
                SqlValue::Integer(1)
            } else {
                SqlValue::Text(value.clone())
            };
            args.push(v.clone());
            args.push(v);
        }
    }
    if let (Some(i), true) = (
        q.industry_id,
        e.fields.iter().any(|f| f.kind == Kind::Industry),
    ) {
        sql.push_str(
            " AND r.industry_id IN (SELECT id FROM industries WHERE id = ? OR parent_id = ?)",
        );
        args.push(SqlValue::Integer(i));
        args.push(SqlValue::Integer(i));
    }
    if let Some(t) = q.tag_id {
        sql.push_str(
            " AND r.id IN (SELECT record_id FROM record_tags WHERE tag_id = ? AND kind = ?)",
        );
        args.push(SqlValue::Integer(t));
        args.push(SqlValue::Integer(crate::crm::tags::kind(e)));
    }
    let (cmp, dir) = if q.desc { ("<", "DESC") } else { (">", "ASC") };
    if let Some((v, id)) = &q.after {
        sql.push_str(&format!(" AND (r.{sort}, r.id) {cmp} (?, ?)"));
        // Amounts are numbers: compared as text they would sort 9 after 10.
        let numeric = e.field(sort).is_some_and(|f| f.kind == Kind::Money);
        args.push(match v.parse::<i64>() {
            Ok(n) if numeric => SqlValue::Integer(n),
            _ => SqlValue::Text(v.clone()),
        });
        args.push(SqlValue::Integer(*id));
    }
    sql.push_str(&format!(" ORDER BY r.{sort} {dir}, r.id {dir} LIMIT ?"));
    args.push(SqlValue::Integer(limit as i64 + 1));
    (sql, args)
}

/// Deleted records, newest deletion first.
pub fn trash(
    conn: &Connection,
    e: &Entity,
    owners: Option<&[i64]>,
    limit: usize,
) -> rusqlite::Result<Vec<Record>> {
    let sql = format!(
        "{} WHERE r.deleted_at IS NOT NULL
           AND (?2 IS NULL OR r.owner_id IN (SELECT value FROM json_each(?2)))
         ORDER BY r.deleted_at DESC, r.id DESC LIMIT ?1",
        select(e)
    );
    let owners = owners.map(|o| serde_json::Value::from(o.to_vec()).to_string());
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(rusqlite::params![limit as i64, owners], |r| record(e, r))?
        .collect()
}

/// `id` when it is a live company.
pub fn live_company(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM companies WHERE id = ?1 AND deleted_at IS NULL")?
        .query_row([id], |r| r.get(0))
        .optional()
}

/// `id` when it is a live contact (of `company`, when given).
pub fn live_contact(
    conn: &Connection,
    id: i64,
    company: Option<i64>,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT id FROM contacts WHERE id = ?1 AND deleted_at IS NULL
           AND (?2 IS NULL OR company_id = ?2)",
    )?
    .query_row(rusqlite::params![id, company], |r| r.get(0))
    .optional()
}

/// A company's name, as records that belong to it are searched by.
pub fn company_name(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT name FROM companies WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

/// Two index searches, each already in id order: an OR over both columns would scan every
/// company, and sorting a union of both (exact first) built a temporary table per lookup.
const COMPANY_BY_NAME: &str = "SELECT coalesce(
       (SELECT id FROM companies WHERE deleted_at IS NULL AND name = ?1 ORDER BY id LIMIT 1),
       (SELECT id FROM companies WHERE deleted_at IS NULL AND name_norm = ?2 ORDER BY id LIMIT 1))";

/// The id of a live company with this exact name, or its normalized form.
pub fn company_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(COMPANY_BY_NAME)?.query_row(
        rusqlite::params![name, super::normalize_company_name(name)],
        |r| r.get(0),
    )
}

/// The id of a live contact with this exact name, at `company` when given.
pub fn contact_by_name(
    conn: &Connection,
    name: &str,
    company: Option<i64>,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT id FROM contacts WHERE deleted_at IS NULL AND name = ?1
           AND (?2 IS NULL OR company_id = ?2) ORDER BY id LIMIT 1",
    )?
    .query_row(rusqlite::params![name, company], |r| r.get(0))
    .optional()
}

/// A record that looks like the one being saved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Duplicate {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Owner.
    pub owner_id: Option<i64>,
    /// Owner's name.
    pub owner_name: Option<String>,
    /// The field the two share (`name`, `mobile`, `phone`, `email`); the first one found when
    /// they share several.
    pub matched: &'static str,
}

/// The columns compared to find duplicates of a kind of record.
fn duplicate_keys(e: &Entity) -> &'static [&'static str] {
    match e.table {
        "companies" => &["name_norm", "phone", "email"],
        _ => &["mobile", "phone", "email"],
    }
}

/// Whether records of this kind can have duplicates found by [`duplicates`] (deals cannot:
/// they have none of the columns compared).
pub fn checks_duplicates(e: &Entity) -> bool {
    duplicate_keys(e)
        .iter()
        .any(|k| *k == "name_norm" || e.field(k).is_some())
}

/// Live records that share a normalized phone, email or company name with `values`, for the
/// duplicate warning; `except` leaves out the record being edited.
pub fn duplicates(
    conn: &Connection,
    e: &Entity,
    values: &Values,
    except: Option<i64>,
) -> rusqlite::Result<Vec<Duplicate>> {
    let mut found: Vec<Duplicate> = Vec::new();
    for key in duplicate_keys(e) {
        let Some(Value::String(v)) = values.get(*key) else {
            continue;
        };
        let matched = match *key {
            "name_norm" => "name",
            other => other,
        };
        let sql = format!(
            "SELECT r.id, r.name, r.owner_id, u.name FROM {} r LEFT JOIN users u ON u.id = r.owner_id
             WHERE r.deleted_at IS NULL AND r.{key} = ?1 AND r.id <> ?2 LIMIT 5",
            e.table
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params![v, except.unwrap_or(0)], |r| {
            Ok(Duplicate {
                id: r.get(0)?,
                name: r.get(1)?,
                owner_id: r.get(2)?,
                owner_name: r.get(3)?,
                matched,
            })
        })?;
        for row in rows {
            let row = row?;
            if !found.iter().any(|d| d.id == row.id) {
                found.push(row);
            }
        }
    }
    Ok(found)
}

/// Moves everything hanging off record `from` to record `into` (merging duplicates): follow-ups,
/// tasks, tags, attachments and, for companies, their contacts. Records the merge.
pub fn move_children(conn: &Connection, e: &Entity, from: i64, into: i64) -> rusqlite::Result<()> {
    let kind = crate::crm::tags::kind(e);
    let column = if kind == 0 {
        "company_id"
    } else {
        "contact_id"
    };
    for table in ["activities", "tasks"] {
        conn.execute(
            &format!("UPDATE {table} SET {column} = ?2 WHERE {column} = ?1"),
            rusqlite::params![from, into],
        )?;
    }
    if kind == 0 {
        conn.execute(
            "UPDATE contacts SET company_id = ?2 WHERE company_id = ?1",
            rusqlite::params![from, into],
        )?;
    }
    conn.execute(
        "INSERT OR IGNORE INTO record_tags (tag_id, kind, record_id)
         SELECT tag_id, kind, ?3 FROM record_tags WHERE kind = ?1 AND record_id = ?2",
        rusqlite::params![kind, from, into],
    )?;
    conn.execute(
        "DELETE FROM record_tags WHERE kind = ?1 AND record_id = ?2",
        rusqlite::params![kind, from],
    )?;
    conn.execute(
        "UPDATE attachments SET record_id = ?3 WHERE kind = ?1 AND record_id = ?2",
        rusqlite::params![kind, from, into],
    )?;
    conn.execute(
        "INSERT OR REPLACE INTO merges (kind, from_id, into_id, merged_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![kind, from, into, crate::db::now()],
    )?;
    // Records merged into `from` earlier now belong to `into`.
    conn.execute(
        "UPDATE merges SET into_id = ?3 WHERE kind = ?1 AND into_id = ?2",
        rusqlite::params![kind, from, into],
    )?;
    Ok(())
}

/// Ids of the records merged into `id`.
pub fn merged_into(conn: &Connection, e: &Entity, id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT from_id FROM merges WHERE kind = ?1 AND into_id = ?2 ORDER BY from_id",
    )?;
    stmt.query_map(rusqlite::params![crate::crm::tags::kind(e), id], |r| {
        r.get(0)
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(conn: &Connection, name: &str) -> i64 {
        conn.execute(
            "INSERT INTO companies (name, name_norm, status, custom, created_at, updated_at)
             VALUES (?1, ?2, 'lead', '{}', 'now', 'now')",
            rusqlite::params![name, crate::crm::records::normalize_company_name(name)],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    #[test]
    fn a_company_is_found_by_its_exact_name_first_then_its_normal_form_without_a_scan() {
        let conn = crate::db::memory().unwrap();
        let short = company(&conn, "华星科技");
        let full = company(&conn, "华星科技有限公司");
        assert_eq!(
            company_by_name(&conn, "华星科技有限公司").unwrap(),
            Some(full)
        );
        assert_eq!(company_by_name(&conn, "华星科技公司").unwrap(), Some(short));
        assert_eq!(company_by_name(&conn, "星华").unwrap(), None);
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {COMPANY_BY_NAME}"))
            .unwrap()
            .query_map(["a", "b"], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            !plan
                .iter()
                .any(|step| step.starts_with("SCAN companies") || step.contains("TEMP B-TREE")),
            "{plan:?}"
        );
    }

    #[test]
    fn a_companys_records_are_read_from_the_company_index_whoever_looks() {
        let conn = crate::db::memory().unwrap();
        let deals = &crate::crm::deals::DEALS;
        for (e, sort) in [
            (&crate::crm::contacts::CONTACTS, "name"),
            (deals, "updated_at"),
        ] {
            let teams = [None, Some(vec![3]), Some(vec![3, 4, 5])];
            for (owners, owner_id) in teams
                .into_iter()
                .map(|t| (t, None))
                .chain([(None, Some(3))])
            {
                let q = ListQuery {
                    company_id: Some(7),
                    owners,
                    owner_id,
                    sort,
                    ..Default::default()
                };
                let plan = plan(&conn, e, &q);
                let index = format!("{}_live_company", e.table);
                assert!(plan[0].contains(&index), "{}: {plan:?}", e.table);
            }
        }
    }

    fn plan(conn: &Connection, e: &Entity, q: &ListQuery) -> Vec<String> {
        let (sql, args) = walk_sql(e, q, q.sort, 50);
        conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(params_from_iter(args), |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_status_or_stage_is_checked_along_the_sort_index_in_other_orders() {
        let conn = crate::db::memory().unwrap();
        let contacts = &crate::crm::contacts::CONTACTS;
        let deals = &crate::crm::deals::DEALS;
        let by_status = |sort| ListQuery {
            status: Some("customer".into()),
            sort,
            ..Default::default()
        };
        let by_stage = |sort| ListQuery {
            fields: vec![("stage_id".into(), "1".into())],
            sort,
            ..Default::default()
        };
        for (e, q, index) in [
            (contacts, by_status("updated_at"), "contacts_live_status"),
            (contacts, by_status("name"), "contacts_live_name"),
            (contacts, by_status("created_at"), "contacts_live_created"),
            (deals, by_stage("updated_at"), "deals_live_stage"),
            (deals, by_stage("name"), "deals_live_name"),
            (deals, by_stage("amount"), "deals_live_amount"),
        ] {
            for owners in [None, Some(vec![3, 4, 5])] {
                let q = ListQuery {
                    owners,
                    ..q.clone()
                };
                let plan = plan(&conn, e, &q);
                assert!(plan[0].contains(index), "{} {}: {plan:?}", e.table, q.sort);
                assert!(
                    !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                    "no sort of every row of the status: {plan:?}"
                );
            }
        }
        // One rep's deals of a stage are few: read through (owner, stage) and sorted.
        let q = ListQuery {
            owners: Some(vec![3]),
            ..by_stage("amount")
        };
        let plan = plan(&conn, deals, &q);
        assert!(plan[0].contains("deals_owner_stage"), "{plan:?}");
    }

    #[test]
    fn one_owners_contacts_by_creation_read_the_owner_creation_index() {
        let conn = crate::db::memory().unwrap();
        let contacts = &crate::crm::contacts::CONTACTS;
        for desc in [true, false] {
            for (owners, owner_id) in [(Some(vec![3]), None), (None, Some(3))] {
                let q = ListQuery {
                    owners,
                    owner_id,
                    sort: "created_at",
                    desc,
                    ..Default::default()
                };
                let plan = plan(&conn, contacts, &q);
                assert!(plan[0].contains("contacts_live_owner_created"), "{plan:?}");
                assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
            }
        }
    }

    #[test]
    fn a_duplicate_says_which_field_it_shares() {
        let conn = crate::db::memory().unwrap();
        let id = company(&conn, "华星科技有限公司");
        let companies = &crate::crm::companies::COMPANIES;
        let values = Values::from([(
            "name_norm".to_string(),
            Value::from(crate::crm::records::normalize_company_name("华星科技")),
        )]);
        let found = duplicates(&conn, companies, &values, None).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].id, found[0].matched), (id, "name"));
        assert!(
            duplicates(&conn, companies, &values, Some(id))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn only_kinds_with_a_name_phone_or_email_to_compare_check_for_duplicates() {
        let checked: Vec<&str> = crate::crm::records::all()
            .into_iter()
            .filter(|e| checks_duplicates(e))
            .map(|e| e.table)
            .collect();
        assert_eq!(checked, ["companies", "contacts", "leads"]);
    }
}
