//! Exporting list views to CSV and XLSX files: the rows a list shows with its filters, within
//! the user's export scope, without the fields their role hides, as people read them
//! (names, not ids; labels in the user's language). Every export is audited.

pub mod pages;
pub mod write;

use crate::audit::Event;
use crate::crm::fields::CustomField;
use crate::crm::records::store::{self, ListQuery, Record};
use crate::crm::records::{Entity, Kind, pages::display, query::position};
use crate::error::AppError;
use crate::web::i18n::Lang;
use rusqlite::Connection;
use serde_json::Value;
use write::{Cell, Format, Writer};

/// Rows one export holds at most; a larger list is cut and the user told to narrow it.
pub const MAX_ROWS: usize = 200_000;

/// Rows read from the database at a time.
const BATCH: usize = 1_000;

/// A finished export.
pub struct Export {
    /// The file.
    pub bytes: Vec<u8>,
    /// Data rows written.
    pub rows: usize,
    /// Whether the list had more rows than [`MAX_ROWS`].
    pub truncated: bool,
}

/// What an export shows: the entity, which fields the user may not see, the custom fields,
/// and the language of headers and labels.
pub struct Columns<'a> {
    /// The kind of record.
    pub entity: &'static Entity,
    /// Field names (custom ones as `custom.KEY`) the user may not see.
    pub hidden: &'a [String],
    /// The entity's custom fields.
    pub custom: &'a [CustomField],
    /// Language of headers and labels.
    pub lang: Lang,
}

impl Columns<'_> {
    fn fields(&self) -> Vec<&'static crate::crm::records::Field> {
        self.entity
            .fields
            .iter()
            .filter(|f| !self.hidden.iter().any(|h| h == f.name))
            .collect()
    }

    fn custom(&self) -> Vec<&CustomField> {
        self.custom
            .iter()
            .filter(|c| !self.hidden.contains(&format!("custom.{}", c.key)))
            .collect()
    }

    /// The header row.
    pub fn headers(&self) -> Vec<String> {
        let mut h = vec!["ID".to_string()];
        h.extend(
            self.fields()
                .iter()
                .map(|f| self.lang.tr(&format!("field.{}", f.name))),
        );
        h.extend(self.custom().iter().map(|c| c.label.clone()));
        h.push(self.lang.tr("export.tags"));
        h.push(self.lang.tr("record.created"));
        h.push(self.lang.tr("record.updated"));
        h
    }

    /// One record's cells as text, in header order; amounts as numbers.
    fn row(&self, rec: &Record, tags: &[String]) -> Vec<(String, Option<f64>)> {
        let mut out = vec![(rec.id.to_string(), None)];
        for f in self.fields() {
            let raw = rec.values.get(f.name).cloned().unwrap_or(Value::Null);
            let cell = match (f.kind, &raw) {
                (_, Value::Null) => (String::new(), None),
                (Kind::Money, Value::Number(n)) => {
                    let minor = n.as_i64().unwrap_or_default();
                    let m = crate::domain::Money::from_minor(minor);
                    (m.plain(), Some(minor as f64 / 100.0))
                }
                (Kind::Select(_), Value::String(v)) => {
                    (self.lang.tr(&format!("record.{}.{v}", f.name)), None)
                }
                (Kind::User, _) => (rec.owner_name.clone().unwrap_or_default(), None),
                _ => (display(self.entity, rec, f.name), None),
            };
            out.push(cell);
        }
        let custom = rec.values.get("custom");
        for c in self.custom() {
            let v = custom.and_then(|o| o.get(&c.key));
            out.push((crate::crm::fields::display(v), None));
        }
        out.push((tags.join(", "), None));
        out.push((rec.created_at.clone(), None));
        out.push((rec.updated_at.clone(), None));
        out
    }
}

/// Writes every record of `query` (its filters, sort and scope) to a file, in batches read by
/// keyset so even a large list never loads at once.
pub fn build(
    conn: &Connection,
    cols: &Columns<'_>,
    query: &ListQuery,
    format: Format,
) -> Result<Export, AppError> {
    let e = cols.entity;
    let headers = cols.headers();
    let sheet = cols.lang.tr(&format!("{}.title", e.table));
    let mut writer = Writer::new(format, &headers, &sheet).map_err(internal)?;
    let mut q = query.clone();
    let (mut rows, mut truncated) = (0, false);
    loop {
        let (batch, more) = store::list(conn, e, &q, BATCH)?;
        let ids: Vec<i64> = batch.iter().map(|r| r.id).collect();
        let mut tags = crate::crm::tags::store::for_records(conn, crate::crm::tags::kind(e), &ids)?;
        for rec in &batch {
            if rows == MAX_ROWS {
                truncated = true;
                break;
            }
            let names: Vec<String> = tags
                .remove(&rec.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| t.name)
                .collect();
            let cells = cols.row(rec, &names);
            let cells: Vec<Cell<'_>> = cells
                .iter()
                .map(|(text, number)| match number {
                    Some(n) if format == Format::Xlsx => Cell::Number(*n),
                    _ if text.is_empty() => Cell::Empty,
                    _ => Cell::Text(text),
                })
                .collect();
            writer.row(&cells).map_err(internal)?;
            rows += 1;
        }
        match batch.last() {
            Some(last) if more && !truncated => q.after = Some(position(last, q.sort)),
            _ => break,
        }
    }
    Ok(Export {
        bytes: writer.finish().map_err(internal)?,
        rows,
        truncated,
    })
}

/// The audit entry of an export: format, rows, whether it was cut, and the list's filters
/// (none from the command line).
pub fn audit_event(e: &Entity, format: Format, export: &Export, filters: Option<String>) -> Event {
    let event = Event::new(&format!("{}.export", e.kind))
        .change("format", None::<String>, format.extension())
        .change("rows", None::<i64>, export.rows as i64);
    let event = match filters {
        Some(f) => event.change("filters", None::<String>, f),
        None => event,
    };
    event.change("truncated", false, export.truncated)
}

fn internal(e: write::ExportError) -> AppError {
    AppError::Internal(anyhow::Error::new(e).context("writing an export"))
}
