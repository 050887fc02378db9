//! What rows say to the user: the check's lists (rows with errors, duplicates, values left
//! out, the first new records) and the error file written from a finished import's report.

use super::pages::label;
use super::plan::{Action, Planned};
use super::read::{Row, Table};
use crate::crm::exports::write::{Cell, Format, Writer};
use crate::crm::fields::CustomField;
use crate::error::AppError;
use crate::web::page::Page;
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::HashMap;

/// Cells shown to recognise a row.
const CELLS_SHOWN: usize = 4;
/// Lines listed for a value left out; the rest are counted.
const LINES_SHOWN: usize = 12;

/// The first non-empty cells of a row, to recognise it by.
fn first_cells(cells: &[String]) -> String {
    let shown: Vec<&str> = cells
        .iter()
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .take(CELLS_SHOWN)
        .collect();
    shown.join(" · ")
}

/// "Field: text" in the page's language.
fn about(page: &Page, custom: &[CustomField], field: &str, text: &str) -> String {
    page.tr("import.ui.field_message")
        .replace("{field}", &label(page, custom, field))
        .replace("{message}", text)
}

/// Why a row was refused, field by field, in the page's language.
fn reasons(page: &Page, custom: &[CustomField], errors: &[(String, String)]) -> Vec<String> {
    let each = errors.iter();
    each.map(|(field, key)| about(page, custom, field, &page.tr(key)))
        .collect()
}

/// A plan over a file, to show as the check.
pub struct Preview<'a> {
    /// The file.
    pub table: &'a Table,
    /// One entry per row of the file.
    pub plan: &'a [Planned],
    /// Per column: its target.
    pub mapping: &'a [Option<String>],
    /// The entity's custom fields, for their labels.
    pub custom: &'a [CustomField],
}

impl Preview<'_> {
    /// The values left out, each once with the lines it is on: the same unknown owner or
    /// source is usually on many rows.
    fn left_out(&self, page: &Page) -> Vec<Value> {
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for p in self.plan.iter().filter(|p| p.action != Action::Reject) {
            for w in &p.warnings {
                let text = match w.split_once(": ") {
                    Some((field, value)) => about(page, self.custom, field, value),
                    None => w.clone(),
                };
                match index.get(&text).and_then(|i| groups.get_mut(*i)) {
                    Some((_, lines)) => lines.push(p.line),
                    None => {
                        index.insert(text.clone(), groups.len());
                        groups.push((text, vec![p.line]));
                    }
                }
            }
        }
        let shown = |lines: &[usize]| {
            let first: Vec<String> = lines
                .iter()
                .take(LINES_SHOWN)
                .map(usize::to_string)
                .collect();
            first.join(", ")
        };
        groups
            .into_iter()
            .map(|(text, lines)| {
                let more = lines.len() > LINES_SHOWN;
                context! { text, rows => lines.len(), lines => shown(&lines), more }
            })
            .collect()
    }

    /// The lists the check page shows, each cut at `listed` rows (with the rest counted),
    /// and the first `first` new records.
    pub fn context(&self, page: &Page, listed: usize, first: usize) -> Value {
        let rows = || self.plan.iter().zip(&self.table.rows);
        let cut = |v: Vec<Value>| {
            let more = v.len().saturating_sub(listed);
            (v.into_iter().take(listed).collect::<Vec<_>>(), more)
        };
        let (problems, more_problems) = cut(rows()
            .filter(|(p, _)| p.action == Action::Reject)
            .map(|(p, r)| context! { line => p.line, reasons => reasons(page, self.custom, &p.errors), cells => first_cells(&r.cells) })
            .collect());
        let (duplicates, more_duplicates) = cut(rows()
            .filter_map(|(p, r)| {
                let (id, same_line, update) = match p.action {
                    Action::Skip { id, line } => (id, line, false),
                    Action::Update { id } => (Some(id), None, true),
                    _ => return None,
                };
                Some(context! { line => p.line, id, same_line, update, cells => first_cells(&r.cells) })
            })
            .collect());
        let (warnings, more_warnings) = cut(self.left_out(page));
        let mapped: Vec<(usize, &String)> = (self.mapping.iter().enumerate())
            .filter_map(|(i, m)| m.as_ref().map(|k| (i, k)))
            .collect();
        let new_headers: Vec<String> = (mapped.iter())
            .map(|(_, k)| label(page, self.custom, k))
            .collect();
        let first_new: Vec<Value> = rows()
            .filter(|(p, _)| p.action == Action::Create)
            .take(first)
            .map(|(p, r): (&Planned, &Row)| {
                let cells: Vec<&str> = mapped.iter().map(|(i, _)| r.cell(*i)).collect();
                context! { line => p.line, cells }
            })
            .collect();
        context! {
            problems, more_problems, duplicates, more_duplicates, warnings, more_warnings,
            new_headers, first_new,
        }
    }
}

/// The stored report of a finished import (see `imports::report`).
#[derive(Debug, Default, Deserialize)]
pub struct Report {
    /// The file's header row.
    #[serde(default)]
    pub headers: Vec<String>,
    /// The rows that did not go in.
    #[serde(default)]
    pub rows: Vec<ReportRow>,
}

/// One row that did not go in.
#[derive(Debug, Deserialize)]
pub struct ReportRow {
    /// Its line in the file.
    pub line: usize,
    /// Why: skipped as a duplicate, or refused.
    pub action: ReportAction,
    /// Field and message key of each error.
    #[serde(default)]
    pub errors: Vec<(String, String)>,
    /// The row's cells as read.
    #[serde(default)]
    pub cells: Vec<String>,
}

/// What happened to a row of the report.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum ReportAction {
    /// A duplicate of a record (`id`) or of an earlier line.
    Skip {
        /// The existing record.
        #[serde(default)]
        id: Option<i64>,
        /// The earlier line.
        #[serde(default)]
        line: Option<usize>,
    },
    /// Refused for its errors.
    Reject,
    /// Anything else (not written to the error file).
    #[serde(other)]
    Other,
}

/// The error file: a "Line" column, the file's columns, and an "Error" column saying why
/// the row did not go in; UTF-8 with a byte-order mark so Excel reads it, formulas defused.
pub fn error_file(
    page: &Page,
    custom: &[CustomField],
    report: &Report,
) -> Result<Vec<u8>, AppError> {
    let fail = |e: crate::crm::exports::write::ExportError| AppError::Internal(e.into());
    let mut headers = vec![page.tr("import.ui.csv_line")];
    headers.extend(report.headers.iter().cloned());
    headers.push(page.tr("import.ui.csv_error"));
    let mut w = Writer::new(Format::Csv, &headers, "errors").map_err(fail)?;
    let width = report.headers.len();
    for row in &report.rows {
        let why = match &row.action {
            ReportAction::Reject => reasons(page, custom, &row.errors).join("; "),
            ReportAction::Skip { id: Some(id), .. } => page
                .tr("import.ui.duplicate_of")
                .replace("{id}", &id.to_string()),
            ReportAction::Skip { line: Some(l), .. } => page
                .tr("import.ui.same_as_line")
                .replace("{line}", &l.to_string()),
            ReportAction::Skip { .. } => page.tr("import.ui.duplicate"),
            ReportAction::Other => continue,
        };
        let mut cells = vec![Cell::Number(row.line as f64)];
        cells.extend((0..width).map(|i| row.cells.get(i).map_or(Cell::Empty, |c| Cell::Text(c))));
        cells.push(Cell::Text(&why));
        w.row(&cells).map_err(fail)?;
    }
    w.finish().map_err(fail)
}
