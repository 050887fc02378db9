//! The dry run: every row validated exactly as a form would be, and matched against the
//! database and the rows above it for duplicates, so the user sees what will happen before
//! anything is written. Running the import carries out the same plan.

use super::lookup::Memo;
use super::prepare::{self, Resolver};
use super::read::{Row, Table};
use crate::crm::fields::CustomField;
use crate::crm::records::pages::PENDING_COMPANY;
use crate::crm::records::{Entity, Lookup, Values, store};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// What to do with a row that matches an existing record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Leave the existing record alone and skip the row.
    Skip,
    /// Fill the existing record with the row's non-empty values.
    Update,
    /// Create a new record anyway.
    Create,
}

impl Policy {
    /// `skip`, `update` or `create`.
    pub fn parse(s: &str) -> Option<Policy> {
        match s.trim() {
            "skip" => Some(Policy::Skip),
            "update" => Some(Policy::Update),
            "create" => Some(Policy::Create),
            _ => None,
        }
    }
}

/// What will happen to a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// A new record.
    Create,
    /// The existing record with this id gets the row's values.
    Update {
        /// The record.
        id: i64,
    },
    /// Nothing: the row duplicates a record (`id`) or an earlier row (`line`).
    Skip {
        /// The existing record it matches.
        id: Option<i64>,
        /// The earlier line of the file it matches.
        line: Option<usize>,
    },
    /// Nothing: the row has errors.
    Reject,
}

/// One row's plan.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// Line in the file (header = 1).
    pub line: usize,
    /// What happens.
    pub action: Action,
    /// The parsed values (empty when rejected).
    #[serde(skip)]
    pub values: Values,
    /// A company to create first, named in the row but not found.
    pub new_company: Option<String>,
    /// Tags to put on the record.
    pub tags: Vec<String>,
    /// The fields (and `cf_` inputs) the row gave a value for.
    #[serde(skip)]
    pub provided: Vec<String>,
    /// Field to message key.
    pub errors: Vec<(String, String)>,
    /// Values left out.
    pub warnings: Vec<String>,
}

/// Everything an import needs to know besides the file.
pub struct Setup<'a> {
    /// Into what.
    pub entity: &'static Entity,
    /// Per column: a field name, `custom.KEY`, `tags` or nothing.
    pub mapping: &'a [Option<String>],
    /// Duplicate policy.
    pub policy: Policy,
    /// The entity's custom fields.
    pub custom: &'a [CustomField],
    /// Fields the admin made required.
    pub required: &'a [String],
    /// Currency for deals that do not say.
    pub currency: &'a str,
    /// The lost reason of a lost deal whose file does not give one.
    pub lost_reason_unknown: &'a str,
    /// Whether a row may create the company it names (the importer may create companies).
    pub new_companies: bool,
}

/// The keys a record is recognised by; `company` is the company as the row names it.
fn keys(e: &Entity, v: &Values, company: Option<&str>) -> Vec<String> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    match e.table {
        "companies" => ["name_norm", "phone", "email"]
            .iter()
            .filter_map(|k| text(k).map(|t| format!("{k}:{t}")))
            .collect(),
        // A deal is known by its name and its company's name (which may be created by an
        // earlier row, or by an earlier transaction of the same import).
        "deals" => {
            let company = company.map(crate::crm::records::normalize_company_name);
            text("name")
                .map(|n| format!("deal:{n}:{}", company.unwrap_or_default()))
                .into_iter()
                .collect()
        }
        _ => ["mobile", "phone", "email"]
            .iter()
            .filter_map(|k| text(k).map(|t| format!("{k}:{t}")))
            .collect(),
    }
}

/// Plans every row of `table`, all against one snapshot of the database.
pub fn plan(conn: &Connection, s: &Setup<'_>, table: &Table) -> rusqlite::Result<Vec<Planned>> {
    // One read transaction: the same data for every row, and no lock taken per query.
    let snapshot = conn.unchecked_transaction()?;
    let mut planner = Planner::new(conn, s, &table.headers)?;
    let planned = table
        .rows
        .iter()
        .map(|row| planner.row(conn, row))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    snapshot.commit()?;
    Ok(planned)
}

/// Plans rows one after the other, remembering the rows above (for duplicates within the
/// file) and what the database answered. The dry run plans a whole file on one snapshot;
/// running an import plans each batch inside the transaction that writes it, so what is
/// written is decided on the data as it is then.
pub struct Planner<'a> {
    s: &'a Setup<'a>,
    resolver: Resolver,
    memo: Memo,
    names: Option<(usize, usize)>,
    first_stage: Option<i64>,
    seen: HashMap<String, usize>,
}

impl<'a> Planner<'a> {
    /// A planner for a file with these `headers`.
    pub fn new(
        conn: &Connection,
        s: &'a Setup<'a>,
        headers: &[String],
    ) -> rusqlite::Result<Planner<'a>> {
        let first_stage = crate::crm::deals::store::all_stages(conn)?
            .first()
            .map(|st| st.id);
        Ok(Planner {
            s,
            resolver: Resolver::load(conn)?,
            memo: Memo::default(),
            names: super::mapping::name_parts(headers),
            first_stage,
            seen: HashMap::new(),
        })
    }

    /// What the rows become.
    pub fn entity(&self) -> &'static Entity {
        self.s.entity
    }

    /// Plans the next row.
    pub fn row(&mut self, conn: &Connection, row: &Row) -> rusqlite::Result<Planned> {
        let (s, e) = (self.s, self.s.entity);
        if e.table == "products" {
            let p = prepare::row(e, s.mapping, None, row, &self.resolver);
            return super::products::plan(conn, s.policy, &mut self.seen, row.line, p);
        }
        let lookup = self.memo.on(conn);
        let mut p = prepare::row(e, s.mapping, self.names, row, &self.resolver);
        crate::crm::records::fill_defaults(e, &mut p.input, s.currency, self.first_stage);
        let named_company = p.input.get("company_id").cloned().filter(|n| !n.is_empty());
        // A company named but not on file is created with the row (contacts and deals).
        let mut new_company = None;
        if let Some(name) = &named_company
            && lookup.company_by_name(name)?.is_none()
        {
            if s.new_companies {
                p.input.insert("company_id".into(), PENDING_COMPANY.into());
                new_company = Some(name.clone());
            } else {
                // Someone who may not create companies gets the row back with the reason,
                // rather than a record quietly linked to no company.
                p.input.remove("company_id");
                let why = "import.error.company_not_allowed";
                p.errors.push(("company_id".into(), why.into()));
            }
        }
        if let Some(contact) = p.input.get("contact_id").cloned() {
            let company = match p.input.get("company_id") {
                Some(c) => lookup.company_by_name(c)?,
                None => None,
            };
            if new_company.is_some() || lookup.contact_by_name(&contact, company)?.is_none() {
                p.input.remove("contact_id");
                p.warnings.push(format!("contact_id: {contact}"));
            }
        }
        // A deal closed as lost before Kith kept no reason: the import says so rather than
        // refusing the history.
        if let Some(stage) = p.input.get("stage_id").and_then(|v| v.parse::<i64>().ok())
            && p.input.get("lost_reason").is_none_or(|r| r.is_empty())
            && lookup.stage(stage).is_some_and(|(_, lost)| lost)
        {
            p.input
                .insert("lost_reason".into(), s.lost_reason_unknown.to_string());
        }
        let parsed = crate::crm::records::parse(e, &p.input, &lookup, s.custom, s.required);
        let mut errors = p.errors;
        let values = match parsed {
            Ok(v) if errors.is_empty() => v,
            Ok(_) => Values::new(),
            Err(found) => {
                let found: Vec<(String, String)> = (found.into_iter())
                    .map(|(k, v)| {
                        let field = k.strip_prefix("cf_").map(|c| format!("custom.{c}"));
                        (field.unwrap_or(k), v)
                    })
                    .filter(|(k, _)| !errors.iter().any(|(f, _)| f == k))
                    .collect();
                errors.extend(found);
                Values::new()
            }
        };
        let action = if !errors.is_empty() {
            Action::Reject
        } else {
            let keys = keys(e, &values, named_company.as_deref());
            let earlier = keys.iter().find_map(|k| self.seen.get(k).copied());
            let existing = if e.table == "deals" {
                None
            } else {
                store::duplicates(conn, e, &values, None)?
                    .into_iter()
                    .next()
            };
            let action = match (s.policy, earlier, existing) {
                (Policy::Create, _, _) => Action::Create,
                (_, Some(line), _) => Action::Skip {
                    id: None,
                    line: Some(line),
                },
                (Policy::Skip, None, Some(d)) => Action::Skip {
                    id: Some(d.id),
                    line: None,
                },
                (Policy::Update, None, Some(d)) => Action::Update { id: d.id },
                (_, None, None) => Action::Create,
            };
            if matches!(action, Action::Create | Action::Update { .. }) {
                for k in keys {
                    self.seen.entry(k).or_insert(row.line);
                }
            }
            action
        };
        Ok(Planned {
            line: row.line,
            action,
            values,
            new_company,
            tags: p.tags,
            provided: p.provided,
            errors,
            warnings: p.warnings,
        })
    }
}

/// How many rows of a plan do what.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// New records.
    pub created: usize,
    /// Existing records updated.
    pub updated: usize,
    /// Duplicates skipped.
    pub skipped: usize,
    /// Rows with errors.
    pub rejected: usize,
}

/// Counts a plan's actions.
pub fn counts(plan: &[Planned]) -> Counts {
    let mut c = Counts::default();
    for p in plan {
        match p.action {
            Action::Create => c.created += 1,
            Action::Update { .. } => c.updated += 1,
            Action::Skip { .. } => c.skipped += 1,
            Action::Reject => c.rejected += 1,
        }
    }
    c
}
