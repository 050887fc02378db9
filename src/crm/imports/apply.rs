//! Carrying out an import: rows go in in batches, each batch one audited transaction (so the
//! server stays responsive and a row is never half-imported) that first plans its rows on the
//! data as it is then and writes them, every created or updated record noted so the whole
//! import can be undone (see `undo`).

use super::plan::{Action, Counts, Planned, Planner};
use super::read::Table;
use super::store;
use crate::audit::Event;
use crate::crm::records::{self, Entity, Values};
use crate::db::{Actor, Db, Tx};
use crate::error::AppError;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Rows written per transaction at most: commits (and the search index's flush at each
/// commit) stay a small share of the work.
pub(super) const BATCH_ROWS: usize = 5_000;
/// A transaction commits once it has worked for this long, so that other writers (people
/// using the application meanwhile) wait a fraction of a second at most.
pub(super) const BATCH_TIME: Duration = Duration::from_millis(250);

/// Creates a company named in a row, once per import.
fn company(
    tx: &mut Tx<'_>,
    import: i64,
    made: &mut HashMap<String, i64>,
    name: &str,
    owner: Option<&Value>,
) -> Result<i64, AppError> {
    let key = records::normalize_company_name(name);
    if let Some(id) = made.get(&key) {
        return Ok(*id);
    }
    let e = &crate::crm::companies::COMPANIES;
    let mut values = Values::new();
    for f in e.fields {
        values.insert(f.name.into(), Value::Null);
    }
    values.insert("name".into(), Value::String(name.to_string()));
    values.insert("name_norm".into(), Value::String(key.clone()));
    values.insert("status".into(), Value::String(records::STATUSES[0].into()));
    values.insert("custom".into(), serde_json::json!({}));
    if let Some(o) = owner {
        values.insert("owner_id".into(), o.clone());
    }
    let id = records::create(tx, e, &values)?;
    store::record(tx.conn(), import, e.code, id, "created", None)?;
    made.insert(key, id);
    Ok(id)
}

/// The stored values with the row's values on top, for the fields the row gave (and what
/// is derived from them: a phone's digits, a name's normal form, a stage's pipeline); custom
/// fields one by one.
fn merged(stored: &Values, row: &Values, provided: &[String]) -> Values {
    let mut out = stored.clone();
    let given = |k: &str| {
        let base = k
            .strip_suffix("_digits")
            .or_else(|| (k == "name_norm").then_some("name"))
            .or_else(|| (k == "pipeline_id").then_some("stage_id"))
            .unwrap_or(k);
        provided.iter().any(|p| p == base)
    };
    for (k, v) in row {
        match (k.as_str(), v) {
            ("custom", Value::Object(new)) => {
                let mut custom = stored
                    .get("custom")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (key, value) in new {
                    let input = crate::crm::fields::input_name(key);
                    if provided
                        .iter()
                        .any(|p| *p == input || p.starts_with(&format!("{input}__")))
                    {
                        custom.insert(key.clone(), value.clone());
                    }
                }
                out.insert("custom".into(), Value::Object(custom));
            }
            (k, v) if given(k) => {
                out.insert(k.to_string(), v.clone());
            }
            _ => {}
        }
    }
    out
}

fn one(
    tx: &mut Tx<'_>,
    import: i64,
    e: &'static Entity,
    p: &mut Planned,
    made: &mut HashMap<String, i64>,
) -> Result<bool, AppError> {
    if e.table == "products" {
        return super::products::write(tx, import, p);
    }
    // The values are written once; the plan keeps what happened to the row, not them.
    let mut values = std::mem::take(&mut p.values);
    if let Some(name) = &p.new_company {
        let id = company(tx, import, made, name, values.get("owner_id"))?;
        values.insert("company_id".into(), Value::from(id));
    }
    let id = match p.action {
        Action::Create => {
            let id = records::create(tx, e, &values)?;
            store::record(tx.conn(), import, e.code, id, "created", None)?;
            id
        }
        Action::Update { id } => {
            let rec = records::store::get(tx.conn(), e, id)?;
            if rec.deleted_at.is_some() {
                return Ok(false);
            }
            let before = serde_json::to_string(&rec.values).map_err(anyhow::Error::from)?;
            records::update(
                tx,
                e,
                id,
                rec.version,
                &merged(&rec.values, &values, &p.provided),
            )?;
            store::record(tx.conn(), import, e.code, id, "updated", Some(&before))?;
            id
        }
        Action::Skip { .. } | Action::Reject => return Ok(false),
    };
    for tag in &p.tags {
        if let Ok(name) = crate::crm::tags::parse_name(tag) {
            crate::crm::tags::tag(tx, e, &[id], &name, None)?;
        }
    }
    Ok(true)
}

/// Plans and writes the rows of `table` in transactions of at most [`BATCH_ROWS`] rows and
/// about [`BATCH_TIME`], reporting the rows done after each, and audits the import as a whole
/// at the end. Returns each row's plan, without the values written.
pub fn run(
    db: &Db,
    actor: &Actor,
    import: i64,
    table: &Table,
    planner: &mut Planner<'_>,
    progress: &dyn Fn(usize),
) -> Result<(Counts, Vec<Planned>), AppError> {
    let e = planner.entity();
    let mut made = HashMap::new();
    let mut plan: Vec<Planned> = Vec::with_capacity(table.rows.len());
    while plan.len() < table.rows.len() {
        let batch = db.write_blocking(actor.clone(), |tx| {
            let (started, mut batch, mut wrote) = (Instant::now(), Vec::new(), false);
            tx.collect_search_rows();
            let rows = table.rows.iter().skip(plan.len()).take(BATCH_ROWS);
            for row in rows {
                let mut p = planner.row(tx.conn(), row)?;
                wrote |= one(tx, import, e, &mut p, &mut made)?;
                p.provided = Vec::new();
                batch.push(p);
                if started.elapsed() >= BATCH_TIME {
                    break;
                }
            }
            // Only duplicates and rejected rows: nothing to commit.
            if !wrote {
                tx.unchanged();
            }
            Ok(batch)
        })?;
        db.let_others_write();
        plan.extend(batch);
        progress(plan.len());
    }
    let plan = plan;
    let counts = super::plan::counts(&plan);
    db.write_blocking(actor.clone(), |tx| {
        tx.audit(
            Event::new("import.run")
                .entity("import", import)
                .change("entity", Value::Null, e.table)
                .change("created", 0, counts.created as i64)
                .change("updated", 0, counts.updated as i64)
                .change("skipped", 0, counts.skipped as i64)
                .change("rejected", 0, counts.rejected as i64)
                .change("companies_created", 0, made.len() as i64),
        )?;
        Ok(())
    })?;
    Ok((counts, plan))
}
