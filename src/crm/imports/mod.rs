//! Importing spreadsheets and CSV files into records: read the file (any common encoding and
//! delimiter, or a workbook sheet), match its columns to fields, plan every row (a dry run
//! with per-row errors and duplicates), then carry the plan out in audited batches that can
//! be undone as a whole.

pub mod apply;
mod lookup;
pub mod mapping;
pub mod pages;
pub mod pages_map;
pub mod pages_run;
pub mod pages_undo;
pub mod pages_upload;
pub mod pages_view;
pub mod plan;
pub mod prepare;
pub mod products;
pub mod read;
pub mod store;
pub mod undo;

use crate::crm::fields::CustomField;
use crate::crm::records::Entity;
use crate::db::{Actor, Db};
use crate::error::AppError;
use crate::web::i18n::Lang;
use mapping::Target;
use plan::{Counts, Planned, Policy};
use read::{ReadOptions, Table};
use serde::{Deserialize, Serialize};

/// The kinds of record a file can be imported into: customer records and products.
pub fn entity(name: &str) -> Option<&'static Entity> {
    crate::crm::records::entity_by_table(name)
        .or_else(|| (name == products::PRODUCTS.table).then_some(&products::PRODUCTS))
}

/// How a file is read and what happens to duplicates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
    /// Forced encoding (`utf-8`, `gb18030`, …); detected when empty.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Workbook sheet; the first when empty.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Duplicate policy.
    pub policy: Policy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            encoding: None,
            sheet: None,
            policy: Policy::Skip,
        }
    }
}

/// Reads a file into a table, or says in the user's terms why it cannot be read.
pub fn read_table(
    bytes: &[u8],
    name: &str,
    o: &Options,
) -> Result<(Table, read::FileInfo), AppError> {
    let encoding = match o.encoding.as_deref().filter(|e| !e.is_empty()) {
        Some(e) => Some(
            read::Encoding::parse(e)
                .ok_or_else(|| AppError::invalid("encoding", "import.error.encoding_name"))?,
        ),
        None => None,
    };
    let opts = ReadOptions {
        encoding,
        sheet: o.sheet.clone().filter(|s| !s.is_empty()),
        delimiter: None,
    };
    read::read(bytes, name, &opts).map_err(|e| AppError::Validation {
        message: e.to_string(),
        fields: [("file".to_string(), e.key().to_string())].into(),
    })
}

/// The fields a column can go to, with their names in both languages.
pub fn targets(e: &Entity, custom: &[CustomField]) -> Vec<Target> {
    let mut out: Vec<Target> = e
        .fields
        .iter()
        .map(|f| {
            let labels = Lang::ALL
                .iter()
                .map(|l| l.tr(&format!("field.{}", f.name)))
                .collect();
            Target::field(e.table, f.name, labels)
        })
        .collect();
    out.extend(custom.iter().map(|c| Target::custom(&c.key, &c.label)));
    // Products carry no tags.
    if e.code != products::CODE {
        let tags = Lang::ALL.iter().map(|l| l.tr("export.tags")).collect();
        out.push(Target::field(e.table, "tags", tags));
    }
    out
}

/// The mapping to propose: the one saved for files with these columns, else matched by name.
pub fn propose(
    conn: &rusqlite::Connection,
    e: &Entity,
    headers: &[String],
    custom: &[CustomField],
) -> rusqlite::Result<Vec<Option<String>>> {
    let key = mapping::template_key(headers);
    if let Some(saved) = store::template(conn, e.table, &key)?
        && let Ok(m) = serde_json::from_str::<Vec<Option<String>>>(&saved)
        && m.len() == headers.len()
    {
        return Ok(m);
    }
    Ok(mapping::auto_map(headers, &targets(e, custom)))
}

/// What planning needs to know about the database besides the rows: the entity's custom
/// fields, the fields the admin made required, and the lost reason for a deal lost before.
struct Known {
    custom: Vec<CustomField>,
    required: Vec<String>,
    lost_reason_unknown: String,
}

impl Known {
    fn load(conn: &rusqlite::Connection, e: &Entity) -> rusqlite::Result<Known> {
        let lang = crate::crm::settings::language(conn)?;
        Ok(Known {
            custom: crate::crm::fields::store::for_entity(conn, e.table)?,
            required: crate::crm::fields::store::required(conn, e.table)?,
            lost_reason_unknown: lang.tr("import.lost_reason_unknown"),
        })
    }

    fn setup<'a>(
        &'a self,
        entity: &'static Entity,
        mapping: &'a [Option<String>],
        policy: Policy,
        currency: &'a str,
        new_companies: bool,
    ) -> plan::Setup<'a> {
        plan::Setup {
            entity,
            mapping,
            policy,
            custom: &self.custom,
            required: &self.required,
            currency,
            lost_reason_unknown: &self.lost_reason_unknown,
            new_companies,
        }
    }
}

/// How an import runs besides its file and mapping.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// What happens to duplicates.
    pub policy: Policy,
    /// Currency for deals that do not say.
    pub currency: &'a str,
    /// Whether rows may create the companies they name: the importer may create companies.
    pub new_companies: bool,
}

/// Plans the rows of `table` (the dry run).
pub fn dry_run(
    conn: &rusqlite::Connection,
    e: &'static Entity,
    table: &Table,
    mapping: &[Option<String>],
    run: Run<'_>,
) -> rusqlite::Result<Vec<Planned>> {
    let known = Known::load(conn, e)?;
    let setup = known.setup(e, mapping, run.policy, run.currency, run.new_companies);
    plan::plan(conn, &setup, table)
}

/// The rows that did not go in, with their cells, for the report and the error file.
pub fn report(table: &Table, plan: &[Planned]) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = plan
        .iter()
        .zip(&table.rows)
        .filter(|(p, _)| !matches!(p.action, plan::Action::Create | plan::Action::Update { .. }))
        .map(|(p, row)| serde_json::json!({"line": p.line, "action": p.action, "errors": p.errors, "cells": row.cells}))
        .collect();
    serde_json::json!({"headers": table.headers, "rows": rows})
}

/// Runs a stored import: reads its file with its options and mapping, then plans and writes
/// it in batches (progress kept on the import and told to `on_progress` as rows done of
/// total), and stores the report.
pub fn execute(
    db: &Db,
    actor: &Actor,
    id: i64,
    currency: &str,
    new_companies: bool,
    on_progress: &dyn Fn(usize, usize),
) -> Result<Counts, AppError> {
    let (row, file) = db.read_blocking(move |c| Ok((store::get(c, id)?, store::file(c, id)?)))?;
    let e = entity(&row.entity).ok_or(AppError::NotFound)?;
    let file = file.ok_or_else(|| AppError::invalid("import", "import.error.not_runnable"))?;
    let options: Options = serde_json::from_str(&row.options).unwrap_or_default();
    let mapping: Vec<Option<String>> = serde_json::from_str(&row.mapping).unwrap_or_default();
    let (table, _) = read_table(&file, &row.file_name, &options)?;
    let total = table.rows.len() as i64;
    if db.bookkeeping_blocking(|c| store::start(c, id, total))? == 0 {
        return Err(AppError::invalid("import", "import.error.not_runnable"));
    }
    let known = db.read_blocking(|c| Ok(Known::load(c, e)?))?;
    let setup = known.setup(e, &mapping, options.policy, currency, new_companies);
    let planner = db.read_blocking(|c| Ok(plan::Planner::new(c, &setup, &table.headers)?));
    let result = planner.and_then(|mut planner| {
        // The import's progress is written about once a second.
        let noted = std::cell::Cell::new(std::time::Instant::now());
        let progress = |done: usize| {
            if noted.get().elapsed() >= std::time::Duration::from_secs(1) {
                let _ = db.bookkeeping_blocking(|c| store::progress(c, id, done as i64));
                noted.set(std::time::Instant::now());
            }
            on_progress(done, total as usize);
        };
        apply::run(db, actor, id, &table, &mut planner, &progress)
    });
    let now = crate::db::now();
    match result {
        Ok((counts, planned)) => {
            let report = report(&table, &planned).to_string();
            let n = |x: usize| x as i64;
            let finish = store::Finish {
                state: "done",
                counts: [
                    n(counts.created),
                    n(counts.updated),
                    n(counts.skipped),
                    n(counts.rejected),
                ],
                report: &report,
                now: &now,
            };
            db.bookkeeping_blocking(|c| store::finish(c, id, &finish))?;
            Ok(counts)
        }
        Err(e) => {
            let finish = store::Finish {
                state: "failed",
                counts: [0; 4],
                report: "{}",
                now: &now,
            };
            let _ = db.bookkeeping_blocking(|c| store::finish(c, id, &finish));
            Err(e)
        }
    }
}
