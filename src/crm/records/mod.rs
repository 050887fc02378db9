//! Customer records (companies, contacts): one engine driven by a static description of each
//! entity's fields. Parsing, validation, the audited writes, soft delete and the trash are the
//! same for every kind of record, so they are written once here; each entity's folder only
//! declares its fields.

pub mod api;
pub mod pages;
pub mod query;
pub mod rules;
pub mod store;
mod trash;

pub use rules::{protect, redact, redact_record};
pub use trash::{purge, restore, soft_delete};

use crate::audit::Event;
use crate::db::Tx;
use crate::domain::phone::Phone;
use crate::error::AppError;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, PoisonError, RwLock};

/// What kind of value a field holds, and so how it is parsed, stored and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text up to `max` characters.
    Text(usize),
    /// Several lines of text.
    LongText,
    /// An email address, stored lower-cased.
    Email,
    /// A phone number, stored canonical with a `<name>_digits` column for search.
    Phone,
    /// One of a fixed list of values; labels come from `<entity>.<field>.<value>` in the catalog.
    Select(&'static [&'static str]),
    /// A user (the owner).
    User,
    /// A company, chosen by its name.
    Company,
    /// An industry from the two-level taxonomy.
    Industry,
    /// An amount of money, stored exactly in minor units.
    Money,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A stage of a pipeline (its pipeline is stored alongside).
    Stage,
    /// A contact, chosen by name (within the record's company when it has one).
    Contact,
}

/// One field of an entity.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Column and form name.
    pub name: &'static str,
    /// Value kind.
    pub kind: Kind,
    /// Must be filled in.
    pub required: bool,
    /// Shown as a list column.
    pub list: bool,
}

/// A field, for the entity tables in each record's folder: `field(name, kind, required, list)`.
pub const fn field(name: &'static str, kind: Kind, required: bool, list: bool) -> Field {
    Field {
        name,
        kind,
        required,
        list,
    }
}

/// A kind of record.
#[derive(Debug)]
pub struct Entity {
    /// Table name, also the URL path segment and i18n prefix (`companies`).
    pub table: &'static str,
    /// Singular name for audit entries (`company`).
    pub kind: &'static str,
    /// What permissions on it are granted under.
    pub area: crate::auth::Area,
    /// The fields, in form order; `name` is always first.
    pub fields: &'static [Field],
    /// Columns a list may be sorted by (all NOT NULL and indexed with id).
    pub sorts: &'static [&'static str],
    /// Stable number of the kind, for tables shared by every kind (tags, attachments).
    pub code: i64,
    /// What else a save changes, in the same transaction (e.g. a deal's stage history).
    pub on_save: Option<SaveHook>,
}

/// Runs after a record was created (`before` is `None`) or updated, inside the write.
pub type SaveHook =
    fn(tx: &mut Tx<'_>, id: i64, before: Option<&Values>, after: &Values) -> Result<(), AppError>;

/// What parsing a form needs to look up in the database.
pub trait Lookup {
    /// A live company by name.
    fn company(&self, name: &str) -> Option<i64>;
    /// A live contact by name, of `company` when given.
    fn contact(&self, name: &str, company: Option<i64>) -> Option<i64>;
    /// An active user.
    fn user(&self, id: i64) -> bool;
    /// An industry.
    fn industry(&self, id: i64) -> bool;
    /// The pipeline of a stage, and whether the stage marks deals lost.
    fn stage(&self, id: i64) -> Option<(i64, bool)>;
}

/// The record entity of a permission area, if records of that area are kept here.
pub fn entity_for(area: crate::auth::Area) -> Option<&'static Entity> {
    use crate::auth::Area;
    match area {
        Area::Companies => Some(&crate::crm::companies::COMPANIES),
        Area::Contacts => Some(&crate::crm::contacts::CONTACTS),
        Area::Deals => Some(&crate::crm::deals::DEALS),
        Area::Leads => Some(&crate::crm::leads::LEADS),
        _ => None,
    }
}

/// Every kind of record the engine keeps.
pub fn all() -> [&'static Entity; 4] {
    [
        &crate::crm::companies::COMPANIES,
        &crate::crm::contacts::CONTACTS,
        &crate::crm::leads::LEADS,
        &crate::crm::deals::DEALS,
    ]
}

/// The record entity with a [`Entity::code`].
pub fn entity_by_code(code: i64) -> Option<&'static Entity> {
    all().into_iter().find(|e| e.code == code)
}

/// The record entity with a [`Entity::kind`] (`contact`), as audit entries name it.
pub fn entity_by_kind(kind: &str) -> Option<&'static Entity> {
    all().into_iter().find(|e| e.kind == kind)
}

/// The record entity with a [`Entity::table`] (`contacts`), as URLs and files name it.
pub fn entity_by_table(table: &str) -> Option<&'static Entity> {
    all().into_iter().find(|e| e.table == table)
}

/// Statuses of the customer lifecycle.
pub const STATUSES: &[&str] = &["lead", "prospect", "customer", "churned"];

/// Channels a customer came from.
pub const SOURCES: &[&str] = &[
    "referral",
    "website",
    "exhibition",
    "phone",
    "advertising",
    "partner",
    "social",
    "other",
];

/// Fills what a new record gets when its input does not say: the first lifecycle status,
/// the company's currency, the first stage of the first pipeline. Used where records are made
/// without the new-record form (the API, imports).
pub fn fill_defaults(
    e: &Entity,
    input: &mut HashMap<String, String>,
    currency: &str,
    first_stage: Option<i64>,
) {
    if let Some(Kind::Select(o)) = e.field("status").map(|f| f.kind) {
        input
            .entry("status".into())
            .or_insert_with(|| o.first().copied().unwrap_or_default().into());
    }
    if e.field("currency").is_some() {
        input
            .entry("currency".into())
            .or_insert_with(|| currency.to_string());
    }
    if let (Some(_), Some(stage)) = (e.field("stage_id"), first_stage) {
        input
            .entry("stage_id".into())
            .or_insert_with(|| stage.to_string());
    }
}

/// Field name to value, as parsed from a form and as stored.
pub type Values = BTreeMap<String, Value>;

/// Field name to the i18n key of its problem.
pub type FieldErrors = BTreeMap<String, String>;

impl Entity {
    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The columns written for a field (a phone also writes its digits). Worked out once
    /// per entity: every record read walks them, and building them for each row of a list
    /// page took 5% of the page.
    pub fn columns(&self) -> &'static [String] {
        static KNOWN: PerTable<[String]> = LazyLock::new(RwLock::default);
        per_table(&KNOWN, self.table, || {
            Box::leak(self.list_columns().into_boxed_slice())
        })
    }

    fn list_columns(&self) -> Vec<String> {
        let mut cols = Vec::new();
        for f in self.fields {
            cols.push(f.name.to_string());
            if f.kind == Kind::Phone {
                cols.push(format!("{}_digits", f.name));
            }
        }
        if self.table == "companies" {
            cols.push("name_norm".into());
        }
        if self.fields.iter().any(|f| f.kind == Kind::Stage) {
            cols.push("pipeline_id".into());
        }
        cols.push("custom".into());
        cols
    }
}

/// Values worked out once per entity table and kept while the process runs.
pub(crate) type PerTable<T> = LazyLock<RwLock<HashMap<&'static str, &'static T>>>;

/// The value `known` holds for `table`, built (and kept) the first time it is asked for.
pub(crate) fn per_table<T: ?Sized + Sync>(
    known: &PerTable<T>,
    table: &'static str,
    build: impl FnOnce() -> &'static T,
) -> &'static T {
    if let Some(v) = known
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(table)
    {
        return v;
    }
    let mut known = known.write().unwrap_or_else(PoisonError::into_inner);
    known.entry(table).or_insert_with(build)
}

/// A company name reduced for duplicate detection: lower-cased, spaces and common legal-form
/// suffixes removed, so "华星科技有限公司" and "华星科技" match.
pub fn normalize_company_name(name: &str) -> String {
    let mut n: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '（' | '）' | '.' | ','))
        .collect::<String>()
        .to_lowercase();
    for suffix in [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团",
        "公司",
        "co.ltd",
        "coltd",
        "ltd",
        "inc",
        "llc",
        "gmbh",
        "corp",
        "corporation",
        "limited",
    ] {
        if let Some(stripped) = n.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            n = stripped.to_string();
        }
    }
    n
}

fn text(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Parses a submitted form against the entity's fields; names and ids are resolved through
/// `lookup` because that needs the database.
pub fn parse(
    entity: &Entity,
    form: &HashMap<String, String>,
    lookup: &dyn Lookup,
    custom: &[crate::crm::fields::CustomField],
    required: &[String],
) -> Result<Values, FieldErrors> {
    let mut values = Values::new();
    let mut errors = FieldErrors::new();
    // A record at a lost stage says why; one that is not lost has no reason.
    let mut lost = false;
    match crate::crm::fields::parse(custom, form) {
        Ok(v) => {
            values.insert("custom".into(), v);
        }
        Err(e) => errors.extend(e),
    }
    for f in entity.fields {
        let raw = text(form, f.name);
        if raw.is_empty() {
            if f.required || (required.iter().any(|r| r == f.name) && f.name != "lost_reason") {
                errors.insert(f.name.into(), "record.error.required".into());
            }
            values.insert(f.name.into(), Value::Null);
            if f.kind == Kind::Phone {
                values.insert(format!("{}_digits", f.name), Value::Null);
            }
            continue;
        }
        let parsed: Result<Value, &str> = match f.kind {
            Kind::Text(max) => {
                if raw.chars().count() > max {
                    Err("record.error.too_long")
                } else {
                    Ok(Value::String(raw))
                }
            }
            Kind::LongText => {
                if raw.chars().count() > 10_000 {
                    Err("record.error.too_long")
                } else {
                    Ok(Value::String(raw))
                }
            }
            Kind::Email => crate::domain::Email::parse(&raw)
                .map(|e| Value::String(e.as_str().to_string()))
                .map_err(|_| "record.error.email"),
            Kind::Phone => match Phone::parse(&raw) {
                Ok(p) => {
                    values.insert(format!("{}_digits", f.name), Value::String(p.digits()));
                    Ok(Value::String(p.stored()))
                }
                Err(e) => Err(e.message_key()),
            },
            Kind::Select(options) => {
                if options.contains(&raw.as_str()) {
                    Ok(Value::String(raw))
                } else {
                    Err("record.error.choice")
                }
            }
            Kind::User => match raw.parse::<i64>() {
                Ok(id) if lookup.user(id) => Ok(Value::from(id)),
                _ => Err("record.error.choice"),
            },
            Kind::Industry => match raw.parse::<i64>() {
                Ok(id) if lookup.industry(id) => Ok(Value::from(id)),
                _ => Err("record.error.choice"),
            },
            Kind::Company => lookup
                .company(&raw)
                .map(Value::from)
                .ok_or("record.error.no_company"),
            Kind::Contact => {
                let company = values.get("company_id").and_then(Value::as_i64);
                lookup
                    .contact(&raw, company)
                    .map(Value::from)
                    .ok_or("record.error.no_contact")
            }
            Kind::Money => crate::domain::Money::parse_positive(&raw)
                .map(|m| Value::from(m.minor()))
                .map_err(|e| e.message_key()),
            Kind::Date => chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| "record.error.date"),
            Kind::Stage => match raw
                .parse::<i64>()
                .ok()
                .and_then(|id| Some((id, lookup.stage(id)?)))
            {
                Some((id, (pipeline, is_lost))) => {
                    values.insert("pipeline_id".into(), Value::from(pipeline));
                    lost = is_lost;
                    Ok(Value::from(id))
                }
                None => Err("record.error.choice"),
            },
        };
        match parsed {
            Ok(v) => {
                values.insert(f.name.into(), v);
            }
            Err(key) => {
                errors.insert(f.name.into(), key.into());
            }
        }
    }
    if entity.field("lost_reason").is_some() {
        if !lost {
            values.insert("lost_reason".into(), Value::Null);
        } else if values.get("lost_reason").is_none_or(Value::is_null) {
            errors.insert("lost_reason".into(), "deal.error.lost_reason".into());
        }
    }
    if entity.table == "companies"
        && let Some(Value::String(name)) = values.get("name")
    {
        let norm = normalize_company_name(name);
        values.insert("name_norm".into(), Value::String(norm));
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// The audit changes between two sets of values, over the entity's fields only.
fn diff(
    conn: &rusqlite::Connection,
    entity: &Entity,
    before: Option<&Values>,
    after: Option<&Values>,
    mut event: Event,
) -> Result<Event, AppError> {
    let get = |v: Option<&Values>, name: &str| {
        v.and_then(|v| v.get(name)).cloned().unwrap_or(Value::Null)
    };
    for f in entity.fields {
        let (old, new) = (get(before, f.name), get(after, f.name));
        let (old, new) = match f.kind {
            // Amounts read as amounts, stages by name.
            Kind::Money => (money_text(&old), money_text(&new)),
            Kind::Stage => (
                crate::crm::deals::store::stage_label(conn, &old)?,
                crate::crm::deals::store::stage_label(conn, &new)?,
            ),
            _ => (old, new),
        };
        event = event.change(f.name, old, new);
    }
    // Custom fields are audited under their labels.
    let (old, new) = (get(before, "custom"), get(after, "custom"));
    for f in crate::crm::fields::store::for_entity(conn, entity.table)? {
        let pick = |v: &Value| v.get(&f.key).cloned().unwrap_or(Value::Null);
        event = event.change(&f.label, pick(&old), pick(&new));
    }
    Ok(event)
}

fn money_text(v: &Value) -> Value {
    v.as_i64().map_or(Value::Null, |m| {
        Value::String(crate::domain::Money::from_minor(m).plain())
    })
}

/// Creates a record and returns its id.
pub fn create(tx: &mut Tx<'_>, entity: &Entity, values: &Values) -> Result<i64, AppError> {
    let by = tx.actor().user_id;
    // A record nobody owns would be nobody's to follow up: it defaults to its creator.
    let owned;
    let values = match by {
        Some(me) if values.get("owner_id").is_none_or(Value::is_null) => {
            let mut with_owner = values.clone();
            with_owner.insert("owner_id".into(), Value::from(me));
            owned = with_owner;
            &owned
        }
        _ => values,
    };
    let id = store::insert(tx.conn(), entity, values, by)?;
    let rows = crate::crm::search::store::rows_new(tx.conn(), entity, id, values)?;
    tx.index_new(rows)?;
    if let Some(hook) = entity.on_save {
        hook(tx, id, None, values)?;
    }
    let event = diff(
        tx.conn(),
        entity,
        None,
        Some(values),
        Event::new(&format!("{}.create", entity.kind)).entity(entity.kind, id),
    )?;
    tx.audit(event)?;
    Ok(id)
}

/// Saves an edit made on `version`; a record changed since is refused with a conflict, so no
/// edit silently overwrites another.
pub fn update(
    tx: &mut Tx<'_>,
    entity: &Entity,
    id: i64,
    version: i64,
    values: &Values,
) -> Result<(), AppError> {
    // The record may have been created in this transaction with its index rows still kept.
    tx.write_search_rows()?;
    let old = store::get(tx.conn(), entity, id)?;
    if old.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    if old.version != version {
        return Err(AppError::Conflict("record.error.changed".into()));
    }
    let event = diff(
        tx.conn(),
        entity,
        Some(&old.values),
        Some(values),
        Event::new(&format!("{}.update", entity.kind)).entity(entity.kind, id),
    )?;
    // Saving without a change writes nothing: no new version, no empty history entry.
    if event.changes.is_empty() {
        tx.unchanged();
        return Ok(());
    }
    if store::update(tx.conn(), entity, id, version, values)? == 0 {
        return Err(AppError::Conflict("record.error.changed".into()));
    }
    crate::crm::search::store::index(tx.conn(), entity, id)?;
    if let Some(hook) = entity.on_save {
        hook(tx, id, Some(&old.values), values)?;
    }
    if entity.table == "companies" && old.values.get("name") != values.get("name") {
        crate::crm::search::store::reindex_company_contacts(tx.conn(), id)?;
    }
    tx.audit(event)?;
    Ok(())
}

/// Gives records a new owner, auditing each change of hands.
pub fn assign(tx: &mut Tx<'_>, entity: &Entity, ids: &[i64], owner: i64) -> Result<(), AppError> {
    for id in ids {
        let rec = store::get(tx.conn(), entity, *id)?;
        let before = rec.values.get("owner_id").and_then(Value::as_i64);
        if rec.deleted_at.is_some() || before == Some(owner) {
            continue;
        }
        store::set_owner(tx.conn(), entity, *id, owner)?;
        tx.audit(
            Event::new(&format!("{}.assign", entity.kind))
                .entity(entity.kind, id)
                .change("owner_id", before, owner),
        )?;
    }
    Ok(())
}

/// Merges duplicate `from` into `into`: empty fields of `into` are filled from `from`, every
/// follow-up, task, tag, attachment (and, for companies, contact) moves over, `from` goes to
/// the trash, and both records' audit entries say so. The merged record's history stays in
/// the audit log and shows on the kept record's page.
pub fn merge(tx: &mut Tx<'_>, entity: &Entity, from: i64, into: i64) -> Result<(), AppError> {
    if from == into {
        return Err(AppError::invalid("into", "merge.error.same"));
    }
    let src = store::get(tx.conn(), entity, from)?;
    let dst = store::get(tx.conn(), entity, into)?;
    if src.deleted_at.is_some() || dst.deleted_at.is_some() {
        return Err(AppError::invalid("into", "merge.error.trash"));
    }
    let mut values = dst.values.clone();
    let mut event = Event::new(&format!("{}.merge", entity.kind))
        .entity(entity.kind, into)
        .change("merged_from", Value::Null, from);
    for column in entity.columns() {
        let empty = values
            .get(column)
            .is_none_or(|v| v.is_null() || v.as_str() == Some(""));
        if let (true, Some(v)) = (empty, src.values.get(column).filter(|v| !v.is_null())) {
            if entity.field(column).is_some() {
                event = event.change(column, Value::Null, v.clone());
            }
            values.insert(column.clone(), v.clone());
        }
    }
    store::update(tx.conn(), entity, into, dst.version, &values)?;
    store::move_children(tx.conn(), entity, from, into)?;
    crate::crm::sharing::store::move_to(tx.conn(), entity.table, from, into)?;
    tx.audit(event)?;
    let now = crate::db::now();
    store::set_deleted(tx.conn(), entity, from, Some(&now), tx.actor().user_id)?;
    tx.audit(
        Event::new(&format!("{}.merged_into", entity.kind))
            .entity(entity.kind, from)
            .change("merged_into", Value::Null, into),
    )?;
    tx.write_search_rows()?;
    crate::crm::search::store::remove(tx.conn(), entity, from)?;
    crate::crm::search::store::index(tx.conn(), entity, into)?;
    Ok(())
}
